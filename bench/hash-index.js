'use strict';
// Micro-benchmark of the hash index behind the full load store and the push queue's duplicate check, and of push
// input validation. `node bench/hash-index.js [baseNodesDir]`: with a second build (e.g. of an earlier commit),
// rounds alternate between the two in one process and the medians of CPU ms per round are compared, which holds
// up better than wall time on a busy machine.
const path = require('path');

const N = 100_000;
const ROUNDS = Number(process.env.ROUNDS) || 15;
const ids = Array.from({ length: N }, (_, i) => `DE*ABC*E${i}*${i % 7}`);
const lower = ids.map((id) => id.toLowerCase());
const statuses = ['Available', 'Occupied', 'Reserved', 'OutOfService'];
const canonical = ids.map((EvseID, i) => ({ EvseID, EvseStatus: statuses[i & 3] }));

function load(dir) {
  return {
    dir,
    StatusStore: require(path.join(dir, 'fullload', 'store')).StatusStore,
    KeyIndex: require(path.join(dir, 'push', 'keyindex')).KeyIndex,
    evseKey: require(path.join(dir, 'oicp', 'ids')).evseKey,
    parsePushInput: require(path.join(dir, 'push', 'input')).parsePushInput,
  };
}

const cases = {
  // Fill 100,000 EVSEs, report each again with another status (lookup hits), delete half, add them back.
  store: (m, r) => {
    const s = new m.StatusStore();
    for (let i = 0; i < N; i++) s.set(ids[i], statuses[(i + r) & 3], 1);
    for (let i = 0; i < N; i++) s.set(lower[i], statuses[(i + r + 1) & 3], 2);
    for (let i = 0; i < N; i += 2) s.delete(ids[i]);
    for (let i = 0; i < N; i += 2) s.set(ids[i], 'Available', 3);
    if (s.size !== N) throw new Error('store size');
  },
  // The queue's duplicate check of a 100,000-record fullLoad, every tenth EvseID repeated.
  keyIndex: (m) => {
    const idx = new m.KeyIndex(N);
    const list = [];
    for (let i = 0; i < N; i++) {
      const id = ids[i % 10 === 9 ? i - 1 : i];
      const key = m.evseKey(id);
      const at = idx.find(key, (pos) => m.evseKey(list[pos]) === key);
      if (at < 0) { idx.add(key, list.length); list.push(id); } else list[at] = id;
    }
  },
  // Validation of a 100,000-record push (canonical records, as the full load node sends them).
  pushInput: (m) => {
    if (m.parsePushInput(canonical, 'fullLoad', 'update', 'DE*ABC').records.length !== N) throw new Error('push count');
  },
};

function cpuMs(fn) {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return Math.round(s[s.length >> 1] * 10) / 10;
}

const builds = [load(path.join(__dirname, '..', 'nodes'))];
if (process.argv[2]) builds.unshift(load(path.resolve(process.argv[2])));
const out = {};
for (const [name, fn] of Object.entries(cases)) {
  const times = builds.map(() => []);
  for (let r = 0; r < ROUNDS + 2; r++) {
    // Alternate which build goes first, so neither always inherits the other's garbage.
    const order = r % 2 ? builds.map((_, b) => b).reverse() : builds.map((_, b) => b);
    for (const b of order) {
      const ms = cpuMs(() => fn(builds[b], r));
      if (r >= 2) times[b].push(ms); // two warm-up rounds
    }
  }
  out[name] = Object.fromEntries(builds.map((m, b) => [b === builds.length - 1 ? 'this build' : 'base', median(times[b])]));
}
console.log(JSON.stringify({ rounds: ROUNDS, medianCpuMs: out }, null, 1));
