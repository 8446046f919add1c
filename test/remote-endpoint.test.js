'use strict';
// Issue 23: the CPO's remote start/stop endpoint (src/remote) over real TLS connections: the handshake refuses
// clients without a certificate or from another CA, a wrong subject gets 403, other paths 404, other methods 405,
// 1 MB of body 413 without reading it, slow-loris connections do not block a valid request, the schema and ProviderID
// checks answer 400 naming the field, 603 for an unknown EVSE, 400 for an unknown SessionID, the watchdog, the proxy
// mode's loopback rule, and the answer mapping.
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const tls = require('tls');
const https = require('https');
const http = require('http');
const { getCerts } = require('./support/sim');
const { until, sleep } = require('./support/until');
const openapi = require('./support/openapi');
const { RemoteEndpoint, createRemoteServer, remoteServerProblem, readFlowAnswer, evseLocator, acknowledgement, HUBJECT_QA_SUBJECT } = (() => {
  const r = require('../nodes/remote');
  return { ...r, HUBJECT_QA_SUBJECT: require('../nodes/simulator').HUBJECT_QA_SUBJECT };
})();
const { SessionStore } = require('../nodes/sessions/store');

const SID = 'b2688855-7f00-0002-6d8e-48d883f6abb6';
const EVSE = 'DE*ABC*ECP1*1';
const START = { SessionID: SID, ProviderID: 'DE-DCB', EvseID: EVSE, Identification: { RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } } };
const path = (p = 'DE-DCB', a = 'start') => `/api/oicp/charging/v21/providers/${encodeURIComponent(p)}/authorize-remote/${a}`;

describe('remote start/stop endpoint (src/remote, real TLS)', function () {
  this.timeout(30000);
  let certs, ep, server, port, calls, store;
  const read = (f) => fs.readFileSync(f);

  async function start(opts = {}) {
    calls = [];
    store = new SessionStore();
    ep = new RemoteEndpoint({ deadlineMs: 8000, locate: evseLocator('DE*ABC*E{chargeBoxId}*{connectorId}'), sessions: () => store, ...opts });
    if (!opts.noConsumer) ep.attach((c) => calls.push(c));
    server = createRemoteServer({
      endpoint: ep,
      host: '127.0.0.1',
      port: 0,
      mode: 'mtls',
      tls: { ca: read(certs.caCert), cert: read(certs.cpoServerCert), key: read(certs.cpoServerKey) },
      subjects: [HUBJECT_QA_SUBJECT],
      deadlineMs: (opts.deadlineMs ?? 8000) + 1000,
    });
    port = await server.listen();
  }

  function post(p, body, { cert = certs.hubjectClientCert, key = certs.hubjectClientKey, method = 'POST', headers = {} } = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: p,
          method,
          ca: read(certs.caCert),
          cert: cert && read(cert),
          key: key && read(key),
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers },
        },
        (res) => {
          let s = '';
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve({ status: res.statusCode, body: s ? JSON.parse(s) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  }

  before(function () {
    certs = getCerts();
  });
  afterEach(async function () {
    if (server) await server.close();
    server = undefined;
  });

  it('refuses the handshake of a client without a certificate', async function () {
    await start();
    await assert.rejects(post(path(), START, { cert: null, key: null }), (e) => /certificate|socket hang up|ECONNRESET|alert/i.test(e.message));
    assert.strictEqual(calls.length, 0);
  });

  it('refuses a client certificate from another CA', async function () {
    await start();
    await assert.rejects(post(path(), START, { cert: certs.wrongCaClientCert, key: certs.wrongCaClientKey }), (e) =>
      /certificate|socket hang up|ECONNRESET|alert|unknown ca/i.test(e.message),
    );
    assert.strictEqual(calls.length, 0);
  });

  it('answers 403 to the right CA with a subject it does not accept (an operator certificate)', async function () {
    await start();
    const c = certs.clients['DE*ABC'];
    const r = await post(path(), START, { cert: c.cert, key: c.key });
    assert.strictEqual(r.status, 403);
    assert.strictEqual(calls.length, 0);
  });

  it('answers 404 outside the two routes and 405 to another method', async function () {
    await start();
    assert.strictEqual((await post('/api/oicp/charging/v21/providers/DE-DCB/authorize-remote/pause', START)).status, 404);
    assert.strictEqual((await post('/api/oicp/evsepush/v21/operators/DE*ABC/status-records', START)).status, 404);
    const r = await post(path(), '', { method: 'GET' });
    assert.strictEqual(r.status, 405);
    assert.strictEqual(calls.length, 0);
  });

  it('answers 1 MB of body with 413 without reading it', async function () {
    await start();
    // Declared 1 MB, but only the headers are sent: the answer must come without the body.
    const sock = tls.connect({ host: '127.0.0.1', port, ca: read(certs.caCert), cert: read(certs.hubjectClientCert), key: read(certs.hubjectClientKey) });
    await new Promise((r) => sock.once('secureConnect', r));
    let got = '';
    sock.on('data', (d) => (got += d));
    sock.write(`POST ${path()} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
    await until(() => /^HTTP\/1\.1 413/.test(got), 5000);
    sock.destroy();
    assert.strictEqual(calls.length, 0);
  });

  it('answers a valid request while 200 slow-loris connections hold headers open', async function () {
    await start({ deadlineMs: 8000 });
    const slow = [];
    for (let i = 0; i < 200; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write('\x16\x03\x01'); // a TLS record header, then nothing
      slow.push(s);
    }
    await sleep(200);
    const r = post(path(), START);
    await until(() => calls.length === 1, 10000);
    await ep.answer(calls[0].id, { Result: true });
    const a = await r;
    for (const s of slow) s.destroy();
    assert.strictEqual(a.status, 200);
    assert.strictEqual(a.body.Result, true);
  });

  it('answers a schema error with 400 and an Acknowledgement naming the field', async function () {
    await start();
    const r = await post(path(), { ...START, EvseID: 'not an evse' });
    assert.strictEqual(r.status, 400);
    assert.strictEqual(r.body.Result, false);
    assert.strictEqual(r.body.StatusCode.Code, '022');
    assert.match(r.body.StatusCode.AdditionalInfo, /^EvseID: /);
    const m = await post(path(), { ...START, Identification: undefined });
    assert.match(m.body.StatusCode.AdditionalInfo, /^Identification: is missing/);
    const j = await post(path(), '{"SessionID":');
    assert.strictEqual(j.status, 400);
    assert.match(j.body.StatusCode.AdditionalInfo, /malformed JSON/);
    assert.strictEqual(calls.length, 0);
  });

  it('answers 400 when the ProviderID of the path differs from the body', async function () {
    await start();
    const r = await post(path('DE-XYZ'), START);
    assert.strictEqual(r.status, 400);
    assert.match(r.body.StatusCode.AdditionalInfo, /ProviderID: DE-DCB in the body, DE-XYZ in the path/);
    assert.strictEqual(calls.length, 0);
  });

  it("answers 603 at once for an EVSE the operator's EVSE data does not hold, and 400 for an unknown SessionID on stop", async function () {
    const held = new Set(['DE*ABC*ECP1*1']);
    await start({ evseData: () => ({ size: held.size, isAcknowledged: (id) => held.has(id) }) });
    const r = await post(path(), { ...START, EvseID: 'DE*ABC*ECP9*9' });
    assert.deepStrictEqual([r.status, r.body.Result, r.body.StatusCode.Code, r.body.SessionID], [200, false, '603', SID]);
    const s = await post(path('DE-DCB', 'stop'), { SessionID: SID, ProviderID: 'DE-DCB', EvseID: EVSE });
    assert.deepStrictEqual([s.status, s.body.Result, s.body.StatusCode.Code], [200, false, '400']);
    assert.strictEqual(calls.length, 0);
    // Without any EVSE data (another tool pushes it) the request goes to the flow.
    held.clear();
    const f = post(path(), { ...START, EvseID: 'DE*ABC*ECP9*9' });
    await until(() => calls.length === 1);
    await ep.answer(calls[0].id, { status: 'Accepted' });
    assert.strictEqual((await f).body.Result, true);
  });

  it('hands the flow the request, the OCPP 1.6 RemoteStartTransaction and the EVSE; an accepted start enters the session store', async function () {
    await start();
    const r = post(path(), START);
    await until(() => calls.length === 1);
    const c = calls[0];
    assert.strictEqual(c.action, 'start');
    assert.deepStrictEqual(c.ocpp, { command: 'RemoteStartTransaction', data: { idTag: 'DE-DCB-C12345678-X', connectorId: 1 }, cbId: 'CP1' });
    assert.deepStrictEqual([c.evse.chargeBoxId, c.evse.connectorId], ['CP1', 1]);
    assert.strictEqual(store.get(SID).remote, 'pending');
    assert.strictEqual(await ep.answer(c.id, { data: { status: 'Accepted' } }), 'sent');
    const a = await r;
    assert.deepStrictEqual([a.body.Result, a.body.StatusCode.Code, a.body.SessionID], [true, '000', SID]);
    openapi.assertAcknowledgement(a.body);
    assert.strictEqual(store.get(SID).remote, 'accepted');
    // Stop: the session's transaction becomes RemoteStopTransaction.
    await store.put({ ...store.get(SID), transactionId: 42 });
    const s = post(path('DE-DCB', 'stop'), { SessionID: SID, ProviderID: 'DE-DCB', EvseID: EVSE });
    await until(() => calls.length === 2);
    assert.deepStrictEqual(calls[1].ocpp, { command: 'RemoteStopTransaction', data: { transactionId: 42 }, cbId: 'CP1' });
    await ep.answer(calls[1].id, { status: 'Rejected' }, '700');
    const b = await s;
    assert.deepStrictEqual([b.body.Result, b.body.StatusCode.Code], [false, '700']);
  });

  it('builds OCPP 2.0.1 RequestStartTransaction with a remoteStartId', async function () {
    await start({ ocppVersion: '2.0.1' });
    const r = post(path(), START);
    await until(() => calls.length === 1);
    assert.deepStrictEqual(calls[0].ocpp, {
      command: 'RequestStartTransaction',
      data: { idToken: { idToken: 'DE-DCB-C12345678-X', type: 'eMAID' }, remoteStartId: 1, evseId: 1 },
      cbId: 'CP1',
    });
    assert.strictEqual(store.get(SID).remoteStartId, 1);
    await ep.answer(calls[0].id, { Result: true });
    await r;
  });

  it('answers false/501 at the watchdog deadline and drops the late answer with a warning', async function () {
    const warnings = [];
    await start({ deadlineMs: 300, log: { info: () => undefined, warn: (w) => warnings.push(w) } });
    const r = await post(path(), START);
    assert.deepStrictEqual([r.status, r.body.Result, r.body.StatusCode.Code], [200, false, '501']);
    assert.match(warnings[0], /no answer from the flow within 300 ms/);
    assert.strictEqual(await ep.answer(calls[0].id, { Result: true }), 'late');
    assert.match(warnings[1], /dropped/);
    assert.strictEqual(store.get(SID).remote, 'refused');
  });

  it('answers false at once without a flow, and answers a waiting request false when the flow goes (redeploy)', async function () {
    await start({ noConsumer: true });
    const r = await post(path(), START);
    assert.deepStrictEqual([r.body.Result, r.body.StatusCode.Code], [false, '501']);
    const seen = [];
    const detach = ep.attach((c) => seen.push(c));
    const w = post(path(), { ...START, SessionID: 'b2688855-7f00-0002-6d8e-48d883f6abb7' });
    await until(() => seen.length === 1);
    detach();
    const a = await w;
    assert.deepStrictEqual([a.body.Result, a.body.StatusCode.Code], [false, '501']);
    assert.match(a.body.StatusCode.AdditionalInfo, /redeployed/);
  });

  it('proxy mode: refused on a non-loopback address; on loopback it takes the subject from the header', async function () {
    assert.match(remoteServerProblem({ mode: 'proxy', host: '0.0.0.0', port: 8444, subjectHeader: 'x-cn' }), /loopback only/);
    assert.match(remoteServerProblem({ mode: 'proxy', host: '192.168.1.5', port: 8444, subjectHeader: 'x-cn' }), /loopback only/);
    assert.strictEqual(remoteServerProblem({ mode: 'proxy', host: '127.0.0.1', port: 8444, subjectHeader: 'x-cn' }), undefined);
    ep = new RemoteEndpoint({});
    assert.throws(() => createRemoteServer({ endpoint: ep, host: '0.0.0.0', port: 0, mode: 'proxy', subjects: [], subjectHeader: 'x-cn' }), /loopback only/);
    calls = [];
    ep.attach((c) => calls.push(c));
    server = createRemoteServer({ endpoint: ep, host: '127.0.0.1', port: 0, mode: 'proxy', subjects: [HUBJECT_QA_SUBJECT], subjectHeader: 'X-Client-CN' });
    port = await server.listen();
    const send = (headers) =>
      new Promise((resolve, reject) => {
        const text = JSON.stringify(START);
        const req = http.request(
          { host: '127.0.0.1', port, path: path(), method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
          (res) => {
            let s = '';
            res.on('data', (d) => (s += d));
            res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(s) }));
          },
        );
        req.on('error', reject);
        req.end(text);
      });
    assert.strictEqual((await send({})).status, 403);
    assert.strictEqual((await send({ 'x-client-cn': 'DE*ABC' })).status, 403);
    const ok = send({ 'x-client-cn': HUBJECT_QA_SUBJECT });
    await until(() => calls.length === 1);
    await ep.answer(calls[0].id, { Result: true });
    assert.strictEqual((await ok).body.Result, true);
  });

  it("maps the flow's answers: explicit {Result, Code}, Accepted, Rejected with the flow's code, default 501", function () {
    assert.deepStrictEqual(readFlowAnswer({ Result: true }), { result: true, code: '000', additionalInfo: undefined });
    assert.deepStrictEqual(readFlowAnswer({ status: 'Accepted' }).code, '000');
    assert.deepStrictEqual(readFlowAnswer({ data: { status: 'Rejected' } }).code, '501');
    assert.deepStrictEqual(readFlowAnswer({ status: 'Rejected' }, 602).code, '602');
    assert.deepStrictEqual(readFlowAnswer({ Result: false, Code: '510' }).code, '510');
    assert.throws(() => readFlowAnswer({ Result: false, Code: '999' }), /not a refusal code/);
    assert.throws(() => readFlowAnswer({ hello: 1 }), /no Result/);
    assert.deepStrictEqual(acknowledgement(false, '603').StatusCode, { Code: '603', Description: 'Unknown EVSE ID.' });
  });
});
