'use strict';
// The OICP sidebar tab in Debian's chromium against a real Node-RED and the Hubject simulator: the card of the
// operator shows the acknowledgement and lag of the flow's traffic, then a 503 storm with a long Retry-After shows as
// the error and the backoff, and "retry now" (after its confirmation) recovers without waiting it out.
// A screenshot goes to test/e2e/screenshots/ and, when missing or with OICP_UPDATE_DOCS=1, to docs/oicp-sidebar.png.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { RedProcess, ROOT } = require('../support/red-process');
const { startSim } = require('../support/sim');
const { opsFlow } = require('../support/ops-flow');
const { ensureChromium, CHROMIUM_ARGS, until } = require('./support');

const SHOTS = path.join(__dirname, 'screenshots');
const DOCS_SHOT = path.join(ROOT, 'docs', 'oicp-sidebar.png');

describe('e2e: the OICP sidebar in chromium', function () {
  this.timeout(90000);
  let sim;
  let red;
  let browser;
  let page;
  const pageErrors = [];

  const field = (name) => page.locator(`.oicp-ops-lane tr[data-field="${name}"] .oicp-ops-value`).first();
  const text = async (name) => (await field(name).innerText()).trim();

  before(async function () {
    this.timeout(900000); // a first run on a bare machine installs chromium with apt-get
    const executablePath = ensureChromium();
    const s = await startSim();
    sim = s.sim;
    red = new RedProcess({ flows: opsFlow(s.certs, s.url, { retryBase: 1, retryMax: 10 }), env: { NODE_RED_DISABLE_TELEMETRY: '1' } });
    await red.start(90000);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60000 });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.setDefaultTimeout(20000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(red.url, { waitUntil: 'domcontentloaded' });
    await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 45000 });
    await page.waitForFunction(() => window.RED && RED.sidebar && RED.sidebar.containsTab && RED.sidebar.containsTab('oicp') && RED.workspaces.active());
  });

  afterEach(async function () {
    if (this.currentTest.state === 'failed' && page) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await page
        .screenshot({ path: path.join(SHOTS, `FAILED-ops-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}.png`) })
        .catch(() => undefined);
      if (red) console.log(`Node-RED log tail:\n${red.log.slice(-3000)}`);
      if (pageErrors.length) console.log(`errors in the page:\n${pageErrors.join('\n')}`);
    }
  });

  after(async function () {
    this.timeout(30000);
    if (browser) await browser.close().catch(() => undefined);
    if (red) {
      await red.stop();
      red.cleanup();
    }
    if (sim) await sim.stop();
  });

  /** Opens the OICP tab (again: the editor shows its info tab when the flows finish loading). */
  async function openTab() {
    await page.evaluate(() => RED.sidebar.show('oicp'));
    await page.locator('.oicp-ops-lane').waitFor({ state: 'visible' });
  }

  it('opens the OICP tab and shows a card per operator with acknowledgement, lag and the environment', async function () {
    await openTab();
    const card = page.locator('.oicp-ops-lane');
    assert.match(await card.innerText(), /DE\*ABC/);
    assert.strictEqual(await card.locator('.oicp-ops-env').innerText(), 'CUSTOM');
    await until(async () => /^000 · /.test(await text('lastAck')), 20000, 'the acknowledgement 000 on the card');
    assert.strictEqual(await text('pending'), '0');
    assert.match(await text('lag'), /^\d+(\.\d+)? (ms|s) \/ \d+(\.\d+)? (ms|s)$/);
    assert.strictEqual(await page.locator('.oicp-ops-lane svg').count(), 3, 'three plots');
    const fl = page.locator('.oicp-ops-fullload');
    await until(
      async () => /^3 \(/.test((await fl.locator('tr[data-field="evses"] .oicp-ops-value').innerText()).trim()),
      20000,
      'three EVSEs on the full load card',
    );
  });

  it('shows a 503 storm as the last error and the backoff, and recovers with "retry now"', async function () {
    // Every push fails with 503 and asks for two minutes: only "retry now" brings the changes through in time.
    sim.injectFault({ kind: 'http', status: 503, retryAfter: 120, count: 1000 });
    const injected = await red.http('POST', '/inject/in2');
    assert.strictEqual(injected.status, 200, injected.text);
    await until(async () => /^503 /.test(await text('lastError')) && !/^(none|–)$/.test(await text('backoff')), 20000, 'the 503 and the backoff on the card');
    assert.strictEqual(await text('pending'), '3');
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'ops-sidebar-storm.png') });

    sim.clearFaults();
    await openTab();
    const ackBefore = await text('lastAck');
    await page.locator('.oicp-ops-lane .oicp-ops-retry').click();
    // The confirmation names the environment; nothing happens before it is confirmed.
    const dialog = page.locator('.red-ui-notification', { hasText: 'CUSTOM' });
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('button', { hasText: 'Confirm' }).click();
    await until(async () => (await text('pending')) === '0' && (await text('lastAck')) !== ackBefore, 20000, 'the changes acknowledged after retry now');
    assert.strictEqual(await text('backoff'), 'none');
    const file = path.join(SHOTS, 'ops-sidebar.png');
    await page.screenshot({ path: file });
    if (!fs.existsSync(DOCS_SHOT) || process.env.OICP_UPDATE_DOCS === '1') fs.copyFileSync(file, DOCS_SHOT);
    assert.deepStrictEqual(pageErrors, []);
  });
});
