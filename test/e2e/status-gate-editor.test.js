'use strict';
// The Hubject config dialog's status gate fields in a real browser: the three modes, the default, and holdMaxHours
// checked against the runtime's own limits (a value out of range says why; a valid one is saved).
const assert = require('assert');
const { chromium } = require('playwright-core');
const { RedProcess } = require('../support/red-process');
const { ensureChromium, CHROMIUM_ARGS, until } = require('./support');

describe('e2e: status gate fields of the Hubject config dialog', function () {
  this.timeout(60000);
  let red;
  let browser;
  let page;
  const pageErrors = [];

  before(async function () {
    this.timeout(900000);
    const executablePath = ensureChromium();
    red = new RedProcess({
      flows: [
        { id: 't1', type: 'tab', label: 'gate' },
        // Written before the gate: every property the dialog had then, none of the gate's.
        {
          id: 'hub1',
          type: 'oicp-hubject-config',
          name: '',
          environment: 'custom',
          url: 'https://127.0.0.1:9/api/oicp',
          operatorId: 'DE*ABC',
          subOperatorIds: '',
          operatorName: 'Demo CPO',
          tls: '',
          timeout: 30,
          rateLimit: 2000,
          retryBase: 1,
          retryMax: 300,
          maxRecords: 500,
          insertMissing: true,
        },
      ],
      env: { NODE_RED_DISABLE_TELEMETRY: '1' },
    });
    await red.start(90000);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60000 });
    const context = await browser.newContext({ viewport: { width: 1400, height: 800 } });
    context.setDefaultTimeout(20000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(red.url, { waitUntil: 'domcontentloaded' });
    await page.locator('.red-ui-header-toolbar').waitFor({ state: 'visible', timeout: 45000 });
    await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 45000 });
    await page.waitForFunction(() => window.RED && RED.nodes.node('hub1'));
  });

  after(async function () {
    this.timeout(30000);
    if (browser) await browser.close().catch(() => undefined);
    if (red) {
      await red.stop();
      red.cleanup();
    }
  });

  async function fieldReason(input) {
    await input.hover();
    const tip = page.locator('.red-ui-popover-tooltip, .red-ui-popover').filter({ hasText: /\S/ }).last();
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    return (await tip.innerText()).trim();
  }
  const marked = async (input) => ((await input.getAttribute('class')) || '').split(/\s+/).includes('input-error');

  it('offers auto, on and off (auto by default) and checks holdMaxHours against the runtime limits', async function () {
    // hub1 comes from a flow written before the gate: no statusGate, no holdMaxHours. It stays valid.
    assert.strictEqual(await page.evaluate(() => RED.nodes.node('hub1').valid), true);
    await page.evaluate(() => RED.editor.editConfig('', 'oicp-hubject-config', 'hub1'));
    const mode = page.locator('#node-config-input-statusGate');
    await mode.waitFor({ state: 'visible' });
    assert.strictEqual(await mode.inputValue(), 'auto');
    const options = await mode.locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent.trim()]));
    assert.deepStrictEqual(
      options.map((o) => o[0]),
      ['auto', 'on', 'off'],
    );
    assert.match(options[0][1], /while a push data node uses this config/);

    const hours = page.locator('#node-config-input-holdMaxHours');
    // Left out by the flow: the dialog shows the runtime's default, so Update saves what runs.
    assert.strictEqual(await hours.inputValue(), '24');
    await hours.fill('0');
    await hours.press('End');
    await until(() => marked(hours), 5000, 'holdMaxHours 0 marked');
    assert.match(await fieldReason(hours), /must be from 0\.1 to 720/);
    await hours.fill('48');
    await hours.press('End');
    await until(async () => !(await marked(hours)), 5000, 'holdMaxHours 48 accepted');
    await mode.selectOption('on');
    await page.locator('.red-ui-tray', { has: mode }).locator('#node-config-dialog-ok').click();
    await mode.waitFor({ state: 'detached' });
    const saved = await page.evaluate(() => {
      const n = RED.nodes.node('hub1');
      return { statusGate: n.statusGate, holdMaxHours: String(n.holdMaxHours) };
    });
    assert.deepStrictEqual(saved, { statusGate: 'on', holdMaxHours: '48' });
  });

  it('threw no uncaught errors in the editor page', function () {
    assert.deepStrictEqual(pageErrors, []);
  });
});
