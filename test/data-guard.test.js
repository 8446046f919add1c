'use strict';
// Issue 19: EVSE data that can never delete EVSEs at Hubject by accident. One test per row, each against the
// simulator over mutual TLS with a real Node-RED runtime.
const fs = require('fs');
const path = require('path');
require('should');
const helper = require('node-red-node-test-helper');
const { startSim } = require('./support/sim');
const { nodeFiles, hubjectNodes, tmpUserDir, until, observers, watchNode } = require('./support/flows');
const { sleep } = require('./support/until');
const { forgetQueues, outboxPath } = require('../nodes/push/registry');
const { EvseDataStore } = require('../nodes/evse-data/store');

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
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

describe('EVSE data guards against what Hubject holds (issue 19; real runtime, simulator over mutual TLS)', function () {
  this.timeout(60000);
  let sim, certs, url, userDir;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1 }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(function (done) {
    userDir = tmpUserDir('oicp-data-guard-');
    helper.settings({ userDir });
    sim.clearState();
    sim.clearFaults();
    sim.resetStats();
    sim.setRequireData(false);
    helper.startServer(done);
  });
  afterEach(async function () {
    await helper.unload();
    forgetQueues();
    await sleep(50);
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  function flow(data = {}, hub = {}, extra = []) {
    const [tls, config] = hubjectNodes(certs, url);
    return [
      tls,
      { ...config, ...hub },
      { id: 'd1', type: 'oicp-push-evse-data', hubject: 'hub1', action: 'auto', time: '', minRatio: 0.5, wires: [['out']], ...data },
      { id: 'out', type: 'helper' },
      ...extra,
      ...observers(['d1', ...extra.filter((n) => n.type !== 'helper').map((n) => n.id)]),
    ];
  }
  const dataPushes = () => sim.requestLog.filter((e) => e.kind === 'push' && e.operation === 'data');
  const held = () => [...sim.getData('DE*ABC').keys()].sort();
  const operatorStoreDir = () => path.join(userDir, 'oicp', 'evse-data', path.basename(outboxPath(userDir, 'DE*ABC', url), '.json'));

  it('row 1: after a fullLoad of 10 and 100 inserts, a fullLoad of 6 is guarded (Hubject holds 110), the stored one goes', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: range(1, 10).map((i) => record(i)), action: 'fullLoad' });
    await until(() => w.completed.length === 1, 10000, 'first fullLoad');
    w.node.receive({ payload: range(11, 110).map((i) => record(i)) });
    await until(() => w.completed.length === 2, 10000, 'inserts');
    held().length.should.equal(110);
    const sent = dataPushes().length;

    w.node.receive({ payload: range(1, 6).map((i) => record(i)), action: 'fullLoad' });
    await until(() => w.completed.length === 3, 10000, 'held-back fullLoad done');
    w.warns.some((x) => /guarded/.test(x) && /fewer than 0\.5 x the 110 EVSEs Hubject holds/.test(x)).should.be.true(w.warns.join('\n'));
    dataPushes().length.should.equal(sent);
    held().length.should.equal(110);
    w.lastStatus().fill.should.equal('yellow');

    // The stored fullLoad is every EVSE Hubject holds: it passes.
    w.node.receive({ topic: 'fullLoad' });
    await until(() => w.completed.length === 4, 10000, 'stored fullLoad');
    await until(() => dataPushes().length === sent + 1, 10000, 'stored fullLoad sent');
    dataPushes().pop().should.containEql({ action: 'fullLoad', records: 110 });
    held().length.should.equal(110);
  });

  it('row 2: a message fullLoad with a bad record is guarded whole and fails naming each bad record; Hubject keeps all 4', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: range(1, 4).map((i) => record(i)) });
    await until(() => w.completed.length === 1, 10000, 'insert of 4');
    const sent = dataPushes().length;
    const list = range(1, 4).map((i) => record(i, { ChargingStationNames: [{ lang: 'de', value: 'neu' }] }));
    list[1].HotlinePhoneNumber = '030 123';
    list[3].Address = { ...list[3].Address, Country: 'Germany' };
    w.node.receive({ payload: list, action: 'fullLoad', force: true });
    await until(() => w.caught.length === 1, 10000, 'the input fails');
    const err = w.caught[0].error;
    err.message.should.match(/guarded whole/);
    err.message.should.match(/record 2 \(DE\*ABC\*E0002\*1\): HotlinePhoneNumber/);
    err.message.should.match(/record 4 \(DE\*ABC\*E0004\*1\): Address\.Country/);
    dataPushes().length.should.equal(sent);
    held().should.eql(range(1, 4).map(id));
  });

  it('row 3: a fullLoad refused naming 7 of 10 is not re-sent as a fullLoad of 3; every record fails and the error names the count', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: range(1, 10).map((i) => record(i)), action: 'fullLoad' });
    await until(() => w.completed.length === 1, 10000, 'first fullLoad');
    const sent = dataPushes().length;
    sim.injectFault({ kind: 'result', code: '022', additionalInfo: range(1, 7).map(id).join(', '), count: 1 });
    w.node.receive({ payload: range(1, 10).map((i) => record(i, { ChargingStationNames: [{ lang: 'de', value: 'neu' }] })), action: 'fullLoad' });
    await until(() => w.caught.length === 1, 10000, 'the input fails');
    w.caught[0].error.message.should.match(/fullLoad guarded: Hubject refused 7 of its 10 records/);
    w.caught[0].error.message.should.match(
      /Hubject rejected 10 records, first fullLoad of EvseID DE\*ABC\*E0001\*1: 022 .*; the same for EvseID DE\*ABC\*E0002\*1, /,
    );
    w.caught[0].error.cause.rejected.should.have.length(10);
    await sleep(300);
    dataPushes().length.should.equal(sent + 1);
    held().length.should.equal(10);
    // Red, with the count, until a fullLoad is acknowledged again.
    const refused = /refused 7 records of the fullLoad; the other 3 are guarded/;
    await until(() => w.statuses.some((x) => x.fill === 'red' && refused.test(x.text)), 10000, 'red status naming the count');
  });

  it('row 3: a refused fullLoad whose rest passes the guard goes again without the refused records', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: range(1, 10).map((i) => record(i)), action: 'fullLoad' });
    await until(() => w.completed.length === 1, 10000, 'first fullLoad');
    sim.injectFault({ kind: 'result', code: '022', additionalInfo: id(3), count: 1 });
    w.node.receive({ payload: range(1, 10).map((i) => record(i)), action: 'fullLoad', force: true });
    await until(() => w.caught.length === 1, 10000, 'the refused record fails');
    await until(() => held().length === 9, 10000, 'the other 9 land');
  });

  it("row 4: two data nodes on one config share the store; either one's stored fullLoad covers every EVSE of the operator", async function () {
    const d2 = { id: 'd2', type: 'oicp-push-evse-data', hubject: 'hub1', action: 'auto', time: '', minRatio: 0.5, wires: [['out']] };
    await helper.load(NODES, flow({}, {}, [d2]));
    const w1 = watchNode(helper, 'd1');
    const w2 = helper.getNode('d2');
    w1.node.receive({ payload: [record(1), record(2)] });
    await until(() => held().length === 2, 10000, 'node 1 records');
    w2.receive({ payload: [record(3), record(4)] });
    await until(() => held().length === 4, 10000, 'node 2 records');
    await until(() => w1.completed.length === 2, 10000, 'both inputs complete');
    w1.node.receive({ topic: 'fullLoad' });
    await until(() => w1.completed.length === 3, 10000, 'fullLoad of node 1');
    await until(() => dataPushes().some((e) => e.action === 'fullLoad'), 10000, 'fullLoad sent');
    dataPushes().pop().should.containEql({ action: 'fullLoad', records: 4 });
    held().should.eql(range(1, 4).map(id));
    // And auto on node 2 knows node 1's EVSEs: a change goes as update.
    w2.receive({ payload: record(1, { ChargingStationNames: [{ lang: 'de', value: 'neu' }] }) });
    await until(() => sim.getData('DE*ABC').get(id(1)).ChargingStationNames[0].value === 'neu', 10000, 'update');
    dataPushes().pop().action.should.equal('update');
  });

  it('row 4: per-node stores of earlier versions are merged into the operator store on first start, and the log says so', async function () {
    for (const [nodeId, ids] of [
      ['d1', [1, 2]],
      ['d2', [3]],
    ]) {
      const st = new EvseDataStore({ dir: path.join(userDir, 'oicp', `evse-data-${nodeId}`) });
      await st.restore();
      st.acknowledgeTexts(
        'insert',
        ids.map(id),
        ids.map((i) => JSON.stringify(record(i))),
      );
      await st.close();
    }
    const d2 = { id: 'd2', type: 'oicp-push-evse-data', hubject: 'hub1', action: 'auto', time: '', minRatio: 0.5, wires: [['out']] };
    await helper.load(NODES, flow({}, {}, [d2]));
    const w = watchNode(helper, 'd1');
    // The stored fullLoad covers the EVSEs of both old stores (inputs wait for the migration).
    w.node.receive({ topic: 'fullLoad' });
    await until(() => dataPushes().length === 1, 10000, 'fullLoad');
    dataPushes()[0].should.containEql({ action: 'fullLoad', records: 3 });
    const said = helper
      .log()
      .args.map((a) => String(a[0] && a[0].msg))
      .filter((m) => /merged into the operator's store/.test(m));
    said.should.have.length(2);
    fs.readdirSync(path.join(userDir, 'oicp'))
      .filter((n) => /^evse-data-d[12]\.migrated-/.test(n))
      .length.should.equal(2);
    await until(() => held().length === 3, 10000, 'the 3 at the simulator');
    held().should.eql([1, 2, 3].map(id));
  });

  it('row 5: a status fullLoad the gate shrinks below minRatio is guarded with a warning; msg.force sends it', async function () {
    const s1 = { id: 's1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'update', wires: [[]] };
    await helper.load(NODES, flow({}, {}, [s1]));
    const w = watchNode(helper, 'd1');
    const s = watchNode(helper, 's1');
    w.node.receive({ payload: range(1, 4).map((i) => record(i)) });
    await until(() => w.completed.length === 1, 10000, 'data of 4');
    s.node.receive({ payload: range(1, 4).map((i) => ({ EvseID: id(i), EvseStatus: 'Available' })) });
    await until(() => sim.getState('DE*ABC').size === 4, 10000, '4 statuses at Hubject');
    // Hubject deletes the data of 3: the gate then holds their statuses.
    w.node.receive({ payload: [id(2), id(3), id(4)], action: 'delete', tag: 'delete' });
    // The input completes after the operator's store took the acknowledgement.
    await until(() => w.completed.some((m) => m.tag === 'delete'), 10000, 'data of 3 deleted');
    held().length.should.equal(1);
    const statusPushes = () => sim.requestLog.filter((e) => e.kind === 'push' && e.operation === 'status').length;
    const before = statusPushes();
    s.node.receive({ payload: range(1, 4).map((i) => ({ EvseID: id(i), EvseStatus: 'Occupied' })), action: 'fullLoad', tag: 'shrunk' });
    await until(() => s.completed.some((m) => m.tag === 'shrunk'), 10000, 'held-back status fullLoad done');
    s.warns.some((x) => /status fullLoad guarded: the gate left 1 of its 4 records/.test(x)).should.be.true(s.warns.join('\n'));
    statusPushes().should.equal(before);
    sim.getState('DE*ABC').size.should.equal(4);

    s.node.receive({ payload: range(1, 4).map((i) => ({ EvseID: id(i), EvseStatus: 'Occupied' })), action: 'fullLoad', force: true });
    await until(() => sim.getState('DE*ABC').size === 1, 10000, 'forced fullLoad of the 1');
  });

  it('row 9: a store that cannot be read makes the node yellow naming the file; inputs keep working', async function () {
    fs.mkdirSync(operatorStoreDir(), { recursive: true });
    fs.writeFileSync(path.join(operatorStoreDir(), 'snapshot.jsonl'), 'garbage\n');
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    // The journal engine renames what it cannot read aside and says so, naming the file.
    await until(() => w.lastStatus().fill === 'yellow' && /snapshot\.jsonl/.test(w.lastStatus().text || ''), 10000, 'yellow status');
    w.node.receive({ payload: record(1) });
    await until(() => held().length === 1, 10000, 'the insert still goes');
    // Its stored fullLoad could delete what it lost: guarded until msg.force or a full message.
    w.node.receive({ topic: 'fullLoad' });
    await until(() => w.warns.some((x) => /could not be read|is incomplete/.test(x)), 10000, 'guarded');
    dataPushes().length.should.equal(1);
  });

  it('row 10: HTTP 413 is a configuration fault: red, names the body size in MB, and is not retried (retryMax is 0.5 s here)', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    sim.injectFault({ kind: 'http', status: 413, count: 5 });
    w.node.receive({ payload: record(1) });
    await until(() => w.lastStatus().fill === 'red', 10000, 'red status');
    w.lastStatus().text.should.match(/413 the request body \(0\.0 MB\) is too large/);
    await sleep(2000);
    dataPushes().length.should.equal(1);
    w.lastStatus().fill.should.equal('red');
  });

  it('row 10: a data fullLoad above maxBodyMB is not sent; the node names the option and the alternative', async function () {
    await helper.load(NODES, flow({}, { maxBodyMB: 1 }));
    const w = watchNode(helper, 'd1');
    const big = range(1, 2500).map((i) => record(i));
    w.node.receive({ payload: big, action: 'fullLoad' });
    await until(() => w.completed.length === 1, 20000, 'held-back fullLoad done');
    w.warns.some((x) => /more than maxBodyMB \(1\.0 MB\)/.test(x) && /update\/insert in bundles/.test(x)).should.be.true(w.warns.join('\n'));
    dataPushes().length.should.equal(0);
  });

  it('row 11: {topic: "fullLoad", force: true} with an empty store sends an empty fullLoad', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    w.node.receive({ topic: 'fullLoad' });
    await until(() => w.completed.length === 1, 10000, 'unforced: guarded');
    dataPushes().length.should.equal(0);
    w.node.receive({ topic: 'fullLoad', force: true });
    await until(() => dataPushes().length === 1, 10000, 'forced empty fullLoad sent');
    dataPushes()[0].should.containEql({ action: 'fullLoad', records: 0 });
  });

  it('small things: dataRateLimit above 375 warns at deploy; a body of another OperatorID or OperatorName fails; 3.7 kW and 125 A say what to send', async function () {
    await helper.load(NODES, flow({}, { dataRateLimit: 400 }));
    const hub = helper.getNode('hub1');
    hub.hubject.warnings.some((x) => /dataRateLimit is 400 .*375/.test(x)).should.be.true(hub.hubject.warnings.join('\n'));
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: { ActionType: 'insert', OperatorEvseData: { OperatorID: 'DE*XYZ', OperatorName: 'Demo CPO', EvseDataRecord: [record(1)] } } });
    await until(() => w.caught.length === 1, 10000, 'other OperatorID');
    w.caught[0].error.message.should.match(/OperatorID "DE\*XYZ" is not this node's operator DE\*ABC/);
    w.node.receive({ payload: { ActionType: 'insert', OperatorEvseData: { OperatorID: 'DE*ABC', OperatorName: 'Other CPO', EvseDataRecord: [record(1)] } } });
    await until(() => w.caught.length === 2, 10000, 'other OperatorName');
    w.caught[1].error.message.should.match(/OperatorName "Other CPO" is not "Demo CPO"/);
    w.node.receive({ payload: record(1, { ChargingFacilities: [{ PowerType: 'AC_1_PHASE', Power: 3.7, Amperage: 125 }] }) });
    await until(() => w.caught.length === 3, 10000, 'power and amperage');
    w.caught[2].error.message.should.match(/3\.7 kW .*send 4 \(rounded\)|125 A .*omit Amperage/);
    dataPushes().length.should.equal(0);
    // The body of the right operator goes.
    w.node.receive({ payload: { ActionType: 'insert', OperatorEvseData: { OperatorID: 'DE*ABC', OperatorName: 'Demo CPO', EvseDataRecord: [record(1)] } } });
    await until(() => held().length === 1, 10000, 'right operator');
  });
});
