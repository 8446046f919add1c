'use strict';
// The one number validator in a real editor (Debian's chromium): each dialog's number fields, built in the browser
// from the source a real Node-RED exports in its node settings, give the runtime parser's verdicts and texts on the
// same inputs; and a field of a real dialog is marked or not as the runtime would run it.
const assert = require('assert');
const { chromium } = require('playwright-core');
const { RedProcess } = require('../support/red-process');
const { inputs, runsAsTyped } = require('../support/number-inputs');
const { nodeSettings } = require('../support/node-settings');
const { numberProblem } = require('../../nodes/node-red/limits');
const { message } = require('../../nodes/node-red/i18n');
const { ensureChromium, CHROMIUM_ARGS, until } = require('./support');

const DIALOGS = {
  'oicp-hubject-config': 'oicpHubjectConfigLimits',
  'oicp-push-evse-status': 'oicpPushEvseStatusLimits',
  'oicp-push-evse-data': 'oicpPushEvseDataLimits',
  'oicp-full-load': 'oicpFullLoadLimits',
};

describe('e2e: the number validator of every dialog in chromium', function () {
  this.timeout(60000);
  let red;
  let browser;
  let page;
  const pageErrors = [];

  before(async function () {
    this.timeout(900000); // a first run on a bare machine installs chromium with apt-get
    const executablePath = ensureChromium();
    red = new RedProcess({
      flows: [
        { id: 't1', type: 'tab', label: 'numbers' },
        {
          id: 'fl1',
          type: 'oicp-full-load',
          z: 't1',
          name: '',
          hubject: '',
          time: '03:00',
          onStartDelay: 30,
          staleDays: 7,
          minRatio: 0.5,
          x: 200,
          y: 100,
          wires: [[]],
        },
      ],
      env: { NODE_RED_DISABLE_TELEMETRY: '1' },
    });
    await red.start(90000);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60000 });
    const context = await browser.newContext({ viewport: { width: 1400, height: 800 }, locale: 'en-US' });
    context.setDefaultTimeout(20000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(red.url, { waitUntil: 'domcontentloaded' });
    await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 45000 });
    await page.waitForFunction(() => window.RED && RED.nodes.node('fl1'));
  });

  after(async function () {
    this.timeout(30000);
    if (browser) await browser.close().catch(() => undefined);
    if (red) {
      await red.stop();
      red.cleanup();
    }
  });

  for (const [type, limitsName] of Object.entries(DIALOGS)) {
    it(`${type}: every number field gives the runtime parser's verdict and text`, async function () {
      const limits = nodeSettings(type)[limitsName].value;
      // Values that survive the trip into the page as they are (strings and finite numbers).
      const cases = Object.entries(limits).flatMap(([field, l]) =>
        inputs(l)
          .filter((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0)))
          .map((v) => ({ field, v })),
      );
      const verdicts = await page.evaluate(({ type, cases }) => cases.map(({ field, v }) => RED.nodes.getType(type).defaults[field].validate.call({}, v, {})), {
        type,
        cases,
      });
      cases.forEach(({ field, v }, i) => {
        const l = limits[field];
        const p = numberProblem(v, l);
        const text = p && message('en-US', 'oicp-hubject-config', `oicp-hubject-config.${p.key}`, p.values);
        assert.strictEqual(verdicts[i] === true, runsAsTyped(v, l), `${type}.${field}: ${JSON.stringify(v)} -> ${verdicts[i]}`);
        assert.strictEqual(verdicts[i], p ? text : true, `${type}.${field}: ${JSON.stringify(v)}`);
      });
    });
  }

  it('marks a field of the full load dialog as the runtime runs it: blank is the default, out of range is not', async function () {
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('fl1')));
    const field = page.locator('#node-input-staleDays');
    await field.waitFor({ state: 'visible' });
    const marked = async () => ((await field.getAttribute('class')) || '').split(/\s+/).includes('input-error');
    for (const [value, bad] of [
      ['-1', true],
      ['', false],
      ['1,5', true],
      ['14', false],
    ]) {
      await field.fill(value);
      await field.press('End');
      await until(async () => (await marked()) === bad, 5000, `staleDays '${value}' ${bad ? 'marked' : 'accepted'}`);
    }
    await page.locator('#node-dialog-cancel').click();
    assert.deepStrictEqual(pageErrors, []);
  });
});
