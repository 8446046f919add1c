'use strict';
// Fuzzing: 10,000 random and malformed messages into each node (push evse status, ocpp status, full load)
// from a fixed seed (test/fixtures/fuzz). Node-RED never crashes; every message gets exactly one catchable error or
// is handled (done without error); nothing pollutes a prototype; the valid messages mixed in land at Hubject.
require('should');
const crypto = require('crypto');
const helper = require('node-red-node-test-helper');
const { startSim, pullViaHttp, statusesFromPull } = require('../support/sim');
const { hubjectNodes, until, observers } = require('../support/flows');
const { assertEvseStatusRecord } = require('../support/openapi');
const { evseKey } = require('../../nodes/oicp/ids');
const { parseStatusRecords, parseDeleteIds } = require('../../nodes/fullload');
const gen = require('../fixtures/fuzz/generator');
const corpus = require('../fixtures/fuzz/seed.json');
const {
  ALL_NODES,
  pushNode,
  ocppStatusNode,
  fullLoadNode,
  startHelper,
  stopHelper,
  report,
  byKey,
  diffStatuses,
  trackQueue,
  prototypeSnapshot,
} = require('./lib');

helper.init(require.resolve('node-red'));

// FUZZ_SEED / FUZZ_COUNT explore other corpora; the recorded one (seed.json) is what CI runs and what replays.
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : corpus.seed;
const COUNT = process.env.FUZZ_COUNT ? Number(process.env.FUZZ_COUNT) : corpus.count;
const RECORDED = SEED === corpus.seed && COUNT === corpus.count;
/** What a validation message must not look like: an accident inside the node instead of a reason. */
const UNREADABLE =
  /TypeError|ReferenceError|RangeError|Cannot read propert|is not a function|is not iterable|Converting circular|serialize a BigInt|Maximum call stack|Cannot convert|undefined is not/;

function fingerprint(node) {
  const h = crypto.createHash('sha256');
  for (let i = 0; i < COUNT; i++) {
    const m = gen.message(node, SEED, i);
    h.update(`${m.label}|${m.kind}|${gen.describe(m.msg)}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

describe('fuzzing every node with 10,000 messages', function () {
  this.timeout(300000);
  let sim, certs, url;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1 }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(async function () {
    await startHelper('oicp-faults-fuzz-', sim);
  });
  afterEach(stopHelper);

  it('uses the recorded corpus (seed and fingerprints in test/fixtures/fuzz/seed.json)', function () {
    if (!RECORDED) this.skip();
    for (const node of ['push', 'ocpp', 'fullLoad']) fingerprint(node).should.equal(corpus.fingerprints[node], `${node} corpus changed`);
  });

  it('names values JSON cannot show (BigInt, cycles, symbols, objects without toString) in readable errors', function () {
    const { parsePushInput } = require('../../nodes/push/input');
    const { FullLoadAggregator } = require('../../nodes/fullload');
    const cyclic = { EvseID: 'DE*ABC*E1' };
    cyclic.EvseStatus = cyclic;
    const push = (payload, action) => {
      try {
        parsePushInput(payload, action, 'update', 'DE*ABC');
      } catch (e) {
        return e.message;
      }
      return 'accepted';
    };
    push({ EvseID: 'DE*ABC*E1', EvseStatus: 1n }).should.equal(
      "EvseStatus a bigint of 'DE*ABC*E1' is not one of Available, Reserved, Occupied, OutOfService, EvseNotFound, Unknown",
    );
    push(cyclic).should.match(/^EvseStatus an object of 'DE\*ABC\*E1' is not one of/);
    push({ EvseID: 'DE*ABC*E1', EvseStatus: Symbol('Available') }).should.match(/^EvseStatus a symbol of/);
    push({ EvseID: 'DE*ABC*E1', EvseStatus: 'x'.repeat(1e6) }).should.match(/^EvseStatus 'x{37}\.\.\.' of/);
    push({ EvseID: 'DE*ABC*E1', EvseStatus: 'Available' }, 7n).should.equal('ActionType a bigint is not one of fullLoad, update, insert, delete');
    const agg = new FullLoadAggregator({ backend: { restore: async () => ({ warnings: [] }) } });
    const r = agg.handle({ action: JSON.parse('{"toString": 1}'), payload: { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' } });
    r.kind.should.equal('error');
    r.error.should.match(/^msg.action an object is not supported/);
  });

  /**
   * Sends the corpus of `node` into `target`, synchronously one by one (yielding every 200), and collects for each
   * message: whether receive() threw, what `accepted(i)` says right after it, and, by _msgid, Catch / Complete / output.
   */
  async function run(
    node,
    target,
    {
      accepted = (receive) => {
        receive();
      },
    } = {},
  ) {
    const r = { msgs: [], caught: new Map(), completed: new Map(), outputs: new Map(), threw: [], started: Date.now() };
    const add = (map, id, v) => {
      if (!map.has(id)) map.set(id, []);
      map.get(id).push(v);
    };
    helper.getNode('caught').on('input', (m) => {
      if (m.error.source.id === target) add(r.caught, m._msgid, String(m.error.message));
    });
    helper.getNode('completed').on('input', (m) => add(r.completed, m._msgid, true));
    const out = helper.getNode('out');
    if (out) out.on('input', (m) => add(r.outputs, m._msgid, m));
    const n = helper.getNode(target);
    for (let i = 0; i < COUNT; i++) {
      const m = gen.message(node, SEED, i);
      m.msg._msgid = `fz${i}`;
      const info = { label: m.label, kind: m.kind, expect: m.expect };
      try {
        info.accepted = await accepted(() => n.receive(m.msg), m.msg._msgid, r);
      } catch (e) {
        r.threw.push(`#${i} ${m.kind}: ${e && e.message}`);
      }
      r.msgs.push(info);
      if (i % 200 === 199) await new Promise((res) => setImmediate(res));
    }
    await until(() => r.msgs.every((_, i) => r.caught.has(`fz${i}`) || r.completed.has(`fz${i}`)), 120000, 'every message caught or completed').catch((e) => {
      const open = r.msgs.map((m, i) => [i, m]).filter(([i]) => !r.caught.has(`fz${i}`) && !r.completed.has(`fz${i}`));
      throw new Error(
        `${e.message}: ${open.length} open, e.g. ${open
          .slice(0, 5)
          .map(([i, m]) => `#${i} ${m.label} ${m.kind}`)
          .join('; ')}`,
      );
    });
    await new Promise((res) => setTimeout(res, 200)); // a second done() would come right behind
    r.ms = Date.now() - r.started;
    return r;
  }

  /** Checks shared by all three nodes; returns the figures. */
  function common(r, protoBefore) {
    r.threw.should.eql([], 'receive() threw: the runtime would only log it, and no Catch would see the message');
    const problems = [];
    const counts = { valid: 0, invalid: 0, junk: 0, other: 0, catches: 0, completes: 0 };
    r.msgs.forEach((m, i) => {
      const id = `fz${i}`;
      const c = r.caught.get(id) || [];
      const d = r.completed.get(id) || [];
      counts[m.label]++;
      counts.catches += c.length;
      counts.completes += d.length;
      const where = `#${i} (${m.label}, ${m.kind})`;
      if (c.length + d.length !== 1) problems.push(`${where}: ${c.length} Catch and ${d.length} Complete`);
      if (m.label === 'invalid' && c.length !== 1) problems.push(`${where}: invalid but no Catch`);
      if ((m.label === 'valid' || m.label === 'other') && d.length !== 1) problems.push(`${where}: not completed: ${c.join(' | ')}`);
      for (const text of c) if (!text || UNREADABLE.test(text)) problems.push(`${where}: unreadable error '${text}'`);
    });
    problems.slice(0, 20).should.eql([], `${problems.length} problems; replay with FUZZ_SEED=${SEED} and the index`);
    prototypeSnapshot().should.eql(protoBefore, 'a prototype was polluted');
    ({}).should.not.have.property('polluted');
    return counts;
  }

  it('push evse status: valid ones queued and landed, every other one a catchable error', async function () {
    await helper.load(ALL_NODES, [...hubjectNodes(certs, url, { retryBase: 0.05, retryMax: 1 }), pushNode(), ...observers(['p1'])]);
    const protoBefore = prototypeSnapshot();
    const tracker = trackQueue(helper.getNode('hub1').hubject.lane('status'));
    const r = await run('push', 'p1', {
      // The push node queues large inputs in slices, and the messages behind one wait their turn: wait (by event-loop
      // turns, bounded) until this message was either queued or caught.
      accepted: async (receive, id, runState) => {
        const before = tracker.accepted.length;
        receive();
        for (let k = 0; k < 100000 && tracker.accepted.length === before && !runState.caught.has(id) && !runState.completed.has(id); k++) {
          await new Promise((res) => setImmediate(res));
        }
        return tracker.accepted.length > before ? tracker.accepted[before] : null;
      },
    });
    const counts = common(r, protoBefore);
    // What was queued is exactly what each valid message said; nothing invalid was queued.
    const wrong = [];
    // The queue keeps the last record of an EvseID repeated within one message (as one request may carry it once).
    const lastWins = (records) => {
      const byEvse = new Map();
      for (const rec of records) {
        byEvse.delete(evseKey(rec.EvseID));
        byEvse.set(evseKey(rec.EvseID), rec);
      }
      return [...byEvse.values()];
    };
    r.msgs.forEach((m, i) => {
      if (
        m.label === 'valid' &&
        !(m.accepted && m.accepted.action === m.expect.action && JSON.stringify(lastWins(m.accepted.records)) === JSON.stringify(m.expect.records))
      )
        wrong.push(`#${i} ${m.kind}: queued ${JSON.stringify(m.accepted)}`);
      if (m.label === 'invalid' && m.accepted) wrong.push(`#${i} ${m.kind}: invalid but queued`);
      if (m.accepted && !r.completed.has(`fz${i}`)) wrong.push(`#${i} ${m.kind}: queued but not completed: ${r.caught.get(`fz${i}`)}`);
    });
    wrong.slice(0, 10).should.eql([]);
    const truth = tracker.truth();
    const pulled = statusesFromPull(await pullViaHttp(url, certs));
    diffStatuses(truth, pulled).should.eql([]);
    sim.stats.overlaps.should.equal(0);
    report('fuzz push', {
      messages: COUNT,
      ...counts,
      accepted: r.msgs.filter((m) => m.accepted).length,
      evses: Object.keys(truth).length,
      requests: sim.stats.pushes,
      lost: diffStatuses(truth, pulled).length,
      ms: r.ms,
    });
  });

  it('ocpp status: valid ones mapped and landed, others done quietly, every bad one a catchable error', async function () {
    await helper.load(ALL_NODES, [
      ...hubjectNodes(certs, url, { retryBase: 0.05, retryMax: 1 }),
      ocppStatusNode({ onlyChanges: false, wires: [['out', 'p1']] }),
      { id: 'out', type: 'helper' },
      pushNode(),
      // One Catch for both (the test helper cannot load two catch nodes); errors of the push node are told apart by source.
      ...observers(['o1', 'p1'], { completeScope: ['o1'] }),
    ]);
    const pushCaught = [];
    helper.getNode('caught').on('input', (m) => {
      if (m.error.source.id === 'p1') pushCaught.push(m.error.message);
    });
    const protoBefore = prototypeSnapshot();
    const tracker = trackQueue(helper.getNode('hub1').hubject.lane('status'));
    const r = await run('ocpp', 'o1');
    const counts = common(r, protoBefore);
    const wrong = [];
    const oracle = {};
    let outputs = 0;
    r.msgs.forEach((m, i) => {
      const outs = (r.outputs.get(`fz${i}`) || []).map((o) => o.payload);
      outputs += outs.length;
      for (const p of outs) {
        try {
          assertEvseStatusRecord(p);
        } catch (e) {
          wrong.push(`#${i} ${m.kind}: ${e.message.split('\n')[0]}`);
        }
      }
      if (m.label === 'valid') {
        if (JSON.stringify(outs) !== JSON.stringify(m.expect))
          wrong.push(`#${i} ${m.kind}: output ${JSON.stringify(outs)}, expected ${JSON.stringify(m.expect)}`);
        for (const e of m.expect) oracle[evseKey(e.EvseID)] = e.EvseStatus;
      } else if (m.label !== 'junk' && outs.length) wrong.push(`#${i} ${m.label} ${m.kind}: output ${JSON.stringify(outs)}`);
      if (r.caught.has(`fz${i}`) && outs.length) wrong.push(`#${i} ${m.kind}: both an error and an output`);
    });
    wrong.slice(0, 10).should.eql([]);
    await until(
      () => {
        const s = helper.getNode('hub1').hubject.lane('status').status();
        return s.state === 'idle' && s.queued === 0;
      },
      30000,
      'push queue idle',
    );
    pushCaught.should.eql([]);
    const pulled = byKey(statusesFromPull(await pullViaHttp(url, certs)));
    diffStatuses(tracker.truth(), pulled).should.eql([]);
    // The valid messages alone decide the EVSEs of the generator's stations.
    const pool = Object.fromEntries(Object.keys(oracle).map((k) => [k, pulled[k]]));
    pool.should.eql(oracle);
    report('fuzz ocpp status', {
      messages: COUNT,
      ...counts,
      outputs,
      evses: Object.keys(pulled).length,
      requests: sim.stats.pushes,
      lost: diffStatuses(tracker.truth(), pulled).length,
      ms: r.ms,
    });
  });

  it('full load: valid ones kept, every bad one a catchable error, and the next fullLoad holds exactly the truth', async function () {
    await helper.load(ALL_NODES, [
      ...hubjectNodes(certs, url, { retryBase: 0.05, retryMax: 1 }),
      fullLoadNode({ wires: [['out', 'p1']] }),
      { id: 'out', type: 'helper' },
      pushNode(),
      ...observers(['fl1']),
    ]);
    await until(() => helper.getNode('fl1'), 5000);
    const protoBefore = prototypeSnapshot();
    const r = await run('fullLoad', 'fl1');
    const counts = common(r, protoBefore);
    r.outputs.size.should.equal(0, 'a fuzz message made the full load node emit');
    // The truth: valid messages as the generator meant them, plus junk the node took (applied as records or deletes).
    const truth = new Map();
    r.msgs.forEach((m, i) => {
      const msg = gen.message('fullLoad', SEED, i).msg;
      if (m.label === 'valid') {
        if (m.expect.op === 'set') for (const x of m.expect.records) truth.set(evseKey(x.EvseID), x.EvseStatus);
        else for (const id of m.expect.ids) truth.delete(evseKey(id));
      } else if (m.label === 'junk' && r.completed.has(`fz${i}`)) {
        if (msg.action === 'delete') {
          const d = parseDeleteIds(msg.payload);
          if (d.ok) for (const id of d.value) truth.delete(evseKey(id));
        } else {
          const p = parseStatusRecords(msg.payload, 'DE*ABC');
          if (p.ok) for (const x of p.value) truth.set(evseKey(x.EvseID), x.EvseStatus);
        }
      }
    });
    const fl = helper.getNode('fl1');
    fl.receive({ _msgid: 'trigger', topic: 'fullLoad' });
    await until(() => r.outputs.has('trigger'), 10000, 'the fullLoad');
    const sent = r.outputs.get('trigger')[0];
    sent.action.should.equal('fullLoad');
    const got = {};
    for (const x of sent.payload) got[evseKey(x.EvseID)] = x.EvseStatus;
    got.should.eql(Object.fromEntries(truth));
    await until(() => sim.requestLog.some((l) => l.action === 'fullLoad' && l.code === '000'), 10000, 'fullLoad accepted');
    const pulled = byKey(statusesFromPull(await pullViaHttp(url, certs)));
    pulled.should.eql(Object.fromEntries(truth));
    report('fuzz full load', {
      messages: COUNT,
      ...counts,
      fullLoadRecords: sent.payload.length,
      lost: diffStatuses(Object.fromEntries(truth), pulled).length,
      ms: r.ms,
    });
  });
});
