'use strict';
// Node-RED runtime helpers shared by node tests: a Hubject config with a core tls-config pointing at simulator certs.
const fs = require('fs');
const os = require('os');
const path = require('path');

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
      id: 'tls1', type: 'tls-config', name: 'sim tls',
      cert: opts.clientCert || client.cert, key: opts.clientKey || client.key, ca: opts.ca || certs.caCert,
      verifyservercert: opts.verify !== false, servername: opts.servername || '',
    },
    {
      id: 'hub1', type: 'oicp-hubject-config', environment: 'custom', url, operatorId, operatorName: 'Demo CPO', tls: 'tls1',
      timeout: opts.timeout || 5, rateLimit: opts.rateLimit || 2000, retryBase: opts.retryBase || 0.05, retryMax: opts.retryMax || 0.5,
    },
  ];
}

function tmpUserDir(prefix = 'oicp-ud-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function until(pred, ms = 10000, what = 'condition') {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    (function poll() {
      let v;
      try { v = pred(); } catch (e) { return reject(e); }
      if (v) return resolve(v);
      if (Date.now() > end) return reject(new Error(`${what} not met within ${ms} ms`));
      setTimeout(poll, 10);
    })();
  });
}

/** True when two EvseID -> status maps hold the same entries, in any order. */
function sameStatuses(a, b) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

module.exports = { nodeFiles, hubjectNodes, tmpUserDir, until, sameStatuses };
