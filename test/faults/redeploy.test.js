'use strict';
// Redeploys under traffic: 50 redeploys, alternating full and modified-nodes, while statuses flow.
// Nothing accepted is lost, no EVSE ever goes back to an older status at Hubject, timers and sockets stay flat,
// and every close finishes within 1 s.
require('should');
const { performance } = require('perf_hooks');
const helper = require('node-red-node-test-helper');
const { startSim, pullViaHttp, statusesFromPull } = require('../support/sim');
const { hubjectNodes, until, observers } = require('../support/flows');
const { evseKey } = require('../../nodes/oicp/ids');
const {
  ALL_NODES,
  pushNode,
  ocppStatusNode,
  fullLoadNode,
  startHelper,
  stopHelper,
  sleep,
  mulberry32,
  report,
  diffStatuses,
  trackQueue,
  activeResources,
} = require('./lib');

helper.init(require.resolve('node-red'));

const REDEPLOYS = 50;
const EVSES = 1000;
// Each EVSE walks this chain once, so every status it is given is distinct and its order is known.
const CHAIN = ['Available', 'Occupied', 'Reserved', 'OutOfService', 'EvseNotFound', 'Unknown'];
const OCPP = ['Available', 'Charging', 'Reserved', 'Faulted', 'Preparing', 'Unavailable'];
const CLOSE_LIMIT_MS = 1000;
const OURS = ['tls1', 'hub1', 'p1', 'ocpp1', 'fl1'];

describe('50 redeploys under traffic', function () {
  this.timeout(180000);
  let sim, certs, url;
  const received = new Map(); // evseKey -> statuses in the order the simulator received them

  before(async function () {
    const onPush = (body) => {
      const recs = body && body.OperatorEvseStatus && body.OperatorEvseStatus.EvseStatusRecord;
      if (!Array.isArray(recs)) return;
      for (const r of recs) {
        const k = evseKey(r.EvseID);
        if (!received.has(k)) received.set(k, []);
        received.get(k).push(r.EvseStatus);
      }
    };
    ({ sim, certs, url } = await startSim({ latencyMs: 10, onPush, requestLogSize: 20000 }));
    await startHelper('oicp-faults-redeploy-');
  });
  after(async function () {
    await stopHelper();
    await sim.stop();
  });

  function flow(rev, changed) {
    const name = (id) => (changed === id ? `node ${id} rev ${rev}` : `node ${id}`);
    const [tls, hub] = hubjectNodes(certs, url, { retryBase: 0.05, retryMax: 1, timeout: 5 });
    return [
      { id: 'f1', type: 'tab', label: 'redeploy' },
      { ...tls, name: name('tls1') },
      { ...hub, operatorName: changed === 'hub1' ? `Demo CPO ${rev}` : 'Demo CPO' },
      ocppStatusNode({ id: 'ocpp1', z: 'f1', name: name('ocpp1'), wires: [['fl1']] }),
      fullLoadNode({ z: 'f1', name: name('fl1') }),
      pushNode({ z: 'f1', name: name('p1') }),
      ...observers(['p1', 'ocpp1', 'fl1'], { z: 'f1', completeScope: null }),
    ];
  }

  it('loses nothing, keeps every EVSE in order, stays flat in timers and sockets, closes within 1 s', async function () {
    const caught = [];
    const closeMs = [];
    const stopMs = [];
    const instrumented = new WeakSet();
    /** Re-attaches to the node instances of the current deploy. */
    const attach = () => {
      const c = helper.getNode('caught');
      if (c && !instrumented.has(c)) {
        instrumented.add(c);
        c.on('input', (m) => caught.push(`${m.error.source.id}: ${m.error.message}`));
      }
      for (const id of OURS) {
        const n = helper.getNode(id);
        if (!n || instrumented.has(n)) continue;
        instrumented.add(n);
        const close = n.close;
        n.close = function (removed) {
          this.__closing = true;
          const t = performance.now();
          return close.call(this, removed).then((r) => {
            closeMs.push({ id, ms: performance.now() - t });
            return r;
          });
        };
      }
    };
    let stopping = 0;
    const onStopping = () => {
      stopping = performance.now();
    };
    const onStopped = () => {
      if (stopping) stopMs.push(performance.now() - stopping);
      stopping = 0;
    };
    helper._events.on('flows:stopping', onStopping);
    helper._events.on('flows:stopped', onStopped);

    // Hubject knows every EVSE already, so a repeated status in what it receives is a re-send after a redeploy.
    sim.seedState(
      'DE*ABC',
      Array.from({ length: EVSES }, (_, i) => ({ EvseID: `DE*ABC*E${i}`, EvseStatus: 'Available' })),
    );
    await helper.load(ALL_NODES, flow(0));
    attach();
    const queue = helper.getNode('hub1').hubject.lane('status');
    const tracker = trackQueue(queue);

    // Traffic: every 5 ms three changes, each EVSE stepping along CHAIN, to the push node and (as OCPP) the mapper.
    const rnd = mulberry32(0x0803);
    const step = new Array(EVSES).fill(0);
    const open = Array.from({ length: EVSES }, (_, i) => i);
    const f = { sent: 0, accepted: 0, droppedWhileStopping: 0, noNode: 0, lostByRunningNode: 0 };
    const feed = () => {
      for (let k = 0; k < 3 && open.length; k++) {
        const p1 = helper.getNode('p1');
        if (!p1) {
          f.noNode++;
          continue;
        }
        const j = Math.floor(rnd() * open.length);
        const n = open[j];
        const s = step[n]++;
        if (step[n] === CHAIN.length) open.splice(j, 1);
        const before = tracker.accepted.length;
        f.sent++;
        p1.receive({ payload: { EvseID: `DE*ABC*E${n}`, EvseStatus: CHAIN[s] } });
        if (tracker.accepted.length > before) f.accepted++;
        else if (p1.__closing) f.droppedWhileStopping++;
        else f.lostByRunningNode++;
        const o = helper.getNode('ocpp1');
        if (o) o.receive({ chargeBoxId: `CB${n}`, payload: { connectorId: 1, status: OCPP[s], errorCode: 'NoError' } });
      }
    };
    let timer = null;
    const pause = () => {
      clearInterval(timer);
      timer = null;
    };
    const resume = () => {
      timer = setInterval(feed, 5);
    };
    resume();

    /** Resources when quiet: no feed, the queue idle, status throttles (100-500 ms) and the journal flush settled. */
    const quiet = async () => {
      await until(
        () => {
          const s = queue.status();
          return s.state === 'idle' && s.queued === 0;
        },
        20000,
        'queue idle',
      );
      await sleep(700);
      return activeResources();
    };
    const samples = [];
    const TYPES = ['full', 'nodes'];
    const CHANGES = ['p1', 'hub1', 'ocpp1', 'fl1', 'tls1'];
    const deployTimes = [];
    for (let i = 1; i <= REDEPLOYS; i++) {
      const type = TYPES[(i - 1) % 2];
      const changed = CHANGES[Math.floor((i - 1) / 2) % CHANGES.length];
      const t = performance.now();
      await helper.setFlows(flow(i, changed), type);
      deployTimes.push(performance.now() - t);
      attach();
      helper.getNode('hub1').hubject.lane('status').should.equal(queue); // one queue per operator survives every deploy
      if (i === 2 || i === 26 || i === REDEPLOYS) {
        pause();
        const r = await quiet();
        samples.push({ after: i, timers: r.timers, sockets: r.sockets, counts: r.counts });
        if (i !== REDEPLOYS) resume();
      } else {
        await sleep(40 + Math.floor(rnd() * 120));
      }
    }
    helper._events.off('flows:stopping', onStopping);
    helper._events.off('flows:stopped', onStopped);

    // Nothing accepted is lost: Hubject holds the last status of every EVSE.
    const truth = {};
    for (let i = 0; i < EVSES; i++) truth[evseKey(`DE*ABC*E${i}`)] = 'Available';
    Object.assign(truth, tracker.truth());
    const pulled = statusesFromPull(await pullViaHttp(url, certs));
    const lost = diffStatuses(truth, pulled);
    lost.should.eql([], 'Hubject differs from the accepted changes');
    f.lostByRunningNode.should.equal(0);
    caught.should.eql([]);

    // Order: per EVSE, what Hubject received never goes back along the chain (re-sends of the same status are allowed).
    let backwards = 0;
    let resent = 0;
    const examples = [];
    for (const [k, seq] of received) {
      const idx = seq.map((s) => CHAIN.indexOf(s));
      for (let j = 1; j < idx.length; j++) {
        if (idx[j] < idx[j - 1]) {
          backwards++;
          if (examples.length < 3) examples.push(`${k}: ${seq.join('>')}`);
        }
        if (idx[j] === idx[j - 1]) resent++;
      }
    }
    backwards.should.equal(0, `older status after a newer one: ${examples.join('; ')}`);

    // Timers and sockets stay flat (measured when quiet, after deploys 2, 26 and 50).
    const [first, , last] = samples;
    (last.timers - first.timers).should.be.belowOrEqual(2, JSON.stringify(samples.map((s) => s.counts)));
    (last.sockets - first.sockets).should.be.belowOrEqual(2, JSON.stringify(samples.map((s) => s.counts)));

    // Every close within 1 s.
    const maxClose = Math.max(...closeMs.map((c) => c.ms));
    const maxStop = Math.max(...stopMs);
    maxClose.should.be.below(CLOSE_LIMIT_MS);
    maxStop.should.be.below(CLOSE_LIMIT_MS);
    stopMs.length.should.equal(REDEPLOYS);
    sim.stats.overlaps.should.equal(0);

    const pct = (a, p) => {
      const s = [...a].sort((x, y) => x - y);
      return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]);
    };
    report('redeploys', {
      redeploys: REDEPLOYS,
      sent: f.sent,
      accepted: f.accepted,
      droppedByRuntimeWhileStopping: f.droppedWhileStopping,
      lost: lost.length,
      evses: Object.keys(truth).length,
      backwards,
      resentSame: resent,
      requests: sim.stats.pushes,
      overlaps: sim.stats.overlaps,
      abortedInFlight: sim.requestLog.filter((l) => l.kind === 'push' && l.httpStatus === 0).length,
      noNodeDuringDeploy: f.noNode,
      nodeCloseMsMax: Math.round(maxClose),
      nodeCloseMsP50: pct(
        closeMs.map((c) => c.ms),
        0.5,
      ),
      stopPhaseMsMax: Math.round(maxStop),
      deployMsMax: Math.round(Math.max(...deployTimes)),
      timers: samples.map((s) => s.timers),
      sockets: samples.map((s) => s.sockets),
    });
  });
});
