'use strict';
// A real OCPP 1.6J charge point (ocpp-rpc) talks to node-red-contrib-ocpp's central system inside a real Node-RED;
// its StatusNotifications go through the ocpp status mapper and the push node to the Hubject simulator.
const assert = require('assert');
const { RPCClient } = require('ocpp-rpc');
const { RedProcess, makeUserDir, freePort } = require('../support/red-process');
const { startSim } = require('../support/sim');
const { cachedInstall, linkPackage } = require('../support/npm-cache');
const { until } = require('./support');

const OCPP_CONTRIB_VERSION = '1.3.10';
const IDENTITY = 'CP-E2E';
const EVSE1 = 'DE*ABC*ECP*E2E*1';
const EVSE2 = 'DE*ABC*ECP*E2E*2';

// What the flow answers the charge point (a function node between the CS server and its 'server response' node).
const RESPOND = `
if (!msg.msgId || !msg.ocpp || msg.ocpp.msgType !== 2) return null; // connection events, results: nothing to answer
const now = new Date().toISOString();
switch (msg.ocpp.command) {
    case 'BootNotification': msg.payload = { status: 'Accepted', currentTime: now, interval: 300 }; break;
    case 'Heartbeat': msg.payload = { currentTime: now }; break;
    case 'StatusNotification': msg.payload = {}; break;
    default: msg.payload = {};
}
return msg;`;

function flow(csPort, simUrl) {
  return [
    { id: 'tab', type: 'tab', label: 'OCPP e2e' },
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
      wires: [['map', 'respond'], []],
    },
    { id: 'respond', type: 'function', z: 'tab', name: 'answer the charge point', func: RESPOND, outputs: 1, x: 380, y: 160, wires: [['resp']] },
    { id: 'resp', type: 'server response', z: 'tab', name: '', x: 600, y: 160, wires: [] },
    {
      id: 'map',
      type: 'oicp-ocpp-status',
      z: 'tab',
      name: '',
      hubject: 'hub',
      evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
      lookup: [],
      mapping: {},
      unknownStatus: 'error',
      connector0: 'ignore',
      offline: 'OutOfService',
      onlyChanges: true,
      otherOutput: false,
      outputs: 1,
      x: 380,
      y: 100,
      wires: [['push']],
    },
    {
      id: 'push',
      type: 'oicp-push-evse-status',
      z: 'tab',
      name: '',
      hubject: 'hub',
      action: 'update',
      maxRecords: '500',
      insertMissing: true,
      x: 600,
      y: 100,
      wires: [[]],
    },
    { id: 'catch', type: 'catch', z: 'tab', name: '', scope: null, uncaught: false, x: 140, y: 240, wires: [['errlog']] },
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
      y: 240,
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
  ];
}

describe('e2e: a real OCPP 1.6J charge point through node-red-contrib-ocpp to the Hubject simulator', function () {
  this.timeout(170000);
  let sim;
  let red;
  let client;
  const pushes = []; // every push body the simulator got, in arrival order

  before(async function () {
    this.timeout(300000); // a first run installs node-red-contrib-ocpp into the cache
    const cache = await cachedInstall([`node-red-contrib-ocpp@${OCPP_CONTRIB_VERSION}`]);
    const s = await startSim({ onPush: (body) => pushes.push(body) });
    sim = s.sim;
    const csPort = await freePort();
    const userDir = makeUserDir('oicp-e2e-ocpp-');
    linkPackage(cache, 'node-red-contrib-ocpp', userDir);
    const c = s.certs.clients['DE*ABC'];
    red = new RedProcess({
      userDir,
      flows: flow(csPort, s.url),
      env: { OICP_SIM_URL: s.url, OICP_SIM_CERT: c.cert, OICP_SIM_KEY: c.key, OICP_SIM_CA: s.certs.caCert },
    });
    red.csPort = csPort;
    await red.start(90000);
    const mods = await red.http('GET', '/nodes', undefined, { accept: 'application/json' });
    const types = (mods.json || []).flatMap((s) => s.types || []);
    for (const t of ['CS server', 'server response', 'oicp-ocpp-status', 'oicp-push-evse-status'])
      assert.ok(types.includes(t), `node type ${t} not loaded:\n${red.log.slice(-2000)}`);
    assert.doesNotMatch(red.log, /\[warn\] Missing node modules|Waiting for missing types/, red.log.slice(-2000));
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

  /** Statuses the simulator accepted (answered 000) per EvseID, in order. */
  function accepted() {
    const log = sim.requestLog.filter((e) => e.kind === 'push' && e.httpStatus !== undefined);
    const out = {};
    // One request in flight per operator, so the push log and the onPush bodies are in the same order.
    assert.ok(pushes.length >= log.length, `${pushes.length} bodies for ${log.length} logged pushes`);
    log.forEach((e, i) => {
      if (e.code !== '000') return;
      for (const op of pushes[i].OperatorEvseStatus ? [pushes[i].OperatorEvseStatus] : []) {
        for (const r of op.EvseStatusRecord || []) (out[r.EvseID] = out[r.EvseID] || []).push(r.EvseStatus);
      }
    });
    return out;
  }
  const state = (id) => {
    const st = sim.getState('DE*ABC').get(id);
    return st && st.EvseStatus;
  };
  const describeSim = () =>
    JSON.stringify({ accepted: accepted(), log: sim.requestLog.map((e) => [e.action, e.records, e.code, e.note]) }) +
    `\nNode-RED log tail:\n${red.log.slice(-1500)}`;

  it('connects, boots, reports two connectors and their changes, and Hubject gets Occupied and OutOfService in order', async function () {
    client = new RPCClient({
      endpoint: `ws://127.0.0.1:${red.csPort}/ocpp`,
      identity: IDENTITY,
      protocols: ['ocpp1.6'],
      strictMode: true, // requests and the flow's answers are checked against the OCPP 1.6J schemas
      reconnect: false,
      callTimeoutMs: 10000,
    });
    await client.connect();
    assert.strictEqual(client.protocol, 'ocpp1.6');

    const boot = await client.call('BootNotification', { chargePointVendor: 'E2E', chargePointModel: 'Playwright-free', chargePointSerialNumber: 'E2E-1' });
    assert.strictEqual(boot.status, 'Accepted');
    assert.ok(!Number.isNaN(Date.parse(boot.currentTime)), `currentTime ${boot.currentTime}`);

    const status = (connectorId, st, errorCode = 'NoError') =>
      client.call('StatusNotification', {
        connectorId,
        status: st,
        errorCode,
        timestamp: new Date().toISOString(),
      });
    // Connector 0 (the whole charge point) is ignored by the mapper (connector0: ignore).
    assert.deepStrictEqual(await status(0, 'Available'), {});
    assert.deepStrictEqual(await status(1, 'Available'), {});
    assert.deepStrictEqual(await status(2, 'Available'), {});
    await until(() => state(EVSE1) === 'Available' && state(EVSE2) === 'Available', 20000, 'both EVSEs Available at Hubject', describeSim);

    // Each change waits until it arrived, so the push queue's coalescing cannot merge the steps.
    assert.deepStrictEqual(await status(1, 'Charging'), {});
    await until(() => state(EVSE1) === 'Occupied', 20000, `${EVSE1} Occupied at Hubject`, describeSim);
    assert.deepStrictEqual(await status(2, 'Faulted', 'GroundFailure'), {});
    await until(() => state(EVSE2) === 'OutOfService', 20000, `${EVSE2} OutOfService at Hubject`, describeSim);

    const hb = await client.call('Heartbeat', {});
    assert.ok(!Number.isNaN(Date.parse(hb.currentTime)));

    const got = accepted();
    assert.deepStrictEqual(got[EVSE1], ['Available', 'Occupied'], describeSim());
    assert.deepStrictEqual(got[EVSE2], ['Available', 'OutOfService'], describeSim());
    assert.deepStrictEqual(Object.keys(got).sort(), [EVSE1, EVSE2], 'no other EvseIDs (connector 0 ignored)');
    for (const body of pushes) assert.strictEqual(body.OperatorEvseStatus.OperatorID, 'DE*ABC');
  });

  it('the charge point going offline marks its EVSEs OutOfService', async function () {
    assert.ok(client, 'needs the connected client of the previous test');
    await client.close({ code: 1000, reason: 'e2e done' });
    client = undefined;
    await until(() => state(EVSE1) === 'OutOfService', 20000, `${EVSE1} OutOfService after the websocket closed`, describeSim);
    const got = accepted();
    assert.deepStrictEqual(got[EVSE1], ['Available', 'Occupied', 'OutOfService'], describeSim());
    assert.strictEqual(state(EVSE2), 'OutOfService');
  });
});
