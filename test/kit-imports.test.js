'use strict';
// Issue 21: the kit (src/node-red) holds the mechanism only; each adapter hands it its own domain's settings.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const SRC = path.join(__dirname, '..', 'src');
// The domains: each owns a folder; the wire (src/oicp), the lanes (src/push) and the kit may name none of them.
const DOMAINS = ['evse-data', 'status', 'fullload', 'sessions', 'ocpp', 'remote', 'simulator'];
// The generic lane is mechanism, not a domain: the kit's lane binding attaches nodes to it.
const LANE = new Set(['push/queue', 'push/dead-letters', 'push/rejection']);

const tsFiles = (dir) =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

/** Every import of a file under src/: the folder under src/ it reaches (or 'src' for a top-level file), and whether only types. */
function importsOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  const out = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']*)'/gm)) {
    const target = path.relative(SRC, path.resolve(path.dirname(file), m[2]));
    const top = !target.includes(path.sep) && fs.existsSync(path.join(SRC, `${target}.ts`)) ? 'src' : target.split(path.sep)[0];
    out.push({ line: `${path.relative(SRC, file)}: ${m[0].replace(/\s+/g, ' ')}`, target: target.split(path.sep).join('/'), top, typeOnly: !!m[1] });
  }
  return out;
}

const below = (folder) => tsFiles(path.join(SRC, folder)).flatMap(importsOf);

describe('imports run one way (issue 21)', function () {
  it('the wire (src/oicp) imports nothing of ours outside it but the journal', function () {
    const found = below('oicp').filter((i) => !['oicp', 'journal'].includes(i.top));
    assert.deepStrictEqual(
      found.map((i) => i.line),
      [],
    );
  });

  it('the lanes (src/push) import no domain and no view (src/ops)', function () {
    const found = below('push').filter((i) => !['push', 'oicp', 'journal'].includes(i.top));
    assert.deepStrictEqual(
      found.map((i) => i.line),
      [],
    );
  });

  it('the kit (src/node-red) imports no domain, not even a type; of the lanes only their mechanism', function () {
    const found = below('node-red').filter(
      (i) => DOMAINS.includes(i.top) || i.top === 'ops' || i.top === 'src' || (i.top === 'push' && !LANE.has(i.target)) || (i.top === 'oicp' && !i.typeOnly),
    );
    assert.deepStrictEqual(
      found.map((i) => i.line),
      [],
    );
  });

  it('the domains import no adapter, no kit and no view', function () {
    const found = DOMAINS.filter((d) => d !== 'simulator' && fs.existsSync(path.join(SRC, d)))
      .flatMap(below)
      .filter((i) => ['src', 'node-red', 'plugins', 'ops'].includes(i.top) && !i.typeOnly);
    assert.deepStrictEqual(
      found.map((i) => i.line),
      [],
    );
  });
});

describe('the kit holds the mechanism only', function () {
  it('every adapter registers its own node settings, and each name starts with its type in camelCase', function () {
    const { nodeSettings } = require('./support/node-settings');
    const types = Object.keys(require('../package.json')['node-red'].nodes);
    for (const type of types) {
      const prefix = type.replace(/-([a-z])/g, (_m, c) => c.toUpperCase());
      const names = Object.keys(nodeSettings(type));
      assert.ok(names.length > 0, type);
      for (const n of names) assert.ok(n.startsWith(prefix), `${type}: ${n}`);
    }
  });
});
