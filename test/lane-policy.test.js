'use strict';
require('should');
const fs = require('fs');
const path = require('path');
const { PushQueue } = require('../nodes/push/queue');
const { statusPolicy } = require('../nodes/push/status-lane');
const { dataPolicy } = require('../nodes/evse-data/lane');
const { until } = require('./support/until');

const OP = 'DE*ABC';
const ok = () => ({ class: 'success', reason: '000 success', httpStatus: 200, statusCode: { Code: '000' }, durationMs: 1 });
const refused = (info) => ({ class: 'data', reason: '018 refused', httpStatus: 200, statusCode: { Code: '018', AdditionalInfo: info }, durationMs: 1 });

/** A lane with no coalescing key, as CDRs will have: each item is sent once and never merged. */
const cdrLike = (bundle) => ({
  operation: 'cdr',
  key: null,
  id: (i) => i.SessionID,
  bundle,
  body: (action, items, operatorId) => ({ action, operatorId, items }),
  rejection: { updateAsInsert: 'insertMissing' },
  ratePerMinute: 2000,
});

describe('lane policy (core, no Node-RED)', function () {
  const queues = [];
  const make = (policy, opts = {}) => {
    const q = new PushQueue({ policy, operatorId: OP, backoffBaseMs: 5, backoffMaxMs: 50, insertMissing: false, ...opts });
    queues.push(q);
    return q;
  };
  afterEach(() => {
    for (const q of queues.splice(0)) q.stop();
  });

  it('a lane with key none sends two items with the same EvseID as two items', async function () {
    const bodies = [];
    const q = make(cdrLike());
    const a = { SessionID: 's1', EvseID: 'DE*ABC*E1', kWh: 3 };
    const b = { SessionID: 's2', EvseID: 'DE*ABC*E1', kWh: 5 };
    q.enqueue('insert', [a], null);
    q.enqueue('insert', [b], null);
    q.queued.should.equal(2);
    q.start(async (body) => {
      bodies.push(body);
      return ok();
    });
    await until(() => q.queued === 0, 5000);
    bodies.flatMap((x) => x.items).should.eql([a, b]);
    q.pendingKeys(['insert']).size.should.equal(0);
  });

  it('the same two items on a keyed lane (status) are merged into the later one', async function () {
    const bodies = [];
    const q = make(statusPolicy);
    q.enqueue('update', [{ EvseID: 'DE*ABC*E1', EvseStatus: 'Occupied' }], null);
    q.enqueue('update', [{ EvseID: 'DE*ABC*E1', EvseStatus: 'Available' }], null);
    q.queued.should.equal(1);
    q.start(async (body) => {
      bodies.push(body);
      return ok();
    });
    await until(() => q.queued === 0, 5000);
    bodies.flatMap((x) => x.OperatorEvseStatus.EvseStatusRecord).should.eql([{ EvseID: 'DE*ABC*E1', EvseStatus: 'Available' }]);
  });

  it('bundle 1 sends one item per request, whatever maxRecords says', async function () {
    const bodies = [];
    const q = make(cdrLike(1), { maxRecords: 500 });
    q.enqueue(
      'insert',
      [1, 2, 3].map((n) => ({ SessionID: `s${n}`, EvseID: 'DE*ABC*E1' })),
      null,
    );
    q.start(async (body) => {
      bodies.push(body);
      return ok();
    });
    await until(() => q.queued === 0, 5000);
    bodies.map((x) => x.items.length).should.eql([1, 1, 1]);
  });

  it("a refusal and a dead letter name the policy's id; a keyless item's dead letter is keyed by it", async function () {
    const { DeadLetters } = require('../nodes/push/dead-letters');
    const dl = new DeadLetters('cdr');
    const q2 = make(cdrLike(1), { deadLetters: dl });
    const rejected = [];
    q2.on('rejected', (ev) => rejected.push(ev.failure.id));
    q2.enqueue('insert', [{ SessionID: 's9', EvseID: 'DE*ABC*E1' }], null);
    q2.start(async () => refused('s9'));
    await until(() => q2.queued === 0, 5000);
    rejected.should.eql(['s9']);
    dl.list(10)
      .map((l) => [l.key, l.id])
      .should.eql([['s9', 's9']]);
  });

  it('a refusal names the id as the policy calls it: cause.rejected and a dead letter msg say SessionID, status says EvseID', function () {
    const { PushRejectedError } = require('../nodes/push/queue');
    const { refusalReport } = require('../nodes/push/dead-letters');
    const failure = { id: 's9', action: 'insert', reason: '018 refused', code: '018' };
    new PushRejectedError([failure], 'SessionID').cause.rejected.should.eql([{ SessionID: 's9', action: 'insert', reason: '018 refused', code: '018' }]);
    const report = refusalReport({ operation: 'cdr', action: 'insert', idName: 'SessionID', failures: [failure] }, (l) => l.map((f) => f.id).join());
    report.msg.oicp.SessionIDs.should.eql(['s9']);
    report.error.cause.rejected[0].should.have.property('SessionID', 's9');
    (report.error.cause.rejected[0].EvseID === undefined).should.be.true();
    statusPolicy.idName.should.equal('EvseID');
    dataPolicy.idName.should.equal('EvseID');
  });

  it('status and data are two policies over one queue; the queue and the outbox name no record type', function () {
    statusPolicy.operation.should.equal('status');
    dataPolicy.operation.should.equal('data');
    statusPolicy.rejection.updateAsInsert.should.equal('insertMissing');
    dataPolicy.rejection.updateAsInsert.should.equal('always');
    statusPolicy.key({ EvseID: 'de*abc*e1' }).should.equal(statusPolicy.key({ EvseID: 'DE*ABC*E1' }));
    const src = (f) => fs.readFileSync(path.join(__dirname, '..', 'src', 'push', f), 'utf8');
    for (const f of ['queue.ts', 'outbox.ts']) {
      src(f).should.not.match(/EvseStatusRecord|DataItem|EvseDataRecord/);
      src(f).should.not.match(/from '\.\.\/ops\//);
    }
  });
});
