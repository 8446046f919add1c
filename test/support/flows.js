'use strict';
// Node-RED runtime helpers shared by node tests: a Hubject config with a core tls-config pointing at simulator certs.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { until } = require('./until');

const nodeFiles = {
  tls: require('@node-red/nodes/core/network/05-tls.js'),
  catch: require('@node-red/nodes/core/common/25-catch.js'),
  complete: require('@node-red/nodes/core/common/24-complete.js'),
  config: require('../../nodes/oicp-hubject-config.js'),
  push: require('../../nodes/oicp-push-evse-status.js'),
};

/**
 * tls-config + oicp-hubject-config nodes for a simulator. Files, not credentials, so no PEM is inlined in flows.
 * opts: operatorId, clientCert/clientKey/ca paths to override, verify (default true), rateLimit, retryBase, retryMax, timeout.
 */
function hubjectNodes(certs, url, opts = {}) {
  const operatorId = opts.operatorId || 'DE*ABC';
  const client = certs.clients[opts.certFor || 'DE*ABC'];
  return [
    {
      id: 'tls1',
      type: 'tls-config',
      name: 'sim tls',
      cert: opts.clientCert || client.cert,
      key: opts.clientKey || client.key,
      ca: opts.ca || certs.caCert,
      verifyservercert: opts.verify !== false,
      servername: opts.servername || '',
    },
    {
      id: 'hub1',
      type: 'oicp-hubject-config',
      environment: 'custom',
      url,
      operatorId,
      operatorName: 'Demo CPO',
      tls: 'tls1',
      timeout: opts.timeout || 5,
      rateLimit: opts.rateLimit || 2000,
      retryBase: opts.retryBase || 0.05,
      retryMax: opts.retryMax || 0.5,
    },
  ];
}

/** An oicp-full-load node fl1 with the editor's defaults (03:00, file storage, no pass-through, no Hubject config); props on top. */
function fullLoadDef(props = {}) {
  return {
    id: 'fl1',
    type: 'oicp-full-load',
    time: '03:00',
    onStart: false,
    onStartDelay: 30,
    staleDays: 7,
    allowEmpty: false,
    minRatio: 0.5,
    passThrough: false,
    storage: 'file',
    contextStore: '',
    wires: [[]],
    ...props,
  };
}

function tmpUserDir(prefix = 'oicp-ud-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Catch and Complete nodes (c1, cmp) for the nodes in `scope`, wired to the helper nodes caught and completed, on
 * tab z when given. completeScope: what Complete watches (default the same as Catch; null leaves Complete out).
 */
function observers(scope, { z, completeScope = scope } = {}) {
  const on = z ? { z } : {};
  const nodes = [
    { id: 'c1', type: 'catch', ...on, scope, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', ...on },
  ];
  if (completeScope) {
    nodes.push(
      { id: 'cmp', type: 'complete', ...on, scope: completeScope, uncaught: false, wires: [['completed']] },
      { id: 'completed', type: 'helper', ...on },
    );
  }
  return nodes;
}

/**
 * What a node-red-node-test-helper test observes of node `id`: the messages of the helper nodes named in `helpers`
 * (w.out, w.caught, ...), its warn() texts (w.warns) and status() calls (w.statuses, w.lastStatus()); w.node is the node.
 */
function watchNode(helper, id, helpers = ['out', 'caught', 'completed']) {
  const w = { warns: [], statuses: [] };
  for (const h of helpers) {
    w[h] = [];
    helper.getNode(h).on('input', (m) => w[h].push(m));
  }
  const n = helper.getNode(id);
  n.on('call:warn', (c) => w.warns.push(String(c.args[0])));
  n.on('call:status', (c) => w.statuses.push(c.args[0]));
  w.node = n;
  w.lastStatus = () => w.statuses[w.statuses.length - 1] || {};
  return w;
}

/**
 * Mocha hooks of a node-red-node-test-helper suite: each test gets a fresh userDir under os.tmpdir() (named with
 * `prefix`); after it the flows are unloaded and the directory removed. Returns a getter of the current userDir.
 */
function freshUserDirs(helper, prefix) {
  let userDir;
  beforeEach(function () {
    userDir = tmpUserDir(prefix);
    helper.settings({ userDir });
  });
  afterEach(async function () {
    await helper.unload();
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  return () => userDir;
}

/** True when two EvseID -> status maps hold the same entries, in any order. */
function sameStatuses(a, b) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

module.exports = { nodeFiles, hubjectNodes, fullLoadDef, tmpUserDir, until, observers, watchNode, freshUserDirs, sameStatuses };
