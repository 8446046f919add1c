'use strict';
// Issue 23 end to end with OCPP 2.0.1: the simulator (as Hubject) remote-starts an EVSE at the CPO endpoint of a real
// Node-RED; remote in's RequestStartTransaction (with remoteStartId) goes through @anl-ioc/node-red-contrib-ocpp2's
// CSMS to a real OCPP 2.0.1 station (ocpp-rpc, protocol ocpp2.0.1), whose answer goes to remote response. The
// station's TransactionEvent Started carries the remoteStartId: the authorize node links it to Hubject's SessionID
// (no AuthorizeStart). The remote stop becomes RequestStopTransaction with that transactionId; the station's
// TransactionEvent Ended goes through push cdr, and the CDR at the simulator carries Hubject's SessionID with the
// station's energy and times.
const assert = require('assert');
const { RPCClient } = require('ocpp-rpc');
const { RedProcess, makeUserDir, freePort } = require('../support/red-process');
const { startSim } = require('../support/sim');
const { cachedInstall, linkPackage } = require('../support/npm-cache');
const { until } = require('./support');

const OCPP16 = { name: 'node-red-contrib-ocpp', version: '1.3.10' };
const OCPP2 = { name: '@anl-ioc/node-red-contrib-ocpp2', version: '1.0.1-beta.3' };
const STATION = 'CS201';
const PASSWORD = 'e2e-password';
const EVSE = 'DE*ABC*ECS201*1';
const TEMPLATE = 'DE*ABC*E{chargeBoxId}*{evseId}';
const TX = 'TX-REMOTE-201';

// The CSMS node's response to a request the flow sent is a new message: the remote in handle waits in flow context,
// one queue per station and command (a station answers its requests in order), until the station's answer comes.
const TO_STATION = `
const k = 'remote:' + msg.ocpp.cbId + '/' + msg.ocpp.command;
const q = flow.get(k) || [];
q.push(msg.oicpRemote);
flow.set(k, q);
msg.payload = msg.ocpp;
return msg;`;

// Outputs: 1 the answer to the station (CSMS), 2 authorize, 3 push cdr, 4 remote response.
const ROUTE = `
if (!msg.ocpp) return null;
if (/\\/Response$/.test(msg.topic || '')) {
    if (!/^Request(Start|Stop)Transaction$/.test(msg.ocpp.command)) return null;
    const k = 'remote:' + msg.ocpp.cbId + '/' + msg.ocpp.command;
    const q = flow.get(k) || [];
    const handle = q.shift();
    flow.set(k, q);
    if (!handle) return null;
    msg.oicpRemote = handle;
    msg.payload = msg.payload.data;
    return [null, null, null, msg];
}
if (!msg.ocpp.MessageId || !/\\/Request$/.test(msg.topic || '')) return null;
const data = (msg.payload && msg.payload.data) || {};
const answer = (d) => { msg.payload = { msgType: 3, cbId: msg.ocpp.cbId, data: d }; return [msg, null, null, null]; };
const now = new Date().toISOString();
switch (msg.ocpp.command) {
    case 'BootNotification': return answer({ currentTime: now, interval: 300, status: 'Accepted' });
    case 'TransactionEvent':
        if (data.eventType === 'Started' && data.idToken) return [null, msg, null, null];
        if (data.eventType === 'Ended') {
            const stop = RED.util.cloneMessage(msg);
            const out = answer({});
            out[2] = stop;
            return out;
        }
        return answer({});
    default: return answer({});
}`;
const WRAP = 'msg.payload = { msgType: 3, cbId: msg.ocpp.cbId, data: msg.payload }; return msg;';

/** Node-RED takes a node without x and y for a config node: every flow node gets a place on the tab. */
function flow(csmsPort, epPort, certs, simUrl) {
  return flowNodes(csmsPort, epPort, certs, simUrl).map((n, i) =>
    n.z && n.x === undefined ? { ...n, x: 150 + 200 * (i % 4), y: 60 + 60 * Math.floor(i / 4) } : n,
  );
}

function flowNodes(csmsPort, epPort, certs, simUrl) {
  const debug = (id, name) => ({
    id,
    type: 'debug',
    z: 'tab',
    name,
    active: true,
    tosidebar: false,
    console: true,
    complete: 'true',
    targetType: 'full',
    wires: [],
  });
  return [
    { id: 'tab', type: 'tab', label: 'remote start 2.0.1 e2e' },
    {
      id: 'csms',
      type: 'CSMS',
      z: 'tab',
      name: 'CSMS',
      port: String(csmsPort),
      path: '/ocpp2',
      ocpp_logging: false,
      outputs: 2,
      credentials: { basic_auths: JSON.stringify({ [STATION]: PASSWORD }) },
      wires: [['route'], []],
    },
    { id: 'route', type: 'function', z: 'tab', name: 'route', func: ROUTE, outputs: 4, wires: [['csms'], ['auth'], ['cdr'], ['rresp']] },
    {
      id: 'auth',
      type: 'oicp-authorize',
      z: 'tab',
      hubject: 'hub',
      action: 'start',
      timeout: 5,
      evseIdTemplate: TEMPLATE,
      wires: [['dbg-sessions'], ['wrap']],
    },
    { id: 'wrap', type: 'function', z: 'tab', name: 'wrap', func: WRAP, outputs: 1, wires: [['csms']] },
    { ...debug('dbg-sessions', 'sessions'), complete: 'payload', targetType: 'msg' },
    {
      id: 'cdr',
      type: 'oicp-push-cdr',
      z: 'tab',
      name: '',
      hubject: 'hub',
      timeZone: 'Europe/Berlin',
      utcOffset: '',
      partnerProductId: '',
      wires: [['dbg-cdrs']],
    },
    { ...debug('dbg-cdrs', 'cdrs'), complete: 'payload', targetType: 'msg' },
    { id: 'in', type: 'oicp-remote-in', z: 'tab', endpoint: 'ep', wires: [['to-station']] },
    { id: 'to-station', type: 'function', z: 'tab', name: 'to the station', func: TO_STATION, outputs: 1, wires: [['csms']] },
    { id: 'rresp', type: 'oicp-remote-response', z: 'tab', code: '501', wires: [] },
    { id: 'catch', type: 'catch', z: 'tab', name: '', scope: null, uncaught: false, wires: [['errlog']] },
    debug('errlog', 'errors'),
    {
      id: 'ep',
      type: 'oicp-cpo-endpoint',
      hubject: 'hub',
      mode: 'mtls',
      tls: 'eptls',
      host: '127.0.0.1',
      port: epPort,
      subjects: '',
      deadline: 8,
      ocppVersion: '2.0.1',
      evseIdTemplate: TEMPLATE,
    },
    { id: 'eptls', type: 'tls-config', name: 'cpo server', cert: certs.cpoServerCert, key: certs.cpoServerKey, ca: certs.caCert, verifyservercert: true },
    { id: 'hub', type: 'oicp-hubject-config', environment: 'custom', url: simUrl, operatorId: 'DE*ABC', operatorName: 'E2E CPO', tls: 'tls', timeout: '10' },
    {
      id: 'tls',
      type: 'tls-config',
      name: 'sim',
      cert: certs.clients['DE*ABC'].cert,
      key: certs.clients['DE*ABC'].key,
      ca: certs.caCert,
      verifyservercert: true,
    },
  ];
}

/** A time as the CDR writes it for Europe/Berlin in winter (the test runs in December: +01:00), fractions cut. */
function berlinWinter(iso) {
  return `${new Date(Date.parse(iso) + 3600_000).toISOString().slice(0, 19)}+01:00`;
}

describe('e2e: remote start and stop from the simulator through Node-RED to a real OCPP 2.0.1 station', function () {
  this.timeout(170000);
  let sim, red, station, epPort;
  const seen = { starts: [], stops: [], started: undefined, ended: undefined, startedAt: undefined, endedAt: undefined };

  before(async function () {
    this.timeout(300000); // a first run installs both OCPP packages into the cache
    const contribs = await cachedInstall([`${OCPP16.name}@${OCPP16.version}`, `${OCPP2.name}@${OCPP2.version}`], { label: 'ocpp-contribs' });
    const s = await startSim({});
    sim = s.sim;
    const csmsPort = await freePort();
    epPort = await freePort();
    const userDir = makeUserDir('oicp-e2e-remote201-');
    linkPackage(contribs, OCPP2.name, userDir);
    red = new RedProcess({ userDir });
    await red.start(90000);
    // Deployed through the admin API, as the editor does, so the CSMS node's credentials are stored.
    const from = red.log.length;
    const res = await red.http('POST', '/flows', { flows: flow(csmsPort, epPort, s.certs, s.url) }, { 'Node-RED-Deployment-Type': 'full' });
    assert.strictEqual(res.status, 200, res.text);
    await until(() => /Started flows/.test(red.log.slice(from)), 20000, 'flows started');

    station = new RPCClient({
      endpoint: `ws://127.0.0.1:${csmsPort}/ocpp2`,
      identity: STATION,
      password: PASSWORD,
      protocols: ['ocpp2.0.1'],
      strictMode: true, // the CSMS's requests and answers are checked against the OCPP 2.0.1 schemas
      reconnect: false,
      callTimeoutMs: 15000,
    });
    const meter = (wh, at, context) => [
      { timestamp: at, sampledValue: [{ value: wh, context, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'Wh' } }] },
    ];
    station.handle('RequestStartTransaction', ({ params }) => {
      seen.starts.push(params);
      // The station accepts, then starts the transaction it was asked for, naming the remoteStartId.
      setTimeout(async () => {
        seen.startedAt = new Date().toISOString();
        seen.started = await station.call('TransactionEvent', {
          eventType: 'Started',
          timestamp: seen.startedAt,
          triggerReason: 'RemoteStart',
          seqNo: 0,
          transactionInfo: { transactionId: TX, remoteStartId: params.remoteStartId },
          idToken: params.idToken,
          evse: { id: params.evseId, connectorId: 1 },
          meterValue: meter(2000, seen.startedAt, 'Transaction.Begin'),
        });
      }, 50);
      return { status: 'Accepted' };
    });
    station.handle('RequestStopTransaction', ({ params }) => {
      seen.stops.push(params);
      setTimeout(async () => {
        seen.endedAt = new Date().toISOString();
        seen.ended = await station.call('TransactionEvent', {
          eventType: 'Ended',
          timestamp: seen.endedAt,
          triggerReason: 'RemoteStop',
          seqNo: 1,
          transactionInfo: { transactionId: params.transactionId, stoppedReason: 'Remote' },
          meterValue: meter(14345, seen.endedAt, 'Transaction.End'),
        });
      }, 50);
      return { status: 'Accepted' };
    });
    await station.connect();
    assert.strictEqual(station.protocol, 'ocpp2.0.1');
    const boot = await station.call('BootNotification', { reason: 'PowerUp', chargingStation: { model: 'remote', vendorName: 'E2E' } });
    assert.strictEqual(boot.status, 'Accepted');
  });

  let failed = false;
  afterEach(function () {
    if (this.currentTest.state === 'failed') failed = true;
  });
  after(async function () {
    this.timeout(30000);
    if (station) await station.close({ force: true }).catch(() => undefined);
    if (red) {
      await red.stop();
      if (failed || process.env.E2E_LOG) console.log(`Node-RED log tail:\n${red.log.slice(-4000)}`);
      red.cleanup();
    }
    if (sim) await sim.stop();
  });

  it("start: RequestStartTransaction with remoteStartId, Result true, TransactionEvent Started linked to Hubject's SessionID; stop: RequestStopTransaction, Ended, a CDR with that SessionID", async function () {
    const url = `https://127.0.0.1:${epPort}`;
    await until(
      () => /remote start\/stop endpoint listening/.test(red.log),
      20000,
      'endpoint listening',
      () => red.log.slice(-2000),
    );
    const start = await sim.remote.call({ action: 'start', EvseID: EVSE, url });
    assert.strictEqual(start.httpStatus, 200, JSON.stringify(start));
    assert.deepStrictEqual([start.body.Result, start.body.StatusCode.Code, start.body.SessionID], [true, '000', start.SessionID], red.log.slice(-2000));
    assert.strictEqual(seen.starts.length, 1);
    const [asked] = seen.starts;
    assert.deepStrictEqual(asked.idToken, { idToken: 'DE-DCB-C12345678-X', type: 'eMAID' });
    assert.strictEqual(asked.evseId, 1);
    assert.ok(Number.isInteger(asked.remoteStartId), JSON.stringify(asked));

    await until(
      () => seen.started !== undefined,
      20000,
      'TransactionEvent Started answered',
      () => red.log.slice(-2000),
    );
    assert.deepStrictEqual(seen.started, { idTokenInfo: { status: 'Accepted' } });
    assert.strictEqual(sim.authorization.received.authorizeStart, 0, 'a remote start needs no AuthorizeStart');
    await until(
      () => red.log.includes(start.SessionID),
      10000,
      'the authorize node output names the SessionID',
      () => red.log.slice(-2000),
    );

    const stop = await sim.remote.call({ action: 'stop', EvseID: EVSE, url });
    assert.strictEqual(stop.SessionID, start.SessionID);
    assert.deepStrictEqual([stop.body.Result, stop.body.StatusCode.Code], [true, '000'], JSON.stringify(stop));
    assert.deepStrictEqual(seen.stops, [{ transactionId: TX }]);
    await until(() => seen.ended !== undefined, 20000, 'TransactionEvent Ended answered');

    // The CDR: Hubject's SessionID, the station's energy (2000 -> 14345 Wh) and times, the remote start's token.
    const cdr = await until(
      () => sim.cdrs.cdrs.get(start.SessionID),
      20000,
      `a CDR for ${start.SessionID} at the simulator`,
      () => JSON.stringify({ counters: sim.cdrs.counters, cdrs: [...sim.cdrs.cdrs.keys()], log: red.log.slice(-2000) }),
    );
    assert.deepStrictEqual([sim.cdrs.counters.stored, sim.cdrs.counters.unknownSession], [1, 0]);
    assert.strictEqual(cdr.EvseID, EVSE);
    assert.strictEqual(cdr.ConsumedEnergy, 12.345);
    assert.deepStrictEqual([cdr.body.MeterValueStart, cdr.body.MeterValueEnd], [2, 14.345]);
    assert.strictEqual(cdr.ChargingStart, berlinWinter(seen.startedAt));
    assert.strictEqual(cdr.SessionEnd, berlinWinter(seen.endedAt));
    assert.ok(cdr.SessionStart <= cdr.ChargingStart && Date.parse(cdr.SessionStart) >= start.at - 1000, JSON.stringify(cdr));
    assert.deepStrictEqual(cdr.body.Identification, { RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } });
    await until(() => /\[debug:cdrs\]/.test(red.log), 10000, 'push cdr output');
    assert.doesNotMatch(red.log, /\[debug:errors\]|\[error\]/, red.log.slice(-3000));
  });
});
