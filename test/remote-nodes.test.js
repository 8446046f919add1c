'use strict';
// Issue 23 in a real Node-RED runtime: oicp-cpo-endpoint (own mutual-TLS server), oicp-remote-in and
// oicp-remote-response, called by the simulator with its "Hubject" client certificate. An accepted remote start
// enters the session store, the charger's StartTransaction is linked to Hubject's SessionID by oicp-authorize (no
// AuthorizeStart), the remote stop carries the transactionId. Proxy mode on a non-loopback address is red at deploy,
// and a redeploy while a request waits answers it false.
const fs = require('fs');
const assert = require('assert');
const helper = require('node-red-node-test-helper');
const { startSim } = require('./support/sim');
const { nodeFiles, hubjectNodes, tmpUserDir } = require('./support/flows');
const { until } = require('./support/until');
const { freePort } = require('./support/red-process');
const { forgetQueues } = require('../nodes/push/registry');
const { opsState, resetStats } = require('../nodes/ops/stats');

helper.init(require.resolve('node-red'));

const NODES = [
  nodeFiles.tls,
  nodeFiles.config,
  nodeFiles.catch,
  require('@node-red/nodes/core/function/10-function.js'),
  require('../nodes/oicp-cpo-endpoint.js'),
  require('../nodes/oicp-remote-in.js'),
  require('../nodes/oicp-remote-response.js'),
  require('../nodes/oicp-authorize.js'),
];
const EVSE = 'DE*ABC*ECP1*1';

describe('oicp-cpo-endpoint, oicp-remote-in and oicp-remote-response (real runtime, simulator as Hubject)', function () {
  this.timeout(60000);
  let sim, certs, url, userDir, port;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1 }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(async function () {
    userDir = tmpUserDir('oicp-remote-');
    helper.settings({ userDir });
    sim.authorization.clear();
    port = await freePort();
    await new Promise((r) => helper.startServer(r));
  });
  afterEach(async function () {
    await helper.unload();
    forgetQueues();
    resetStats(); // lane stats are keyed by the simulator's URL: later files' metrics must not see this one's lanes
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** The endpoint, remote in -> `answer` function -> remote response, and an authorize node (a1 -> out). */
  function flow({ answer = 'msg.payload = { status: "Accepted" }; return msg;', endpoint = {} } = {}) {
    return [
      ...hubjectNodes(certs, url),
      { id: 'tlsEp', type: 'tls-config', name: 'cpo server', cert: certs.cpoServerCert, key: certs.cpoServerKey, ca: certs.caCert, verifyservercert: true },
      {
        id: 'ep',
        type: 'oicp-cpo-endpoint',
        hubject: 'hub1',
        mode: 'mtls',
        tls: 'tlsEp',
        host: '127.0.0.1',
        port,
        subjects: '',
        deadline: 8,
        ocppVersion: '1.6',
        evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
        ...endpoint,
      },
      { id: 'in', type: 'oicp-remote-in', endpoint: 'ep', wires: [['fn', 'seen']] },
      { id: 'fn', type: 'function', func: answer, outputs: 1, wires: [['resp']] },
      { id: 'resp', type: 'oicp-remote-response', code: '501', wires: [] },
      { id: 'seen', type: 'helper' },
      {
        id: 'a1',
        type: 'oicp-authorize',
        hubject: 'hub1',
        action: 'start',
        timeout: 5,
        evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
        wires: [['out'], []],
      },
      { id: 'out', type: 'helper' },
      { id: 'c1', type: 'catch', scope: ['in', 'resp', 'a1'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ];
  }
  const target = () => `https://127.0.0.1:${port}`;

  it('remote start -> flow -> Result true; the StartTransaction links to the SessionID without AuthorizeStart; remote stop -> RemoteStopTransaction', async function () {
    await helper.load(NODES, flow());
    const seen = [];
    helper.getNode('seen').on('input', (m) => seen.push(m));
    const out = [];
    helper.getNode('out').on('input', (m) => out.push(m));
    const statuses = [];
    helper.getNode('in').on('call:status', (c) => statuses.push(c.args[0]));
    await until(() => statuses.some((s) => /register https:\/\/127\.0\.0\.1:\d+/.test(s.text)), 5000, 'the status shows the URL to register');

    // The sidebar's state names the URL to register.
    const [shown] = opsState(Date.now()).remoteEndpoints;
    assert.deepStrictEqual([shown.url, shown.listening, shown.operator], [target(), true, 'DE*ABC']);
    const r = await sim.remote.call({ action: 'start', EvseID: EVSE, url: target() });
    assert.strictEqual(r.httpStatus, 200, JSON.stringify(r));
    assert.deepStrictEqual([r.body.Result, r.body.StatusCode.Code, r.body.SessionID], [true, '000', r.SessionID]);
    assert.ok(r.ms >= 0);
    assert.strictEqual(seen[0].topic, 'start');
    assert.deepStrictEqual(seen[0].ocpp, { command: 'RemoteStartTransaction', data: { idTag: 'DE-DCB-C12345678-X', connectorId: 1 }, cbId: 'CP1' });
    const store = helper.getNode('hub1').hubject.sessions();
    await until(() => store.get(r.SessionID)?.remote === 'accepted', 2000, 'session accepted');

    // The charger starts the transaction the RemoteStartTransaction asked for.
    helper.getNode('a1').receive({
      ocpp: { chargeBoxIdentity: 'CP1', command: 'StartTransaction', MessageId: 'm1', ocppVersion: '1.6j' },
      msgId: 'route-1',
      payload: { command: 'StartTransaction', data: { connectorId: 1, idTag: 'DE-DCB-C12345678-X', meterStart: 1000, timestamp: new Date().toISOString() } },
    });
    await until(() => out.length === 1, 5000, 'authorize answered');
    assert.strictEqual(out[0].payload.AuthorizationStatus, 'Authorized');
    assert.strictEqual(out[0].payload.SessionID, r.SessionID);
    assert.strictEqual(out[0].ocpp.idTagInfo.status, 'Accepted');
    assert.strictEqual(sim.authorization.received.authorizeStart, 0, 'no AuthorizeStart for a remote start');
    const s = store.get(r.SessionID);
    assert.deepStrictEqual([s.remote, s.transactionId, s.meterStart], ['linked', out[0].ocpp.transactionId, 1000]);

    const stop = await sim.remote.call({ action: 'stop', EvseID: EVSE, url: target() });
    assert.strictEqual(stop.SessionID, r.SessionID);
    assert.strictEqual(stop.body.Result, true);
    assert.deepStrictEqual(seen[1].ocpp, { command: 'RemoteStopTransaction', data: { transactionId: s.transactionId }, cbId: 'CP1' });
  });

  it('the simulator with a wrong certificate is refused in the handshake, a malformed body gets 400 naming the field', async function () {
    await helper.load(NODES, flow());
    await until(
      async () => (await sim.remote.call({ action: 'start', EvseID: EVSE, url: target(), variant: 'malformed' })).httpStatus === 400,
      5000,
      'listening',
    );
    const bad = sim.remote.results[sim.remote.results.length - 1];
    assert.match(bad.body.StatusCode.AdditionalInfo, /^EvseID: is missing/);
    // The same through the admin API and page, as the buttons call it.
    const admin = (p, body) =>
      fetch(new URL(p, sim.adminUrl), {
        method: body ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json' },
        body: body && JSON.stringify(body),
      }).then((x) => x.json());
    assert.deepStrictEqual(await admin('/admin/remote/target', { url: target() }), { target: target() });
    const wrong = await admin('/admin/remote', { action: 'start', EvseID: EVSE, variant: 'wrong-cert' });
    assert.strictEqual(wrong.httpStatus, undefined);
    assert.ok(wrong.error, 'the handshake failed');
    assert.strictEqual(typeof wrong.ms, 'number');
    const page = await fetch(sim.adminUrl).then((x) => x.text());
    for (const id of ['remote-start', 'remote-stop', 'remote-wrong-cert', 'remote-malformed']) assert.ok(page.includes(`id="${id}"`), id);
  });

  it("a rejected start answers false with the node's code; a bad answer is an error for the Catch node", async function () {
    await helper.load(
      NODES,
      flow({
        answer:
          'if (msg.topic === "start") { msg.payload = { data: { status: "Rejected" } }; msg.code = "602"; } else msg.payload = { nonsense: 1 }; return msg;',
      }),
    );
    const caught = [];
    helper.getNode('caught').on('input', (m) => caught.push(m));
    let r;
    await until(async () => (r = await sim.remote.call({ action: 'start', EvseID: EVSE, url: target() })).httpStatus === 200, 5000, 'listening');
    assert.deepStrictEqual([r.body.Result, r.body.StatusCode.Code], [false, '602']);
    const stop = sim.remote.call({ action: 'stop', EvseID: EVSE, url: target(), SessionID: r.SessionID });
    await until(() => caught.length === 1, 5000, 'caught');
    assert.match(caught[0].error.message, /bad answer/);
    helper.getNode('ep').cpoEndpoint.endpoint.drain('test');
    assert.strictEqual((await stop).body.Result, false);
  });

  it('proxy mode on a non-loopback address is red at deploy and never listens', async function () {
    await helper.load(NODES, flow({ endpoint: { mode: 'proxy', host: '0.0.0.0', subjectHeader: 'x-ssl-client-s-dn-cn' } }));
    const ep = helper.getNode('ep').cpoEndpoint;
    assert.match(ep.problem(), /loopback only/);
    assert.strictEqual(ep.endpoint, undefined);
    assert.match(opsState(Date.now()).remoteEndpoints[0].problem, /loopback only/);
    // Red at deploy: the remote-in node's first status, and the config node's error in the log.
    const drawn = helper._NodePrototype.status.getCalls().filter((c) => c.thisValue.id === 'in');
    assert.strictEqual(drawn[0].args[0].fill, 'red');
    assert.match(drawn[0].args[0].text, /loopback only/);
    const errors = helper._NodePrototype.error.getCalls().filter((c) => c.thisValue.id === 'ep');
    assert.match(String(errors[0].args[0]), /loopback only/);
    const r = await sim.remote.call({ action: 'start', EvseID: EVSE, url: target() });
    assert.ok(r.error, 'nothing listens');
  });

  it('a redeploy while a request waits answers it false at once', async function () {
    await helper.load(NODES, flow({ answer: 'return null; // never answers' }));
    const seen = [];
    helper.getNode('seen').on('input', (m) => seen.push(m));
    await until(
      async () => (await sim.remote.call({ action: 'start', EvseID: 'DE*ABC*ECP2*1', url: target(), variant: 'malformed' })).httpStatus === 400,
      5000,
      'listening',
    );
    const waiting = sim.remote.call({ action: 'start', EvseID: EVSE, url: target() });
    await until(() => seen.length === 1, 5000, 'the flow has the request');
    const t0 = Date.now();
    await helper.unload();
    const r = await waiting;
    assert.deepStrictEqual([r.body.Result, r.body.StatusCode.Code], [false, '501']);
    assert.ok(Date.now() - t0 < 8000, 'answered by the redeploy, not by the watchdog');
    assert.match(r.body.StatusCode.AdditionalInfo, /redeployed/);
  });
});
