'use strict';
// The outbox keeps the items of any lane across a restart: a slot is checked with the lane policy's id, not with an
// EvseID (a CDR has none). A restored item without the id is damage, as before.
const fs = require('fs');
const os = require('os');
const path = require('path');
const should = require('should');
const { FileOutbox } = require('../nodes/push/outbox');
const { acquireQueue, forgetQueues, outboxPath } = require('../nodes/push/registry');
const { until } = require('./support/until');

/** A lane whose items have no EvseID: a reference and a text, never merged, one per request. */
const refPolicy = {
  operation: 'chargeDetailRecord',
  key: null,
  id: (i) => i.ref,
  bundle: 1,
  body: (_action, items) => ({ ref: items[0].ref, text: items[0].text }),
  rejection: { updateAsInsert: 'insertMissing' },
  ratePerMinute: 100000,
};

describe('outbox of a lane without EvseIDs', function () {
  let dir;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-outbox-any-'));
  });
  afterEach(function () {
    forgetQueues();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('FileOutbox restores items that carry the policy id and no EvseID, and drops one without the id as damage', async function () {
    const file = path.join(dir, 'cdr.json');
    const box = new FileOutbox(file, 'DE*ABC', undefined, 'chargeDetailRecord', refPolicy.id);
    const a = { ref: 'S-1', text: 'one' };
    const b = { ref: 'S-2', text: 'two' };
    const bad = { text: 'no id' };
    await box.save([{ action: 'update', records: [a, b, bad] }]);
    await box.journal.close();
    const again = new FileOutbox(file, 'DE*ABC', undefined, 'chargeDetailRecord', refPolicy.id);
    again.load().should.eql([{ action: 'update', records: [a, b] }]);
    again.report.recovered.should.equal(2);
  });

  it('a queue of such items keeps them across a restart and sends each once, in order', async function () {
    const opts = { policy: refPolicy, backoffBaseMs: 10, backoffMaxMs: 50, insertMissing: false };
    const q1 = acquireQueue('DE*ABC', 'https://sim.invalid', dir, opts);
    q1.enqueue(
      'update',
      [0, 1, 2].map((i) => ({ ref: `S-${i}`, text: `cdr ${i}` })),
      null,
    );
    await q1.flush();
    fs.readdirSync(path.dirname(outboxPath(dir, 'DE*ABC', 'https://sim.invalid', 'chargeDetailRecord')))
      .join(' ')
      .should.match(/chargeDetailRecord/);
    forgetQueues(); // the process ends: the queue stops and writes its outbox
    const q2 = acquireQueue('DE*ABC', 'https://sim.invalid', dir, opts);
    q2.queued.should.equal(3);
    const sent = [];
    q2.start(async (body) => {
      sent.push(body.ref);
      return { class: 'success', reason: '000', httpStatus: 200, statusCode: { Code: '000' }, durationMs: 1 };
    });
    await until(() => sent.length === 3 && q2.queued === 0, 5000, 'three items sent');
    sent.should.eql(['S-0', 'S-1', 'S-2']);
    should(q2.queued).equal(0);
  });
});
