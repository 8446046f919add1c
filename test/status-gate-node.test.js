'use strict';
// The status gate in a real Node-RED runtime: a push evse status node on a Hubject config whose gate a test data
// source (as a push evse data node would) registers with, against the simulator over mutual TLS.
require('should');
const fs = require('fs');
const helper = require('node-red-node-test-helper');
const { startSim, pullStatuses } = require('./support/sim');
const { nodeFiles, hubjectNodes, tmpUserDir, until, observers, watchNode } = require('./support/flows');
const { forgetQueues } = require('../nodes/push/registry');

helper.init(require.resolve('node-red'));

const NODES = [nodeFiles.tls, nodeFiles.config, nodeFiles.push, nodeFiles.catch, nodeFiles.complete];
const id = (n) => `DE*ABC*E${n}*1`;
const rec = (n, EvseStatus) => ({ EvseID: id(n), EvseStatus });

/** A data source as a push evse data node registers it: acknowledges the EvseIDs in its set. */
function fakeDataNode(gate, ids = []) {
  const acked = new Set(ids);
  const unregister = gate.registerDataSource('data1', { isAcknowledged: (e) => acked.has(e) });
  return {
    acked,
    unregister,
    acknowledge(list) {
      for (const e of list) acked.add(e);
      gate.dataAcknowledged(list);
    },
  };
}

describe('status gate (push evse status node, simulator over mutual TLS)', function () {
  this.timeout(60000);
  let sim, certs, url, userDir;
  // [action, EvseID, EvseStatus] in the order the simulator applied them.
  const applied = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({
      latencyMs: 2,
      onApplied: (_op, records, _now, action) => {
        for (const r of records) applied.push([action, r.EvseID, r.EvseStatus]);
      },
    }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(function (done) {
    applied.length = 0;
    userDir = tmpUserDir('oicp-gate-node-');
    helper.settings({ userDir });
    sim.clearState();
    sim.clearFaults();
    sim.resetStats();
    helper.startServer(done);
  });
  afterEach(async function () {
    const queue = helper.getNode('hub1')?.hubject.lane('status');
    const gate = helper.getNode('hub1')?.hubject.gate;
    await helper.unload();
    forgetQueues();
    // The last outbox and gate writes land before their directory goes.
    if (queue) await queue.flush();
    if (gate) await gate.flush();
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  function flow(hub = {}) {
    return [
      ...hubjectNodes(certs, url).map((n) => (n.id === 'hub1' ? { ...n, ...hub } : n)),
      { id: 'p1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'update', wires: [['out']] },
      { id: 'out', type: 'helper' },
      ...observers(['p1']),
    ];
  }

  /** Loads the flow; returns the watch of p1 and the config's gate. */
  async function load(hub) {
    await helper.load(NODES, flow(hub));
    const w = watchNode(helper, 'p1');
    return { w, gate: helper.getNode('hub1').hubject.gate };
  }
  /** As a restart: unload, forget the queues and gates, and let the last outbox write land before the next load. */
  async function restart() {
    const { hubject } = helper.getNode('hub1');
    const queue = hubject.lane('status');
    await helper.unload();
    forgetQueues();
    await queue.flush();
    await hubject.gate.flush();
  }
  const send = (w, payload, extra = {}) => w.node.receive({ _msgid: extra._msgid, payload, ...extra });

  it('holds statuses until their data is acknowledged, then sends them in the order held; other EVSEs go at once', async function () {
    const { w, gate } = await load();
    const data = fakeDataNode(gate, [id(9)]);
    send(w, rec(1, 'Occupied'), { _msgid: 'm1' });
    send(w, rec(2, 'Reserved'), { _msgid: 'm2' });
    send(w, rec(9, 'Occupied'), { _msgid: 'm9' });
    await until(() => w.completed.length === 1, 10000, 'the EVSE with data completes');
    w.completed[0]._msgid.should.equal('m9');
    pullStatuses(sim).should.eql({ [id(9)]: 'Occupied' });
    gate.heldCount.should.equal(2);
    await until(() => /· 2 held for data/.test(w.lastStatus().text || ''), 5000, 'status shows the held count');
    helper.getNode('hub1').hubject.lane('status').stats.state(Date.now()).held.should.equal(2);

    // Acknowledged in the other order: sent in the order held.
    data.acknowledge([id(2), id(1)]);
    await until(() => w.completed.length === 3, 10000, 'the held inputs complete on Hubject 000');
    w.completed
      .slice(1)
      .map((m) => m._msgid)
      .sort()
      .should.eql(['m1', 'm2']);
    applied.map((a) => a[1]).should.eql([id(9), id(1), id(2)]);
    pullStatuses(sim).should.eql({ [id(9)]: 'Occupied', [id(1)]: 'Occupied', [id(2)]: 'Reserved' });
    w.caught.should.eql([]);
    await until(() => !/held for data/.test(w.lastStatus().text || ''), 5000, 'held count gone from the status');
  });

  it('the latest status per EVSE wins; the overtaken input completes', async function () {
    const { w, gate } = await load();
    const data = fakeDataNode(gate);
    send(w, rec(1, 'Occupied'), { _msgid: 'old' });
    send(w, rec(1, 'Reserved'), { _msgid: 'new' });
    await until(() => w.completed.length === 1, 5000, 'the overtaken input completes');
    w.completed[0]._msgid.should.equal('old');
    data.acknowledge([id(1)]);
    await until(() => w.completed.length === 2, 10000, 'the latest completes on Hubject 000');
    // (update, or insert after the simulator's "unknown EVSE": insertMissing)
    applied.map((a) => a.slice(1)).should.eql([[id(1), 'Reserved']]);
  });

  it('fails the held input when the data is rejected, and the next valid message still works', async function () {
    const { w, gate } = await load();
    const data = fakeDataNode(gate, [id(5)]);
    send(w, [rec(1, 'Occupied'), rec(5, 'Available')], { _msgid: 'a' });
    await until(() => applied.length === 1, 10000, 'the EVSE with data is sent');
    gate.dataRejected([{ EvseID: id(1), reason: 'operatorEvseData.evseDataRecord[0].Power: 11000 is not in 0-999' }]);
    await until(() => w.caught.length === 1, 5000, 'Catch gets the failed input');
    w.caught[0].error.message.should.match(/(^|: )no EVSE data at Hubject for DE\*ABC\*E1\*1: EVSE data rejected: .*Power/);
    w.completed.should.eql([]);
    gate.heldCount.should.equal(0);
    data.acknowledge([id(1)]);
    send(w, rec(5, 'Occupied'), { _msgid: 'b' });
    await until(() => w.completed.length === 1, 10000, 'next message completes');
    applied
      .map((a) => a.slice(1))
      .should.eql([
        [id(5), 'Available'],
        [id(5), 'Occupied'],
      ]);
  });

  it('fails a status that waited longer than holdMaxHours (clock moved, no waiting)', async function () {
    const { w, gate } = await load({ holdMaxHours: 2 });
    fakeDataNode(gate);
    send(w, rec(1, 'Occupied'), { _msgid: 'a' });
    await until(() => gate.heldCount === 1, 5000, 'held');
    gate.sweep(Date.now() + 1.9 * 3600e3);
    gate.heldCount.should.equal(1);
    gate.sweep(Date.now() + 2 * 3600e3 + 1000);
    await until(() => w.caught.length === 1, 5000, 'Catch gets the expired input');
    w.caught[0].error.message.should.match(/(^|: )no EVSE data at Hubject for DE\*ABC\*E1\*1: .*holdMaxHours \(2 h\)/);
    applied.should.eql([]);
  });

  it('statusGate off sends at once even with a data node; on holds without one; auto holds only with one', async function () {
    let { w, gate } = await load({ statusGate: 'off' });
    fakeDataNode(gate);
    send(w, rec(1, 'Occupied'));
    await until(() => w.completed.length === 1, 10000, 'off: sent');
    await restart();

    ({ w, gate } = await load({ statusGate: 'on' }));
    send(w, rec(2, 'Occupied'));
    await until(() => gate.heldCount === 1, 5000, 'on: held without a data node');

    await restart();
    sim.clearState();
    applied.length = 0;
    ({ w, gate } = await load({ statusGate: 'auto' }));
    // E2, held in the run before, is restored from disk.
    gate
      .heldRecords()
      .map((e) => e.record.EvseID)
      .should.eql([id(2)]);
    send(w, rec(3, 'Reserved'));
    await until(() => w.completed.length === 1, 10000, 'auto without a data node: sent');
    gate.active.should.be.false();
    fakeDataNode(gate);
    gate.active.should.be.true();
    send(w, rec(4, 'Reserved'));
    await until(() => gate.heldCount === 2, 5000, 'auto with a data node: held');
    gate
      .heldRecords()
      .map((e) => e.record.EvseID)
      .should.eql([id(2), id(4)]);
    applied.map((a) => a[1]).should.eql([id(3)]);
  });

  it('a statusGate other than auto, on or off warns at deploy and works as auto; an invalid config has no gate', async function () {
    await helper.load(NODES, flow({ statusGate: 'always' }));
    const hub = helper.getNode('hub1');
    hub.hubject.warnings.should.containEql("statusGate 'always' is not auto, on or off: auto is used");
    hub.hubject.gate.mode.should.equal('auto');
    await restart();
    await helper.load(NODES, flow({ operatorId: 'DE_BAD' }));
    (helper.getNode('hub1').hubject.gate === null).should.be.true();
  });

  it('a status fullLoad leaves out EVSEs without acknowledged data, says how many, and holds them', async function () {
    const { w, gate } = await load();
    const data = fakeDataNode(gate, [id(1), id(3)]);
    send(w, [rec(1, 'Available'), rec(2, 'Occupied'), rec(3, 'Reserved'), rec(4, 'OutOfService')], { action: 'fullLoad', _msgid: 'fl' });
    await until(() => w.out.length === 1, 10000, 'fullLoad acknowledged');
    w.out[0].oicp.action.should.equal('fullLoad');
    w.out[0].oicp.records.should.equal(2);
    w.out[0].oicp.heldForData.should.equal(2);
    w.warns.some((x) => /leaves out 2 of 4 EVSEs/.test(x)).should.be.true();
    pullStatuses(sim).should.eql({ [id(1)]: 'Available', [id(3)]: 'Reserved' });
    await until(() => w.completed.length === 1, 5000, 'the fullLoad input completes on its own answer');
    data.acknowledge([id(4)]);
    await until(() => pullStatuses(sim)[id(4)] === 'OutOfService', 10000, 'a left-out EVSE goes once its data is acknowledged');
    gate.heldCount.should.equal(1);
  });
});
