'use strict';
// Issue 19 rows 6, 7, 10 and 12, and issue 20 item 3, in a real Node-RED runtime against the simulator over mutual
// TLS: 022 recovery both ways (and the gate), auto after queued inserts and fullLoads (also restored), refusals with no
// input message reaching a real Catch node and the dead-letter list, the full rejected list, one spelling per EVSE.
require('should');
const fs = require('fs');
const path = require('path');
const helper = require('node-red-node-test-helper');
const { startSim } = require('./support/sim');
const { nodeFiles, hubjectNodes, tmpUserDir, until, observers, watchNode } = require('./support/flows');
const { sleep } = require('./support/until');
const { forgetQueues } = require('../nodes/push/registry');
const { allLaneStats, resetStats } = require('../nodes/ops/stats');
const { createMetrics } = require('../nodes/ops/metrics');
const { Journal } = require('../nodes/journal');

helper.init(require.resolve('node-red'));

const dataNode = require('../nodes/oicp-push-evse-data.js');
const { evseDataRecord } = require('./support/evse-data-record');
const NODES = [nodeFiles.tls, nodeFiles.config, nodeFiles.push, dataNode, nodeFiles.catch, nodeFiles.complete];

const id = (i) => `DE*ABC*E${String(i).padStart(4, '0')}*1`;
const record = (i, over = {}) =>
  evseDataRecord(id(i), {
    ChargingStationNames: [{ lang: 'de', value: `Ladestation ${i}` }],
    Address: { Country: 'DEU', City: 'Berlin', Street: 'EUREF Campus', PostalCode: '10829', HouseNum: String(i) },
    ...over,
  });

describe('every refusal heard, 022 recovery, one spelling per EVSE (real runtime, simulator over mutual TLS)', function () {
  this.timeout(60000);
  let sim, certs, url, userDir;
  // Every body that reaches the simulator: [operation, body].
  const bodies = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2, onPush: (body, _op, operation) => bodies.push([operation, body]) }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(function (done) {
    bodies.length = 0;
    userDir = tmpUserDir('oicp-refusal-');
    helper.settings({ userDir });
    sim.clearState();
    sim.clearFaults();
    sim.resetStats();
    sim.setLatency(2);
    sim.setRequireData(false);
    resetStats();
    helper.startServer(done);
  });
  afterEach(async function () {
    await restart();
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  function flow({ data = {}, hub = {}, status = false } = {}) {
    const [tls, config] = hubjectNodes(certs, url);
    const nodes = [
      tls,
      { ...config, ...hub },
      { id: 'd1', type: 'oicp-push-evse-data', hubject: 'hub1', action: 'auto', time: '', minRatio: 0.5, wires: [['out']], ...data },
      { id: 'out', type: 'helper' },
      ...observers(status ? ['d1', 's1'] : ['d1']),
    ];
    if (status) nodes.push({ id: 's1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'update', wires: [['sout']] }, { id: 'sout', type: 'helper' });
    return nodes;
  }
  async function load(opts) {
    await helper.load(NODES, flow(opts));
    return watchNode(helper, 'd1');
  }
  /** As a restart: unload, forget the queues and gates, and let the last writes land. */
  async function restart() {
    const hub = helper.getNode('hub1');
    const queues = hub ? [hub.hubject?.lane?.('status'), hub.hubject?.lane?.('data')].filter(Boolean) : [];
    await helper.unload();
    forgetQueues();
    for (const q of queues) {
      await q.flush();
      await q.deadLetters?.flush();
    }
    if (hub?.hubject?.gate) await hub.hubject.gate.flush();
    await sleep(50);
  }
  const dataBodies = () => bodies.filter(([op]) => op === 'data').map(([, b]) => b);
  const dataActions = () => dataBodies().map((b) => b.ActionType);
  const dataLane = () => allLaneStats().find((l) => l.labels.operation === 'data');

  /** Hubject holds these records, but the node's store does not know them (a lost store, another tool). */
  async function hubjectHoldsAlready(records) {
    const w = await load();
    w.node.receive({ payload: records });
    await until(() => w.completed.length === 1, 10000, 'seeded');
    await restart();
    // The operator's store (and a per-node store of an earlier version) forgotten.
    for (const dir of ['evse-data', 'evse-data-d1']) fs.rmSync(path.join(userDir, 'oicp', dir), { recursive: true, force: true });
    bodies.length = 0;
  }

  describe('row 6: 022 recovery', function () {
    it('an insert answered 022 goes once as update for the records it named; the held status goes out', async function () {
      await hubjectHoldsAlready([record(1)]);
      const w = await load({ status: true });
      const s1 = helper.getNode('s1');
      const gate = helper.getNode('hub1').hubject.gate;
      // Complete watches d1 and s1: each input is tagged, so the wait below is for the data input itself.
      const completed = (tag) => w.completed.filter((m) => m.tag === tag).length;
      // The store does not know E0001: its status is held for the data.
      s1.receive({ payload: { EvseID: id(1), EvseStatus: 'Occupied' }, tag: 'status' });
      await until(() => gate.heldCount === 1, 5000, 'status held');
      // Answers to the requests carrying E0002 come late: the released status's input completes first, as under load.
      sim.injectFault({ kind: 'latency', ms: 750, evseId: id(2), count: 2 });
      w.node.receive({ payload: [record(1, { ChargingStationNames: [{ lang: 'de', value: 'Neu' }] }), record(2)], tag: 'data' });
      await until(() => completed('data') === 1, 30000, 'data input completed', {
        describe: () =>
          JSON.stringify({
            bodies: bodies.map(([op, b]) => [
              op,
              b.ActionType,
              (b.OperatorEvseData?.EvseDataRecord ?? b.OperatorEvseStatus?.EvseStatusRecord ?? []).map((r) => r.EvseID),
            ]),
            status: w.statuses.slice(-3),
            caught: w.caught.map((m) => m.error?.message),
            warns: w.warns,
          }),
      });
      w.caught.should.have.length(0);
      // insert of both (022 names E0001), then update of E0001 and insert of E0002.
      dataActions().slice(0, 1).should.eql(['insert']);
      dataActions().slice(1).sort().should.eql(['insert', 'update']);
      const update = w.out.find((m) => m.oicp.action === 'update');
      update.oicp.should.match({ queuedAs: 'insert', attempts: 2, statusCode: '000' });
      sim.getData('DE*ABC').get(id(1)).ChargingStationNames[0].value.should.equal('Neu');
      sim.getData('DE*ABC').has(id(2)).should.be.true();
      // The status was released, not failed with "no EVSE data".
      await until(() => sim.getStatus('DE*ABC', id(1)) === 'Occupied', 10000, 'status at Hubject');
      gate.heldCount.should.equal(0);
      // Its input completes too, before or after the data input: the two lanes answer side by side.
      await until(() => completed('status') === 1, 10000, 'status input completed');
      w.completed.should.have.length(2);
      w.caught.should.have.length(0);
    });

    it('an insert answered 022 naming nothing goes once as update, whole', async function () {
      await hubjectHoldsAlready([record(3), record(4)]);
      const w = await load();
      sim.injectFault({ kind: 'result', code: '022', count: 1 });
      w.node.receive({ payload: [record(3, { HotlinePhoneNumber: '+4930999' }), record(4, { HotlinePhoneNumber: '+4930999' })] });
      await until(() => w.completed.length === 1, 30000, 'completed');
      w.caught.should.have.length(0);
      dataActions().should.eql(['insert', 'update']);
      sim.getData('DE*ABC').get(id(4)).HotlinePhoneNumber.should.equal('+4930999');
    });

    it('an update answered 022 goes once as insert, for data even with insertMissing off', async function () {
      const w = await load({ data: { action: 'update' }, hub: { insertMissing: false } });
      w.node.receive({ payload: [record(5)] });
      await until(() => w.completed.length === 1, 30000, 'completed');
      w.caught.should.have.length(0);
      dataActions().should.eql(['update', 'insert']);
      w.out[0].oicp.should.match({ action: 'insert', queuedAs: 'update', attempts: 2 });
      sim.getData('DE*ABC').has(id(5)).should.be.true();
    });
  });

  describe('row 7: auto after pending inserts and fullLoads', function () {
    it('a change of an EVSE inside a fullLoad still in flight goes as update after it', async function () {
      const w = await load();
      sim.setLatency(800);
      w.node.receive({ payload: [record(1), record(2), record(3)], action: 'fullLoad' });
      await until(() => bodies.length === 1, 5000, 'fullLoad in flight');
      w.node.receive({ payload: record(2, { ChargingStationNames: [{ lang: 'de', value: 'Neu' }] }) });
      await until(() => w.completed.length === 2, 15000, 'both inputs completed');
      w.caught.should.have.length(0);
      dataActions().should.eql(['fullLoad', 'update']);
      sim.getData('DE*ABC').get(id(2)).ChargingStationNames[0].value.should.equal('Neu');
    });

    it('knows the inserts restored from the outbox after a restart', async function () {
      let w = await load();
      sim.injectFault({ kind: 'http', status: 503, durationMs: 60000 });
      w.node.receive({ payload: [record(7), record(8)] });
      await until(() => bodies.length >= 1, 5000, 'insert tried');
      await restart();
      w = await load();
      // Still refused while the new input arrives: the restored insert is pending.
      w.node.receive({ payload: record(8, { ChargingStationNames: [{ lang: 'de', value: 'Neu' }] }) });
      await sleep(200);
      bodies.length = 0;
      sim.clearFaults();
      await until(() => w.completed.length === 1, 15000, 'change completed');
      w.caught.should.have.length(0);
      dataActions().should.eql(['insert', 'update']);
      sim.getData('DE*ABC').get(id(8)).ChargingStationNames[0].value.should.equal('Neu');
    });
  });

  describe('row 10: a refusal with no input message', function () {
    it('reaches a real Catch node with operation, action and records, and goes to the dead-letter list until sent again', async function () {
      let w = await load();
      sim.injectFault({ kind: 'http', status: 503, durationMs: 60000 });
      w.node.receive({ payload: [record(11), record(12)] });
      await until(() => bodies.length >= 1, 5000, 'insert tried');
      await restart();
      // After the restart the restored insert is refused for good: nobody waits for it.
      sim.clearFaults();
      sim.injectFault({ kind: 'result', code: '019', additionalInfo: `${id(11)}, ${id(12)}` });
      w = await load();
      await until(() => w.caught.length === 1, 15000, 'catch node message');
      const m = w.caught[0];
      m.oicp.should.match({ operation: 'data', action: 'insert', records: 2, deadLetter: true });
      m.payload.should.eql([id(11), id(12)]);
      m.error.source.id.should.equal('d1');
      m.error.message.should.match(/2 records, first insert of EvseID DE\*ABC\*E0011\*1: .*019.*; the same for EvseID DE\*ABC\*E0012\*1/);
      m.error.cause.rejected.map((r) => r.EvseID).should.eql([id(11), id(12)]);

      // The dead-letter list: in the lane state (sidebar), in the metrics, on disk.
      const lane = dataLane();
      await until(() => lane.state(Date.now()).deadLetters.count === 2, 5000, 'dead letters');
      lane.state(Date.now()).deadLetters.items[0].should.match({ id: id(11), operation: 'data', action: 'insert', code: '019' });
      (await createMetrics().text()).should.match(/oicp_dead_letters\{operator="DE\*ABC",operation="data"\} 2/);
      await helper.getNode('hub1').hubject.lane('data').deadLetters.flush();
      const dir = path.join(userDir, 'oicp', 'dead-letters');
      // On the journal engine: a look at the files, nothing renamed or written.
      const journal = fs.readdirSync(dir).find((f) => f.endsWith('-data.journal'));
      const onDisk = new Journal({ snapshot: path.join(dir, journal.replace(/\.journal$/, '.jsonl')), format: 'oicp-dead-letters' });
      onDisk.load(undefined, { readOnly: true });
      [...onDisk.values()].map((v) => v.id).should.eql([id(11), id(12)]);

      // A new record for E0012 clears its entry; "send again" sends the other.
      sim.clearFaults();
      w.node.receive({ payload: record(12) });
      await until(() => w.completed.length === 1, 10000, 'new record sent');
      lane.state(Date.now()).deadLetters.count.should.equal(1);
      lane.source.sendDeadLettersAgain().should.equal(1);
      await until(() => sim.getData('DE*ABC').has(id(11)), 10000, 'dead letter sent again');
      lane.state(Date.now()).deadLetters.count.should.equal(0);
    });
  });

  describe('issue 20 item 3: every error in full', function () {
    it('a Catch node gets every rejected record with its CSV row, and the status names the first and the count', async function () {
      const w = await load();
      const bad = (i) => record(i, { Address: { Country: 'Germany', City: 'Berlin', Street: 'S', PostalCode: '1', HouseNum: '1' } });
      // As the CSV node emits a whole file: one array, msg.columns from the header line.
      w.node.receive({ payload: [bad(1), record(2), bad(3)], columns: 'EvseID,Country' });
      await until(() => w.caught.length === 1, 10000, 'error');
      const err = w.caught[0].error;
      err.message.should.match(/^Error: 2 record\(s\) not sent: record 1 \(DE\*ABC\*E0001\*1\).*\(CSV row 2\); record 3 \(DE\*ABC\*E0003\*1\).*\(CSV row 4\)/);
      err.cause.rejected
        .map((r) => [r.index, r.row, r.EvseID, r.field])
        .should.eql([
          [1, 2, id(1), 'Address.Country'],
          [3, 4, id(3), 'Address.Country'],
        ]);
      // As the CSV node emits one message per row: parts.index counts data rows from 0.
      w.node.receive({ payload: bad(9), columns: 'EvseID,Country', parts: { id: 'x', index: 6, count: 10 } });
      await until(() => w.caught.length === 2, 10000, 'second error');
      w.caught[1].error.cause.rejected[0].row.should.equal(8);
      w.statuses.some((s) => s.fill === 'red' && /^1 record\(s\) not sent: record 1 \(DE\*ABC\*E0009\*1\)/.test(s.text)).should.be.true();
    });

    it('records Hubject rejects are all on msg.error.cause.rejected and named in the message', async function () {
      const w = await load();
      sim.injectFault({ kind: 'result', code: '018', count: 1, additionalInfo: `${id(21)} ${id(23)}` });
      w.node.receive({ payload: [record(21), record(22), record(23)] });
      await until(() => w.caught.length === 1, 10000, 'error');
      const err = w.caught[0].error;
      err.message.should.match(/Hubject rejected 2 records, first insert of EvseID DE\*ABC\*E0021\*1: .*; the same for EvseID DE\*ABC\*E0023\*1/);
      err.cause.rejected
        .map((r) => [r.EvseID, r.code])
        .should.eql([
          [id(21), '018'],
          [id(23), '018'],
        ]);
    });
  });

  describe('row 12: one spelling per EVSE', function () {
    it('data and status go in the spelling Hubject acknowledged first, with one warning', async function () {
      const w = await load({ status: true });
      const swatch = watchNode(helper, 's1', []);
      w.node.receive({ payload: record(1) });
      await until(() => w.completed.length === 1, 10000, 'insert');
      const other = 'DEABCE00011';
      w.node.receive({ payload: record(1, { EvseID: other, HotlinePhoneNumber: '+4930777' }) });
      await until(() => w.completed.length === 2, 10000, 'update');
      w.node.receive({ payload: record(1, { EvseID: other, HotlinePhoneNumber: '+4930778' }) });
      await until(() => w.completed.length === 3, 10000, 'second update');
      dataBodies()
        .map((b) => b.OperatorEvseData.EvseDataRecord[0].EvseID)
        .should.eql([id(1), id(1), id(1)]);
      [...sim.getData('DE*ABC').keys()].should.eql([id(1)]);
      sim.getData('DE*ABC').get(id(1)).HotlinePhoneNumber.should.equal('+4930778');
      w.warns.filter((x) => /DEABCE00011 is sent as DE\*ABC\*E0001\*1/.test(x)).should.have.length(1);

      helper.getNode('s1').receive({ payload: { EvseID: other, EvseStatus: 'Occupied' } });
      await until(() => bodies.some(([op]) => op === 'status'), 10000, 'status sent');
      const status = bodies.find(([op]) => op === 'status')[1];
      status.OperatorEvseStatus.EvseStatusRecord[0].EvseID.should.equal(id(1));
      swatch.warns.filter((x) => /DEABCE00011 is sent as DE\*ABC\*E0001\*1/.test(x)).should.have.length(1);
    });
  });
});
