'use strict';
require('should');
const { FileOutbox } = require('../nodes/push/outbox');
const fs = require('fs');
const path = require('path');
const { startSim } = require('./support/sim');
const { RedProcess } = require('./support/red-process');
const { until } = require('./support/flows');
const { gatePath } = require('../nodes/status/registry');

// The data node across kill -9: records Hubject acknowledged (the store) and data still pending (the data lane's outbox).
describe('push evse data across kill -9 (real Node-RED process)', function () {
  this.timeout(120000);
  let sim, certs, url, red;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1 }));
  });
  after(async function () {
    if (red) {
      await red.kill();
      red.cleanup();
    }
    await sim.stop();
  });

  const id = (i) => `DE*ABC*E${String(i).padStart(4, '0')}*1`;
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

  function flows() {
    return [
      { id: 't1', type: 'tab', label: 'restart' },
      { id: 'tls1', type: 'tls-config', name: '', cert: '${OICP_SIM_CERT}', key: '${OICP_SIM_KEY}', ca: '${OICP_SIM_CA}', verifyservercert: true },
      {
        id: 'hub1',
        type: 'oicp-hubject-config',
        environment: 'custom',
        url: '${OICP_SIM_URL}',
        operatorId: 'DE*ABC',
        operatorName: 'Demo CPO',
        tls: 'tls1',
        timeout: 2,
        retryBase: 0.2,
        retryMax: 1,
      },
      { id: 'in1', type: 'http in', z: 't1', url: '/data', method: 'post', wires: [['d1', 'res1']] },
      { id: 'd1', type: 'oicp-push-evse-data', z: 't1', hubject: 'hub1', action: 'auto', time: '', minRatio: 0.5, wires: [[]] },
      { id: 'res1', type: 'http response', z: 't1', statusCode: '200', wires: [] },
    ];
  }

  it('keeps acknowledged records and pending data through SIGKILL: after the restart, changes go as update and new EVSEs as insert', async function () {
    const client = certs.clients['DE*ABC'];
    red = new RedProcess({ flows: flows(), env: { OICP_SIM_URL: url, OICP_SIM_CERT: client.cert, OICP_SIM_KEY: client.key, OICP_SIM_CA: certs.caCert } });
    await red.start();
    (
      await red.http(
        'POST',
        '/data',
        [1, 2, 3].map((i) => record(i, 'first')),
      )
    ).status.should.equal(200);
    await until(() => sim.getData('DE*ABC').size === 3, 20000, 'three records at the simulator');
    // The store writes within 250 ms of the acknowledgement.
    // One store per operator, shared by its data nodes: <userDir>/oicp/evse-data/<operator>-<hash>.
    const storeRoot = path.join(red.userDir, 'oicp', 'evse-data');
    const storeDir = () => path.join(storeRoot, fs.readdirSync(storeRoot)[0]);
    await until(
      () =>
        fs.existsSync(storeRoot) &&
        fs.readdirSync(storeRoot).length === 1 &&
        fs.readdirSync(storeDir()).some((f) => fs.readFileSync(path.join(storeDir(), f), 'utf8').includes(id(3))),
      10000,
      'store written',
    );

    await sim.refuseConnections(true);
    (await red.http('POST', '/data', [record(1, 'second'), record(2, 'second'), record(4, 'new')])).status.should.equal(200);
    const outboxDir = path.join(red.userDir, 'oicp', 'outbox');
    const pending = () => {
      try {
        const f = fs.readdirSync(outboxDir).find((x) => x.endsWith('-data.journal'));
        return FileOutbox.peek(path.join(outboxDir, f.replace(/\.journal$/, '.json')))
          .flatMap((s) => s.records.map((r) => `${s.action} ${r.EvseID}`))
          .sort();
      } catch {
        return [];
      }
    };
    await until(() => pending().length === 3, 20000, 'data outbox holds the three changes');
    pending().should.eql([`insert ${id(4)}`, `update ${id(1)}`, `update ${id(2)}`]);
    await red.kill('SIGKILL');

    await red.start();
    await sim.refuseConnections(false);
    await until(
      () => {
        const d = sim.getData('DE*ABC');
        return d.size === 4 && d.get(id(1)).ChargingStationNames[0].value === 'second' && d.get(id(2)).ChargingStationNames[0].value === 'second';
      },
      60000,
      'the simulator holds the changes made before the kill',
    );
    // A change after the restart: the restored store knows EVSE 3, so auto sends update, and Hubject accepts it.
    sim.resetStats();
    (await red.http('POST', '/data', [record(3, 'third')])).status.should.equal(200);
    await until(() => sim.getData('DE*ABC').get(id(3)).ChargingStationNames[0].value === 'third', 20000, 'update after restart');
    sim.requestLog
      .filter((e) => e.kind === 'push')
      .map((e) => `${e.action} ${e.code}`)
      .should.eql(['update 000']);
    sim.stats.overlaps.should.equal(0);
    red.log.should.not.match(/BEGIN (EC |RSA )?PRIVATE KEY/);
  });
  // Row 8 of issue 19: the operator's store is read before the data node registers with the gate, so a held status
  // restored from disk whose EVSE data is in the restored store goes out at once, not at its next status.
  it('after kill -9, a held status whose data is in the restored store goes out at once', async function () {
    sim.clearState();
    const client = certs.clients['DE*ABC'];
    const withStatus = [
      ...flows(),
      { id: 's1', type: 'oicp-push-evse-status', z: 't1', hubject: 'hub1', action: 'update', wires: [[]] },
      { id: 'in2', type: 'http in', z: 't1', url: '/status', method: 'post', wires: [['s1', 'res2']] },
      { id: 'res2', type: 'http response', z: 't1', statusCode: '200', wires: [] },
    ];
    if (red) {
      await red.kill();
      red.cleanup();
    }
    red = new RedProcess({ flows: withStatus, env: { OICP_SIM_URL: url, OICP_SIM_CERT: client.cert, OICP_SIM_KEY: client.key, OICP_SIM_CA: certs.caCert } });
    await red.start();
    (await red.http('POST', '/data', [record(1, 'first')])).status.should.equal(200);
    await until(() => sim.getData('DE*ABC').size === 1, 20000, 'data at the simulator');
    // Wherever the store lives (per node before issue 19, per operator now): a file under evse-data* that holds EVSE 1.
    const holds = (dir) =>
      fs.existsSync(dir) &&
      fs
        .readdirSync(dir, { withFileTypes: true })
        .some((e) =>
          e.isDirectory() ? holds(path.join(dir, e.name)) : /evse-data/.test(dir) && fs.readFileSync(path.join(dir, e.name), 'utf8').includes(id(1)),
        );
    await until(() => holds(path.join(red.userDir, 'oicp')), 10000, 'store written');
    await red.kill('SIGKILL');
    // The kill fell between the store's write and the gate's: the gate file still holds EVSE 1's status.
    const file = gatePath(red.userDir, 'DE*ABC', url);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const held = [{ action: 'update', since: Date.now(), record: { EvseID: id(1), EvseStatus: 'Occupied' } }];
    fs.writeFileSync(file, JSON.stringify({ version: 1, operatorId: 'DE*ABC', savedAt: new Date().toISOString(), held }));

    await red.start();
    await until(() => sim.getStatus('DE*ABC', id(1)) === 'Occupied', 20000, 'the held status at the simulator');
  });
});
