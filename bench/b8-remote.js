'use strict';
// B8: 100 concurrent remote starts (eRoamingAuthorizeRemoteStart) with a flow that answers at once, in a real
// Node-RED runtime; answer time per request as Hubject sees it, p50/p99 over `rounds` rounds of 100 after one warm-up.
// Two arms, side by side in the same runtime:
//  - endpoint: oicp-cpo-endpoint (own mutual-TLS server, schema check, session store write) -> oicp-remote-in ->
//    function {Result: true} -> oicp-remote-response;
//  - core: a TLS terminator (node:tls, requestCert, piping to Node-RED's http port) -> http in -> the same function ->
//    http response (no schema check, no session store).
// Each arm is measured twice: cold (a new TLS connection per request, as a caller that does not keep connections)
// and warm (100 connections opened first, so the time is the request alone).
//
// Run alone: node bench/b8-remote.js   (BENCH_ARGS='{"rounds":5}')
const fs = require('fs');
const os = require('os');
const net = require('net');
const tls = require('tls');
const http = require('http');
const https = require('https');
const { randomUUID } = require('crypto');
const { now, args, runMain, percentile, median } = require('./lib/util');
const { startRed } = require('./lib/red');
const { createCertificates } = require('../nodes/simulator');

const CONCURRENT = 100;
const EVSE = 'DE*ABC*ECP1*1';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function body() {
  return JSON.stringify({ SessionID: randomUUID(), ProviderID: 'DE-DCB', EvseID: EVSE, Identification: { RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } } });
}

function post(port, path, agent, tlsOpts) {
  const text = body();
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = https.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, ...(agent ? {} : tlsOpts), headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
      (res) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => {
          const ms = now() - t0;
          try {
            if (res.statusCode !== 200 || JSON.parse(s).Result !== true) return reject(new Error(`HTTP ${res.statusCode} ${s}`));
          } catch (e) {
            return reject(e);
          }
          resolve(ms);
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function measure(port, path, tlsOpts, rounds, warm) {
  const times = [];
  for (let r = 0; r <= rounds; r++) {
    const agent = warm ? new https.Agent({ keepAlive: true, maxSockets: CONCURRENT, ...tlsOpts }) : undefined;
    if (warm) await Promise.all(Array.from({ length: CONCURRENT }, () => post(port, path, agent, tlsOpts)));
    const round = await Promise.all(Array.from({ length: CONCURRENT }, () => post(port, path, agent, tlsOpts)));
    if (agent) agent.destroy();
    if (r > 0) times.push(...round); // round 0 warms the runtime up
  }
  times.sort((a, b) => a - b);
  return { n: times.length, p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1] };
}

runMain(async () => {
  const a = args();
  const rounds = a.rounds || 5;
  const dir = fs.mkdtempSync(`${os.tmpdir()}/oicp-b8-certs-`);
  const c = createCertificates(dir);
  const [epPort, httpPort, termPort] = [await freePort(), await freePort(), await freePort()];
  const answer = { type: 'function', func: 'msg.payload = { Result: true, StatusCode: { Code: "000" } }; return msg;', outputs: 1 };
  const red = await startRed(
    [
      { id: 'tlsEp', type: 'tls-config', name: 'cpo', cert: c.cpoServerCert, key: c.cpoServerKey, ca: c.caCert, verifyservercert: true },
      { id: 'hub', type: 'oicp-hubject-config', environment: 'custom', url: 'https://127.0.0.1:9/api/oicp', operatorId: 'DE*ABC', operatorName: 'B8' },
      { id: 'ep', type: 'oicp-cpo-endpoint', hubject: 'hub', mode: 'mtls', tls: 'tlsEp', host: '127.0.0.1', port: epPort, subjects: '', deadline: 8, ocppVersion: '1.6', evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}' },
      { id: 'in', type: 'oicp-remote-in', endpoint: 'ep', wires: [['fa']] },
      { id: 'fa', ...answer, wires: [['resp']] },
      { id: 'resp', type: 'oicp-remote-response', code: '501', wires: [] },
      { id: 'hin', type: 'http in', url: '/api/oicp/charging/v21/providers/:provider/authorize-remote/start', method: 'post', upload: false, wires: [['fb']] },
      { id: 'fb', ...answer, wires: [['hresp']] },
      { id: 'hresp', type: 'http response', statusCode: '', headers: {}, wires: [] },
    ],
    { settings: { httpNodeRoot: '/' } },
  );
  // Node-RED's http-in port, and a TLS terminator in front of it that checks the client certificate.
  const httpServer = http.createServer((req, res) => red.RED.httpNode(req, res));
  await new Promise((r) => httpServer.listen(httpPort, '127.0.0.1', r));
  const read = (f) => fs.readFileSync(f);
  const term = tls.createServer({ cert: read(c.serverCert), key: read(c.serverKey), ca: read(c.caCert), requestCert: true, rejectUnauthorized: true }, (s) => {
    const up = net.connect(httpPort, '127.0.0.1');
    s.pipe(up).pipe(s);
    s.on('error', () => up.destroy());
    up.on('error', () => s.destroy());
  });
  await new Promise((r) => term.listen(termPort, '127.0.0.1', r));
  const ep = red.node('ep').cpoEndpoint;
  for (let i = 0; i < 200 && !ep.listening; i++) await new Promise((r) => setTimeout(r, 25));
  const clientTls = { ca: read(c.caCert), cert: read(c.hubjectClientCert), key: read(c.hubjectClientKey) };
  const path = '/api/oicp/charging/v21/providers/DE-DCB/authorize-remote/start';
  const result = { concurrent: CONCURRENT, rounds, machineCores: os.cpus().length };
  result.endpointCold = await measure(epPort, path, clientTls, rounds, false);
  result.coreCold = await measure(termPort, path, clientTls, rounds, false);
  result.endpointWarm = await measure(epPort, path, clientTls, rounds, true);
  result.coreWarm = await measure(termPort, path, clientTls, rounds, true);
  result.sessions = red.node('hub').hubject.sessions().size;
  term.close();
  httpServer.close();
  await red.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  void median;
  return result;
});
