'use strict';
// The push queue and client reading every kind of Hubject answer right, against the simulator over mutual TLS.
require('should');
const fs = require('fs');
const { PushQueue, PushRejectedError } = require('../nodes/push/queue');
const { statusPolicy } = require('../nodes/push/status-lane');
const { HubjectClient, effectiveTimeoutMs } = require('../nodes/oicp/client');
const { queueStatusText } = require('../nodes/push/status');
const { startSim } = require('./support/sim');
const shared = require('./support/until');

const OP = 'DE*ABC';
const recs = (n, s = 'Occupied', from = 0) => Array.from({ length: n }, (_, i) => ({ EvseID: `DE*ABC*E${from + i}`, EvseStatus: s }));
const until = (pred, ms = 15000, what = 'condition') => shared.until(pred, ms, what, { every: 5 });

describe('Hubject answers, read by the push queue over mutual TLS', function () {
  this.timeout(60000);
  let sim, certs, url;
  let onPush = null;
  const queues = [];
  const clients = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({ rateLimitPerMinute: 0, onPush: (b) => onPush && onPush(b) }));
  });
  after(async function () {
    for (const c of clients) await c.destroy();
    await sim.stop();
  });
  beforeEach(function () {
    onPush = null;
    sim.clearFaults();
    sim.clearState();
    sim.resetStats();
  });
  afterEach(function () {
    for (const q of queues.splice(0)) q.stop();
  });

  function client(timeoutMs = 5000) {
    const pair = certs.clients[OP];
    const c = new HubjectClient({
      baseUrl: url,
      operatorId: OP,
      timeoutMs,
      tls: { cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key), ca: fs.readFileSync(certs.caCert) },
    });
    clients.push(c);
    return c;
  }

  /** A queue sending through a real client; `outcome` collects each input's settle. */
  function queue(opts = {}, timeoutMs) {
    const c = client(timeoutMs);
    const q = new PushQueue({ policy: statusPolicy, operatorId: OP, backoffBaseMs: 20, backoffMaxMs: 60000, ratePerMinute: 100000, ...opts });
    queues.push(q);
    q.go = () => q.start((b, s) => c.call('status', OP, b, s));
    return q;
  }

  function input(q, action, records) {
    const o = { nodeId: 'n1', pending: 0, failures: [], settle: null, done: false, err: undefined };
    o.settle = (err) => {
      o.done = true;
      o.err = err;
    };
    q.enqueue(action, records, o);
    return o;
  }

  const landed = () => [...sim.getState(OP).values()].filter((e) => e.EvseStatus === 'Occupied').length;

  describe('the HTTP class wins for 408, 429 and 5xx', function () {
    for (const [status, body] of [
      [500, { code: '500' }],
      [503, { code: '022' }],
      [408, { code: '018' }],
      [429, { code: '022' }],
    ]) {
      it(`keeps the changes on HTTP ${status} with OICP code ${body.code} in the body`, async function () {
        sim.seedState(OP, recs(4, 'Available'));
        sim.injectFault({ kind: 'http', status, ...body, count: 2 });
        const q = queue({ backoffMaxMs: 50 });
        const o = input(q, 'update', recs(4));
        q.go();
        await until(() => o.done);
        (o.err === undefined).should.be.true(o.err && o.err.message);
        landed().should.equal(4);
        sim.stats.pushes.should.equal(3);
      });
    }
  });

  it('reads 401 "call not authorized" as a configuration fault and keeps the changes', async function () {
    sim.injectFault({ kind: 'http', status: 401, code: '401' });
    const q = queue();
    const o = input(q, 'insert', recs(3));
    q.go();
    await until(() => q.status().state === 'config-error');
    o.done.should.be.false();
    q.queued.should.equal(3);
  });

  it('reads a code missing from the table by its HTTP status, never as a data fault', async function () {
    sim.injectFault({ kind: 'http', status: 502, code: '777', count: 1 });
    const q = queue({ backoffMaxMs: 50 });
    const o = input(q, 'insert', recs(1));
    q.go();
    await until(() => o.done);
    (o.err === undefined).should.be.true(o.err && o.err.message);
    landed().should.equal(1);
  });

  it('answers 210 "no valid contract" with a red status naming the contract, keeps the changes and retries slowly', async function () {
    sim.injectFault({ kind: 'result', code: '210' });
    const q = queue();
    const o = input(q, 'insert', recs(100));
    q.go();
    await until(() => q.status().state === 'config-error');
    const status = queueStatusText(q.status());
    status.fill.should.equal('red');
    status.text.should.match(/210.*contract or offer/);
    o.done.should.be.false();
    q.queued.should.equal(100);
    sim.stats.pushes.should.equal(1);
  });

  for (const [what, result] of [
    ['null', null],
    ['missing', undefined],
  ]) {
    it(`takes 000 with Result ${what} as success`, async function () {
      const body = { StatusCode: { Code: '000', Description: null, AdditionalInfo: null } };
      if (result !== undefined) body.Result = result;
      sim.injectFault({ kind: 'http', status: 200, body, count: 1 });
      const q = queue();
      const first = input(q, 'insert', recs(1));
      q.go();
      await until(() => first.done);
      (first.err === undefined).should.be.true();
      const second = input(q, 'insert', recs(1, 'Occupied', 1));
      await until(() => second.done);
      sim.stats.pushes.should.equal(2);
    });
  }

  it('goes red with an excerpt of the body after three unreadable 2xx answers in a row', async function () {
    sim.injectFault({ kind: 'http', status: 200, body: '<html>proxy login required</html>' });
    const q = queue({ backoffMaxMs: 50 });
    const o = input(q, 'insert', recs(1));
    q.go();
    await until(() => q.status().state === 'config-error');
    sim.stats.pushes.should.equal(3);
    q.status().lastReason.should.match(/could not be read.*proxy login required/);
    queueStatusText(q.status()).fill.should.equal('red');
    o.done.should.be.false();
  });

  describe('rejections cost O(log n) requests', function () {
    it('fails the record a 400 FaultBody names by index and sends the rest again in one request', async function () {
      sim.seedState(OP, recs(200, 'Available'));
      sim.injectFault({ kind: 'http', status: 400, index: 7, count: 1 });
      const q = queue();
      const inputs = recs(200).map((r) => input(q, 'update', [r]));
      await q.flush();
      q.go();
      await until(() => inputs.every((o) => o.done));
      sim.stats.pushes.should.equal(2);
      inputs[7].err.should.be.instanceOf(PushRejectedError);
      inputs[7].err.message.should.match(/DE\*ABC\*E7.*HTTP 400.*evseStatusRecord\[7\]/);
      inputs.filter((o) => o.err).length.should.equal(1);
      landed().should.equal(199);
    });

    it('recognises a bundle refused as a whole (022 naming nothing) after a few probes', async function () {
      sim.injectFault({ kind: 'result', code: '022' });
      const q = queue();
      const o = input(q, 'insert', recs(200));
      q.go();
      await until(() => o.done);
      // 2 + PROBES, and one more: an insert refused with 022 goes once as update first.
      sim.stats.pushes.should.be.belowOrEqual(6);
      o.err.failures.length.should.equal(200);
      o.err.failures.every((f) => f.code === '022').should.be.true();
      o.err.failures[199].reason.should.match(/whole bundle is refused/);
    });

    it('delivers every other record of a bundle with one bad record, in O(log n) requests', async function () {
      sim.injectFault({ kind: 'result', code: '018', evseId: 'DE*ABC*E137' });
      const q = queue();
      const o = input(q, 'insert', recs(200));
      q.go();
      await until(() => o.done);
      o.err.failures.map((f) => f.id).should.eql(['DE*ABC*E137']);
      landed().should.equal(199);
      sim.stats.pushes.should.be.belowOrEqual(2 + 2 * Math.ceil(Math.log2(200)));
    });
  });

  describe('insertMissing', function () {
    it('never falls back to insert on 019', async function () {
      sim.injectFault({ kind: 'result', code: '019', count: 1 });
      const q = queue();
      const o = input(q, 'update', recs(1));
      q.go();
      await until(() => o.done);
      o.err.failures[0].code.should.equal('019');
      sim.requestLog.map((e) => e.action).should.not.containEql('insert');
      sim.stats.pushes.should.equal(1);
    });

    it("falls back to insert on 022, and fails with the insert's reason when that is refused too, cheaply", async function () {
      onPush = (b) => {
        if (b.ActionType === 'insert') sim.injectFault({ kind: 'result', code: '019', additionalInfo: 'insert refused here', count: 1 });
      };
      const q = queue();
      const o = input(q, 'update', recs(200));
      q.go();
      await until(() => o.done);
      o.err.failures.length.should.equal(200);
      for (const f of o.err.failures) f.should.match({ action: 'update', code: '019', additionalInfo: 'insert refused here' });
      const actions = sim.requestLog.map((e) => e.action);
      actions.slice(0, 2).should.eql(['update', 'insert']);
      // The whole bundle as update, then as insert, three probes of update + insert each, the rest once more.
      actions.length.should.be.belowOrEqual(10);
    });
  });

  describe('never two requests at Hubject at once', function () {
    it('waits one request timeout after a timeout before sending the batch again', async function () {
      sim.injectFault({ kind: 'hang', count: 1 });
      const q = queue({ backoffMaxMs: 5 }, 300);
      const o = input(q, 'insert', recs(1));
      q.go();
      await until(() => o.done);
      const [first, second] = sim.requestLog.filter((e) => e.kind === 'push');
      // first.endedAt: when the client gave up on the hung request.
      (second.startedAt - first.endedAt).should.be.aboveOrEqual(300);
      sim.stats.overlaps.should.equal(0);
    });

    it('waits one request timeout after a stop aborted the request in flight', async function () {
      sim.injectFault({ kind: 'hang', count: 1 });
      const q = queue({ backoffMaxMs: 5 }, 400);
      const o = input(q, 'insert', recs(1));
      q.go();
      await until(() => sim.requestLog.length === 1);
      const stoppedAt = Date.now();
      q.stop();
      q.go();
      await until(() => o.done);
      const second = sim.requestLog.filter((e) => e.kind === 'push')[1];
      (second.startedAt - stoppedAt).should.be.aboveOrEqual(400);
    });

    it('gives a large body more time: configured timeout plus 1 s per 100 kB', async function () {
      effectiveTimeoutMs(30000, 0).should.equal(30000);
      effectiveTimeoutMs(30000, 100000).should.equal(31000);
      effectiveTimeoutMs(30000, 6000000).should.equal(90000);
      // undici checks its timeouts about every 0.5 s, so the margins here are wide.
      sim.injectFault({ kind: 'latency', ms: 2500 });
      const c = client(1000);
      const body = (n) => ({ ActionType: 'fullLoad', OperatorEvseStatus: { OperatorID: OP, EvseStatusRecord: recs(n) } });
      (await c.call('status', OP, body(20000))).class.should.equal('success');
      (await c.call('status', OP, body(1))).should.match({ class: 'transient', reason: /timeout/ });
    });

    it('halves the request rate after a 429 and does not restore it with the next success', async function () {
      sim.injectFault({ kind: 'http', status: 429, retryAfter: 0, count: 1 });
      const q = queue({ ratePerMinute: 40, backoffMaxMs: 20 });
      q.status().ratePerMinute.should.equal(40);
      const o = input(q, 'insert', recs(1));
      q.go();
      await until(() => o.done);
      q.status().ratePerMinute.should.equal(20);
    });
  });

  it('reads a TLS 1.3 refusal of the client certificate as a configuration fault naming it, without a retry flood', async function () {
    sim.injectFault({ kind: 'refuse-certificate' });
    const q = queue();
    const o = input(q, 'insert', recs(1));
    q.go();
    await until(() => q.status().state === 'config-error');
    q.status().lastReason.should.match(/refused the client certificate \(unknown CA\)/);
    q.status().lastCode.should.equal('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
    sim.faults[0].hits.should.equal(1);
    o.done.should.be.false();
  });

  it('emits recovered with the outage length and the changes delivered when Hubject answers again', async function () {
    sim.injectFault({ kind: 'http', status: 503, count: 3 });
    const q = queue({ backoffMaxMs: 30 });
    const events = [];
    q.on('recovered', (e) => events.push(e));
    input(q, 'insert', recs(6));
    q.go();
    await until(() => events.length === 1);
    events[0].delivered.should.equal(6);
    events[0].afterMs.should.be.above(0);
  });

  it('counts every change the recovery delivered, over all the requests that emptied the backlog', async function () {
    // Issue 20 item 5: 7 changes went out in three requests after the heal, and the line said "1 changes delivered".
    sim.injectFault({ kind: 'http', status: 503, count: 3 });
    const q = queue({ backoffMaxMs: 30, maxRecords: 3 });
    const events = [];
    q.on('recovered', (e) => events.push(e));
    const o = input(q, 'insert', recs(7));
    q.go();
    await until(() => o.done);
    await until(() => events.length === 1);
    sim.stats.pushes.should.equal(6, 'three refused, then three requests of at most 3 changes');
    events.should.have.length(1);
    events[0].delivered.should.equal(7);
  });
});
