'use strict';
// npm run bench: the benchmarks B1-B5 and B7 (B7_FULL=1: the issue's full CDR drain), each run in its own Node.js process (fresh Node-RED, fresh simulator process),
// medians over the runs, a table on stdout and bench/results.json.
//
// Environment:
//   BENCH_QUICK=1        short smoke run (fewer runs, 10 s B2, shorter soak); numbers are not comparable
//   BENCH_ONLY=b1,b3     run only these benchmarks (b8: remote start, bench/b8-remote.js) (b2g: B2 a) with the status gate on against off, BENCH_RUNS_B2G)
//   BENCH_RUNS_B1=5 BENCH_RUNS_B2A=3 BENCH_RUNS_B2B=1 BENCH_RUNS_B2C=3 BENCH_RUNS_B3=3 BENCH_RUNS_B4=1 BENCH_RUNS_B5=3
//   BENCH_RUNS_B6=20    bursts per arm of B6 (50 concurrent AuthorizeStarts each)
//   BENCH_RUNS_B2OPS=4   alternations of B2a without / with the OICP sidebar and metrics scraped every second
//                        (BENCH_ONLY=b2ops runs just that comparison)
// Arguments:
//   --readme             also rewrite docs/performance.md (linked from README.md) with this run's tables
//   --readme-only        only rewrite docs/performance.md from the last bench/results.json
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');
const { median } = require('./lib/util');
const { nodeRedVersion } = require('./lib/red');

const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
const ONLY = (process.env.BENCH_ONLY || '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
const runs = (name, full, quick) => Number(process.env[`BENCH_RUNS_${name}`]) || (QUICK ? quick : full);
const want = (b) => ONLY.length === 0 || ONLY.includes(b);
const NOISE = /Projects disabled|Encrypted credentials not found|Welcome to Node-RED|^=+$|^\s*$/;

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0] ? cpus[0].model : 'unknown',
    cores: cpus.length,
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    nodeRed: nodeRedVersion(),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Runs one benchmark process; resolves with its result. */
function runOne(script, args, { gc = false, timeoutMs = 15 * 60 * 1000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, script), [], {
      execArgv: gc ? ['--expose-gc'] : [],
      env: { ...process.env, BENCH_ARGS: JSON.stringify(args) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let result;
    let error;
    const relay = (stream) => {
      let buf = '';
      stream.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!NOISE.test(line.replace(/^\d+ \w+ [\d:]+ - \[\w+\] /, ''))) process.stderr.write(`    [${script}] ${line}\n`);
        }
      });
    };
    relay(child.stdout);
    relay(child.stderr);
    const timer = setTimeout(() => { error = `timed out after ${timeoutMs / 1000} s`; child.kill('SIGKILL'); }, timeoutMs);
    child.on('message', (m) => { if (m && m.result) result = m.result; if (m && m.error) error = m.error; });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`${script} ${JSON.stringify(args)}: ${error || `exited with ${code} and no result`}`));
    });
  });
}

const num = (x) => (x === 'never' || x === null || x === undefined ? Infinity : x);
const med = (rs, f) => median(rs.map((r) => num(f(r))));
const fmtInt = (x) => (x === Infinity ? 'never' : x === null || x === undefined ? '-' : Math.round(x).toLocaleString('en-US'));
const fmtMs = (x) => (x === Infinity ? 'never' : x === null || x === undefined ? '-' : x >= 10000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const fmtX = (x) => (x === Infinity ? '∞' : x === null || x === undefined ? '-' : `${x >= 100 ? Math.round(x) : x.toFixed(x >= 10 ? 1 : 2)}x`);
const yes = (b) => (b ? 'yes' : 'no');
const mark = (ok) => (ok ? 'met' : 'NOT met');

async function main() {
  const started = Date.now();
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-bench-certs-'));
  process.env.BENCH_CERT_DIR = certDir;
  process.once('exit', () => fs.rmSync(certDir, { recursive: true, force: true }));
  const out = { date: new Date().toISOString(), quick: QUICK, machine: machine(), command: 'npm run bench', results: {} };
  const log = (s) => process.stderr.write(s + '\n');
  log(`machine: ${out.machine.cpu}, ${out.machine.cores} cores, ${out.machine.memoryGB} GB, ${out.machine.os}, Node ${out.machine.node}, Node-RED ${out.machine.nodeRed}${QUICK ? '  (BENCH_QUICK)' : ''}`);

  if (want('b1')) {
    const n = runs('B1', 5, 1);
    const rs = [];
    for (let i = 0; i < n; i++) {
      log(`B1 mapping throughput, run ${i + 1}/${n}`);
      rs.push(await runOne('b1-mapping.js', { messages: 200000, warmup: 20000, order: i % 2 ? ['function', 'mapper'] : ['mapper', 'function'], seed: 1 }, { gc: true }));
    }
    out.results.b1 = {
      runs: rs,
      messages: rs[0].messages,
      settings: rs[0].settings,
      mapperRate: med(rs, (r) => r.mapper.rate),
      functionRate: med(rs, (r) => r.function.rate),
      ratio: med(rs, (r) => r.ratio),
    };
  }

  if (want('b2')) {
    const seconds = QUICK ? 10 : 30;
    const plan = { a: runs('B2A', 3, 1), b: runs('B2B', 1, 1), c: runs('B2C', 3, 1) };
    const rs = { a: [], b: [], c: [] };
    const order = [];
    for (let i = 0; i < Math.max(plan.a, plan.c); i++) for (const v of ['a', 'c']) if (i < plan[v]) order.push(v);
    for (let i = 0; i < plan.b; i++) order.push('b');
    for (const v of order) {
      log(`B2${v} freshness, run ${rs[v].length + 1}/${plan[v]}${v === 'b' ? ' (the delay node drains its queue for minutes)' : ''}`);
      rs[v].push(await runOne('b2-freshness.js', { variant: v, seconds, rate: 300, evses: 5000, latencyMs: 50, seed: 42, drainCapMs: v === 'b' ? (QUICK ? 30000 : 400000) : 60000 }));
    }
    const summary = (list) => list.length === 0 ? null : ({
      label: list[0].label,
      runs: list,
      messages: list[0].messages,
      changes: list[0].changes,
      lowerBound: list.some((r) => r.lag.lowerBound),
      notYetLanded: med(list, (r) => r.lag.notYetLanded || 0),
      p50: med(list, (r) => r.lag.p50),
      p99: med(list, (r) => r.lag.p99),
      max: med(list, (r) => r.lag.max),
      lost: med(list, (r) => r.lag.lost),
      requests: med(list, (r) => r.requests),
      requestsPerMinute: med(list, (r) => r.requestsPerMinute),
      peakPerMinute: med(list, (r) => r.peakPerMinute),
      overlaps: med(list, (r) => r.overlaps),
      rateLimited: med(list, (r) => r.rateLimited),
      finalEqualsTruth: list.every((r) => r.finalEqualsTruth),
      drained: list.every((r) => r.drained),
    });
    out.results.b2 = { seconds, rate: 300, evses: 5000, latencyMs: 50, seed: 42, a: summary(rs.a), b: summary(rs.b), c: summary(rs.c) };
    const { a, b } = out.results.b2;
    if (a && b) out.results.b2.p99RatioBtoA = b.p99 / a.p99;
  }

  if (want('b2ops')) {
    // The same B2a twice per alternation, the arm order flipped each time, so drift in the machine's load hits both.
    const seconds = QUICK ? 10 : 30;
    const n = runs('B2OPS', 4, 1);
    const rs = { off: [], on: [] };
    const pairs = [];
    for (let i = 0; i < n; i++) {
      const pair = {};
      for (const arm of i % 2 ? ['on', 'off'] : ['off', 'on']) {
        const load = os.loadavg()[0];
        log(`B2a ${arm === 'on' ? 'with' : 'without'} the OICP sidebar and metrics scrapes, alternation ${i + 1}/${n} (load average ${load.toFixed(2)})`);
        const r = await runOne('b2-freshness.js', { variant: 'a', ops: arm, seconds, rate: 300, evses: 5000, latencyMs: 50, seed: 42, drainCapMs: 60000 });
        r.loadAverage = Math.round(load * 100) / 100;
        rs[arm].push(r);
        pair[arm] = r;
      }
      pairs.push(num(pair.on.lag.p99) / num(pair.off.lag.p99));
    }
    const arm = (list) => ({
      runs: list,
      p50: med(list, (r) => r.lag.p50),
      p99: med(list, (r) => r.lag.p99),
      max: med(list, (r) => r.lag.max),
      lost: med(list, (r) => r.lag.lost),
      finalEqualsTruth: list.every((r) => r.finalEqualsTruth),
      loadAverage: med(list, (r) => r.loadAverage),
    });
    const off = arm(rs.off);
    const on = arm(rs.on);
    out.results.b2ops = {
      seconds,
      rate: 300,
      evses: 5000,
      latencyMs: 50,
      seed: 42,
      alternations: n,
      off,
      on,
      p99Ratio: on.p99 / off.p99,
      pairRatios: pairs,
      pairRatioMedian: median(pairs),
      scrapes: med(rs.on, (r) => r.ops && r.ops.scrapes),
      states: med(rs.on, (r) => r.ops && r.ops.states),
      comms: med(rs.on, (r) => r.ops && r.ops.comms),
      scrapeErrors: rs.on.reduce((k, r) => k + ((r.ops && r.ops.errors) || 0), 0),
      loadAverages: [...rs.off, ...rs.on].map((r) => r.loadAverage),
    };
  }
  // B2 with the status gate on (a data source acknowledging every EVSE) against gate off, alternating in one run.
  if (want('b2g')) {
    const seconds = QUICK ? 10 : 30;
    const n = runs('B2G', 3, 1);
    const rs = { off: [], on: [] };
    for (let i = 0; i < n; i++) {
      for (const g of ['off', 'on']) {
        log(`B2 gate ${g}, run ${i + 1}/${n}`);
        rs[g].push(await runOne('b2-freshness.js', { variant: 'a', gate: g === 'on', seconds, rate: 300, evses: 5000, latencyMs: 50, seed: 42, drainCapMs: 60000 }));
      }
    }
    const sum = (list) => ({
      runs: list.map((r) => ({ p50: r.lag.p50, p99: r.lag.p99, max: r.lag.max, requests: r.requests, finalEqualsTruth: r.finalEqualsTruth, gate: r.gate })),
      p50: med(list, (r) => r.lag.p50),
      p99: med(list, (r) => r.lag.p99),
      finalEqualsTruth: list.every((r) => r.finalEqualsTruth),
      held: Math.max(0, ...list.map((r) => (r.gate ? r.gate.held : 0))),
    });
    const off = sum(rs.off);
    const on = sum(rs.on);
    out.results.b2gate = { seconds, rate: 300, evses: 5000, latencyMs: 50, seed: 42, off, on, p99Ratio: on.p99 / off.p99 };
  }

  if (want('b3')) {
    const n = runs('B3', 3, 1);
    const rs = [];
    for (let i = 0; i < n; i++) {
      log(`B3 fullLoad at 100,000 EVSEs, run ${i + 1}/${n}`);
      rs.push(await runOne('b3-fullload.js', { evses: 100000, seed: 3, warm: 1 }, { gc: true }));
    }
    log('B3 again on a cold runtime (no request before the fullLoad), for the record');
    const cold = await runOne('b3-fullload.js', { evses: 100000, seed: 3, warm: 0 }, { gc: true });
    out.results.b3 = {
      cold: { rssGrowthMB: cold.rss.growthMB, run: cold },
      runs: rs,
      evses: rs[0].evses,
      ingestRate: med(rs, (r) => r.ingest.rate),
      buildMs: med(rs, (r) => r.fullLoad.buildMs),
      serialiseMs: med(rs, (r) => r.fullLoad.serialiseMs),
      bodyBytes: med(rs, (r) => r.fullLoad.bodyBytes),
      landedMs: med(rs, (r) => r.fullLoad.landedMs),
      eventLoopMaxMs: med(rs, (r) => r.eventLoopMaxMs),
      eventLoopMaxMsWorst: Math.max(...rs.map((r) => r.eventLoopMaxMs)),
      ingestStallMs: med(rs, (r) => r.ingest.stallMaxMs),
      buildStallMs: med(rs, (r) => r.fullLoad.buildStallMaxMs),
      pushStallMs: med(rs, (r) => r.fullLoad.pushStallMaxMs),
      rssGrowthMB: med(rs, (r) => r.rss.growthMB),
      rssGrowthToBuildMB: med(rs, (r) => r.rss.growthToBuildMB),
      retainedHeapMB: med(rs, (r) => r.heap.retainedAfterGcMB),
    };
  }

  if (want('b4')) {
    const n = runs('B4', 1, 1);
    const rs = [];
    for (let i = 0; i < n; i++) {
      log(`B4 soak, run ${i + 1}/${n}`);
      rs.push(await runOne('b4-soak.js', { messages: QUICK ? 200000 : 1000000, mark: QUICK ? 20000 : 100000, evses: 5000, latencyMs: 5, seed: 11 }, { gc: true }));
    }
    out.results.b4 = {
      runs: rs,
      messages: rs[0].messages,
      mark: rs[0].mark,
      rate: med(rs, (r) => r.rate),
      heapMarkMB: med(rs, (r) => r.heap.markMB),
      heapEndMB: med(rs, (r) => r.heap.endMB),
      heapRatio: med(rs, (r) => r.heap.ratio),
      leak: rs.some((r) => r.resources.leak),
      resources: rs[rs.length - 1].resources,
      requests: med(rs, (r) => r.requests),
      overlaps: med(rs, (r) => r.overlaps),
      finalEqualsTruth: rs.every((r) => r.finalEqualsTruth),
    };
  }

  if (want('b5')) {
    log('B5 data fullLoad of 20,000 EvseDataRecords, core vs hand-built');
    out.results.b5 = await runOne('b5-data-fullload.js', { records: 20000, runs: runs('B5', 3, 1) });
  }

  if (want('b6')) {
    log('B6 authorization overhead: bursts of 50 concurrent AuthorizeStarts, authorize node against function + http request');
    out.results.b6 = await runOne('b6-authorize.js', { concurrency: 50, bursts: runs('B6', 20, 4), latencyMs: 50 });
  }

  if (want('b7')) {
    const full = process.env.B7_FULL === '1';
    log(full ? 'B7 CDR outage drain: 10,000 CDRs, 5 min outage, 350 a minute (B7_FULL)' : 'B7 CDR outage drain, scaled: 1,000 CDRs, 30 s outage, 500 a minute (client and simulator) (B7_FULL=1 for the issue\'s 10,000 / 5 min / 350)');
    out.results.b7 = await runOne('b7-cdr-drain.js', {}, { gc: true, timeoutMs: (full ? 120 : 15) * 60 * 1000 });
  }

  if (want('b8')) {
    log('B8 100 concurrent remote starts: CPO endpoint vs core http-in behind a TLS terminator');
    out.results.b8 = await runOne('b8-remote.js', { rounds: QUICK ? 2 : 5 });
  }

  out.targets = targets(out.results);
  out.durationS = Math.round((Date.now() - started) / 1000);
  const md = table(out);
  out.table = md;
  fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(out, (k, v) => (v === Infinity ? 'never' : v), 2));
  console.log('\n' + md);
  log(`\nbench/results.json written (${out.durationS} s)`);
  if (process.argv.includes('--readme')) updateReadme(md);
}

const MB_ = 1024 * 1024;

function targets(r) {
  const t = [];
  if (r.b1) t.push({ id: 'B1', what: 'mapper >= 1.5x function node', value: r.b1.ratio, met: r.b1.ratio >= 1.5 });
  if (r.b2 && r.b2.a) {
    const a = r.b2.a;
    t.push({ id: 'B2a', what: 'p99 lag <= 200 ms', value: a.p99, met: a.p99 <= 200 });
    t.push({ id: 'B2a', what: '0 overlapping requests', value: a.overlaps, met: a.overlaps === 0 });
    t.push({ id: 'B2a', what: '<= 2000 requests a minute (the larger of the rolling-minute peak and the run\'s rate per minute)', value: Math.max(a.peakPerMinute, a.requestsPerMinute), met: a.peakPerMinute <= 2000 && a.requestsPerMinute <= 2000 });
    t.push({ id: 'B2a', what: 'final state equals the truth', value: a.finalEqualsTruth, met: a.finalEqualsTruth });
    if (r.b2.b) t.push({ id: 'B2a', what: 'p99 lag >= 20x lower than b', value: r.b2.p99RatioBtoA, met: r.b2.p99RatioBtoA >= 20 });
  }
  if (r.b2ops) {
    t.push({ id: 'B2a', what: 'p99 lag with the sidebar open and metrics scraped every second within 10 % of without (ratio of medians)', value: r.b2ops.p99Ratio, met: r.b2ops.p99Ratio <= 1.1 });
  }
  if (r.b2gate) {
    const g = r.b2gate;
    t.push({ id: 'B2 gate', what: 'p99 lag with the status gate on within 10% of gate off', value: g.p99Ratio, met: g.p99Ratio <= 1.1 });
    t.push({ id: 'B2 gate', what: 'nothing held, final state equals the truth', value: g.on.held === 0 && g.on.finalEqualsTruth, met: g.on.held === 0 && g.on.finalEqualsTruth });
  }
  if (r.b3) {
    t.push({ id: 'B3', what: 'build < 1 s', value: r.b3.buildMs, met: r.b3.buildMs < 1000 });
    t.push({ id: 'B3', what: 'event loop never blocked > 100 ms', value: r.b3.eventLoopMaxMsWorst, met: r.b3.eventLoopMaxMsWorst <= 100 });
    t.push({ id: 'B3', what: 'RSS growth <= 50 MB', value: r.b3.rssGrowthMB, met: r.b3.rssGrowthMB <= 50 });
  }
  if (r.b4) {
    t.push({ id: 'B4', what: 'heap after GC within 20% of the first 100,000', value: r.b4.heapRatio, met: r.b4.heapRatio <= 1.2 });
    t.push({ id: 'B4', what: 'no handle leak', value: !r.b4.leak, met: !r.b4.leak });
  }
  if (r.b8) t.push({ id: 'B8', what: 'remote start: p99 answer time <= 20 ms (warm connections)', value: r.b8.endpointWarm.p99, met: r.b8.endpointWarm.p99 <= 20 });
  if (r.b5) {
    t.push({ id: 'B5', what: 'data fullLoad: event loop never blocked > 100 ms', value: r.b5.core.eventLoopMaxMs, met: r.b5.core.eventLoopMaxMs <= 100 });
    t.push({ id: 'B5', what: 'data fullLoad: RSS growth <= 60 MB', value: r.b5.core.rssGrowthMB, met: r.b5.core.rssGrowthMB <= 60 });
  }
  if (r.b6) {
    t.push({ id: 'B6', what: 'authorization p99 (node in to out, minus the simulator\'s 50 ms) <= 10 ms', value: r.b6.node.p99, met: r.b6.node.p99 <= 10 });
  }

  if (r.b7) {
    const b = r.b7;
    t.push({ id: 'B7', what: 'CDR drain: 0 HTTP 429, 0 lost, 0 duplicates', value: b.http429 + b.lost + b.duplicates, met: b.http429 === 0 && b.lost === 0 && b.duplicates === 0 });
    t.push({ id: 'B7', what: 'CDR drain: RSS growth <= 50 MB', value: b.rssGrowthMB, met: b.rssGrowthMB <= 50 });
    t.push({ id: 'B7', what: 'CDR drain: time and bytes per enqueued CDR flat (last 10 % within 20 % of the first)', value: b.enqueueMs.last10 / b.enqueueMs.first10, met: b.enqueueMs.last10 <= 1.2 * b.enqueueMs.first10 && b.bytesPerCdr.last10 <= 1.2 * b.bytesPerCdr.first10 });
  }
  return t;
}

function table(out) {
  const r = out.results;
  const m = out.machine;
  const L = [];
  L.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB RAM, ${m.os}; Node.js ${m.node}, Node-RED ${m.nodeRed}. ${out.date.slice(0, 10)}${out.quick ? ', BENCH_QUICK (smoke run, not comparable)' : ''}. Load average at start: ${m.loadAverageAtStart.join(', ')}${m.loadAverageAtStart[0] > 1 ? ' (other jobs were running: expect noisy numbers)' : ''}.`);
  if (r.b1) {
    const b = r.b1;
    L.push('', `**B1 mapping throughput**: ${b.messages.toLocaleString('en-US')} node-red-contrib-ocpp StatusNotifications, median of ${b.runs.length} runs; the mapper with template \`${b.settings.mapper.evseIdTemplate}\` and onlyChanges ${b.settings.mapper.onlyChanges} (one output per message, like the function node).`, '');
    L.push('| flow | messages/s |', '|---|---:|');
    L.push(`| ocpp status mapper | ${fmtInt(b.mapperRate)} |`);
    L.push(`| function node (table + template) | ${fmtInt(b.functionRate)} |`);
    L.push(`| ratio (median of per-run ratios) | ${fmtX(b.ratio)} |`);
  }
  if (r.b2) {
    const b = r.b2;
    const v = [b.a, b.b, b.c].filter(Boolean);
    L.push('', `**B2 freshness under load**: ${b.evses.toLocaleString('en-US')} EVSEs, ${b.rate} OCPP status changes a second for ${b.seconds} s (seeded session model, seed ${b.seed}), simulator latency ${b.latencyMs} ms. A change is an OCPP message whose OICP status differs from the EVSE's previous one (${v[0].changes.toLocaleString('en-US')} of ${v[0].messages.toLocaleString('en-US')} messages); lag = entry into the flow until the simulator holds that status. Medians of ${v.map((x) => x.runs.length).join('/')} runs.`, '');
    L.push('| variant | p50 lag | p99 lag | max lag | changes never landed | requests | peak requests/min | overlapping requests | HTTP 429 | final state = truth |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const [k, x] of [['a', b.a], ['b', b.b], ['c', b.c]]) {
      if (!x) continue;
      const lb = x.lowerBound ? '≥ ' : '';
      const never = x.lowerBound ? `${fmtInt(x.lost)} (${fmtInt(x.notYetLanded)} still queued at the cut-off)` : fmtInt(x.lost);
      L.push(`| ${k}) ${x.label} | ${lb}${fmtMs(x.p50)} | ${lb}${fmtMs(x.p99)} | ${lb}${fmtMs(x.max)} | ${never} | ${fmtInt(x.requests)} | ${fmtInt(x.peakPerMinute)} | ${fmtInt(x.overlaps)} | ${fmtInt(x.rateLimited)} | ${x.drained ? yes(x.finalEqualsTruth) : 'not yet (cut off)'} |`);
    }
    if (b.p99RatioBtoA !== undefined) L.push('', `p99 lag of b) / a): ${b.b.lowerBound ? '≥ ' : ''}${fmtX(b.p99RatioBtoA)}. "never": HTTP 429 answers that the plain http request node does not retry.`);
    // The target row shows the larger of two request rates of a); say how they relate to the table's column.
    if (b.a) L.push('', `Requests of a): the simulator counts at most ${fmtInt(b.a.peakPerMinute)} in any rolling 60 s (the column above; a run this short fits in one minute); the run's rate, ${fmtInt(b.a.requests)} requests scaled to a minute, is ${fmtInt(b.a.requestsPerMinute)}. The target row checks the larger${Math.max(b.a.peakPerMinute, b.a.requestsPerMinute) <= 2000 ? "; both stay under Hubject's 2,000" : ''}.`);
  }
  if (r.b2ops) {
    const b = r.b2ops;
    const la = b.loadAverages.filter((x) => typeof x === 'number');
    L.push('', `**B2a with the OICP sidebar open and /oicp/metrics scraped every second**: B2a as above (${b.seconds} s), in ${b.alternations} alternations of the two arms (order flipped each time). In both arms Node-RED listens with its editor and admin API; in the "with" arm a separate process scrapes GET /oicp/metrics and GET /oicp/state every second and keeps the comms websocket subscribed to the sidebar's live updates. Medians per arm; one-minute load average before each run: ${Math.min(...la).toFixed(2)} to ${Math.max(...la).toFixed(2)} (median ${median(la).toFixed(2)}).`, '');
    L.push('| arm | p50 lag | p99 lag | max lag | changes never landed | final state = truth | p99 of each run |', '|---|---:|---:|---:|---:|---|---|');
    for (const [label, x] of [['without', b.off], ['with sidebar + scrapes', b.on]]) {
      L.push(`| ${label} | ${fmtMs(x.p50)} | ${fmtMs(x.p99)} | ${fmtMs(x.max)} | ${fmtInt(x.lost)} | ${yes(x.finalEqualsTruth)} | ${x.runs.map((r) => fmtMs(num(r.lag.p99))).join(', ')} |`);
    }
    L.push('', `p99 with / without: ${b.p99Ratio.toFixed(2)} (ratio of the medians); per alternation ${b.pairRatios.map((x) => x.toFixed(2)).join(', ')} (median ${b.pairRatioMedian.toFixed(2)}). The watcher got a median of ${fmtInt(b.scrapes)} metrics scrapes, ${fmtInt(b.states)} states and ${fmtInt(b.comms)} live updates per run, ${fmtInt(b.scrapeErrors)} errors in all.`);
  }
  if (r.b2gate) {
    const g = r.b2gate;
    L.push('', `**B2 with the status gate on**: the B2 a) run with a data source registered that acknowledges every EVSE (a Set lookup per record, nothing held), alternating with gate off in the same run; medians of ${g.on.runs.length} runs each.`, '');
    L.push('| status gate | p50 lag | p99 lag | final state = truth |', '|---|---:|---:|---|');
    L.push(`| off | ${fmtMs(g.off.p50)} | ${fmtMs(g.off.p99)} | ${yes(g.off.finalEqualsTruth)} |`);
    L.push(`| on | ${fmtMs(g.on.p50)} | ${fmtMs(g.on.p99)} | ${yes(g.on.finalEqualsTruth)} |`);
    L.push('', `p99 gate on / gate off: ${fmtX(g.p99Ratio)} (target at most 1.10x).`);
  }
  if (r.b3) {
    const b = r.b3;
    L.push('', `**B3 fullLoad at ${b.evses.toLocaleString('en-US')} EVSEs** (full load -> push evse status -> simulator), median of ${b.runs.length} runs.`, '');
    L.push('| measure | value |', '|---|---:|');
    L.push(`| aggregator ingest | ${fmtInt(b.ingestRate)} records/s |`);
    L.push(`| build (trigger to the full load node's output) | ${fmtMs(b.buildMs)} |`);
    L.push(`| serialise (JSON.stringify of the request body) | ${fmtMs(b.serialiseMs)} |`);
    L.push(`| body size | ${(b.bodyBytes / 1024 / 1024).toFixed(1)} MB |`);
    L.push(`| trigger to Hubject holding the fullLoad | ${fmtMs(b.landedMs)} |`);
    L.push(`| longest event-loop block, monitorEventLoopDelay (worst run) | ${fmtMs(b.eventLoopMaxMsWorst)} |`);
    L.push(`| longest stall by phase: ingest / build / push of the fullLoad | ${fmtMs(b.ingestStallMs)} / ${fmtMs(b.buildStallMs)} / ${fmtMs(b.pushStallMs)} |`);
    L.push(`| peak RSS growth over the empty state (up to the build) | ${b.rssGrowthMB.toFixed(0)} MB (${b.rssGrowthToBuildMB.toFixed(0)} MB) |`);
    if (b.cold) L.push(`| the same on a cold runtime, whose first HTTPS request this fullLoad is (one run) | ${b.cold.rssGrowthMB.toFixed(0)} MB |`);
    L.push(`| heap retained after GC | ${b.retainedHeapMB === null ? '-' : b.retainedHeapMB.toFixed(0) + ' MB'} |`);
    L.push('', 'The empty state is the running flow with an empty full load node, after one single-record push was acknowledged: a process\'s first HTTPS response makes V8 compile undici\'s llhttp WebAssembly parser with its optimising tier (about 35 MB of compiler memory for some 50 ms, once per process, whatever the body size), which the cold row shows.');
  }
  if (r.b4) {
    const b = r.b4;
    L.push('', `**B4 soak**: ${b.messages.toLocaleString('en-US')} OCPP status changes, 5,000 EVSEs, mapper -> full load -> push, simulator latency 5 ms.`, '');
    L.push('| measure | value |', '|---|---:|');
    L.push(`| throughput | ${fmtInt(b.rate)} messages/s |`);
    L.push(`| heap after GC: after ${b.mark.toLocaleString('en-US')} / at the end | ${b.heapMarkMB.toFixed(1)} MB / ${b.heapEndMB.toFixed(1)} MB (${((b.heapRatio - 1) * 100).toFixed(1)} %) |`);
    L.push(`| active handles (start / ${b.mark.toLocaleString('en-US')} / end) | ${[b.resources.start, b.resources.mark, b.resources.end].map((x) => Object.values(x).reduce((p, q) => p + q, 0)).join(' / ')} |`);
    L.push(`| requests, overlapping | ${fmtInt(b.requests)}, ${fmtInt(b.overlaps)} |`);
    L.push(`| final state = truth | ${yes(b.finalEqualsTruth)} |`);
  }
  if (r.b5) {
    const b = r.b5;
    L.push('', `**B5 data fullLoad of ${b.records.toLocaleString('en-US')} full EvseDataRecords** (eRoamingPushEvseData, input as a CPO's backend gives it: numeric coordinates, alpha-2 countries, OCPP connectors), median of ${b.runs} runs; core = validate, normalise, plan and serialise in slices as the data node does; hand-built = a function node's mapping and one JSON.stringify, without checks.`, '');
    L.push('| measure | core | hand-built |', '|---|---:|---:|');
    L.push(`| body size | ${(b.core.bodyBytes / MB_).toFixed(1)} MB | ${(b.hand.bodyBytes / MB_).toFixed(1)} MB |`);
    L.push(`| build + serialise | ${fmtMs(b.core.totalMs)} | ${fmtMs(b.hand.totalMs)} |`);
    L.push(`| longest event-loop block | ${fmtMs(b.core.eventLoopMaxMs)} | ${fmtMs(b.hand.eventLoopMaxMs)} |`);
    L.push(`| RSS growth | ${b.core.rssGrowthMB.toFixed(0)} MB | ${b.hand.rssGrowthMB.toFixed(0)} MB |`);
    L.push(`| scheduled fullLoad from the store: time, block, RSS | ${fmtMs(b.core.stored.totalMs)}, ${fmtMs(b.core.stored.eventLoopMaxMs)}, ${b.core.stored.rssGrowthMB.toFixed(0)} MB | - |`);
  }
  if (r.b6) {
    const b = r.b6;
    L.push('', `**B6 authorization overhead**: bursts of ${b.concurrency} concurrent OCPP 1.6 Authorize requests (${b.concurrency} different lower-case UIDs) against the simulator answering AuthorizeStart after ${b.latencyMs} ms, ${b.bursts} bursts per arm, the arms alternating in one run after a warm-up burst each. Overhead = node in to the charger's answer out, minus the ${b.latencyMs} ms.`, '');
    L.push('| arm | requests | p50 overhead | p99 overhead | max overhead | answers |', '|---|---:|---:|---:|---:|---|');
    for (const [label, x] of [['authorize node', b.node], ['function + http request (same tls-config) + function', b.hand]]) {
      L.push(`| ${label} | ${fmtInt(x.samples)} | ${fmtMs(x.p50)} | ${fmtMs(x.p99)} | ${fmtMs(x.max)} | ${Object.entries(x.answers).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
    }
  }
  if (r.b8) {
    const b = r.b8;
    L.push('', `**B8 remote start**: ${b.concurrent} concurrent eRoamingAuthorizeRemoteStart, ${b.rounds} rounds after a warm-up, a flow that answers at once; time from the request to the whole answer at the caller. Cold: a new TLS connection per request; warm: connections already open.`, '');
    L.push('| | CPO endpoint (oicp-cpo-endpoint, remote in/response) | core http in/response behind a TLS terminator |', '|---|---:|---:|');
    L.push(`| cold p50 / p99 | ${fmtMs(b.endpointCold.p50)} / ${fmtMs(b.endpointCold.p99)} | ${fmtMs(b.coreCold.p50)} / ${fmtMs(b.coreCold.p99)} |`);
    L.push(`| warm p50 / p99 | ${fmtMs(b.endpointWarm.p50)} / ${fmtMs(b.endpointWarm.p99)} | ${fmtMs(b.coreWarm.p50)} / ${fmtMs(b.coreWarm.p99)} |`);
  }
  if (out.targets.length) {
    L.push('', '**Targets**', '', '| | target | measured | |', '|---|---|---:|---|');
    for (const t of out.targets) {
      const val = typeof t.value === 'boolean' ? yes(t.value) : t.what.includes('ms') || t.what.includes('< 1 s') || t.what.includes('lag <=') ? fmtMs(t.value) : t.what.includes('x ') || t.what.includes('% ') || t.what.includes('ratio') ? (t.what.includes('%') ? t.value.toFixed(2) : fmtX(t.value)) : t.what.includes('MB') ? `${t.value.toFixed(0)} MB` : fmtInt(t.value);
      L.push(`| ${t.id} | ${t.what} | ${val} | ${mark(t.met)} |`);
    }
  }
  return L.join('\n');
}

function updateReadme(md) {
  const file = path.join(__dirname, '..', 'docs', 'performance.md');
  const text = `# Performance\n\n\`npm run bench\` (about fifteen minutes; \`BENCH_QUICK=1 npm run bench\` for a one-minute smoke run) runs the benchmarks of\n\`bench/\`: each in a real Node-RED runtime against the local simulator over mutual TLS, in its own processes, with fixed\nseeds. It prints these tables and writes \`bench/results.json\`. Latest run:\n\n${md}\n`;
  fs.writeFileSync(file, text);
  process.stderr.write('docs/performance.md updated (the summary in README.md is kept by hand)\n');
}

if (process.argv.includes('--readme-only')) {
  // Rewrites docs/performance.md from the last bench/results.json without running anything.
  const last = JSON.parse(fs.readFileSync(path.join(__dirname, 'results.json'), 'utf8'), (k, v) => (v === 'never' ? Infinity : v));
  updateReadme(table(last));
} else main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
