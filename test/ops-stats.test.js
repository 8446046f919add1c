'use strict';
require('should');
const stats = require('../nodes/ops/stats');
const { createMetrics } = require('../nodes/ops/metrics');
const { parsePrometheusText, valueOf } = require('./support/prom-text');
const { LaneStats, LAG_SLOTS, SLOT_MS, HISTORY_SLOTS, fineBucket, fineUpper, countStatuses } = stats;

const labels = { operator: 'DE*ABC', operation: 'status', environment: 'qa', url: 'https://qa.example/' };
const T0 = 1_800_000_000_000;

// Deterministic pseudo-random numbers, so a failure can be reproduced.
function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function refPercentile(sorted, q) {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

describe('ops stats core', function () {
  it('fine buckets cover every lag with an upper bound at most 12 % above it', function () {
    for (const ms of [0, 0.5, 1, 1.01, 7, 50, 999, 1000, 60_000, 3_600_000]) {
      const b = fineBucket(ms);
      fineUpper(b).should.be.aboveOrEqual(ms);
      if (ms > 1) fineUpper(b).should.be.belowOrEqual(ms * 1.12 + 1e-9);
    }
  });

  it('p50 and p99 over 5 minutes match a sorted reference within one bucket', function () {
    const lane = new LaneStats(labels);
    const r = rng(7);
    const lags = [];
    for (let i = 0; i < 20_000; i++) {
      const now = T0 + Math.floor((i / 20_000) * 290_000);
      const lag = Math.floor(r() ** 3 * 120_000); // skewed: most fast, a long tail
      lane.acked(now - lag, now);
      lags.push(lag);
    }
    lags.sort((a, b) => a - b);
    const now = T0 + 290_000;
    for (const q of [0.5, 0.99]) {
      const want = refPercentile(lags, q);
      const got = lane.lagPercentile(q, now);
      got.should.be.aboveOrEqual(want);
      got.should.be.belowOrEqual(Math.max(1, want * 1.12) + 1e-9);
    }
    lane.state(now).lag.samples.should.equal(20_000);
  });

  it('the lag window forgets samples older than 5 minutes when its ring wraps', function () {
    const lane = new LaneStats(labels);
    // Old, slow samples, then only fast ones 5 minutes later.
    for (let i = 0; i < 100; i++) lane.acked(T0 - 100_000, T0);
    const later = T0 + LAG_SLOTS * SLOT_MS + SLOT_MS;
    for (let i = 0; i < 100; i++) lane.acked(later - 20, later);
    const p99 = lane.lagPercentile(0.99, later);
    p99.should.be.belowOrEqual(20 * 1.12 + 1e-9);
    lane.state(later).lag.samples.should.equal(100);
    // The Prometheus histogram is cumulative over all time.
    lane.promCount.should.equal(200);
  });

  it('a fullLoad acknowledged at once counts each record with one enqueue time', function () {
    const lane = new LaneStats(labels);
    lane.ackedBatch(T0 - 2000, 5000, T0);
    lane.ackedBatch([T0 - 100, T0 - 300], 2, T0);
    lane.promCount.should.equal(5002);
    lane.promSum.should.be.approximately(5000 * 2 + 0.4, 1e-6);
    lane.lagPercentile(0.5, T0).should.be.aboveOrEqual(2000);
  });

  it('requests in the last minute count a 60 s window as the per-second ring wraps', function () {
    const lane = new LaneStats(labels);
    for (let s = 0; s < 150; s++) lane.requestStarted(T0 + s * 1000);
    // Seconds 90..149 are inside the window ending at second 149.
    lane.requestsLastMinute(T0 + 149_000).should.equal(60);
    lane.requestsLastMinute(T0 + 149_000 + 30_000).should.equal(30);
    lane.requestsLastMinute(T0 + 10 * 60_000).should.equal(0);
  });

  it('requestEnded keeps counts, the last acknowledgement and error, 429s and backoff', function () {
    const lane = new LaneStats(labels);
    lane.requestStarted(T0);
    lane.inFlight().should.equal(1);
    lane.requestEnded({ class: 'transient', httpStatus: 429, code: '429', reason: 'Too Many Requests', records: 3, now: T0 + 10 });
    lane.backoff(8000, T0 + 10);
    lane.requestStarted(T0 + 20);
    lane.requestEnded({ class: 'success', httpStatus: 200, code: '000', records: 3, now: T0 + 30 });
    const s = lane.state(T0 + 40);
    s.inFlight.should.equal(0);
    s.count429.should.equal(1);
    s.requests.should.eql({ success: 1, transient: 1, data: 0, config: 0 });
    s.records.should.eql({ success: 3, transient: 3, data: 0, config: 0 });
    s.lastAck.should.eql({ code: '000', at: T0 + 30 });
    s.lastError.should.eql({ code: '429', reason: 'Too Many Requests', class: 'transient', at: T0 + 10 });
    // Success ends the backoff.
    s.backoffMs.should.equal(0);
    lane.backoff(8000, T0 + 50);
    lane.backoffMs(T0 + 1050).should.equal(7000);
  });

  it('history keeps 30 minutes, oldest first, and wraps without growing', function () {
    const lane = new LaneStats(labels);
    let pending = 0;
    lane.source = { pending: () => pending };
    for (let k = 0; k < 3 * HISTORY_SLOTS; k++) {
      pending = k;
      lane.tick(T0 + k * SLOT_MS);
    }
    const h = lane.state(T0 + (3 * HISTORY_SLOTS - 1) * SLOT_MS).history;
    h.t.length.should.equal(HISTORY_SLOTS);
    h.pending[0].should.equal(2 * HISTORY_SLOTS);
    h.pending[HISTORY_SLOTS - 1].should.equal(3 * HISTORY_SLOTS - 1);
    for (let i = 1; i < h.t.length; i++) (h.t[i] - h.t[i - 1]).should.equal(SLOT_MS);
  });

  it('a long silence fills the history gap with at most 30 minutes of samples', function () {
    const lane = new LaneStats(labels);
    lane.tick(T0);
    lane.tick(T0 + 24 * 3600_000);
    lane.state(T0 + 24 * 3600_000).history.t.length.should.equal(HISTORY_SLOTS);
  });

  it('memory does not grow with many samples', function () {
    const lane = new LaneStats(labels);
    const warm = () => {
      for (let i = 0; i < 200_000; i++) lane.acked(T0 + i - 500, T0 + i);
    };
    warm();
    global.gc && global.gc();
    const before = process.memoryUsage().heapUsed;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 200_000; i++) {
        const now = T0 + round * 3_600_000 + i * 5;
        lane.acked(now - (i % 5000), now);
        if (i % 100 === 0) lane.requestStarted(now);
      }
    }
    global.gc && global.gc();
    const grown = process.memoryUsage().heapUsed - before;
    // 2 million samples: any per-sample object would cost well over 30 MB. Without --expose-gc (as in npm test)
    // uncollected garbage counts too, so the bound leaves room for it while staying below that.
    grown.should.be.below((global.gc ? 8 : 20) * 1024 * 1024);
    lane.promCount.should.equal(2_200_000);
  });

  it('countStatuses counts a store view by status and staleness, skipping free slots', function () {
    const statuses = ['Available', 'Reserved', 'Occupied', 'OutOfService', 'EvseNotFound', 'Unknown'];
    const view = { ids: ['A', undefined, 'B', 'C'], codes: Uint8Array.from([0, 2, 2, 3]), seen: Float64Array.from([T0, T0, T0 - 9e9, T0]) };
    const c = countStatuses(view, statuses, 86_400_000, T0);
    c.total.should.equal(3);
    c.stale.should.equal(1);
    c.byStatus.should.eql({ Available: 1, Reserved: 0, Occupied: 1, OutOfService: 1, EvseNotFound: 0, Unknown: 0 });
  });

  it('two custom URLs of one operator give one series per label set in /oicp/metrics, their counts added', async function () {
    stats.resetStats();
    const custom = { operator: 'DE*ABC', operation: 'status', environment: 'custom' };
    const a = stats.laneStats({ ...custom, url: 'https://one.example' });
    const b = stats.laneStats({ ...custom, url: 'https://two.example' });
    a.should.not.equal(b);
    for (const [lane, n] of [
      [a, 2],
      [b, 3],
    ]) {
      for (let i = 0; i < n; i++) {
        lane.requestStarted(T0);
        lane.requestEnded({ class: 'success', records: 1, code: '000', now: T0 + 10 });
        lane.acked(T0, T0 + 10);
      }
    }
    // The strict reader throws on a repeated series, as Prometheus refuses the scrape.
    const m = parsePrometheusText(await createMetrics(() => T0 + 10).text());
    valueOf(m, 'oicp_requests_total', 'oicp_requests_total', { ...custom, outcome: 'success' }).should.equal(5);
    valueOf(m, 'oicp_push_lag_seconds', 'oicp_push_lag_seconds_count', custom).should.equal(5);
    stats.resetStats();
  });

  it('the registry hands out one lane per operator, URL and operation', function () {
    stats.resetStats();
    const a = stats.laneStats(labels);
    stats.laneStats({ ...labels, url: 'https://qa.example' }).should.equal(a);
    stats.laneStats({ ...labels, operation: 'data' }).should.not.equal(a);
    stats.allLaneStats().length.should.equal(2);
    const off = stats.registerFullLoad('n1', { snapshot: () => ({ byStatus: {}, total: 0, stale: 0 }), fullLoadNow: async () => 'sent' });
    stats
      .opsState(T0)
      .fullLoads.map((f) => f.id)
      .should.eql(['n1']);
    off();
    stats.opsState(T0).fullLoads.length.should.equal(0);
    stats.resetStats();
  });

  it('an EVSE data lane shows in the state and the metrics under operation "data", with its held statuses', async function () {
    stats.resetStats();
    try {
      const status = stats.laneStats(labels);
      const data = stats.laneStats({ ...labels, operation: 'data' });
      data.should.not.equal(status);
      const now = Date.now();
      // Two data pushes: one refused for a bad record (data), one acknowledged with 2 records after 1.5 s.
      data.enqueued(3, now - 2000);
      data.requestStarted(now - 1900);
      data.requestEnded({ class: 'data', httpStatus: 200, code: '400', reason: 'EVSE data invalid', records: 1, now: now - 1800 });
      data.requestStarted(now - 600);
      data.requestEnded({ class: 'success', httpStatus: 200, code: '000', records: 2, now: now - 500 });
      data.ackedBatch(now - 2000, 2, now - 500);
      data.held(4);
      data.outboxBytes(300);
      status.outboxBytes(200);
      status.enqueued(1, now);

      const state = stats.opsState(now);
      const d = state.lanes.find((l) => l.operation === 'data');
      d.operator.should.equal('DE*ABC');
      d.held.should.equal(4);
      d.pending.should.equal(0);
      d.lastAck.code.should.equal('000');
      d.lastError.should.containEql({ code: '400', class: 'data' });
      d.lag.samples.should.equal(2);
      state.lanes.find((l) => l.operation === 'status').held.should.equal(0);

      const m = parsePrometheusText(await createMetrics(() => now).text());
      const dl = { operator: 'DE*ABC', operation: 'data', environment: 'qa' };
      const sl = { ...dl, operation: 'status' };
      valueOf(m, 'oicp_requests_total', 'oicp_requests_total', { ...dl, outcome: 'success' }).should.equal(1);
      valueOf(m, 'oicp_requests_total', 'oicp_requests_total', { ...dl, outcome: 'data' }).should.equal(1);
      valueOf(m, 'oicp_requests_total', 'oicp_requests_total', { ...sl, outcome: 'success' }).should.equal(0);
      valueOf(m, 'oicp_records_total', 'oicp_records_total', { ...dl, outcome: 'success' }).should.equal(2);
      valueOf(m, 'oicp_queue_pending', 'oicp_queue_pending', dl).should.equal(0);
      valueOf(m, 'oicp_queue_pending', 'oicp_queue_pending', sl).should.equal(1);
      valueOf(m, 'oicp_push_lag_seconds', 'oicp_push_lag_seconds_count', dl).should.equal(2);
      valueOf(m, 'oicp_push_lag_seconds', 'oicp_push_lag_seconds_bucket', { ...dl, le: '1' }).should.equal(0);
      valueOf(m, 'oicp_push_lag_seconds', 'oicp_push_lag_seconds_bucket', { ...dl, le: '2.5' }).should.equal(2);
      valueOf(m, 'oicp_last_success_timestamp_seconds', 'oicp_last_success_timestamp_seconds', dl).should.equal((now - 500) / 1000);
      valueOf(m, 'oicp_last_success_timestamp_seconds', 'oicp_last_success_timestamp_seconds', sl).should.equal(0);
      // One outbox file per lane; the metric is per operator, so both count.
      valueOf(m, 'oicp_outbox_bytes', 'oicp_outbox_bytes', { operator: 'DE*ABC' }).should.equal(500);
    } finally {
      stats.resetStats();
    }
  });
});
