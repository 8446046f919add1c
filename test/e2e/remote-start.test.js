'use strict';
// Issue 23 end to end: the simulator (as Hubject, with its own client certificate) remote-starts an EVSE at the CPO
// endpoint of a real Node-RED; the flow sends RemoteStartTransaction through node-red-contrib-ocpp to a real OCPP
// 1.6J charge point (ocpp-rpc), which accepts and starts a transaction; Hubject gets Result true, the authorize node
// links the StartTransaction to Hubject's SessionID (no AuthorizeStart), and the remote stop reaches the charge point
// as RemoteStopTransaction with that transactionId, followed by its StopTransaction, which push cdr turns into a CDR
// at the simulator carrying Hubject's SessionID and the charger's energy and times.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { RPCClient } = require('ocpp-rpc');
const { RedProcess, makeUserDir, freePort } = require('../support/red-process');
const { startSim } = require('../support/sim');
const { cachedInstall, linkPackage } = require('../support/npm-cache');
const { until } = require('./support');

const OCPP_CONTRIB_VERSION = '1.3.10';
const IDENTITY = 'CP1';
const EVSE = 'DE*ABC*ECP1*1';
const TEMPLATE = 'DE*ABC*E{chargeBoxId}*{connectorId}';

const ANSWER = `
if (!msg.msgId || !msg.ocpp || msg.ocpp.msgType !== 2) return null;
const now = new Date().toISOString();
switch (msg.ocpp.command) {
    case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
    case 'StartTransaction': return [null, msg, null]; // the authorize node links it and answers the charge point
    case 'StopTransaction': {
        const stop = RED.util.cloneMessage(msg); // the charger's request, for push cdr
        msg.payload = { idTagInfo: { status: 'Accepted' } };
        return [msg, null, stop];
    }
    default: msg.payload = {};
}
return [msg, null, null];`;

/** Where a StopTransaction goes after the charge point was answered: push cdr, its acknowledgement to a debug node. */
function cdrHop() {
  return [
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
    { id: 'dbg-cdrs', type: 'debug', z: 'tab', name: 'cdrs', active: true, tosidebar: false, console: true, complete: 'payload', targetType: 'msg', wires: [] },
  ];
}

/** A time as the CDR writes it for Europe/Berlin in winter (the test runs in December: +01:00), fractions cut. */
function berlinWinter(iso) {
  return `${new Date(Date.parse(iso) + 3600_000).toISOString().slice(0, 19)}+01:00`;
}

/** Node-RED takes a node without x and y for a config node: every flow node gets a place on the tab. */
function flow(csPort, epPort, certs, simUrl) {
  return flowNodes(csPort, epPort, certs, simUrl).map((n, i) =>
    n.z && n.x === undefined ? { ...n, x: 150 + 200 * (i % 4), y: 60 + 60 * Math.floor(i / 4) } : n,
  );
}

function flowNodes(csPort, epPort, certs, simUrl) {
  return [
    { id: 'tab', type: 'tab', label: 'remote start e2e' },
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
      wires: [['fn-answer'], []],
    },
    { id: 'fn-answer', type: 'function', z: 'tab', name: 'answer', func: ANSWER, outputs: 3, wires: [['resp'], ['auth'], ['cdr']] },
    { id: 'resp', type: 'server response', z: 'tab', name: '', wires: [] },
    {
      id: 'auth',
      type: 'oicp-authorize',
      z: 'tab',
      hubject: 'hub',
      action: 'start',
      timeout: 5,
      evseIdTemplate: TEMPLATE,
      wires: [['dbg-sessions'], ['resp']],
    },
    {
      id: 'dbg-sessions',
      type: 'debug',
      z: 'tab',
      name: 'sessions',
      active: true,
      tosidebar: false,
      console: true,
      complete: 'payload',
      targetType: 'msg',
      wires: [],
    },
    ...cdrHop(),
    { id: 'in', type: 'oicp-remote-in', z: 'tab', endpoint: 'ep', wires: [['to-cp']] },
    { id: 'to-cp', type: 'function', z: 'tab', name: 'to the charger', func: 'msg.payload = msg.ocpp; return msg;', outputs: 1, wires: [['req']] },
    { id: 'req', type: 'CS request JSON', z: 'tab', name: '', remotecb: 'cp1', command: '', cmddata: '', log: false, pathlog: '', wires: [['rresp']] },
    { id: 'rresp', type: 'oicp-remote-response', z: 'tab', code: '501', wires: [] },
    { id: 'catch', type: 'catch', z: 'tab', name: '', scope: null, uncaught: false, wires: [['errlog']] },
    { id: 'errlog', type: 'debug', z: 'tab', name: 'errors', active: true, tosidebar: false, console: true, complete: 'true', targetType: 'full', wires: [] },
    { id: 'cp1', type: 'ocpp-remotej-cp', name: 'CP1', cbId: IDENTITY, ocppver: '1.6j' },
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
      ocppVersion: '1.6',
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

describe('e2e: remote start and stop from the simulator through Node-RED to a real OCPP 1.6J charge point', function () {
  this.timeout(170000);
  let sim, red, client, epPort;
  const charger = { remoteStarts: [], remoteStops: [], transactionId: undefined, stopped: undefined };

  before(async function () {
    this.timeout(300000);
    const cache = await cachedInstall([`node-red-contrib-ocpp@${OCPP_CONTRIB_VERSION}`]);
    const s = await startSim({});
    sim = s.sim;
    const csPort = await freePort();
    epPort = await freePort();
    const userDir = makeUserDir('oicp-e2e-remote-');
    linkPackage(cache, 'node-red-contrib-ocpp', userDir);
    red = new RedProcess({ userDir, flows: flow(csPort, epPort, s.certs, s.url) });
    await red.start(90000);
    client = new RPCClient({
      endpoint: `ws://127.0.0.1:${csPort}/ocpp`,
      identity: IDENTITY,
      protocols: ['ocpp1.6'],
      strictMode: true,
      reconnect: false,
      callTimeoutMs: 10000,
    });
    client.handle('RemoteStartTransaction', ({ params }) => {
      charger.remoteStarts.push(params);
      // The charge point accepts, then starts the transaction it was asked for.
      setTimeout(async () => {
        charger.startedAt = new Date().toISOString();
        const r = await client.call('StartTransaction', {
          connectorId: params.connectorId,
          idTag: params.idTag,
          meterStart: 1000,
          timestamp: charger.startedAt,
        });
        charger.transactionId = r.transactionId;
        charger.startStatus = r.idTagInfo.status;
      }, 50);
      return { status: 'Accepted' };
    });
    client.handle('RemoteStopTransaction', ({ params }) => {
      charger.remoteStops.push(params);
      setTimeout(async () => {
        charger.stoppedAt = new Date().toISOString();
        const r = await client.call('StopTransaction', {
          transactionId: params.transactionId,
          meterStop: 13345,
          timestamp: charger.stoppedAt,
          reason: 'Remote',
        });
        charger.stopped = r;
      }, 50);
      return { status: 'Accepted' };
    });
    await client.connect();
    const boot = await client.call('BootNotification', { chargePointVendor: 'E2E', chargePointModel: 'remote' }).catch((e) => {
      throw new Error(`${e.message}\nNode-RED log tail:\n${red.log.slice(-3000)}`);
    });
    assert.strictEqual(boot.status, 'Accepted');
  });

  let failed = false;
  afterEach(function () {
    if (this.currentTest.state === 'failed') failed = true;
  });
  after(async function () {
    this.timeout(30000);
    if (client) await client.close({ force: true }).catch(() => undefined);
    if (red) {
      await red.stop();
      if (failed) console.log(`Node-RED log tail:\n${red.log.slice(-4000)}`);
      red.cleanup();
    }
    if (sim) await sim.stop();
  });

  it("start: Result true, the StartTransaction takes Hubject's SessionID; stop: RemoteStopTransaction with its transactionId, then StopTransaction", async function () {
    const url = `https://127.0.0.1:${epPort}`;
    await until(
      () => /remote start\/stop endpoint listening/.test(red.log),
      20000,
      'endpoint listening',
      () => red.log.slice(-2000),
    );
    const start = await sim.remote.call({ action: 'start', EvseID: EVSE, url });
    assert.strictEqual(start.httpStatus, 200, JSON.stringify(start));
    assert.deepStrictEqual([start.body.Result, start.body.StatusCode.Code, start.body.SessionID], [true, '000', start.SessionID], JSON.stringify(start));
    assert.deepStrictEqual(charger.remoteStarts, [{ connectorId: 1, idTag: 'DE-DCB-C12345678-X' }]);

    await until(
      () => charger.transactionId !== undefined,
      20000,
      'StartTransaction answered',
      () => red.log.slice(-2000),
    );
    assert.strictEqual(charger.startStatus, 'Accepted');
    assert.strictEqual(sim.authorization.received.authorizeStart, 0, 'a remote start needs no AuthorizeStart');
    await until(
      () => red.log.includes(start.SessionID),
      10000,
      'the authorize node output names the SessionID',
      () => red.log.slice(-2000),
    );

    const stop = await sim.remote.call({ action: 'stop', EvseID: EVSE, url });
    assert.strictEqual(stop.SessionID, start.SessionID);
    assert.strictEqual(stop.body.Result, true, JSON.stringify(stop));
    assert.deepStrictEqual(charger.remoteStops, [{ transactionId: charger.transactionId }]);
    await until(() => charger.stopped !== undefined, 20000, 'StopTransaction answered');
    assert.strictEqual(charger.stopped.idTagInfo.status, 'Accepted');

    // The session store on disk: Hubject's SessionID carries the charger's transaction (what the CDR will read).
    const root = path.join(red.userDir, 'oicp', 'sessions');
    const dir = path.join(root, fs.readdirSync(root)[0]);
    const { SessionStore } = require('../../nodes/sessions/store');
    const store = new SessionStore({ dir });
    store.load();
    const s = store.get(start.SessionID);
    assert.deepStrictEqual([s.remote, s.transactionId, s.EvseID, s.meterStart], ['linked', charger.transactionId, EVSE, 1000]);

    // The CDR: Hubject's SessionID, the charger's energy (1000 -> 13345 Wh) and times, the remote start's token.
    const cdr = await until(
      () => sim.cdrs.cdrs.get(start.SessionID),
      20000,
      `a CDR for ${start.SessionID} at the simulator`,
      () => JSON.stringify({ counters: sim.cdrs.counters, cdrs: [...sim.cdrs.cdrs.keys()], log: red.log.slice(-2000) }),
    );
    assert.deepStrictEqual([sim.cdrs.counters.stored, sim.cdrs.counters.unknownSession], [1, 0]);
    assert.strictEqual(cdr.EvseID, EVSE);
    assert.strictEqual(cdr.ConsumedEnergy, 12.345);
    assert.deepStrictEqual([cdr.body.MeterValueStart, cdr.body.MeterValueEnd], [1, 13.345]);
    assert.strictEqual(cdr.ChargingStart, berlinWinter(charger.startedAt));
    assert.strictEqual(cdr.ChargingEnd, berlinWinter(charger.stoppedAt));
    assert.strictEqual(cdr.SessionEnd, berlinWinter(charger.stoppedAt));
    // The session began when Hubject's remote start was accepted, before the charger's StartTransaction.
    assert.ok(cdr.SessionStart <= cdr.ChargingStart && Date.parse(cdr.SessionStart) >= start.at - 1000, JSON.stringify(cdr));
    assert.deepStrictEqual(cdr.body.Identification, { RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } });
    await until(() => /\[debug:cdrs\]/.test(red.log), 10000, 'push cdr output');
    assert.doesNotMatch(red.log, /\[debug:errors\]/);
  });
});
