'use strict';
// The rejection policy and the 429 pacing as pure functions: no timers, no network.
require('should');
const { planRejection, afterProbeSuccess, positionsFromFieldReferences, probePositions, PROBES } = require('../nodes/push/rejection');
const { RollingRateLimiter, SLOW_HOLD_MS, SLOW_RAMP_MS } = require('../nodes/push/ratelimit');

const items = (n) => Array.from({ length: n }, (_, i) => i);

/**
 * Runs the policy against a Hubject that refuses every attempt containing a bad item (with `code`), as the queue
 * would: sequentially, probes carrying their bundle. Returns requests, failed and landed items.
 */
function simulate(n, isBad, { action = 'insert', code = '018', insertMissing = true, named = () => [] } = {}) {
  const work = [{ action, items: items(n) }];
  const failed = [];
  const landed = [];
  let requests = 0;
  while (work.length) {
    const a = work.shift();
    requests++;
    if (requests > 10 * n + 10) throw new Error('no progress');
    if (!a.items.some(isBad)) {
      landed.push(...a.items);
      if (a.probe) work.unshift(...afterProbeSuccess(a.probe, a.fromUpdate ? 'update' : a.action));
      continue;
    }
    const plan = planRejection(a, { code, httpStatus: 200, named: named(a.items) }, insertMissing);
    failed.push(...plan.fail);
    work.unshift(...plan.resend);
  }
  return { requests, failed: failed.sort((x, y) => x - y), landed: landed.sort((x, y) => x - y) };
}

describe('rejection policy', function () {
  it('reads the record index from a 400 FaultBody fieldReference', function () {
    positionsFromFieldReferences(
      [
        { fieldReference: 'operatorEvseStatus.evseStatusRecord[7].evseStatus', errorMessage: 'x' },
        { fieldReference: 'operatorEvseStatus.evseStatusRecord[7].evseID' },
        { fieldReference: 'operatorEvseStatus.evseStatusRecord[250].evseID' },
        { fieldReference: 'operatorEvseStatus.operatorID' },
      ],
      200,
    ).should.eql([7]);
  });

  it('fails named records and sends the rest again in one request', function () {
    const plan = planRejection({ action: 'update', items: items(10) }, { httpStatus: 400, named: [3, 7] }, true);
    plan.fail.should.eql([3, 7]);
    plan.resend.should.have.length(1);
    plan.resend[0].items.should.eql([0, 1, 2, 4, 5, 6, 8, 9]);
    plan.resend[0].action.should.equal('update');
  });

  it('probes records from different parts of a bundle that names nothing', function () {
    probePositions(200).should.eql([33, 100, 166]);
    const plan = planRejection({ action: 'insert', items: items(200) }, { code: '018', named: [] }, true);
    plan.fail.should.eql([]);
    plan.resend.should.have.length(1);
    plan.resend[0].items.should.eql([33]);
    plan.resend[0].probe.should.match({ key: '018', next: [100, 166] });
    plan.resend[0].probe.rest.should.have.length(197);
  });

  it('fails a bundle refused as a whole after 2 + PROBES requests', function () {
    const r = simulate(200, () => true, { code: '018' });
    r.requests.should.equal(2 + PROBES);
    r.failed.should.eql(items(200));
    // 022 to an insert costs one request more: the bundle goes once as update first.
    simulate(200, () => true, { code: '022' }).requests.should.equal(3 + PROBES);
  });

  it('lands the rest when exactly the probed records are bad', function () {
    const bad = new Set(probePositions(200));
    const r = simulate(200, (i) => bad.has(i));
    r.failed.should.eql([...bad]);
    r.landed.should.have.length(197);
    r.requests.should.equal(2 + PROBES);
  });

  it('finds one bad record in O(log n) requests and lands all others', function () {
    for (const bad of [0, 33, 99, 137, 199]) {
      const r = simulate(200, (i) => i === bad);
      r.failed.should.eql([bad]);
      r.landed.should.have.length(199);
      r.requests.should.be.belowOrEqual(3 + 2 * Math.ceil(Math.log2(200)));
    }
  });

  it('never drops a good record when several are bad', function () {
    const bad = new Set([5, 6, 70, 71, 150]);
    const r = simulate(200, (i) => bad.has(i));
    r.failed.should.eql([...bad]);
    r.landed.should.have.length(195);
  });

  it('falls back to insert only on 022, not on 018, 019 or HTTP 400', function () {
    planRejection({ action: 'update', items: [1] }, { code: '022', httpStatus: 200, named: [] }, true).resend[0].should.match({
      action: 'insert',
      fromUpdate: true,
    });
    for (const answer of [{ code: '018', httpStatus: 200 }, { code: '019', httpStatus: 200 }, { httpStatus: 400 }, { code: '022', httpStatus: 400 }]) {
      const plan = planRejection({ action: 'update', items: [1] }, { ...answer, named: [] }, true);
      plan.fail.should.eql([1]);
      plan.resend.should.eql([]);
    }
    planRejection({ action: 'update', items: [1] }, { code: '022', httpStatus: 200, named: [] }, false).fail.should.eql([1]);
  });

  it("reports a refused insert fallback as the update it came from, with the insert's answer", function () {
    const plan = planRejection({ action: 'insert', items: [1], fromUpdate: true }, { code: '019', httpStatus: 200, named: [] }, true);
    plan.should.match({ fail: [1], failAction: 'update', resend: [] });
  });

  it('retries an insert refused with 022 once as update: the named records, the rest again as insert', function () {
    const plan = planRejection({ action: 'insert', items: items(5) }, { code: '022', httpStatus: 200, named: [1, 3] }, false);
    plan.fail.should.eql([]);
    plan.resend.should.have.length(2);
    plan.resend[0].should.match({ action: 'update', items: [1, 3], fromInsert: true, prior: 1 });
    plan.resend[1].should.match({ action: 'insert', items: [0, 2, 4] });
    (plan.resend[1].fromInsert === undefined).should.be.true();
  });

  it('retries the whole insert as update when the 022 names nothing, and only once', function () {
    const first = planRejection({ action: 'insert', items: items(4) }, { code: '022', httpStatus: 200, named: [] }, false);
    first.resend.should.match([{ action: 'update', items: items(4), fromInsert: true, prior: 1 }]);
    // The update is refused with 022 as well: no insert again. The records fail as the insert they were queued as,
    // marked as held by Hubject (its 022 to the insert said so).
    const single = planRejection({ action: 'update', items: [2], fromInsert: true, prior: 1 }, { code: '022', httpStatus: 200, named: [0] }, true);
    single.should.match({ fail: [2], failAction: 'insert', exists: true, resend: [] });
    // Never on HTTP 400 or another code.
    planRejection({ action: 'insert', items: [1] }, { code: '022', httpStatus: 400, named: [] }, true).fail.should.eql([1]);
    planRejection({ action: 'insert', items: [1] }, { code: '018', httpStatus: 200, named: [] }, true).fail.should.eql([1]);
  });

  it('an update refused with 022 goes once as insert, counting the refused try, and never back to update', function () {
    const plan = planRejection({ action: 'update', items: [1] }, { code: '022', httpStatus: 200, named: [] }, true);
    plan.resend.should.match([{ action: 'insert', items: [1], fromUpdate: true, prior: 1 }]);
    planRejection(plan.resend[0], { code: '022', httpStatus: 200, named: [] }, true).should.match({ fail: [1], failAction: 'update', resend: [] });
  });

  it('recovers a mixed bundle: inserts Hubject holds land as updates, the rest as inserts', function () {
    // Items 0..9 inserted; Hubject holds 2 and 7 (refuses their insert with 022, naming them).
    const held = new Set([2, 7]);
    const work = [{ action: 'insert', items: items(10) }];
    const landed = [];
    let requests = 0;
    while (work.length) {
      const a = work.shift();
      requests++;
      const wrong = a.items.filter((i) => (a.action === 'insert') === held.has(i));
      if (!wrong.length) {
        landed.push(...a.items.map((i) => `${a.action}:${i}`));
        continue;
      }
      const plan = planRejection(a, { code: '022', httpStatus: 200, named: wrong.map((i) => a.items.indexOf(i)) }, true);
      plan.fail.should.eql([]);
      work.unshift(...plan.resend);
    }
    requests.should.equal(3);
    landed.sort().should.eql([...items(10).map((i) => (held.has(i) ? `update:${i}` : `insert:${i}`))].sort());
  });

  it('never splits a fullLoad', function () {
    planRejection({ action: 'fullLoad', items: items(50) }, { code: '018', named: [] }, true).should.match({ fail: items(50), resend: [] });
  });
});

describe('rate pacing after 429', function () {
  it('halves the limit, holds it, then ramps back gradually', function () {
    const l = new RollingRateLimiter(2000);
    l.cap(0).should.equal(2000);
    l.slowDown(1000);
    l.cap(1000).should.equal(1000);
    l.cap(1000 + SLOW_HOLD_MS - 1).should.equal(1000);
    l.cap(1000 + SLOW_HOLD_MS + SLOW_RAMP_MS / 2).should.equal(1500);
    l.cap(1000 + SLOW_HOLD_MS + SLOW_RAMP_MS).should.equal(2000);
  });

  it('makes the next start wait once the lowered cap is reached', function () {
    const l = new RollingRateLimiter(10);
    for (let t = 0; t < 6; t++) l.record(t * 100);
    l.waitMs(600).should.equal(0);
    l.slowDown(600);
    // 6 starts in the window, cap 5: the second oldest (at 100 ms) must leave first.
    l.waitMs(600).should.equal(100 + 60_000 - 600);
  });
});
