'use strict';
// B2: freshness of Hubject's view under load.
//
// 5,000 EVSEs (2,500 charge points x 2 connectors) get Poisson-timed OCPP StatusNotifications at 300 a second for
// 30 s from the seeded session model (lib/model.js), injected with node.receive() into the first node of the flow.
// The simulator (own process, mutual TLS) adds 50 ms to every request and holds the initial state of every EVSE.
//
// Variants (BENCH_ARGS.variant):
//   a  ocpp status mapper (onlyChanges, the default) -> push evse status node   (this package)
//   b  function node (table + template -> full eRoamingPushEvseStatus body) -> delay (rate limit 33 msg/s, queueing)
//      -> http request (POST, tls-config, ret obj)                                 (hand-built, "safe")
//   c  the same without the delay node                                             (hand-built, parallel)
// With BENCH_ARGS.gate (variant a only) the status gate is on: a data source registered as a push evse data node
// would, acknowledging every EVSE from a Set, so nothing is held but every record is checked on the push node's path.
// The hand-built flows send every OCPP message (the naive flow does not know the previous status).
//
// BENCH_ARGS.ops ('on' | 'off', variant a only): Node-RED listens with its editor and admin API in both arms; with
// 'on' a separate process (lib/ops-scraper.js) scrapes GET /oicp/metrics and GET /oicp/state every second and holds
// the comms websocket subscribed to the sidebar's "oicp/state" updates, from before priming until the drain ends.
//
// "Change": an OCPP message whose OICP status (Hubject's table) differs from the previous OICP status of its EVSE.
// The same changes, with the same entry times definition, are scored in all variants.
// Lag of a change = first time at or after its entry at which the simulator applied that status for that EVSE
// (simulator onApplied hook, timestamped in the simulator process). A change superseded by a newer change of the
// same EVSE before it landed counts as landed when the newer one lands. A change that never lands has lag Infinity.
const path = require('path');
const { fork } = require('child_process');
const { startRed } = require('./lib/red');
const { startSimProcess } = require('./lib/sim');
const { SessionModel, Fleet, TEMPLATE, OICP, OPERATOR_ID, uuid, ocppMessage, mulberry32, poissonTimes } = require('./lib/model');
const { now, sleep, args, runMain, percentile } = require('./lib/util');
const { EVSE_ID, naiveFunction } = require('./lib/naive');
const { hubjectNodes } = require('../test/support/flows');

const NAIVE_FUNCTION = naiveFunction("Hubject's table, the EvseID template and the whole request body", `msg.payload = {
    ActionType: 'update',
    OperatorEvseStatus: {
        OperatorID: 'DE*ABC',
        OperatorName: 'Demo CPO',
        EvseStatusRecord: [{ EvseID: ${EVSE_ID}, EvseStatus: status }]
    }
};
return msg;`);

function flowFor(variant, sim) {
  const hub = hubjectNodes(sim.certs, sim.url);
  if (variant === 'a') {
    return [
      ...hub,
      { id: 'first', type: 'oicp-ocpp-status', name: 'ocpp status', hubject: 'hub1', evseIdTemplate: TEMPLATE, lookup: [], mapping: {}, unknownStatus: 'error', connector0: 'ignore', offline: 'ignore', onlyChanges: true, otherOutput: false, outputs: 1, wires: [['push']] },
      { id: 'push', type: 'oicp-push-evse-status', name: 'push', hubject: 'hub1', action: 'update', maxRecords: 500, insertMissing: true, wires: [['out']] },
      { id: 'out', type: 'bench-sink', wires: [] },
    ];
  }
  const pushUrl = `${sim.url}/evsepush/v21/operators/${encodeURIComponent(OPERATOR_ID).replace(/\*/g, '%2A')}/status-records`;
  const tls = hub.find((n) => n.type === 'tls-config');
  const req = { id: 'req', type: 'http request', name: 'Hubject push', method: 'POST', ret: 'obj', paytoqs: 'ignore', url: pushUrl, tls: tls.id, persist: false, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [], wires: [['out']] };
  const fn = { id: 'first', type: 'function', name: 'status table + body', func: NAIVE_FUNCTION, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [[variant === 'b' ? 'delay' : 'req']] };
  const nodes = [tls, fn, req, { id: 'out', type: 'bench-sink', wires: [] }];
  if (variant === 'b') {
    nodes.push({ id: 'delay', type: 'delay', name: '33 msg/s', pauseType: 'rate', timeout: '5', timeoutUnits: 'seconds', rate: '33', nbRateUnits: '1', rateUnits: 'second', randomFirst: '1', randomLast: '5', randomUnits: 'seconds', drop: false, allowrate: false, outputs: 1, wires: [['req']] });
  }
  return nodes;
}

/**
 * Per-change lag from applied events (see header), in change order. A change that never landed gets Infinity, or,
 * when cutoff is given (the run was cut off before every request was answered), the lower bound cutoff - entry.
 */
function score(changes, applied, fleet, cutoff) {
  // Applied events per EVSE, in time order.
  const perEvse = new Map();
  for (let k = 0; k < applied.length; k += 3) {
    const e = fleet.index.get(applied[k]);
    if (e === undefined) continue;
    let l = perEvse.get(e);
    if (!l) perEvse.set(e, (l = []));
    l.push([applied[k + 1], applied[k + 2]]);
  }
  for (const l of perEvse.values()) l.sort((x, y) => x[1] - y[1]);
  const byEvse = new Map();
  changes.forEach((c, i) => {
    let l = byEvse.get(c.evse);
    if (!l) byEvse.set(c.evse, (l = []));
    l.push(i);
  });
  const lags = new Array(changes.length);
  for (const [e, idx] of byEvse) {
    const events = perEvse.get(e) || [];
    let nextLanded = Infinity;
    for (let j = idx.length - 1; j >= 0; j--) {
      const c = changes[idx[j]];
      const newerEntry = j + 1 < idx.length ? changes[idx[j + 1]].t : Infinity;
      let own = Infinity;
      for (const [status, t] of events) {
        if (t >= c.t && status === c.status) { own = t; break; }
      }
      const landed = own < newerEntry ? own : nextLanded;
      lags[idx[j]] = landed === Infinity && cutoff !== undefined ? cutoff - c.t : landed - c.t;
      nextLanded = landed;
    }
  }
  return lags;
}

/** The operator's watcher process (lib/ops-scraper.js); stop() resolves with its counts. */
function startScraper(url, everyMs) {
  const child = fork(path.join(__dirname, 'lib', 'ops-scraper.js'), [], {
    env: { ...process.env, OPS_SCRAPE_URL: url, OPS_SCRAPE_EVERY_MS: String(everyMs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m.counts));
        child.once('exit', () => resolve({ errors: 1, lastError: 'the watcher exited' }));
        child.send('stop');
      }),
  };
}

const fin = (x) => (x === Infinity ? 'never' : x);

async function main() {
  const a = args();
  const variant = a.variant || 'a';
  const seconds = a.seconds || 30;
  const rate = a.rate || 300;
  const evses = a.evses || 5000;
  const latencyMs = a.latencyMs ?? 50;
  const seed = a.seed || 42;
  const drainCapMs = a.drainCapMs || 60000;

  const fleet = new Fleet(evses);
  const model = new SessionModel({ evses, seed });
  const initial = model.statuses();
  const times = poissonTimes(rate, seconds, seed + 1);
  const r = mulberry32(seed + 2);
  const t0ts = Date.UTC(2026, 0, 1);
  const events = times.map((t) => ({ t, ...model.next() }));

  const sim = await startSimProcess({ latencyMs, mode: 'records' });
  await sim.call('seed', { operatorId: OPERATOR_ID, records: initial.map((s, i) => ({ EvseID: fleet.evseId[i], EvseStatus: OICP[s] })) });
  const withOps = variant === 'a' && (a.ops === 'on' || a.ops === 'off');
  const red = await startRed(flowFor(variant, sim), withOps ? { listen: true, settings: { httpAdminRoot: '/', disableEditor: false } } : {});
  const scraper = withOps && a.ops === 'on' ? startScraper(red.url, a.scrapeEveryMs || 1000) : undefined;
  let gate = null;
  if (variant === 'a' && a.gate) {
    gate = red.node('hub1').hubject.gate;
    const acked = new Set(fleet.evseId);
    gate.registerDataSource('bench-data', { isAcknowledged: (id) => acked.has(id) });
    if (!gate.active) throw new Error('the status gate did not turn on with a registered data source');
  }
  const first = red.node('first');
  const out = red.node('out');
  const httpStatus = {};
  let ackRecords = 0;
  red.hook('out', (msg) => {
    if (variant === 'a') ackRecords += (msg.oicp && msg.oicp.records) || 0;
    else httpStatus[msg.statusCode] = (httpStatus[msg.statusCode] || 0) + 1;
  });

  // Truth before the run; the mapper learns it (onlyChanges needs the previous status), the simulator already holds it.
  const truth = initial.map((s) => OICP[s]);
  if (variant === 'a') {
    for (let i = 0; i < evses; i++) {
      first.receive(ocppMessage(fleet.cb[i], fleet.connector[i], initial[i], new Date(t0ts).toISOString(), uuid(r), uuid(r)));
      if ((i & 255) === 255) await sleep(0);
    }
    const primed = await (async () => { const end = Date.now() + 60000; while (ackRecords < evses && Date.now() < end) await sleep(20); return ackRecords >= evses; })();
    if (!primed) throw new Error(`priming the mapper did not finish: ${ackRecords} of ${evses} records acknowledged`);
  }
  await sleep(300);
  await sim.call('resetStats');
  const outBefore = out.count;

  // Messages are built before the clock starts; the driver only stamps and injects them at their scheduled times.
  const msgs = events.map((ev) => ocppMessage(fleet.cb[ev.evse], fleet.connector[ev.evse], ev.status, new Date(t0ts + 1000 + ev.t).toISOString(), uuid(r), uuid(r)));
  const changes = [];
  const entry = new Float64Array(events.length);
  const start = now() + 50;
  await new Promise((resolve) => {
    let i = 0;
    const step = () => {
      const t = now() - start;
      while (i < events.length && events[i].t <= t) {
        entry[i] = now();
        first.receive(msgs[i]);
        i++;
      }
      if (i >= events.length) return resolve();
      setTimeout(step, Math.max(1, Math.floor(events[i].t - (now() - start))));
    };
    setTimeout(step, 50);
  });
  const injectedAt = now();
  const injectMs = injectedAt - start;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    const s = OICP[ev.status];
    if (s !== truth[ev.evse]) {
      changes.push({ evse: ev.evse, status: s, t: entry[i] });
      truth[ev.evse] = s;
    }
  }

  // Drain: until Hubject holds the truth and nothing is in flight (a), or every request got its answer (b, c).
  const applied = [];
  const held = initial.map((s) => OICP[s]);
  const take = async () => {
    const x = await sim.call('takeApplied');
    for (let k = 0; k < x.length; k += 3) {
      applied.push(x[k], x[k + 1], x[k + 2]);
      held[fleet.index.get(x[k])] = x[k + 1];
    }
  };
  let drained = false;
  const drainEnd = Date.now() + drainCapMs;
  while (Date.now() < drainEnd) {
    await take();
    if (variant === 'a') {
      const st = await sim.call('stats');
      if (st.inFlight === 0 && held.every((s, i) => s === truth[i])) { drained = true; break; }
    } else if (out.count - outBefore >= events.length) { drained = true; break; }
    await sleep(100);
  }
  await sleep(200);
  await take();
  const finishedAt = now();
  const ops = scraper ? await scraper.stop() : undefined;
  const st = await sim.call('stats', { state: true });
  const state = new Map(st.state);
  let mismatches = 0;
  for (let i = 0; i < evses; i++) if (state.get(fleet.evseId[i]) !== truth[i]) mismatches++;

  const open = score(changes, applied, fleet);
  const lost = open.filter((x) => x === Infinity).length;
  // Cut off with requests still queued: the changes not yet landed count with their lag so far (a lower bound).
  const censored = !drained && lost > 0;
  const lags = (censored ? score(changes, applied, fleet, finishedAt) : open).sort((x, y) => x - y);
  const landed = open.filter((x) => x !== Infinity).sort((x, y) => x - y);
  const result = {
    variant,
    // The gate's state at the end: held must be 0 (every EVSE acknowledged).
    gate: gate ? { active: gate.active, held: gate.heldCount } : undefined,
    label: { a: 'mapper + push node', b: 'function + delay 33/s + http request', c: 'function + http request' }[variant],
    seed, evses, seconds, rate, latencyMs,
    messages: events.length,
    changes: changes.length,
    injectMs,
    drained,
    runMs: finishedAt - start,
    // Infinity (a change Hubject never got) is written as the string 'never'.
    // lowerBound: the run was cut off; not yet landed changes count with their lag at the cut-off, so the values are minimums.
    lag: { p50: fin(percentile(lags, 50)), p99: fin(percentile(lags, 99)), max: fin(lags[lags.length - 1]), lost: censored ? 0 : lost, notYetLanded: censored ? lost : 0, lowerBound: censored,
      // The same over the changes that did land (for information: hides the lost ones).
      landedP50: percentile(landed, 50), landedP99: percentile(landed, 99) },
    requests: st.pushes,
    requestsPerMinute: (st.pushes / ((finishedAt - start) / 1000)) * 60,
    peakPerMinute: st.peakPerMinute,
    overlaps: st.overlaps,
    maxInFlight: st.maxInFlight,
    rateLimited: st.rateLimited,
    byStatus: st.byStatus,
    responses: variant === 'a' ? undefined : httpStatus,
    finalEqualsTruth: mismatches === 0,
    mismatches,
    pendingAtCutoff: variant === 'a' ? undefined : events.length - (out.count - outBefore),
    // With BENCH_ARGS.ops: the arm, and what the watcher got (scrapes, sidebar states, comms updates, errors).
    ops: withOps ? { arm: a.ops, ...(ops || {}) } : undefined,
  };
  await red.stop();
  await sim.stop();
  return result;
}

module.exports = { score };
if (require.main === module) runMain(main);
