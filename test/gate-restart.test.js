'use strict';
require('should');
const fs = require('fs');
const path = require('path');
const { startSim, pullStatuses } = require('./support/sim');
const { RedProcess, makeUserDir } = require('./support/red-process');
const { until } = require('./support/flows');
const { readHeld } = require('./support/state');

const FIXTURE = path.join(__dirname, 'fixtures', 'gate-source');
const id = (n) => `DE*ABC*E${n}*1`;

// Held statuses across kill -9: a real Node-RED child process, a test data source standing in for the data node.
describe('status gate across kill -9 (real Node-RED process)', function () {
  this.timeout(120000);
  let sim, certs, url, red;
  const applied = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({
      latencyMs: 1,
      onApplied: (_op, records) => {
        for (const r of records) applied.push(`${r.EvseID}=${r.EvseStatus}`);
      },
    }));
  });
  after(async function () {
    if (red) {
      await red.kill();
      red.cleanup();
    }
    await sim.stop();
  });

  function flows() {
    return [
      { id: 't1', type: 'tab', label: 'gate' },
      { id: 'tls1', type: 'tls-config', name: '', cert: '${OICP_SIM_CERT}', key: '${OICP_SIM_KEY}', ca: '${OICP_SIM_CA}', verifyservercert: true },
      {
        id: 'hub1',
        type: 'oicp-hubject-config',
        environment: 'custom',
        url: '${OICP_SIM_URL}',
        operatorId: 'DE*ABC',
        tls: 'tls1',
        timeout: 2,
        retryBase: 0.2,
        retryMax: 1,
        statusGate: 'auto',
        holdMaxHours: 24,
      },
      { id: 'in1', type: 'http in', z: 't1', url: '/feed', method: 'post', wires: [['p1', 'res1']] },
      { id: 'p1', type: 'oicp-push-evse-status', z: 't1', hubject: 'hub1', action: 'update', wires: [[]] },
      { id: 'res1', type: 'http response', z: 't1', statusCode: '200', wires: [] },
      { id: 'in2', type: 'http in', z: 't1', url: '/ack', method: 'post', wires: [['ds1']] },
      { id: 'ds1', type: 'oicp-test-data-source', z: 't1', hubject: 'hub1', wires: [['res2']] },
      { id: 'res2', type: 'http response', z: 't1', statusCode: '200', wires: [] },
    ];
  }

  it('keeps held statuses through SIGKILL and sends them once their data is acknowledged after the restart', async function () {
    const client = certs.clients['DE*ABC'];
    const userDir = makeUserDir();
    fs.symlinkSync(FIXTURE, path.join(userDir, 'node_modules', 'oicp-test-data-source'), 'dir');
    red = new RedProcess({
      userDir,
      flows: flows(),
      env: { OICP_SIM_URL: url, OICP_SIM_CERT: client.cert, OICP_SIM_KEY: client.key, OICP_SIM_CA: certs.caCert },
    });
    await red.start();
    (await red.http('POST', '/ack', [id(9)])).status.should.equal(200);
    const feed = [
      { EvseID: id(1), EvseStatus: 'Occupied' },
      { EvseID: id(2), EvseStatus: 'Reserved' },
      { EvseID: id(3), EvseStatus: 'OutOfService' },
      { EvseID: id(9), EvseStatus: 'Occupied' },
    ];
    (await red.http('POST', '/feed', feed)).status.should.equal(200);
    await until(() => pullStatuses(sim)[id(9)] === 'Occupied', 20000, 'the EVSE with data is sent');

    const gateDir = path.join(red.userDir, 'oicp', 'gate');
    const held = () => readHeld(gateDir);
    await until(() => held().length === 3, 10000, 'the three held statuses are on disk');
    held().should.eql([`${id(1)}=Occupied`, `${id(2)}=Reserved`, `${id(3)}=OutOfService`]);
    await red.kill('SIGKILL');
    Object.keys(pullStatuses(sim)).should.eql([id(9)]);

    // start() waits for "Started flows" in the log: only this start's log counts.
    red.log = '';
    await red.start();
    const ack = await red.http('POST', '/ack', [id(3), id(1)]);
    ack.status.should.equal(200);
    ack.json.should.eql({ acknowledged: 2, held: 1 });
    // (E9 may be sent once more: the outbox is at-least-once across kill -9.)
    const released = () => applied.filter((a) => !a.startsWith(id(9)));
    await until(() => released().length === 2, 20000, 'the released statuses are sent', { describe: () => applied.join(' ') });
    released().should.eql([`${id(1)}=Occupied`, `${id(3)}=OutOfService`]);
    pullStatuses(sim).should.eql({ [id(9)]: 'Occupied', [id(1)]: 'Occupied', [id(3)]: 'OutOfService' });
    await until(() => held().length === 1, 10000, 'one status still held on disk');
    held().should.eql([`${id(2)}=Reserved`]);
    sim.stats.overlaps.should.equal(0);
  });
});
