'use strict';
// Test helper around the local Hubject simulator (compiled to ../../nodes/simulator).
// Certificates are made once per process in a temp dir (removed at exit); every startSim() gets its own server.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Agent, request } = require('undici');
const { createCertificates, HubjectSimulator } = require('../../nodes/simulator');

let certDir;
let certs;
const operatorIdsSoFar = new Set(['DE*ABC']);

/** CertPaths for all OperatorIDs asked for so far in this process (default DE*ABC). */
function getCerts(operatorIds = []) {
  const missing = operatorIds.filter((o) => !operatorIdsSoFar.has(o));
  if (certs && missing.length === 0) return certs;
  for (const o of operatorIds) operatorIdsSoFar.add(o);
  if (!certDir) {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-sim-certs-'));
    process.once('exit', () => fs.rmSync(certDir, { recursive: true, force: true }));
  }
  // createCertificates is idempotent: existing certs are kept, new OperatorIDs get a client cert.
  certs = createCertificates(certDir, { operatorIds: [...operatorIdsSoFar] });
  return certs;
}

/**
 * Starts a simulator on 127.0.0.1 with free ports. opts: SimulatorOptions (latencyMs, rateLimitPerMinute, ...)
 * plus operatorIds (client certs to make). Returns { sim, certs, url }; call sim.stop() when done.
 */
async function startSim(opts = {}) {
  const { operatorIds, ...simOpts } = opts;
  const c = getCerts(operatorIds || []);
  const sim = new HubjectSimulator({ port: 0, adminPort: 0, ...simOpts, certs: c });
  const url = await sim.start();
  return { sim, certs: c, url };
}

/** undici Agent presenting the client cert of operatorId (or explicit cert/key paths) and trusting the demo CA. */
function clientAgent(c, operatorId = 'DE*ABC', connect = {}) {
  const client = c.clients[operatorId];
  if (!client) throw new Error(`no client certificate for ${operatorId}`);
  return new Agent({
    connect: { ca: fs.readFileSync(c.caCert), cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key), ...connect },
  });
}

/** EvseID -> EvseStatus from the simulator's state for one operator (what Hubject holds). */
function pullStatuses(sim, operatorId = 'DE*ABC') {
  const out = {};
  for (const [evseId, s] of sim.getState(operatorId)) out[evseId] = s.EvseStatus;
  return out;
}

/**
 * The real eRoamingPullEvseStatusByOperatorId over mutual TLS (any client cert of the demo CA is accepted for pulls).
 * Returns the parsed JSON: { EvseStatuses: { OperatorEvseStatus: [...] }, StatusCode }.
 */
async function pullViaHttp(url, c, operatorIds = ['DE*ABC'], providerId = 'DE-DCB') {
  const ids = Array.isArray(operatorIds) ? operatorIds : [operatorIds];
  const agent = clientAgent(c, Object.keys(c.clients)[0]);
  try {
    const res = await request(`${url}/evsepull/v21/providers/${encodeURIComponent(providerId)}/status-records-by-operator-id`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ProviderID: providerId, OperatorID: ids }),
    });
    const body = await res.body.json();
    if (res.statusCode !== 200) throw new Error(`pull failed with HTTP ${res.statusCode}: ${JSON.stringify(body)}`);
    return body;
  } finally {
    await agent.close();
  }
}

/** Flattens a pullViaHttp answer to EvseID -> EvseStatus. */
function statusesFromPull(body) {
  const out = {};
  for (const op of (body && body.EvseStatuses && body.EvseStatuses.OperatorEvseStatus) || []) {
    for (const r of op.EvseStatusRecord || []) out[r.EvseID] = r.EvseStatus;
  }
  return out;
}

module.exports = { startSim, getCerts, clientAgent, pullStatuses, pullViaHttp, statusesFromPull };
