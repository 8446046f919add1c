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
const { RedProcess, freePort, ROOT } = require('../support/red-process');
const { parsePrometheusText, valueOf } = require('../support/prom-text');
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

/** In a before hook: skips without promtool, and says so; fails under CI=true. */
function needPromtool(ctx) {
  if (hasPromtool()) return;
  if (CI) throw new Error('promtool is missing: .ci/run installs Debian\'s "prometheus" package');
  console.log('    SKIPPED: promtool not found (apt-get install prometheus); CI=true makes this a failure');
  ctx.skip();
}

describe('e2e: promtool check metrics on the demo of npm start', function () {
  this.timeout(180000);
  let demoDir;
  let child;
  let out = '';
  let base;

  before(async function () {
    needPromtool(this);
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

describe('e2e: promtool check metrics on full load series named by their users', function () {
  this.timeout(120000);
  // Quotes, a backslash, a line break and umlauts: the name label must be escaped, and read back as typed.
  const NAME = 'Nacht "täglich" \\ 03:00\nzweite Zeile';
  let red;

  before(async function () {
    needPromtool(this);
    red = new RedProcess({
      flows: [
        { id: 't1', type: 'tab', label: 'names' },
        { id: 'fl-named', type: 'oicp-full-load', z: 't1', name: NAME, time: '03:00', wires: [[]] },
        { id: 'fl-unnamed', type: 'oicp-full-load', z: 't1', name: '', time: '03:00', wires: [[]] },
      ],
      env: { NODE_RED_DISABLE_TELEMETRY: '1' },
    });
    await red.start(90000);
  });

  after(async function () {
    this.timeout(30000);
    if (red) {
      await red.stop();
      red.cleanup();
    }
  });

  it("labels each series with the node's name, which promtool accepts with no output", async function () {
    const r = await red.http('GET', '/oicp/metrics');
    assert.strictEqual(r.status, 200, r.text);
    const m = parsePrometheusText(r.text);
    assert.strictEqual(valueOf(m, 'oicp_fullload_last_evses', 'oicp_fullload_last_evses', { node: 'fl-named', name: NAME }), 0);
    assert.strictEqual(valueOf(m, 'oicp_evse_stale', 'oicp_evse_stale', { node: 'fl-unnamed', name: '' }), 0);
    assert.deepStrictEqual(promtool(r.text), { status: 0, output: '' }, `promtool check metrics on:\n${r.text}`);
  });
});
