'use strict';
// B4: soak. 1,000,000 OCPP StatusNotifications (seeded session model, 5,000 EVSEs) through
//   ocpp status mapper -> full load (passThrough) -> push evse status -> ack sink,
// simulator in its own process at 5 ms latency, fed as fast as the flow takes them (500 messages per macrotask).
// Run with --expose-gc. After the first 100,000 and at the end: wait until the push queue is empty, gc() twice,
// read heapUsed and process.getActiveResourcesInfo(). Pass: end heap within 20 % of the 100,000 mark, and no resource
// type has more handles at the end than at the 100,000 mark.
const { startRed } = require('./lib/red');
const { startSimProcess } = require('./lib/sim');
const { SessionModel, Fleet, TEMPLATE, OICP, OPERATOR_ID, ocppMessage, uuid, mulberry32 } = require('./lib/model');
const { now, sleep, tick, until, args, runMain } = require('./lib/util');
const { hubjectNodes } = require('../test/support/flows');

const MB = 1024 * 1024;

function resources() {
  const out = {};
  for (const t of process.getActiveResourcesInfo()) out[t] = (out[t] || 0) + 1;
  return out;
}

async function main() {
  const a = args();
  const total = a.messages || 1000000;
  const mark = a.mark || 100000;
  const evses = a.evses || 5000;
  const seed = a.seed || 11;
  if (!global.gc) throw new Error('run with node --expose-gc');

  const fleet = new Fleet(evses);
  const model = new SessionModel({ evses, seed });
  const initial = model.statuses();
  const sim = await startSimProcess({ latencyMs: a.latencyMs ?? 5, mode: 'none' });
  await sim.call('seed', { operatorId: OPERATOR_ID, records: initial.map((s, i) => ({ EvseID: fleet.evseId[i], EvseStatus: OICP[s] })) });
  const red = await startRed([
    ...hubjectNodes(sim.certs, sim.url),
    { id: 'map', type: 'oicp-ocpp-status', name: 'ocpp status', hubject: 'hub1', evseIdTemplate: TEMPLATE, lookup: [], mapping: {}, unknownStatus: 'error', connector0: 'ignore', offline: 'ignore', onlyChanges: true, otherOutput: false, outputs: 1, wires: [['full']] },
    { id: 'full', type: 'oicp-full-load', name: 'full load', hubject: 'hub1', time: '03:00', onStart: false, onStartDelay: 30, staleDays: 7, allowEmpty: false, minRatio: 0.5, passThrough: true, storage: 'file', contextStore: '', wires: [['push']] },
    { id: 'push', type: 'oicp-push-evse-status', name: 'push', hubject: 'hub1', action: 'update', maxRecords: 500, insertMissing: true, wires: [['acks']] },
    { id: 'acks', type: 'bench-sink', wires: [] },
  ]);
  const first = red.node('map');
  const queue = red.node('hub1').hubject.lane('status');
  await sleep(1000);
  const resStart = resources();

  const r = mulberry32(seed + 1);
  const truth = initial.map((s) => OICP[s]);
  const t0ts = Date.UTC(2026, 0, 1);
  let sent = 0;
  const BATCH = 500;

  async function feed(upTo) {
    while (sent < upTo) {
      const end = Math.min(upTo, sent + BATCH);
      for (; sent < end; sent++) {
        const { evse, status } = model.next();
        truth[evse] = OICP[status];
        first.receive(ocppMessage(fleet.cb[evse], fleet.connector[evse], status, new Date(t0ts + sent * 10).toISOString(), uuid(r), uuid(r)));
      }
      await tick();
    }
  }
  async function settle(what) {
    const ok = await until(() => { const s = queue.status(); return s.queued === 0 && s.state === 'idle'; }, 120000, what, 20);
    await sleep(1500); // status timers, journal flush, outbox write, keep-alive
    global.gc(); global.gc();
    await sleep(50);
    global.gc();
    return { heapMB: process.memoryUsage().heapUsed / MB, rssMB: process.memoryUsage().rss / MB, resources: resources(), drained: ok };
  }

  const t0 = now();
  await feed(mark);
  const atMark = await settle('queue empty at the mark');
  const t1 = now();
  await feed(total);
  const feedMs = now() - t1;
  const atEnd = await settle('queue empty at the end');
  const elapsedMs = now() - t0;

  const st = await sim.call('stats', { state: true });
  const state = new Map(st.state);
  let mismatches = 0;
  for (let i = 0; i < evses; i++) if (state.get(fleet.evseId[i]) !== truth[i]) mismatches++;
  const heapRatio = atEnd.heapMB / atMark.heapMB;
  const grown = Object.keys(atEnd.resources).filter((k) => atEnd.resources[k] > (atMark.resources[k] || 0));
  const result = {
    messages: total, mark, evses, latencyMs: a.latencyMs ?? 5,
    elapsedMs,
    rate: ((total - mark) / feedMs) * 1000,
    requests: st.pushes, overlaps: st.overlaps, rateLimited: st.rateLimited,
    heap: { markMB: atMark.heapMB, endMB: atEnd.heapMB, ratio: heapRatio, within20: heapRatio <= 1.2 },
    rss: { markMB: atMark.rssMB, endMB: atEnd.rssMB },
    resources: { start: resStart, mark: atMark.resources, end: atEnd.resources, grown, leak: grown.length > 0 },
    finalEqualsTruth: mismatches === 0,
    mismatches,
    drained: atMark.drained && atEnd.drained,
  };
  await red.stop();
  await sim.stop();
  return result;
}

runMain(main);
