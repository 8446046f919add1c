'use strict';
// A roaming session from a real charger through the real OCPP packages in a real Node-RED to the Hubject simulator:
// - OCPP 1.6J (ocpp-rpc) through node-red-contrib-ocpp's CS server: RFID Authorize -> authorize -> server response;
//   StartTransaction -> authorize -> the transactionId back to the charger; MeterValues; StopTransaction.
// - OCPP 2.0.1 (ocpp-rpc, protocol ocpp2.0.1) through @anl-ioc/node-red-contrib-ocpp2's CSMS: Authorize and
//   TransactionEvent Started -> authorize -> the idTokenInfo back to the station; Updated; Ended.
// Then StopTransaction / TransactionEvent Ended -> push cdr -> a CDR at the simulator whose energy and times match
// the charger's. The transaction takes the session Hubject gave the Authorize: one AuthorizeStart and one session
// per charge. What the authorize node put out (Hubject's answer, the session) is read back through an http-in
// route of the flow. Without the node oicp-push-cdr in the package the stop is only recorded (HAS_CDR).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { RPCClient } = require('ocpp-rpc');
const { RedProcess, makeUserDir, freePort, ROOT } = require('../support/red-process');
const { startSim } = require('../support/sim');
const { cachedInstall, linkPackage } = require('../support/npm-cache');
const { until } = require('./support');

const OCPP16 = { name: 'node-red-contrib-ocpp', version: '1.3.10' };
const OCPP2 = { name: '@anl-ioc/node-red-contrib-ocpp2', version: '1.0.1-beta.3' };
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const HAS_CDR = Boolean(PKG['node-red'].nodes['oicp-push-cdr']);
const UID = '04a1b2c3'; // lower case, as chargers often send it: Hubject gets 04A1B2C3

// Records the authorize node's first output and every stop, for GET /roaming/outputs.
const RECORD = `
const outs = flow.get('outs') || [];
outs.push({ kind: msg.kind || 'authorize', payload: msg.payload, ocpp: msg.ocpp, session: msg.session, oicp: msg.oicp, topic: msg.topic });
flow.set('outs', outs);
return null;`;

function common(simUrl, extra) {
  return [
    { id: 'rec', type: 'function', z: 'tab', name: 'record', func: RECORD, outputs: 1, x: 900, y: 300, wires: [[]] },
    { id: 'http-in', type: 'http in', z: 'tab', name: '', url: '/roaming/outputs', method: 'get', x: 140, y: 400, wires: [['http-fn']] },
    {
      id: 'http-fn',
      type: 'function',
      z: 'tab',
      name: 'outputs',
      func: "msg.payload = flow.get('outs') || []; return msg;",
      outputs: 1,
      x: 380,
      y: 400,
      wires: [['http-out']],
    },
    { id: 'http-out', type: 'http response', z: 'tab', name: '', statusCode: '', headers: {}, x: 600, y: 400, wires: [] },
    { id: 'catch', type: 'catch', z: 'tab', name: '', scope: null, uncaught: false, x: 140, y: 480, wires: [['errlog']] },
    {
      id: 'errlog',
      type: 'debug',
      z: 'tab',
      name: 'errors',
      active: true,
      tosidebar: false,
      console: true,
      complete: 'true',
      targetType: 'full',
      x: 380,
      y: 480,
      wires: [],
    },
    {
      id: 'hub',
      type: 'oicp-hubject-config',
      name: '',
      environment: 'custom',
      url: simUrl,
      operatorId: 'DE*ABC',
      operatorName: 'E2E CPO',
      tls: 'tls',
      timeout: '10',
      rateLimit: '2000',
      retryBase: '0.2',
      retryMax: '2',
    },
    { id: 'tls', type: 'tls-config', name: 'sim', cert: '${OICP_SIM_CERT}', key: '${OICP_SIM_KEY}', ca: '${OICP_SIM_CA}', verifyservercert: true },
    ...extra,
  ];
}

/** The push cdr node of the flow, once the package has it (branch cdr); until then the stop is only recorded. */
function cdrNode(id, next) {
  return {
    id,
    type: 'oicp-push-cdr',
    z: 'tab',
    name: '',
    hubject: 'hub',
    timeZone: 'Europe/Berlin',
    utcOffset: '',
    partnerProductId: '',
    x: 700,
    y: 240,
    wires: [[next]],
  };
}

/** A time as the CDR writes it for Europe/Berlin in winter (the test runs in December: +01:00), seconds cut. */
function berlinWinter(d) {
  return `${new Date(d.getTime() + 3600_000).toISOString().slice(0, 19)}+01:00`;
}

/** The CDR the simulator stored for sessionId, once there. */
async function cdrAt(sim, sessionId) {
  return until(
    () => sim.cdrs.cdrs.get(sessionId),
    20000,
    `a CDR for ${sessionId} at the simulator`,
    () => JSON.stringify({ counters: sim.cdrs.counters, cdrs: [...sim.cdrs.cdrs.keys()] }),
  );
}

// OCPP 1.6J: answers what Hubject does not decide; Authorize and StartTransaction go to the authorize node.
const ROUTE16 = `
if (!msg.msgId || !msg.ocpp || msg.ocpp.msgType !== 2) return null;
const now = new Date().toISOString();
switch (msg.ocpp.command) {
    case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
    case 'Heartbeat': msg.payload = { currentTime: now }; break;
    case 'Authorize':
    case 'StartTransaction': return [null, msg, null];
    case 'StopTransaction': {
        const stop = RED.util.cloneMessage(msg);
        stop.kind = 'stop';
        msg.payload = { idTagInfo: { status: 'Accepted' } };
        return [msg, null, stop];
    }
    default: msg.payload = {};
}
return [msg, null, null];`;

function flow16(csPort, simUrl) {
  const stopTo = HAS_CDR ? 'cdr' : 'rec';
  return common(simUrl, [
    { id: 'tab', type: 'tab', label: 'roaming 1.6J' },
    {
      id: 'cs',
      type: 'CS server',
      z: 'tab',
      name: 'central system',
      port: String(csPort),
      portType: 'num',
      enabled15: false,
      path15: '',
      enabled16: false,
      path16: '',
      enabled16j: true,
      path16j: '/ocpp',
      log: false,
      pathlog: '',
      x: 140,
      y: 100,
      wires: [['route'], []],
    },
    { id: 'route', type: 'function', z: 'tab', name: 'route', func: ROUTE16, outputs: 3, x: 380, y: 100, wires: [['resp'], ['auth'], [stopTo]] },
    {
      id: 'auth',
      type: 'oicp-authorize',
      z: 'tab',
      name: '',
      hubject: 'hub',
      action: 'start',
      timeout: 5,
      localList: '',
      evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
      partnerProductId: '',
      x: 600,
      y: 160,
      wires: [['rec'], ['resp']],
    },
    { id: 'resp', type: 'server response', z: 'tab', name: '', x: 820, y: 100, wires: [] },
    ...(HAS_CDR ? [cdrNode('cdr', 'rec')] : []),
  ]);
}

// OCPP 2.0.1: the CSMS node answers a request that comes back into it as {msgType: 3, cbId, data}.
const ROUTE201 = `
if (!msg.ocpp || !msg.ocpp.MessageId || !/\\/Request$/.test(msg.topic || '')) return null;
const data = (msg.payload && msg.payload.data) || {};
const answer = (d) => { msg.payload = { msgType: 3, cbId: msg.ocpp.cbId, data: d }; return [msg, null, null]; };
const now = new Date().toISOString();
switch (msg.ocpp.command) {
    case 'BootNotification': return answer({ currentTime: now, interval: 300, status: 'Accepted' });
    case 'Heartbeat': return answer({ currentTime: now });
    case 'Authorize': return [null, msg, null];
    case 'TransactionEvent':
        if (data.eventType === 'Started' && data.idToken) return [null, msg, null];
        if (data.eventType === 'Ended') {
            const stop = RED.util.cloneMessage(msg);
            stop.kind = 'stop';
            const out = answer({});
            out[2] = stop;
            return out;
        }
        return answer({});
    default: return answer({});
}`;
// The authorize node's second output carries the station's answer as msg.payload; the CSMS node wants it wrapped.
const WRAP201 = 'msg.payload = { msgType: 3, cbId: msg.ocpp.cbId, data: msg.payload }; return msg;';

function flow201(port, simUrl) {
  const stopTo = HAS_CDR ? 'cdr' : 'rec';
  return common(simUrl, [
    { id: 'tab', type: 'tab', label: 'roaming 2.0.1' },
    {
      id: 'csms',
      type: 'CSMS',
      z: 'tab',
      name: 'CSMS',
      port: String(port),
      path: '/ocpp2',
      ocpp_logging: false,
      outputs: 2,
      credentials: { basic_auths: JSON.stringify({ 'CS-R201': 'e2e-password' }) },
      x: 140,
      y: 100,
      wires: [['route'], []],
    },
    { id: 'route', type: 'function', z: 'tab', name: 'route', func: ROUTE201, outputs: 3, x: 380, y: 100, wires: [['csms'], ['auth'], [stopTo]] },
    {
      id: 'auth',
      type: 'oicp-authorize',
      z: 'tab',
      name: '',
      hubject: 'hub',
      action: 'start',
      timeout: 5,
      localList: '',
      evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{evseId}',
      partnerProductId: '',
      x: 600,
      y: 160,
      wires: [['rec'], ['wrap']],
    },
    { id: 'wrap', type: 'function', z: 'tab', name: 'wrap', func: WRAP201, outputs: 1, x: 820, y: 160, wires: [['csms']] },
    ...(HAS_CDR ? [cdrNode('cdr', 'rec')] : []),
  ]);
}

describe('e2e: a roaming session from a real charger through the OCPP packages to the Hubject simulator', function () {
  this.timeout(120000);
  let sim;
  let simUrl;
  let certs;
  let contribs;
  const reds = [];
  let failed = false;

  before(async function () {
    this.timeout(300000); // a first run installs both OCPP packages into the cache
    contribs = await cachedInstall([`${OCPP16.name}@${OCPP16.version}`, `${OCPP2.name}@${OCPP2.version}`], { label: 'ocpp-contribs' });
    const s = await startSim();
    sim = s.sim;
    simUrl = s.url;
    certs = s.certs;
  });

  afterEach(function () {
    if (this.currentTest.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(30000);
    for (const red of reds) {
      await red.stop().catch(() => red.kill());
      if (failed) console.log(`Node-RED log tail:\n${red.log.slice(-4000)}`);
      red.cleanup();
    }
    if (sim) await sim.stop();
  });

  async function startRed(pkg, flows) {
    const userDir = makeUserDir('oicp-e2e-roaming-');
    linkPackage(contribs, pkg, userDir);
    const c = certs.clients['DE*ABC'];
    const red = new RedProcess({ userDir, env: { OICP_SIM_CERT: c.cert, OICP_SIM_KEY: c.key, OICP_SIM_CA: certs.caCert } });
    reds.push(red);
    await red.start(90000);
    // Deployed through the admin API, as the editor does, so the CSMS node's credentials are stored.
    const from = red.log.length;
    const res = await red.http('POST', '/flows', { flows }, { 'Node-RED-Deployment-Type': 'full' });
    assert.strictEqual(res.status, 200, res.text);
    await until(() => /Started flows/.test(red.log.slice(from)), 20000, 'flows started');
    await new Promise((r) => setTimeout(r, 500));
    assert.doesNotMatch(red.log.slice(from), /\[error\]/, red.log.slice(from));
    return red;
  }
  const outputs = async (red) => (await red.http('GET', '/roaming/outputs')).json;

  it('OCPP 1.6J: RFID Authorize, StartTransaction with the transactionId back, MeterValues, StopTransaction', async function () {
    const csPort = await freePort();
    const red = await startRed(OCPP16.name, flow16(csPort, simUrl));
    const startsBefore = sim.authorization.received.authorizeStart;
    const sessionsBefore = sim.authorization.sessions.size;
    const cp = new RPCClient({
      endpoint: `ws://127.0.0.1:${csPort}/ocpp`,
      identity: 'CP16',
      protocols: ['ocpp1.6'],
      strictMode: true, // the flow's answers are checked against the OCPP 1.6J schemas
      reconnect: false,
      callTimeoutMs: 15000,
    });
    try {
      await cp.connect();
      assert.strictEqual((await cp.call('BootNotification', { chargePointVendor: 'E2E', chargePointModel: 'Roaming' })).status, 'Accepted');

      // The driver's card: Hubject authorizes it; the charger gets Accepted through the server response node.
      assert.deepStrictEqual(await cp.call('Authorize', { idTag: UID }), { idTagInfo: { status: 'Accepted' } });

      const start = new Date(Date.now() - 3600_000);
      const started = await cp.call('StartTransaction', { connectorId: 1, idTag: UID, meterStart: 1000, timestamp: start.toISOString() });
      assert.strictEqual(started.idTagInfo.status, 'Accepted');
      assert.ok(Number.isInteger(started.transactionId) && started.transactionId > 0, JSON.stringify(started));
      // One charge, one AuthorizeStart: the StartTransaction takes the session Hubject gave the Authorize.
      assert.strictEqual(sim.authorization.received.authorizeStart, startsBefore + 1, 'exactly one AuthorizeStart per charge');
      assert.strictEqual(sim.authorization.sessions.size, sessionsBefore + 1, 'exactly one session at Hubject');
      const atSim = [...sim.authorization.sessions.values()].slice(-1);
      const body = sim.authorization.bodies[sim.authorization.bodies.length - 1].body;
      assert.deepStrictEqual(body.Identification, { RFIDMifareFamilyIdentification: { UID: '04A1B2C3' } });
      assert.strictEqual(body.EvseID, undefined, 'an Authorize names no connector');

      const recorded = await until(
        async () => {
          const o = await outputs(red);
          return o.length >= 2 && o;
        },
        10000,
        'two authorize outputs recorded',
      );
      const [auth, tx] = recorded;
      assert.strictEqual(auth.payload.AuthorizationStatus, 'Authorized');
      assert.strictEqual(tx.payload.AuthorizationStatus, 'Authorized');
      assert.strictEqual(auth.payload.SessionID, atSim[0].SessionID);
      assert.strictEqual(tx.payload.SessionID, atSim[0].SessionID);
      assert.strictEqual(tx.oicp.reused, true);
      assert.strictEqual(tx.session.transactionId, started.transactionId);
      assert.strictEqual(tx.session.meterStart, 1000);
      assert.strictEqual(tx.session.EvseID, 'DE*ABC*ECP16*1');
      assert.strictEqual(tx.session.chargeBoxId, 'CP16');

      const sampled = (wh, at) => ({
        timestamp: at.toISOString(),
        sampledValue: [{ value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' }],
      });
      const mid = new Date(start.getTime() + 1800_000);
      assert.deepStrictEqual(await cp.call('MeterValues', { connectorId: 1, transactionId: started.transactionId, meterValue: [sampled(6000, mid)] }), {});
      const end = new Date(start.getTime() + 3000_000);
      const stopped = await cp.call('StopTransaction', {
        transactionId: started.transactionId,
        meterStop: 13345,
        timestamp: end.toISOString(),
        reason: 'Local',
        transactionData: [sampled(6000, mid)],
      });
      assert.deepStrictEqual(stopped, { idTagInfo: { status: 'Accepted' } });
      if (HAS_CDR) {
        // The CDR of the StartTransaction's session: the charger's energy and times, in its time zone.
        const cdr = await cdrAt(sim, atSim[0].SessionID);
        assert.strictEqual(cdr.EvseID, 'DE*ABC*ECP16*1');
        assert.strictEqual(cdr.ConsumedEnergy, 12.345);
        assert.strictEqual(cdr.body.MeterValueStart, 1);
        assert.strictEqual(cdr.body.MeterValueEnd, 13.345);
        assert.strictEqual(cdr.SessionStart, berlinWinter(start));
        assert.strictEqual(cdr.ChargingStart, berlinWinter(start));
        assert.strictEqual(cdr.SessionEnd, berlinWinter(end));
        assert.deepStrictEqual(cdr.body.Identification, { RFIDMifareFamilyIdentification: { UID: '04A1B2C3' } });
      } else {
        // The StopTransaction as node-red-contrib-ocpp hands it on: the push cdr node finds the session by this id.
        const stop = await until(async () => (await outputs(red)).find((o) => o.kind === 'stop'), 10000, 'the stop recorded');
        assert.strictEqual(stop.payload.command, 'StopTransaction');
        assert.strictEqual(stop.payload.data.transactionId, started.transactionId);
        assert.strictEqual(stop.payload.data.meterStop, 13345);
        assert.strictEqual(stop.ocpp.chargeBoxIdentity, 'CP16');
      }
    } finally {
      await cp.close({ force: true }).catch(() => undefined);
    }
    assert.doesNotMatch(red.log, /\[debug:errors\]|\[error\]/, red.log.slice(-3000));
  });

  it('OCPP 2.0.1: Authorize and TransactionEvent Started answered from Hubject, then Updated and Ended', async function () {
    const port = await freePort();
    const red = await startRed(OCPP2.name, flow201(port, simUrl));
    const startsBefore = sim.authorization.received.authorizeStart;
    const sessionsBefore = sim.authorization.sessions.size;
    const cs = new RPCClient({
      endpoint: `ws://127.0.0.1:${port}/ocpp2`,
      identity: 'CS-R201',
      password: 'e2e-password',
      protocols: ['ocpp2.0.1'],
      strictMode: true,
      reconnect: false,
      callTimeoutMs: 15000,
    });
    const idToken = { idToken: UID, type: 'ISO14443' };
    try {
      await cs.connect();
      assert.strictEqual(cs.protocol, 'ocpp2.0.1');
      const boot = await cs.call('BootNotification', { reason: 'PowerUp', chargingStation: { model: 'Roaming', vendorName: 'E2E' } });
      assert.strictEqual(boot.status, 'Accepted');
      assert.deepStrictEqual(await cs.call('Authorize', { idToken }), { idTokenInfo: { status: 'Accepted' } });

      const start = new Date(Date.now() - 3600_000);
      const txId = 'TX-R201-1';
      const event = (eventType, seqNo, at, more = {}) => ({
        eventType,
        timestamp: at.toISOString(),
        triggerReason: eventType === 'Started' ? 'Authorized' : eventType === 'Ended' ? 'StopAuthorized' : 'MeterValuePeriodic',
        seqNo,
        transactionInfo: { transactionId: txId, ...(eventType === 'Ended' ? { stoppedReason: 'Local' } : {}) },
        ...more,
      });
      const meter = (wh, at, context) => [
        { timestamp: at.toISOString(), sampledValue: [{ value: wh, context, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'Wh' } }] },
      ];
      const startedAnswer = await cs.call(
        'TransactionEvent',
        event('Started', 0, start, { idToken, evse: { id: 1, connectorId: 1 }, meterValue: meter(2000, start, 'Transaction.Begin') }),
      );
      assert.deepStrictEqual(startedAnswer, { idTokenInfo: { status: 'Accepted' } });
      assert.strictEqual(sim.authorization.received.authorizeStart, startsBefore + 1, 'exactly one AuthorizeStart per charge');
      assert.strictEqual(sim.authorization.sessions.size, sessionsBefore + 1, JSON.stringify([...sim.authorization.sessions.values()]));
      const atSim = [...sim.authorization.sessions.values()].slice(-1);

      const recorded = await until(
        async () => {
          const o = await outputs(red);
          return o.length >= 2 && o;
        },
        10000,
        'two authorize outputs recorded',
      );
      assert.strictEqual(recorded[0].payload.SessionID, atSim[0].SessionID);
      assert.strictEqual(recorded[1].payload.SessionID, atSim[0].SessionID);
      assert.strictEqual(recorded[1].oicp.reused, true);
      assert.strictEqual(recorded[1].session.transactionId, txId);
      assert.strictEqual(recorded[1].session.EvseID, 'DE*ABC*ECS*R201*1');

      const mid = new Date(start.getTime() + 1800_000);
      assert.deepStrictEqual(await cs.call('TransactionEvent', event('Updated', 1, mid, { meterValue: meter(7000, mid, 'Sample.Periodic') })), {});
      const end = new Date(start.getTime() + 3000_000);
      assert.deepStrictEqual(await cs.call('TransactionEvent', event('Ended', 2, end, { meterValue: meter(14345, end, 'Transaction.End') })), {});
      if (HAS_CDR) {
        const cdr = await cdrAt(sim, atSim[0].SessionID);
        assert.strictEqual(cdr.EvseID, 'DE*ABC*ECS*R201*1');
        assert.strictEqual(cdr.ConsumedEnergy, 12.345);
        assert.strictEqual(cdr.body.MeterValueEnd, 14.345);
        assert.strictEqual(cdr.SessionStart, berlinWinter(start));
        assert.strictEqual(cdr.SessionEnd, berlinWinter(end));
      } else {
        const stop = await until(async () => (await outputs(red)).find((o) => o.kind === 'stop'), 10000, 'the Ended event recorded');
        // The shape @anl-ioc/node-red-contrib-ocpp2 emits for a station's request.
        assert.strictEqual(stop.topic, 'CS-R201/Request');
        assert.strictEqual(stop.ocpp.command, 'TransactionEvent');
        assert.strictEqual(stop.ocpp.cbId, 'CS-R201');
        assert.strictEqual(stop.payload.data.eventType, 'Ended');
        assert.strictEqual(stop.payload.data.transactionInfo.transactionId, txId);
      }
    } finally {
      await cs.close({ force: true }).catch(() => undefined);
    }
    assert.doesNotMatch(red.log, /\[debug:errors\]|\[error\]/, red.log.slice(-3000));
  });
});
