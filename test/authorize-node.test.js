'use strict';
// oicp-authorize in a real Node-RED runtime against the simulator over mutual TLS: AuthorizeStart/Stop, the charger's
// answers, the fallback after a timeout (one request, never retried), bad UIDs, and the session store.
const fs = require('fs');
const should = require('should');
const helper = require('node-red-node-test-helper');
const { startSim } = require('./support/sim');
const { nodeFiles, hubjectNodes, tmpUserDir, observers, watchNode } = require('./support/flows');
const { until, sleep } = require('./support/until');
const openapi = require('./support/openapi');
const { forgetQueues } = require('../nodes/push/registry');
const { createMetrics } = require('../nodes/ops/metrics');
const { parsePrometheusText, valueOf } = require('./support/prom-text');

helper.init(require.resolve('node-red'));

const NODES = [nodeFiles.tls, nodeFiles.config, nodeFiles.catch, nodeFiles.complete, require('../nodes/oicp-authorize.js')];
const UID = '04a1b2c3d4e5f6';

/** An OCPP 1.6 request as node-red-contrib-ocpp's CS server node emits it. */
function ocpp16(command, data, cb = 'CP1') {
  return {
    topic: cb,
    ocpp: { chargeBoxIdentity: cb, command, MessageId: `m-${Math.random()}`, ocppVersion: '1.6j' },
    msgId: 'route-1',
    payload: { command, data },
  };
}

describe('oicp-authorize node (real runtime, simulator over mutual TLS)', function () {
  this.timeout(60000);
  let sim, certs, url, userDir;
  // Every AuthorizeStart/Stop body and answer that went through the simulator, for the OpenAPI check at the end.
  const seen = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1 }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(function (done) {
    userDir = tmpUserDir('oicp-authorize-');
    helper.settings({ userDir });
    seen.push(...sim.authorization.bodies);
    sim.authorization.clear();
    sim.clearFaults();
    helper.startServer(done);
  });
  afterEach(async function () {
    await helper.unload();
    forgetQueues();
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  describe('bodies sent to the simulator', function () {
    it("every AuthorizeStart/Stop validates against Hubject's OpenAPI file", function () {
      openapi.requireOpenApi(this, 'the OpenAPI check of the authorization bodies');
      seen.push(...sim.authorization.bodies);
      const invalid = [];
      for (const { operation, body } of seen) {
        try {
          if (operation === 'authorizeStart') openapi.assertAuthorizeStart(body);
          else openapi.assertAuthorizeStop(body);
        } catch (e) {
          invalid.push(e.message);
        }
      }
      invalid.should.eql([]);
      seen.filter((b) => b.operation === 'authorizeStop').length.should.be.above(0);
      seen.length.should.be.above(10);
    });
  });

  async function load(props = {}) {
    await helper.load(NODES, [
      ...hubjectNodes(certs, url),
      {
        id: 'a1',
        type: 'oicp-authorize',
        hubject: 'hub1',
        action: 'start',
        timeout: 5,
        evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
        wires: [['out'], ['reply']],
        ...props,
      },
      { id: 'out', type: 'helper' },
      { id: 'reply', type: 'helper' },
      ...observers(['a1']),
    ]);
    return watchNode(helper, 'a1', ['out', 'reply', 'caught', 'completed']);
  }

  async function send(w, msg) {
    const before = w.completed.length + w.caught.length;
    w.node.receive(msg);
    await until(() => w.completed.length + w.caught.length > before, 15000);
    return { out: w.out[w.out.length - 1], reply: w.reply[w.reply.length - 1], caught: w.caught[w.caught.length - 1] };
  }

  const setRule = (token, AuthorizationStatus, extra = {}) => sim.authorization.setRule(token, { AuthorizationStatus, ...extra });

  it('an authorized 1.6 StartTransaction with a lower-case idTag: Accepted, a persisted transactionId, the session stored', async function () {
    const w = await load();
    const { out, reply } = await send(w, ocpp16('StartTransaction', { connectorId: 1, idTag: UID, meterStart: 12345, timestamp: '2026-12-07T10:00:00+01:00' }));
    out.payload.AuthorizationStatus.should.equal('Authorized');
    out.payload.ProviderID.should.equal('DE-DCB');
    out.payload.StatusCode.Code.should.equal('000');
    out.ocpp.should.eql({ idTagInfo: { status: 'Accepted' }, transactionId: 1 });
    // The second output: the charger's answer as payload, the routing fields of the request kept.
    reply.payload.should.eql({ idTagInfo: { status: 'Accepted' }, transactionId: 1 });
    reply.msgId.should.equal('route-1');
    reply.ocpp.chargeBoxIdentity.should.equal('CP1');
    const sent = sim.authorization.bodies[0].body;
    sent.Identification.should.eql({ RFIDMifareFamilyIdentification: { UID: UID.toUpperCase() } });
    sent.EvseID.should.equal('DE*ABC*ECP1*1');
    const store = helper.getNode('hub1').hubject.sessions();
    const s = store.byTransactionId(1);
    s.SessionID.should.equal(out.payload.SessionID);
    s.should.containEql({ ProviderID: 'DE-DCB', EvseID: 'DE*ABC*ECP1*1', chargeBoxId: 'CP1', connectorId: 1, meterStart: 12345, transactionId: 1 });
    store.lastTransactionId.should.equal(1);
    await until(() => w.lastStatus().fill === 'green', 5000, 'a green status');
    // The next StartTransaction gets the next id.
    const second = await send(w, ocpp16('StartTransaction', { connectorId: 2, idTag: 'AABBCCDD', meterStart: 0, timestamp: '2026-12-07T10:01:00+01:00' }));
    second.out.ocpp.transactionId.should.equal(2);
  });

  it('every NotAuthorized code gives the OCPP answer its table names, as a normal output (never red, never retried)', async function () {
    const w = await load();
    const expected16 = { 102: 'Invalid', 106: 'Invalid', 200: 'Blocked', 210: 'Invalid', 300: 'Invalid', 310: 'Invalid', 320: 'Invalid' };
    const expected201 = { 102: 'Invalid', 106: 'Invalid', 200: 'Blocked', 210: 'NotAtThisLocation', 300: 'Unknown', 310: 'Invalid', 320: 'Invalid' };
    let n = 0;
    for (const code of Object.keys(expected16)) {
      const uid = `AA0000${code}0`.padEnd(14, '0').slice(0, 14);
      setRule(uid, 'NotAuthorized', { code });
      const a = await send(w, ocpp16('Authorize', { idTag: uid }));
      should(a.caught).be.undefined();
      a.out.payload.AuthorizationStatus.should.equal('NotAuthorized');
      a.out.payload.StatusCode.Code.should.equal(code);
      a.out.ocpp.should.eql({ idTagInfo: { status: expected16[code] } });
      a.reply.payload.should.eql({ idTagInfo: { status: expected16[code] } });
      w.lastStatus().fill.should.not.equal('red');
      const b = await send(w, {
        ocpp: { cbId: 'CP2', ocppVersion: '2.0.1' },
        payload: { command: 'Authorize', data: { idToken: { idToken: uid, type: 'ISO14443' } }, MessageId: 'x' },
      });
      b.out.ocpp.should.eql({ idTokenInfo: { status: expected201[code] } });
      n += 2;
    }
    w.caught.length.should.equal(0);
    sim.authorization.received.authorizeStart.should.equal(n, 'one request per input: none retried');
  });

  it('a timeout gives exactly one request and the fallback: Invalid, or Accepted for a UID on the local list', async function () {
    const w = await load({ timeout: 0.5, localList: 'aabbccdd 11223344556677' });
    setRule('AABBCCDD', 'Authorized', { latencyMs: 1500 });
    setRule('99887766', 'Authorized', { latencyMs: 1500 });
    const listed = await send(w, ocpp16('StartTransaction', { connectorId: 1, idTag: 'aabbccdd', meterStart: 0, timestamp: '2026-12-07T10:00:00Z' }));
    listed.out.payload.source.should.equal('fallback');
    listed.out.payload.reason.should.equal('timeout');
    listed.out.ocpp.should.eql({ idTagInfo: { status: 'Accepted' }, transactionId: 1 });
    await until(() => w.lastStatus().fill === 'yellow', 5000, 'a yellow status');
    w.lastStatus().text.should.match(/timeout/);
    const other = await send(w, ocpp16('Authorize', { idTag: '99887766' }));
    other.out.ocpp.should.eql({ idTagInfo: { status: 'Invalid' } });
    other.out.payload.source.should.equal('fallback');
    // Long enough for any retry to have reached the simulator.
    await sleep(2500);
    sim.authorization.received.authorizeStart.should.equal(2);
    w.caught.length.should.equal(0);
  });

  it('a UID of odd length fails with done(err) and a red status; the next valid one works', async function () {
    const w = await load();
    const bad = await send(w, ocpp16('Authorize', { idTag: '04a1b2c' }));
    bad.caught.error.message.should.match(/04a1b2c.*not an RFID UID/);
    await until(() => w.lastStatus().fill === 'red', 5000, 'a red status');
    sim.authorization.received.authorizeStart.should.equal(0);
    const good = await send(w, ocpp16('Authorize', { idTag: '04a1b2c3' }));
    good.out.ocpp.should.eql({ idTagInfo: { status: 'Accepted' } });
    w.caught.length.should.equal(1);
  });

  it('stop sends the session SessionID, found by the 1.6 transactionId; an unknown transaction is an error', async function () {
    const w = await load();
    const started = await send(w, ocpp16('StartTransaction', { connectorId: 1, idTag: UID, meterStart: 100, timestamp: '2026-12-07T10:00:00+01:00' }));
    const sid = started.out.payload.SessionID;
    const stopped = await send(w, {
      ...ocpp16('StopTransaction', { transactionId: 1, idTag: UID, meterStop: 5100, timestamp: '2026-12-07T11:00:00+01:00' }),
      action: 'stop',
    });
    stopped.out.payload.AuthorizationStatus.should.equal('Authorized');
    stopped.out.payload.SessionID.should.equal(sid);
    stopped.out.ocpp.should.eql({ idTagInfo: { status: 'Accepted' } });
    const stopBody = sim.authorization.bodies.find((b) => b.operation === 'authorizeStop').body;
    stopBody.SessionID.should.equal(sid);
    stopBody.Identification.should.eql({ RFIDMifareFamilyIdentification: { UID: UID.toUpperCase() } });
    should(sim.authorization.sessions.get(sid).stoppedAt).be.a.Number();
    helper.getNode('hub1').hubject.sessions().get(sid).stoppedAt.should.be.a.String();
    const unknown = await send(w, {
      ...ocpp16('StopTransaction', { transactionId: 99, meterStop: 1, timestamp: '2026-12-07T11:00:00+01:00' }),
      action: 'stop',
    });
    unknown.caught.error.message.should.match(/transactionId 99/);
    sim.authorization.received.authorizeStop.should.equal(1);
    // A plain stop naming only the SessionID stops with the session's own token.
    const again = await send(w, { action: 'stop', SessionID: sid });
    again.out.payload.SessionID.should.equal(sid);
    sim.authorization.bodies
      .filter((b) => b.operation === 'authorizeStop')
      .map((b) => b.body.SessionID)
      .should.eql([sid, sid]);
  });

  it('OCPP 2.0.1: a TransactionEvent Started authorizes and links its transactionId; the Ended event stops that session', async function () {
    const w = await load();
    const ev = (eventType, extra = {}) => ({
      ocpp: { cbId: 'CP9', ocppVersion: '2.0.1' },
      payload: {
        command: 'TransactionEvent',
        MessageId: 'x',
        data: {
          eventType,
          timestamp: '2026-12-07T10:00:00+01:00',
          triggerReason: 'Authorized',
          seqNo: 0,
          transactionInfo: { transactionId: 'tx-9' },
          evse: { id: 2 },
          ...extra,
        },
      },
    });
    const started = await send(w, ev('Started', { idToken: { idToken: 'a1b2c3d4', type: 'ISO14443' } }));
    started.out.ocpp.should.eql({ idTokenInfo: { status: 'Accepted' } });
    const sid = started.out.payload.SessionID;
    const store = helper.getNode('hub1').hubject.sessions();
    store.byTransactionId('tx-9').should.containEql({ SessionID: sid, EvseID: 'DE*ABC*ECP9*2', transactionId: 'tx-9' });
    const ended = await send(w, { ...ev('Ended'), action: 'stop' });
    ended.out.payload.SessionID.should.equal(sid);
    ended.out.ocpp.should.eql({ idTokenInfo: { status: 'Accepted' } });
    sim.authorization.bodies.find((b) => b.operation === 'authorizeStop').body.SessionID.should.equal(sid);
  });

  it('a deployed node without a Hubject config, or with a bad local list, is red at deploy', async function () {
    const w = await load({ localList: 'ABC' });
    const r = await send(w, ocpp16('Authorize', { idTag: UID }));
    r.caught.error.message.should.match(/localList/);
    await until(() => w.lastStatus().fill === 'red', 5000, 'a red status');
    sim.authorization.received.authorizeStart.should.equal(0);
  });

  it('metrics count each call by outcome, with its duration in the histogram', async function () {
    const read = async () => parsePrometheusText(await createMetrics().text());
    const labels = (outcome) => ({ operator: 'DE*ABC', operation: 'authorizeStart', outcome });
    const value = (m, name, sample, l) => {
      try {
        return valueOf(m, name, sample, l);
      } catch {
        return 0;
      }
    };
    const before = await read();
    const w = await load({ timeout: 0.5 });
    setRule('AABBCCDD', 'NotAuthorized', { code: '102' });
    setRule('99887766', 'Authorized', { latencyMs: 1500 });
    await send(w, ocpp16('Authorize', { idTag: 'aabbccdd' }));
    await send(w, ocpp16('Authorize', { idTag: '99887766' }));
    const after = await read();
    for (const outcome of ['notAuthorized', 'fallback']) {
      const d =
        value(after, 'oicp_authorize_total', 'oicp_authorize_total', labels(outcome)) -
        value(before, 'oicp_authorize_total', 'oicp_authorize_total', labels(outcome));
      d.should.equal(1, outcome);
    }
    const count = (m) => value(m, 'oicp_authorize_duration_seconds', 'oicp_authorize_duration_seconds_count', labels('fallback'));
    (count(after) - count(before)).should.equal(1);
    const slow = (m) => value(m, 'oicp_authorize_duration_seconds', 'oicp_authorize_duration_seconds_bucket', { ...labels('fallback'), le: '0.25' });
    (slow(after) - slow(before)).should.equal(0, 'a 0.5 s timeout is not under 0.25 s');
  });
});
