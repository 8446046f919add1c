'use strict';
const fs = require('fs');
const should = require('should');
const helper = require('node-red-node-test-helper');
const { startSim } = require('./support/sim');
const { nodeFiles, hubjectNodes, tmpUserDir, until, observers, watchNode } = require('./support/flows');
const { sleep } = require('./support/until');
const openapi = require('./support/openapi');
const { forgetQueues } = require('../nodes/push/registry');

helper.init(require.resolve('node-red'));

const dataNode = require('../nodes/oicp-push-evse-data.js');
const NODES = [nodeFiles.tls, nodeFiles.config, nodeFiles.push, dataNode, nodeFiles.catch, nodeFiles.complete];

/** A complete record as a CPO gives it (OICP field names), with normalisations to do: alpha-2 country, {lat, lon}, a local phone spelling, an OCPP plug. */
function record(i, over = {}) {
  return {
    EvseID: `DE*ABC*E${String(i).padStart(4, '0')}*1`,
    ChargingStationId: `ST${i}`,
    ChargingStationNames: [{ lang: 'de', value: `Ladestation ${i}` }],
    Address: { Country: 'DE', City: 'Berlin', Street: 'EUREF Campus', PostalCode: '10829', HouseNum: String(i) },
    GeoCoordinates: { lat: 52.480495, lon: 13.356465 },
    Plugs: ['cType2'],
    ChargingFacilities: [{ PowerType: 'AC_3_PHASE', Power: 22 }],
    RenewableEnergy: true,
    CalibrationLawDataAvailability: 'Not Available',
    AuthenticationModes: ['NFC RFID Classic', 'REMOTE'],
    PaymentOptions: ['Contract'],
    ValueAddedServices: ['None'],
    Accessibility: 'Free publicly accessible',
    HotlinePhoneNumber: '0049 (30) 123-456',
    IsOpen24Hours: true,
    IsHubjectCompatible: true,
    DynamicInfoAvailable: true,
    ...over,
  };
}
const id = (i) => `DE*ABC*E${String(i).padStart(4, '0')}*1`;

describe('push evse data node (real runtime, simulator over mutual TLS)', function () {
  this.timeout(60000);
  let sim, certs, url, userDir;
  // Every data body that reaches the simulator, for the OpenAPI check at the end.
  const bodies = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2, onPush: (body, _op, operation) => operation === 'data' && bodies.push(body) }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(function (done) {
    userDir = tmpUserDir('oicp-data-node-');
    helper.settings({ userDir });
    sim.clearState();
    sim.clearFaults();
    sim.resetStats();
    sim.setLatency(2);
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

  describe('bodies sent to the simulator', function () {
    it("every one validates against Hubject's OpenAPI file", function () {
      openapi.requireOpenApi(this, 'the OpenAPI check of the pushed data bodies');
      const invalid = [];
      for (const body of bodies) {
        try {
          openapi.assertPushEvseData(body);
        } catch (e) {
          invalid.push(e.message);
        }
      }
      invalid.should.eql([]);
      bodies.length.should.be.above(10);
    });
  });

  function flow(data = {}, hub = {}) {
    const [tls, config] = hubjectNodes(certs, url);
    return [
      tls,
      { ...config, ...hub },
      { id: 'd1', type: 'oicp-push-evse-data', hubject: 'hub1', action: 'auto', time: '', minRatio: 0.5, wires: [['out']], ...data },
      { id: 'out', type: 'helper' },
      ...observers(['d1']),
    ];
  }
  const dataPushes = () => sim.requestLog.filter((e) => e.kind === 'push' && e.operation === 'data');

  it('normalises, sends, and fails a bad record with its record, field and rule while the rest goes; the next message still works', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    w.node.receive({
      payload: [
        record(1, { deltaType: 'insert', lastUpdate: '2026-01-01T00:00:00.000Z' }),
        record(2, { Address: { Country: 'Germany', City: 'Berlin', Street: 'S', PostalCode: '1', HouseNum: '1' } }),
      ],
    });
    await until(() => w.caught.length === 1, 10000, 'error for record 2');
    const msg = w.caught[0].error.message;
    msg.should.match(/record 2 \(DE\*ABC\*E0002\*1\)/);
    msg.should.match(/Address\.Country/);
    msg.should.match(/Germany/);
    const held = sim.getData('DE*ABC');
    held.size.should.equal(1);
    const r = held.get(id(1));
    r.Address.Country.should.equal('DEU');
    r.HotlinePhoneNumber.should.equal('+4930123456');
    r.GeoCoordinates.should.eql({ Google: { Coordinates: '52.480495 13.356465' } });
    r.Plugs.should.eql(['Type 2 Connector (Cable Attached)']);
    r.DynamicInfoAvailable.should.equal('true');
    r.ChargingStationID.should.equal('ST1');
    r.should.not.have.properties('ChargingStationId', 'deltaType', 'lastUpdate');
    // The output names the rejected record beside the acknowledgement.
    await until(() => w.out.length === 1, 5000, 'output');
    w.out[0].oicp.operation.should.equal('data');
    w.out[0].oicp.action.should.equal('insert');
    w.out[0].oicp.statusCode.should.equal('000');
    w.out[0].oicp.rejected.should.have.length(1);
    w.out[0].oicp.rejected[0].should.containEql({ index: 2, EvseID: id(2), field: 'Address.Country' });

    w.node.receive({ payload: record(3) });
    await until(() => sim.getData('DE*ABC').size === 2, 10000, 'record 3 at the simulator');
    await until(() => w.completed.length === 1, 5000, 'record 3 completed');
    w.caught.length.should.equal(1);
  });

  it('auto sends insert first, then update; an equal record is not sent again', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: record(1) });
    await until(() => w.completed.length === 1, 10000, 'insert acknowledged');
    w.node.receive({ payload: record(1, { ChargingStationNames: [{ lang: 'de', value: 'Neu' }] }) });
    await until(() => w.completed.length === 2, 10000, 'update acknowledged');
    w.node.receive({ payload: record(1, { ChargingStationNames: [{ lang: 'de', value: 'Neu' }] }) });
    await until(() => w.completed.length === 3, 10000, 'unchanged record done');
    dataPushes()
      .map((e) => e.action)
      .should.eql(['insert', 'update']);
    sim.getData('DE*ABC').get(id(1)).ChargingStationNames[0].value.should.equal('Neu');
    w.caught.length.should.equal(0);
  });

  it('delete with a bare EvseID sends the stored acknowledged record', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: [record(1), record(2)] });
    await until(() => w.completed.length === 1, 10000, 'insert acknowledged');
    const before = bodies.length;
    w.node.receive({ payload: [id(1)], action: 'delete' });
    await until(() => w.completed.length === 2, 10000, 'delete acknowledged');
    const body = bodies.slice(before).find((b) => b.ActionType === 'delete');
    body.OperatorEvseData.EvseDataRecord.should.have.length(1);
    body.OperatorEvseData.EvseDataRecord[0].EvseID.should.equal(id(1));
    body.OperatorEvseData.EvseDataRecord[0].Address.Country.should.equal('DEU');
    [...sim.getData('DE*ABC').keys()].should.eql([id(2)]);
    // A bare EvseID the node never got acknowledged is an error naming it.
    w.node.receive({ payload: [id(9)], action: 'delete' });
    await until(() => w.caught.length === 1, 10000, 'error for unknown delete');
    w.caught[0].error.message.should.match(/E0009.*no stored record|has not acknowledged data/);
  });

  it('guards the fullLoad: a collapsed one is guarded with a warning unless msg.force; "fullLoad" sends every record held', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: [1, 2, 3, 4].map((i) => record(i)) });
    await until(() => w.completed.length === 1, 10000, 'insert acknowledged');
    w.node.receive({ topic: 'fullLoad' });
    await until(() => w.completed.length === 2, 10000, 'stored fullLoad acknowledged');
    dataPushes().pop().should.containEql({ action: 'fullLoad', records: 4 });

    const sent = dataPushes().length;
    w.node.receive({ payload: [record(1)], action: 'fullLoad' });
    await until(() => w.completed.length === 3, 10000, 'held-back message done');
    w.warns.some((x) => /guarded/.test(x) && /fewer than 0\.5 x the 4 EVSEs Hubject holds/.test(x)).should.be.true();
    dataPushes().length.should.equal(sent);
    sim.getData('DE*ABC').size.should.equal(4);

    w.node.receive({ payload: [], action: 'fullLoad' });
    await until(() => w.completed.length === 4, 10000, 'empty fullLoad done');
    dataPushes().length.should.equal(sent);

    w.node.receive({ payload: [record(1)], action: 'fullLoad', force: true });
    await until(() => w.completed.length === 5, 10000, 'forced fullLoad acknowledged');
    [...sim.getData('DE*ABC').keys()].should.eql([id(1)]);
  });

  it('keeps to 375 data requests in any rolling minute under a burst', async function () {
    // One record per request, so 400 records are 400 requests.
    await helper.load(NODES, flow({}, { maxRecords: 1 }));
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: Array.from({ length: 400 }, (_, i) => record(i + 1)) });
    await until(() => dataPushes().length >= 375, 40000, '375 data requests');
    // The next requests wait for the window: give a wrongly unlimited lane the time to show it.
    await sleep(1000);
    dataPushes().length.should.equal(375);
    sim.peakPerMinute('DE*ABC', 'data').should.equal(375);
    helper.getNode('hub1').hubject.lane('data').queued.should.equal(25);
    w.caught.length.should.equal(0);
  });

  it('data and status go at the same time, each lane strictly one request after the other', async function () {
    await helper.load(NODES, [...flow(), { id: 'p1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'update', wires: [[]] }]);
    const d = helper.getNode('d1');
    const p = helper.getNode('p1');
    sim.seedState(
      'DE*ABC',
      [1, 2, 3, 4, 5, 6].map((i) => ({ EvseID: id(i), EvseStatus: 'Available' })),
    );
    sim.setLatency(150);
    for (let round = 0; round < 3; round++) {
      for (let i = 1; i <= 6; i++) {
        d.receive({ payload: record(i, { ChargingStationNames: [{ lang: 'de', value: `Runde ${round}` }] }) });
        p.receive({ payload: { EvseID: id(i), EvseStatus: round % 2 ? 'Occupied' : 'Available' } });
      }
      await sleep(200);
    }
    await until(() => [...sim.getData('DE*ABC').values()].every((r) => r.ChargingStationNames[0].value === 'Runde 2'), 20000, 'last data round');
    const log = sim.requestLog.filter((e) => e.kind === 'push' && e.endedAt);
    const data = log.filter((e) => e.operation === 'data');
    const status = log.filter((e) => e.operation === 'status');
    data.length.should.be.above(1);
    status.length.should.be.above(1);
    const overlapping = data.some((a) => status.some((b) => a.startedAt < b.endedAt && b.startedAt < a.endedAt));
    overlapping.should.be.true('a data request and a status request were in flight together');
    const byOp = sim.stats.byOperator;
    const dataKey = Object.keys(byOp).find((k) => k.endsWith('|data'));
    const statusKey = Object.keys(byOp).find((k) => !k.endsWith('|data'));
    byOp[dataKey].maxInFlight.should.equal(1);
    byOp[statusKey].maxInFlight.should.equal(1);
    byOp[dataKey].overlaps.should.equal(0);
    byOp[statusKey].overlaps.should.equal(0);
  });

  it('reports to the status gate: acknowledged after 000 and "known", rejected for good; "known" sends nothing', async function () {
    // minRatio 0: the known-only guard, not the ratio guard, is what holds the fullLoad below.
    await helper.load(NODES, flow({ minRatio: 0 }));
    const w = watchNode(helper, 'd1');
    const seen = { acked: [], rejected: [] };
    // Listen on the config node's real gate: what the data node reports reaches it.
    const gate = helper.getNode('hub1').hubject.gate;
    const acknowledged = gate.dataAcknowledged.bind(gate);
    const rejected = gate.dataRejected.bind(gate);
    gate.dataAcknowledged = (ids) => {
      seen.acked.push(...ids);
      acknowledged(ids);
    };
    gate.dataRejected = (f) => {
      seen.rejected.push(...f);
      rejected(f);
    };
    w.node.receive({ payload: record(1) });
    await until(() => w.completed.length === 1, 10000, 'insert acknowledged');
    seen.acked.should.eql([id(1)]);

    w.node.receive({ topic: 'known', payload: [id(7), 'DE*ABC*E0008*1'] });
    await until(() => w.completed.length === 2, 10000, 'known done');
    seen.acked.should.eql([id(1), id(7), id(8)]);
    dataPushes().length.should.equal(1);
    // A stored fullLoad would delete the EVSEs only marked known: guarded, with the reason.
    w.node.receive({ topic: 'fullLoad' });
    await until(() => w.completed.length === 3, 10000, 'guarded fullLoad done');
    w.warns.some((x) => /2 EVSE\(s\) are only marked known/.test(x)).should.be.true(w.warns.join('\n'));
    dataPushes().length.should.equal(1);
    w.node.receive({ topic: 'known', payload: ['not an id'] });
    await until(() => w.caught.length === 1, 10000, 'error for a bad EvseID');
    w.caught[0].error.message.should.match(/not an id/);

    // Hubject refuses the record for good (a 400 naming it): the gate hears why.
    sim.injectFault({ kind: 'http', status: 400, index: 0, count: 5 });
    w.node.receive({ payload: record(2) });
    await until(() => w.caught.length === 2, 10000, 'rejection');
    seen.rejected.map((f) => f.EvseID).should.eql([id(2)]);
    seen.rejected[0].reason.should.match(/400/);
  });

  it('a 400 FaultBody naming operatorEvseData.evseDataRecord[N] fails that record only; the rest of the bundle lands', async function () {
    await helper.load(NODES, flow());
    const w = watchNode(helper, 'd1');
    sim.injectFault({ kind: 'http', status: 400, index: 1, count: 1 });
    w.node.receive({ payload: [record(1), record(2), record(3)] });
    await until(() => w.caught.length === 1, 10000, 'the rejection');
    w.caught[0].error.message.should.match(/E0002/);
    w.caught[0].error.message.should.match(/evseDataRecord\[1\]/);
    await until(() => sim.getData('DE*ABC').size === 2, 10000, 'the other two records');
    [...sim.getData('DE*ABC').keys()].sort().should.eql([id(1), id(3)]);
  });

  it('is red at deploy with a schedule or defaults that cannot work, naming the value and the rule', async function () {
    for (const [data, re] of [
      [{ time: '25:99' }, /25:99/],
      [{ defaults: { PaymentOptions: ['No Payment', 'Contract'] } }, /No Payment/],
      [{ defaults: { HotlinePhoneNumber: '030 123456' } }, /HotlinePhoneNumber.*030 123456/],
    ]) {
      await helper.load(NODES, flow(data));
      const w = watchNode(helper, 'd1');
      w.node.receive({ payload: record(1) });
      await until(() => w.caught.length === 1, 5000, 'error');
      w.caught[0].error.message.should.match(re);
      w.lastStatus().fill.should.equal('red');
      await helper.unload();
    }
    dataPushes().length.should.equal(0);
  });

  it('is red at deploy when the config has no OperatorName, and fails its input saying so', async function () {
    await helper.load(NODES, flow({}, { operatorName: '' }));
    const w = watchNode(helper, 'd1');
    w.node.receive({ payload: record(1) });
    await until(() => w.caught.length === 1, 5000, 'error');
    w.caught[0].error.message.should.match(/OperatorName/);
    dataPushes().length.should.equal(0);
  });

  it('the simulator refuses status for EVSEs without data (018) once switched on, and takes it after the data', async function () {
    sim.setRequireData(true);
    // With the status gate on, the node would hold that status itself; off, the simulator's own check answers.
    const nodes = flow({}, { statusGate: 'off' }).filter((n) => !['c1', 'caught', 'cmp', 'completed'].includes(n.id));
    await helper.load(NODES, [
      ...nodes,
      { id: 'p1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'insert', wires: [[]] },
      ...observers(['d1', 'p1']),
    ]);
    const w = watchNode(helper, 'd1');
    const fromP1 = () => w.caught.filter((m) => m.error.source.id === 'p1');
    helper.getNode('p1').receive({ payload: { EvseID: id(1), EvseStatus: 'Available' } });
    await until(() => fromP1().length === 1, 10000, 'status refused');
    fromP1()[0].error.message.should.match(/018/);
    w.node.receive({ payload: record(1) });
    await until(() => w.completed.length === 1, 10000, 'data acknowledged');
    helper.getNode('p1').receive({ payload: { EvseID: id(1), EvseStatus: 'Available' } });
    await until(() => sim.getStatus('DE*ABC', id(1)) === 'Available', 10000, 'status taken');
  });

  it('with the status gate on auto, a status waits for its EVSE data and goes out once Hubject acknowledged the data', async function () {
    sim.setRequireData(true);
    const nodes = flow().filter((n) => !['c1', 'caught', 'cmp', 'completed'].includes(n.id));
    await helper.load(NODES, [
      ...nodes,
      { id: 'p1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'insert', wires: [[]] },
      ...observers(['d1', 'p1']),
    ]);
    const w = watchNode(helper, 'd1');
    const fromP1 = (list) => list.filter((m) => (m.error ? m.error.source.id : m.source && m.source.id) === 'p1');
    const gate = helper.getNode('hub1').hubject.gate;
    gate.active.should.be.true('a data node turns the auto gate on');
    helper.getNode('p1').receive({ payload: { EvseID: id(1), EvseStatus: 'Available' } });
    await until(() => gate.heldCount === 1, 10000, 'the status held for data');
    should(sim.getStatus('DE*ABC', id(1))).be.undefined();
    w.node.receive({ payload: record(1) });
    await until(() => sim.getStatus('DE*ABC', id(1)) === 'Available', 10000, 'status sent after the data');
    gate.heldCount.should.equal(0);
    fromP1(w.caught).length.should.equal(0, 'no 018: the simulator had the data first');
  });
});
