'use strict';
const should = require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { PushQueue, PushRejectedError } = require('../nodes/push/queue');
const { statusPolicy } = require('../nodes/push/status-lane');
const { dataPolicy } = require('../nodes/evse-data/lane');
const { FileOutbox } = require('../nodes/push/outbox');
const { RollingRateLimiter, backoffDelay } = require('../nodes/push/ratelimit');
const { parsePushInput } = require('../nodes/push/input');
const { interpretResponse } = require('../nodes/oicp/client');
const { assertPushEvseStatus } = require('./support/openapi');
const shared = require('./support/until');
const { sleep } = shared;

const OP = 'DE*ABC';
const rec = (n, s) => ({ EvseID: `DE*ABC*E${n}`, EvseStatus: s });
const ok = () => ({
  class: 'success',
  reason: '000 success',
  httpStatus: 200,
  statusCode: { Code: '000' },
  ack: { Result: true, StatusCode: { Code: '000' } },
  durationMs: 1,
});

/** A fake Hubject with ActionType semantics, latency and a scripted fault list; counts overlapping requests. */
function fakeHubject({ latency = 5, faults = [] } = {}) {
  const state = new Map();
  const log = [];
  let inFlight = 0;
  const h = {
    state,
    log,
    overlaps: 0,
    faults,
    transport: async (body) => {
      assertPushEvseStatus(body);
      inFlight++;
      if (inFlight > 1) h.overlaps++;
      await sleep(latency);
      inFlight--;
      const {
        ActionType: action,
        OperatorEvseStatus: { EvseStatusRecord: recs },
      } = body;
      log.push({ action, ids: recs.map((r) => r.EvseID) });
      const f = h.faults.length && h.faults[0].match(body) ? h.faults.shift() : null;
      if (f) return f.result(body);
      if (action === 'fullLoad') {
        state.clear();
        for (const r of recs) state.set(r.EvseID, r.EvseStatus);
        return ok();
      }
      if (action === 'update') {
        const missing = recs.filter((r) => !state.has(r.EvseID)).map((r) => r.EvseID);
        if (missing.length)
          return {
            class: 'data',
            reason: '022 Data error',
            httpStatus: 200,
            statusCode: { Code: '022', AdditionalInfo: h.nameMissing === false ? null : missing.join(',') },
            durationMs: 1,
          };
      }
      if (action === 'insert' && recs.some((r) => state.has(r.EvseID)))
        return { class: 'data', reason: '022 exists', httpStatus: 200, statusCode: { Code: '022' }, durationMs: 1 };
      for (const r of recs) action === 'delete' ? state.delete(r.EvseID) : state.set(r.EvseID, r.EvseStatus);
      return ok();
    },
  };
  return h;
}

function owner(cb) {
  return { nodeId: 'n1', pending: 0, failures: [], settle: cb };
}

const until = (pred, ms = 5000) => shared.until(pred, ms, 'condition', { every: 5 });

describe('push queue (core)', function () {
  const queues = [];
  const make = (opts) => {
    const q = new PushQueue({ policy: statusPolicy, operatorId: OP, backoffBaseMs: 5, backoffMaxMs: 50, ...opts });
    queues.push(q);
    return q;
  };
  afterEach(() => {
    for (const q of queues.splice(0)) q.stop();
  });

  it('never has two requests in flight and lands the latest status of every EVSE', async function () {
    const h = fakeHubject({ latency: 3 });
    const q = make();
    q.start(h.transport);
    q.enqueue('fullLoad', [], null);
    const truth = new Map();
    let settled = 0;
    for (let i = 0; i < 1000; i++) {
      const r = rec(i % 50, ['Available', 'Occupied', 'OutOfService'][i % 3]);
      truth.set(r.EvseID, r.EvseStatus);
      q.enqueue(
        'update',
        [r],
        owner(() => settled++),
      );
    }
    await until(() => settled === 1000 && q.queued === 0);
    h.overlaps.should.equal(0);
    // Coalescing and bundling: far fewer requests than changes.
    h.log.length.should.be.below(200);
    Object.fromEntries(h.state).should.eql(Object.fromEntries(truth));
  });

  it('sends a lone change alone and bundles what piles up behind a request in flight', async function () {
    const h = fakeHubject({ latency: 20 });
    const q = make({ maxRecords: 3 });
    q.start(h.transport);
    q.enqueue('insert', [rec(1, 'Available')], null);
    await sleep(5);
    for (let i = 2; i <= 8; i++) q.enqueue('insert', [rec(i, 'Available')], null);
    await until(() => q.queued === 0);
    h.log.map((l) => l.ids.length).should.eql([1, 3, 3, 1]);
  });

  it('coalesces pending updates of one EVSE to the latest', async function () {
    const h = fakeHubject({ latency: 20 });
    h.state.set('DE*ABC*E1', 'Available');
    h.state.set('DE*ABC*E2', 'Available');
    const q = make();
    q.start(h.transport);
    q.enqueue('update', [rec(2, 'Occupied')], null);
    await sleep(2);
    for (const s of ['Occupied', 'Reserved', 'OutOfService', 'Available', 'Occupied']) q.enqueue('update', [rec(1, s)], null);
    await until(() => q.queued === 0);
    h.log.should.eql([
      { action: 'update', ids: ['DE*ABC*E2'] },
      { action: 'update', ids: ['DE*ABC*E1'] },
    ]);
    h.state.get('DE*ABC*E1').should.equal('Occupied');
  });

  it('sends a fullLoad whole and keeps later updates behind it', async function () {
    const h = fakeHubject({ latency: 10 });
    const q = make({ maxRecords: 2 });
    q.start(h.transport);
    q.enqueue('fullLoad', [rec(1, 'Available'), rec(2, 'Available'), rec(3, 'Available')], null);
    q.enqueue('update', [rec(2, 'Occupied')], null);
    await until(() => q.queued === 0);
    h.log.should.eql([
      { action: 'fullLoad', ids: ['DE*ABC*E1', 'DE*ABC*E2', 'DE*ABC*E3'] },
      { action: 'update', ids: ['DE*ABC*E2'] },
    ]);
    h.state.get('DE*ABC*E2').should.equal('Occupied');
  });

  it('retries transient faults with backoff, keeping the batch at the head while new changes coalesce', async function () {
    const fail = { match: () => true, result: () => ({ class: 'transient', reason: 'HTTP 503', httpStatus: 503, durationMs: 1 }) };
    const h = fakeHubject({ latency: 1, faults: [fail, fail, fail] });
    const q = make();
    const retries = [];
    q.on('retry', (e) => retries.push(e.delayMs));
    q.start(h.transport);
    q.enqueue('insert', [rec(1, 'Available')], null);
    await sleep(1);
    for (let i = 0; i < 100; i++) q.enqueue('insert', [rec(2, i % 2 ? 'Occupied' : 'Available')], null);
    q.queued.should.be.belowOrEqual(2);
    await until(() => q.queued === 0);
    retries.length.should.equal(3);
    h.log.map((l) => l.ids).should.eql([['DE*ABC*E1'], ['DE*ABC*E1'], ['DE*ABC*E1'], ['DE*ABC*E1'], ['DE*ABC*E2']]);
    h.state.get('DE*ABC*E2').should.equal('Occupied');
  });

  it('isolates an 018 record inside a bundle, reports it once, and lands the rest', async function () {
    const bad = 'DE*ABC*E7';
    const h = fakeHubject({ latency: 1 });
    h.faults.push({
      match: (b) => b.OperatorEvseStatus.EvseStatusRecord.some((r) => r.EvseID === bad),
      result: () => ({ class: 'data', reason: '018 Inconsistent EvseID', httpStatus: 200, statusCode: { Code: '018', AdditionalInfo: null }, durationMs: 1 }),
    });
    // Hubject does not always name the EVSE: bisection must find it.
    const again = h.faults[0];
    for (let i = 0; i < 10; i++) h.faults.push(again);
    const q = make();
    const rejected = [];
    q.on('rejected', (e) => rejected.push(e.failure));
    const errors = [];
    let oks = 0;
    q.enqueue('fullLoad', [], null);
    q.start(h.transport);
    await until(() => q.queued === 0);
    h.faults.length = 0;
    h.faults.push(again, again, again, again, again, again, again);
    const recs = Array.from({ length: 50 }, (_, i) => rec(i, 'Available'));
    q.enqueue(
      'insert',
      recs.slice(0, 1),
      owner(() => oks++),
    );
    q.enqueue(
      'insert',
      recs,
      owner((err) => (err ? errors.push(err) : oks++)),
    );
    await until(() => q.queued === 0 && errors.length + oks === 2);
    rejected.length.should.equal(1);
    rejected[0].id.should.equal(bad);
    rejected[0].code.should.equal('018');
    errors.length.should.equal(1);
    errors[0].should.be.instanceOf(PushRejectedError);
    errors[0].message.should.match(/DE\*ABC\*E7.*018/);
    h.state.size.should.equal(49);
  });

  it('retries an update that Hubject does not know as insert, splitting a mixed bundle', async function () {
    const h = fakeHubject({ latency: 1 });
    h.nameMissing = false;
    h.state.set('DE*ABC*E1', 'Available');
    h.state.set('DE*ABC*E3', 'Available');
    const q = make();
    let done = 0;
    q.start(h.transport);
    q.enqueue('update', [rec(0, 'Available')], null);
    q.enqueue(
      'update',
      [rec(1, 'Occupied'), rec(2, 'Occupied'), rec(3, 'Reserved'), rec(4, 'OutOfService')],
      owner((err) => {
        should.not.exist(err);
        done++;
      }),
    );
    await until(() => done === 1 && q.queued === 0);
    Object.fromEntries(h.state).should.eql({
      'DE*ABC*E0': 'Available',
      'DE*ABC*E1': 'Occupied',
      'DE*ABC*E2': 'Occupied',
      'DE*ABC*E3': 'Reserved',
      'DE*ABC*E4': 'OutOfService',
    });
  });

  it('retries configuration faults only at the maximum backoff', async function () {
    const cfg = {
      match: () => true,
      result: () => ({ class: 'config', reason: 'HTTP 401 017 Unauthorized', httpStatus: 401, statusCode: { Code: '017' }, durationMs: 1 }),
    };
    const h = fakeHubject({ latency: 1, faults: [cfg, cfg] });
    const q = make({ backoffMaxMs: 80 });
    const delays = [];
    q.on('config-error', (e) => delays.push(e.delayMs));
    q.start(h.transport);
    q.enqueue('insert', [rec(1, 'Available')], null);
    await until(() => delays.length === 1);
    q.status().state.should.equal('config-error');
    await until(() => q.queued === 0);
    delays.should.eql([80, 80]);
  });

  it('keeps pending changes in a durable outbox that a new queue restores', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-outbox-'));
    const file = path.join(dir, 'o.json');
    const q1 = make({ outbox: new FileOutbox(file, OP) });
    q1.enqueue('fullLoad', [rec(1, 'Available')], null);
    q1.enqueue('update', [rec(1, 'Occupied'), rec(2, 'Reserved')], null);
    await q1.flush();
    FileOutbox.peek(file)
      .map((s) => s.action)
      .should.eql(['fullLoad', 'update']);
    q1.stop();
    const h = fakeHubject({ latency: 1 });
    const q2 = make({ outbox: new FileOutbox(file, OP) });
    q2.queued.should.equal(3);
    q2.start(h.transport);
    await until(() => q2.queued === 0);
    await q2.flush();
    Object.fromEntries(h.state).should.eql({ 'DE*ABC*E1': 'Occupied', 'DE*ABC*E2': 'Reserved' });
    FileOutbox.peek(file).should.eql([]);
  });

  it('keeps only the last record of an EvseID duplicated in one message, and completes it once', async function () {
    const h = fakeHubject({ latency: 1 });
    const q = make();
    let settled = 0;
    q.start(h.transport);
    q.enqueue(
      'insert',
      [rec(1, 'Occupied'), { EvseID: 'DEABCE1', EvseStatus: 'Available' }, rec(2, 'Reserved')],
      owner(() => settled++),
    );
    await until(() => settled === 1 && q.queued === 0);
    h.log.should.eql([{ action: 'insert', ids: ['DEABCE1', 'DE*ABC*E2'] }]);
    Object.fromEntries(h.state).should.eql({ DEABCE1: 'Available', 'DE*ABC*E2': 'Reserved' });
  });

  it('fills a large fullLoad in slices, keeps later changes behind it, and never saves or sends it partly', async function () {
    const h = fakeHubject({ latency: 1 });
    const q = make();
    q.start(h.transport);
    const big = Array.from({ length: 12000 }, (_, i) => rec(i, 'Available'));
    let done = 0;
    const filling = q.enqueueSliced(
      'fullLoad',
      big,
      owner(() => done++),
      5000,
    );
    // Arrives while the fullLoad is being filled: must land after it.
    q.enqueue('update', [rec(7, 'Occupied')], null);
    q.snapshot().should.eql([{ action: 'update', records: [rec(7, 'Occupied')] }]);
    await filling;
    await until(() => q.queued === 0 && done === 1, 10000);
    h.log
      .map((l) => [l.action, l.ids.length])
      .should.eql([
        ['fullLoad', 12000],
        ['update', 1],
      ]);
    h.state.size.should.equal(12000);
    h.state.get('DE*ABC*E7').should.equal('Occupied');
  });

  it('waits for the rolling rate limit', async function () {
    const h = fakeHubject({ latency: 0 });
    const q = make({ ratePerMinute: 3 });
    q.start(h.transport);
    for (let i = 0; i < 5; i++) {
      q.enqueue('insert', [rec(i, 'Available')], null);
      await sleep(2);
    }
    await sleep(100);
    h.log.length.should.equal(3);
    q.queued.should.equal(2);
  });
});

describe('rate limiter and backoff', function () {
  it('allows limit starts per window', function () {
    const l = new RollingRateLimiter(2, 1000);
    l.waitMs(0).should.equal(0);
    l.record(0);
    l.waitMs(10).should.equal(0);
    l.record(10);
    l.waitMs(20).should.equal(980);
    l.waitMs(1000).should.equal(0);
  });
  it('uses full jitter capped at the maximum and honours Retry-After', function () {
    backoffDelay(0, 1000, 300000, () => 0.5).should.equal(500);
    backoffDelay(3, 1000, 300000, () => 0.99).should.equal(7920);
    backoffDelay(30, 1000, 300000, () => 0.999).should.be.belowOrEqual(300000);
    backoffDelay(0, 1000, 300000, () => 0, 7000).should.equal(7000);
  });
});

describe('push input validation', function () {
  it('accepts one record, arrays and whole bodies, and upper-cases EvseIDs', function () {
    parsePushInput({ EvseID: 'de*abc*e1', EvseStatus: 'Occupied' }, undefined, 'update', OP).should.eql({
      action: 'update',
      records: [{ EvseID: 'DE*ABC*E1', EvseStatus: 'Occupied' }],
    });
    parsePushInput([rec(1, 'Occupied'), { EvseID: 'DEABCE1', EvseStatus: 'Available' }], 'insert', 'update', OP).records.length.should.equal(2);
    const body = { ActionType: 'fullLoad', OperatorEvseStatus: { OperatorID: 'DE*ABC', EvseStatusRecord: [rec(1, 'Available')] } };
    parsePushInput(body, undefined, 'update', OP).action.should.equal('fullLoad');
  });
  it('accepts bare EvseIDs for delete, as the full load node emits them', function () {
    parsePushInput(['de*abc*e1', { EvseID: 'DE*ABC*E2' }], 'delete', 'update', OP).records.should.eql([
      { EvseID: 'DE*ABC*E1', EvseStatus: 'OutOfService' },
      { EvseID: 'DE*ABC*E2', EvseStatus: 'OutOfService' },
    ]);
    parsePushInput('DE*ABC*E3', 'delete', 'update', OP).records.should.eql([{ EvseID: 'DE*ABC*E3', EvseStatus: 'OutOfService' }]);
    (() => parsePushInput(['DE*ABC*E1'], 'update', 'update', OP)).should.throw(/must be an object/);
  });

  it('rejects bad input with a clear reason', function () {
    (() => parsePushInput({ EvseID: 'DE*XYZ*E1', EvseStatus: 'Occupied' }, undefined, 'update', OP)).should.throw(
      /does not belong to operator DE\*ABC \(Hubject would answer 018\)/,
    );
    (() => parsePushInput({ EvseID: 'DE*ABC*E_1', EvseStatus: 'Occupied' }, undefined, 'update', OP)).should.throw(
      /EvseID 'DE\*ABC\*E_1' does not match the OICP pattern/,
    );
    (() => parsePushInput({ EvseID: 'DE*ABC*E1', EvseStatus: 'Busy' }, undefined, 'update', OP)).should.throw(/EvseStatus 'Busy'/);
    (() => parsePushInput(rec(1, 'Occupied'), 'upsert', 'update', OP)).should.throw(/ActionType 'upsert'/);
    (() => parsePushInput({ ActionType: 'update', OperatorEvseStatus: { OperatorID: 'DE*XYZ', EvseStatusRecord: [] } }, undefined, 'update', OP)).should.throw(
      /not the configured operator/,
    );
    (() => parsePushInput(null, undefined, 'update', OP)).should.throw(/got null/);
    (() => parsePushInput([], undefined, 'update', OP)).should.throw(/no EvseStatusRecord/);
    (() => parsePushInput([], 'fullLoad', 'update', OP)).should.throw(/empty fullLoad deletes every EVSE of DE\*ABC/);
    parsePushInput([], 'fullLoad', 'update', OP, true).should.eql({ action: 'fullLoad', records: [] });
    (() => parsePushInput(JSON.parse('{"__proto__":{"x":1},"EvseID":"DE*ABC*E1"}'), undefined, 'update', OP)).should.throw(/EvseStatus/);
  });
});

describe('acknowledgement interpretation', function () {
  const { readExample } = require('./support/openapi');
  it('reads the observed Hubject 200 with nulls as success', function () {
    const r = interpretResponse(200, JSON.stringify(readExample('pushEvseStatus.response.observed-200.json')), undefined, 'p1', 5);
    r.class.should.equal('success');
    r.processId.should.equal('p1');
  });
  it('classifies 401/017, 404/300, 400 and 429 with Retry-After', function () {
    interpretResponse(401, JSON.stringify(readExample('error.observed-401-unauthorized-017.json')), undefined, undefined, 1).should.match({
      class: 'config',
      reason: /017 Unauthorized Access.*check OperatorID/,
    });
    interpretResponse(404, JSON.stringify(readExample('error.observed-404-partner-not-found-300.json')), undefined, undefined, 1).should.match({
      class: 'config',
      reason: /300 Partner not found/,
    });
    const bad = interpretResponse(400, JSON.stringify(readExample('error.observed-400-validation-faultbody.json')), undefined, undefined, 1);
    bad.class.should.equal('data');
    bad.validationErrors.length.should.equal(1);
    bad.reason.should.match(/hotlinePhoneNumber/);
    interpretResponse(429, '', '7', undefined, 1).should.match({ class: 'transient', retryAfterMs: 7000 });
    interpretResponse(503, '<html>', undefined, undefined, 1).class.should.equal('transient');
    interpretResponse(200, JSON.stringify({ Result: false, StatusCode: { Code: '009', Description: null } }), undefined, undefined, 1).class.should.equal(
      'transient',
    );
    interpretResponse(200, JSON.stringify({ Result: false, StatusCode: { Code: '018', AdditionalInfo: 'DE*ABC*E1' } }), undefined, undefined, 1).should.match({
      class: 'data',
      reason: /018 Inconsistent EvseID: DE\*ABC\*E1/,
    });
  });
});

describe('one lane per operator per operation', function () {
  const { acquireQueue, outboxPath, queueKey, forgetQueues } = require('../nodes/push/registry');
  afterEach(() => forgetQueues());

  it("keeps the status lane's key and outbox file name, and gives the data lane its own", function () {
    const url = 'https://h/api/oicp';
    queueKey(OP, url).should.equal('DE*ABC|https://h/api/oicp');
    queueKey(OP, url, 'status').should.equal(queueKey(OP, url));
    queueKey(OP, url, 'data').should.equal('DE*ABC|https://h/api/oicp|data');
    const status = outboxPath('/u', OP, url);
    status.should.match(/DE_ABC-[0-9a-f]{10}\.json$/);
    outboxPath('/u', OP, url, 'data').should.equal(status.replace(/\.json$/, '-data.json'));
    const s = acquireQueue(OP, url, undefined, { policy: statusPolicy });
    const d = acquireQueue(OP, url, undefined, { policy: dataPolicy, ratePerMinute: 375 });
    s.should.not.equal(d);
    acquireQueue(OP, url, undefined, { policy: dataPolicy }).should.equal(d);
    s.operation.should.equal('status');
    d.operation.should.equal('data');
    s.status().ratePerMinute.should.equal(2000);
    d.status().ratePerMinute.should.equal(375);
  });

  it("sends what the lane's body builder builds, one request at a time per lane, lanes side by side", async function () {
    let inFlight = { status: 0, data: 0 };
    let overlapWithin = 0;
    let overlapAcross = 0;
    const bodies = [];
    const transport = (lane) => async (body) => {
      bodies.push(body);
      inFlight[lane]++;
      if (inFlight[lane] > 1) overlapWithin++;
      if (inFlight.status && inFlight.data) overlapAcross++;
      await sleep(5);
      inFlight[lane]--;
      return ok();
    };
    const buildBody = (action, records, operatorId, operatorName) => ({
      ActionType: action,
      OperatorEvseData: { OperatorID: operatorId, OperatorName: operatorName, EvseDataRecord: records },
    });
    const s = new PushQueue({ policy: statusPolicy, operatorId: OP });
    const d = new PushQueue({ policy: statusPolicy, operatorId: OP, operatorName: 'Demo CPO', operation: 'data', buildBody });
    s.start(transport('status'));
    d.start(transport('data'));
    for (let i = 0; i < 20; i++) {
      s.enqueue('update', [rec(i, 'Occupied')], null);
      d.enqueue('insert', [{ EvseID: `DE*ABC*E${i}`, EvseStatus: 'Available' }], null);
      await sleep(1);
    }
    await until(() => s.queued === 0 && d.queued === 0);
    s.stop();
    d.stop();
    overlapWithin.should.equal(0);
    overlapAcross.should.be.above(0);
    bodies
      .filter((b) => b.OperatorEvseData)
      .every((b) => b.OperatorEvseData.OperatorName === 'Demo CPO')
      .should.be.true();
    bodies.filter((b) => b.OperatorEvseStatus).length.should.be.above(0);
  });
});
