'use strict';
// Before/after in one run on one machine: the same benchmarks from two checkouts (each built), alternating, the
// order flipped every round so drift in the machine's load hits both. Prints medians and after/before ratios.
//   node bench/compare.js <before-root> <after-root> [rounds=3] [benches=b2x1,b2x10,b3,b5,outbox]
// b2x1/b2x10: B2 a) at 300 and 3,000 OCPP changes a second; b3: the 100k fullLoad; b5: the data fullLoad;
// outbox: bench/outbox-append.js (100,000 enqueues, a save every 1,000). Raw results: bench/compare.jsonl (ignored).
const fs = require('fs');
const path = require('path');
const { fork, execFileSync } = require('child_process');
const { median } = require('./lib/util');

const [before, after, roundsArg, benchArg] = process.argv.slice(2);
if (!before || !after) {
  console.error('usage: node bench/compare.js <before-root> <after-root> [rounds] [benches]');
  process.exit(2);
}
const rounds = Number(roundsArg) || 3;
const benches = (benchArg || 'b2x1,b2x10,b3,b5,outbox').split(',');
const B2 = { variant: 'a', seconds: 30, evses: 5000, latencyMs: 50, seed: 42, drainCapMs: 60000 };
const PLAN = {
  b2x1: { script: 'b2-freshness.js', args: { ...B2, rate: 300 }, get: (r) => ({ p50: r.lag.p50, p99: r.lag.p99 }) },
  b2x10: { script: 'b2-freshness.js', args: { ...B2, rate: 3000 }, get: (r) => ({ p50: r.lag.p50, p99: r.lag.p99 }) },
  b3: { script: 'b3-fullload.js', args: { evses: 100000, seed: 3, warm: 1 }, gc: true, get: (r) => ({ buildMs: r.fullLoad.buildMs, ingestMs: r.ingest.ms }) },
  b5: { script: 'b5-data-fullload.js', args: { records: 20000, runs: 1 }, get: (r) => ({ coreMs: r.core.totalMs }) },
};

function runBench(root, b) {
  if (b === 'outbox') {
    const line = execFileSync(process.execPath, [path.join(root, 'bench', 'outbox-append.js'), '100000', '1000'], { cwd: root, encoding: 'utf8' });
    const m = /([\d.]+) bytes per enqueue, ([\d.]+) µs per enqueue/.exec(line);
    return Promise.resolve({ usPerItem: Number(m[2]), bytesPerItem: Number(m[1]) });
  }
  const p = PLAN[b];
  return new Promise((resolve, reject) => {
    const child = fork(path.join(root, 'bench', p.script), [], {
      cwd: root,
      execArgv: p.gc ? ['--expose-gc'] : [],
      env: { ...process.env, BENCH_ARGS: JSON.stringify(p.args) },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    let result;
    child.on('message', (m) => {
      if (m && m.result) result = m.result;
    });
    child.on('exit', (code) => (result ? resolve(p.get(result)) : reject(new Error(`${p.script} in ${root} exited with ${code}`))));
  });
}

(async () => {
  const out = path.join(__dirname, 'compare.jsonl');
  fs.writeFileSync(out, '');
  const rows = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 ? ['after', 'before'] : ['before', 'after'];
    for (const arm of order) {
      for (const b of benches) {
        const r = await runBench(arm === 'before' ? before : after, b);
        const row = { round: i + 1, arm, bench: b, load: require('os').loadavg()[0], at: new Date().toISOString(), ...r };
        rows.push(row);
        fs.appendFileSync(out, JSON.stringify(row) + '\n');
        console.error(JSON.stringify(row));
      }
    }
  }
  for (const b of benches) {
    const keys = Object.keys(rows.find((r) => r.bench === b)).filter((k) => !['round', 'arm', 'bench', 'load', 'at'].includes(k));
    for (const k of keys) {
      const of = (arm) => rows.filter((r) => r.bench === b && r.arm === arm).map((r) => r[k]);
      const mb = median(of('before'));
      const ma = median(of('after'));
      console.log(`${b} ${k}: before ${of('before').map((x) => Math.round(x * 10) / 10).join(' / ')} (median ${Math.round(mb * 10) / 10}); after ${of('after').map((x) => Math.round(x * 10) / 10).join(' / ')} (median ${Math.round(ma * 10) / 10}); ratio ${(ma / mb).toFixed(2)}`);
    }
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
