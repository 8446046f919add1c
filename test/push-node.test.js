'use strict';
const fs = require('fs');
const should = require('should');
const helper = require('node-red-node-test-helper');
const { startSim, pullStatuses, pullViaHttp, statusesFromPull } = require('./support/sim');
const { nodeFiles, hubjectNodes, tmpUserDir, until, observers, sameStatuses } = require('./support/flows');
const { sleep } = require('./support/until');
const openapi = require('./support/openapi');
const { forgetQueues } = require('../nodes/push/registry');

helper.init(require.resolve('node-red'));

const rec = (n, s) => ({ EvseID: `DE*ABC*E${n}`, EvseStatus: s });
const NODES = [nodeFiles.tls, nodeFiles.config, nodeFiles.push, nodeFiles.catch, nodeFiles.complete];

describe('push evse status node (real runtime, simulator over mutual TLS)', function () {
  this.timeout(60000);
  let sim, certs, url, userDir;
  // Every body that reaches the simulator, for the OpenAPI check at the end.
  const bodies = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2, onPush: (body) => bodies.push(body) }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(function (done) {
    userDir = tmpUserDir('oicp-push-node-');
    helper.settings({ userDir });
    sim.clearState();
    sim.clearFaults();
    sim.resetStats();
    sim.setLatency(2);
    helper.startServer(done);
  });
  afterEach(async function () {
    const queue = helper.getNode('hub1')?.hubject.lane('status');
    await helper.unload();
    forgetQueues();
    // The stopped queue's last outbox write lands before its directory goes.
    if (queue) await queue.flush();
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  // A nested suite runs after every test of this one, so it sees all their bodies.
  describe('bodies sent to the simulator', function () {
    it("every one validates against Hubject's OpenAPI file", function () {
      openapi.requireOpenApi(this, 'the OpenAPI check of the pushed bodies');
      const invalid = [];
      for (const body of bodies) {
        try {
          openapi.assertPushEvseStatus(body);
        } catch (e) {
          invalid.push(e.message);
        }
      }
      invalid.should.eql([]);
      bodies.length.should.be.above(20);
    });
  });

  function flow(extra = {}, opts = {}) {
    return [
      ...hubjectNodes(certs, url, opts),
      { id: 'p1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'update', maxRecords: 500, insertMissing: true, wires: [['out']], ...extra },
      { id: 'out', type: 'helper' },
      ...observers(['p1']),
    ];
  }

  it('sends 1,000 concurrent inputs with no overlap and lands the truth', async function () {
    await helper.load(NODES, flow());
    const p1 = helper.getNode('p1');
    const completed = helper.getNode('completed');
    let completes = 0;
    completed.on('input', () => completes++);
    const truth = {};
    const statuses = ['Available', 'Occupied', 'Reserved', 'OutOfService'];
    for (let i = 0; i < 1000; i++) {
      const r = rec(i % 200, statuses[(i * 7) % 4]);
      truth[r.EvseID] = r.EvseStatus;
      p1.receive({ payload: r });
    }
    await until(() => completes === 1000, 30000, 'all 1000 inputs completed');
    sim.stats.overlaps.should.equal(0);
    sim.stats.maxInFlight.should.equal(1);
    pullStatuses(sim).should.eql(truth);
    statusesFromPull(await pullViaHttp(url, certs)).should.eql(truth);
    // Bundling: far fewer requests than changes.
    sim.stats.pushes.should.be.below(1000);
  });

  it('emits one message per finished request with the acknowledgement and facts', async function () {
    await helper.load(NODES, flow());
    const out = helper.getNode('out');
    const got = new Promise((r) => out.once('input', r));
    const statuses = [];
    helper.getNode('p1').on('call:status', (c) => statuses.push(c.args[0]));
    helper.getNode('p1').receive({ payload: rec(1, 'Available') });
    const msg = await got;
    msg.payload.Result.should.be.true();
    // Two requests: the update Hubject refused with 022, then the insert.
    msg.oicp.should.match({ action: 'insert', records: 1, httpStatus: 200, statusCode: '000', attempts: 2 });
    msg.oicp.processId.should.be.a.String();
    msg.oicp.durationMs.should.be.a.Number();
    // update of an unknown EVSE was re-sent as insert (insertMissing), and Hubject now holds it.
    pullStatuses(sim).should.eql({ 'DE*ABC*E1': 'Available' });
    await until(() => statuses.some((st) => st.fill === 'green' && st.text === '000 · 1 sent · 0 queued'), 5000, 'green 000 status');
  });

  it('rides out a 503 storm with backoff and then lands the truth', async function () {
    await helper.load(NODES, flow());
    sim.seedState(
      'DE*ABC',
      Array.from({ length: 50 }, (_, i) => rec(i, 'Available')),
    );
    sim.injectFault({ kind: 'http', status: 503, count: 6 });
    const p1 = helper.getNode('p1');
    const truth = pullStatuses(sim);
    for (let i = 0; i < 300; i++) {
      const r = rec(i % 50, i % 3 ? 'Occupied' : 'OutOfService');
      truth[r.EvseID] = r.EvseStatus;
      p1.receive({ payload: r });
    }
    await until(() => sameStatuses(pullStatuses(sim), truth), 30000, 'state equals truth');
    sim.stats.byStatus[503].should.equal(6);
    sim.stats.overlaps.should.equal(0);
  });

  it('honours Retry-After on 429', async function () {
    await helper.load(NODES, flow());
    sim.injectFault({ kind: 'http', status: 429, retryAfter: 1, count: 1 });
    const out = helper.getNode('out');
    const got = new Promise((r) => out.once('input', r));
    helper.getNode('p1').receive({ payload: { ActionType: 'insert', OperatorEvseStatus: { OperatorID: 'DE*ABC', EvseStatusRecord: [rec(9, 'Reserved')] } } });
    const msg = await got;
    msg.oicp.attempts.should.equal(2);
    const pushes = sim.requestLog.filter((l) => l.kind === 'push');
    (pushes[1].startedAt - pushes[0].startedAt).should.be.aboveOrEqual(1000);
  });

  it('reports an 018 inside a bundle once through Catch and lands the other 49', async function () {
    await helper.load(NODES, flow({ action: 'insert' }));
    sim.injectFault({ kind: 'result', code: '018', evseId: 'DE*ABC*E7' });
    const caught = [];
    helper.getNode('caught').on('input', (m) => caught.push(m));
    const completes = [];
    helper.getNode('completed').on('input', (m) => completes.push(m));
    helper.getNode('p1').receive({ payload: Array.from({ length: 50 }, (_, i) => rec(i, 'Available')) });
    await until(() => caught.length === 1, 20000, 'the 018 error reached Catch');
    await sleep(200);
    caught.length.should.equal(1);
    caught[0].error.message.should.match(/DE\*ABC\*E7.*018/);
    Object.keys(pullStatuses(sim)).length.should.equal(49);
    should.not.exist(pullStatuses(sim)['DE*ABC*E7']);
  });

  it('turns red with 017 when the OperatorID does not match the certificate, and does not flood', async function () {
    await helper.load(NODES, flow({}, { operatorId: 'DE*XYZ', certFor: 'DE*ABC', retryMax: 60 }));
    const p1 = helper.getNode('p1');
    const statuses = [];
    p1.on('call:status', (c) => statuses.push(c.args[0]));
    p1.receive({ payload: { EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' } });
    await until(
      () => statuses.some((s) => s.fill === 'red' && /017/.test(s.text) && /check OperatorID and client certificate/.test(s.text)),
      10000,
      'red 017 status',
    );
    await sleep(300);
    sim.stats.pushes.should.equal(1);
  });

  it('reports a server CA it does not trust as a readable configuration error', async function () {
    await helper.load(NODES, flow({}, { ca: certs.otherCaCert }));
    const p1 = helper.getNode('p1');
    const statuses = [];
    p1.on('call:status', (c) => statuses.push(c.args[0]));
    p1.receive({ payload: rec(1, 'Available') });
    await until(() => statuses.some((s) => s.fill === 'red' && /not trusted/.test(s.text)), 10000, 'red TLS status');
    sim.stats.pushes.should.equal(0);
  });

  it('holds changes behind an expired client certificate and sends them after the fix', async function () {
    const f = flow({}, { clientCert: certs.expiredClientCert, clientKey: certs.expiredClientKey });
    await helper.load(NODES, f);
    const p1 = helper.getNode('p1');
    const statuses = [];
    p1.on('call:status', (c) => statuses.push(c.args[0]));
    p1.receive({ payload: rec(11, 'Occupied') });
    await until(
      () => statuses.some((s) => s.fill === 'red' && /client certificate expired/.test(s.text) && /1 queued/.test(s.text)),
      5000,
      'red expired status',
    );
    sim.stats.pushes.should.equal(0);
    // Fix the tls-config and redeploy: the queued change goes out.
    const fixed = flow();
    await helper.setFlows(fixed);
    await until(() => pullStatuses(sim)['DE*ABC*E11'] === 'Occupied', 10000, 'held change delivered after the fix');
  });

  it('keeps a fullLoad whole and ordered with updates', async function () {
    await helper.load(NODES, flow({ maxRecords: 10 }));
    const p1 = helper.getNode('p1');
    p1.receive({ payload: rec(100, 'Occupied') });
    p1.receive({ action: 'fullLoad', payload: Array.from({ length: 40 }, (_, i) => rec(i, 'Available')) });
    p1.receive({ payload: rec(3, 'Occupied') });
    await until(() => pullStatuses(sim)['DE*ABC*E3'] === 'Occupied', 10000);
    const pushes = sim.requestLog.filter((l) => l.kind === 'push' && l.httpStatus === 200);
    const fl = pushes.filter((l) => l.action === 'fullLoad');
    fl.length.should.equal(1);
    fl[0].records.should.equal(40);
    const s = pullStatuses(sim);
    Object.keys(s).length.should.equal(40);
    should.not.exist(s['DE*ABC*E100']);
  });

  it('takes a 20,000-EVSE fullLoad in slices, as one request, ahead of the update that follows it', async function () {
    await helper.load(NODES, flow());
    const p1 = helper.getNode('p1');
    const completes = [];
    helper.getNode('completed').on('input', (m) => completes.push(m));
    const out = [];
    helper.getNode('out').on('input', (m) => out.push(m));
    p1.receive({ action: 'fullLoad', payload: Array.from({ length: 20000 }, (_, i) => rec(i, 'Available')) });
    p1.receive({ payload: rec(19999, 'Occupied') });
    await until(() => completes.length === 2, 30000, 'both messages completed');
    const pushes = sim.requestLog.filter((l) => l.kind === 'push' && l.httpStatus === 200);
    pushes
      .map((l) => [l.action, l.records])
      .should.eql([
        ['fullLoad', 20000],
        ['update', 1],
      ]);
    const state = pullStatuses(sim);
    Object.keys(state).length.should.equal(20000);
    state['DE*ABC*E19999'].should.equal('Occupied');
    should.not.exist(out[0].oicp.EvseIDs);
    out[1].oicp.EvseIDs.should.eql(['DE*ABC*E19999']);
  });

  it('gives an invalid message a catchable error and still handles the next one', async function () {
    await helper.load(NODES, flow());
    const caught = [];
    helper.getNode('caught').on('input', (m) => caught.push(m));
    const p1 = helper.getNode('p1');
    p1.receive({ payload: { EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' } });
    p1.receive({ payload: 'nonsense' });
    p1.receive({ action: 'fullLoad', payload: [] });
    p1.receive({ payload: rec(5, 'Reserved') });
    await until(() => pullStatuses(sim)['DE*ABC*E5'] === 'Reserved', 10000);
    caught.map((m) => m.error.message).should.match([/does not belong to operator/, /payload must be/, /empty fullLoad deletes every EVSE/]);
  });
});
