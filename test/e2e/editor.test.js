'use strict';
// The Node-RED editor in a real browser (Debian's chromium driven by playwright-core, headless) against a real
// Node-RED with this package installed and the Hubject simulator running: palette, Import > Examples, Deploy,
// the push node's status, the config node's OperatorID check. Screenshots go to test/e2e/screenshots/ (gitignored),
// on failure too. docs/demo-flow.png (the README's picture) is written when it is missing or OICP_UPDATE_DOCS=1.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { RedProcess, ROOT, freePort } = require('../support/red-process');
const { startSim, pullStatuses } = require('../support/sim');
const { ensureChromium, CHROMIUM_ARGS, until } = require('./support');

const SHOTS = path.join(__dirname, 'screenshots');
const DOCS_SHOT = path.join(ROOT, 'docs', 'demo-flow.png');
const DEMO_TAB = 'OICP demo (local simulator)';
const DEMO_EXAMPLE = '5 Demo with the local Hubject simulator';
const PALETTE = {
  'oicp-ocpp-status': { label: 'ocpp status', icon: 'icons/node-red-contrib-oicp/oicp-ocpp-status.svg' },
  'oicp-full-load': { label: 'full load', icon: 'icons/node-red-contrib-oicp/oicp-full-load.svg' },
  'oicp-push-evse-status': { label: 'push status', icon: 'icons/node-red-contrib-oicp/oicp-push-evse-status.svg' },
  'oicp-push-evse-data': { label: 'push data', icon: 'icons/node-red-contrib-oicp/oicp-push-evse-data.svg' },
  'oicp-authorize': { label: 'authorize', icon: 'icons/node-red-contrib-oicp/oicp-authorize.svg' },
  'oicp-push-cdr': { label: 'push cdr', icon: 'icons/node-red-contrib-oicp/oicp-push-cdr.svg' },
  'oicp-remote-in': { label: 'remote in', icon: 'icons/node-red-contrib-oicp/oicp-remote-in.svg' },
  'oicp-remote-response': { label: 'remote out', icon: 'icons/node-red-contrib-oicp/oicp-remote-response.svg' },
};
// The demo holds every flow node of the package (remote in and out since it wires remote start, issue 23).
const IN_DEMO = Object.keys(PALETTE);

describe('e2e: the Node-RED editor in chromium', function () {
  this.timeout(60000);
  let sim;
  let red;
  let browser;
  let page;
  const responses = new Map(); // URL -> HTTP status of every response the page got
  const pageErrors = [];

  async function shot(name) {
    if (!page) return undefined;
    fs.mkdirSync(SHOTS, { recursive: true });
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    return file;
  }

  /** The workspace node <g> of the only node of `type` on the active tab. */
  async function workspaceNode(type) {
    const id = await page.evaluate((t) => {
      const ns = RED.nodes.filterNodes({ type: t, z: RED.workspaces.active() });
      return ns.length === 1 ? ns[0].id : null;
    }, type);
    assert.ok(id, `exactly one ${type} on the active tab`);
    return page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${id}"]`);
  }

  before(async function () {
    this.timeout(900000); // a first run on a bare machine installs chromium with apt-get
    const executablePath = ensureChromium();
    const s = await startSim();
    sim = s.sim;
    const c = s.certs.clients['DE*ABC'];
    red = new RedProcess({
      flows: [],
      env: {
        OICP_SIM_URL: s.url,
        OICP_SIM_CERT: c.cert,
        OICP_SIM_KEY: c.key,
        OICP_SIM_CA: s.certs.caCert,
        // The demo's CPO endpoint (remote start): its port and server certificate, as npm start gives them.
        OICP_CPO_PORT: String(await freePort()),
        OICP_CPO_CERT: s.certs.cpoServerCert,
        OICP_CPO_KEY: s.certs.cpoServerKey,
        // No "Enable Update Notifications" dialog over the editor (and no calls home from the runtime).
        NODE_RED_DISABLE_TELEMETRY: '1',
      },
    });
    await red.start(90000);
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60000 });
    const context = await browser.newContext({ viewport: { width: 1400, height: 800 } });
    context.setDefaultTimeout(20000);
    page = await context.newPage();
    page.on('response', (r) => responses.set(r.url(), r.status()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await page.goto(red.url, { waitUntil: 'domcontentloaded' });
      // The editor is ready when its header toolbar shows and the loading bar is gone.
      await page.locator('.red-ui-header-toolbar').waitFor({ state: 'visible', timeout: 45000 });
      await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 45000 });
      await page.waitForFunction(() => window.RED && RED.nodes.getType('oicp-push-evse-status') && RED.workspaces.active());
    } catch (err) {
      await shot('FAILED-editor-load').catch(() => undefined);
      err.message += `\nNode-RED log tail:\n${red.log.slice(-2000)}\npage errors: ${pageErrors.join('; ')}`;
      throw err;
    }
  });

  afterEach(async function () {
    if (this.currentTest.state === 'failed') {
      const safe = this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await shot(`FAILED-${safe}`).catch(() => undefined);
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

  it('shows the OICP palette category with its five nodes and their icons, and registers the config node', async function () {
    const category = page.locator('#red-ui-palette .red-ui-palette-category', { has: page.locator('.red-ui-palette-header', { hasText: /^\s*OICP\s*$/ }) });
    await category.scrollIntoViewIfNeeded();
    assert.strictEqual(await category.count(), 1, 'one palette category headed OICP');
    assert.strictEqual((await category.locator('.red-ui-palette-header').innerText()).trim(), 'OICP');
    const types = await category.locator('.red-ui-palette-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-palette-type')).sort());
    assert.deepStrictEqual(types, Object.keys(PALETTE).sort(), 'the OICP category holds exactly the eight flow nodes');

    for (const [type, want] of Object.entries(PALETTE)) {
      const node = category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      await node.waitFor({ state: 'visible' });
      assert.strictEqual(await node.getAttribute('data-palette-label'), want.label);
      assert.strictEqual((await node.locator('.red-ui-palette-label').innerText()).replace(/\s+/g, ' ').trim(), want.label);
      // One line, like a one-word label: a wrapped label is twice as high.
      const heights = await category.locator('.red-ui-palette-label').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
      const own = await node.locator('.red-ui-palette-label').evaluate((e) => e.getBoundingClientRect().height);
      assert.ok(own <= Math.min(...heights) + 1, `${type}: palette label '${want.label}' fits one line (${own} px, shortest ${Math.min(...heights)} px)`);
      const bg = await node.locator('.red-ui-palette-icon').evaluate((e) => getComputedStyle(e).backgroundImage);
      const m = /url\("?([^")]+)"?\)/.exec(bg);
      assert.ok(m, `${type}: palette icon has no background image (${bg})`);
      const iconUrl = new URL(m[1], red.url + '/').href;
      assert.ok(iconUrl.endsWith('/' + want.icon), `${type}: icon ${iconUrl}`);
      // The browser's own request for the icon answered 200, and the image decodes.
      await until(() => responses.has(iconUrl), 10000, `the browser loading ${iconUrl}`);
      assert.strictEqual(responses.get(iconUrl), 200, `${iconUrl} answered HTTP ${responses.get(iconUrl)}`);
      const size = await page.evaluate(async (u) => {
        const img = new Image();
        img.src = u;
        await img.decode();
        return [img.naturalWidth, img.naturalHeight];
      }, iconUrl);
      assert.ok(size[0] > 0 && size[1] > 0, `${iconUrl} decodes to ${size}`);
    }
    fs.mkdirSync(SHOTS, { recursive: true });
    await category.screenshot({ path: path.join(SHOTS, '0-palette-oicp.png') });

    const cfg = await page.evaluate(() => {
      const d = RED.nodes.getType('oicp-hubject-config');
      return d ? { category: d.category, hasOperatorId: !!(d.defaults && d.defaults.operatorId) } : null;
    });
    assert.deepStrictEqual(cfg, { category: 'config', hasOperatorId: true });
    assert.strictEqual(await page.locator('.red-ui-palette-node[data-palette-type="oicp-hubject-config"]').count(), 0, 'config nodes stay out of the palette');
  });

  it('lists the examples under Import > Examples and imports the demo', async function () {
    await page.click('#red-ui-header-button-sidemenu');
    await page.click('#menu-item-import');
    const dialog = page.locator('.ui-dialog', { has: page.locator('#red-ui-clipboard-dialog') });
    await dialog.waitFor({ state: 'visible' });
    await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a');
    const tree = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    await tree.waitFor({ state: 'visible' });
    await tree.locator('.red-ui-treeList-label', { hasText: /^node-red-contrib-oicp$/ }).click();
    const example = tree.locator('.red-ui-treeList-label', { hasText: DEMO_EXAMPLE });
    await example.waitFor({ state: 'visible' });
    const listed = await tree.locator('.red-ui-treeList-label-text').allInnerTexts();
    assert.ok(listed.includes('node-red-contrib-oicp'), `examples list: ${listed.join(', ')}`);
    // Every file in examples/ is listed, by its name without .json.
    for (const f of fs.readdirSync(path.join(ROOT, 'examples')).filter((x) => x.endsWith('.json'))) {
      assert.ok(listed.includes(f.slice(0, -5)), `example '${f}' missing from: ${listed.join(', ')}`);
    }
    await example.click();
    await shot('1-import-examples');
    await page.click('#red-ui-clipboard-dialog-ok');
    await dialog.waitFor({ state: 'hidden' });

    // The demo brings its own tab; open it.
    const tab = page.locator('#red-ui-workspace-tabs .red-ui-tab', { hasText: DEMO_TAB });
    await tab.waitFor({ state: 'visible' });
    await tab.locator('a.red-ui-tab-label').click();
    await until(async () => (await page.evaluate(() => RED.nodes.workspace(RED.workspaces.active()).label)) === DEMO_TAB, 10000, 'the demo tab active');
    const example5 = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', `${DEMO_EXAMPLE}.json`), 'utf8'));
    const flowNodes = example5.filter((n) => n.z);
    let count = 0;
    await until(
      async () => (count = await page.locator('#red-ui-workspace-chart g.red-ui-flow-node').count()) === flowNodes.length,
      10000,
      `${flowNodes.length} nodes in the workspace`,
      () => `${count} there`,
    );
    for (const type of IN_DEMO) await (await workspaceNode(type)).waitFor({ state: 'visible' });
    const invalid = await page.evaluate(() => {
      const bad = [];
      RED.nodes.eachNode((n) => {
        if (n.valid === false) bad.push(`${n.type} ${n.id}`);
      });
      RED.nodes.eachConfig((n) => {
        if (n.valid === false) bad.push(`${n.type} ${n.id}`);
      });
      return bad;
    });
    assert.deepStrictEqual(invalid, [], 'the demo imports without invalid nodes');
    await shot('2-imported');
  });

  it('deploys', async function () {
    const deploy = page.locator('#red-ui-header-button-deploy');
    assert.ok(!(await deploy.getAttribute('class')).includes('disabled'), 'Deploy is enabled after the import');
    await deploy.click();
    // Node-RED asks for confirmation when it thinks something is off (invalid or unknown nodes); confirm then.
    const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
    const outcome = await Promise.race([
      page
        .locator('.red-ui-notification', { hasText: 'Successfully deployed' })
        .waitFor({ state: 'visible' })
        .then(() => 'deployed'),
      confirm.waitFor({ state: 'visible' }).then(() => 'confirm'),
    ]);
    if (outcome === 'confirm') {
      await shot('3-deploy-confirm');
      await confirm.click();
      await page.locator('.red-ui-notification', { hasText: 'Successfully deployed' }).waitFor({ state: 'visible' });
    }
    await until(async () => (await deploy.getAttribute('class')).includes('disabled'), 10000, 'Deploy button disabled after deploy');
    const flows = await red.http('GET', '/flows');
    const deployed = (flows.json.flows || flows.json).map((n) => n.type);
    for (const type of [...IN_DEMO, 'oicp-hubject-config']) assert.ok(deployed.includes(type), `${type} deployed`);
  });

  it('turns the push node green with 000 and the simulator holds the demo EVSEs', async function () {
    const push = await workspaceNode('oicp-push-evse-status');
    const label = push.locator('.red-ui-flow-node-status-label');
    let seen = '';
    await until(
      async () => /^000\b/.test((seen = (await label.textContent()) || '')),
      40000,
      'push node status starting with 000',
      () => `last status text '${seen}'`,
    );
    const text = await label.textContent();
    const dot = await push.locator('.red-ui-flow-node-status').getAttribute('class');
    assert.match(dot, /red-ui-flow-node-status-dot-green|red-ui-flow-node-status-ring-green/, `push status shape: ${dot}, text ${text}`);
    // The mapper shows green too once its first EVSEs went through.
    const map = await workspaceNode('oicp-ocpp-status');
    await until(async () => /green/.test((await map.locator('.red-ui-flow-node-status').getAttribute('class')) || ''), 20000, 'ocpp status node green');
    // What the editor shows matches what Hubject (the simulator) got.
    const held = pullStatuses(sim, 'DE*ABC');
    for (const cb of ['1001', '1002', '1003'])
      for (const c of [1, 2]) assert.ok(held[`DE*ABC*E${cb}*${c}`], `simulator holds DE*ABC*E${cb}*${c}: ${JSON.stringify(held)}`);

    // The acknowledgements reach the debug sidebar.
    await page.click('#red-ui-tab-debug-link-button');
    await page.locator('.red-ui-debug-msg', { hasText: '"000"' }).first().waitFor({ state: 'visible', timeout: 10000 });
    await page.mouse.move(700, 650); // off the debug tab button: its tooltip goes
    await page
      .locator('.red-ui-popover')
      .first()
      .waitFor({ state: 'detached', timeout: 5000 })
      .catch(() => undefined);
    await shot('4-debug-acknowledgements');

    // The README's picture: the whole demo after deploy with its green statuses. The sidebar is hidden (ctrl+space)
    // and the view zoomed out to 0.8 so the flow fits 1400 x 800; both are put back afterwards.
    await page
      .locator('.red-ui-notification')
      .first()
      .waitFor({ state: 'detached', timeout: 15000 })
      .catch(() => undefined);
    await page.keyboard.press('Control+Space');
    await page.locator('#red-ui-sidebar').waitFor({ state: 'hidden' });
    await page.click('#red-ui-view-zoom-out');
    await page.click('#red-ui-view-zoom-out');
    assert.strictEqual((await page.evaluate(() => RED.view.scale())).toFixed(1), '0.8');
    await page.evaluate(() => {
      const c = document.getElementById('red-ui-workspace-chart');
      c.scrollLeft = 0;
      c.scrollTop = 0;
      RED.view.select('');
      document.activeElement.blur();
    });
    await page.mouse.move(700, 650); // off the zoom buttons: no tooltip
    await page
      .locator('.red-ui-popover')
      .first()
      .waitFor({ state: 'detached', timeout: 5000 })
      .catch(() => undefined);
    await page.waitForTimeout(300); // let the scroll, redraw and tooltip fade settle
    const file = await shot('4-demo-flow');
    if (!fs.existsSync(DOCS_SHOT) || process.env.OICP_UPDATE_DOCS === '1') {
      fs.mkdirSync(path.dirname(DOCS_SHOT), { recursive: true });
      fs.copyFileSync(file, DOCS_SHOT);
    }
    await page.click('#red-ui-view-zoom-zero');
    await page.keyboard.press('Control+Space');
    await page.locator('#red-ui-sidebar').waitFor({ state: 'visible' });
  });

  it('marks an invalid OperatorID in the Hubject config dialog and clears it when corrected', async function () {
    const push = await workspaceNode('oicp-push-evse-status');
    await push.locator('rect.red-ui-flow-node').dblclick();
    const pushTray = page.locator('.red-ui-tray', { has: page.locator('#node-input-hubject') });
    await pushTray.waitFor({ state: 'visible' });
    // The pencil next to the Hubject config selector (Node-RED 4.1: #node-input-btn-hubject-edit; 3.x: #node-input-lookup-hubject).
    await pushTray.locator('#node-input-btn-hubject-edit, #node-input-lookup-hubject').first().click();
    const input = page.locator('#node-config-input-operatorId');
    await input.waitFor({ state: 'visible' });
    assert.strictEqual(await input.inputValue(), 'DE*ABC');
    assert.strictEqual(await hasError(), false, 'DE*ABC from the demo is valid');

    await input.fill('');
    await input.pressSequentially('XX_1');
    await until(hasError, 5000, 'input-error on XX_1');
    await shot('5-operatorid-invalid');

    await input.fill('');
    await input.pressSequentially('DE*ABC');
    await until(async () => !(await hasError()), 5000, 'input-error cleared for DE*ABC');
    await shot('6-operatorid-valid');

    // Leave without changing anything: cancel the config tray, then the push node's tray.
    await page.locator('.red-ui-tray', { has: input }).locator('#node-config-dialog-cancel').click();
    await input.waitFor({ state: 'detached' });
    await pushTray.locator('#node-dialog-cancel').click();
    await pushTray.waitFor({ state: 'hidden' });

    async function hasError() {
      return ((await input.getAttribute('class')) || '').split(/\s+/).includes('input-error');
    }
  });

  it("offers the data node's defaults as form fields with the OpenAPI's choices and saves them as an object", async function () {
    const data = await workspaceNode('oicp-push-evse-data');
    await data.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray', { has: page.locator('#node-input-defaults-form') });
    await tray.waitFor({ state: 'visible' });
    // The choices come from the runtime's enums (node settings), not from a copy in the editor.
    const choices = await page.evaluate(() => RED.settings.oicpPushEvseDataChoices);
    // A list is a typedInput with multiple choices: its dropdown offers the OpenAPI's values.
    const payField = tray.locator('.form-row', { has: page.locator('#node-input-def-PaymentOptions') }).locator('.red-ui-typedInput-container');
    assert.strictEqual((await payField.locator('.red-ui-typedInput-option-label').innerText()).trim(), 'Contract', "the demo's defaults are shown");
    await payField.locator('.red-ui-typedInput-option-trigger').click();
    const menu = page.locator('.red-ui-typedInput-options:visible');
    await menu.waitFor({ state: 'visible' });
    assert.deepStrictEqual(await menu.locator('a').evaluateAll((as) => as.map((a) => a.textContent.trim())), choices.PaymentOptions);
    assert.ok(choices.PaymentOptions.includes('No Payment') && choices.AuthenticationModes.includes('PnC'), JSON.stringify(choices));
    // Change two and save.
    await menu.locator('a', { hasText: /^Direct$/ }).click();
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });
    const access = tray.locator('#node-input-def-Accessibility option');
    assert.deepStrictEqual((await access.evaluateAll((els) => els.map((e) => e.value))).slice(1), choices.Accessibility);
    await tray.locator('#node-input-def-AccessibilityLocation').selectOption('ParkingGarage');
    await shot('8-data-node-dialog');
    await tray.locator('#node-dialog-ok').click();
    await tray.waitFor({ state: 'hidden' });
    const saved = await page.evaluate(() => RED.nodes.filterNodes({ type: 'oicp-push-evse-data', z: RED.workspaces.active() })[0].defaults);
    assert.ok(saved.PaymentOptions.includes('Direct') && saved.PaymentOptions.includes('Contract'));
    assert.strictEqual(saved.AccessibilityLocation, 'ParkingGarage');
    assert.strictEqual(saved.HotlinePhoneNumber, '+4930123456');
    assert.strictEqual(saved.IsOpen24Hours, true);
  });

  it("checks the mapper's EvseID template live and saves its edited mapping and lookup tables", async function () {
    const mapper = await workspaceNode('oicp-ocpp-status');
    await mapper.locator('rect.red-ui-flow-node').dblclick();
    const tray = page.locator('.red-ui-tray', { has: page.locator('#node-input-evseIdTemplate') });
    await tray.waitFor({ state: 'visible' });
    const tpl = tray.locator('#node-input-evseIdTemplate');
    const tplError = async () => ((await tpl.getAttribute('class')) || '').split(/\s+/).includes('input-error');
    assert.strictEqual(await tplError(), false, 'the demo template is valid');
    await tpl.fill('DE*XYZ*E{chargeBoxId}*{connectorId}');
    await until(tplError, 5000, 'a template outside the linked operator DE*ABC is marked');
    await tpl.fill('DE*ABC*E{chargeBoxId}*{connectorId}');
    await until(async () => !(await tplError()), 5000, 'the corrected template is accepted');

    // The mapping table lists Hubject's table, one editable row per OCPP status.
    const rows = tray.locator('#node-input-mapping-container .oicp-map-ocpp');
    assert.strictEqual(await rows.count(), 10);
    const names = await rows.evaluateAll((els) => els.map((e) => e.value));
    const faulted = tray.locator('#node-input-mapping-container select.oicp-map-oicp').nth(names.indexOf('Faulted'));
    assert.ok(names.includes('Faulted'), names.join(','));
    assert.strictEqual(await faulted.inputValue(), 'OutOfService');
    await faulted.selectOption('Unknown');

    // The lookup table takes a row; a foreign EvseID is marked, a valid one is not.
    await tray
      .locator('.red-ui-editableList', { has: page.locator('#node-input-lookup-container') })
      .locator('.red-ui-editableList-addButton')
      .click();
    const evse = tray.locator('#node-input-lookup-container .oicp-lookup-evse').last();
    await tray.locator('#node-input-lookup-container .oicp-lookup-cb').last().fill('1001');
    await tray.locator('#node-input-lookup-container .oicp-lookup-conn').last().fill('1');
    await evse.fill('DE*XYZ*E9');
    await until(async () => ((await evse.getAttribute('class')) || '').includes('input-error'), 5000, 'foreign EvseID marked');
    await evse.fill('DE*ABC*E9001');
    await until(async () => !((await evse.getAttribute('class')) || '').includes('input-error'), 5000, 'valid EvseID accepted');
    await shot('7-mapper-dialog');

    await tray.locator('#node-dialog-ok').click();
    await tray.waitFor({ state: 'hidden' });
    const saved = await page.evaluate(() => {
      const n = RED.nodes.filterNodes({ type: 'oicp-ocpp-status', z: RED.workspaces.active() })[0];
      return { mapping: n.mapping, lookup: n.lookup };
    });
    assert.strictEqual(saved.mapping.Faulted, 'Unknown');
    assert.deepStrictEqual(
      saved.lookup.map((r) => [r.chargeBoxId, String(r.connector), r.EvseID]),
      [['1001', '1', 'DE*ABC*E9001']],
    );
  });

  /** The text of the tooltip Node-RED attaches to an invalid field, shown by hovering it. */
  async function fieldReason(input) {
    await input.hover();
    const tip = page.locator('.red-ui-popover-tooltip, .red-ui-popover').filter({ hasText: /\S/ }).last();
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    return (await tip.innerText()).trim();
  }

  it('flags a QA config whose tls-config has no client certificate before deploy, and says why', async function () {
    const valid = await page.evaluate(() => {
      RED.view.importNodes(
        [
          {
            id: 'e2etlsempty',
            type: 'tls-config',
            name: 'no client certificate',
            cert: '',
            key: '',
            ca: '',
            certname: '',
            keyname: '',
            caname: '',
            servername: '',
            verifyservercert: true,
            alpnprotocol: '',
          },
          {
            id: 'e2ehubqa',
            type: 'oicp-hubject-config',
            name: 'QA without certificate',
            environment: 'qa',
            url: '',
            operatorId: 'DE*ABC',
            subOperatorIds: '',
            operatorName: '',
            tls: 'e2etlsempty',
            timeout: 30,
            rateLimit: 2000,
            retryBase: 1,
            retryMax: 300,
            maxRecords: 500,
            insertMissing: true,
          },
          {
            id: 'e2epushqa',
            type: 'oicp-push-evse-status',
            z: RED.workspaces.active(),
            name: 'push QA',
            hubject: 'e2ehubqa',
            action: 'update',
            maxRecords: '',
            insertMissing: true,
            x: 700,
            y: 560,
            wires: [],
          },
        ],
        { generateIds: false },
      );
      return { hub: RED.nodes.node('e2ehubqa').valid, push: RED.nodes.node('e2epushqa').valid };
    });
    assert.deepStrictEqual(valid, { hub: false, push: false }, 'the config and the push node using it are invalid before deploy');
    // The push node shows Node-RED's invalid-node marker in the workspace.
    const push = page.locator('#red-ui-workspace-chart g.red-ui-flow-node[id="e2epushqa"]');
    await push.waitFor({ state: 'attached' });
    await until(async () => (await push.locator('.red-ui-flow-node-error:not(.hide)').count()) > 0, 5000, 'error marker on the push node');

    await page.evaluate(() => RED.editor.editConfig('', 'oicp-hubject-config', 'e2ehubqa'));
    const tls = page.locator('#node-config-input-tls');
    await tls.waitFor({ state: 'attached' });
    await until(async () => ((await tls.getAttribute('class')) || '').includes('input-error'), 5000, 'tls field marked');
    const reason = await fieldReason(tls);
    assert.match(reason, /client certificate and key from Hubject onboarding are missing/);
    await shot('8-qa-config-without-certificate');
    await page.locator('.red-ui-tray', { has: tls }).locator('#node-config-dialog-cancel').click();
    await tls.waitFor({ state: 'detached' });
  });

  it('says why a field is invalid: a sub-OperatorID that is not one', async function () {
    await page.evaluate(() => RED.editor.editConfig('', 'oicp-hubject-config', 'e2ehubqa'));
    const subs = page.locator('#node-config-input-subOperatorIds');
    await subs.waitFor({ state: 'visible' });
    await subs.fill('DE*SUB, D-E-X');
    await subs.press('End');
    await until(async () => ((await subs.getAttribute('class')) || '').includes('input-error'), 5000, 'sub-OperatorIDs marked');
    assert.match(await fieldReason(subs), /'D-E-X' is not an OperatorID/);
    await shot('9-sub-operator-reason');
    await page.locator('.red-ui-tray', { has: subs }).locator('#node-config-dialog-cancel').click();
    await subs.waitFor({ state: 'detached' });
    // Leave the workspace as the demo left it.
    await page.evaluate(() => {
      for (const id of ['e2epushqa', 'e2ehubqa', 'e2etlsempty']) RED.nodes.remove(id);
      RED.view.redraw(true);
    });
  });

  it('threw no uncaught errors in the editor page', function () {
    assert.deepStrictEqual(pageErrors, []);
  });
});
