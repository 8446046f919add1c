'use strict';
// The simulator's eRoamingAuthorizeStart/Stop over mutual TLS and its admin API: per-token answers, SessionIDs,
// a stop for an unknown session, the certificate check (017), and refusals of bad admin input.
require('should');
const { request } = require('undici');
const { startSim, clientAgent, getCerts } = require('./support/sim');
const openapi = require('./support/openapi');

describe('simulator: AuthorizeStart/Stop and its admin API', function () {
  this.timeout(30000);
  let sim, certs, url, agent;

  before(async function () {
    getCerts(['DE*XYZ']);
    ({ sim, certs, url } = await startSim({ operatorIds: ['DE*XYZ'] }));
    agent = clientAgent(certs);
  });
  after(async function () {
    await agent.close();
    await sim.stop();
  });
  beforeEach(() => sim.authorization.clear());

  const uid = (u) => ({ RFIDMifareFamilyIdentification: { UID: u } });
  async function post(operation, body, op = 'DE*ABC', dispatcher = agent) {
    const res = await request(`${url}/charging/v21/operators/${encodeURIComponent(op).replace(/\*/g, '%2A')}/authorize/${operation}`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: await res.body.json() };
  }
  const admin = async (method, path, body) => {
    const res = await request(sim.adminUrl + path.replace(/^\//, ''), {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, body: await res.body.json() };
  };

  it('authorizes an unknown token by default and creates a SessionID that stop accepts', async function () {
    const a = await post('start', { OperatorID: 'DE*ABC', EvseID: 'DE*ABC*E1', Identification: uid('AABBCCDD') });
    a.status.should.equal(200);
    a.body.AuthorizationStatus.should.equal('Authorized');
    a.body.SessionID.should.match(/^[0-9a-f-]{36}$/);
    a.body.ProviderID.should.equal('DE-DCB');
    openapi.assertAuthorizationStart(a.body);
    const s = await post('stop', { OperatorID: 'DE*ABC', SessionID: a.body.SessionID, Identification: uid('AABBCCDD') });
    s.body.AuthorizationStatus.should.equal('Authorized');
    sim.authorization.sessions.get(a.body.SessionID).stoppedAt.should.be.a.Number();
    const unknown = await post('stop', { OperatorID: 'DE*ABC', SessionID: '00000000-0000-0000-0000-000000000000', Identification: uid('AABBCCDD') });
    unknown.body.should.containEql({ AuthorizationStatus: 'NotAuthorized' });
    unknown.body.StatusCode.Code.should.equal('210');
  });

  it('answers NotAuthorized with the code set from the admin API, for the token in any case', async function () {
    (await admin('POST', '/admin/authorize', { token: 'aabbccdd', AuthorizationStatus: 'NotAuthorized', code: '320' })).status.should.equal(200);
    const a = await post('start', { OperatorID: 'DE*ABC', Identification: uid('AABBCCDD') });
    a.body.AuthorizationStatus.should.equal('NotAuthorized');
    a.body.StatusCode.Code.should.equal('320');
    openapi.assertAuthorizationStart(a.body);
    const view = (await admin('GET', '/admin/authorize')).body;
    view.tokens.should.eql({ AABBCCDD: { AuthorizationStatus: 'NotAuthorized', code: '320' } });
    view.received.authorizeStart.should.equal(1);
    view.sessions.should.eql([]);
    (await admin('POST', '/admin/authorize', { token: 'AABBCCDD', AuthorizationStatus: 'NotAuthorized', code: '999' })).status.should.equal(400);
    (await admin('POST', '/admin/authorize/latency', { ms: -1 })).status.should.equal(400);
    (await admin('DELETE', '/admin/authorize')).body.should.eql({ ok: true });
    (await post('start', { OperatorID: 'DE*ABC', Identification: uid('AABBCCDD') })).body.AuthorizationStatus.should.equal('Authorized');
  });

  it('refuses a URL OperatorID that is not the certificate one with 017, and a body without Identification with 400', async function () {
    const other = clientAgent(certs, 'DE*XYZ');
    try {
      const r = await post('start', { OperatorID: 'DE*ABC', Identification: uid('AABBCCDD') }, 'DE*ABC', other);
      r.status.should.equal(401);
      r.body.StatusCode.Code.should.equal('017');
    } finally {
      await other.close();
    }
    (await post('start', { OperatorID: 'DE*ABC' })).status.should.equal(400);
    sim.authorization.sessions.size.should.equal(0);
  });
});
