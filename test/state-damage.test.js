'use strict';
// Issue 19, rows 13-19: state files under <userDir>/oicp that are damaged or cannot be written, in a real Node-RED
// process (test/support/red-process.js) against the simulator over mutual TLS.
require('should');
const fs = require('fs');
const path = require('path');
const { startSim, pullStatuses } = require('./support/sim');
const { RedProcess, makeUserDir, simEnv, simConfigNodes } = require('./support/red-process');
const { until } = require('./support/flows');
const { sleep } = require('./support/until');
const { readHeld } = require('./support/state');
const { gatePath } = require('../nodes/status/registry');

const id = (n) => `DE*ABC*E${n}*1`;

/** A push node p1 behind /feed, its status readable at /status (status node -> global context). */
function statusFlow(hub) {
  return [
    { id: 't1', type: 'tab', label: 'state' },
    ...simConfigNodes({ timeout: 2, retryBase: 0.2, retryMax: 1, ...hub }),
    { id: 'in1', type: 'http in', z: 't1', url: '/feed', method: 'post', wires: [['p1', 'res1']] },
    { id: 'p1', type: 'oicp-push-evse-status', z: 't1', hubject: 'hub1', action: 'update', wires: [[]] },
    { id: 'res1', type: 'http response', z: 't1', statusCode: '200', wires: [] },
    { id: 'st1', type: 'status', z: 't1', scope: ['p1'], wires: [['fs1']] },
    { id: 'fs1', type: 'function', z: 't1', func: "global.set('p1status', msg.status); return null;", outputs: 0, wires: [] },
    { id: 'in2', type: 'http in', z: 't1', url: '/status', method: 'get', wires: [['fs2']] },
    { id: 'fs2', type: 'function', z: 't1', func: "msg.payload = global.get('p1status') || {}; return msg;", outputs: 1, wires: [['res2']] },
    { id: 'res2', type: 'http response', z: 't1', statusCode: '200', wires: [] },
  ];
}

const record = (i, name) => ({
  EvseID: id(i),
  ChargingStationNames: [{ lang: 'de', value: name }],
  Address: { Country: 'DEU', City: 'Berlin', Street: 'EUREF Campus', PostalCode: '10829', HouseNum: String(i) },
  GeoCoordinates: { Google: { Coordinates: '52.480495 13.356465' } },
  Plugs: ['Type 2 Outlet'],
  ChargingFacilities: [{ PowerType: 'AC_3_PHASE', Power: 22 }],
  RenewableEnergy: false,
  CalibrationLawDataAvailability: 'Not Available',
  AuthenticationModes: ['REMOTE'],
  PaymentOptions: ['Contract'],
  ValueAddedServices: ['None'],
  Accessibility: 'Free publicly accessible',
  HotlinePhoneNumber: '+4930123456',
  IsOpen24Hours: true,
  IsHubjectCompatible: true,
  DynamicInfoAvailable: 'false',
});

/** A data node d1 behind /data (its status at /status) and, behind /feed, a status push node p1. */
function dataFlow(hub = {}) {
  return [
    { id: 't1', type: 'tab', label: 'state' },
    ...simConfigNodes({ operatorName: 'Demo CPO', timeout: 2, retryBase: 0.2, retryMax: 1, ...hub }),
    { id: 'in1', type: 'http in', z: 't1', url: '/data', method: 'post', wires: [['fm1', 'res1']] },
    // A body {topic, action, payload} becomes those message properties; an array stays the payload.
    {
      id: 'fm1',
      type: 'function',
      z: 't1',
      func: 'const b = msg.payload; if (b && !Array.isArray(b)) { delete msg.payload; Object.assign(msg, b); } return msg;',
      outputs: 1,
      wires: [['d1']],
    },
    { id: 'd1', type: 'oicp-push-evse-data', z: 't1', hubject: 'hub1', action: 'auto', time: '', minRatio: 0.5, wires: [[]] },
    { id: 'res1', type: 'http response', z: 't1', statusCode: '200', wires: [] },
    { id: 'in3', type: 'http in', z: 't1', url: '/feed', method: 'post', wires: [['p1', 'res3']] },
    { id: 'p1', type: 'oicp-push-evse-status', z: 't1', hubject: 'hub1', action: 'update', wires: [[]] },
    { id: 'res3', type: 'http response', z: 't1', statusCode: '200', wires: [] },
    { id: 'st1', type: 'status', z: 't1', scope: ['d1'], wires: [['fs1']] },
    { id: 'fs1', type: 'function', z: 't1', func: "global.set('d1status', msg.status); return null;", outputs: 0, wires: [] },
    { id: 'in2', type: 'http in', z: 't1', url: '/status', method: 'get', wires: [['fs2']] },
    { id: 'fs2', type: 'function', z: 't1', func: "msg.payload = global.get('d1status') || {}; return msg;", outputs: 1, wires: [['res2']] },
    { id: 'res2', type: 'http response', z: 't1', statusCode: '200', wires: [] },
  ];
}

/** Cuts a file to `frac` of its length. */
function cut(file, frac) {
  const buf = fs.readFileSync(file);
  fs.writeFileSync(file, buf.subarray(0, Math.floor(buf.length * frac)));
}

/** Names of the operator's EVSE data store files (one store per operator, under oicp/evse-data/<operator>-<hash>). */
function storeFiles(userDir) {
  const base = path.join(userDir, 'oicp', 'evse-data');
  try {
    return fs.readdirSync(base).flatMap((d) => fs.readdirSync(path.join(base, d)).map((n) => path.join(base, d, n)));
  } catch {
    return [];
  }
}

describe('state files that are damaged or cannot be written (issue 19, rows 13-19; real Node-RED)', function () {
  this.timeout(180000);
  let sim, certs, url;
  const reds = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1 }));
  });
  afterEach(async function () {
    for (const r of reds.splice(0)) {
      await r.kill();
      r.cleanup();
    }
  });
  after(async function () {
    await sim.stop();
  });

  function red(flows, userDir = makeUserDir()) {
    const r = new RedProcess({ userDir, flows, env: simEnv(certs, url) });
    reds.push(r);
    return r;
  }
  const status = async (r) => (await r.http('GET', '/status')).json || {};

  it('row 13: a gate file of garbage does not stop the config node; it is renamed aside, logged at error level, and the push node is yellow naming it', async function () {
    const userDir = makeUserDir();
    const file = gatePath(userDir, 'DE*ABC', url);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"version":1,"operatorId":"DE*ABC","held":[{"action":"update","since":1,"rec');
    const r = red(statusFlow({ statusGate: 'off' }), userDir);
    await r.start();
    (await r.http('POST', '/feed', [{ EvseID: id(1), EvseStatus: 'Occupied' }])).status.should.equal(200);
    await until(() => pullStatuses(sim)[id(1)] === 'Occupied', 20000, 'the status goes out');
    await until(async () => (await status(r)).fill === 'yellow', 10000, 'the push node turns yellow');
    r.log.should.match(new RegExp(`\\[error\\].*${path.basename(file).replace(/[.*]/g, '\\$&')}.*damaged`));
    fs.readdirSync(path.dirname(file))
      .some((n) => n.startsWith(`${path.basename(file)}.damaged-`))
      .should.equal(true);
    const st = await status(r);
    st.fill.should.equal('yellow');
    st.text.should.match(new RegExp(path.basename(file).slice(0, 8).replace(/[.*]/g, '\\$&')));
  });

  it('row 13: held statuses cut in half across kill -9: the readable part stays held, recovered and lost counts are logged, the node is yellow', async function () {
    const r = red(statusFlow({ statusGate: 'on' }));
    await r.start();
    const feed = [];
    for (let i = 0; i < 300; i++) feed.push({ EvseID: id(100 + i), EvseStatus: 'Occupied' });
    (await r.http('POST', '/feed', feed)).status.should.equal(200);
    const gateDir = path.join(r.userDir, 'oicp', 'gate');
    await until(() => readHeld(gateDir).length === 300, 20000, '300 held statuses on disk');
    // Let the write's fsync and synced-length header land: a cut past it would be a torn tail, not damage.
    await sleep(700);
    await r.kill('SIGKILL');
    const journal = fs.readdirSync(gateDir).find((n) => n.endsWith('.journal'));
    const buf = fs.readFileSync(path.join(gateDir, journal));
    fs.writeFileSync(path.join(gateDir, journal), buf.subarray(0, buf.length >> 1));
    r.log = '';
    await r.start();
    const m = /\[error\].*damaged: (\d+) entries recovered, at least (\d+) lost/.exec(r.log);
    (m !== null).should.equal(true, r.log.slice(-2000));
    const recovered = Number(m[1]);
    recovered.should.be.within(100, 299);
    readHeld(gateDir).length.should.equal(recovered);
    await until(async () => (await status(r)).fill === 'yellow', 10000, 'the push node turns yellow');
  });

  it('row 14: the data outbox cut in half across kill -9: the data node starts, sends the readable records, is yellow and logs the file', async function () {
    const r = red(dataFlow());
    await r.start();
    await sim.refuseConnections(true);
    const recs = [];
    for (let i = 0; i < 300; i++) recs.push(record(1000 + i, 'pending'));
    (await r.http('POST', '/data', recs)).status.should.equal(200);
    const outboxDir = path.join(r.userDir, 'oicp', 'outbox');
    const dataFiles = () => {
      try {
        return fs.readdirSync(outboxDir).filter((n) => n.includes('-data'));
      } catch {
        return [];
      }
    };
    const size = () => dataFiles().reduce((a, n) => a + fs.statSync(path.join(outboxDir, n)).size, 0);
    await until(() => size() > 300 * 400, 20000, 'the 300 records in the data outbox');
    // Killed once the outbox is synced: a cut inside what was synced is damage; a cut past it would be the torn tail
    // of an interrupted write, which is dropped with a warning.
    let last = -1;
    await until(
      async () => {
        const now = size();
        const still = now === last;
        last = now;
        if (!still) await sleep(700);
        return still;
      },
      20000,
      'the data outbox written and synced',
    );
    await r.kill('SIGKILL');
    for (const n of dataFiles()) cut(path.join(outboxDir, n), 0.5);
    r.log = '';
    await r.start();
    await sim.refuseConnections(false);
    await until(() => sim.getData('DE*ABC').size >= 100, 30000, 'the readable records reach Hubject', { describe: () => r.log.slice(-1500) });
    r.log.should.match(/\[error\].*-data\.json.*damaged/, `${fs.readdirSync(outboxDir).join(' ')}\n${r.log.slice(-2000)}`);
    // The status view throttles: the yellow status may follow the first sends by up to its interval.
    let seen = {};
    await until(async () => (seen = await status(r)).fill === 'yellow', 10000, 'the data node turns yellow', { describe: () => JSON.stringify(seen) });
    // New input still works.
    (await r.http('POST', '/data', [record(2000, 'after')])).status.should.equal(200);
    await until(() => sim.getData('DE*ABC').has(id(2000)), 20000, 'a new record goes out');
  });

  for (const row of [
    {
      n: 15,
      what: "the store's snapshot cut to 60 %",
      damage: (files) =>
        cut(
          files.find((f) => /(snapshot|evse-data)\.jsonl$/.test(f)),
          0.6,
        ),
    },
    {
      n: 16,
      what: 'the journal cut mid-file',
      damage: (files) =>
        cut(
          files.find((f) => /journal/.test(f) && fs.statSync(f).size > 1000),
          0.5,
        ),
      updates: true,
    },
    {
      n: 17,
      what: 'a snapshot of garbage',
      damage: (files) =>
        fs.writeFileSync(
          files.find((f) => /(snapshot|evse-data)\.jsonl$/.test(f)),
          'garbage\n'.repeat(50),
        ),
    },
  ]) {
    it(`row ${row.n}: ${row.what}: the store is incomplete, the node yellow naming the file, and the stored fullLoad is guarded`, async function () {
      sim.resetData?.('DE*ABC');
      const r = red(dataFlow());
      await r.start();
      const recs = [];
      for (let i = 0; i < 200; i++) recs.push(record(3000 + i, 'first'));
      sim.resetStats();
      (await r.http('POST', '/data', { action: 'fullLoad', payload: recs })).status.should.equal(200);
      // Acknowledged by Hubject (an earlier row left the same EVSEs at the simulator, so its data alone says nothing).
      await until(() => sim.requestLog.some((e) => e.kind === 'push' && e.action === 'fullLoad' && e.code === '000'), 30000, 'the fullLoad at Hubject');
      if (row.updates) {
        (
          await r.http(
            'POST',
            '/data',
            recs.slice(0, 100).map((x, i) => record(3000 + i, 'second')),
          )
        ).status.should.equal(200);
        await until(() => sim.getData('DE*ABC').get(id(3099))?.ChargingStationNames[0].value === 'second', 30000, 'the updates at Hubject', {
          describe: () => `${r.log.slice(-1500)} ${JSON.stringify(sim.getData('DE*ABC').get(id(3099)))}`,
        });
      }
      // The store writes within 250 ms; a restart compacts its journal into a snapshot soon after.
      await new Promise((res) => setTimeout(res, 1000));
      await r.kill('SIGKILL');
      if (!row.updates) {
        // A restart compacts the journal into the snapshot that rows 15 and 17 damage.
        r.log = '';
        await r.start();
        await new Promise((res) => setTimeout(res, 1000));
        await r.kill('SIGKILL');
      }
      row.damage(storeFiles(r.userDir));
      r.log = '';
      await r.start();
      r.log.should.match(/\[error\].*evse-data.*damaged/);
      await until(async () => (await status(r)).fill === 'yellow', 10000, 'the data node turns yellow');
      const st = await status(r);
      st.fill.should.equal('yellow');
      st.text.should.match(/evse-data/);
      sim.resetStats();
      (await r.http('POST', '/data', { topic: 'fullLoad' })).status.should.equal(200);
      await until(() => /guarded.*incomplete|incomplete.*guarded/i.test(r.log), 10000, 'the stored fullLoad is guarded', {
        describe: () => r.log.slice(-1500),
      });
      sim.requestLog.filter((e) => e.kind === 'push' && e.action === 'fullLoad').should.have.length(0);
      [...sim.getData('DE*ABC').keys()].filter((k) => k.includes('E3')).length.should.equal(200);
      if (row.updates) sim.getData('DE*ABC').get(id(3099)).ChargingStationNames[0].value.should.equal('second');
    });
  }

  it('row 18: a state directory that cannot be written: the data node stays sending, turns yellow with the path and EROFS, the log and the metric say so', async function () {
    const r = red(dataFlow({ statusGate: 'on' }));
    r.env.NODE_OPTIONS = `--require ${path.join(__dirname, 'fixtures', 'journal', 'fail-writes.js')}`;
    await r.start();
    (await r.http('POST', '/data', [record(4000, 'first')])).status.should.equal(200);
    await until(() => sim.getData('DE*ABC').has(id(4000)), 20000, 'first record at Hubject');
    fs.writeFileSync(path.join(r.userDir, 'FAIL_WRITES'), 'EROFS');
    (await r.http('POST', '/data', [record(4000, 'second')])).status.should.equal(200);
    await until(() => sim.getData('DE*ABC').get(id(4000)).ChargingStationNames[0].value === 'second', 20000, 'still sending');
    await until(async () => /EROFS/.test((await status(r)).text || ''), 10000, 'yellow with the error');
    const st = await status(r);
    st.fill.should.equal('yellow');
    st.text.should.match(/not (persisted|written)/);
    r.log.should.match(/\[error\].*evse-data.*EROFS/);
    // The gate names the real error, not ENOENT.
    (await r.http('POST', '/feed', [{ EvseID: id(4001), EvseStatus: 'Occupied' }])).status.should.equal(200);
    await until(() => /\[error\].*EROFS.*gate|gate.*EROFS/i.test(r.log) || /held statuses not written.*EROFS/.test(r.log), 10000, 'the gate names EROFS', {
      describe: () => r.log.slice(-1500),
    });
    r.log.should.not.match(/ENOENT/);
    // The store writes within 250 ms of an acknowledgement; the metric counts its failure then.
    await until(
      async () => /oicp_state_write_errors_total\{kind="evse-data"\} [1-9]/.test((await r.http('GET', '/oicp/metrics')).text),
      10000,
      'the metric counts the failed store write',
      {
        describe: () => r.log.slice(-2000),
      },
    );
  });

  it('row 19: a full disk: sending carries on and the store keeps one journal file across retries', async function () {
    const r = red(dataFlow());
    r.env.NODE_OPTIONS = `--require ${path.join(__dirname, 'fixtures', 'journal', 'fail-writes.js')}`;
    await r.start();
    (await r.http('POST', '/data', [record(5000, 'first')])).status.should.equal(200);
    await until(() => sim.getData('DE*ABC').has(id(5000)), 20000, 'first record at Hubject');
    await new Promise((res) => setTimeout(res, 500));
    fs.writeFileSync(path.join(r.userDir, 'FAIL_WRITES'), 'ENOSPC');
    (await r.http('POST', '/data', [record(5000, 'second')])).status.should.equal(200);
    await until(() => sim.getData('DE*ABC').get(id(5000)).ChargingStationNames[0].value === 'second', 20000, 'still sending');
    // Retries every second for 5 s.
    await new Promise((res) => setTimeout(res, 5000));
    storeFiles(r.userDir)
      .filter((f) => /journal/.test(path.basename(f)))
      .should.have.length(1);
    (await status(r)).text.should.match(/ENOSPC/);
    fs.rmSync(path.join(r.userDir, 'FAIL_WRITES'));
    await until(async () => !/ENOSPC/.test((await status(r)).text || ''), 10000, 'the status clears once space is back');
  });
});
