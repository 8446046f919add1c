'use strict';
// The flows in examples/ (Import > Examples > node-red-contrib-oicp): well-formed, aimed at Hubject QA with
// placeholders, covering every node of the package, and loaded into a real Node-RED child process (RedProcess with a
// temp userDir) with the OCPP packages they need. Each example is then pointed at the local Hubject simulator and
// driven the way a user would (a real OCPP 1.6J / 2.0.1 charge point over WebSocket, an MQTT publish, inject
// buttons) to show the wiring does what its description says.
//
// Examples 1 and 2 need node-red-contrib-ocpp@1.3.10 and @anl-ioc/node-red-contrib-ocpp2@1.0.1-beta.3 from the npm
// registry: installed once into os.tmpdir() (test/support/npm-cache.js cachedInstall) and linked into each userDir.
const fs = require('fs');
const path = require('path');
const assert = require('assert');
const vm = require('vm');
const { RPCClient } = require('ocpp-rpc');
const { RedProcess, makeUserDir, freePort, ROOT } = require('./support/red-process');
const { startSim } = require('./support/sim');
const { cachedInstall, linkPackage } = require('./support/npm-cache');
const { loadProblems, until } = require('./install/support');
const { MiniMqttBroker } = require('./install/mqtt-broker');

const EXAMPLES = path.join(ROOT, 'examples');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const OCPP16 = { name: 'node-red-contrib-ocpp', version: '1.3.10' };
const OCPP2 = { name: '@anl-ioc/node-red-contrib-ocpp2', version: '1.0.1-beta.3' };
const OP = 'DE*ABC';

/** Node types the package registers, with their category, read from the editor files. */
function packageTypes() {
  const types = {};
  for (const js of Object.values(PKG['node-red'].nodes)) {
    const html = fs.readFileSync(path.join(ROOT, js.replace(/\.js$/, '.html')), 'utf8');
    const re = /registerType\(\s*["']([^"']+)["']\s*,\s*\{([\s\S]*?)\n\s*\}\s*\)/g;
    let m;
    while ((m = re.exec(html)) !== null) {
      const cat = /category:\s*["']([^"']+)["']/.exec(m[2]);
      types[m[1]] = cat ? cat[1] : undefined;
    }
  }
  return types;
}

/** The register-format sample as rows (it has no quoted fields), empty cells left out as the csv node does. */
function registerRows() {
  const [header, ...lines] = fs.readFileSync(path.join(EXAMPLES, 'ladesaeulenregister-sample.csv'), 'utf8').trim().split('\n');
  const cols = header.split(';');
  return lines.map((l) => Object.fromEntries(l.split(';').flatMap((v, i) => (v === '' ? [] : [[cols[i], v]]))));
}

function readExample(file) {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
}

function byId(flow) {
  return new Map(flow.map((n) => [n.id, n]));
}

/** A copy of an example with its Hubject config aimed at the simulator (what a user does with their certificate). */
function toSimulator(flow, sim) {
  const client = sim.certs.clients[OP];
  return flow.map((n) => {
    if (n.type === 'oicp-hubject-config') return { ...n, environment: 'custom', url: sim.url, retryBase: '0.1', retryMax: '1' };
    if (n.type === 'tls-config') return { ...n, cert: client.cert, key: client.key, ca: sim.certs.caCert };
    // Debug output also goes to the log, where the test sees what the example's Catch node caught: errors a Catch
    // node handles are not logged by Node-RED.
    if (n.type === 'debug') return { ...n, console: true };
    return n;
  });
}

/** Replaces listening ports (OCPP servers, MQTT broker) so parallel runs do not collide. */
function withPorts(flow, ports) {
  return flow.map((n) => {
    if (n.type === 'CS server') return { ...n, port: String(ports.ocpp16) };
    if (n.type === 'CSMS') return { ...n, port: String(ports.ocpp2) };
    if (n.type === 'mqtt-broker') return { ...n, broker: '127.0.0.1', port: String(ports.mqtt) };
    return n;
  });
}

// The one error expected: the shipped tls-config is empty until the user adds the onboarding certificate (red at deploy).
const EMPTY_TLS = /client certificate and key from Hubject onboarding are missing/;

/** Load problems, plus anything the example's Catch node passed to its 'errors' debug node (see toSimulator). */
function problems(log) {
  return [...loadProblems(log), ...log.split('\n').filter((l) => /\[debug:errors\]/.test(l))].filter((l) => !EMPTY_TLS.test(l));
}

/** Full deploy through the admin API, as the editor's Deploy button does; waits for the flows to (re)start. */
async function deploy(red, flow) {
  const from = red.log.length;
  const res = await red.http('POST', '/flows', { flows: flow }, { 'Node-RED-Deployment-Type': 'full' });
  assert.strictEqual(res.status, 200, `POST /flows answered ${res.status}: ${res.text}`);
  await until(
    () => /Started flows/.test(red.log.slice(from)),
    20000,
    'flows started after deploy',
    () => red.log.slice(from),
  );
  // Nodes report asynchronous start-up errors (ports, certificates) shortly after "Started flows".
  await new Promise((r) => setTimeout(r, 1000));
  return red.log.slice(from);
}

// ---- layout: node boxes as the Node-RED editor sizes them, estimated without a browser ----

// Advance widths of Arial / Liberation Sans (the editor's label font on most systems), 1/1000 em; 14 px labels.
const ARIAL = {
  ' ': 278,
  '!': 278,
  '"': 355,
  '#': 556,
  $: 556,
  '%': 889,
  '&': 667,
  "'": 191,
  '(': 333,
  ')': 333,
  '*': 389,
  '+': 584,
  ',': 278,
  '-': 333,
  '.': 278,
  '/': 278,
  ':': 278,
  ';': 278,
  '<': 584,
  '=': 584,
  '>': 584,
  '?': 556,
  '@': 1015,
  A: 667,
  B: 667,
  C: 722,
  D: 722,
  E: 667,
  F: 611,
  G: 778,
  H: 722,
  I: 278,
  J: 500,
  K: 667,
  L: 556,
  M: 833,
  N: 722,
  O: 778,
  P: 667,
  Q: 778,
  R: 722,
  S: 667,
  T: 611,
  U: 722,
  V: 667,
  W: 944,
  X: 667,
  Y: 667,
  Z: 611,
  '[': 278,
  '\\': 278,
  ']': 278,
  '^': 469,
  _: 556,
  '`': 333,
  a: 556,
  b: 556,
  c: 500,
  d: 556,
  e: 556,
  f: 278,
  g: 556,
  h: 556,
  i: 222,
  j: 222,
  k: 500,
  l: 222,
  m: 833,
  n: 556,
  o: 556,
  p: 556,
  q: 556,
  r: 333,
  s: 500,
  t: 278,
  u: 556,
  v: 500,
  w: 722,
  x: 500,
  y: 500,
  z: 500,
  '{': 334,
  '|': 260,
  '}': 334,
  '~': 584,
  '\u2192': 1000,
  '\u00d7': 584,
  '\u00b7': 278,
};
const textWidth = (s) => ([...String(s)].reduce((w, c) => w + (ARIAL[c] ?? (/[0-9]/.test(c) ? 556 : 600)), 0) * 14) / 1000;

/** The editor definitions (label, inputs, outputs) of this package's nodes, from nodes/*.html run against a stub RED. */
function packageDefs(flowNodes) {
  const defs = {};
  const stub = () => new Proxy(function () {}, { get: (t, k) => (k === Symbol.toPrimitive ? () => '' : stub()), apply: () => stub() });
  const RED = {
    nodes: {
      registerType: (t, d) => {
        defs[t] = d;
      },
      node: (id) => flowNodes.find((n) => n.id === id) || null,
    },
    validators: stub(),
    _: (k) => k,
    settings: stub(),
    utils: stub(),
    editor: stub(),
    tabs: stub(),
    popover: stub(),
  };
  for (const js of Object.values(PKG['node-red'].nodes)) {
    const html = fs.readFileSync(path.join(ROOT, js.replace(/\.js$/, '.html')), 'utf8');
    for (const m of html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)) {
      vm.runInNewContext(m[1], { RED, $: stub(), jQuery: stub(), window: stub(), document: stub(), console });
    }
  }
  return defs;
}

// Core and contrib nodes used in the examples: label when unnamed, and whether they have an input port.
const OTHER = {
  inject: { label: () => 'inject', inputs: 0 },
  comment: { label: () => 'comment', inputs: 0 },
  catch: { label: (n) => `catch: ${(n.scope || []).length || 'all'}`, inputs: 0 },
  'link in': { label: () => 'link in', inputs: 0, showLabel: false },
  'link out': { label: () => 'link out', inputs: 1, showLabel: false },
  'mqtt in': { label: (n) => n.topic || 'mqtt', inputs: 0 },
  'mqtt out': { label: (n) => n.topic || 'mqtt', inputs: 1 },
  'CS server': { label: () => 'CS server', inputs: 0 },
  CSMS: { label: () => 'CSMS', inputs: 1 },
  'server response': { label: () => 'server response', inputs: 1 },
  'CS request JSON': { label: () => 'Request JSON', inputs: 1 },
  function: { label: () => 'function', inputs: 1 },
  change: { label: () => 'change', inputs: 1 },
  json: { label: () => 'json', inputs: 1 },
  'file in': { label: (n) => n.filename || 'file in', inputs: 1 },
  csv: { label: () => 'csv', inputs: 1 },
  debug: { label: (n) => (n.complete === 'true' ? 'msg' : `msg.${n.complete || 'payload'}`), inputs: 1 },
};

/** Node boxes as Node-RED's view computes them: w = max(100, 20*ceil((label + 50 + (input ? 7 : 0)) / 20)). */
function boxes(flow) {
  const defs = packageDefs(flow);
  return flow
    .filter((n) => n.z && typeof n.x === 'number')
    .map((n) => {
      const def = defs[n.type];
      const other = OTHER[n.type];
      assert.ok(def || other, `no label rule for node type ${n.type} (${n.id})`);
      const label = n.name || (def ? def.label.call(n) : other.label(n));
      const inputs = def ? def.inputs : other.inputs;
      const outputs = n.wires ? n.wires.length : 0;
      const lines = String(label).split(/\\n|\n/);
      // Nodes drawn without a label (link nodes by default, or l: false) are 30 px squares.
      if (n.l === false || (n.l === undefined && (def || other).showLabel === false)) {
        return { id: n.id, label, x: n.x, y: n.y, w: 30, h: 30, left: n.x - 15, right: n.x + 15, top: n.y - 15, bottom: n.y + 15, n };
      }
      const w = Math.max(100, 20 * Math.ceil((Math.max(...lines.map(textWidth)) + 50 + (inputs > 0 ? 7 : 0)) / 20));
      const h = Math.max(6 + 24 * lines.length, outputs * 15, 30);
      return { id: n.id, label, x: n.x, y: n.y, w, h, left: n.x - w / 2, right: n.x + w / 2, top: n.y - h / 2, bottom: n.y + h / 2, n };
    });
}

/** Node-RED's own wire geometry (generateLinkPath in the editor), lifted out of its bundle. */
function linkPathFunction() {
  const src = fs.readFileSync(require.resolve('@node-red/editor-client/public/red/red.js'), 'utf8');
  const start = src.indexOf('function generateLinkPath(');
  assert.ok(start > 0, 'generateLinkPath not found in the editor bundle');
  let depth = 0;
  let end = src.indexOf('{', start);
  for (; end < src.length; end++) {
    if (src[end] === '{') depth++;
    else if (src[end] === '}' && --depth === 0) break;
  }
  return new Function('node_width', 'node_height', 'lineCurveScale', `${src.slice(start, end + 1)}; return generateLinkPath;`)(100, 30, 0.75);
}

/** Points along an SVG path of M, C, S and h commands (all the editor's wires use). */
function samplePath(d, steps = 24) {
  const tok = d
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  const pts = [];
  let i = 0;
  let cur = [0, 0];
  let lastCp = null;
  const num = () => Number(tok[i++]);
  const cubic = (p1, p2, p3) => {
    for (let s = 1; s <= steps; s++) {
      const t = s / steps;
      const u = 1 - t;
      pts.push([
        u * u * u * cur[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t * t * t * p3[0],
        u * u * u * cur[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t * t * t * p3[1],
      ]);
    }
    lastCp = p2;
    cur = p3;
  };
  while (i < tok.length) {
    const c = tok[i++];
    if (c === 'M') {
      cur = [num(), num()];
      pts.push(cur);
      lastCp = null;
    } else if (c === 'C') {
      cubic([num(), num()], [num(), num()], [num(), num()]);
    } else if (c === 'S') {
      const p1 = lastCp ? [2 * cur[0] - lastCp[0], 2 * cur[1] - lastCp[1]] : cur;
      cubic(p1, [num(), num()], [num(), num()]);
    } else if (c === 'h') {
      const dx = num();
      for (let s = 1; s <= steps; s++) pts.push([cur[0] + (dx * s) / steps, cur[1]]);
      cur = [cur[0] + dx, cur[1]];
      lastCp = null;
    } else throw new Error(`unexpected path command ${c} in ${d}`);
  }
  return pts;
}

const inside = (p, b, pad = 0) => p[0] > b.left - pad && p[0] < b.right + pad && p[1] > b.top - pad && p[1] < b.bottom + pad;
const intersects = (a, b, gap) => a.left < b.right + gap && b.left < a.right + gap && a.top < b.bottom + gap && b.top < a.bottom + gap;

/** Whether a path of wires leads from node `from` to node `to`. */
function reaches(flow, from, to) {
  const next = new Map(flow.map((n) => [n.id, (n.wires || []).flat()]));
  const seen = new Set([from]);
  const todo = [from];
  while (todo.length) {
    for (const id of next.get(todo.pop()) || []) {
      if (id === to) return true;
      if (!seen.has(id)) {
        seen.add(id);
        todo.push(id);
      }
    }
  }
  return false;
}

/** Overlapping boxes, wires drawn under a third node and wires that go backwards, in words. */
function layoutProblems(flow) {
  const bs = boxes(flow);
  const byId = new Map(bs.map((b) => [b.id, b]));
  const problems = [];
  for (let i = 0; i < bs.length; i++) {
    for (let j = i + 1; j < bs.length; j++) {
      // 10 px between boxes: room for the ports and the eye.
      if (intersects(bs[i], bs[j], 10))
        problems.push(
          `'${bs[i].label}' (${bs[i].id}, ${bs[i].w}x${bs[i].h} at ${bs[i].x},${bs[i].y}) overlaps '${bs[j].label}' (${bs[j].id}, ${bs[j].w}x${bs[j].h} at ${bs[j].x},${bs[j].y})`,
        );
    }
  }
  const linkPath = linkPathFunction();
  for (const src of bs) {
    const ports = src.n.wires || [];
    ports.forEach((targets, port) => {
      const portY = -((ports.length - 1) / 2) * 13 + 13 * port;
      for (const to of targets) {
        const dst = byId.get(to);
        if (!dst) continue;
        // A wire into a node left of its source loops back across the flow; only a feedback wire (the target feeds
        // the source, as push results into the full load node) may do that.
        if (dst.left < src.right && !reaches(flow, to, src.id))
          problems.push(`the wire '${src.label}' -> '${dst.label}' goes backwards (${src.right} -> ${dst.left})`);
        const d = linkPath(src.right, src.y + portY, dst.left, dst.y, 1, true);
        const under = bs.filter((b) => b !== src && b !== dst && samplePath(d).some((p) => inside(p, b)));
        for (const b of under) problems.push(`the wire '${src.label}' -> '${dst.label}' runs under '${b.label}' (${b.id})`);
      }
    });
  }
  return problems;
}

describe('examples', function () {
  this.timeout(60000);
  const files = fs
    .readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const types = packageTypes();
  const nonConfig = Object.keys(types).filter((t) => types[t] !== 'config');
  // Every example but the demo aims at Hubject QA.
  const qaFiles = files.filter((f) => !f.startsWith('5 '));

  describe('files', function () {
    it('are the nine numbered examples, in order', function () {
      assert.deepStrictEqual(
        files.map((f) => f.split(' ')[0]),
        ['1', '2', '3', '4', '5', '6', '7', '8', '9'],
      );
      assert.match(files[0], /OCPP 1\.6J/);
      assert.match(files[1], /OCPP 2\.0\.1/);
      assert.match(files[2], /MQTT/);
      assert.match(files[3], /full load/i);
      assert.match(files[4], /simulator/);
      assert.match(files[5], /CSV/);
      assert.match(files[6], /Bundesnetzagentur charging register/);
      assert.match(files[7], /^8 Roaming session with node-red-contrib-ocpp\.json$/);
      assert.match(files[8], /^9 Remote start and stop through node-red-contrib-ocpp\.json$/);
    });

    it('use every non-config node of the package: the demo alone, and examples 1-4, 6-9 together', function () {
      assert.deepStrictEqual(nonConfig.sort(), [
        'oicp-authorize',
        'oicp-full-load',
        'oicp-ocpp-status',
        'oicp-push-cdr',
        'oicp-push-evse-data',
        'oicp-push-evse-status',
        'oicp-remote-in',
        'oicp-remote-response',
      ]);
      const used = (list) => new Set(list.flatMap((f) => readExample(f).map((n) => n.type)));
      const demo = used([files[4]]);
      const qa = used(qaFiles);
      for (const t of nonConfig) {
        assert.ok(demo.has(t), `the demo lacks ${t}`);
        assert.ok(qa.has(t), `examples 1-4, 6-9 lack ${t}`);
      }
    });

    for (const file of files) {
      it(`${file}: ids unique, wires, tabs and config references resolve`, function () {
        const flow = readExample(file);
        assert.ok(Array.isArray(flow) && flow.length > 0);
        const ids = byId(flow);
        assert.strictEqual(ids.size, flow.length, 'duplicate ids');
        const tabs = flow.filter((n) => n.type === 'tab');
        assert.strictEqual(tabs.length, 1, 'one tab per example');
        assert.ok(tabs[0].info && tabs[0].info.length > 100, 'the tab describes the example');
        for (const n of flow) {
          assert.ok(typeof n.id === 'string' && typeof n.type === 'string', JSON.stringify(n));
          if ('z' in n) assert.strictEqual(n.z, tabs[0].id, `${n.id} is on another tab`);
          for (const port of n.wires || []) for (const to of port) assert.ok(ids.has(to), `${n.id} is wired to missing ${to}`);
          for (const key of ['hubject', 'tls', 'broker']) {
            if (n[key] && !(n.type === 'mqtt-broker' && key === 'broker')) assert.ok(ids.has(n[key]), `${n.id}.${key} refers to missing ${n[key]}`);
          }
          for (const s of n.scope || []) assert.ok(ids.has(s), `catch ${n.id} scopes missing ${s}`);
          const ports = (n.wires || []).length;
          if (n.type === 'oicp-ocpp-status') assert.strictEqual(ports, Number(n.outputs), `${n.id}: outputs and wires disagree`);
        }
        // Every OICP node reports to a Catch node, and every push result is visible.
        const caught = new Set(flow.filter((n) => n.type === 'catch').flatMap((n) => n.scope || []));
        for (const n of flow.filter((x) => types[x.type] && types[x.type] !== 'config')) {
          assert.ok(caught.has(n.id), `no Catch node covers ${n.type} ${n.id}`);
        }
        for (const n of flow.filter((x) => x.type === 'oicp-push-evse-status' || x.type === 'oicp-push-evse-data')) {
          assert.ok(
            n.wires[0].some((to) => ids.get(to).type === 'debug'),
            `${n.id} output has no debug node`,
          );
        }
      });
    }

    // Every numbered example gives its config node every setting, so what the dialog shows is what the example says.
    for (const file of files) {
      it(`${file}: the Hubject config node carries every setting of its dialog explicitly`, function () {
        const hub = readExample(file).find((n) => n.type === 'oicp-hubject-config');
        const defaults = packageDefs([])['oicp-hubject-config'].defaults;
        const missing = Object.keys(defaults).filter((k) => !(k in hub));
        assert.deepStrictEqual(missing, [], `${hub.id} leaves out ${missing.join(', ')}`);
        assert.strictEqual(hub.insertMissing, true);
        assert.strictEqual(hub.editorRevision, 2, 'saved as by the dialog that shows the defaults');
      });
    }

    for (const file of qaFiles) {
      it(`${file}: Hubject QA, placeholder OperatorID DE*ABC, tls-config left for the user to fill in`, function () {
        const flow = readExample(file);
        const hub = flow.filter((n) => n.type === 'oicp-hubject-config');
        assert.strictEqual(hub.length, 1);
        assert.strictEqual(hub[0].environment, 'qa');
        assert.strictEqual(hub[0].operatorId, OP);
        assert.strictEqual(hub[0].url, '');
        const tls = flow.filter((n) => n.type === 'tls-config');
        assert.strictEqual(tls.length, 1);
        assert.strictEqual(hub[0].tls, tls[0].id);
        for (const k of ['cert', 'key', 'ca', 'certname', 'keyname', 'caname']) assert.strictEqual(tls[0][k], '', `tls-config ${k} must be empty`);
        assert.strictEqual(tls[0].verifyservercert, true);
        assert.ok(!('credentials' in tls[0]), 'no key material in the example');
        for (const n of flow.filter((x) => x.hubject !== undefined)) assert.strictEqual(n.hubject, hub[0].id);
        // The same settings as example 1, under ids of their own (see 'any two import side by side'). The EVSE data
        // examples also name the operator: eRoamingPushEvseData requires the OperatorName. Names differ: each names
        // the example it came from, so the imports are entries one can tell apart.
        const strip = (n) => {
          const { id: _id, tls: _tls, operatorName: _name, name: _label, ...rest } = n;
          return rest;
        };
        assert.match(hub[0].name, new RegExp(`example ${file[0]}$`), 'the config node names its example');
        assert.match(tls[0].name, new RegExp(`example ${file[0]}$`), 'the tls-config names its example');
        if (flow.some((n) => n.type === 'oicp-push-evse-data')) assert.ok(hub[0].operatorName, 'the data example names the operator');
        const first = readExample(files[0]).filter((n) => n.type === 'oicp-hubject-config' || n.type === 'tls-config');
        assert.deepStrictEqual([...hub, ...tls].map(strip), first.map(strip));
      });
    }

    for (const file of files.filter((f) => /^[67] /.test(f))) {
      it(`${file}: its Hubject config gives every property explicitly, at the runtime's default`, function () {
        // A property missing from an imported config node shows as the editor's default, which may not be what the
        // runtime does with a missing value (issue 20: an unchecked insertMissing saved as false). So none is missing.
        const hub = readExample(file).find((n) => n.type === 'oicp-hubject-config');
        const editor = packageDefs([hub])['oicp-hubject-config'].defaults;
        const { LIMITS } = require(path.join(ROOT, 'nodes', 'node-red', 'limits.js'));
        const missing = Object.keys(editor).filter((k) => !(k in hub));
        assert.deepStrictEqual(missing, [], 'config properties left to defaults');
        for (const [k, limit] of Object.entries(LIMITS)) if (k in editor) assert.strictEqual(Number(hub[k]), limit.default, `${k}`);
        assert.strictEqual(hub.insertMissing, true);
        assert.strictEqual(hub.statusGate, 'auto');
        assert.strictEqual(hub.subOperatorIds, '');
      });
    }

    it('any two import side by side: no node id, config nodes included, is used by two examples', function () {
      const owner = new Map();
      for (const file of files) {
        for (const n of readExample(file)) {
          assert.ok(!owner.has(n.id), `${n.type} id '${n.id}' is in '${owner.get(n.id)}' and '${file}': importing both asks "already exist"`);
          owner.set(n.id, file);
        }
      }
    });

    for (const file of files) {
      it(`${file}: no node overlaps another and no wire runs under a node (boxes sized from their labels)`, function () {
        assert.deepStrictEqual(layoutProblems(readExample(file)), []);
      });
    }

    it('the layout check sees an overlap and a wire under a node', function () {
      const tab = { id: 't', type: 'tab' };
      const a = { id: 'a', type: 'inject', z: 't', name: 'a', x: 100, y: 100, wires: [['c']] };
      const b = { id: 'b', type: 'debug', z: 't', name: 'a rather long name for a debug node', x: 330, y: 100, wires: [] };
      const c = { id: 'c', type: 'debug', z: 't', name: 'c', x: 600, y: 100, wires: [] };
      const problems = layoutProblems([tab, a, b, c]);
      assert.ok(
        problems.some((p) => /wire 'a' -> 'c' runs under 'a rather long/.test(p)),
        problems.join('\n'),
      );
      const mapper = {
        id: 'm',
        type: 'oicp-ocpp-status',
        z: 't',
        name: '',
        evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
        wires: [[]],
        x: 300,
        y: 200,
      };
      const near = { id: 'n', type: 'debug', z: 't', name: 'n', x: 440, y: 200, wires: [] };
      assert.ok(layoutProblems([tab, mapper, near]).some((p) => /'DE\*ABC\*E\{chargeBoxId\}\*\{connectorId\}' \(m, \d+x30/.test(p)));
      assert.deepStrictEqual(layoutProblems([tab, { ...mapper, name: 'map' }, near]), []);
      const back = layoutProblems([tab, { ...a, x: 400, wires: [['c']] }, { ...c, x: 300, y: 200 }]);
      assert.ok(
        back.some((p) => /'a' -> 'c' goes backwards/.test(p)),
        back.join('\n'),
      );
    });

    it('the demo says at once that it needs npm start in a clone: in its tab, a comment on the canvas and the boot node', function () {
      const flow = readExample(files[4]);
      assert.match(flow.find((n) => n.type === 'tab').info, /^\*\*Runs only from a clone of the node-red-contrib-oicp repository, started with `npm start`/);
      assert.ok(flow.some((n) => n.type === 'comment' && /clone.*npm start/.test(n.name)));
      const boot = flow.find((n) => n.type === 'function' && n.wires[0].includes(flow.find((x) => x.type === 'oicp-push-evse-data').id));
      // Run the boot function as Node-RED would, without the variables npm start sets.
      const seen = {};
      const fn = new Function('msg', 'node', 'env', 'RED', boot.func);
      const out = fn(
        {},
        {
          status: (s) => {
            seen.status = s;
          },
          error: (e) => {
            seen.error = e;
          },
        },
        { get: () => undefined },
        {},
      );
      assert.strictEqual(out, null);
      assert.strictEqual(seen.status.fill, 'red');
      assert.match(seen.status.text, /npm start/);
      assert.match(seen.error, /OICP_SIM_URL/);
      const ok = fn(
        {},
        {
          status: (s) => {
            seen.status = s;
          },
          error: assert.fail,
        },
        { get: () => 'https://127.0.0.1:1/api/oicp' },
        {},
      );
      // Data first: the six EVSEs' master data as one data fullLoad.
      assert.strictEqual(ok.action, 'fullLoad');
      assert.strictEqual(ok.payload.length, 6);
      assert.ok(ok.payload.every((r) => r.Address && r.GeoCoordinates && r.Plugs.length && r.ChargingFacilities.length));
      // Then, on the data's acknowledgement, the six EVSEs' status and a status fullLoad.
      // It reaches the full load node directly or through a link out / link in pair (the demo, to fit 1366 x 768).
      const fl = flow.find((x) => x.type === 'oicp-full-load').id;
      const node = (id) => flow.find((x) => x.id === id);
      const feeds = (n) => n.wires[0].some((to) => to === fl || (node(to).type === 'link out' && node(to).links.some((l) => node(l).wires[0].includes(fl))));
      const after = flow.find((n) => n.type === 'function' && feeds(n));
      const ctx = new Map();
      const context = { get: (k) => ctx.get(k), set: (k, v) => ctx.set(k, v) };
      const afterFn = new Function('msg', 'node', 'context', after.func);
      const first = afterFn({ oicp: { action: 'fullLoad' } }, { status: () => {} }, context);
      assert.deepStrictEqual(
        first[0].map((m) => m.topic || m.payload.length),
        [6, 'fullLoad'],
      );
      assert.strictEqual(afterFn({ oicp: { action: 'update' } }, { status: () => {} }, context), null);
    });

    it('example 7 maps a register row to one EVSE per charge point; an unknown plug text names its line, the others still go', function () {
      const flow = readExample(files[6]);
      const fn = flow.find((n) => n.type === 'function');
      const run = (func, rows) => {
        const seen = { status: [], errors: [] };
        const node = { status: (st) => seen.status.push(st), error: (e, m) => seen.errors.push({ e, m }) };
        const out = new Function('msg', 'node', func)({ payload: rows }, node);
        return { out, ...seen };
      };
      const row = {
        Betreiber: 'ABC Charging GmbH',
        Straße: 'Hauptstraße',
        Hausnummer: '5b',
        Postleitzahl: '01234',
        Ort: 'Musterstadt',
        Breitengrad: '50,5',
        Längengrad: '9,25',
        'Nennleistung Ladeeinrichtung [kW]': '22,2',
        'Anzahl Ladepunkte': '3',
        Steckertypen1: 'AC Steckdose Typ 2',
        'P1 [kW]': '11,1',
        Steckertypen2: 'AC Kupplung Typ 3',
        'P2 [kW]': '11,1',
        Steckertypen3: 'DC Kupplung Combo',
      };
      const { out, status, errors } = run(fn.func, [row]);
      assert.deepStrictEqual(
        out.payload.map((r) => r.EvseID),
        ['DE*ABC*E01234*5b*1*1', 'DE*ABC*E01234*5b*1*3'],
      );
      assert.deepStrictEqual(out.payload[0].GeoCoordinates, { lat: 50.5, lon: 9.25 });
      assert.deepStrictEqual(out.payload[0].ChargingFacilities, [{ PowerType: 'AC_3_PHASE', Power: 11 }]);
      // No P3: the station's power shared by its charge points.
      assert.deepStrictEqual(out.payload[1].ChargingFacilities, [{ PowerType: 'DC', Power: 7 }]);
      assert.strictEqual(errors.length, 1);
      assert.match(errors[0].e, /line 2, Ladepunkt 2: plug text "AC Kupplung Typ 3" is not in the PLUG TABLE/);
      assert.strictEqual(status[0].fill, 'yellow');
      // The table is where users extend it: one more line there and the charge point goes.
      assert.match(fn.func, /==== PLUG TABLE[^\n]*\n(\/\/[^\n]*\n)*const PLUGS = \{\n/);
      const extended = fn.func.replace('const PLUGS = {\n', "const PLUGS = {\n  'AC Kupplung Typ 3': 'Type 3 Outlet',\n");
      const again = run(extended, [row, { ...row, Betreiber: 'Someone Else' }]);
      assert.strictEqual(again.errors.length, 0);
      assert.deepStrictEqual(
        again.out.payload.map((r) => r.Plugs[0]),
        ['Type 2 Outlet', 'Type 3 Outlet', 'CCS Combo 2 Plug (Cable Attached)'],
      );
      assert.match(again.status[0].text, /^3 EVSEs from 1 station, 1 row of another operator left out$/);
    });

    it('example 4 wires the push results back into the full load node', function () {
      const flow = readExample(files[3]);
      const ids = byId(flow);
      const fl = flow.find((n) => n.type === 'oicp-full-load');
      const push = flow.find((n) => n.type === 'oicp-push-evse-status');
      assert.ok(fl.wires[0].includes(push.id), 'full load -> push');
      assert.ok(push.wires[0].includes(fl.id), 'push -> full load (acknowledged fullLoads only)');
      assert.strictEqual(fl.time, '03:00');
      assert.strictEqual(fl.onStart, false, 'nothing is sent on deploy before the user fills in the certificate');
      const map = flow.find((n) => n.type === 'oicp-ocpp-status');
      assert.ok(map.wires[0].includes(fl.id));
      assert.ok(flow.some((n) => n.type === 'inject' && n.topic === 'fullLoad' && n.wires[0].includes(fl.id)));
      assert.ok(ids.get(push.wires[0].find((id) => id !== fl.id)).type === 'debug');
    });

    it("example 9: remote in reaches the charger and remote response; the charger's StartTransaction goes to authorize, its StopTransaction on to push cdr", function () {
      const flow = readExample(files[8]);
      const one = (type) => flow.find((n) => n.type === type);
      assert.ok(reaches(flow, one('oicp-remote-in').id, one('CS request JSON').id));
      assert.ok(reaches(flow, one('CS request JSON').id, one('oicp-remote-response').id));
      const answer = flow.find((n) => n.type === 'function' && reaches(flow, one('CS server').id, n.id));
      const cdr = one('oicp-push-cdr');
      assert.ok(cdr, 'the transaction after a remote start ends in a CDR');
      assert.strictEqual(cdr.hubject, one('oicp-authorize').hubject);
      // The function's outputs: the answer to the charge point, authorize, push cdr (the charger's request as it came).
      const run = (command, data) =>
        new Function('msg', 'RED', answer.func)(
          { msgId: 'm1', ocpp: { msgType: 2, command, chargeBoxIdentity: 'CP1' }, payload: { command, data } },
          { util: { cloneMessage: (m) => JSON.parse(JSON.stringify(m)) } },
        );
      const start = run('StartTransaction', { connectorId: 1, idTag: 'X', meterStart: 0, timestamp: '2026-12-07T10:00:00Z' });
      assert.ok(start[1] && answer.wires[1].includes(one('oicp-authorize').id));
      const stop = run('StopTransaction', { transactionId: 7, meterStop: 1000, timestamp: '2026-12-07T11:00:00Z' });
      assert.deepStrictEqual(stop[0].payload, { idTagInfo: { status: 'Accepted' } });
      assert.deepStrictEqual(stop[2].payload.data, { transactionId: 7, meterStop: 1000, timestamp: '2026-12-07T11:00:00Z' });
      assert.deepStrictEqual(answer.wires[2], [cdr.id]);
    });
  });

  describe('in a real Node-RED', function () {
    this.timeout(120000);
    let sim;
    let contribs;
    let broker;
    const pushes = [];
    const reds = [];

    before(async function () {
      this.timeout(300000);
      contribs = await cachedInstall([`${OCPP16.name}@${OCPP16.version}`, `${OCPP2.name}@${OCPP2.version}`], { label: 'ocpp-contribs' });
      sim = await startSim({ onPush: (body) => pushes.push(body) });
      broker = new MiniMqttBroker();
      await broker.start();
    });

    after(async function () {
      for (const red of reds) {
        await red.stop().catch(() => red.kill());
        red.cleanup();
      }
      if (sim) await sim.sim.stop();
      if (broker) await broker.stop();
    });

    async function startRed(packages, opts = {}) {
      const userDir = makeUserDir('oicp-examples-');
      for (const p of packages) linkPackage(contribs, p, userDir);
      const red = new RedProcess({ userDir, flows: opts.flows || [], env: opts.env });
      reds.push(red);
      await red.start();
      return red;
    }

    async function ports() {
      return { ocpp16: await freePort(), ocpp2: await freePort(), mqtt: broker.port };
    }

    function statusAt(evseId) {
      const s = sim.sim.getState(OP).get(evseId);
      return s && s.EvseStatus;
    }

    /** Imports the example unchanged (but for listening ports) and checks it starts cleanly with all types known. */
    async function importAsIs(red, file, p) {
      const flow = withPorts(readExample(file), p);
      const log = await deploy(red, flow);
      const unexpected = loadProblems(log).filter((l) => !EMPTY_TLS.test(l));
      assert.deepStrictEqual(unexpected, [], `errors after deploying ${file}:\n${log}`);
      const nodes = await red.http('GET', '/nodes', undefined, { accept: 'application/json' });
      assert.strictEqual(nodes.status, 200);
      const known = new Set(nodes.json.filter((s) => s.enabled && !s.err).flatMap((s) => s.types));
      const needed = [...new Set(flow.filter((n) => n.type !== 'tab').map((n) => n.type))];
      assert.deepStrictEqual(
        needed.filter((t) => !known.has(t)),
        [],
        'node types the runtime does not know',
      );
      const deployed = await red.http('GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
      assert.deepStrictEqual(deployed.json.flows.map((n) => n.id).sort(), flow.map((n) => n.id).sort());
      return flow;
    }

    it('1: loads with node-red-contrib-ocpp 1.3.10; a 1.6J charge point is answered and its status reaches Hubject', async function () {
      const file = files[0];
      const red = await startRed([OCPP16.name]);
      const p = await ports();
      const flow = await importAsIs(red, file, p);
      assert.ok(flow.some((n) => n.type === 'CS server') && flow.some((n) => n.type === 'server response'));

      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);
      const cp = new RPCClient({
        endpoint: `ws://127.0.0.1:${p.ocpp16}/ocpp16`,
        identity: 'CP1',
        protocols: ['ocpp1.6'],
        strictMode: false,
        reconnect: false,
        callTimeoutMs: 10000,
      });
      try {
        await cp.connect();
        const boot = await cp.call('BootNotification', { chargePointVendor: 'Example', chargePointModel: 'E1' });
        assert.strictEqual(boot.status, 'Accepted');
        assert.ok(Number.isInteger(boot.interval) && !Number.isNaN(Date.parse(boot.currentTime)));
        assert.deepStrictEqual(await cp.call('StatusNotification', { connectorId: 1, status: 'Available', errorCode: 'NoError' }), {});
        await until(
          () => statusAt('DE*ABC*ECP1*1') === 'Available',
          15000,
          'CP1/1 Available at the simulator',
          () => red.log.slice(-2000),
        );
        assert.deepStrictEqual(await cp.call('StatusNotification', { connectorId: 1, status: 'Charging', errorCode: 'NoError' }), {});
        await until(() => statusAt('DE*ABC*ECP1*1') === 'Occupied', 15000, 'CP1/1 Occupied at the simulator');
        // Unchanged OICP status: the mapper forwards nothing, the charge point is still answered.
        assert.deepStrictEqual(await cp.call('StatusNotification', { connectorId: 1, status: 'SuspendedEV', errorCode: 'NoError' }), {});
        assert.deepStrictEqual(await cp.call('Heartbeat', {}).then((r) => Object.keys(r)), ['currentTime']);
      } finally {
        await cp.close({ force: true }).catch(() => {});
      }
      // The connection drop is an OFFLINE event: the mapper (offline = OutOfService) marks the EVSE out of service.
      await until(() => statusAt('DE*ABC*ECP1*1') === 'OutOfService', 15000, 'CP1/1 OutOfService after disconnect');
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('2: loads with @anl-ioc/node-red-contrib-ocpp2 1.0.1-beta.3; a 2.0.1 station is answered and its status reaches Hubject', async function () {
      const file = files[1];
      const red = await startRed([OCPP2.name]);
      const p = await ports();
      const flow = await importAsIs(red, file, p);
      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);

      // The example's basic-auth pair was imported as the CSMS node's credentials: a wrong password is refused.
      const intruder = new RPCClient({
        endpoint: `ws://127.0.0.1:${p.ocpp2}/ocpp2`,
        identity: 'CS001',
        password: 'wrong',
        protocols: ['ocpp2.0.1'],
        reconnect: false,
      });
      await assert.rejects(intruder.connect());
      await intruder.close({ force: true }).catch(() => {});

      const cs = new RPCClient({
        endpoint: `ws://127.0.0.1:${p.ocpp2}/ocpp2`,
        identity: 'CS001',
        password: 'change-this-password',
        protocols: ['ocpp2.0.1'],
        strictMode: false,
        reconnect: false,
        callTimeoutMs: 10000,
      });
      try {
        await cs.connect();
        const boot = await cs.call('BootNotification', { reason: 'PowerUp', chargingStation: { model: 'E2', vendorName: 'Example' } });
        assert.strictEqual(boot.status, 'Accepted');
        const now = () => new Date().toISOString();
        assert.deepStrictEqual(await cs.call('StatusNotification', { timestamp: now(), connectorStatus: 'Occupied', evseId: 1, connectorId: 1 }), {});
        await until(
          () => statusAt('DE*ABC*ECS001*1') === 'Occupied',
          15000,
          'CS001 EVSE 1 Occupied at the simulator',
          () => red.log.slice(-2000),
        );
        const event = {
          generatedAt: now(),
          seqNo: 0,
          eventData: [
            {
              eventId: 1,
              timestamp: now(),
              trigger: 'Delta',
              actualValue: 'Unavailable',
              eventNotificationType: 'HardWiredNotification',
              component: { name: 'Connector', evse: { id: 2, connectorId: 1 } },
              variable: { name: 'AvailabilityState' },
            },
          ],
        };
        assert.deepStrictEqual(await cs.call('NotifyEvent', event), {});
        await until(() => statusAt('DE*ABC*ECS001*2') === 'OutOfService', 15000, 'CS001 EVSE 2 OutOfService at the simulator');
      } finally {
        await cs.close({ force: true }).catch(() => {});
      }
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('3: loads with core nodes only; a JSON status published over MQTT reaches Hubject through the lookup table', async function () {
      const file = files[2];
      const red = await startRed([]);
      const p = await ports();
      const flow = await importAsIs(red, file, p);
      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);
      await until(() => broker.clients.size >= 1, 10000, 'Node-RED connected to the MQTT broker');
      // The example's own test button publishes through the broker; mqtt in, json, the topic rule and the lookup do the rest.
      const inject = flow.find((n) => n.type === 'inject');
      let res;
      await until(
        async () => {
          res = await red.http('POST', `/inject/${inject.id}`);
          return statusAt('DE*ABC*E1001*1') === 'Occupied';
        },
        20000,
        'DE*ABC*E1001*1 Occupied at the simulator',
        () => `${JSON.stringify(broker.published)}\n${red.log.slice(-2000)}`,
      );
      assert.strictEqual(res.status, 200);
      assert.ok(broker.published.some((m) => m.topic === 'cpo/chargers/CP1/status' && JSON.parse(m.payload).status === 'Charging'));
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('4: loads; statuses pass through as updates, "fullLoad now" sends the acknowledged fullLoad, "remove" deletes', async function () {
      const file = files[3];
      const red = await startRed([]);
      const flow = await importAsIs(red, file, await ports());
      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);
      const injectNamed = (name) => flow.find((n) => n.type === 'inject' && n.name === name).id;
      const press = async (name) => assert.strictEqual((await red.http('POST', `/inject/${injectNamed(name)}`)).status, 200);
      const fullLoads = () => pushes.filter((b) => b.ActionType === 'fullLoad' && b.OperatorEvseStatus && b.OperatorEvseStatus.OperatorID === OP);
      const before = fullLoads().length;

      await press('1001/1 Available');
      await press('1001/2 Charging');
      await until(
        () => statusAt('DE*ABC*E1001*1') === 'Available' && statusAt('DE*ABC*E1001*2') === 'Occupied',
        15000,
        'both EVSEs at the simulator',
        () => red.log.slice(-2000),
      );
      assert.strictEqual(fullLoads().length, before, 'no fullLoad before the trigger (onStart is off)');

      await press('fullLoad now');
      await until(
        () => fullLoads().length === before + 1,
        15000,
        'a fullLoad at the simulator',
        () => red.log.slice(-2000),
      );
      const records = fullLoads()[before].OperatorEvseStatus.EvseStatusRecord.map((r) => `${r.EvseID}=${r.EvseStatus}`);
      assert.deepStrictEqual(records, ['DE*ABC*E1001*1=Available', 'DE*ABC*E1001*2=Occupied']);

      await press('remove charger 1001');
      await until(
        () => statusAt('DE*ABC*E1001*1') === undefined && statusAt('DE*ABC*E1001*2') === undefined,
        15000,
        'EVSEs deleted at the simulator',
        () => `${JSON.stringify(pushes.slice(-3))}\n${red.log.slice(-3000)}`,
      );
      // Removed from the full load too: the next fullLoad would be empty, which the guard stops.
      const from = red.log.length;
      await press('fullLoad now');
      await until(
        () => /\[warn\].*oicp-full-load.*empty/i.test(red.log.slice(from)),
        10000,
        'the empty fullLoad guarded with a warning',
        () => red.log.slice(from),
      );
      assert.strictEqual(fullLoads().length, before + 1);
      assert.deepStrictEqual(problems(red.log), []);
    });

    it("5 (demo): with the simulator's URL and certificates in env vars, flows start cleanly, a fullLoad goes first, updates follow", async function () {
      const client = sim.certs.clients[OP];
      const before = pushes.length;
      const red = await startRed([], {
        flows: readExample(files[4]).map((n) => (n.type === 'debug' ? { ...n, console: true } : n)),
        env: {
          OICP_SIM_URL: sim.url,
          OICP_SIM_CERT: client.cert,
          OICP_SIM_KEY: client.key,
          OICP_SIM_CA: sim.certs.caCert,
          OICP_CPO_PORT: String(await freePort()),
          OICP_CPO_CERT: sim.certs.cpoServerCert,
          OICP_CPO_KEY: sim.certs.cpoServerKey,
        },
      });
      const ids = ['1001', '1002', '1003'].flatMap((cb) => [1, 2].map((c) => `DE*ABC*E${cb}*${c}`));
      await until(
        () => ids.every((id) => statusAt(id) !== undefined),
        20000,
        'the six demo EVSEs at the simulator',
        () => red.log.slice(-2000),
      );
      await until(() => pushes.slice(before).some((b) => b.ActionType === 'fullLoad' && b.OperatorEvseStatus), 20000, 'the fullLoad at start');
      // EVSE data goes first, as one data fullLoad of the six EVSEs.
      const first = pushes.slice(before).find((b) => b.OperatorEvseData || b.OperatorEvseStatus);
      assert.ok(first.OperatorEvseData, 'the first push carries EVSE data');
      assert.strictEqual(first.ActionType, 'fullLoad');
      assert.deepStrictEqual(
        first.OperatorEvseData.EvseDataRecord.map((r) => r.EvseID),
        ids,
      );
      assert.deepStrictEqual([...sim.sim.getData(OP).keys()].sort(), ids);
      // The status fullLoad goes next, so the simulator never answers an update of an EVSE it does not know (022).
      const mine = pushes.slice(before).filter((b) => b.OperatorEvseStatus && b.OperatorEvseStatus.OperatorID === OP);
      assert.strictEqual(mine[0].ActionType, 'fullLoad', `first push: ${mine[0].ActionType}`);
      assert.deepStrictEqual(
        mine[0].OperatorEvseStatus.EvseStatusRecord.map((r) => r.EvseID),
        ids,
      );
      await until(() => pushes.slice(before).some((b) => b.ActionType === 'update'), 20000, 'a session step pushed as update');
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('6: loads with core nodes only; the sample CSV, found where the tab info says, reaches Hubject as EVSE data', async function () {
      const file = files[5];
      // The demo pushed EVSE data of the same ids; this example starts as a new CPO installation would, at an empty Hubject.
      sim.sim.clearState();
      const red = await startRed([]);
      const flow = await importAsIs(red, file, await ports());
      // Node-RED runs in its user directory, where the package is installed: the shipped relative path finds the sample.
      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);
      const read = flow.find((n) => n.type === 'inject');
      const res = await red.http('POST', `/inject/${read.id}`);
      assert.strictEqual(res.status, 200);
      const rows = fs.readFileSync(path.join(EXAMPLES, 'evse-data-sample.csv'), 'utf8').trim().split('\n').slice(1);
      const ids = rows.map((r) => r.split(',')[0]);
      await until(
        () => ids.every((id) => sim.sim.getData(OP).has(id)),
        20000,
        'the sample EVSEs at the simulator',
        () => red.log.slice(-2000),
      );
      const dresden = sim.sim.getData(OP).get('DE*ABC*E1002*1');
      assert.strictEqual(dresden.Address.PostalCode, '01069', 'the postal code keeps its leading zero');
      assert.strictEqual(dresden.Address.Country, 'DEU');
      assert.deepStrictEqual(dresden.Plugs, ['CCS Combo 2 Plug (Cable Attached)']);
      assert.deepStrictEqual(dresden.GeoCoordinates, { Google: { Coordinates: '51.046110 13.737310' } });
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('8: loads with node-red-contrib-ocpp 1.3.10; an RFID card is authorized by Hubject, StartTransaction gets its transactionId, StopTransaction brings the CDR to Hubject', async function () {
      const file = files[7];
      const red = await startRed([OCPP16.name]);
      const p = await ports();
      const flow = await importAsIs(red, file, p);
      // The shape the description promises: Authorize and StartTransaction to authorize, its answer to server response.
      const ids = byId(flow);
      const authorize = flow.find((n) => n.type === 'oicp-authorize');
      const response = flow.find((n) => n.type === 'server response');
      assert.ok(authorize.wires[1].includes(response.id), 'the charger answer goes straight to server response');
      assert.ok(reaches(flow, flow.find((n) => n.type === 'CS server').id, authorize.id));
      const cdrNode = flow.find((n) => n.type === 'oicp-push-cdr');
      assert.ok(cdrNode && reaches(flow, flow.find((n) => n.type === 'CS server').id, cdrNode.id), 'StopTransaction reaches push cdr');
      assert.ok(ids.get(cdrNode.hubject), "push cdr uses the example's Hubject config");

      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);
      const startsBefore = sim.sim.authorization.received.authorizeStart;
      const cp = new RPCClient({
        endpoint: `ws://127.0.0.1:${p.ocpp16}/ocpp16`,
        identity: 'CP8',
        protocols: ['ocpp1.6'],
        strictMode: true,
        reconnect: false,
        callTimeoutMs: 10000,
      });
      try {
        await cp.connect();
        assert.strictEqual((await cp.call('BootNotification', { chargePointVendor: 'Example', chargePointModel: 'E8' })).status, 'Accepted');
        // A card Hubject does not know: Invalid, a normal answer.
        sim.sim.authorization.setRule('DEADBEEF', { AuthorizationStatus: 'NotAuthorized', code: '102' });
        assert.deepStrictEqual(await cp.call('Authorize', { idTag: 'deadbeef' }), { idTagInfo: { status: 'Invalid' } });
        assert.deepStrictEqual(await cp.call('Authorize', { idTag: '04a1b2c3' }), { idTagInfo: { status: 'Accepted' } });
        const start = new Date(Date.now() - 1800_000).toISOString();
        const started = await cp.call('StartTransaction', { connectorId: 1, idTag: '04a1b2c3', meterStart: 500, timestamp: start });
        assert.strictEqual(started.idTagInfo.status, 'Accepted');
        assert.ok(Number.isInteger(started.transactionId) && started.transactionId > 0);
        // The StartTransaction takes the session of the accepted Authorize: no AuthorizeStart of its own.
        assert.strictEqual(sim.sim.authorization.received.authorizeStart, startsBefore + 2);
        const session = [...sim.sim.authorization.sessions.values()].filter((s) => s.token === '04A1B2C3').pop();
        assert.ok(session, 'Hubject has a session for the card');
        assert.deepStrictEqual(
          await cp.call('MeterValues', {
            connectorId: 1,
            transactionId: started.transactionId,
            meterValue: [{ timestamp: start, sampledValue: [{ value: '900' }] }],
          }),
          {},
        );
        const stopped = await cp.call('StopTransaction', { transactionId: started.transactionId, meterStop: 7500, timestamp: new Date().toISOString() });
        assert.deepStrictEqual(stopped, { idTagInfo: { status: 'Accepted' } });
        // push cdr found the session by its transactionId: Hubject has the CDR, 7 kWh from 500 Wh to 7500 Wh.
        const cdr = await until(
          () => sim.sim.cdrs.cdrs.get(session.SessionID),
          15000,
          'the CDR at the simulator',
          () => red.log.slice(-2000),
        );
        assert.strictEqual(cdr.EvseID, 'DE*ABC*ECP8*1');
        assert.strictEqual(cdr.ConsumedEnergy, 7);
        assert.match(cdr.SessionStart, /\+0[12]:00$/, "the charger's time in Europe/Berlin");
      } finally {
        await cp.close({ force: true }).catch(() => {});
      }
      assert.deepStrictEqual(problems(red.log), []);
    });

    it('7: loads with core nodes only; every charge point of the register-format sample is acknowledged by Hubject as EVSE data', async function () {
      const file = files[6];
      sim.sim.clearState();
      const red = await startRed([]);
      const flow = await importAsIs(red, file, await ports());
      const log = await deploy(red, toSimulator(flow, sim));
      assert.deepStrictEqual(problems(log), []);
      const from = pushes.length;
      const res = await red.http('POST', `/inject/${flow.find((n) => n.type === 'inject').id}`);
      assert.strictEqual(res.status, 200);
      // What the file holds, read here without the flow: 20 stations of the operator, 35 charge points.
      const rows = registerRows();
      const mine = rows.filter((r) => r.Betreiber === 'ABC Charging GmbH');
      assert.strictEqual(mine.length, 20);
      assert.ok(rows.length > mine.length, 'the sample also has rows of another operator');
      const chargePoints = mine.reduce((n, r) => n + Number(r['Anzahl Ladepunkte']), 0);
      assert.strictEqual(chargePoints, 35);
      await until(
        () => sim.sim.getData(OP).size >= chargePoints,
        20000,
        'the sample EVSEs at the simulator',
        () => red.log.slice(-3000),
      );
      // Acknowledged: the simulator keeps a record only once it has answered the insert with success.
      const data = sim.sim.getData(OP);
      assert.strictEqual(data.size, chargePoints);
      const sent = pushes.slice(from).filter((b) => b.OperatorEvseData);
      assert.deepStrictEqual([...new Set(sent.flatMap((b) => b.OperatorEvseData.EvseDataRecord.map((r) => r.EvseID)))].sort(), [...data.keys()].sort());
      assert.ok(
        sent.every((b) => b.ActionType === 'insert'),
        'new EVSEs go as insert',
      );
      // Decimal commas, a leading zero, two plugs of one charge point, PowerType from the power, 3.7 kW rounded.
      const dresden = data.get('DE*ABC*E01069*10*1*1');
      assert.deepStrictEqual(dresden.Address, { Country: 'DEU', City: 'Dresden', Street: 'Prager Straße', PostalCode: '01069', HouseNum: '10' });
      assert.deepStrictEqual(dresden.GeoCoordinates, { Google: { Coordinates: '51.046110 13.737310' } });
      assert.deepStrictEqual(dresden.Plugs, ['CCS Combo 2 Plug (Cable Attached)', 'CHAdeMO']);
      assert.deepStrictEqual(dresden.ChargingFacilities, [{ PowerType: 'DC', Power: 150 }]);
      assert.strictEqual(dresden.ChargingStationID, '01069*10*1');
      const potsdam = data.get('DE*ABC*E14467*79*1*1');
      assert.deepStrictEqual(potsdam.Plugs, ['Type 2 Outlet', 'Type F Schuko']);
      assert.deepStrictEqual(potsdam.ChargingFacilities, [{ PowerType: 'AC_1_PHASE', Power: 4 }]);
      assert.deepStrictEqual(data.get('DE*ABC*E20354*1*1*4').ChargingFacilities, [{ PowerType: 'AC_3_PHASE', Power: 43 }]);
      assert.deepStrictEqual(data.get('DE*ABC*E20354*1*1*4').Plugs, ['Type 2 Connector (Cable Attached)']);
      // A second station at the same address gets its own EvseIDs.
      assert.ok(data.has('DE*ABC*E20354*1*2*1'));
      assert.ok(![...data.values()].some((r) => /Heidelberg|Kassel/.test(r.Address.City)), 'rows of other operators are left out');
      assert.deepStrictEqual(problems(red.log), []);
    });
  });
});
