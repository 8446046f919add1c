'use strict';
// A charger's Authorize (card tap) followed by its transaction with the same card, in a real Node-RED runtime against
// the simulator over mutual TLS: the transaction takes the Authorize's session (one AuthorizeStart, one session at
// Hubject, and its CDR through push cdr). Another card, another charger, a second transaction, an expired or a
// NotAuthorized authorization all ask Hubject again.
const fs = require('fs');
const should = require('should');
const helper = require('node-red-node-test-helper');
const { startSim } = require('./support/sim');
const { nodeFiles, hubjectNodes, tmpUserDir, observers, watchNode } = require('./support/flows');
const { until } = require('./support/until');
const { forgetQueues } = require('../nodes/push/registry');
const { resetStats } = require('../nodes/ops/stats');
const { authorizeSeries } = require('../nodes/sessions/stats');

helper.init(require.resolve('node-red'));

const NODES = [
  nodeFiles.tls,
  nodeFiles.config,
  nodeFiles.catch,
  nodeFiles.complete,
  require('../nodes/oicp-authorize.js'),
  require('../nodes/oicp-push-cdr.js'),
];
const UID = '04a1b2c3d4e5f6'; // lower case, as chargers send it

function ocpp16(command, data, cb = 'CP1') {
  return {
    topic: cb,
    ocpp: { chargeBoxIdentity: cb, command, MessageId: `m-${Math.random()}`, ocppVersion: '1.6j' },
    msgId: 'route-1',
    payload: { command, data },
  };
}

function ocpp201(command, data, cb = 'CS2') {
  return { topic: `${cb}/Request`, ocpp: { cbId: cb, ocppVersion: '2.0.1', command, MessageId: `m-${Math.random()}` }, payload: { command, data } };
}

const iso = (ms) => new Date(ms).toISOString();

describe('oicp-authorize: a transaction takes the session of the Authorize before it (real runtime, simulator over mutual TLS)', function () {
  this.timeout(60000);
  let sim, certs, url, userDir;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1, onPush: () => {} }));
  });
  after(async function () {
    await sim.stop();
    // Lane stats of this simulator's URL would show up beside the next suite's in its metrics.
    resetStats();
  });
  beforeEach(function (done) {
    userDir = tmpUserDir('oicp-authorize-reuse-');
    helper.settings({ userDir });
    sim.cdrs.clear();
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

  async function load() {
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
      },
      { id: 'out', type: 'helper' },
      { id: 'reply', type: 'helper' },
      { id: 'p1', type: 'oicp-push-cdr', hubject: 'hub1', timeZone: 'Europe/Berlin', wires: [['cdrOut']] },
      { id: 'cdrOut', type: 'helper' },
      ...observers(['a1', 'p1']),
    ]);
    return watchNode(helper, 'a1', ['out', 'reply', 'caught', 'completed', 'cdrOut']);
  }

  async function send(w, msg, node = 'a1') {
    const before = w.completed.length + w.caught.length;
    const caught = w.caught.length;
    helper.getNode(node).receive(msg);
    await until(() => w.completed.length + w.caught.length > before, 15000, `${node} done`);
    should(w.caught.length).equal(caught, w.caught.length > caught ? w.caught[w.caught.length - 1].error.message : '');
    return { out: w.out[w.out.length - 1], reply: w.reply[w.reply.length - 1] };
  }

  const store = () => helper.getNode('hub1').hubject.sessions();
  const starts = () => sim.authorization.received.authorizeStart;

  // The series behind oicp_authorize_total (read directly: other suites' lane stats may share this process).
  const authorizedTotal = () =>
    authorizeSeries()
      .filter((x) => x.operator === 'DE*ABC' && x.operation === 'authorizeStart' && x.outcome === 'authorized')
      .reduce((n, x) => n + x.count, 0);

  it('OCPP 1.6: Authorize then StartTransaction with the same lower-case idTag: one AuthorizeStart, one session, its CDR', async function () {
    const w = await load();
    const countedBefore = authorizedTotal();
    const tapped = await send(w, ocpp16('Authorize', { idTag: UID }));
    tapped.reply.payload.should.eql({ idTagInfo: { status: 'Accepted' } });
    const sid = tapped.out.payload.SessionID;
    should(sid).be.a.String();
    should(sim.authorization.bodies[0].body.EvseID).be.undefined(); // Authorize names no connector

    const t0 = Date.now();
    const started = await send(w, ocpp16('StartTransaction', { connectorId: 1, idTag: UID, meterStart: 1000, timestamp: iso(t0 + 5000) }));
    starts().should.equal(1, 'the StartTransaction took the Authorize session: no second AuthorizeStart');
    started.reply.payload.should.eql({ idTagInfo: { status: 'Accepted' }, transactionId: 1 });
    started.reply.msgId.should.equal('route-1');
    started.out.ocpp.should.eql({ idTagInfo: { status: 'Accepted' }, transactionId: 1 });
    started.out.payload.should.containEql({ AuthorizationStatus: 'Authorized', SessionID: sid, ProviderID: 'DE-DCB', source: 'hubject' });
    started.out.payload.StatusCode.Code.should.equal('000');
    started.out.oicp.reused.should.equal(true);
    should(tapped.out.oicp).be.undefined();
    authorizedTotal().should.equal(countedBefore + 1, 'the reused answer is not counted as a call');

    store().size.should.equal(1);
    store()
      .byTransactionId(1)
      .should.containEql({ SessionID: sid, transactionId: 1, EvseID: 'DE*ABC*ECP1*1', connectorId: 1, chargeBoxId: 'CP1', meterStart: 1000, reused: true });

    await send(w, ocpp16('StopTransaction', { transactionId: 1, meterStop: 13345, timestamp: iso(t0 + 3600_000) }), 'p1');
    const cdr = await until(() => sim.cdrs.cdrs.get(sid), 15000, 'the CDR at the simulator');
    cdr.body.should.containEql({ SessionID: sid, EvseID: 'DE*ABC*ECP1*1', ConsumedEnergy: 12.345 });
    sim.authorization.sessions.size.should.equal(1, 'Hubject holds one session');
    sim.cdrs.cdrs.size.should.equal(1);
    [...sim.cdrs.cdrs.keys()].should.eql([...sim.authorization.sessions.keys()]);

    // The session is used once: a second StartTransaction with the same card asks Hubject.
    const second = await send(w, ocpp16('StartTransaction', { connectorId: 2, idTag: UID, meterStart: 0, timestamp: iso(Date.now()) }));
    starts().should.equal(2);
    second.out.payload.SessionID.should.not.equal(sid);
    second.out.ocpp.transactionId.should.equal(2);
    should(second.out.oicp).be.undefined();
  });

  it('OCPP 2.0.1: Authorize then TransactionEvent Started with the same idToken: one AuthorizeStart, one session, its CDR', async function () {
    const w = await load();
    const idToken = { idToken: UID, type: 'ISO14443' };
    const tapped = await send(w, ocpp201('Authorize', { idToken }));
    tapped.reply.payload.should.eql({ idTokenInfo: { status: 'Accepted' } });
    const sid = tapped.out.payload.SessionID;
    const t0 = Date.now();
    const ev = (eventType, seqNo, at, more) => ({
      eventType,
      timestamp: iso(at),
      triggerReason: eventType === 'Started' ? 'Authorized' : 'StopAuthorized',
      seqNo,
      transactionInfo: { transactionId: 'TX-7' },
      evse: { id: 1, connectorId: 1 },
      ...more,
    });
    const meter = (wh, at, context) => [{ timestamp: iso(at), sampledValue: [{ value: wh, context, measurand: 'Energy.Active.Import.Register' }] }];
    const started = await send(
      w,
      ocpp201('TransactionEvent', ev('Started', 0, t0 + 2000, { idToken, meterValue: meter(2000, t0 + 2000, 'Transaction.Begin') })),
    );
    starts().should.equal(1);
    started.reply.payload.should.eql({ idTokenInfo: { status: 'Accepted' } });
    started.out.payload.SessionID.should.equal(sid);
    started.out.oicp.reused.should.equal(true);
    store().size.should.equal(1);
    store().byTransactionId('TX-7').should.containEql({ SessionID: sid, transactionId: 'TX-7', EvseID: 'DE*ABC*ECS2*1', meterStart: 2000 });

    await send(w, ocpp201('TransactionEvent', ev('Ended', 1, t0 + 3600_000, { meterValue: meter(14345, t0 + 3600_000, 'Transaction.End') })), 'p1');
    const cdr = await until(() => sim.cdrs.cdrs.get(sid), 15000, 'the CDR at the simulator');
    cdr.body.should.containEql({ SessionID: sid, EvseID: 'DE*ABC*ECS2*1', ConsumedEnergy: 12.345 });
    sim.authorization.sessions.size.should.equal(1);
    sim.cdrs.cdrs.size.should.equal(1);
  });

  it('two StartTransactions with the card at once: one takes the Authorize session, the other asks Hubject', async function () {
    const w = await load();
    const sid = (await send(w, ocpp16('Authorize', { idTag: UID }))).out.payload.SessionID;
    const before = w.completed.length;
    for (const connectorId of [1, 2]) w.node.receive(ocpp16('StartTransaction', { connectorId, idTag: UID, meterStart: 0, timestamp: iso(Date.now()) }));
    await until(() => w.completed.length === before + 2, 15000, 'both answered');
    w.caught.length.should.equal(0);
    starts().should.equal(2);
    const outs = w.out.slice(-2);
    outs.filter((o) => o.oicp && o.oicp.reused).length.should.equal(1);
    outs
      .map((o) => o.payload.SessionID)
      .filter((s) => s === sid)
      .length.should.equal(1);
    outs
      .map((o) => o.ocpp.transactionId)
      .sort()
      .should.eql([1, 2]);
  });

  it('another card, another charger, an expired or a NotAuthorized authorization: the StartTransaction asks Hubject', async function () {
    const w = await load();
    const start = (idTag, cb = 'CP1', connectorId = 1) =>
      send(w, ocpp16('StartTransaction', { connectorId, idTag, meterStart: 0, timestamp: iso(Date.now()) }, cb));
    const a = await send(w, ocpp16('Authorize', { idTag: UID }));
    const sid = a.out.payload.SessionID;

    // Another card on the same charger.
    const other = await start('AABBCCDD');
    starts().should.equal(2);
    other.out.payload.SessionID.should.not.equal(sid);
    // The same card on another charger.
    const elsewhere = await start(UID, 'CP2');
    starts().should.equal(3);
    elsewhere.out.payload.SessionID.should.not.equal(sid);

    // After the window (the Authorize was 4 minutes ago).
    await store().put({ ...store().get(sid), authorizedAt: Date.now() - 240_000 });
    const late = await start(UID);
    starts().should.equal(4);
    late.out.payload.SessionID.should.not.equal(sid);
    should(late.out.oicp).be.undefined();
    should(store().get(sid).transactionId).be.undefined();

    // NotAuthorized at the Authorize (the charger was told Invalid): the card is asked about again.
    sim.authorization.setRule('11223344', { AuthorizationStatus: 'NotAuthorized', code: '102' });
    const refused = await send(w, ocpp16('Authorize', { idTag: '11223344' }));
    refused.reply.payload.should.eql({ idTagInfo: { status: 'Invalid' } });
    sim.authorization.setRule('11223344', { AuthorizationStatus: 'Authorized' });
    const afterRefusal = await start('11223344', 'CP1', 2);
    starts().should.equal(6);
    afterRefusal.out.ocpp.idTagInfo.status.should.equal('Accepted');
    should(afterRefusal.out.oicp).be.undefined();
  });
});
