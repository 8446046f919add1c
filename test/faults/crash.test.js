'use strict';
// Crash: Node-RED runs as a child process with 1,000 pending changes while Hubject is down. It is killed
// with SIGKILL and restarted, then Hubject comes back. Hubject ends with the truth, and the aggregator's next fullLoad
// holds every EVSE.
require('should');
const fs = require('fs');
const path = require('path');
const { FileOutbox } = require('../../nodes/push/outbox');
const { startSim, pullStatuses, pullViaHttp, statusesFromPull } = require('../support/sim');
const { RedProcess, simConfigNodes, simEnv } = require('../support/red-process');
const { fullLoadDef, until } = require('../support/flows');
const { sleep, mulberry32, report, byKey, diffStatuses } = require('./lib');

const EVSES = 1000;
const STATUSES = ['Available', 'Occupied', 'Reserved', 'OutOfService'];

describe('SIGKILL with 1,000 pending changes while Hubject is down', function () {
  this.timeout(180000);
  let sim, certs, url, red;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2 }));
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
      { id: 't1', type: 'tab', label: 'crash' },
      ...simConfigNodes({ timeout: 5, retryBase: 0.5, retryMax: 2 }),
      // Records: http in -> full load (keeps them, passes them on) -> push; the response confirms the full load took them.
      { id: 'feed', type: 'http in', z: 't1', url: '/feed', method: 'post', wires: [['fl1']] },
      fullLoadDef({ z: 't1', hubject: 'hub1', passThrough: true, wires: [['p1', 'res']] }),
      { id: 'p1', type: 'oicp-push-evse-status', z: 't1', hubject: 'hub1', action: 'update', maxRecords: 500, insertMissing: true, wires: [[]] },
      { id: 'res', type: 'http response', z: 't1', statusCode: '200', headers: {}, wires: [] },
      // GET /fullload triggers the aggregator's fullLoad; it goes to the push node and back as the HTTP answer.
      { id: 'flin', type: 'http in', z: 't1', url: '/fullload', method: 'get', wires: [['topic']] },
      { id: 'topic', type: 'change', z: 't1', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'fullLoad', tot: 'str' }], wires: [['fl1']] },
    ];
  }

  it('delivers the truth after kill -9 and restart, and the next fullLoad holds all 1,000 EVSEs', async function () {
    red = new RedProcess({ flows: flows(), env: simEnv(certs, url) });
    await sim.refuseConnections(true);
    await red.start();

    // Three passes over the 1,000 EVSEs in messages of 100, the later ones changing a random half again.
    const rnd = mulberry32(0x0802);
    const truth = {};
    let changes = 0;
    for (let pass = 0; pass < 3; pass++) {
      for (let b = 0; b < EVSES / 100; b++) {
        const payload = [];
        for (let i = b * 100; i < b * 100 + 100; i++) {
          if (pass > 0 && rnd() < 0.5) continue;
          const EvseStatus = STATUSES[Math.floor(rnd() * STATUSES.length)];
          truth[`DE*ABC*E${i}`] = EvseStatus;
          payload.push({ EvseID: `DE*ABC*E${i}`, EvseStatus });
        }
        changes += payload.length;
        const r = await red.http('POST', '/feed', payload);
        r.status.should.equal(200, r.text);
      }
    }
    Object.keys(truth).length.should.equal(EVSES);

    const outboxDir = path.join(red.userDir, 'oicp', 'outbox');
    const pending = () => {
      try {
        const f = fs.readdirSync(outboxDir).find((x) => x.endsWith('.journal') && !x.includes('-data'));
        const m = {};
        for (const s of FileOutbox.peek(path.join(outboxDir, f.replace(/\.journal$/, '.json')))) for (const r of s.records) m[r.EvseID] = r.EvseStatus;
        return m;
      } catch {
        return {};
      }
    };
    await until(() => diffStatuses(pending(), truth).length === 0, 20000, 'the outbox holds the latest 1,000 changes');
    await sleep(1000); // the full load journal is written every 250 ms
    const pendingBeforeKill = Object.keys(pending()).length;
    await red.kill('SIGKILL');
    Object.keys(pullStatuses(sim)).length.should.equal(0);

    await red.start();
    await sleep(500); // restarted while Hubject is still down
    const backAt = Date.now();
    await sim.refuseConnections(false);
    await until(() => diffStatuses(pullStatuses(sim), truth).length === 0, 60000, 'Hubject holds the truth');
    const deliveredMs = Date.now() - backAt;
    const pulled = statusesFromPull(await pullViaHttp(url, certs));
    diffStatuses(truth, pulled).should.eql([]);

    // The aggregator restored every EVSE from its journal: its next fullLoad holds all of them.
    const fl = await red.http('GET', '/fullload');
    fl.status.should.equal(200, fl.text);
    fl.json.length.should.equal(EVSES);
    const flMap = {};
    for (const r of fl.json) flMap[r.EvseID] = r.EvseStatus;
    diffStatuses(truth, flMap).should.eql([]);
    // ...and it lands whole: Hubject still equals the truth afterwards.
    await until(() => sim.requestLog.some((l) => l.kind === 'push' && l.action === 'fullLoad' && l.code === '000'), 20000, 'the fullLoad was accepted');
    const fullLoadReq = sim.requestLog.find((l) => l.kind === 'push' && l.action === 'fullLoad');
    fullLoadReq.records.should.equal(EVSES);
    const after = statusesFromPull(await pullViaHttp(url, certs));
    diffStatuses(truth, after).should.eql([]);
    byKey(after).should.eql(byKey(truth));
    sim.stats.overlaps.should.equal(0);
    red.log.should.not.match(/oicp-(push-evse-status|full-load|hubject-config).*(failed|unknown format|not restored)/i);

    report('crash', {
      changes,
      evses: EVSES,
      pendingBeforeKill,
      lost: diffStatuses(truth, pulled).length,
      deliveredAfterBackMs: deliveredMs,
      fullLoadRecords: fl.json.length,
      requests: sim.stats.pushes,
      overlaps: sim.stats.overlaps,
    });
  });
});
