'use strict';
// The first hour of an integrator, in a real browser (Debian's chromium via playwright-core, headless):
// - `npm start` (scripts/start.js on free ports): the first screen is the demo flow, with no dialog over it, and its
//   nodes laid out without overlaps at their real sizes;
// - Import > Examples of every pair of examples into an empty editor: no "already exist" conflict;
// - the simulator page's fault buttons drive the push node's status: 503 storm -> yellow, 017 -> red, heal -> green.
// Screenshots go to test/e2e/screenshots/ (gitignored).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { chromium } = require('playwright-core');
const { request } = require('undici');
const { RedProcess, freePort, ROOT } = require('../support/red-process');
const { ensureChromium, CHROMIUM_ARGS, until } = require('./support');

const SHOTS = path.join(__dirname, 'screenshots');
const EXAMPLES = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => f.slice(0, -5));
const DEMO_TAB = 'OICP demo (local simulator)';

async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `first-hour-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Waits until the editor has loaded its flows and this package's node types. */
async function editorReady(page, url) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  await page.locator('.red-ui-header-toolbar').waitFor({ state: 'visible', timeout: 45000 });
  await page.locator('#red-ui-loading-progress').waitFor({ state: 'hidden', timeout: 45000 });
  await page.waitForFunction(() => window.RED && RED.nodes.getType('oicp-push-evse-status') && RED.workspaces.active());
}

/** Pairs of nodes on a tab (default: the active one) whose boxes, as the editor sized them, overlap. */
async function overlapsOnActiveTab(page, z) {
  return page.evaluate((tab) => {
    const ns = RED.nodes.filterNodes({ z: tab || RED.workspaces.active() }).filter((n) => n.w && n.h);
    const out = [];
    for (let i = 0; i < ns.length; i++) {
      for (let j = i + 1; j < ns.length; j++) {
        const a = ns[i];
        const b = ns[j];
        if (Math.abs(a.x - b.x) * 2 < a.w + b.w && Math.abs(a.y - b.y) * 2 < a.h + b.h)
          out.push(`${a.type} ${a.id} (${a.w}x${a.h} at ${a.x},${a.y}) / ${b.type} ${b.id} (${b.w}x${b.h} at ${b.x},${b.y})`);
      }
    }
    return { count: ns.length, overlaps: out };
  }, z);
}

describe('e2e: the first hour of an integrator', function () {
  this.timeout(120000);
  let browser;
  let context;
  const pageErrors = [];

  before(async function () {
    this.timeout(900000); // a first run on a bare machine installs chromium with apt-get
    const executablePath = ensureChromium();
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60000 });
    context = await browser.newContext({ viewport: { width: 1400, height: 800 } });
    context.setDefaultTimeout(20000);
  });

  after(async function () {
    if (browser) await browser.close().catch(() => undefined);
  });

  describe('npm start', function () {
    let demoDir;
    let child;
    let out = '';
    let ports;
    let editor;
    let simPage;

    before(async function () {
      this.timeout(120000);
      demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-first-hour-'));
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
        90000,
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

    afterEach(async function () {
      if (this.currentTest.state === 'failed') {
        if (editor) await shot(editor, `FAILED-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => undefined);
        console.log(`npm start output (tail):\n${out.slice(-3000)}`);
        if (pageErrors.length) console.log(`page errors:\n${pageErrors.join('\n')}`);
      }
    });

    it('names the editor and the simulator page on the ports it was given', function () {
      assert.match(out, new RegExp(`Node-RED editor: +http://127\\.0\\.0\\.1:${ports.PORT}/`));
      assert.match(out, new RegExp(`Hubject simulator page: +http://127\\.0\\.0\\.1:${ports.SIM_ADMIN_PORT}/`));
      assert.match(out, new RegExp(`https://127\\.0\\.0\\.1:${ports.SIM_PORT}/api/oicp`));
    });

    it('a second npm start on the same editor port stops with one line naming the port and PORT, before "demo is running"', async function () {
      // Free simulator ports, so only PORT clashes.
      const env = {
        ...process.env,
        PORT: String(ports.PORT),
        SIM_PORT: String(await freePort()),
        SIM_ADMIN_PORT: String(await freePort()),
        DEMO_DIR: path.join(demoDir, 'second'),
      };
      const second = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      let errText = '';
      second.stdout.on('data', (d) => {
        text += d;
      });
      second.stderr.on('data', (d) => {
        errText += d;
      });
      const code = await new Promise((r) => second.once('exit', r));
      assert.notStrictEqual(code, 0);
      assert.doesNotMatch(text, /demo is running/);
      const lines = errText.trim().split('\n');
      assert.strictEqual(lines.length, 1, errText);
      assert.match(lines[0], new RegExp(`port ${ports.PORT} \\(Node-RED editor\\).*in use.*PORT=`));
    });

    it('opens on the demo flow: no update-notification dialog, every node in view, none overlapping', async function () {
      // A full-HD screen: the whole demo fits beside the palette and the sidebar.
      const wide = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
      wide.setDefaultTimeout(20000);
      editor = await wide.newPage();
      editor.on('pageerror', (e) => pageErrors.push(e.message));
      await editorReady(editor, `http://127.0.0.1:${ports.PORT}/`);
      // Give a dialog the editor would show after loading the time to appear.
      await editor.waitForTimeout(1500);
      await shot(editor, '1-first-screen');
      assert.strictEqual(await editor.locator('.red-ui-popover:visible, .ui-dialog:visible').count(), 0, 'no dialog or popover over the editor');
      assert.doesNotMatch(await editor.locator('body').innerText(), /update notification/i);
      assert.strictEqual(await editor.evaluate(() => RED.nodes.workspace(RED.workspaces.active()).label), DEMO_TAB);
      const chart = await editor.locator('#red-ui-workspace-chart').boundingBox();
      const nodes = editor.locator('#red-ui-workspace-chart g.red-ui-flow-node');
      const n = await nodes.count();
      assert.ok(n >= 10, `${n} nodes drawn`);
      for (let i = 0; i < n; i++) {
        const b = await nodes.nth(i).boundingBox();
        assert.ok(
          b && b.x >= chart.x && b.y >= chart.y && b.x + b.width <= chart.x + chart.width && b.y + b.height <= chart.y + chart.height,
          `node ${i} at ${JSON.stringify(b)} outside the visible chart ${JSON.stringify(chart)}`,
        );
      }
      const { overlaps } = await overlapsOnActiveTab(editor);
      assert.deepStrictEqual(overlaps, []);
    });

    it('fits a 1366 x 768 laptop: every node, "push to Hubject" included, in view, and the OICP sidebar tab open once', async function () {
      const laptop = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      laptop.setDefaultTimeout(20000);
      const page = await laptop.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      try {
        await editorReady(page, `http://127.0.0.1:${ports.PORT}/`);
        await page.waitForTimeout(1500); // the page script's moment to open the OICP tab
        fs.mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, 'first-hour-1366x768-first-screen.png') });
        const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
        const ids = await page.evaluate(() => RED.nodes.filterNodes({ z: RED.workspaces.active() }).map((n) => [n.id, n.name || n.type]));
        assert.ok(ids.length >= 10, `${ids.length} nodes on the demo tab`);
        for (const [id, name] of ids) {
          const b = await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${id}"]`).boundingBox();
          assert.ok(
            b && b.x >= chart.x && b.y >= chart.y && b.x + b.width <= chart.x + chart.width && b.y + b.height <= chart.y + chart.height,
            `'${name}' at ${JSON.stringify(b)} outside the visible chart ${JSON.stringify(chart)} at 1366 x 768`,
          );
        }
        assert.ok(
          ids.some(([, name]) => name === 'push to Hubject'),
          'the demo has its "push to Hubject" node',
        );
        // The demo's page script opens the OICP tab after Node-RED showed its first tab.
        const oicpTab = page.locator('#red-ui-tab-oicp');
        await until(async () => (await oicpTab.getAttribute('class')).includes('active'), 10000, 'the OICP sidebar tab active');
        assert.ok(await oicpTab.isVisible(), 'the OICP tab shows as a tab, not only in the sidebar menu');
        assert.strictEqual((await oicpTab.innerText()).trim(), 'OICP');
        await page.locator('.oicp-ops').waitFor({ state: 'visible' });
        await page.waitForTimeout(500);
        await page.screenshot({ path: path.join(SHOTS, 'first-hour-1366x768.png') });

        // Once: back on the info tab, a reload leaves the sidebar as Node-RED opens it.
        await page.locator('#red-ui-tab-info-link-button').click();
        await page.reload({ waitUntil: 'domcontentloaded' });
        await editorReady(page, page.url());
        await page.waitForTimeout(1500);
        assert.ok(!(await oicpTab.getAttribute('class')).includes('active'), 'the OICP tab is opened once, not on every load');
      } finally {
        await laptop.close();
      }
    });

    it("the simulator page's buttons drive the push node: 503 storm -> yellow, 017 -> red, heal -> green 000", async function () {
      this.timeout(240000);
      const pushId = await editor.evaluate(() => RED.nodes.filterNodes({ type: 'oicp-push-evse-status', z: RED.workspaces.active() })[0].id);
      const status = editor.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${pushId}"]`);
      // Shape and text read in one go: the editor redraws both together.
      const read = () =>
        status.evaluate((g) => ({
          cls: (g.querySelector('.red-ui-flow-node-status') || { getAttribute: () => '' }).getAttribute('class') || '',
          text: (g.querySelector('.red-ui-flow-node-status-label') || {}).textContent || '',
        }));
      let last = {};
      const waitFor = (re, colour, what) =>
        until(
          async () => {
            last = await read();
            return re.test(last.text) && last.cls.includes(colour);
          },
          90000,
          what,
          () => JSON.stringify(last),
        );
      // A status change in the demo: the inject buttons of the flow, through Node-RED's admin API.
      const injects = await editor.evaluate(() =>
        RED.nodes
          .filterNodes({ type: 'inject', z: RED.workspaces.active() })
          .filter((n) => /Charging|Faulted/.test(n.name))
          .map((n) => n.id),
      );
      let k = 0;
      const change = async () => {
        const res = await request(`http://127.0.0.1:${ports.PORT}/inject/${injects[k++ % injects.length]}`, { method: 'POST' });
        await res.body.dump();
        assert.strictEqual(res.statusCode, 200);
      };
      await waitFor(/^000\b/, 'green', 'push node green with 000 after start');

      simPage = await context.newPage();
      await simPage.goto(`http://127.0.0.1:${ports.SIM_ADMIN_PORT}/`, { timeout: 60000 });
      await shot(simPage, '2-simulator-page');
      const press = async (label) => {
        await simPage.getByRole('button', { name: label }).click();
        await until(
          async () => /done/.test((await simPage.locator('#fault-result').textContent()) || ''),
          10000,
          `${label} done`,
          () => 'result: ' + simPage.locator('#fault-result').textContent(),
        );
      };

      await press(/503 storm/);
      await until(
        async () => {
          await change();
          last = await read();
          return /\(503\)/.test(last.text);
        },
        60000,
        'push node retrying after 503',
        () => JSON.stringify(last),
      );
      assert.match(last.cls, /yellow/, JSON.stringify(last));
      await simPage.waitForTimeout(2500); // the page refreshes every 2 s
      await shot(simPage, '3-simulator-503');
      await shot(editor, '3-editor-503');
      assert.match(await simPage.locator('#faults').innerText(), /HTTP 503/);

      await press('heal');
      await waitFor(/^000\b/, 'green', 'push node green with 000 after heal');
      assert.match(await simPage.locator('#faults').innerText(), /no fault active/);

      await press(/017/);
      await until(
        async () => {
          await change();
          last = await read();
          return /017/.test(last.text);
        },
        60000,
        'push node red with 017',
        () => JSON.stringify(last),
      );
      assert.match(last.cls, /red/, JSON.stringify(last));
      await shot(editor, '4-editor-017');

      await press('heal');
      await until(
        async () => {
          last = await read();
          return /^000\b/.test(last.text) && last.cls.includes('green');
        },
        120000,
        'green again after 017 healed',
        () => JSON.stringify(last),
      );
      await shot(editor, '5-editor-healed');
    });

    it('every other fault button is taken by the admin API and shown as active on the page, heal clears them', async function () {
      const faults = () => simPage.locator('#faults').innerText();
      const press = async (label, shows) => {
        await simPage.getByRole('button', { name: label }).click();
        await until(
          async () => shows.test(await faults()),
          10000,
          `${label} shown as active`,
          () => 'see screenshot',
        );
      };
      await press(/^429/, /HTTP 429 Retry-After 10 s, 3 left/);
      await press(/latency/, /latency 2000 ms/);
      await press(/refuse/, /refusing connections/);
      await shot(simPage, '6-simulator-faults-active');
      await press(/^heal$/, /no fault active/);
      assert.doesNotMatch(await faults(), /latency|refusing|HTTP/);
    });
  });

  describe('Import > Examples', function () {
    let red;
    let page;

    before(async function () {
      this.timeout(120000);
      red = new RedProcess({ flows: [], settings: { telemetry: { enabled: false, updateNotification: false } } });
      await red.start(90000);
      page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await editorReady(page, red.url);
    });

    after(async function () {
      this.timeout(30000);
      if (red) {
        await red.stop();
        red.cleanup();
      }
    });

    afterEach(async function () {
      if (this.currentTest.state === 'failed' && page)
        await shot(page, `FAILED-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => undefined);
    });

    async function importExample(name) {
      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      const dialog = page.locator('.ui-dialog', { has: page.locator('#red-ui-clipboard-dialog') });
      await dialog.waitFor({ state: 'visible' });
      await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a');
      const tree = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      await tree.waitFor({ state: 'visible' });
      const example = tree.locator('.red-ui-treeList-label', { hasText: name });
      if (!(await example.isVisible())) await tree.locator('.red-ui-treeList-label', { hasText: /^node-red-contrib-oicp$/ }).click();
      await example.click();
      await page.click('#red-ui-clipboard-dialog-ok');
      await dialog.waitFor({ state: 'hidden' });
    }

    const tabs = () =>
      page.evaluate(() => {
        const t = [];
        RED.nodes.eachWorkspace((w) => t.push(w.label));
        return t;
      });
    const configs = () =>
      page.evaluate(() => {
        let c = 0;
        RED.nodes.eachConfig(() => {
          c++;
        });
        return c;
      });

    it('the same example twice does ask (the check below can see a conflict)', async function () {
      const tabsBefore = await tabs();
      await importExample(EXAMPLES[3]);
      await until(async () => (await tabs()).length === tabsBefore.length + 1, 10000, 'the first import');
      await importExample(EXAMPLES[3]);
      const conflict = page.locator('.red-ui-notification', { hasText: /already exist/i });
      await conflict.waitFor({ state: 'visible' });
      await shot(page, '8-conflict-when-imported-twice');
      await conflict.locator('button', { hasText: /cancel/i }).click();
      await page.evaluate(() => RED.actions.invoke('core:undo'));
      await until(async () => JSON.stringify(await tabs()) === JSON.stringify(tabsBefore), 10000, 'import undone');
    });

    for (let i = 0; i < EXAMPLES.length; i++) {
      for (let j = i + 1; j < EXAMPLES.length; j++) {
        it(`${EXAMPLES[i].split(' ')[0]} then ${EXAMPLES[j].split(' ')[0]}: both import, no "already exist" conflict`, async function () {
          const tabsBefore = await tabs();
          const configsBefore = await configs();
          for (const name of [EXAMPLES[i], EXAMPLES[j]]) {
            const count = (await tabs()).length;
            await importExample(name);
            await until(async () => (await tabs()).length === count + 1, 10000, `a new tab after importing ${name}`);
            const conflict = page.locator('.red-ui-notification', { hasText: /already exist/i });
            assert.strictEqual(await conflict.count(), 0, `importing ${name} asked about nodes that already exist`);
          }
          // Each example brings its own Hubject config and tls-config (the demo too), none replaced the other's.
          assert.ok((await configs()) >= configsBefore + 4, `config nodes: ${configsBefore} -> ${await configs()}`);
          // Each imported tab shown in turn, so the editor sizes its nodes; then no two overlap.
          const added = await page.evaluate((before) => {
            const t = [];
            RED.nodes.eachWorkspace((w) => {
              if (!before.includes(w.label)) t.push(w.id);
            });
            return t;
          }, tabsBefore);
          assert.strictEqual(added.length, 2);
          for (const [k, z] of added.entries()) {
            await page.evaluate((id) => RED.workspaces.show(id), z);
            await until(async () => (await overlapsOnActiveTab(page, z)).count > 0, 10000, 'nodes drawn on the imported tab');
            const { overlaps } = await overlapsOnActiveTab(page, z);
            assert.deepStrictEqual(overlaps, [], `overlaps on the tab of ${[EXAMPLES[i], EXAMPLES[j]][k]}`);
            if (j === i + 1 || (i === 0 && j === 4)) await shot(page, `6-imported-${i + 1}-and-${j + 1}-tab-${k + 1}`);
          }
          // Undo both imports: back to the empty editor for the next pair.
          await page.evaluate(() => {
            RED.actions.invoke('core:undo');
            RED.actions.invoke('core:undo');
          });
          await until(
            async () => JSON.stringify(await tabs()) === JSON.stringify(tabsBefore),
            10000,
            'both imports undone',
            async () => JSON.stringify(await tabs()),
          );
        });
      }
    }
  });
});
