'use strict';
require('should');
const fs = require('fs');
const { HubjectClient, pushStatusUrl } = require('../nodes/oicp/client');
const { startSim } = require('./support/sim');
const { assertPushEvseStatus } = require('./support/openapi');

const OP = 'DE*ABC';

const body = (records, action = 'fullLoad', op = 'DE*ABC') => ({
  ActionType: action,
  OperatorEvseStatus: { OperatorID: op, OperatorName: 'Demo CPO', EvseStatusRecord: records },
});

describe('HubjectClient against the simulator over mutual TLS', function () {
  this.timeout(30000);
  let sim, certs, url;
  const clients = [];
  const sent = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 0, operatorIds: ['DE*ABC', 'DE*XYZ'], onPush: (b) => sent.push(b) }));
  });
  after(async function () {
    for (const c of clients) await c.destroy();
    await sim.stop();
    // Every body the client put on the wire is a valid eRoamingPushEvseStatus.
    sent.length.should.be.above(5);
    for (const b of sent) if (b.OperatorEvseStatus.EvseStatusRecord.every((r) => r.EvseStatus !== 'Busy')) assertPushEvseStatus(b);
  });
  beforeEach(function () {
    sim.clearFaults();
    sim.clearState();
  });

  function client(opts = {}) {
    const op = opts.operatorId || 'DE*ABC';
    const pair = certs.clients[opts.certFor || op];
    const c = new HubjectClient({
      baseUrl: url,
      operatorId: op,
      timeoutMs: opts.timeoutMs || 5000,
      tls: { cert: fs.readFileSync(opts.cert || pair.cert), key: fs.readFileSync(opts.key || pair.key), ca: fs.readFileSync(opts.ca || certs.caCert) },
    });
    clients.push(c);
    return c;
  }

  it('encodes the OperatorID in the URL', function () {
    pushStatusUrl('https://h/api/oicp/', '+49*536').should.equal('https://h/api/oicp/evsepush/v21/operators/%2B49%2A536/status-records');
  });

  it('returns a typed success with the acknowledgement, Process-ID and duration', async function () {
    const r = await client().call('status', OP, body([{ EvseID: 'DE*ABC*E1', EvseStatus: 'Available' }]));
    r.should.match({ class: 'success', httpStatus: 200, statusCode: { Code: '000' } });
    r.ack.Result.should.be.true();
    r.processId.should.match(/^[0-9a-f-]{36}$/);
    r.durationMs.should.be.a.Number();
    sim.getStatus('DE*ABC', 'DE*ABC*E1').should.equal('Available');
  });

  it('classifies each injected fault', async function () {
    const c = client();
    const rec = [{ EvseID: 'DE*ABC*E1', EvseStatus: 'Available' }];
    sim.injectFault({ kind: 'http', status: 503, count: 1 });
    (await c.call('status', OP, body(rec))).should.match({ class: 'transient', httpStatus: 503 });
    sim.injectFault({ kind: 'http', status: 429, retryAfter: 7, count: 1 });
    (await c.call('status', OP, body(rec))).should.match({ class: 'transient', httpStatus: 429, retryAfterMs: 7000 });
    sim.injectFault({ kind: 'http', status: 408, count: 1 });
    (await c.call('status', OP, body(rec))).should.match({ class: 'transient', httpStatus: 408 });
    for (const code of ['001', '009', '021']) {
      sim.injectFault({ kind: 'result', code, count: 1 });
      (await c.call('status', OP, body(rec))).should.match({ class: 'transient', statusCode: { Code: code } });
    }
    sim.injectFault({ kind: 'reset', count: 1 });
    (await c.call('status', OP, body(rec))).should.match({ class: 'transient', reason: /connection/ });
    (await c.call('status', OP, body(rec))).class.should.equal('success');
  });

  it('times out on a server that never answers', async function () {
    sim.injectFault({ kind: 'hang', count: 1 });
    const r = await client({ timeoutMs: 300 }).call('status', OP, body([{ EvseID: 'DE*ABC*E1', EvseStatus: 'Available' }]));
    r.should.match({ class: 'transient', reason: /timeout/ });
  });

  it('reports 400 with its validationErrors as a data error', async function () {
    const r = await client().call('status', OP, body([{ EvseID: 'DE*ABC*E1', EvseStatus: 'Busy' }]));
    r.should.match({ class: 'data', httpStatus: 400 });
    r.validationErrors.length.should.be.above(0);
    r.reason.should.match(/HTTP 400/);
  });

  it('answers 017 when the OperatorID does not match the certificate, 018 for a foreign EvseID', async function () {
    const r017 = await client({ operatorId: 'DE*XYZ', certFor: 'DE*ABC' }).call(
      'status',
      'DE*XYZ',
      body([{ EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' }], 'fullLoad', 'DE*XYZ'),
    );
    r017.should.match({ class: 'config', httpStatus: 401, statusCode: { Code: '017' }, reason: /check OperatorID and client certificate/ });
    const r018 = await client().call('status', OP, body([{ EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' }]));
    r018.should.match({ class: 'data', statusCode: { Code: '018' } });
  });

  it('says so when the server certificate is not trusted', async function () {
    const before = sim.stats.pushes;
    const r = await client({ ca: certs.otherCaCert }).call('status', OP, body([]));
    r.should.match({ class: 'config', reason: /TLS: server certificate not trusted/ });
    sim.stats.pushes.should.equal(before);
  });

  it('is refused in the handshake with a client certificate from another CA', async function () {
    const before = sim.stats.pushes;
    const r = await client({ cert: certs.wrongCaClientCert, key: certs.wrongCaClientKey }).call('status', OP, body([]));
    r.class.should.not.equal('success');
    r.reason.should.match(/connection closed by the server.*client certificate/);
    sim.stats.pushes.should.equal(before);
  });
});
