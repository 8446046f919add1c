'use strict';
// The local Hubject simulator, exercised over real mutual TLS on 127.0.0.1 with undici as the client.
require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Agent, request } = require('undici');
const { assertPushEvseStatus, assertNotPushEvseStatus, empSchema } = require('./support/openapi');
const { startSim, clientAgent, pullStatuses, pullViaHttp, statusesFromPull } = require('./support/sim');
const { HubjectSimulator, createCertificates, readCertOperatorId } = require('../nodes/simulator');

// EMP side of the OpenAPI, to check the shapes of the pull answers.
const validateEvseStatus = empSchema('eRoamingEVSEStatus');
const validateEvseStatusById = empSchema('eRoamingEVSEStatusByID');

const OP = 'DE*ABC';
const OK_ACK = {
  Result: true,
  StatusCode: { Code: '000', Description: null, AdditionalInfo: null },
  SessionID: null,
  CPOPartnerSessionID: null,
  EMPPartnerSessionID: null,
};

function body(action, records, operatorId = OP) {
  return { ActionType: action, OperatorEvseStatus: { OperatorID: operatorId, OperatorName: 'ABC technologies', EvseStatusRecord: records } };
}
const rec = (EvseID, EvseStatus) => ({ EvseID, EvseStatus });

/** Hubject wants '*' and '+' percent-encoded in the path. */
function pushUrl(url, operatorId) {
  return `${url}/evsepush/v21/operators/${encodeURIComponent(operatorId).replace(/\*/g, '%2A')}/status-records`;
}

/** Error code anywhere in an undici error's cause chain. */
function codes(err) {
  const out = [];
  for (let e = err; e && out.length < 6; e = e.cause) out.push(e.code || e.name);
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('Hubject simulator', function () {
  this.timeout(10000);
  let sim;
  let certs;
  let url;
  let agent;

  /** Sends an eRoamingPushEvseStatus; every body must validate against the official OpenAPI unless opts.invalid. */
  async function push(b, opts = {}) {
    if (opts.invalid) assertNotPushEvseStatus(b);
    else assertPushEvseStatus(b);
    const res = await request(pushUrl(opts.url || url, opts.urlOperatorId || b.OperatorEvseStatus.OperatorID), {
      method: 'POST',
      dispatcher: opts.agent || agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(b),
      headersTimeout: opts.headersTimeout,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  }

  async function pushOk(b, opts) {
    const r = await push(b, opts);
    r.status.should.equal(200, JSON.stringify(r.json));
    r.json.should.eql(OK_ACK);
    r.headers['process-id'].should.match(/^[0-9a-f-]{36}$/);
    return r;
  }

  function expectResult(r, code, info) {
    r.status.should.equal(200);
    r.json.Result.should.be.false();
    r.json.StatusCode.Code.should.equal(code);
    if (info !== undefined) r.json.StatusCode.AdditionalInfo.should.equal(info);
  }

  async function pull(kind, payload) {
    const res = await request(`${url}/evsepull/v21/providers/DE-DCB/${kind}`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ProviderID: 'DE-DCB', ...payload }),
    });
    return { status: res.statusCode, json: await res.body.json() };
  }

  before(async function () {
    ({ sim, certs, url } = await startSim({ operatorIds: [OP, 'DEABC'] }));
    agent = clientAgent(certs, OP);
  });
  after(async function () {
    if (agent) await agent.close();
    if (sim) await sim.stop();
  });
  afterEach(async function () {
    // A failed refuseConnections test must not take the API down for the rest.
    await sim.refuseConnections(false);
  });
  beforeEach(function () {
    sim.clearState();
    sim.clearFaults();
    sim.resetStats();
    sim.setLatency(0);
  });

  describe('certificates', function () {
    it('carries the OperatorID in the client certificate CN, as given', function () {
      readCertOperatorId(fs.readFileSync(certs.clients[OP].cert)).should.equal(OP);
      readCertOperatorId(fs.readFileSync(certs.clients.DEABC.cert)).should.equal('DEABC');
      readCertOperatorId(fs.readFileSync(certs.wrongCaClientCert)).should.equal(OP);
      (readCertOperatorId('not a certificate') === undefined).should.be.true();
      for (const p of [certs.caCert, certs.serverKey, certs.otherServerCert, certs.expiredClientKey, certs.wrongHostServerCert]) {
        path.isAbsolute(p).should.be.true();
        fs.existsSync(p).should.be.true(p);
      }
    });

    it('reuses valid files and adds missing OperatorIDs (idempotent)', function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-certs-idem-'));
      try {
        const a = createCertificates(dir);
        Object.keys(a.clients).should.eql(['DE*ABC']);
        const caBefore = fs.readFileSync(a.caCert, 'utf8');
        const clientBefore = fs.readFileSync(a.clients['DE*ABC'].cert, 'utf8');
        const b = createCertificates(dir, { operatorIds: ['DE*ABC', '+49*536'] });
        fs.readFileSync(b.caCert, 'utf8').should.equal(caBefore);
        fs.readFileSync(b.clients['DE*ABC'].cert, 'utf8').should.equal(clientBefore);
        readCertOperatorId(fs.readFileSync(b.clients['+49*536'].cert)).should.equal('+49*536');
        (fs.statSync(b.caKey).mode & 0o077).should.equal(0);
        (() => createCertificates(dir, { operatorIds: ['not/an/id'] })).should.throw(/OperatorID/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('ActionType semantics', function () {
    it('fullLoad replaces the whole set; pulls return what was pushed', async function () {
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available'), rec('DE*ABC*E2', 'Occupied'), rec('DE*ABC*E3', 'Reserved')]));
      await pushOk(body('fullLoad', [rec('DE*ABC*E2', 'Available'), rec('DE*ABC*E4', 'OutOfService')]));
      pullStatuses(sim, OP).should.eql({ 'DE*ABC*E2': 'Available', 'DE*ABC*E4': 'OutOfService' });
      const pulled = await pullViaHttp(url, certs, [OP]);
      validateEvseStatus(pulled).should.be.true();
      statusesFromPull(pulled).should.eql({ 'DE*ABC*E2': 'Available', 'DE*ABC*E4': 'OutOfService' });
      pulled.EvseStatuses.OperatorEvseStatus[0].OperatorName.should.equal('ABC technologies');
      sim.getState('DEABC').get('DE*ABC*E4').updatedAt.should.be.a.Number();
    });

    it('an empty fullLoad clears every status of the operator', async function () {
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available'), rec('DE*ABC*E2', 'Occupied')]));
      await pushOk(body('fullLoad', []));
      pullStatuses(sim, OP).should.eql({});
      statusesFromPull(await pullViaHttp(url, certs, [OP])).should.eql({});
    });

    it('insert fails as a whole with 022 naming the EvseIDs that exist', async function () {
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available')]));
      expectResult(await push(body('insert', [rec('DE*ABC*E9', 'Occupied'), rec('DEABCE1', 'Occupied')])), '022', 'DEABCE1');
      pullStatuses(sim, OP).should.eql({ 'DE*ABC*E1': 'Available' });
      await pushOk(body('insert', [rec('DE*ABC*E9', 'Occupied')]));
      pullStatuses(sim, OP).should.eql({ 'DE*ABC*E1': 'Available', 'DE*ABC*E9': 'Occupied' });
    });

    it('update fails as a whole with 022 naming the missing EvseIDs; keys by identity, stores the spelling sent', async function () {
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available')]));
      expectResult(
        await push(body('update', [rec('DE*ABC*E1', 'Occupied'), rec('DE*ABC*E5', 'Occupied'), rec('DE*ABC*E6', 'Reserved')])),
        '022',
        'DE*ABC*E5, DE*ABC*E6',
      );
      sim.getStatus(OP, 'DE*ABC*E1').should.equal('Available');
      await pushOk(body('update', [rec('DEABCE1', 'Occupied')]));
      pullStatuses(sim, OP).should.eql({ DEABCE1: 'Occupied' });
      sim.getStatus('DEABC', 'de*abc*e1').should.equal('Occupied');
    });

    it('delete removes the given records', async function () {
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available'), rec('DE*ABC*E2', 'Occupied')]));
      await pushOk(body('delete', [rec('DE*ABC*E1', 'Available')]));
      pullStatuses(sim, OP).should.eql({ 'DE*ABC*E2': 'Occupied' });
    });
  });

  describe('authorization and validation', function () {
    it('answers 017 as HTTP 401 when the URL OperatorID differs from the certificate as text', async function () {
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available')]));
      const r = await push(body('update', [rec('DE*ABC*E1', 'Occupied')], 'DEABC'));
      r.status.should.equal(401);
      r.json.should.eql({ StatusCode: { Code: '017', Description: 'Unauthorized Access', AdditionalInfo: null } });
      // and the other way round: the DEABC certificate may not push for DE*ABC
      const other = clientAgent(certs, 'DEABC');
      try {
        (await push(body('update', [rec('DE*ABC*E1', 'Occupied')]), { agent: other })).status.should.equal(401);
        await pushOk(body('update', [rec('DEABCE1', 'Occupied')], 'DEABC'), { agent: other });
      } finally {
        await other.close();
      }
      // case is the only leniency
      await pushOk(body('update', [rec('DE*ABC*E1', 'Reserved')]), { urlOperatorId: 'de*abc' });
    });

    it('answers 017 when the body OperatorID differs from URL and certificate', async function () {
      const r = await push(body('fullLoad', [rec('DEABCE1', 'Available')], 'DEABC'), { urlOperatorId: OP });
      r.status.should.equal(401);
      r.json.StatusCode.Code.should.equal('017');
      pullStatuses(sim, OP).should.eql({});
    });

    it('answers 018 for an EvseID of another operator and for a duplicate', async function () {
      expectResult(await push(body('fullLoad', [rec('DE*ABC*E1', 'Available'), rec('DE*XYZ*ETEST1', 'Available')])), '018', 'DE*XYZ*ETEST1');
      const dup = await push(body('update', [rec('DE*ABC*E1', 'Available'), rec('DEABCE1', 'Occupied')]));
      expectResult(dup, '018', 'DEABCE1');
      dup.json.StatusCode.Description.should.equal('Inconsistent EvseID');
      pullStatuses(sim, OP).should.eql({});
    });

    it('answers schema violations with HTTP 400 and validationErrors', async function () {
      const bad = body('fullLoad', [rec('DE*ABC*E1', 'Broken'), rec('DE*ABC*1', 'Available')]);
      const r = await push(bad, { invalid: true });
      r.status.should.equal(400);
      r.json.message.should.equal('Error parsing/validating JSON.');
      r.json.validationErrors
        .map((e) => e.fieldReference)
        .should.eql(['operatorEvseStatus.evseStatusRecord[0].evseStatus', 'operatorEvseStatus.evseStatusRecord[1].evseID']);
      r.json.validationErrors[1].errorMessage.should.match(/^must match "/);
      (await push({ ActionType: 'replace', OperatorEvseStatus: { OperatorID: OP, EvseStatusRecord: [] } }, { invalid: true })).status.should.equal(400);
    });

    it('rejects client certificates from another CA, expired ones and none in the TLS handshake', async function () {
      for (const connect of [
        { cert: fs.readFileSync(certs.wrongCaClientCert), key: fs.readFileSync(certs.wrongCaClientKey) },
        { cert: fs.readFileSync(certs.expiredClientCert), key: fs.readFileSync(certs.expiredClientKey) },
        {},
      ]) {
        const a = new Agent({ connect: { ca: fs.readFileSync(certs.caCert), ...connect } });
        try {
          await push(body('fullLoad', [rec('DE*ABC*E1', 'Available')]), { agent: a }).should.be.rejected();
        } finally {
          await a.close();
        }
      }
      sim.stats.pushes.should.equal(0);
    });

    it('serves certificates the client must refuse (other CA, wrong host)', async function () {
      for (const [cert, key, code] of [
        [certs.otherServerCert, certs.otherServerKey, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/],
        [certs.wrongHostServerCert, certs.wrongHostServerKey, /ERR_TLS_CERT_ALTNAME_INVALID/],
      ]) {
        const s = new HubjectSimulator({
          certs: { ca: fs.readFileSync(certs.caCert), cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
          adminPort: false,
        });
        const u = await s.start();
        try {
          const err = await push(body('fullLoad', []), { url: u }).then(
            () => null,
            (e) => e,
          );
          (err !== null).should.be.true();
          codes(err).join(' ').should.match(code);
        } finally {
          await s.stop();
        }
      }
    });

    it('lets clients without certificate through when requireClientCert is false (URL/body check still applies)', async function () {
      const s = new HubjectSimulator({ certs, requireClientCert: false, adminPort: false });
      const u = await s.start();
      const a = new Agent({ connect: { ca: fs.readFileSync(certs.caCert) } });
      try {
        await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available')]), { url: u, agent: a });
        (await push(body('fullLoad', []), { url: u, agent: a, urlOperatorId: 'DEABC' })).status.should.equal(401);
      } finally {
        await a.close();
        await s.stop();
      }
    });
  });

  describe('overlap counting and rate limit', function () {
    it('counts overlapping pushes of one operator when sent in parallel, none when sequential', async function () {
      sim.setLatency(250);
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available')]));
      await pushOk(body('update', [rec('DE*ABC*E1', 'Occupied')]));
      sim.stats.overlaps.should.equal(0);
      sim.stats.maxInFlight.should.equal(1);
      await Promise.all([pushOk(body('update', [rec('DE*ABC*E1', 'Available')])), pushOk(body('update', [rec('DE*ABC*E1', 'Reserved')]))]);
      const st = sim.stats;
      st.overlaps.should.equal(2);
      st.maxInFlight.should.equal(2);
      st.byOperator.DEABC.overlaps.should.equal(2);
      sim.requestLog.filter((e) => e.overlapped).length.should.equal(2);
    });

    it('answers HTTP 429 with Retry-After beyond rateLimitPerMinute', async function () {
      const { sim: s, url: u } = await startSim({ rateLimitPerMinute: 3, adminPort: false });
      try {
        for (let i = 0; i < 3; i++) await pushOk(body('fullLoad', []), { url: u });
        const r = await push(body('fullLoad', []), { url: u });
        r.status.should.equal(429);
        Number(r.headers['retry-after']).should.be.within(1, 60);
        s.stats.rateLimited.should.equal(1);
        s.stats.byStatus[429].should.equal(1);
        s.peakPerMinute(OP).should.equal(4);
        s.peakPerMinute().should.equal(4);
        s.peakPerMinute('DE*XYZ').should.equal(0);
      } finally {
        await s.stop();
      }
    });
  });

  describe('fault injection', function () {
    it('latency', async function () {
      sim.injectFault({ kind: 'latency', ms: 200, count: 1 });
      const t0 = Date.now();
      await pushOk(body('fullLoad', []));
      (Date.now() - t0).should.be.aboveOrEqual(190);
      sim.faults.length.should.equal(0);
    });

    it('http 503 for the next N pushes', async function () {
      sim.injectFault({ kind: 'http', status: 503, count: 2 });
      (await push(body('fullLoad', []))).status.should.equal(503);
      (await push(body('fullLoad', []))).status.should.equal(503);
      await pushOk(body('fullLoad', []));
      sim.stats.byStatus[503].should.equal(2);
    });

    it('http 429 with Retry-After', async function () {
      sim.injectFault({ kind: 'http', status: 429, retryAfter: 7, count: 1 });
      const r = await push(body('fullLoad', []));
      r.status.should.equal(429);
      r.headers['retry-after'].should.equal('7');
    });

    it('reset drops the connection without an answer', async function () {
      sim.injectFault({ kind: 'reset', count: 1 });
      const err = await push(body('fullLoad', [rec('DE*ABC*E1', 'Available')])).then(
        () => null,
        (e) => e,
      );
      (err !== null).should.be.true();
      codes(err)
        .join(' ')
        .should.match(/UND_ERR_SOCKET|ECONNRESET/);
      pullStatuses(sim, OP).should.eql({});
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available')]));
    });

    it('hang never answers, so the client times out', async function () {
      sim.injectFault({ kind: 'hang', count: 1 });
      const err = await push(body('fullLoad', []), { headersTimeout: 300 }).then(
        () => null,
        (e) => e,
      );
      (err !== null).should.be.true();
      codes(err).should.containEql('UND_ERR_HEADERS_TIMEOUT');
      await pushOk(body('fullLoad', []));
    });

    it('result 009 answers HTTP 200 with Result false', async function () {
      sim.injectFault({ kind: 'result', code: '009', count: 1 });
      const r = await push(body('fullLoad', [rec('DE*ABC*E1', 'Available')]));
      expectResult(r, '009');
      r.json.StatusCode.Description.should.equal('Data transaction error');
      pullStatuses(sim, OP).should.eql({});
    });

    it('applies a durationMs fault only within its window', async function () {
      sim.injectFault({ kind: 'http', status: 500, durationMs: 500 });
      (await push(body('fullLoad', []))).status.should.equal(500);
      (await push(body('fullLoad', []))).status.should.equal(500);
      await sleep(550);
      await pushOk(body('fullLoad', []));
    });

    it('applies an evseId fault only to bundles containing that EVSE', async function () {
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available'), rec('DE*ABC*E7', 'Available')]));
      sim.injectFault({ kind: 'result', code: '018', evseId: 'DE*ABC*E7' });
      expectResult(await push(body('update', [rec('DE*ABC*E1', 'Occupied'), rec('DEABCE7', 'Occupied')])), '018');
      await pushOk(body('update', [rec('DE*ABC*E1', 'Occupied')]));
      expectResult(await push(body('update', [rec('DE*ABC*E7', 'Occupied')])), '018');
      pullStatuses(sim, OP).should.eql({ 'DE*ABC*E1': 'Occupied', 'DE*ABC*E7': 'Available' });
      sim.clearFaults();
      await pushOk(body('update', [rec('DE*ABC*E7', 'Occupied')]));
    });

    it('refuseConnections gives ECONNREFUSED, then recovers on the same port', async function () {
      await pushOk(body('fullLoad', []));
      const port = sim.port;
      await sim.refuseConnections(true);
      // A fresh client: a request racing on a kept-alive connection that was just dropped fails with UND_ERR_SOCKET instead.
      const fresh = clientAgent(certs, OP);
      const err = await push(body('fullLoad', []), { agent: fresh }).then(
        () => null,
        (e) => e,
      );
      await fresh.close();
      (err !== null).should.be.true();
      codes(err).should.containEql('ECONNREFUSED');
      await sim.refuseConnections(false);
      sim.port.should.equal(port);
      await pushOk(body('fullLoad', []));
    });

    it('rejects invalid faults', function () {
      (() => sim.injectFault({ kind: 'explode' })).should.throw(/invalid fault/);
      (() => sim.injectFault({ kind: 'http' })).should.throw(/invalid fault/);
    });

    it('stop() closes hung requests promptly', async function () {
      const { sim: s, url: u } = await startSim({ adminPort: false });
      s.injectFault({ kind: 'hang' });
      const pending = push(body('fullLoad', []), { url: u }).then(
        () => null,
        (e) => e,
      );
      await sleep(100);
      await s.stop();
      ((await pending) !== null).should.be.true();
    });
  });

  describe('pulls', function () {
    it('answers eRoamingPullEvseStatus, ById (EvseNotFound for unknown) and ByOperatorId in the official shapes', async function () {
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available'), rec('DE*ABC*E2', 'Occupied')]));
      const all = await pull('status-records', {});
      all.status.should.equal(200);
      validateEvseStatus(all.json).should.be.true(JSON.stringify(validateEvseStatus.errors));
      statusesFromPull(all.json).should.eql({ 'DE*ABC*E1': 'Available', 'DE*ABC*E2': 'Occupied' });
      statusesFromPull((await pull('status-records', { EvseStatus: 'Occupied' })).json).should.eql({ 'DE*ABC*E2': 'Occupied' });

      for (const kind of ['status-records-by-id', 'status-records']) {
        const byId = await pull(kind, { EvseID: ['DEABCE2', 'DE*ABC*E9'] });
        validateEvseStatusById(byId.json).should.be.true(JSON.stringify(validateEvseStatusById.errors));
        byId.json.EVSEStatusRecords.EvseStatusRecord.should.eql([rec('DE*ABC*E2', 'Occupied'), rec('DE*ABC*E9', 'EvseNotFound')]);
      }
      const byOp = await pull('status-records', { OperatorID: ['DE*XYZ'] });
      byOp.json.EvseStatuses.OperatorEvseStatus.should.eql([]);
      (await pull('status-records-by-id', { EvseID: 'nope' })).status.should.equal(400);
    });
  });

  describe('admin server (plain HTTP)', function () {
    it('serves an HTML page listing EVSEs and a JSON state, and manages faults', async function () {
      await pushOk(body('fullLoad', [rec('DE*ABC*E1', 'Available'), rec('DE*ABC*E2', 'OutOfService')]));
      sim.adminUrl.should.startWith('http://127.0.0.1:');
      const page = await request(sim.adminUrl);
      page.statusCode.should.equal(200);
      page.headers['content-type'].should.startWith('text/html');
      const html = await page.body.text();
      html.should.containEql('DE*ABC*E1').and.containEql('DE*ABC*E2').and.containEql('OutOfService').and.containEql('/admin/state');
      html.should.not.match(/<(link|script)[^>]+(src|href)=/);

      const state = await (await request(sim.adminUrl + 'admin/state')).body.json();
      state.operators[0].evses.map((e) => e.EvseID).should.eql(['DE*ABC*E1', 'DE*ABC*E2']);
      state.counters.requests.should.equal(1);

      const post = await request(sim.adminUrl + 'admin/faults', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'http', status: 503, count: 1 }),
      });
      post.statusCode.should.equal(201);
      await post.body.dump();
      (await push(body('fullLoad', []))).status.should.equal(503);
      sim.injectFault({ kind: 'http', status: 500 });
      const del = await request(sim.adminUrl + 'admin/faults', { method: 'DELETE' });
      del.statusCode.should.equal(200);
      await del.body.dump();
      await pushOk(body('fullLoad', []));

      const bad = await request(sim.adminUrl + 'admin/faults', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"kind":"hang"}' });
      bad.statusCode.should.equal(415);
      await bad.body.dump();
    });
  });
});

describe('simulator answers selectable through /admin/faults', function () {
  this.timeout(30000);
  let sim, certs, url, agent;
  before(async function () {
    ({ sim, certs, url } = await startSim());
    agent = clientAgent(certs);
  });
  after(async function () {
    await agent.close();
    await sim.stop();
  });
  beforeEach(function () {
    sim.clearFaults();
    sim.clearState();
    sim.resetStats();
  });

  const admin = async (fault) => {
    const r = await request(sim.adminUrl + 'admin/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
    r.statusCode.should.equal(201, JSON.stringify(fault));
    await r.body.dump();
  };
  const push = async (b) => {
    const r = await request(pushUrl(url, OP), { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
    return { status: r.statusCode, json: await r.body.json() };
  };

  it('answers a 500 with an OICP body, Result null, 210 and a 400 naming an index', async function () {
    const b = body('fullLoad', [rec('DE*ABC*E1', 'Available'), rec('DE*ABC*E2', 'Available')]);
    await admin({ kind: 'http', status: 500, code: '500', count: 1 });
    (await push(b)).should.match({ status: 500, json: { StatusCode: { Code: '500', Description: 'Processing error' } } });
    await admin({ kind: 'result', code: '000', result: null, count: 1 });
    (await push(b)).should.match({ status: 200, json: { Result: null, StatusCode: { Code: '000' } } });
    await admin({ kind: 'result', code: '210', count: 1 });
    (await push(b)).should.match({ status: 200, json: { Result: false, StatusCode: { Code: '210', Description: 'No valid contract' } } });
    await admin({ kind: 'http', status: 400, index: 1, count: 1 });
    (await push(b)).should.match({ status: 400, json: { validationErrors: [{ fieldReference: 'operatorEvseStatus.evseStatusRecord[1].evseStatus' }] } });
    (await push(b)).status.should.equal(200);
  });

  it('refuses the client certificate under TLS 1.3 with alert 48 while a refuse-certificate fault is active', async function () {
    await admin({ kind: 'refuse-certificate', count: 1 });
    const send = async () => {
      const fresh = clientAgent(certs, OP);
      try {
        const r = await request(pushUrl(url, OP), {
          method: 'POST',
          dispatcher: fresh,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body('fullLoad', [])),
        });
        await r.body.dump();
        return r.statusCode;
      } catch (err) {
        return err;
      } finally {
        await fresh.destroy();
      }
    };
    const refused = await send();
    refused.should.be.instanceOf(Error);
    sim.stats.pushes.should.equal(0);
    sim.faults.should.eql([]); // its count is used up
    (await send()).should.equal(200);
  });
});

describe('Hubject model (no sockets)', function () {
  const { HubjectModel } = require('../nodes/simulator/model');
  const t = 1000;

  it('applies ActionType semantics: insert refuses known, update refuses unknown EVSEs with 022 naming them', function () {
    const m = new HubjectModel();
    m.push(body('insert', [rec('DE*ABC*E1', 'Available')]), undefined, OP, t).should.match({ httpStatus: 200, code: '000', applied: { action: 'insert' } });
    m.push(body('insert', [rec('DE*ABC*E1', 'Occupied')]), undefined, OP, t).should.match({ code: '022', note: 'DE*ABC*E1', body: { Result: false } });
    m.push(body('update', [rec('DE*ABC*E1', 'Occupied'), rec('DE*ABC*E9', 'Occupied')]), undefined, OP, t).should.match({ code: '022', note: 'DE*ABC*E9' });
    m.getStatus(OP, 'DE*ABC*E1').should.equal('Available');
    m.push(body('delete', [rec('DE*ABC*E7', 'Available')]), undefined, OP, t).code.should.equal('000');
    m.push(body('fullLoad', [rec('DE*ABC*E2', 'Reserved')]), undefined, OP, t).code.should.equal('000');
    [...m.getState(OP).keys()].should.eql(['DE*ABC*E2']);
  });

  it("answers 018 for foreign or repeated EvseIDs, 017 for a body OperatorID that is not the URL's, 400 naming the field", function () {
    const m = new HubjectModel();
    m.push(body('insert', [rec('DE*XYZ*E1', 'Available')]), undefined, OP, t).should.match({ code: '018', note: 'DE*XYZ*E1' });
    m.push(body('insert', [rec('DE*ABC*E1', 'Available'), rec('DE*ABC*E1', 'Occupied')]), undefined, OP, t).code.should.equal('018');
    m.push(body('insert', [rec('DE*XYZ*E1', 'Available')], 'DE*XYZ'), undefined, OP, t).should.match({ httpStatus: 401, code: '017' });
    m.push(body('insert', [rec('DE*ABC*E1', 'Busy')]), undefined, OP, t).should.match({
      httpStatus: 400,
      body: { validationErrors: [{ fieldReference: 'operatorEvseStatus.evseStatusRecord[0].evseStatus' }] },
    });
    m.push(undefined, 'Unexpected end', OP, t).httpStatus.should.equal(400);
    m.getOperators().should.eql([]);
  });
});
