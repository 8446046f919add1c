'use strict';
const { performance } = require('perf_hooks');

/** Wall clock in ms with sub-ms resolution, comparable across processes of the same machine. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tick = () => new Promise((r) => setImmediate(r));

async function until(pred, ms, _what = 'condition', every = 5) {
  const end = Date.now() + ms;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() > end) return false;
    await sleep(every);
  }
}

function median(xs) {
  const a = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((p, q) => p - q);
  if (!a.length) return null;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Nearest-rank percentile of a sorted array (Infinity allowed for lost changes). */
function percentile(sorted, p) {
  if (!sorted.length) return null;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

/** Result channel: IPC to bench/run.js when forked, else JSON on stdout. */
function report(result) {
  if (process.send) process.send({ result });
  else console.log(JSON.stringify(result, null, 2));
}

/** Runs main(), reports its result, then exits (Node-RED and sockets may keep the loop alive). */
function runMain(main) {
  main().then(
    (r) => {
      report(r);
      setTimeout(() => process.exit(0), 50);
    },
    (err) => {
      console.error(err && err.stack ? err.stack : err);
      if (process.send) process.send({ error: String(err && err.stack ? err.stack : err) });
      setTimeout(() => process.exit(1), 50);
    },
  );
}

function args() {
  try { return JSON.parse(process.env.BENCH_ARGS || '{}'); } catch { return {}; }
}

module.exports = { now, sleep, tick, until, median, percentile, report, runMain, args };
