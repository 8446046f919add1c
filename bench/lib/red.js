'use strict';
// A real Node-RED runtime embedded in this process: the full node-red package (core function, delay, http request,
// tls-config ...), this package loaded from a userDir/node_modules symlink as a user would install it, and the
// bench-sink/bench-probe nodes from bench/nodes. No editor, no HTTP listener, unless opts.listen: then the editor and
// admin API (with comms) listen on an ephemeral port of 127.0.0.1 and `url` names it.
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');

const ROOT = path.resolve(__dirname, '..', '..');
const BENCH_NODES = path.resolve(__dirname, '..', 'nodes');
const { hooks } = require(path.join(BENCH_NODES, 'bench-nodes.js'));

function nodeRedVersion() {
  return require('node-red/package.json').version;
}

/**
 * Starts Node-RED with `flows` (array of node definitions; nodes with wires go on tab 'f1', the others are config nodes) and resolves when the flows run.
 * Returns { RED, node(id), hook(id, fn), stop(), userDir }.
 */
async function startRed(flows, opts = {}) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-bench-'));
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-oicp'), 'dir');
  const all = [{ id: 'f1', type: 'tab', label: 'bench' }, ...flows.map((n, i) => (n.wires === undefined ? n : { z: 'f1', x: 100 + 150 * i, y: 100, ...n }))];
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(all));

  const RED = require('node-red');
  const settings = {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: 'bench',
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    nodesDir: [BENCH_NODES],
    editorTheme: { tours: false },
    logging: { console: { level: opts.logLevel || 'warn', metrics: false, audit: false } },
    contextStorage: { default: { module: 'memory' } },
    ...(opts.settings || {}),
  };
  // Embedded, Node-RED does not serve its admin app itself: the server hands requests to RED.httpAdmin (set by init).
  const server = http.createServer((req, res) => (RED.httpAdmin ? RED.httpAdmin(req, res) : res.writeHead(404).end()));
  RED.init(server, settings);
  const started = new Promise((resolve) => RED.events.once('flows:started', () => resolve()));
  await RED.start();
  await started;
  let url;
  if (opts.listen) {
    await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${server.address().port}`;
  }
  for (const n of flows) {
    if (n.type === 'tab') continue;
    if (!RED.nodes.getNode(n.id)) throw new Error(`node ${n.id} (${n.type}) did not start: check the Node-RED log above`);
  }
  return {
    RED,
    userDir,
    url,
    node: (id) => RED.nodes.getNode(id),
    hook: (id, fn) => hooks.set(id, fn),
    async stop() {
      hooks.clear();
      await RED.stop();
      if (url) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(() => resolve()));
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startRed, nodeRedVersion, ROOT };
