'use strict';
// The flows in examples/ (Import > Examples > node-red-contrib-oicp): well-formed, aimed at Hubject QA with
// placeholders, covering every node of the package, and loaded into a real Node-RED child process (RedProcess with a
// temp userDir) with the OCPP packages they need. Each example is then pointed at the local Hubject simulator and
// driven the way a user would (a real OCPP 1.6J / 2.0.1 charge point over WebSocket, an MQTT publish, inject
// buttons) to show the wiring does what its description says.
//
// Examples 1 and 2 need node-red-contrib-ocpp@1.3.10 and @anl-ioc/node-red-contrib-ocpp2@1.0.1-beta.3 from the npm
// registry: installed once into os.tmpdir() (test/support/npm-cache.js cachedInstall) and linked into each userDir.
const fs = require('fs');
const path = require('path');
const assert = require('assert');
const { RPCClient } = require('ocpp-rpc');
const { RedProcess, makeUserDir, freePort, ROOT } = require('./support/red-process');
const { startSim } = require('./support/sim');
const { cachedInstall, linkPackage } = require('./support/npm-cache');
const { loadProblems, until } = require('./install/support');
const { MiniMqttBroker } = require('./install/mqtt-broker');

const EXAMPLES = path.join(ROOT, 'examples');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const OCPP16 = { name: 'node-red-contrib-ocpp', version: '1.3.10' };
const OCPP2 = { name: '@anl-ioc/node-red-contrib-ocpp2', version: '1.0.1-beta.3' };
const OP = 'DE*ABC';

/** Node types the package registers, with their category, read from the editor files. */
function packageTypes() {
  const types = {};
  for (const js of Object.values(PKG['node-red'].nodes)) {
    const html = fs.readFileSync(path.join(ROOT, js.replace(/\.js$/, '.html')), 'utf8');
    const re = /registerType\(\s*["']([^"']+)["']\s*,\s*\{([\s\S]*?)\n\s*\}\s*\)/g;
    let m;
    while ((m = re.exec(html)) !== null) {
      const cat = /category:\s*["']([^"']+)["']/.exec(m[2]);
      types[m[1]] = cat ? cat[1] : undefined;
    }
  }
  return types;
}

function readExample(file) {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
}

function byId(flow) {
  return new Map(flow.map((n) => [n.id, n]));
}

/** A copy of an example with its Hubject config aimed at the simulator (what a user does with their certificate). */
function toSimulator(flow, sim) {
  const client = sim.certs.clients[OP];
  return flow.map((n) => {
    if (n.type === 'oicp-hubject-config') return { ...n, environment: 'custom', url: sim.url, retryBase: '0.1', retryMax: '1' };
    if (n.type === 'tls-config') return { ...n, cert: client.cert, key: client.key, ca: sim.certs.caCert };
    // Debug output also goes to the log, where the test sees what the example's Catch node caught: errors a Catch
    // node handles are not logged by Node-RED.
    if (n.type === 'debug') return { ...n, console: true };
    return n;
  });
}

/** Replaces listening ports (OCPP servers, MQTT broker) so parallel runs do not collide. */
function withPorts(flow, ports) {
  return flow.map((n) => {
    if (n.type === 'CS server') return { ...n, port: String(ports.ocpp16) };
    if (n.type === 'CSMS') return { ...n, port: String(ports.ocpp2) };
    if (n.type === 'mqtt-broker') return { ...n, broker: '127.0.0.1', port: String(ports.mqtt) };
    return n;
  });
}

// The one error expected: the shipped tls-config is empty until the user adds the onboarding certificate (red at deploy).
const EMPTY_TLS = /client certificate and key from Hubject onboarding are missing/;

/** Load problems, plus anything the example's Catch node passed to its 'errors' debug node (see toSimulator). */
function problems(log) {
  return [...loadProblems(log), ...log.split('\n').filter((l) => /\[debug:errors\]/.test(l))].filter((l) => !EMPTY_TLS.test(l));
}

/** Full deploy through the admin API, as the editor's Deploy button does; waits for the flows to (re)start. */
async function deploy(red, flow) {
  const from = red.log.length;
  const res = await red.http('POST', '/flows', { flows: flow }, { 'Node-RED-Deployment-Type': 'full' });
  assert.strictEqual(res.status, 200, `POST /flows answered ${res.status}: ${res.text}`);
  await until(() => /Started flows/.test(red.log.slice(from)), 20000, 'flows started after deploy', () => red.log.slice(from));
  // Nodes report asynchronous start-up errors (ports, certificates) shortly after "Started flows".
  await new Promise((r) => setTimeout(r, 1000));
  return red.log.slice(from);
}

describe('examples', function () {
  this.timeout(60000);
  const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
  const types = packageTypes();
  const nonConfig = Object.keys(types).filter((t) => types[t] !== 'config');

  describe('files', function () {
    it('are the five numbered examples, in order', function () {
      assert.deepStrictEqual(files.map((f) => f.split(' ')[0]), ['1', '2', '3', '4', '5']);
      assert.match(files[0], /OCPP 1\.6J/);
      assert.match(files[1], /OCPP 2\.0\.1/);
      assert.match(files[2], /MQTT/);
      assert.match(files[3], /full load/i);
      assert.match(files[4], /simulator/);
    });

    it('use every non-config node of the package: the demo alone, and examples 1-4 together', function () {
      assert.deepStrictEqual(nonConfig.sort(), ['oicp-full-load', 'oicp-ocpp-status', 'oicp-push-evse-status']);
      const used = (list) => new Set(list.flatMap((f) => readExample(f).map((n) => n.type)));
      const demo = used(files.slice(4));
      const qa = used(files.slice(0, 4));
      for (const t of nonConfig) {
        assert.ok(demo.has(t), `the demo lacks ${t}`);
        assert.ok(qa.has(t), `examples 1-4 lack ${t}`);
      }
    });

    for (const file of files) {
      it(`${file}: ids unique, wires, tabs and config references resolve`, function () {
        const flow = readExample(file);
        assert.ok(Array.isArray(flow) && flow.length > 0);
        const ids = byId(flow);
        assert.strictEqual(ids.size, flow.length, 'duplicate ids');
        const tabs = flow.filter((n) => n.type === 'tab');
        assert.strictEqual(tabs.length, 1, 'one tab per example');
        assert.ok(tabs[0].info && tabs[0].info.length > 100, 'the tab describes the example');
        for (const n of flow) {
          assert.ok(typeof n.id === 'string' && typeof n.type === 'string', JSON.stringify(n));
          if ('z' in n) assert.strictEqual(n.z, tabs[0].id, `${n.id} is on another tab`);
          for (const port of n.wires || []) for (const to of port) assert.ok(ids.has(to), `${n.id} is wired to missing ${to}`);
          for (const key of ['hubject', 'tls', 'broker']) {
            if (n[key] && !(n.type === 'mqtt-broker' && key === 'broker')) assert.ok(ids.has(n[key]), `${n.id}.${key} refers to missing ${n[key]}`);
          }
          for (const s of n.scope || []) assert.ok(ids.has(s), `catch ${n.id} scopes missing ${s}`);
          const ports = (n.wires || []).length;
          if (n.type === 'oicp-ocpp-status') assert.strictEqual(ports, Number(n.outputs), `${n.id}: outputs and wires disagree`);
        }
        // Every OICP node reports to a Catch node, and every push result is visible.
        const caught = new Set(flow.filter((n) => n.type === 'catch').flatMap((n) => n.scope || []));
        for (const n of flow.filter((x) => types[x.type] && types[x.type] !== 'config')) {
          assert.ok(caught.has(n.id), `no Catch node covers ${n.type} ${n.id}`);
        }
        for (const n of flow.filter((x) => x.type === 'oicp-push-evse-status')) {
          assert.ok(n.wires[0].some((to) => ids.get(to).type === 'debug'), `${n.id} output has no debug node`);
        }
      });
    }

    for (const file of files.slice(0, 4)) {
      it(`${file}: Hubject QA, placeholder OperatorID DE*ABC, tls-config left for the user to fill in`, function () {
        const flow = readExample(file);
        const hub = flow.filter((n) => n.type === 'oicp-hubject-config');
        assert.strictEqual(hub.length, 1);
        assert.strictEqual(hub[0].environment, 'qa');
        assert.strictEqual(hub[0].operatorId, OP);
        assert.strictEqual(hub[0].url, '');
        const tls = flow.filter((n) => n.type === 'tls-config');
        assert.strictEqual(tls.length, 1);
        assert.strictEqual(hub[0].tls, tls[0].id);
        for (const k of ['cert', 'key', 'ca', 'certname', 'keyname', 'caname']) assert.strictEqual(tls[0][k], '', `tls-config ${k} must be empty`);
        assert.strictEqual(tls[0].verifyservercert, true);
        assert.ok(!('credentials' in tls[0]), 'no key material in the example');
        for (const n of flow.filter((x) => x.hubject !== undefined)) assert.strictEqual(n.hubject, hub[0].id);
        // The same config node ids and content in examples 1-4: importing several reuses one Hubject config.
        const first = readExample(files[0]).filter((n) => n.type === 'oicp-hubject-config' || n.type === 'tls-config');
        assert.deepStrictEqual([...hub, ...tls], first);
      });
    }

    it('example 4 wires the push results back into the full load node', function () {
      const flow = readExample(files[3]);
      const ids = byId(flow);
      const fl = flow.find((n) => n.type === 'oicp-full-load');
      const push = flow.find((n) => n.type === 'oicp-push-evse-status');
      assert.ok(fl.wires[0].includes(push.id), 'full load -> push');
      assert.ok(push.wires[0].includes(fl.id), 'push -> full load (acknowledged fullLoads only)');
      assert.strictEqual(fl.time, '03:00');
      assert.strictEqual(fl.onStart, false, 'nothing is sent on deploy before the user fills in the certificate');
      const map = flow.find((n) => n.type === 'oicp-ocpp-status');
      assert.ok(map.wires[0].includes(fl.id));
      assert.ok(flow.some((n) => n.type === 'inject' && n.topic === 'fullLoad' && n.wires[0].includes(fl.id)));
      assert.ok(ids.get(push.wires[0].find((id) => id !== fl.id)).type === 'debug');
    });
  });

  describe('in a real Node-RED', function () {
    this.timeout(120000);
    let sim;
    let contribs;
    let broker;
    const pushes = [];
    const reds = [];

    before(async function () {
      this.timeout(300000);
      contribs = await cachedInstall([`${OCPP16.name}@${OCPP16.version}`, `${OCPP2.name}@${OCPP2.version}`], { label: 'ocpp-contribs' });
      sim = await startSim({ onPush: (body) => pushes.push(body) });
      broker = new MiniMqttBroker();
      await broker.start();
    });

    after(async function () {
      for (const red of reds) {
        await red.stop().catch(() => red.kill());
        red.cleanup();
      }
      if (sim) await sim.sim.stop();
      if (broker) await broker.stop();
    });

    async function startRed(packages, opts = {}) {
      const userDir = makeUserDir('oicp-examples-');
      for (const p of packages) linkPackage(contribs, p, userDir);
      const red = new RedProcess({ userDir, flows: opts.flows || [], env: opts.env });
      reds.push(red);
      await red.start();
      return red;
    }

    async function ports() {
      return { ocpp16: await freePort(), ocpp2: await freePort(), mqtt: broker.port };
    }

    function statusAt(evseId) {
      const s = sim.sim.getState(OP).get(evseId);
      return s && s.EvseStatus;
    }

    /** Imports the example unchanged (but for listening ports) and checks it starts cleanly with all types known. */
    async function importAsIs(red, file, p) {
      const flow = withPorts(readExample(file), p);
      const log = await deploy(red, flow);
      const unexpected = loadProblems(log).filter((l) => !EMPTY_TLS.test(l));
      assert.deepStrictEqual(unexpected, [], `errors after deploying ${file}:\n${log}`);
      const nodes = await red.http('GET', '/nodes', undefined, { accept: 'application/json' });
      assert.strictEqual(nodes.status, 200);
      const known = new Set(nodes.json.filter((s) => s.enabled && !s.err).flatMap((s) => s.types));
      const needed = [...new Set(flow.filter((n) => n.type !== 'tab').map((n) => n.type))];
      assert.deepStrictEqual(needed.filter((t) => !known.has(t)), [], 'node types the runtime does not know');
      const deployed = await red.http('GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
      assert.deepStrictEqual(deployed.json.flows.map((n) => n.id).sort(), flow.map((n) => n.id).sort());
      return flow;
    }

    it('1: loads with node-red-contrib-ocpp 1.3.10; a 1.6J charge point is answered and its status reaches Hubject', async function () {
      const file = files[0];
      const red = await startRed([OCPP16.name]);
      const p = await ports();
      const flow = await importAsIs(red, file, p);
      assert.ok(flow.some((n) => n.type === 'CS server') && flow.some((n) => n.type === 'server response'));

      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);
      const cp = new RPCClient({ endpoint: `ws://127.0.0.1:${p.ocpp16}/ocpp16`, identity: 'CP1', protocols: ['ocpp1.6'], strictMode: false, reconnect: false, callTimeoutMs: 10000 });
      try {
        await cp.connect();
        const boot = await cp.call('BootNotification', { chargePointVendor: 'Example', chargePointModel: 'E1' });
        assert.strictEqual(boot.status, 'Accepted');
        assert.ok(Number.isInteger(boot.interval) && !Number.isNaN(Date.parse(boot.currentTime)));
        assert.deepStrictEqual(await cp.call('StatusNotification', { connectorId: 1, status: 'Available', errorCode: 'NoError' }), {});
        await until(() => statusAt('DE*ABC*ECP1*1') === 'Available', 15000, 'CP1/1 Available at the simulator', () => red.log.slice(-2000));
        assert.deepStrictEqual(await cp.call('StatusNotification', { connectorId: 1, status: 'Charging', errorCode: 'NoError' }), {});
        await until(() => statusAt('DE*ABC*ECP1*1') === 'Occupied', 15000, 'CP1/1 Occupied at the simulator');
        // Unchanged OICP status: the mapper forwards nothing, the charge point is still answered.
        assert.deepStrictEqual(await cp.call('StatusNotification', { connectorId: 1, status: 'SuspendedEV', errorCode: 'NoError' }), {});
        assert.deepStrictEqual(await cp.call('Heartbeat', {}).then((r) => Object.keys(r)), ['currentTime']);
      } finally {
        await cp.close({ force: true }).catch(() => {});
      }
      // The connection drop is an OFFLINE event: the mapper (offline = OutOfService) marks the EVSE out of service.
      await until(() => statusAt('DE*ABC*ECP1*1') === 'OutOfService', 15000, 'CP1/1 OutOfService after disconnect');
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('2: loads with @anl-ioc/node-red-contrib-ocpp2 1.0.1-beta.3; a 2.0.1 station is answered and its status reaches Hubject', async function () {
      const file = files[1];
      const red = await startRed([OCPP2.name]);
      const p = await ports();
      const flow = await importAsIs(red, file, p);
      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);

      // The example's basic-auth pair was imported as the CSMS node's credentials: a wrong password is refused.
      const intruder = new RPCClient({ endpoint: `ws://127.0.0.1:${p.ocpp2}/ocpp2`, identity: 'CS001', password: 'wrong', protocols: ['ocpp2.0.1'], reconnect: false });
      await assert.rejects(intruder.connect());
      await intruder.close({ force: true }).catch(() => {});

      const cs = new RPCClient({ endpoint: `ws://127.0.0.1:${p.ocpp2}/ocpp2`, identity: 'CS001', password: 'change-this-password', protocols: ['ocpp2.0.1'], strictMode: false, reconnect: false, callTimeoutMs: 10000 });
      try {
        await cs.connect();
        const boot = await cs.call('BootNotification', { reason: 'PowerUp', chargingStation: { model: 'E2', vendorName: 'Example' } });
        assert.strictEqual(boot.status, 'Accepted');
        const now = () => new Date().toISOString();
        assert.deepStrictEqual(await cs.call('StatusNotification', { timestamp: now(), connectorStatus: 'Occupied', evseId: 1, connectorId: 1 }), {});
        await until(() => statusAt('DE*ABC*ECS001*1') === 'Occupied', 15000, 'CS001 EVSE 1 Occupied at the simulator', () => red.log.slice(-2000));
        const event = {
          generatedAt: now(), seqNo: 0,
          eventData: [{
            eventId: 1, timestamp: now(), trigger: 'Delta', actualValue: 'Unavailable', eventNotificationType: 'HardWiredNotification',
            component: { name: 'Connector', evse: { id: 2, connectorId: 1 } }, variable: { name: 'AvailabilityState' },
          }],
        };
        assert.deepStrictEqual(await cs.call('NotifyEvent', event), {});
        await until(() => statusAt('DE*ABC*ECS001*2') === 'OutOfService', 15000, 'CS001 EVSE 2 OutOfService at the simulator');
      } finally {
        await cs.close({ force: true }).catch(() => {});
      }
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('3: loads with core nodes only; a JSON status published over MQTT reaches Hubject through the lookup table', async function () {
      const file = files[2];
      const red = await startRed([]);
      const p = await ports();
      const flow = await importAsIs(red, file, p);
      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);
      await until(() => broker.clients.size >= 1, 10000, 'Node-RED connected to the MQTT broker');
      // The example's own test button publishes through the broker; mqtt in, json, the topic rule and the lookup do the rest.
      const inject = flow.find((n) => n.type === 'inject');
      let res;
      await until(async () => {
        res = await red.http('POST', `/inject/${inject.id}`);
        return statusAt('DE*ABC*E1001*1') === 'Occupied';
      }, 20000, 'DE*ABC*E1001*1 Occupied at the simulator', () => `${JSON.stringify(broker.published)}\n${red.log.slice(-2000)}`);
      assert.strictEqual(res.status, 200);
      assert.ok(broker.published.some((m) => m.topic === 'cpo/chargers/CP1/status' && JSON.parse(m.payload).status === 'Charging'));
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('4: loads; statuses pass through as updates, "fullLoad now" sends the acknowledged fullLoad, "remove" deletes', async function () {
      const file = files[3];
      const red = await startRed([]);
      const flow = await importAsIs(red, file, await ports());
      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);
      const injectNamed = (name) => flow.find((n) => n.type === 'inject' && n.name === name).id;
      const press = async (name) => assert.strictEqual((await red.http('POST', `/inject/${injectNamed(name)}`)).status, 200);
      const fullLoads = () => pushes.filter((b) => b.ActionType === 'fullLoad' && b.OperatorEvseStatus.OperatorID === OP);
      const before = fullLoads().length;

      await press('1001/1 Available');
      await press('1001/2 Charging');
      await until(() => statusAt('DE*ABC*E1001*1') === 'Available' && statusAt('DE*ABC*E1001*2') === 'Occupied', 15000,
        'both EVSEs at the simulator', () => red.log.slice(-2000));
      assert.strictEqual(fullLoads().length, before, 'no fullLoad before the trigger (onStart is off)');

      await press('fullLoad now');
      await until(() => fullLoads().length === before + 1, 15000, 'a fullLoad at the simulator', () => red.log.slice(-2000));
      const records = fullLoads()[before].OperatorEvseStatus.EvseStatusRecord.map((r) => `${r.EvseID}=${r.EvseStatus}`);
      assert.deepStrictEqual(records, ['DE*ABC*E1001*1=Available', 'DE*ABC*E1001*2=Occupied']);

      await press('remove charger 1001');
      await until(() => statusAt('DE*ABC*E1001*1') === undefined && statusAt('DE*ABC*E1001*2') === undefined, 15000, 'EVSEs deleted at the simulator', () => `${JSON.stringify(pushes.slice(-3))}\n${red.log.slice(-3000)}`);
      // Removed from the full load too: the next fullLoad would be empty, which the guard holds back.
      const from = red.log.length;
      await press('fullLoad now');
      await until(() => /\[warn\].*oicp-full-load.*empty/i.test(red.log.slice(from)), 10000, 'the empty fullLoad held back with a warning', () => red.log.slice(from));
      assert.strictEqual(fullLoads().length, before + 1);
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('5 (demo): with the simulator\'s URL and certificates in env vars, flows start cleanly and pushes arrive', async function () {
      const client = sim.certs.clients[OP];
      const before = pushes.length;
      const red = await startRed([], {
        flows: readExample(files[4]).map((n) => (n.type === 'debug' ? { ...n, console: true } : n)),
        env: { OICP_SIM_URL: sim.url, OICP_SIM_CERT: client.cert, OICP_SIM_KEY: client.key, OICP_SIM_CA: sim.certs.caCert },
      });
      const ids = ['1001', '1002', '1003'].flatMap((cb) => [1, 2].map((c) => `DE*ABC*E${cb}*${c}`));
      await until(() => ids.every((id) => statusAt(id) !== undefined), 20000, 'the six demo EVSEs at the simulator', () => red.log.slice(-2000));
      await until(() => pushes.slice(before).some((b) => b.ActionType === 'fullLoad'), 20000, 'the fullLoad sent 5 s after start');
      const full = pushes.slice(before).find((b) => b.ActionType === 'fullLoad');
      assert.deepStrictEqual(full.OperatorEvseStatus.EvseStatusRecord.map((r) => r.EvseID), ids);
      assert.deepStrictEqual(problems(red.log), []);
    });
  });
});
