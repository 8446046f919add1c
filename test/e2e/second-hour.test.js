'use strict';
// The integrator's second hour (issue 20), in a real browser (Debian's chromium via playwright-core, headless) against
// a real Node-RED with this package installed, at 1280 x 800:
// - every example's Hubject config opened and saved unchanged (Update) keeps its values, and a config from an older
//   flow that leaves settings out is saved with the runtime's defaults, insertMissing on; checked in the deployed flow;
// - the five config nodes of examples 1-5 are told apart in the push node's Hubject dropdown;
// - example 6's push data node shows the red triangle while its Hubject config is incomplete;
// - the push data dialog's Defaults section: labels beside, not over, their inputs, and the form's height bounded.
// Screenshots go to test/e2e/screenshots/ (gitignored).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { RedProcess, ROOT } = require('../support/red-process');
const { ensureChromium, CHROMIUM_ARGS, until } = require('./support');

const SHOTS = path.join(__dirname, 'screenshots');
const EXAMPLES = path.join(ROOT, 'examples');
const FILES = fs
  .readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.json'))
  .sort();
const readExample = (f) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8'));
const MINE = FILES.filter((f) => /^[1-7] /.test(f));

// What the runtime runs with when a setting is left out (src/node-red/limits.ts, src/oicp-hubject-config.ts), as the
// dialog saves it: text fields as text. maxRecords stays blank: a blank one lets the push nodes' own apply.
const RUNTIME_DEFAULTS = {
  timeout: '30',
  rateLimit: '2000',
  dataRateLimit: '375',
  maxBodyMB: '20',
  retryBase: '1',
  retryMax: '300',
  insertMissing: true,
  statusGate: 'auto',
  holdMaxHours: '24',
  editorRevision: 2,
};
const SETTINGS = [...Object.keys(RUNTIME_DEFAULTS), 'maxRecords', 'name', 'environment', 'url', 'operatorId', 'subOperatorIds', 'operatorName', 'tls'];
const pick = (n) => Object.fromEntries(SETTINGS.filter((k) => k in n).map((k) => [k, n[k]]));

describe('e2e: the second hour of an integrator (editor, 1280 x 800)', function () {
  this.timeout(60000);
  let red;
  let browser;
  let page;
  const pageErrors = [];

  async function shot(name) {
    fs.mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `second-hour-${name}.png`);
    await page.screenshot({ path: file });
    return file;
  }

  async function importFlow(flow) {
    await page.evaluate((f) => {
      RED.view.importNodes(f, { generateIds: false });
      RED.view.redraw(true);
    }, flow);
  }

  /** Opens a config node's dialog and presses Update without touching anything. */
  async function openAndUpdate(id) {
    await page.evaluate((i) => RED.editor.editConfig('', 'oicp-hubject-config', i), id);
    const ok = page.locator('#node-config-dialog-ok');
    await page.locator('#node-config-input-operatorId').waitFor({ state: 'visible' });
    const shown = await page.evaluate(() => ({
      insertMissing: $('#node-config-input-insertMissing').prop('checked'),
      timeout: $('#node-config-input-timeout').val(),
    }));
    await ok.click();
    await page.locator('#node-config-input-operatorId').waitFor({ state: 'detached' });
    return shown;
  }

  async function deploy() {
    const button = page.locator('#red-ui-header-button-deploy');
    // An earlier deploy's notification would be taken for this one's.
    await page.locator('.red-ui-notification', { hasText: 'Successfully deployed' }).first().waitFor({ state: 'detached', timeout: 15000 });
    await button.click();
    const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
    const done = page.locator('.red-ui-notification', { hasText: 'Successfully deployed' });
    // Examples 1 and 2 use OCPP nodes not installed here: Node-RED asks before deploying them.
    const outcome = await Promise.race([
      done.waitFor({ state: 'visible' }).then(() => 'deployed'),
      confirm.waitFor({ state: 'visible' }).then(() => 'confirm'),
    ]);
    if (outcome === 'confirm') {
      await confirm.click();
      await done.waitFor({ state: 'visible' });
    }
    await until(async () => (await button.getAttribute('class')).includes('disabled'), 10000, 'Deploy button disabled after deploy');
    // "Flows stopped due to missing node types" stays until closed.
    const stopped = page.locator('.red-ui-notification', { hasText: 'missing node types' }).locator('button', { hasText: 'Close' });
    if (await stopped.count()) await stopped.first().click();
    const res = await red.http('GET', '/flows');
    return res.json.flows || res.json;
  }

  before(async function () {
    this.timeout(900000); // a first run on a bare machine installs chromium with apt-get
    const executablePath = ensureChromium();
    red = new RedProcess({ flows: [], env: { NODE_RED_DISABLE_TELEMETRY: '1' }, settings: { telemetry: { enabled: false, updateNotification: false } } });
    await red.start(90000);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(20000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(red.url, { waitUntil: 'domcontentloaded' });
    await page.locator('.red-ui-header-toolbar').waitFor({ state: 'visible', timeout: 45000 });
    await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 45000 });
    await page.waitForFunction(() => window.RED && RED.nodes.getType('oicp-hubject-config') && RED.workspaces.active());
  });

  afterEach(async function () {
    if (this.currentTest.state === 'failed') {
      await shot(`FAILED-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => undefined);
      if (red) console.log(`Node-RED log tail:\n${red.log.slice(-2000)}`);
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
  });

  describe('Hubject config dialog: Update without edits saves what runs', function () {
    // A config node as older flows and the examples of earlier versions carry it: no insertMissing, no queue or
    // gate settings; its push node still has the old push-node properties.
    const older = [
      { id: 'old-tab', type: 'tab', label: 'older flow' },
      { id: 'old-tls', type: 'tls-config', name: 'older tls', cert: '', key: '', ca: '', verifyservercert: true },
      { id: 'old-hub', type: 'oicp-hubject-config', name: 'older', environment: 'qa', url: '', operatorId: 'DE*ABC', operatorName: '', tls: 'old-tls' },
      {
        id: 'old-push',
        type: 'oicp-push-evse-status',
        z: 'old-tab',
        hubject: 'old-hub',
        action: 'update',
        maxRecords: '',
        insertMissing: true,
        x: 300,
        y: 80,
        wires: [],
      },
    ];
    // Saved by the old dialog: Update turned the missing insertMissing into false; the push node says true.
    const savedByOldDialog = [
      { id: 'mig-tab', type: 'tab', label: 'saved by the old dialog' },
      { id: 'mig-tls', type: 'tls-config', name: 'migrated tls', cert: '', key: '', ca: '', verifyservercert: true },
      {
        id: 'mig-hub',
        type: 'oicp-hubject-config',
        name: 'migrated',
        environment: 'qa',
        url: '',
        operatorId: 'DE*ABC',
        operatorName: '',
        tls: 'mig-tls',
        timeout: '30',
        rateLimit: '2000',
        retryBase: '1',
        retryMax: '300',
        maxRecords: '',
        insertMissing: false,
      },
      {
        id: 'mig-push',
        type: 'oicp-push-evse-status',
        z: 'mig-tab',
        hubject: 'mig-hub',
        action: 'update',
        maxRecords: '500',
        insertMissing: true,
        x: 300,
        y: 80,
        wires: [],
      },
    ];
    const expected = new Map();
    const shownOnOpen = new Map();

    it('imports examples 1-7, opens each Hubject config and presses Update', async function () {
      for (const file of MINE) {
        const flow = readExample(file);
        const hub = flow.find((n) => n.type === 'oicp-hubject-config');
        await importFlow(flow);
        expected.set(hub.id, pick(hub));
        shownOnOpen.set(hub.id, await openAndUpdate(hub.id));
      }
      await shot('1-examples-imported');
      for (const file of MINE)
        assert.strictEqual(shownOnOpen.get(readExample(file).find((n) => n.type === 'oicp-hubject-config').id).insertMissing, true, file);
    });

    it("shows a config from an older flow with the runtime's defaults, insertMissing checked", async function () {
      await importFlow(older);
      const shown = await openAndUpdate('old-hub');
      assert.deepStrictEqual(shown, { insertMissing: true, timeout: '30' });
      expected.set('old-hub', { ...pick(older[2]), ...RUNTIME_DEFAULTS, maxRecords: '', subOperatorIds: '' });
    });

    it('shows insertMissing on for a config the old dialog saved as off while its push node says on', async function () {
      await importFlow(savedByOldDialog);
      const shown = await openAndUpdate('mig-hub');
      assert.strictEqual(shown.insertMissing, true);
      expected.set('mig-hub', {
        ...pick(savedByOldDialog[2]),
        subOperatorIds: '',
        insertMissing: true,
        editorRevision: 2,
        dataRateLimit: '375',
        maxBodyMB: '20',
        statusGate: 'auto',
        holdMaxHours: '24',
      });
    });

    it("deploys; the flow Node-RED saved holds the examples' values and the runtime defaults", async function () {
      const flows = await deploy();
      for (const [id, want] of expected) {
        const got = flows.find((n) => n.id === id);
        assert.ok(got, `${id} deployed`);
        assert.deepStrictEqual(pick(got), want, id);
      }
      // The runtime reads what was saved: no config of these warned about a migrated insertMissing.
      assert.doesNotMatch(red.log, /insertMissing is off here/);
    });

    it('keeps a deliberate "off" once saved by this dialog', async function () {
      await page.evaluate(() => RED.editor.editConfig('', 'oicp-hubject-config', 'mig-hub'));
      const box = page.locator('#node-config-input-insertMissing');
      await box.waitFor({ state: 'visible' });
      await box.uncheck();
      await page.locator('#node-config-dialog-ok').click();
      await box.waitFor({ state: 'detached' });
      const shown = await openAndUpdate('mig-hub');
      assert.strictEqual(shown.insertMissing, false, 'the push node no longer overrides it');
      const flows = await deploy();
      const got = flows.find((n) => n.id === 'mig-hub');
      assert.strictEqual(got.insertMissing, false);
      assert.strictEqual(got.editorRevision, 2);
    });
  });

  describe('the other dialogs: Done without edits saves what runs', function () {
    it('shows a missing "only changes" of the mapper as on, and missing numbers of full load and push data as their defaults', async function () {
      await importFlow([
        { id: 'old2-tab', type: 'tab', label: 'older nodes' },
        {
          id: 'old2-map',
          type: 'oicp-ocpp-status',
          z: 'old2-tab',
          name: 'older mapper',
          evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
          x: 200,
          y: 80,
          wires: [[]],
        },
        { id: 'old2-fl', type: 'oicp-full-load', z: 'old2-tab', name: 'older full load', time: '03:00', x: 200, y: 160, wires: [[]] },
        { id: 'old2-data', type: 'oicp-push-evse-data', z: 'old2-tab', name: 'older data', action: 'auto', defaults: {}, x: 200, y: 240, wires: [[]] },
      ]);
      await page.evaluate(() => RED.workspaces.show('old2-tab'));
      const limits = await page.evaluate(() => RED.settings.oicpFullLoadLimits);
      for (const id of ['old2-map', 'old2-fl', 'old2-data']) {
        await page.evaluate((i) => RED.editor.edit(RED.nodes.node(i)), id);
        const ok = page.locator('#node-dialog-ok');
        await ok.waitFor({ state: 'visible' });
        await page.waitForTimeout(300);
        await ok.click();
        await ok.waitFor({ state: 'detached' });
      }
      const saved = await page.evaluate(() => {
        const n = (i) => RED.nodes.node(i);
        return {
          onlyChanges: n('old2-map').onlyChanges,
          fl: [n('old2-fl').onStartDelay, n('old2-fl').staleDays, n('old2-fl').minRatio],
          dataMinRatio: n('old2-data').minRatio,
        };
      });
      assert.deepStrictEqual(saved, {
        onlyChanges: true,
        fl: [String(limits.onStartDelay.default), String(limits.staleDays.default), String(limits.minRatio.default)],
        dataMinRatio: String(limits.minRatio.default),
      });
    });
  });

  describe('config nodes told apart', function () {
    it("lists examples 1-5's Hubject configs in the push node's dropdown under names that tell them apart", async function () {
      const push = readExample(MINE[0]).find((n) => n.type === 'oicp-push-evse-status');
      const pushId = push.id;
      await page.evaluate((z) => RED.workspaces.show(z), push.z);
      await page.evaluate((id) => RED.editor.edit(RED.nodes.node(id)), pushId);
      const select = page.locator('#node-input-hubject');
      await select.waitFor({ state: 'attached' });
      const labels = await select.locator('option').evaluateAll((os) => os.map((o) => o.textContent.trim()));
      await shot('2-hubject-dropdown');
      await page.locator('#node-dialog-cancel').click();
      await select.waitFor({ state: 'detached' });
      const fromExamples = labels.filter((l) => /example/.test(l));
      assert.strictEqual(fromExamples.length, MINE.length, labels.join(' | '));
      assert.strictEqual(new Set(labels).size, labels.length, `duplicate entries: ${labels.join(' | ')}`);
      for (const file of MINE)
        assert.ok(
          labels.some((l) => l.endsWith(`example ${file[0]}`)),
          `${file}: ${labels.join(' | ')}`,
        );
    });
  });

  describe('example 6', function () {
    it("marks example 6's push data node with the red triangle while its Hubject config has no certificate", async function () {
      const flow = readExample(FILES.find((f) => /^6 /.test(f)));
      // Imported with the others above when this runs after them; on its own (--grep) it is imported here.
      const data = flow.find((n) => n.type === 'oicp-push-evse-data');
      if (!(await page.evaluate((id) => !!RED.nodes.node(id), data.id))) await importFlow(flow);
      const hub = flow.find((n) => n.type === 'oicp-hubject-config');
      const valid = await page.evaluate((ids) => ({ hub: RED.nodes.node(ids[0]).valid, data: RED.nodes.node(ids[1]).valid }), [hub.id, data.id]);
      assert.deepStrictEqual(valid, { hub: false, data: false });
      await page.evaluate((z) => RED.workspaces.show(z), data.z);
      const node = page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${data.id}"]`);
      await node.waitFor({ state: 'attached' });
      await until(async () => (await node.locator('.red-ui-flow-node-error:not(.hide)').count()) > 0, 5000, 'red triangle on the push data node');
      await shot('3-example-6-triangle');
    });
  });

  describe('push data dialog: the Defaults section at 1280 x 800', function () {
    it('gives every label its own room beside no input, shows lists as one-line dropdowns, and keeps the form short', async function () {
      const demo = readExample(MINE.find((f) => /^5 /.test(f)));
      const data = demo.find((n) => n.type === 'oicp-push-evse-data');
      // Imported by the tests above; this suite also runs alone (mocha -g).
      if (!(await page.evaluate((id) => !!RED.nodes.node(id), data.id))) await importFlow(demo);
      await page.evaluate((z) => RED.workspaces.show(z), data.z);
      await page.evaluate((id) => RED.editor.edit(RED.nodes.node(id)), data.id);
      const form = page.locator('#node-input-defaults-form');
      await form.waitFor({ state: 'visible' });
      await page.waitForTimeout(500); // the tray's slide-in
      // The picture a person looks at: the whole tray, scrolled to the Defaults section.
      await form.evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await page
        .locator('.red-ui-notification')
        .first()
        .waitFor({ state: 'detached', timeout: 15000 })
        .catch(() => undefined);
      await shot('4-data-defaults');
      const layout = await page.evaluate(() => {
        const box = (e) => {
          const r = e.getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height, right: r.right, bottom: r.bottom };
        };
        const tray = document.querySelector('.red-ui-tray-body') || document.querySelector('.red-ui-tray');
        const rows = [...document.querySelectorAll('#node-input-defaults-form .form-row')].map((row) => {
          const label = row.querySelector('label');
          const input = row.querySelector('.red-ui-typedInput-container') || row.querySelector('input, select');
          return {
            name: label.textContent.trim(),
            label: box(label),
            labelCut: label.scrollWidth > label.clientWidth + 1,
            input: box(input),
            checkboxes: row.querySelectorAll('input[type=checkbox]').length,
          };
        });
        return { tray: box(tray), form: box(document.getElementById('node-input-defaults-form')), rows };
      });
      const overlap = (a, b) => a.x < b.right && b.x < a.right && a.y < b.bottom && b.y < a.bottom;
      assert.strictEqual(layout.rows.length, 11, layout.rows.map((r) => r.name).join(', '));
      for (const r of layout.rows) {
        assert.ok(!overlap(r.label, r.input), `${r.name}: label ${JSON.stringify(r.label)} overlaps its input ${JSON.stringify(r.input)}`);
        assert.ok(!r.labelCut, `${r.name}: label cut off`);
        assert.ok(r.input.right <= layout.tray.right + 1, `${r.name}: input runs past the tray (${r.input.right} > ${layout.tray.right})`);
        assert.ok(r.input.h <= 40, `${r.name}: input ${r.input.h} px high, one line expected`);
        assert.strictEqual(r.checkboxes, 0, `${r.name}: a column of checkboxes`);
      }
      // Eleven fields of two lines each; the old checkbox columns made it over 1,100 px.
      assert.ok(layout.form.h <= 11 * 64, `Defaults section ${layout.form.h} px high`);
      const pay = page.locator('.form-row', { has: page.locator('#node-input-def-AuthenticationModes') }).locator('.red-ui-typedInput-option-label');
      assert.strictEqual((await pay.innerText()).trim(), 'NFC RFID Classic, REMOTE', 'a list field names its values');
      const names = layout.rows.map((r) => r.name);
      for (const n of ['AuthenticationModes', 'PaymentOptions', 'ValueAddedServices', 'HotlinePhoneNumber', 'CalibrationLawDataAvailability'])
        assert.ok(names.includes(n), n);
    });

    it('offers the OpenAPI choices in the dropdown and saves the picked ones as a list', async function () {
      const choices = await page.evaluate(() => RED.settings.oicpPushEvseDataChoices);
      const field = page.locator('.form-row', { has: page.locator('#node-input-def-PaymentOptions') }).locator('.red-ui-typedInput-container');
      await field.locator('button.red-ui-typedInput-option-trigger, .red-ui-typedInput-option-trigger').first().click();
      const menu = page.locator('.red-ui-typedInput-options:visible');
      await menu.waitFor({ state: 'visible' });
      const offered = await menu.locator('a').evaluateAll((as) => as.map((a) => a.textContent.trim()));
      assert.deepStrictEqual(offered, choices.PaymentOptions);
      await shot('5-data-defaults-payment-dropdown');
      await menu.locator('a', { hasText: /^Direct$/ }).click();
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'hidden' });
      const picked = (await field.locator('.red-ui-typedInput-option-label').innerText()).trim();
      assert.deepStrictEqual(picked.split(', ').sort(), ['Contract', 'Direct'], `the field names what is picked: ${picked}`);
      const tray = page.locator('.red-ui-tray', { has: page.locator('#node-input-defaults-form') });
      await tray.locator('#node-dialog-ok').click();
      await tray.waitFor({ state: 'hidden' });
      const saved = await page.evaluate(() => RED.nodes.filterNodes({ type: 'oicp-push-evse-data', z: RED.workspaces.active() })[0].defaults);
      assert.deepStrictEqual([...saved.PaymentOptions].sort(), ['Contract', 'Direct']);
      assert.strictEqual(saved.HotlinePhoneNumber, '+4930123456');
    });
  });

  describe('the page', function () {
    it('threw no uncaught errors in the editor page', function () {
      assert.deepStrictEqual(pageErrors, []);
    });
  });
});
