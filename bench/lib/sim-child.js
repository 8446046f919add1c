'use strict';
// The Hubject simulator in its own process, standing in for Hubject across the network: its TLS, JSON parsing and
// validation never share an event loop with the Node-RED under test. Driven over IPC by lib/sim.js.
const { performance } = require('perf_hooks');
const { createCertificates, HubjectSimulator } = require('../../nodes/simulator');

let sim;
let record = 'records';
let applied = [];
const now = () => performance.timeOrigin + performance.now();

const commands = {
  async start({ certDir, operatorIds = ['DE*ABC'], latencyMs = 0, rateLimitPerMinute, mode = 'records' }) {
    const certs = createCertificates(certDir, { operatorIds });
    record = mode;
    sim = new HubjectSimulator({
      certs, port: 0, adminPort: false, latencyMs, rateLimitPerMinute, requestLogSize: 10,
      onApplied: (_op, records, _ms, action) => {
        const t = now();
        if (record === 'records') {
          for (const r of records) applied.push(r.EvseID, r.EvseStatus, t);
        } else if (record === 'batches') {
          applied.push(action, records.length, t);
        }
      },
    });
    const url = await sim.start();
    return { url, certs, pid: process.pid };
  },
  seed({ operatorId, records }) {
    sim.seedState(operatorId, records);
    return records.length;
  },
  resetStats() {
    sim.resetStats();
    applied = [];
    return true;
  },
  setLatency({ ms }) {
    sim.setLatency(ms);
    return true;
  },
  /** Applied records since the last call: flat [EvseID, EvseStatus, t, ...] (or [action, count, t, ...] in 'batches' mode). */
  takeApplied() {
    const out = applied;
    applied = [];
    return out;
  },
  stats({ operatorId = 'DE*ABC', state = false } = {}) {
    const s = sim.stats;
    const op = Object.values(s.byOperator)[0] || { pushes: 0, overlaps: 0, maxInFlight: 0, rateLimited: 0 };
    const out = {
      pushes: s.pushes, overlaps: s.overlaps, maxInFlight: s.maxInFlight, rateLimited: s.rateLimited, byStatus: s.byStatus,
      inFlight: op.inFlight || 0, peakPerMinute: sim.peakPerMinute(operatorId),
    };
    if (state) out.state = [...sim.getState(operatorId)].map(([id, v]) => [id, v.EvseStatus]);
    return out;
  },
  async stop() {
    if (sim) await sim.stop();
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    const result = await commands[cmd](args || {});
    process.send({ id, result });
  } catch (err) {
    process.send({ id, error: err && err.stack ? err.stack : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
