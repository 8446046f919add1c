'use strict';
// CDRs across kill -9 (issue 22): a real Node-RED child takes 500 CDRs while the simulator answers 503, each input
// completes once its CDR is durable, the process is killed, the simulator heals, and after the restart all 500 reach
// the simulator exactly once. The same in a process whose directory opens fail (no directory fsync, as on Windows).
const path = require('path');
require('should');
const { startSim } = require('./support/sim');
const { RedProcess, simEnv } = require('./support/red-process');
const { until, sleep } = require('./support/until');

const N = 500;
const NO_DIR_OPEN = path.join(__dirname, 'fixtures', 'durable', 'no-dir-open.js');
const uuid = (run, n) => `00000000-0000-4000-8${run}00-${String(n).padStart(12, '0')}`;

function flows() {
  return [
    { id: 't1', type: 'tab', label: 'cdr' },
    { id: 'tls1', type: 'tls-config', name: '', cert: '${OICP_SIM_CERT}', key: '${OICP_SIM_KEY}', ca: '${OICP_SIM_CA}', verifyservercert: true },
    {
      id: 'hub1',
      type: 'oicp-hubject-config',
      environment: 'custom',
      url: '${OICP_SIM_URL}',
      operatorId: 'DE*ABC',
      tls: 'tls1',
      timeout: 5,
      retryBase: 0.05,
      retryMax: 0.5,
      cdrRateLimit: 100000,
    },
    { id: 'in1', type: 'http in', z: 't1', url: '/cdr', method: 'post', wires: [['p1']] },
    { id: 'p1', type: 'oicp-push-cdr', z: 't1', hubject: 'hub1', wires: [[]] },
    // The HTTP answer comes when the input is done: the CDR is durable (200) or refused (500).
    { id: 'cmp', type: 'complete', z: 't1', scope: ['p1'], uncaught: false, wires: [['ok']] },
    { id: 'ok', type: 'function', z: 't1', func: 'msg.payload = { persisted: true }; return msg;', outputs: 1, wires: [['res1']] },
    { id: 'c1', type: 'catch', z: 't1', scope: ['p1'], uncaught: false, wires: [['bad']] },
    {
      id: 'bad',
      type: 'function',
      z: 't1',
      func: 'if (!msg.res) return null; msg.statusCode = 500; msg.payload = { error: msg.error.message }; return msg;',
      outputs: 1,
      wires: [['res1']],
    },
    { id: 'res1', type: 'http response', z: 't1', wires: [] },
  ];
}

function cdr(SessionID, i) {
  const wh = 1000 + i;
  return {
    SessionID,
    EvseID: `DE*ABC*E${1000 + (i % 50)}*1`,
    Identification: { RFIDMifareFamilyIdentification: { UID: '04A1B2C3' } },
    ChargingStart: '2026-12-07T10:00:00+01:00',
    ChargingEnd: '2026-12-07T11:00:00+01:00',
    SessionStart: '2026-12-07T10:00:00+01:00',
    SessionEnd: '2026-12-07T11:00:00+01:00',
    MeterValueStart: 0,
    MeterValueEnd: wh / 1000,
    ConsumedEnergy: wh / 1000,
  };
}

describe('CDRs across kill -9 (real Node-RED process, simulator over mutual TLS)', function () {
  this.timeout(240000);
  let sim, certs, url, red;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1, cdrRateLimitPerMinute: 100000 }));
  });
  after(async function () {
    if (red) {
      await red.kill();
      red.cleanup();
    }
    await sim.stop();
  });

  async function run(runId, env = {}) {
    sim.cdrs.clear();
    sim.cdrs.acceptUnknownSessions = true;
    sim.clearFaults();
    sim.injectFault({ kind: 'http', status: 503 });
    red = new RedProcess({ flows: flows(), env: { ...simEnv(certs, url), ...env } });
    await red.start();
    const ids = Array.from({ length: N }, (_, i) => uuid(runId, i));
    // 25 inputs at a time; each answer means the CDR is on disk.
    for (let i = 0; i < N; i += 25) {
      const answers = await Promise.all(ids.slice(i, i + 25).map((id, j) => red.http('POST', '/cdr', cdr(id, i + j))));
      for (const a of answers) a.status.should.equal(200, a.text);
    }
    sim.cdrs.counters.stored.should.equal(0, 'nothing got through the 503 storm');
    (sim.cdrs.counters.received + sim.stats.byStatus[503]).should.be.above(0);

    await red.kill('SIGKILL');
    sim.clearFaults();
    red.log = '';
    await red.start();
    await until(() => sim.cdrs.cdrs.size === N, 120000, `all ${N} CDRs at the simulator`, { every: 100 });
    // Let any stray repeat arrive before counting.
    await sleep(500);
    [...sim.cdrs.cdrs.keys()].sort().should.eql([...ids].sort());
    sim.cdrs.counters.duplicates.should.equal(0);
    sim.cdrs.counters.stored.should.equal(N);
    sim.cdrs.cdrs.get(ids[7]).body.ConsumedEnergy.should.equal(1.007);
    // A CDR given again after the restart is refused locally: its mark came back from disk.
    const again = await red.http('POST', '/cdr', cdr(ids[0], 0));
    again.status.should.equal(500);
    again.json.error.should.match(/acknowledged a CDR/);
    await red.stop();
    red.cleanup();
    red = undefined;
  }

  it(`delivers ${N} of ${N} CDRs queued during a 503 storm, once each, after kill -9 and a restart`, async function () {
    await run(1);
  });

  it(`the same with directory opens failing (no directory fsync, Windows-like)`, async function () {
    await run(2, { NODE_OPTIONS: `-r ${NO_DIR_OPEN}`, OICP_TEST_NO_DIR_OPEN: '1' });
  });
});
