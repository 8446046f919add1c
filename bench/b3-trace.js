'use strict';
// B3: fullLoad at 100,000 EVSEs.
// Flow: full load (file journal, linked to the Hubject config) -> bench-probe -> push evse status -> ack sink;
// the simulator runs in its own process with 50 ms latency.
//  1. ingest: 100,000 single-record messages {EvseID, EvseStatus} into the full load node (node.receive, 500 per
//     macrotask): the aggregator's ingest rate;
//  2. msg.topic = 'fullLoad': build time = trigger -> the full load node's output reaching the probe;
//     serialise time and body size = JSON.stringify of the eRoamingPushEvseStatus body the push node sends
//     (timed separately, after the run, so the bench's own stringify never counts as an event-loop block);
//     landed = trigger -> the simulator applied the fullLoad;
//  3. perf_hooks.monitorEventLoopDelay (10 ms resolution), enabled from before the ingest to after the acknowledgement;
//     a 5 ms interval timer attributes each stall to the phase running when it ends (ingest, build = trigger until the
//     full load output reaches the probe, push = from there until the acknowledgement);
//  4. RSS sampled every 10 ms; growth = peak - RSS of the empty state (flows started, after GC when --expose-gc).
//     The empty state is a runtime that has talked to Hubject (warm = 1, the default): one single-record update is
//     pushed and acknowledged first. The first HTTPS response of a process makes V8 compile undici's llhttp
//     WebAssembly parser with its optimising tier, about 35 MB of compiler memory for ~50 ms, once per process and
//     whatever the body size; warm = 0 measures that cold case (reported separately).
const { monitorEventLoopDelay } = require('perf_hooks');
const { startRed } = require('./lib/red');
const { startSimProcess } = require('./lib/sim');
const { mulberry32, OPERATOR_ID } = require('./lib/model');
const { now, sleep, tick, args, runMain } = require('./lib/util');
const { hubjectNodes } = require('../test/support/flows');

const MB = 1024 * 1024;
const STATUSES = ['Available', 'Available', 'Available', 'Occupied', 'Occupied', 'Reserved', 'OutOfService'];

async function main() {
  const a = args();
  const evses = a.evses || 100000;
  const seed = a.seed || 3;
  const sim = await startSimProcess({ latencyMs: a.latencyMs ?? 50, mode: 'batches' });
  const red = await startRed([
    ...hubjectNodes(sim.certs, sim.url),
    { id: 'full', type: 'oicp-full-load', name: 'full load', hubject: 'hub1', time: '03:00', onStart: false, onStartDelay: 30, staleDays: 7, allowEmpty: false, minRatio: 0.5, passThrough: false, storage: 'file', contextStore: '', wires: [['probe']] },
    { id: 'probe', type: 'bench-probe', wires: [['push']] },
    { id: 'push', type: 'oicp-push-evse-status', name: 'push', hubject: 'hub1', action: 'update', maxRecords: 500, insertMissing: true, wires: [['acks']] },
    { id: 'acks', type: 'bench-sink', wires: [] },
  ]);
  const full = red.node('full');

  // Records made before measuring; each message is a fresh object as an upstream node would send it.
  const r = mulberry32(seed);
  const ids = new Array(evses);
  const sts = new Array(evses);
  for (let i = 0; i < evses; i++) {
    ids[i] = `DE*ABC*ECP${String((i >> 1) + 1).padStart(6, '0')}*${(i & 1) + 1}`;
    sts[i] = STATUSES[Math.floor(r() * STATUSES.length)];
  }

  const warm = a.warm ?? 1;
  if (warm) {
    let acks = 0;
    red.hook('acks', () => { acks++; });
    red.node('push').receive({ payload: { EvseID: 'DE*ABC*EWARMUP*1', EvseStatus: 'Available' } });
    const until = Date.now() + 10000;
    while (acks < 1 && Date.now() < until) await sleep(5);
    if (acks < 1) throw new Error('the warm-up push was not acknowledged within 10 s');
  }

  await sleep(1000);
  if (global.gc) { global.gc(); global.gc(); }
  await sleep(100);
  const base = process.memoryUsage();
  const baseRss = base.rss;
  let peakRss = baseRss;
  let peakHeapTotal = base.heapTotal;
  let atPeak = base;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) {
      peakRss = m.rss;
      atPeak = m;
    }
    if (m.heapTotal > peakHeapTotal) peakHeapTotal = m.heapTotal;
  }, 10);

  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  let phase = 'idle';
  const stall = {};
  let lastTick = now();
  const stallTimer = setInterval(() => {
    const t = now();
    const gap = t - lastTick - 5;
    if (gap > (stall[phase] || 0)) stall[phase] = gap;
    lastTick = t;
  }, 5);
  await sleep(100);

  // 1. ingest
  phase = 'ingest';
  require('fs').appendFileSync('/tmp/rs/trace.log', require('perf_hooks').performance.now().toFixed(0) + ' PHASE ingest\n');
  const t0 = now();
  const BATCH = 500;
  for (let i = 0; i < evses; i += BATCH) {
    const end = Math.min(evses, i + BATCH);
    for (let k = i; k < end; k++) full.receive({ payload: { EvseID: ids[k], EvseStatus: sts[k] } });
    await tick();
  }
  const ingestMs = now() - t0;
  await tick();
  phase = 'idle';
  require('fs').appendFileSync('/tmp/rs/trace.log', require('perf_hooks').performance.now().toFixed(0) + ' PHASE idle\n');
  await sleep(1000); // journal flush (every 250 ms)
  const rssAfterIngest = process.memoryUsage().rss;

  // 2. fullLoad
  let built;
  let builtAt = 0;
  let peakRssBuild = 0;
  red.hook('probe', (msg) => {
    if (msg.action === 'fullLoad') {
      built = msg;
      builtAt = now();
      peakRssBuild = Math.max(peakRss, process.memoryUsage().rss);
      phase = 'push';
      require('fs').appendFileSync('/tmp/rs/trace.log', require('perf_hooks').performance.now().toFixed(0) + ' PHASE push (built)\n');
    }
  });
  let ack;
  red.hook('acks', (msg) => { if (msg.oicp && msg.oicp.action === 'fullLoad') ack = { msg, at: now() }; });
  await sim.call('resetStats');
  phase = 'build';
  require('fs').appendFileSync('/tmp/rs/trace.log', require('perf_hooks').performance.now().toFixed(0) + ' PHASE build\n');
  const t1 = now();
  full.receive({ topic: 'fullLoad' });
  const end = Date.now() + 120000;
  let landed;
  while (Date.now() < end && (!ack || !landed)) {
    await sleep(20);
    if (!landed) {
      const x = await sim.call('takeApplied');
      for (let k = 0; k < x.length; k += 3) if (x[k] === 'fullLoad') landed = { count: x[k + 1], at: x[k + 2] };
    }
  }
  await sleep(500);
  eld.disable();
  clearInterval(stallTimer);
  clearInterval(sampler);
  const end0 = process.memoryUsage();
  const st = await sim.call('stats');

  // Serialisation of the body the push node sends, timed after the run (median of 3).
  const body = { ActionType: 'fullLoad', OperatorEvseStatus: { OperatorID: OPERATOR_ID, OperatorName: 'Demo CPO', EvseStatusRecord: built ? built.payload : [] } };
  const ser = [];
  let bytes = 0;
  for (let k = 0; k < 3; k++) {
    const s0 = now();
    const text = JSON.stringify(body);
    ser.push(now() - s0);
    bytes = Buffer.byteLength(text);
  }
  ser.sort((x, y) => x - y);

  const result = {
    evses,
    ingest: { ms: ingestMs, rate: (evses / ingestMs) * 1000, stallMaxMs: stall.ingest || 0 },
    fullLoad: {
      records: built ? built.payload.length : 0,
      buildMs: built ? builtAt - t1 : null,
      serialiseMs: ser[1],
      bodyBytes: bytes,
      landedMs: landed ? landed.at - t1 : null,
      landedRecords: landed ? landed.count : 0,
      ackMs: ack ? ack.at - t1 : null,
      ackCode: ack ? ack.msg.oicp.statusCode : null,
      buildStallMaxMs: stall.build || 0,
      pushStallMaxMs: stall.push || 0,
      requests: st.pushes,
    },
    eventLoopMaxMs: eld.max / 1e6,
    stallMaxMs: stall,
    warm: Boolean(warm),
    rss: { baseMB: baseRss / MB, afterIngestMB: rssAfterIngest / MB, peakMB: peakRss / MB, growthMB: (peakRss - baseRss) / MB, growthToBuildMB: (peakRssBuild - baseRss) / MB },
    heap: {
      baseUsedMB: base.heapUsed / MB, baseTotalMB: base.heapTotal / MB, peakTotalMB: peakHeapTotal / MB,
      // What the V8 heap and buffers held at the RSS peak, over the empty state.
      atPeakTotalGrowthMB: (atPeak.heapTotal - base.heapTotal) / MB, atPeakExternalGrowthMB: (atPeak.external - base.external) / MB,
      endUsedMB: end0.heapUsed / MB, retainedAfterGcMB: null,
    },
    gcExposed: Boolean(global.gc),
  };
  if (global.gc) {
    // Drop the references so the GC can free them before the retained heap is measured.
    built = undefined; // eslint-disable-line no-useless-assignment
    ack = undefined; // eslint-disable-line no-useless-assignment
    global.gc(); global.gc();
    result.heap.retainedAfterGcMB = (process.memoryUsage().heapUsed - base.heapUsed) / MB;
  }
  await red.stop();
  await sim.stop();
  return result;
}

runMain(main);
