'use strict';
// The status gate core (src/status/gate.ts): holding statuses for EVSEs whose data Hubject has not acknowledged.
require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { StatusGate, FileGateStore, NoEvseDataError } = require('../nodes/status/gate');
const { PushQueue } = require('../nodes/push/queue');
const { statusPolicy } = require('../nodes/push/status-lane');
const { until } = require('./support/until');

const rec = (n, EvseStatus = 'Available') => ({ EvseID: `DE*ABC*E${n}*1`, EvseStatus });

/** A source acknowledging the EvseIDs in its set. */
function source(ids = []) {
  const acked = new Set(ids);
  return { acked, isAcknowledged: (id) => acked.has(id) };
}

/** An owner as the push node makes it; settled holds what done() got (undefined = not yet, null = done()). */
function owner(nodeId = 'p1') {
  const o = { nodeId, pending: 0, failures: [], settled: undefined };
  o.settle = (err) => {
    o.settled = err || null;
  };
  return o;
}

/** A stopped queue: what the gate releases stays in it, readable with snapshot(). */
function setup(opts = {}) {
  const queue = new PushQueue({ policy: statusPolicy, operatorId: 'DE*ABC' });
  const gate = new StatusGate('DE*ABC', opts);
  gate.attach(queue);
  return { queue, gate };
}
const queued = (queue) => queue.snapshot().flatMap((s) => s.records.map((r) => `${s.action}:${r.EvseID}=${r.EvseStatus}`));

/** What the push node does with an input: admit, then queue what passed. */
function input(gate, queue, action, records, o) {
  const pass = gate.admit(action, records, o);
  if (pass.length || !records.length) queue.enqueue(action, pass, o);
  return pass;
}

describe('status gate (core)', function () {
  let gates = [];
  afterEach(function () {
    for (const g of gates) g.stop();
    gates = [];
  });
  const make = (opts) => {
    const s = setup(opts);
    gates.push(s.gate);
    return s;
  };

  it('auto is off without a data source and on with one; on holds without any; off never holds', function () {
    const { gate, queue } = make();
    const list = [rec(1)];
    gate.active.should.be.false();
    gate.admit('update', list, owner()).should.equal(list); // the same array: nothing copied
    const unregister = gate.registerDataSource('d1', source());
    gate.active.should.be.true();
    gate.admit('update', [rec(2)], owner()).should.eql([]);
    gate.heldCount.should.equal(1);
    unregister();
    gate.active.should.be.false();

    const on = make({ mode: 'on' });
    on.gate.active.should.be.true();
    on.gate.admit('update', [rec(1)], owner()).should.eql([]);

    const off = make({ mode: 'off' });
    off.gate.registerDataSource('d1', source());
    off.gate.active.should.be.false();
    const l2 = [rec(1)];
    off.gate.admit('update', l2, owner()).should.equal(l2);
    queued(queue).should.eql([]);
  });

  it('holds a status until its data is acknowledged, releases in hold order, and never blocks other EVSEs', function () {
    const { gate, queue } = make();
    const src = source(['DE*ABC*E9*1']);
    gate.registerDataSource('d1', src);
    const a = owner();
    // E1 and E3 have no data yet; E9 has: it passes at once.
    input(gate, queue, 'update', [rec(1, 'Occupied'), rec(9, 'Occupied'), rec(3, 'Reserved')], a)
      .map((r) => r.EvseID)
      .should.eql(['DE*ABC*E9*1']);
    const b = owner();
    input(gate, queue, 'update', [rec(2, 'OutOfService')], b);
    gate.heldCount.should.equal(3);
    queued(queue).should.eql(['update:DE*ABC*E9*1=Occupied']);
    a.pending.should.equal(3);

    // Acknowledged in another order: they still go in the order they were held.
    src.acked.add('DE*ABC*E3*1').add('DE*ABC*E1*1');
    gate.dataAcknowledged(['DE*ABC*E3*1', 'DE*ABC*E1*1']);
    queued(queue).should.eql(['update:DE*ABC*E9*1=Occupied', 'update:DE*ABC*E1*1=Occupied', 'update:DE*ABC*E3*1=Reserved']);
    gate.heldCount.should.equal(1);
    a.pending.should.equal(3); // now pending in the queue, settled by Hubject's answer
    (a.settled === undefined).should.be.true();
    (b.settled === undefined).should.be.true();
  });

  it('the latest status per EVSE wins; the overtaken input completes without error', function () {
    const { gate, queue } = make();
    gate.registerDataSource('d1', source());
    const a = owner();
    const b = owner();
    input(gate, queue, 'update', [rec(1, 'Occupied')], a);
    input(gate, queue, 'update', [rec(1, 'Available')], b);
    (a.settled === null).should.be.true();
    (b.settled === undefined).should.be.true();
    gate
      .heldRecords()
      .map((e) => e.record.EvseStatus)
      .should.eql(['Available']);
    // The same EVSE twice in one message counts once.
    const c = owner();
    input(gate, queue, 'update', [rec(2, 'Occupied'), rec(2, 'Reserved')], c);
    c.pending.should.equal(1);
    (b.settled === null).should.be.false();
  });

  it('a status that passes (data acknowledged meanwhile) overtakes the held one', function () {
    const { gate, queue } = make();
    const src = source();
    gate.registerDataSource('d1', src);
    const a = owner();
    input(gate, queue, 'update', [rec(1, 'Occupied')], a);
    src.acked.add('DE*ABC*E1*1');
    input(gate, queue, 'update', [rec(1, 'Available')], owner());
    (a.settled === null).should.be.true();
    gate.heldCount.should.equal(0);
    queued(queue).should.eql(['update:DE*ABC*E1*1=Available']);
  });

  it('rejected data fails the held input with "no EVSE data at Hubject for <EvseID>"', function () {
    const { gate, queue } = make();
    gate.registerDataSource('d1', source());
    const a = owner();
    const b = owner();
    input(gate, queue, 'update', [rec(1)], a);
    input(gate, queue, 'update', [rec(2)], b);
    gate.dataRejected([{ EvseID: 'DE*ABC*E1*1', reason: 'Power 11000 is not in 0-999' }]);
    a.settled.should.be.instanceOf(NoEvseDataError);
    a.settled.message.should.match(/^no EVSE data at Hubject for DE\*ABC\*E1\*1: EVSE data rejected: Power 11000 is not in 0-999$/);
    (b.settled === undefined).should.be.true();
    gate.heldCount.should.equal(1);
    queued(queue).should.eql([]);
  });

  it('a data rejection that says Hubject holds the EVSE (022 to its insert) releases the held status instead of failing it', function () {
    const { gate, queue } = make();
    gate.registerDataSource('d1', source());
    const a = owner();
    input(gate, queue, 'update', [rec(1)], a);
    gate.dataRejected([{ EvseID: 'DE*ABC*E1*1', reason: '019 not allowed', exists: true }]);
    (a.settled === undefined).should.be.true(); // waits for Hubject's answer to the status, not failed
    gate.heldCount.should.equal(0);
    queued(queue).should.eql(['update:DE*ABC*E1*1=Available']);
  });

  it('sends statuses in the spelling Hubject acknowledged the data under, warning once per EVSE', function () {
    const { gate, queue } = make({ mode: 'off' });
    gate.registerDataSource('d1', {
      isAcknowledged: () => true,
      acknowledgedId: (id) => (id.replace(/\*/g, '').toUpperCase() === 'DEABCE11' ? 'DE*ABC*E1*1' : undefined),
    });
    const warns = [];
    gate.on('warn', (w) => warns.push(w));
    input(gate, queue, 'update', [{ EvseID: 'DEABCE11', EvseStatus: 'Occupied' }, rec(2)], owner());
    input(gate, queue, 'update', [{ EvseID: 'deabce11', EvseStatus: 'Available' }], owner());
    queued(queue).should.eql(['update:DE*ABC*E2*1=Available', 'update:DE*ABC*E1*1=Available']);
    warns.should.have.length(1);
    warns[0].should.match(/DEABCE11 is sent as DE\*ABC\*E1\*1/);
  });

  it('a status that waits longer than holdMaxHours fails its input (injected clock)', function () {
    let t = Date.UTC(2026, 0, 1);
    const { gate, queue } = make({ holdMaxHours: 24, now: () => t });
    gate.registerDataSource('d1', source());
    const a = owner();
    input(gate, queue, 'update', [rec(1)], a);
    t += 23 * 3600e3;
    const b = owner();
    input(gate, queue, 'update', [rec(2)], b);
    gate.sweep();
    (a.settled === undefined).should.be.true();
    t += 3600e3;
    gate.sweep();
    a.settled.message.should.match(/^no EVSE data at Hubject for DE\*ABC\*E1\*1: .*holdMaxHours \(24 h\)/);
    (b.settled === undefined).should.be.true();
    gate
      .heldRecords()
      .map((e) => e.record.EvseID)
      .should.eql(['DE*ABC*E2*1']);
  });

  it('a fullLoad leaves out EVSEs without acknowledged data and holds their statuses without its input', function () {
    const { gate, queue } = make();
    gate.registerDataSource('d1', source(['DE*ABC*E1*1', 'DE*ABC*E3*1']));
    const a = owner();
    const pass = input(gate, queue, 'fullLoad', [rec(1), rec(2), rec(3), rec(4)], a);
    pass.map((r) => r.EvseID).should.eql(['DE*ABC*E1*1', 'DE*ABC*E3*1']);
    a.pending.should.equal(2);
    gate
      .heldRecords()
      .map((e) => `${e.action}:${e.record.EvseID}`)
      .should.eql(['update:DE*ABC*E2*1', 'update:DE*ABC*E4*1']);
  });

  it('deletes pass and drop a held status of their EVSE', function () {
    const { gate, queue } = make();
    gate.registerDataSource('d1', source());
    const a = owner();
    input(gate, queue, 'update', [rec(1)], a);
    input(gate, queue, 'delete', [rec(1)], owner()).length.should.equal(1);
    (a.settled === null).should.be.true();
    gate.heldCount.should.equal(0);
  });

  it('held statuses survive a restart (file store) and a data source registering later releases them', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-gate-'));
    try {
      const file = path.join(dir, 'gate', 'DE_ABC.json');
      const q1 = new PushQueue({ policy: statusPolicy, operatorId: 'DE*ABC' });
      const g1 = new StatusGate('DE*ABC', { store: new FileGateStore(file, 'DE*ABC') });
      g1.attach(q1);
      g1.registerDataSource('d1', source());
      input(g1, q1, 'update', [rec(1, 'Occupied'), rec(2, 'Reserved')], owner());
      await g1.flush();
      // No stop(): as after kill -9, only what was flushed is there.
      const q2 = new PushQueue({ policy: statusPolicy, operatorId: 'DE*ABC' });
      const g2 = new StatusGate('DE*ABC', { store: new FileGateStore(file, 'DE*ABC') });
      gates.push(g1, g2);
      g2.attach(q2);
      g2.heldRecords()
        .map((e) => e.record.EvseStatus)
        .should.eql(['Occupied', 'Reserved']);
      g2.registerDataSource('d1', source(['DE*ABC*E2*1']));
      queued(q2).should.eql(['update:DE*ABC*E2*1=Reserved']);
      g2.heldCount.should.equal(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an operator that never holds a status gets no file', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-gate-'));
    try {
      const file = path.join(dir, 'gate', 'DE_ABC.json');
      const g = new StatusGate('DE*ABC', { store: new FileGateStore(file, 'DE*ABC') });
      g.attach(new PushQueue({ policy: statusPolicy, operatorId: 'DE*ABC' }));
      g.admit('update', [rec(1)], owner());
      g.stop();
      fs.existsSync(file).should.be.false();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('auto with its last data source gone sends the held statuses after the grace time; off sends them at once', async function () {
    const { gate, queue } = make({ offGraceMs: 20 });
    const unregister = gate.registerDataSource('d1', source());
    input(gate, queue, 'update', [rec(1)], owner());
    unregister();
    await until(() => gate.heldCount === 0, 5000, 'held statuses released');
    queued(queue).should.eql(['update:DE*ABC*E1*1=Available']);

    const s = make({ mode: 'on' });
    input(s.gate, s.queue, 'update', [rec(2)], owner());
    s.gate.configure({ mode: 'off' });
    queued(s.queue).should.eql(['update:DE*ABC*E2*1=Available']);
  });

  it('a re-registered source within the grace time keeps the statuses held (redeploy of a data node)', async function () {
    const { gate, queue } = make({ offGraceMs: 50 });
    const unregister = gate.registerDataSource('d1', source());
    input(gate, queue, 'update', [rec(1)], owner());
    unregister();
    gate.registerDataSource('d1', source());
    await new Promise((r) => setTimeout(r, 120));
    gate.heldCount.should.equal(1);
    queued(queue).should.eql([]);
  });
});
