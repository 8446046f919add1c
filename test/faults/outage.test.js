'use strict';
// Outage: 2,000 EVSEs change status while Hubject first refuses connections for 60 s, then answers 503
// for 30 s. Afterwards Hubject holds the truth, the rate limit was kept, and the backoff shows in the timing.
require('should');
const helper = require('node-red-node-test-helper');
const { startSim, pullViaHttp, statusesFromPull } = require('../support/sim');
const { hubjectNodes, until, observers } = require('../support/flows');
const { PUSH_NODES, pushNode, startHelper, stopHelper, sleep, mulberry32, report, byKey, diffStatuses, trackClient } = require('./lib');

helper.init(require.resolve('node-red'));

const EVSES = 2000;
const REFUSE_MS = 60_000;
const HTTP503_MS = 30_000;
const TICK_MS = 100;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 30_000;
const RATE_LIMIT = 2000; // Hubject's acceptable use policy, the config node's and the simulator's default
const STATUSES = ['Available', 'Occupied', 'Reserved', 'OutOfService'];
const id = (n) => `DE*ABC*E${n}`;

describe('outage (60 s refused, then 30 s of 503)', function () {
  this.timeout(REFUSE_MS + HTTP503_MS + 120_000);
  let sim, certs, url;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2, rateLimitPerMinute: RATE_LIMIT, requestLogSize: 20000 }));
    await startHelper('oicp-faults-outage-');
  });
  after(async function () {
    await stopHelper();
    await sim.stop();
  });

  it('lands the truth of 2,000 EVSEs, within the rate limit, with visible backoff and one request at a time', async function () {
    await helper.load(PUSH_NODES, [
      ...hubjectNodes(certs, url, { retryBase: RETRY_BASE_MS / 1000, retryMax: RETRY_MAX_MS / 1000, rateLimit: RATE_LIMIT, timeout: 10 }),
      pushNode(),
      ...observers(['p1']),
    ]);
    const p1 = helper.getNode('p1');
    const hub = helper.getNode('hub1');
    const caught = [];
    let completed = 0;
    helper.getNode('caught').on('input', (m) => caught.push(m.error.message));
    helper.getNode('completed').on('input', () => completed++);
    const warns = [];
    p1.on('call:warn', (c) => warns.push(String(c.args[0])));
    const client = trackClient(hub);
    const retries = [];
    // First in line, so the node's own listeners (its warning) do not delay the time taken here.
    hub.hubject
      .lane('status')
      .prependListener('retry', (ev) =>
        retries.push({ at: Date.now(), delayMs: ev.delayMs, class: ev.result.class, code: ev.result.errorCode || ev.result.httpStatus }),
      );

    // Hubject knows all 2,000 EVSEs from the last fullLoad.
    const truth = {};
    for (let i = 0; i < EVSES; i++) truth[id(i)] = 'Available';
    sim.seedState(
      'DE*ABC',
      Object.entries(truth).map(([EvseID, EvseStatus]) => ({ EvseID, EvseStatus })),
    );

    const rnd = mulberry32(0x0817);
    let sent = 0;
    const change = (n) => {
      const choices = STATUSES.filter((s) => s !== truth[id(n)]);
      const s = choices[Math.floor(rnd() * choices.length)];
      truth[id(n)] = s;
      sent++;
      p1.receive({ payload: { EvseID: id(n), EvseStatus: s } });
    };

    await sim.refuseConnections(true);
    const t0 = Date.now();
    let next = 0; // every EVSE changes at least once during the refusal, others change at random on top
    let phase503At = 0;
    let faultAt = 0;
    let recoveredAt = 0;
    for (let tick = 0; ; tick++) {
      const at = t0 + tick * TICK_MS;
      if (at >= t0 + REFUSE_MS + HTTP503_MS) break;
      if (!phase503At && at >= t0 + REFUSE_MS) {
        faultAt = Date.now();
        const fault = sim.injectFault({ kind: 'http', status: 503, durationMs: HTTP503_MS });
        // The end of the 503 window as the simulator counts it.
        recoveredAt = sim.faults.find((f) => f.id === fault).until;
        await sim.refuseConnections(false);
        phase503At = Date.now();
      }
      const due = Math.min(EVSES, Math.ceil(((tick + 1) * TICK_MS * EVSES) / REFUSE_MS));
      while (next < due) change(next++);
      for (let k = 0; k < 3; k++) change(Math.floor(rnd() * EVSES));
      const wait = t0 + (tick + 1) * TICK_MS - Date.now();
      if (wait > 0) await sleep(wait);
    }
    next.should.equal(EVSES);

    await until(() => completed === sent, 90_000, `all ${sent} input messages completed`);
    const settledAt = Date.now();
    const pulled = statusesFromPull(await pullViaHttp(url, certs));
    const lost = diffStatuses(truth, pulled);
    lost.should.eql([], 'Hubject state differs from the truth');
    Object.keys(pulled).length.should.equal(EVSES);
    caught.should.eql([]);

    // One request at a time, seen from both ends, and within the rolling-minute limit.
    client.maxInFlight.should.equal(1);
    sim.stats.maxInFlight.should.equal(1);
    sim.stats.overlaps.should.equal(0);
    sim.stats.rateLimited.should.equal(0);
    const peak = sim.peakPerMinute('DE*ABC');
    peak.should.be.belowOrEqual(RATE_LIMIT);

    // Backoff, from the client side (the simulator cannot see refused connections). Attempts started before the 503
    // fault was set up all met the refusal; those while the server was listening again may have met either.
    const refused = client.attempts.filter((a) => a.start < faultAt);
    refused.length.should.be.above(2);
    refused.length.should.be.below(20, 'retry storm while connections were refused');
    refused.every((a) => a.errorCode === 'ECONNREFUSED').should.be.true(JSON.stringify(refused.slice(0, 3)));
    const intervals = refused.slice(1).map((a, i) => a.start - refused[i].start);
    Math.max(...intervals).should.be.aboveOrEqual(4000, `intervals do not grow: ${intervals}`);
    // Every announced delay lies under the exponential ceiling, and the next attempt waited for it. The wait is
    // measured from the start of the failed attempt: Node arms a timer on the event loop's clock, read when the
    // failure arrived, which on a busy machine can be well before any time taken while handling it. 2 ms: both
    // clocks count whole milliseconds.
    retries.forEach((r, k) => {
      r.delayMs.should.be.belowOrEqual(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** k) + 1, `retry ${k}`);
      r.delayMs.should.be.aboveOrEqual(Math.min(RETRY_BASE_MS, RETRY_BASE_MS * 2 ** k) / 10 - 1);
      const failed = client.attempts.filter((a) => a.start <= r.at).pop();
      const after = client.attempts.find((a) => a.start >= r.at);
      failed.end.should.be.belowOrEqual(r.at, `retry ${k} announced before its attempt ended`);
      if (after) (after.start - failed.start).should.be.aboveOrEqual(r.delayMs - 2, `attempt after retry ${k} came early`);
    });
    // The log names the outage once per reason, not once per retry.
    warns.should.containEql('Hubject: connection refused (ECONNREFUSED); retrying with backoff');
    warns.length.should.be.belowOrEqual(3, warns.join(' | '));
    // The 503 phase, from the simulator's log.
    const pushes = sim.requestLog.filter((l) => l.kind === 'push');
    const got503 = pushes.filter((l) => l.httpStatus === 503);
    got503.length.should.be.below(10, 'retry storm during the 503 phase');
    const ok = pushes.filter((l) => l.httpStatus === 200 && l.code === '000');
    // An accepted push was answered after the window ended (its start may be just before: the fault is checked later).
    ok.every((l) => l.endedAt >= recoveredAt).should.be.true('a push was accepted during the 503 phase');

    report('outage', {
      changes: sent,
      evses: EVSES,
      lost: lost.length,
      caught: caught.length,
      attemptsRefused: refused.length,
      attempts503: got503.length,
      okRequests: ok.length,
      recordsInOk: ok.reduce((n, l) => n + l.records, 0),
      retryIntervalsRefusedMs: intervals,
      delays503Ms: retries.filter((r) => r.code === 503).map((r) => r.delayMs),
      peakPerMinute: peak,
      rateLimit: RATE_LIMIT,
      maxInFlightClient: client.maxInFlight,
      maxInFlightSim: sim.stats.maxInFlight,
      overlaps: sim.stats.overlaps,
      recoveryMs: settledAt - recoveredAt,
      logWarnings: warns.length,
    });
    byKey(pulled).should.eql(byKey(truth));
  });
});
