'use strict';
// The Node-RED flow library scorecard (what `node-red-dev validate` checks, rules P01-P08, N01-N02, D01-D03 in
// https://github.com/node-red/node-red-dev-cli/tree/main/docs), as far as it can run here, plus the palette
// appearance of each node (category, icon, colour, label).
//
// Not checked: P02 (clones the repository to compare package names), P08 and N01 (compare with
// catalogue.nodered.org, not reachable from the test machine; the offline stand-in for N01 below only checks that
// every type carries the package's 'oicp-' prefix). P04 as the validator runs it also asks packages first published
// after 2021-12-01 for a scoped name (@scope/name); this package keeps the unscoped node-red-contrib-oicp name, so the
// real scorecard will show that one recommendation as a warning.
//
// D03 (dependencies not outdated) asks the npm registry, so it is not part of `npm test`, which runs offline:
// `npm run check:registry` runs it (test/registry/), and CI does.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const assert = require('assert');
const semver = require('semver');

const ROOT = path.resolve(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NODE_RED_VERSION = JSON.parse(fs.readFileSync(require.resolve('node-red/package.json'), 'utf8')).version;
const acorn = require('acorn');

// Node-RED 5.0 needs Node >= 22.9 (its package.json engines); the newest release line must be covered (P06, P07).
const NODE_RED_LATEST_MAJOR = '5.0.0';
const NODE_RED_5_MIN_NODE = '22.9.0';

/** registerType calls in the package's editor files, parsed like node-red-dev does (acorn). */
function editorDefinitions() {
  const defs = {};
  for (const js of Object.values(PKG['node-red'].nodes)) {
    const file = path.join(ROOT, js.replace(/\.js$/, '.html'));
    const html = fs.readFileSync(file, 'utf8');
    const re = /<script[^>]+type=['"]text\/javascript['"][^>]*>([\s\S]*?)<\/script>/gi;
    let m;
    while ((m = re.exec(html)) !== null) {
      const ast = acorn.parse(m[1], { ecmaVersion: 'latest' });
      (function walk(node) {
        if (!node || typeof node.type !== 'string') return;
        if (node.type === 'CallExpression' && node.callee.property && node.callee.property.name === 'registerType') {
          const [typeNode, defNode] = node.arguments;
          const literal = {};
          const nonLiteral = [];
          for (const p of defNode.properties || []) {
            const key = p.key.name || p.key.value;
            if (p.value.type === 'Literal') literal[key] = p.value.value;
            else nonLiteral.push(key);
          }
          defs[typeNode.value] = {
            file: path.relative(ROOT, file),
            typeIsLiteral: typeNode.type === 'Literal',
            isObject: defNode.type === 'ObjectExpression',
            literal,
            nonLiteral,
          };
        }
        for (const k of Object.keys(node)) {
          const v = node[k];
          if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v.type === 'string') walk(v);
        }
      })(ast);
    }
  }
  return defs;
}

/** The editor definitions as the browser sees them: each html's scripts run against a stub RED and jQuery. */
function loadEditorDefinitions(nodesById = {}) {
  const defs = {};
  const $ = () => ({ length: 0, val: () => undefined });
  const RED = {
    nodes: {
      registerType: (type, def) => {
        defs[type] = def;
      },
      node: (id) => nodesById[id] || null,
    },
    validators: { number: () => () => true, regex: () => () => true, typedInput: () => () => true },
    settings: {},
    _: (k) => k,
  };
  for (const js of Object.values(PKG['node-red'].nodes)) {
    const html = fs.readFileSync(path.join(ROOT, js.replace(/\.js$/, '.html')), 'utf8');
    const re = /<script[^>]+type=['"]text\/javascript['"][^>]*>([\s\S]*?)<\/script>/gi;
    let m;
    while ((m = re.exec(html)) !== null) vm.runInNewContext(m[1], { RED, $, window: {}, console });
  }
  return defs;
}

describe('flow library scorecard', function () {
  const defs = editorDefinitions();
  const types = Object.keys(defs);
  const nonConfig = types.filter((t) => defs[t].literal.category !== 'config');

  it('P01 licence: package.json names Apache-2.0 and LICENSE holds that licence', function () {
    assert.strictEqual(PKG.license, 'Apache-2.0');
    const text = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(text, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
  });

  it('P03 repository and bugs: a git URL and an issues URL', function () {
    assert.strictEqual(PKG.repository.type, 'git');
    assert.match(PKG.repository.url, /^git\+https:\/\/github\.com\/[\w.-]+\/node-red-contrib-oicp\.git$/);
    assert.match(PKG.bugs.url, /^https:\/\/github\.com\/[\w.-]+\/node-red-contrib-oicp\/issues$/);
  });

  it('P04 naming: a name starting with node-red uses the node-red-contrib- prefix', function () {
    const scoped = /^@[a-z\d][\w.-]+\/[a-z\d][\w.-]*$/.test(PKG.name);
    const claimsPrefix = /^(node-red|nodered)/i.test(PKG.name);
    assert.ok(scoped || !claimsPrefix || /^(node-red|nodered)-contrib-/.test(PKG.name), `${PKG.name} breaks the prefix rule`);
    assert.strictEqual(PKG.name, 'node-red-contrib-oicp');
    assert.match(PKG.name, /^[a-z0-9-]+$/, 'npm names are lower case');
  });

  it('P05 keywords: contains node-red', function () {
    assert.ok(Array.isArray(PKG.keywords) && PKG.keywords.includes('node-red'), JSON.stringify(PKG.keywords));
  });

  it(`P06 node-red.version covers the installed Node-RED ${NODE_RED_VERSION} and the newest line ${NODE_RED_LATEST_MAJOR}`, function () {
    const range = PKG['node-red'].version;
    assert.ok(semver.validRange(range), `node-red.version '${range}' is not a semver range`);
    assert.ok(semver.satisfies(NODE_RED_VERSION, range), `${NODE_RED_VERSION} outside ${range}`);
    assert.ok(semver.satisfies(NODE_RED_LATEST_MAJOR, range), `${NODE_RED_LATEST_MAJOR} outside ${range}`);
    assert.ok(semver.satisfies('5.99.0', range), 'later 5.x releases are covered too');
  });

  it(`P07 engines.node covers Node 20.18.1, Node-RED 5's minimum ${NODE_RED_5_MIN_NODE}, Node 22 and this Node ${process.version}`, function () {
    const range = PKG.engines.node;
    for (const v of ['20.18.1', NODE_RED_5_MIN_NODE, '22.23.0', process.versions.node]) {
      assert.ok(semver.satisfies(v, range), `Node ${v} outside engines.node ${range}`);
    }
    // and does not claim Node versions the runtime dependencies refuse (undici 7 needs 20.18.1)
    assert.ok(!semver.satisfies('18.20.0', range));
  });

  it('N01 (offline stand-in): every node type carries the package prefix oicp-', function () {
    assert.deepStrictEqual(
      types.filter((t) => !/^oicp-[a-z-]+$/.test(t)),
      [],
    );
    assert.strictEqual(types.length, Object.keys(PKG['node-red'].nodes).length);
  });

  it('N02 examples: every non-config node appears in an example', function () {
    const files = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0, 'no examples');
    const used = new Set();
    for (const f of files) for (const n of JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8'))) used.add(n.type);
    assert.deepStrictEqual(
      nonConfig.filter((t) => !used.has(t)),
      [],
    );
    assert.strictEqual(nonConfig.length, 8);
  });

  it('node definitions are inline literals, as the validator parses them (type, category, colour, icon, ports)', function () {
    for (const [type, d] of Object.entries(defs)) {
      assert.ok(d.typeIsLiteral && d.isObject, type);
      for (const key of ['category', 'color', 'icon', 'inputs', 'outputs']) {
        assert.ok(!d.nonLiteral.includes(key), `${type}: ${key} is computed; node-red-dev reports ${key}-not-inline`);
      }
    }
  });

  it('D01 at most 6 dependencies', function () {
    const deps = Object.keys(PKG.dependencies || {});
    assert.ok(deps.length <= 6, `${deps.length} dependencies: ${deps.join(', ')}`);
  });

  it('D02 no known-incompatible package (agent-base < 6) in the production dependency tree', function () {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    const prod = Object.entries(lock.packages).filter(([p, e]) => p && !e.dev);
    assert.ok(
      prod.some(([p]) => p === 'node_modules/undici'),
      'lockfile lists the production dependencies',
    );
    const bad = prod.filter(([p, e]) => /(^|\/)node_modules\/agent-base$/.test(p) && semver.lt(e.version, '6.0.0'));
    assert.deepStrictEqual(bad, []);
  });
});

describe('palette: category, icon, colour and a label that says what the node does', function () {
  const hubQa = { id: 'h1', type: 'oicp-hubject-config', operatorId: 'DE*ABC', environment: 'qa' };
  const hubProd = { id: 'h2', type: 'oicp-hubject-config', operatorId: 'DE*XYZ', environment: 'production' };
  const defs = loadEditorDefinitions({ h1: hubQa, h2: hubProd });
  const label = (type, props) => defs[type].label.call({ ...props });

  it('each non-config node sits in category OICP with its own icon file and a colour', function () {
    const icons = new Set();
    for (const type of ['oicp-ocpp-status', 'oicp-push-evse-status', 'oicp-full-load']) {
      const d = defs[type];
      assert.strictEqual(d.category, 'OICP', type);
      assert.match(d.color, /^#[0-9A-Fa-f]{6}$/, type);
      assert.strictEqual(d.icon, `${type}.svg`);
      const svg = fs.readFileSync(path.join(ROOT, 'nodes', 'icons', d.icon), 'utf8');
      assert.match(svg, /<svg[\s>]/, `${d.icon} is an SVG`);
      icons.add(svg);
      assert.ok(d.paletteLabel, `${type} has a palette label`);
    }
    assert.strictEqual(icons.size, 3, 'three different icons');
    assert.strictEqual(defs['oicp-hubject-config'].category, 'config');
  });

  it('push: the operator and the environment, e.g. "push DE*ABC (QA)"', function () {
    assert.strictEqual(label('oicp-push-evse-status', { hubject: 'h1' }), 'push DE*ABC (QA)');
    assert.strictEqual(label('oicp-push-evse-status', { hubject: 'h2' }), 'push DE*XYZ (PRODUCTION)');
    assert.strictEqual(label('oicp-push-evse-status', { hubject: '' }), 'push evse status');
    assert.strictEqual(label('oicp-push-evse-status', { hubject: 'h1', name: 'to Hubject' }), 'to Hubject');
  });

  it('mapper: the EvseID template, or the size of the lookup table', function () {
    assert.strictEqual(label('oicp-ocpp-status', { evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}', lookup: [] }), 'DE*ABC*E{chargeBoxId}*{connectorId}');
    const lookup = [
      { chargeBoxId: 'CP1', connector: 1, EvseID: 'DE*ABC*E1001*1' },
      { chargeBoxId: 'CP1', connector: 2, EvseID: 'DE*ABC*E1001*2' },
      { chargeBoxId: 'CP1', connector: 3, EvseID: 'de*abc*e1001*2' },
    ];
    assert.strictEqual(label('oicp-ocpp-status', { evseIdTemplate: '', lookup }), 'ocpp status · lookup 2 EvseIDs');
    assert.strictEqual(label('oicp-ocpp-status', { evseIdTemplate: '', lookup: lookup.slice(0, 1) }), 'ocpp status · lookup 1 EvseID');
    assert.strictEqual(label('oicp-ocpp-status', { evseIdTemplate: '', lookup: [] }), 'ocpp status');
  });

  it('full load: the daily time, e.g. "full load 03:00"', function () {
    assert.strictEqual(label('oicp-full-load', { time: '03:00' }), 'full load 03:00');
    assert.strictEqual(label('oicp-full-load', { time: '30 3 * * 1-5' }), 'full load 30 3 * * 1-5');
    assert.strictEqual(label('oicp-full-load', { time: '' }), 'full load');
  });

  it('config: the operator and the environment', function () {
    assert.strictEqual(defs['oicp-hubject-config'].label.call(hubQa), 'DE*ABC (QA)');
    assert.strictEqual(defs['oicp-hubject-config'].label.call(hubProd), 'DE*XYZ (PRODUCTION)');
  });

  it('the labels in the examples read as intended', function () {
    const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', '3 Status from MQTT and JSON.json'), 'utf8'));
    const map = flow.find((n) => n.type === 'oicp-ocpp-status');
    assert.strictEqual(label('oicp-ocpp-status', map), 'ocpp status · lookup 2 EvseIDs');
  });
});

describe('German catalogue (nodes/locales/de) mirrors en-US', function () {
  const LOCALES = path.join(ROOT, 'nodes', 'locales');
  const types = Object.keys(PKG['node-red'].nodes);
  const keys = (o, prefix = '') =>
    Object.entries(o)
      .flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]))
      .sort();
  const get = (o, dotted) => dotted.split('.').reduce((x, k) => x[k], o);
  const count = (s, tag) => (s.match(new RegExp(`<${tag}[\\s>]`, 'g')) || []).length;
  // Code samples stay as they are; only <placeholders> inside them may be translated.
  const codes = (s) => [...s.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((m) => m[1].replace(/&lt;[^&]*&gt;/g, '<…>')).sort();

  it('has a label catalogue and a help file for every node type, and nothing else', function () {
    assert.deepStrictEqual(fs.readdirSync(path.join(LOCALES, 'de')).sort(), types.flatMap((t) => [`${t}.html`, `${t}.json`]).sort());
    assert.deepStrictEqual(fs.readdirSync(path.join(LOCALES, 'en-US')).sort(), fs.readdirSync(path.join(LOCALES, 'de')).sort());
  });

  for (const t of types) {
    it(`${t}: same message keys, every text filled in and translated (OICP/OCPP terms kept)`, function () {
      const en = JSON.parse(fs.readFileSync(path.join(LOCALES, 'en-US', `${t}.json`), 'utf8'));
      const de = JSON.parse(fs.readFileSync(path.join(LOCALES, 'de', `${t}.json`), 'utf8'));
      assert.deepStrictEqual(keys(de), keys(en));
      const all = keys(en);
      for (const k of all) assert.ok(typeof get(de, k) === 'string' && get(de, k).trim(), `${k} is empty`);
      // OICP/OCPP terms and established technical words stay as they are; every other text is German.
      const KEEP = new Set([
        'Hubject',
        'Hubject QA',
        'OperatorID',
        'OperatorName',
        'ActionType',
        'TLS',
        'URL',
        'Timeout',
        'Backoff',
        'Connector 0',
        'Station offline',
      ]);
      const same = all.filter((k) => get(de, k) === get(en, k) && !KEEP.has(get(en, k)));
      assert.deepStrictEqual(same, [], 'untranslated');
    });

    it(`${t}: help with the same sections, properties, lists and code samples`, function () {
      const en = fs.readFileSync(path.join(LOCALES, 'en-US', `${t}.html`), 'utf8');
      const de = fs.readFileSync(path.join(LOCALES, 'de', `${t}.html`), 'utf8');
      assert.match(de, new RegExp(`^<script type="text/html" data-help-name="${t}">`));
      assert.match(de.trim(), /<\/script>$/);
      for (const tag of ['h3', 'dt', 'dd', 'p', 'li', 'ul', 'ol', 'dl', 'pre']) assert.strictEqual(count(de, tag), count(en, tag), `<${tag}> count`);
      assert.deepStrictEqual(codes(de), codes(en));
      const dts = (s) => [...s.matchAll(/<dt[^>]*>([^<]*)</g)].map((m) => m[1].trim());
      const enDt = dts(en);
      const deDt = dts(de);
      // Message properties keep their names (payload, action, ...); only UI labels such as "Environment" are translated.
      enDt.forEach((d, i) => {
        if (/^[a-z][A-Za-z]*$/.test(d)) assert.strictEqual(deDt[i], d);
      });
      assert.notStrictEqual(de.replace(/<[^>]+>/g, ''), en.replace(/<[^>]+>/g, ''));
    });
  }
});
