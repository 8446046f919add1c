'use strict';
// Issue 21: the kit (src/node-red) holds the mechanism only; each adapter hands it its own domain's settings.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const KIT = path.join(__dirname, '..', 'src', 'node-red');
const DOMAINS = ['oicp', 'ocpp', 'push', 'fullload', 'sessions', 'ops', 'simulator'];
// Still open, owned by the lanes re-shaping: the config contract names the queue, the gate and the EVSE data.
const KNOWN = new Set(['hubject.ts']);
// The generic lane is mechanism, not a domain: the kit's lane binding attaches nodes to it.
const LANE = new Set(['push/queue', 'push/dead-letters', 'push/rejection']);

describe('the kit imports no domain', function () {
  it('src/node-red/* (but the config contract, still open) imports nothing from a domain folder', function () {
    const found = [];
    for (const f of fs.readdirSync(KIT).filter((n) => n.endsWith('.ts') && !KNOWN.has(n))) {
      const text = fs.readFileSync(path.join(KIT, f), 'utf8');
      for (const m of text.matchAll(/from '\.\.\/(([a-z-]+)\/[a-z-]+)'/g)) if (DOMAINS.includes(m[2]) && !LANE.has(m[1])) found.push(`${f}: ${m[0]}`);
    }
    assert.deepStrictEqual(found, []);
  });

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
