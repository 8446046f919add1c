'use strict';
require('should');
const { FileOutbox } = require('../nodes/push/outbox');
const fs = require('fs');
const path = require('path');
const { startSim, pullStatuses } = require('./support/sim');
const { RedProcess, simConfigNodes, simEnv } = require('./support/red-process');
const { until, sameStatuses } = require('./support/flows');

// The push node's outbox across kill -9: a real Node-RED child process, the simulator down, then back.
describe('push evse status across kill -9 (real Node-RED process)', function () {
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

  function flows() {
    return [
      { id: 't1', type: 'tab', label: 'restart' },
      ...simConfigNodes({ timeout: 2, retryBase: 0.2, retryMax: 1 }),
      { id: 'in1', type: 'http in', z: 't1', url: '/feed', method: 'post', wires: [['p1', 'res1']] },
      { id: 'p1', type: 'oicp-push-evse-status', z: 't1', hubject: 'hub1', action: 'update', maxRecords: 500, insertMissing: true, wires: [[]] },
      { id: 'res1', type: 'http response', z: 't1', statusCode: '200', wires: [] },
    ];
  }

  it('keeps 1,000 pending changes through SIGKILL and delivers them after the restart', async function () {
    red = new RedProcess({ flows: flows(), env: simEnv(certs, url) });
    await red.start();
    await sim.refuseConnections(true);
    const truth = {};
    for (let i = 0; i < 1000; i++) truth[`DE*ABC*E${i}`] = ['Available', 'Occupied', 'OutOfService', 'Reserved'][i % 4];
    // Ten messages of 100 changes each, then one change on top for EVSEs already pending (coalesced).
    for (let b = 0; b < 10; b++) {
      const payload = Object.keys(truth)
        .slice(b * 100, b * 100 + 100)
        .map((id) => ({ EvseID: id, EvseStatus: 'Available' }));
      (await red.http('POST', '/feed', payload)).status.should.equal(200);
    }
    const last = Object.entries(truth).map(([EvseID, EvseStatus]) => ({ EvseID, EvseStatus }));
    (await red.http('POST', '/feed', last)).status.should.equal(200);

    const outboxDir = path.join(red.userDir, 'oicp', 'outbox');
    const pending = () => {
      try {
        const f = fs.readdirSync(outboxDir).filter((x) => x.endsWith('.journal'))[0];
        const m = {};
        for (const s of FileOutbox.peek(path.join(outboxDir, f.replace(/\.journal$/, '.json')))) for (const r of s.records) m[r.EvseID] = r.EvseStatus;
        return m;
      } catch {
        return {};
      }
    };
    await until(() => sameStatuses(pending(), truth), 20000, 'outbox holds the latest 1,000 changes');
    await red.kill('SIGKILL');
    Object.keys(pullStatuses(sim)).length.should.equal(0);

    await red.start();
    await sim.refuseConnections(false);
    await until(() => sameStatuses(pullStatuses(sim), truth), 60000, 'simulator state equals the truth');
    sim.stats.overlaps.should.equal(0);
    red.log.should.not.match(/BEGIN (EC |RSA )?PRIVATE KEY/);
  });
});
