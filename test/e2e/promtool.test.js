'use strict';
// Prometheus' own linter on the demo of `npm start`: `promtool check metrics` (Debian's prometheus package) must
// accept /oicp/metrics with no output at all, once the status lane, the data lane and the full load node have
// traffic. Without promtool the suite skips, and says so; in CI (CI=true) a missing promtool fails it, since
// .ci/run installs it.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { request } = require('undici');
const { freePort, ROOT } = require('../support/red-process');
const { parsePrometheusText } = require('../support/prom-text');
const { until } = require('./support');

// As test/support/openapi.js reads it: CI=1 or CI=true, not CI=0 or CI=false.
const CI = Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI);
const hasPromtool = () => spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

/** promtool check metrics on `text`: its exit status and everything it printed. */
function promtool(text) {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('e2e: promtool check metrics on the demo of npm start', function () {
  this.timeout(180000);
  let demoDir;
  let child;
  let out = '';
  let base;

  before(async function () {
    if (!hasPromtool()) {
      if (CI) throw new Error('promtool is missing: .ci/run installs Debian\'s "prometheus" package');
      console.log('    SKIPPED: promtool not found (apt-get install prometheus); CI=true makes this a failure');
      this.skip();
    }
    demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-promtool-demo-'));
    const ports = { PORT: await freePort(), SIM_PORT: await freePort(), SIM_ADMIN_PORT: await freePort() };
    base = `http://127.0.0.1:${ports.PORT}`;
    child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js')], {
      cwd: ROOT,
      env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), DEMO_DIR: demoDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [child.stdout, child.stderr])
      s.on('data', (d) => {
        out += d.toString();
      });
    await until(
      () => /demo is running/.test(out) || child.exitCode !== null,
      120000,
      'npm start printing "demo is running"',
      () => out.slice(-3000),
    );
    assert.strictEqual(child.exitCode, null, `npm start exited:\n${out}`);
  });

  after(async function () {
    this.timeout(30000);
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    if (demoDir) fs.rmSync(demoDir, { recursive: true, force: true });
  });

  it('is a linter that refuses a gauge named like a histogram part (so its silence below means something)', function () {
    const r = promtool('# HELP oicp_x_count Records.\n# TYPE oicp_x_count gauge\noicp_x_count 1\n');
    assert.match(r.output, /oicp_x_count non-histogram and non-summary metrics should not have "_count" suffix/);
  });

  it('accepts /oicp/metrics with no output once both lanes and the full load node have traffic', async function () {
    let text = '';
    // Every family has samples: acknowledged status and data requests, and the demo's fullLoad at start.
    await until(
      async () => {
        const res = await request(`${base}/oicp/metrics`);
        text = await res.body.text();
        assert.strictEqual(res.statusCode, 200, text);
        const m = parsePrometheusText(text);
        const ok = (family, pred) => (m[family]?.samples ?? []).some(pred);
        return (
          ok('oicp_requests_total', (s) => s.labels.operation === 'status' && s.labels.outcome === 'success' && s.value > 0) &&
          ok('oicp_requests_total', (s) => s.labels.operation === 'data' && s.labels.outcome === 'success' && s.value > 0) &&
          ok('oicp_fullload_last_timestamp_seconds', (s) => s.value > 0)
        );
      },
      90000,
      'status and data acknowledged and a fullLoad sent in /oicp/metrics',
      () => text,
    );
    const r = promtool(text);
    assert.deepStrictEqual(r, { status: 0, output: '' }, `promtool check metrics on:\n${text}`);
  });
});
