'use strict';
// The OICP sidebar tab in Debian's chromium.
// - On the demo of `npm start` (scripts/start.js on free ports, its own DEMO_DIR): the card of the operator's status
//   lane shows acknowledgements and lag as the demo runs; a 503 storm pressed on the simulator's page shows as the
//   error, the backoff and pending changes; after "heal" and "retry now" (behind its confirmation) the card recovers.
//   /oicp/metrics of that run passes the strict Prometheus reader and matches the simulator's counts. The screenshot
//   goes to test/e2e/screenshots/ and, when missing or with OICP_UPDATE_DOCS=1, to docs/oicp-sidebar.png.
// - An EVSE data lane (operation 'data', made by a preload in a Node-RED of its own) gets its own card titled
//   "EVSE data" with its held statuses, and its own series in /oicp/metrics.
// - Remote start on the demo: the card of the CPO endpoint shows the URL to register; "remote start EVSE…" on the
//   simulator page starts a session at the demo's charger 1001/1, "remote stop" ends it, and its CDR reaches the
//   simulator under Hubject's SessionID.
// - The roaming card of that operator: authorizations (last, rate, outcomes) and, from a CDR lane (operation
//   'chargeDetailRecord', made by a second preload), the CDRs pending and a refused CDR that "send again" queues again.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { chromium } = require('playwright-core');
const { request } = require('undici');
const { RedProcess, freePort, ROOT } = require('../support/red-process');
const { startSim } = require('../support/sim');
const { opsFlow } = require('../support/ops-flow');
const { parsePrometheusText, valueOf } = require('../support/prom-text');
const { DATA_LANE } = require('../support/ops-data-lane');
const { CDR_LANE } = require('../support/ops-cdr-lane');
const { ensureChromium, CHROMIUM_ARGS, until } = require('./support');

const SHOTS = path.join(__dirname, 'screenshots');
const DOCS_SHOT = path.join(ROOT, 'docs', 'oicp-sidebar.png');
const METRICS = [
  'oicp_requests_total',
  'oicp_records_total',
  'oicp_queue_pending',
  'oicp_in_flight',
  'oicp_push_lag_seconds',
  'oicp_last_success_timestamp_seconds',
  'oicp_backoff_seconds',
  'oicp_outbox_bytes',
  'oicp_evse_status',
  'oicp_fullload_last_timestamp_seconds',
  'oicp_fullload_last_evses',
];

async function getText(url) {
  const res = await request(url);
  const text = await res.body.text();
  assert.strictEqual(res.statusCode, 200, `GET ${url}: ${text}`);
  return text;
}

/** "85 ms" / "1.2 s" / "3 min" as the sidebar writes durations -> ms; "–" -> undefined. */
function ms(text) {
  const m = /^(\d+(?:\.\d+)?) (ms|s|min)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, min: 60000 }[m[2]];
}

/** Waits until the editor has loaded its flows and the OICP tab exists. */
async function editorReady(page, url) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 45000 });
  // While the editor loads, parts of RED are still missing: a throwing check would end the wait at once.
  await page.waitForFunction(
    () => {
      try {
        return Boolean(RED.sidebar.containsTab('oicp') && RED.workspaces.active());
      } catch {
        return false;
      }
    },
    undefined,
    { timeout: 60000 },
  );
}

describe('e2e: the OICP sidebar in chromium', function () {
  this.timeout(180000);
  let browser;
  let executablePath;

  before(async function () {
    this.timeout(900000); // a first run on a bare machine installs chromium with apt-get
    executablePath = ensureChromium();
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60000 });
  });

  after(async function () {
    if (browser) await browser.close().catch(() => undefined);
  });

  /** A page on url with the OICP tab shown, and helpers to read a card's fields. */
  async function sidebarPage(url, pageErrors) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.setDefaultTimeout(20000);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await editorReady(page, url);
    await widenSidebar(page);
    return page;
  }
  /** The sidebar 250 px wider than Node-RED's default, so a card's labels fit on one line in the screenshots. */
  const widenSidebar = async (page) => {
    const box = await page.locator('#red-ui-sidebar-separator').boundingBox();
    if (!box) return;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x - 250, box.y + box.height / 2, { steps: 10 });
    await page.mouse.up();
  };
  /** Opens the OICP tab (again: the editor shows its info tab when the flows finish loading). */
  const openTab = async (page, card) => {
    await page.evaluate(() => RED.sidebar.show('oicp'));
    await page.locator(card).first().waitFor({ state: 'visible' });
  };
  const reader = (page, card) => async (name) => (await page.locator(`${card} tr[data-field="${name}"] .oicp-ops-value`).first().innerText()).trim();

  describe('on the demo of npm start', function () {
    const STATUS_CARD = '.oicp-ops-lane[data-operation="status"]';
    let demoDir;
    let child;
    let out = '';
    let ports;
    let page;
    let simPage;
    let text;
    const pageErrors = [];
    let lagBefore;

    before(async function () {
      this.timeout(180000);
      demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-ops-demo-'));
      ports = { PORT: await freePort(), SIM_PORT: await freePort(), SIM_ADMIN_PORT: await freePort() };
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
      page = await sidebarPage(`http://127.0.0.1:${ports.PORT}/`, pageErrors);
      text = reader(page, STATUS_CARD);
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

    afterEach(async function () {
      if (this.currentTest.state === 'failed') {
        fs.mkdirSync(SHOTS, { recursive: true });
        if (page)
          await page
            .screenshot({ path: path.join(SHOTS, `FAILED-ops-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}.png`) })
            .catch(() => undefined);
        console.log(`npm start output (tail):\n${out.slice(-3000)}`);
        if (pageErrors.length) console.log(`errors in the page:\n${pageErrors.join('\n')}`);
      }
    });

    it('shows the status card of the demo operator, whose acknowledgement and lag change as the demo runs', async function () {
      await openTab(page, STATUS_CARD);
      const card = page.locator(STATUS_CARD);
      assert.match(await card.locator('.oicp-ops-title').innerText(), /EVSE status · DE\*ABC/);
      assert.strictEqual(await card.locator('.oicp-ops-env').innerText(), 'CUSTOM');
      const first = await until(async () => /^000 · /.test(await text('lastAck')) && (await text('lastAck')), 60000, 'the acknowledgement 000 on the card');
      // The demo plays a session step every 2 s: a later acknowledgement carries a later time.
      await until(
        async () => /^000 · /.test(await text('lastAck')) && (await text('lastAck')) !== first,
        60000,
        'a newer acknowledgement',
        () => first,
      );
      assert.match(await text('rate'), /^[1-9]\d* \/ 2000$/);
      assert.match(await text('lag'), /^\d+(\.\d+)? (ms|s) \/ \d+(\.\d+)? (ms|s)$/);
      lagBefore = ms((await text('lag')).split(' / ')[1]);
      assert.strictEqual(await card.locator('svg').count(), 3, 'three plots');
      // The demo stores its six EVSEs in the full load node and sends one fullLoad at start.
      const fl = page.locator('.oicp-ops-fullload[data-node="demo-fullload"]');
      const flText = reader(page, '.oicp-ops-fullload[data-node="demo-fullload"]');
      await until(async () => /^6 \(/.test(await flText('evses')), 30000, 'six EVSEs on the full load card');
      assert.match(await flText('last'), /^(sent|acknowledged by Hubject \(000\)) · 6 EVSEs · /);
      assert.strictEqual(await fl.locator('.oicp-ops-env').innerText(), 'CUSTOM');
    });

    it("shows the demo's roaming sessions on the operator's roaming card: the RFID card and the StartTransaction authorized, the StopTransaction's CDR at the simulator", async function () {
      const CARD = '.oicp-ops-roaming[data-operator="DE*ABC"]';
      await openTab(page, CARD);
      const roaming = reader(page, CARD);
      // The demo's charger 1003/1 swipes a card (an AuthorizeStart the simulator authorizes), then starts a transaction,
      // which takes the card's session without asking again.
      await until(
        async () => Number(/^authorized (\d+)/.exec(await roaming('authOutcomes'))?.[1]) >= 1,
        60000,
        'an authorization on the roaming card',
        async () => roaming('authOutcomes'),
      );
      assert.match(await roaming('authLast'), /^authorized · start · \d+(\.\d+)? (ms|s) · /);
      assert.match(await roaming('authOutcomes'), /, not authorized 0, fallback 0, refused 0$/);
      assert.match(await roaming('authRate'), /^[1-9]\d*$/);
      // The charger's StopTransaction goes to push cdr: the simulator gets the session's CDR, none waits or is refused.
      let cdrs;
      await until(
        async () => {
          cdrs = JSON.parse(await getText(`http://127.0.0.1:${ports.SIM_ADMIN_PORT}/admin/cdrs`));
          return cdrs.cdrs.length >= 1;
        },
        90000,
        "a CDR of the demo's roaming session at the simulator",
        () => JSON.stringify(cdrs),
      );
      assert.strictEqual(cdrs.cdrs[0].EvseID, 'DE*ABC*E1003*1');
      assert.ok(cdrs.cdrs[0].ConsumedEnergy > 0);
      await until(async () => (await roaming('cdrPending')) === '0' && (await roaming('cdrDead')) === '0', 30000, 'no CDR pending or refused');
    });

    it("remote start from the simulator page: the card shows the URL to register; the button starts a session at charger 1001/1, remote stop ends it, a CDR with Hubject's SessionID follows", async function () {
      this.timeout(120000);
      const CARD = '.oicp-ops-remote';
      const cpoUrl = /CPO endpoint:\s+(https:\/\/\S+)/.exec(out)[1];
      await openTab(page, CARD);
      const remote = reader(page, CARD);
      assert.match(await page.locator(`${CARD} .oicp-ops-title`).innerText(), /Remote start\/stop · DE\*ABC/);
      assert.strictEqual(await remote('remoteUrl'), cpoUrl);
      await until(async () => (await remote('remoteState')) === 'listening', 20000, 'the endpoint listening');

      const sp = await page.context().newPage();
      try {
        await sp.goto(`http://127.0.0.1:${ports.SIM_ADMIN_PORT}/`, { timeout: 60000 });
        // npm start gives the simulator the endpoint's URL and the EvseID of the demo's remote charger.
        await until(async () => (await sp.locator('#remote-evse').inputValue()) === 'DE*ABC*E1001*1', 10000, 'the EvseID filled in');
        assert.strictEqual(await sp.locator('#remote-url').inputValue(), cpoUrl);
        const result = async () => (await sp.locator('#remote-result').textContent()) || '';
        await sp.getByRole('button', { name: 'remote start EVSE…' }).click();
        const started = await until(
          async () => /^start ok DE\*ABC\*E1001\*1 \(([0-9a-f-]{36})\): HTTP 200 \{"Result":true,"StatusCode":\{"Code":"000"/.exec(await result()),
          15000,
          'Result true on the simulator page',
          result,
        );
        const sessionId = started[1];
        // The charger accepted and starts its transaction, which authorize start links to Hubject's SessionID.
        const chargerStatus = () => page.evaluate(() => (RED.nodes.node('demo-remote-cp').status || {}).text || '');
        await until(async () => /^charging · transaction \d+ \(remote start\)$/.test(await chargerStatus()), 20000, 'charger 1001/1 charging', chargerStatus);

        await sp.getByRole('button', { name: 'remote stop' }).click();
        await until(
          async () => new RegExp(`^stop ok DE\\*ABC\\*E1001\\*1 \\(${sessionId}\\): HTTP 200 \\{"Result":true`).test(await result()),
          15000,
          'the remote stop answered Result true',
          result,
        );
        let cdrs;
        const cdr = await until(
          async () => {
            cdrs = JSON.parse(await getText(`http://127.0.0.1:${ports.SIM_ADMIN_PORT}/admin/cdrs`));
            return cdrs.cdrs.find((c) => c.SessionID === sessionId);
          },
          30000,
          "the CDR of Hubject's SessionID at the simulator",
          () => JSON.stringify(cdrs),
        );
        assert.strictEqual(cdr.EvseID, 'DE*ABC*E1001*1');
        assert.ok(cdr.ConsumedEnergy >= 0);
        assert.deepStrictEqual(cdr.body.Identification, { RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } });
        // The simulator page lists the session with its CDR.
        const row = sp.locator('#sessions tr', { hasText: sessionId });
        const rowText = async () => ((await row.count()) ? row.innerText() : '');
        await until(
          async () => new RegExp(`DE\\*ABC\\*E1001\\*1[\\s\\S]*${cdr.ConsumedEnergy.toFixed(3)} kWh`).test(await rowText()),
          20000,
          'the session and its CDR on the simulator page',
          rowText,
        );
        await until(
          async () => /^1 start, 1 stop; 0 by the watchdog, 0 late/.test(await remote('remoteAnswered')),
          10000,
          'the answers counted',
          () => remote('remoteAnswered'),
        );
        await page.locator(CARD).scrollIntoViewIfNeeded();
        fs.mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, 'ops-sidebar-remote.png') });
      } finally {
        await sp.close();
      }
    });

    /** How many status changes Hubject acknowledged more than 5 s after they entered the push node. */
    async function slowLagSamples() {
      const m = parsePrometheusText(await getText(`http://127.0.0.1:${ports.PORT}/oicp/metrics`));
      const lane = { operator: 'DE*ABC', operation: 'status', environment: 'custom' };
      const count = valueOf(m, 'oicp_push_lag_seconds', 'oicp_push_lag_seconds_count', lane);
      return count - valueOf(m, 'oicp_push_lag_seconds', 'oicp_push_lag_seconds_bucket', { ...lane, le: '5' });
    }

    it('shows a 503 storm from the simulator page as the error, the backoff and pending changes, and recovers after heal and "retry now"', async function () {
      this.timeout(240000);
      simPage = await page.context().newPage();
      await simPage.goto(`http://127.0.0.1:${ports.SIM_ADMIN_PORT}/`, { timeout: 60000 });
      const press = async (label) => {
        await simPage.getByRole('button', { name: label }).click();
        await until(async () => /done/.test((await simPage.locator('#fault-result').textContent()) || ''), 10000, `${label} done`);
      };
      const slowBefore = await slowLagSamples();
      await press(/503 storm/);
      // Read once the storm is on: the demo pushes every 2 s, so an acknowledgement may land while the button is pressed.
      const ackBefore = await text('lastAck');
      await page.bringToFront();
      let seen = {};
      // The demo's next changes are answered 503: the card names the error, counts the backoff and the changes waiting.
      await until(
        async () => {
          seen = { lastError: await text('lastError'), backoff: await text('backoff'), pending: await text('pending') };
          // A backoff of 15 s or more (it doubles with each 503: 1, 2, 4, 8, 16 s) leaves ample time to heal and press
          // "retry now" before it ends, even on a busy machine.
          return /^503 /.test(seen.lastError) && ms(seen.backoff) >= 15000 && Number(seen.pending) > 0;
        },
        60000,
        'the 503, a backoff of 15 s or more and pending changes on the card',
        () => JSON.stringify(seen),
      );
      assert.strictEqual(await text('lastAck'), ackBefore, 'no acknowledgement during the storm');
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'ops-sidebar-storm.png') });

      await press('heal');
      await page.bringToFront();
      await openTab(page, STATUS_CARD);
      await page.locator(`${STATUS_CARD} .oicp-ops-retry`).click();
      // The confirmation names the environment; nothing is sent before it is confirmed.
      const dialog = page.locator('.red-ui-notification', { hasText: /Skip the current backoff.*CUSTOM/ });
      await dialog.waitFor({ state: 'visible' });
      await dialog.locator('button', { hasText: 'Confirm' }).click();
      // 1 of 1: the lane was waiting out its backoff, and "retry now" sent at once.
      await page.locator('.red-ui-notification', { hasText: /^Done: 1 \/ 1$/ }).waitFor({ state: 'visible' });
      await until(
        async () => {
          seen = { pending: await text('pending'), backoff: await text('backoff'), lastAck: await text('lastAck') };
          return seen.pending === '0' && seen.backoff === 'none' && /^000 · /.test(seen.lastAck) && seen.lastAck !== ackBefore;
        },
        60000,
        'the waiting changes acknowledged after heal and retry now',
        () => JSON.stringify(seen),
      );
      // The changes delayed by the storm count in the lag: acknowledged more than 5 s after they came in. (The card's
      // p99 over 5 minutes moves only when they are more than 1 % of the samples, which depends on the demo's pace.)
      const slowAfter = await slowLagSamples();
      assert.ok(slowAfter > slowBefore, `lag samples above 5 s: ${slowBefore} before the storm, ${slowAfter} after`);
      assert.ok(ms((await text('lag')).split(' / ')[1]) >= lagBefore, 'the p99 on the card does not fall');
      assert.match(await text('lastError'), /^503 /);
      const file = path.join(SHOTS, 'ops-sidebar.png');
      // No tooltip over the card: the OICP tab's shows until the pointer has entered and left the tab.
      await page.locator('#red-ui-tab-oicp').hover();
      await page.mouse.move(500, 700);
      await page
        .locator('.red-ui-tooltip:visible')
        .waitFor({ state: 'detached', timeout: 5000 })
        .catch(() => undefined);
      await page.screenshot({ path: file });
      if (!fs.existsSync(DOCS_SHOT) || process.env.OICP_UPDATE_DOCS === '1') fs.copyFileSync(file, DOCS_SHOT);
      assert.deepStrictEqual(pageErrors, []);
    });

    it("serves /oicp/metrics that the strict reader accepts, matching the simulator's count of requests and EVSEs", async function () {
      const base = `http://127.0.0.1:${ports.PORT}`;
      const lane = { operator: 'DE*ABC', operation: 'status', environment: 'custom' };
      let m;
      let sim;
      // Read when nothing is in flight and the last request is counted on both sides.
      await until(
        async () => {
          m = parsePrometheusText(await getText(`${base}/oicp/metrics`));
          sim = JSON.parse(await getText(`http://127.0.0.1:${ports.SIM_ADMIN_PORT}/admin/state`));
          const inFlight = m.oicp_in_flight.samples.reduce((n, s) => n + s.value, 0);
          // The simulator counts status and data pushes; the demo's CDRs go on a lane of their own.
          const requests = m.oicp_requests_total.samples.filter((s) => ['status', 'data'].includes(s.labels.operation)).reduce((n, s) => n + s.value, 0);
          return inFlight === 0 && requests === sim.counters.pushes;
        },
        30000,
        'the requests of /oicp/metrics equal the pushes the simulator counted',
        () => JSON.stringify({ requests: m && m.oicp_requests_total.samples, pushes: sim && sim.counters.pushes }),
      );
      for (const name of METRICS) assert.ok(m[name], `metric ${name}`);
      const v = (family, labels, name = family) => valueOf(m, family, name, labels);
      // The storm: failed requests, then successes again.
      assert.ok(v('oicp_requests_total', { ...lane, outcome: 'transient' }) >= 1);
      assert.ok(v('oicp_requests_total', { ...lane, outcome: 'success' }) >= 3);
      assert.strictEqual(v('oicp_requests_total', { ...lane, outcome: 'config' }), 0);
      // Every record acknowledged has a lag sample, the fullLoad's six included.
      assert.strictEqual(v('oicp_push_lag_seconds', lane, 'oicp_push_lag_seconds_count'), v('oicp_records_total', { ...lane, outcome: 'success' }));
      assert.ok(v('oicp_records_total', { ...lane, outcome: 'success' }) >= 6);
      assert.ok(v('oicp_push_lag_seconds', lane, 'oicp_push_lag_seconds_sum') > 0);
      assert.strictEqual(v('oicp_backoff_seconds', lane), 0);
      assert.ok(v('oicp_last_success_timestamp_seconds', lane) > Date.now() / 1000 - 120);
      assert.ok(v('oicp_outbox_bytes', { operator: 'DE*ABC' }) > 0);
      assert.ok(v('oicp_queue_pending', lane) >= 0);
      // The full load node knows the EVSEs the simulator holds for the operator.
      const held = sim.operators.find((o) => o.OperatorID === 'DE*ABC').evses.length;
      const known = m.oicp_evse_status.samples.filter((s) => s.labels.node === 'demo-fullload').reduce((n, s) => n + s.value, 0);
      assert.strictEqual(known, held);
      assert.strictEqual(v('oicp_fullload_last_evses', { node: 'demo-fullload' }), 6);
      assert.ok(v('oicp_fullload_last_timestamp_seconds', { node: 'demo-fullload' }) > 0);
    });
  });

  describe('an EVSE data lane and a CDR lane', function () {
    const DATA_CARD = '.oicp-ops-lane[data-operation="data"]';
    let sim;
    let red;
    let page;
    const pageErrors = [];

    before(async function () {
      this.timeout(120000);
      const s = await startSim();
      sim = s.sim;
      red = new RedProcess({
        flows: opsFlow(s.certs, s.url),
        env: {
          NODE_RED_DISABLE_TELEMETRY: '1',
          NODE_OPTIONS:
            `${process.env.NODE_OPTIONS || ''} --require ${path.join(ROOT, 'test', 'support', 'ops-data-lane.js')} --require ${path.join(ROOT, 'test', 'support', 'ops-cdr-lane.js')}`.trim(),
          OICP_TEST_DATA_LANE_URL: s.url,
        },
      });
      await red.start(90000);
      page = await sidebarPage(red.url, pageErrors);
    });

    after(async function () {
      this.timeout(30000);
      if (red) {
        await red.stop();
        red.cleanup();
      }
      if (sim) await sim.stop();
    });

    afterEach(async function () {
      if (this.currentTest.state === 'failed') {
        if (page) {
          fs.mkdirSync(SHOTS, { recursive: true });
          await page.screenshot({ path: path.join(SHOTS, 'FAILED-ops-data-lane.png') }).catch(() => undefined);
        }
        if (red) console.log(`Node-RED log tail:\n${red.log.slice(-3000)}`);
      }
    });

    it('gets a card titled "EVSE data" beside the status card, with its held statuses, error and acknowledgement', async function () {
      await openTab(page, DATA_CARD);
      const text = reader(page, DATA_CARD);
      const card = page.locator(DATA_CARD);
      assert.match(await card.locator('.oicp-ops-title').innerText(), /EVSE data · DE\*ABC/);
      assert.strictEqual(await card.locator('.oicp-ops-env').innerText(), 'CUSTOM');
      assert.strictEqual(await text('held'), String(DATA_LANE.held));
      assert.strictEqual(await text('pending'), String(DATA_LANE.pending));
      assert.match(await text('lastAck'), /^000 · /);
      assert.match(await text('lastError'), /^018 EvseID outside the operator · /);
      assert.strictEqual(await text('outbox'), `${DATA_LANE.outbox} B`);
      // The status lane of the same operator has its own card, with nothing held.
      const statusText = reader(page, '.oicp-ops-lane[data-operation="status"]');
      await until(async () => /^000 · /.test(await statusText('lastAck')), 30000, 'the status card acknowledged');
      assert.strictEqual(await statusText('held'), '0');
      // Status, data and the CDR lane.
      assert.strictEqual(await page.locator('.oicp-ops-lane').count(), 3);
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'ops-sidebar-data-lane.png') });
      assert.deepStrictEqual(pageErrors, []);
    });

    it('lists the records refused with no input waiting, counts them in oicp_dead_letters, and sends them again on request', async function () {
      await openTab(page, DATA_CARD);
      const text = reader(page, DATA_CARD);
      const card = page.locator(DATA_CARD);
      const m = parsePrometheusText((await red.http('GET', '/oicp/metrics')).text);
      assert.strictEqual(valueOf(m, 'oicp_dead_letters', 'oicp_dead_letters', { operator: 'DE*ABC', operation: 'data' }), DATA_LANE.dead);
      await until(async () => (await text('dead')) === String(DATA_LANE.dead), 30000, 'the dead-letter count');
      assert.match(await card.locator('.oicp-ops-dead').innerText(), /DE\*ABC\*E0011 · insert · 019 not allowed/);
      await card.locator('.oicp-ops-resend').click();
      const dialog = page.locator('.red-ui-notification', { hasText: /Queue every refused record.*CUSTOM/ });
      await dialog.waitFor({ state: 'visible' });
      await dialog.locator('button', { hasText: 'Confirm' }).click();
      await page.locator('.red-ui-notification', { hasText: /^Done: 2$/ }).waitFor({ state: 'visible' });
      await until(async () => (await text('dead')) === '0', 30000, 'the list emptied');
      assert.strictEqual(await card.locator('.oicp-ops-resend').isVisible(), false);
      assert.deepStrictEqual(pageErrors, []);
    });

    it('shows a roaming card for the operator: authorizations, CDRs pending, a refused CDR, and "send again" for it', async function () {
      const CARD = '.oicp-ops-roaming[data-operator="DE*ABC"]';
      await openTab(page, CARD);
      const text = reader(page, CARD);
      const card = page.locator(CARD);
      assert.match(await card.locator('.oicp-ops-title').innerText(), /Roaming · DE\*ABC/);
      assert.match(await text('authLast'), /^authorized · stop · 52 ms · /);
      assert.strictEqual(await text('authRate'), '3');
      assert.strictEqual(await text('authOutcomes'), `authorized ${CDR_LANE.authorized}, not authorized ${CDR_LANE.notAuthorized}, fallback 0, refused 0`);
      assert.strictEqual(await text('cdrPending'), String(CDR_LANE.pending));
      assert.strictEqual(await text('cdrDead'), String(CDR_LANE.dead));
      assert.match(await card.locator('.oicp-ops-dead').innerText(), /b2f7c0de-0000-4000-8000-000000000001 · 400 session unknown/);
      fs.mkdirSync(SHOTS, { recursive: true });
      await card.screenshot({ path: path.join(SHOTS, 'ops-sidebar-roaming.png') });
      await card.locator('.oicp-ops-resend').click();
      const dialog = page.locator('.red-ui-notification', { hasText: /Send every refused CDR.*CUSTOM/ });
      await dialog.waitFor({ state: 'visible' });
      await dialog.locator('button', { hasText: 'Confirm' }).click();
      await page.locator('.red-ui-notification', { hasText: /^Done: 1$/ }).waitFor({ state: 'visible' });
      await until(async () => (await text('cdrDead')) === '0', 30000, 'the refused CDR queued again');
      assert.strictEqual(await text('cdrPending'), String(CDR_LANE.pending + 1));
      assert.strictEqual(await card.locator('.oicp-ops-resend').isVisible(), false);
      // The CDR lane has its generic card too, titled by its operation.
      assert.match(await page.locator('.oicp-ops-lane[data-operation="chargeDetailRecord"] .oicp-ops-title').innerText(), /CDR · DE\*ABC/);
      assert.deepStrictEqual(pageErrors, []);
    });

    it('has its own series in /oicp/metrics, labelled operation="data"', async function () {
      const m = parsePrometheusText((await red.http('GET', '/oicp/metrics')).text);
      const data = { operator: 'DE*ABC', operation: 'data', environment: 'custom' };
      assert.strictEqual(valueOf(m, 'oicp_requests_total', 'oicp_requests_total', { ...data, outcome: 'success' }), DATA_LANE.success);
      assert.strictEqual(valueOf(m, 'oicp_requests_total', 'oicp_requests_total', { ...data, outcome: 'data' }), DATA_LANE.data);
      assert.strictEqual(valueOf(m, 'oicp_records_total', 'oicp_records_total', { ...data, outcome: 'success' }), DATA_LANE.records);
      assert.strictEqual(valueOf(m, 'oicp_queue_pending', 'oicp_queue_pending', data), DATA_LANE.pending);
      assert.strictEqual(valueOf(m, 'oicp_push_lag_seconds', 'oicp_push_lag_seconds_count', data), DATA_LANE.records);
      assert.strictEqual(valueOf(m, 'oicp_requests_total', 'oicp_requests_total', { ...data, operation: 'status', outcome: 'success' }), 1);
    });
  });
});
