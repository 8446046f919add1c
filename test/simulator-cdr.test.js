'use strict';
// The simulator's eRoamingChargeDetailRecord over mutual TLS: its own body check, one CDR per SessionID (a second
// gets Result false, 022), an unknown session (400 Session is invalid), 017, its faults on the CDR path, the 350 a
// minute limit, and the admin API and page that list sessions and CDRs.
require('should');
const { request } = require('undici');
const { startSim, clientAgent, getCerts } = require('./support/sim');
const openapi = require('./support/openapi');

describe('simulator: eRoamingChargeDetailRecord and its admin API', function () {
  this.timeout(30000);
  let sim, certs, url, agent, xyz;

  before(async function () {
    getCerts(['DE*XYZ']);
    ({ sim, certs, url } = await startSim({ operatorIds: ['DE*XYZ'], cdrRateLimitPerMinute: 5 }));
    agent = clientAgent(certs);
    xyz = clientAgent(certs, 'DE*XYZ');
  });
  after(async function () {
    await agent.close();
    await xyz.close();
    await sim.stop();
  });
  beforeEach(() => {
    sim.cdrs.clear();
    sim.authorization.clear();
    sim.clearFaults();
    sim.resetStats?.();
  });

  const path = (op) => `${url}/cdrmgmt/v22/operators/${encodeURIComponent(op).replace(/\*/g, '%2A')}/charge-detail-record`;
  async function post(body, op = 'DE*ABC', dispatcher = agent) {
    const res = await request(path(op), { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  }
  const admin = async (method, p, body) => {
    const res = await request(sim.adminUrl + p.replace(/^\//, ''), {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  const startSession = async () => {
    const res = await request(`${url}/charging/v21/operators/DE%2AABC/authorize/start`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ OperatorID: 'DE*ABC', EvseID: 'DE*ABC*E1001*1', Identification: { RFIDMifareFamilyIdentification: { UID: '04A1B2C3' } } }),
    });
    return (await res.body.json()).SessionID;
  };
  const cdr = (SessionID, over = {}) => ({
    SessionID,
    EvseID: 'DE*ABC*E1001*1',
    Identification: { RFIDMifareFamilyIdentification: { UID: '04A1B2C3' } },
    ChargingStart: '2026-12-07T10:00:00+01:00',
    ChargingEnd: '2026-12-07T11:00:00+01:00',
    SessionStart: '2026-12-07T10:00:00+01:00',
    SessionEnd: '2026-12-07T11:00:00+01:00',
    MeterValueStart: 1.1,
    MeterValueEnd: 3.3,
    ConsumedEnergy: 2.2,
    ...over,
  });

  it('stores one CDR per session it created: 000, then Result false 022 for a second; 400 for an unknown session', async function () {
    const sid = await startSession();
    const first = await post(cdr(sid));
    first.status.should.equal(200);
    first.body.should.containEql({ Result: true });
    first.body.StatusCode.Code.should.equal('000');
    openapi.assertAcknowledgement(first.body);
    const second = await post(cdr(sid, { ConsumedEnergy: 2.2 }));
    second.body.Result.should.be.false();
    second.body.StatusCode.Code.should.equal('022');
    openapi.assertAcknowledgement(second.body);
    const unknown = await post(cdr('00000000-0000-4000-8000-000000000001'));
    unknown.status.should.equal(200);
    unknown.body.Result.should.be.false();
    unknown.body.StatusCode.Code.should.equal('400');
    sim.cdrs.counters.should.containEql({ stored: 1, duplicates: 1, unknownSession: 1 });
    const listed = await admin('GET', '/admin/cdrs');
    listed.body.cdrs.map((c) => c.SessionID).should.eql([sid]);
    listed.body.sessions[0].should.containEql({ SessionID: sid, EvseID: 'DE*ABC*E1001*1' });
    listed.body.sessions[0].cdr.ConsumedEnergy.should.equal(2.2);
    const page = await admin('GET', '/');
    page.body.should.match(/Roaming sessions and CDRs/);
    page.body.should.containEql(sid);
    page.body.should.match(/2\.200 kWh/);
  });

  it('checks the body itself: a bad field is an HTTP 400 FaultBody naming it, nothing stored', async function () {
    const sid = await startSession();
    for (const [over, field] of [
      [{ ConsumedEnergy: 2.2001 }, 'ConsumedEnergy'],
      [{ ConsumedEnergy: 2.3 }, 'ConsumedEnergy'],
      [{ SessionEnd: 'yesterday' }, 'SessionEnd'],
      [{ EvseID: 'nope' }, 'EvseID'],
      [{ ConsumedEnergie: 1 }, 'ConsumedEnergie'],
    ]) {
      const r = await post(cdr(sid, over));
      r.status.should.equal(400);
      r.body.validationErrors[0].fieldReference.should.equal(field);
    }
    sim.cdrs.cdrs.size.should.equal(0);
  });

  it('refuses a foreign certificate (017), applies its faults and its rate limit to the CDR path', async function () {
    (await admin('POST', '/admin/cdrs', { acceptUnknownSessions: true })).status.should.equal(200);
    const other = await post(cdr('00000000-0000-4000-8000-000000000002'), 'DE*ABC', xyz);
    other.status.should.equal(401);
    sim.injectFault({ kind: 'http', status: 503, count: 1 });
    (await post(cdr('00000000-0000-4000-8000-000000000003'))).status.should.equal(503);
    sim.injectFault({ kind: 'reset', count: 1 });
    await post(cdr('00000000-0000-4000-8000-000000000003')).should.be.rejected();
    (await post(cdr('00000000-0000-4000-8000-000000000003'))).status.should.equal(200);
    sim.cdrs.cdrs.size.should.equal(1);
    // 5 a minute in this simulator: the next ones get 429 with Retry-After.
    const codes = [];
    for (let i = 4; i < 10; i++) codes.push((await post(cdr(`00000000-0000-4000-8000-00000000000${i}`))).status);
    codes.should.containEql(429);
    (await admin('DELETE', '/admin/cdrs')).status.should.equal(200);
    sim.cdrs.cdrs.size.should.equal(0);
  });
});
