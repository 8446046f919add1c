'use strict';
// The dead-letter list (src/push/dead-letters.ts) and how the queue fills it: records refused for good while no input
// message waited for them. A stub transport answers like Hubject; no network.
require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { DeadLetters, FileKeyedStore, refusalReport } = require('../nodes/push/dead-letters');
const { PushQueue } = require('../nodes/push/queue');
const { statusPolicy } = require('../nodes/push/status-lane');
const { until } = require('./support/until');

const rec = (n, EvseStatus = 'Available') => ({ EvseID: `DE*ABC*E${n}*1`, EvseStatus });
const refused = (code, info) => async () => ({
  class: 'data',
  httpStatus: 200,
  statusCode: { Code: code, Description: 'refused', AdditionalInfo: info },
  reason: `${code} refused`,
  durationMs: 1,
});

describe('dead-letter list', function () {
  let dir;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-dead-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps entries by item key across a restart, clears them, and sets a damaged file aside', async function () {
    const file = path.join(dir, 'dl', 'x-data.json');
    const a = new DeadLetters('data', new FileKeyedStore(file));
    const letter = (key, id) => ({ key, id, operation: 'data', action: 'insert', reason: 'r', time: new Date(0).toISOString(), record: { EvseID: id } });
    a.add([letter('K1', 'DE*ABC*E1'), letter('K2', 'DE*ABC*E2')]);
    a.clear(['K1']);
    await a.flush();
    const b = new DeadLetters('data', new FileKeyedStore(file));
    b.list()
      .map((l) => l.id)
      .should.eql(['DE*ABC*E2']);
    b.take()
      .map((l) => l.record.EvseID)
      .should.eql(['DE*ABC*E2']);
    b.count.should.equal(0);

    fs.writeFileSync(file, '{"version":1,"items":[["K');
    const errors = [];
    const c = new DeadLetters('data', new FileKeyedStore(file, (e) => errors.push(e.message)));
    c.count.should.equal(0);
    errors[0].should.match(/could not be read.*moved to .*damaged-/);
    fs.readdirSync(path.dirname(file))
      .some((f) => f.includes('.damaged-'))
      .should.be.true();
  });

  it('the queue lists records refused with no owner or no input waiting, not those an input waits for, and a new record clears its entry', async function () {
    const deadLetters = new DeadLetters('status');
    const q = new PushQueue({ policy: statusPolicy, operatorId: 'DE*ABC', deadLetters, backoffBaseMs: 1, insertMissing: false });
    const events = [];
    q.on('dead-letter', (ev) => events.push(ev));
    q.enqueue('update', [rec(1), rec(2)], null); // as restored from the outbox
    const waiting = { nodeId: 'p1', pending: 0, failures: [], settle: () => {} };
    q.enqueue('update', [rec(3)], waiting);
    const scheduled = { nodeId: 'p1', pending: 0, failures: [], settle: () => {}, noInput: true };
    q.enqueue('update', [rec(4)], scheduled);
    q.start(refused('019', 'DE*ABC*E1*1 DE*ABC*E2*1 DE*ABC*E3*1 DE*ABC*E4*1'));
    await until(() => q.queued === 0, 5000, 'all refused');
    q.stop();
    deadLetters
      .list()
      .map((l) => [l.id, l.action, l.code])
      .should.eql([
        ['DE*ABC*E1*1', 'update', '019'],
        ['DE*ABC*E2*1', 'update', '019'],
        ['DE*ABC*E4*1', 'update', '019'],
      ]);
    events.flatMap((e) => e.failures.map((f) => f.EvseID)).should.eql(['DE*ABC*E1*1', 'DE*ABC*E2*1', 'DE*ABC*E4*1']);
    const report = refusalReport(events[0], (l) => `refused ${l.length}`);
    report.msg.oicp.should.match({ operation: 'status', action: 'update', deadLetter: true });
    report.error.cause.rejected.should.have.length(events[0].failures.length);
    // A new record for E2 (any spelling) clears its entry.
    q.enqueue(
      'update',
      [rec(2, 'Occupied')].map((r) => ({ ...r, EvseID: 'DEABCE21' })),
      null,
    );
    deadLetters
      .list()
      .map((l) => l.id)
      .should.eql(['DE*ABC*E1*1', 'DE*ABC*E4*1']);
  });
});
