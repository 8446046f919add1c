#!/usr/bin/env node
'use strict';
// `npm start`: the local Hubject simulator plus a real Node-RED with this package and the demo flow deployed.
// Everything lives under .demo/ (gitignored). Ctrl+C stops both.
//
// Ports: PORT (Node-RED editor, default 1880) on HOST (default 127.0.0.1), SIM_PORT (simulator OICP API, mutual TLS,
// default 8443) and SIM_ADMIN_PORT (simulator page, default 8080), both on 127.0.0.1: the simulator page has no login.
// CPO_PORT: the demo's CPO endpoint (remote start/stop from the simulator, mutual TLS) on 127.0.0.1, default a free port.
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const { startSimulator } = require('../nodes/simulator');

const root = path.resolve(__dirname, '..');
// DEMO_DIR: where the demo keeps its certificates and Node-RED user directory (tests run a demo of their own).
const demo = process.env.DEMO_DIR ? path.resolve(process.env.DEMO_DIR) : path.join(root, '.demo');
const userDir = path.join(demo, 'userdir');
const SIM_HOST = '127.0.0.1';

/** A clear one-line stop: the message, then exit non-zero. */
function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

function portFromEnv(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name} must be a port number from 1 to 65535, got ${JSON.stringify(v)}`);
  return n;
}

const port = portFromEnv('PORT', 1880);
const host = process.env.HOST || '127.0.0.1';
const simPort = portFromEnv('SIM_PORT', 8443);
const simAdminPort = portFromEnv('SIM_ADMIN_PORT', 8080);
const cpoPortWanted = portFromEnv('CPO_PORT', 0);
// The EVSE the simulator page's remote start field offers: the demo's charger 1001, connector 1.
const REMOTE_EVSE = 'DE*ABC*E1001*1';

/** A port nothing listens on now, for the CPO endpoint (Node-RED binds it a moment later). */
function freeLocalPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, SIM_HOST, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Resolves with undefined when host:port can be bound, else with the error code (EADDRINUSE, EACCES, ...). */
function probe(p, h) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (err) => resolve(err.code || err.message));
    s.listen(p, h, () => s.close(() => resolve(undefined)));
  });
}

function portProblem(what, p, h, variable, code) {
  const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs privileges' : `cannot be used (${code})`;
  return `port ${p} (${what}) on ${h} ${why}: stop what uses it, or choose another port with ${variable}=<port> npm start`;
}

async function checkPorts() {
  const wanted = [
    ['Node-RED editor', port, host, 'PORT'],
    ['Hubject simulator OICP API', simPort, SIM_HOST, 'SIM_PORT'],
    ['Hubject simulator page', simAdminPort, SIM_HOST, 'SIM_ADMIN_PORT'],
    ...(cpoPortWanted ? [['CPO endpoint', cpoPortWanted, SIM_HOST, 'CPO_PORT']] : []),
  ];
  const seen = new Map();
  for (const [what, p, h, variable] of wanted) {
    if (seen.has(p)) fail(`${variable} and ${seen.get(p)} are both ${p}: give each its own port`);
    seen.set(p, variable);
    const code = await probe(p, h);
    if (code) fail(portProblem(what, p, h, variable, code));
  }
}

// Runs in the editor page. Node-RED shows its first sidebar tab once the flows are loaded, just before its loading bar
// goes; after that, the demo's first visit from this browser opens the OICP tab.
const OPEN_OICP_TAB_ONCE = `(function () {
  var KEY = "oicp-demo-sidebar-opened";
  var tries = 0;
  function ready() {
    // Before the sidebar is set up, containsTab throws.
    try { return RED.sidebar.containsTab("oicp") && $(".red-ui-header-toolbar").is(":visible") && !$("#red-ui-loading-progress").is(":visible"); } catch (e) { return false; }
  }
  (function wait() {
    if (!ready()) { if (tries++ < 1200) { setTimeout(wait, 100); } return; }
    try { if (localStorage.getItem(KEY)) { return; } localStorage.setItem(KEY, "1"); } catch (e) { /* private mode: open anyway */ }
    setTimeout(function () { RED.sidebar.show("oicp"); }, 300);
  })();
})();
`;

function prepareUserDir() {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  const link = path.join(userDir, 'node_modules', 'node-red-contrib-oicp');
  try { fs.rmSync(link, { recursive: true, force: true }); } catch { /* first start */ }
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'oicp-demo', private: true, dependencies: { 'node-red-contrib-oicp': '*' } }, null, 2));
  // At laptop sizes Node-RED shows the OICP sidebar tab only in the sidebar's menu: open it once per browser.
  const sidebarScript = path.join(userDir, 'oicp-demo-sidebar.js');
  fs.writeFileSync(sidebarScript, OPEN_OICP_TAB_ONCE);
  // telemetry: no "Enable update notifications?" dialog over the editor, and no calls home: the first screen is the flow.
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = {
    uiHost: ${JSON.stringify(host)},
    uiPort: ${port},
    flowFile: 'flows.json',
    credentialSecret: false,
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false }, page: { scripts: [${JSON.stringify(sidebarScript)}] } },
    logging: { console: { level: 'info', metrics: false, audit: false } }
};
`);
  // The demo is deployed fresh on every start; the example file is the single source.
  const flow = fs.readFileSync(path.join(root, 'examples', '5 Demo with the local Hubject simulator.json'), 'utf8');
  fs.writeFileSync(path.join(userDir, 'flows.json'), flow);
}

async function main() {
  await checkPorts();
  const cpoPort = cpoPortWanted || (await freeLocalPort());
  // The URL Hubject would call, as the demo's endpoint registers it: the simulator's remote start button calls it.
  const cpoUrl = `https://${SIM_HOST}:${cpoPort}`;
  let started;
  try {
    started = await startSimulator({
      certDir: path.join(demo, 'certs'),
      operatorIds: ['DE*ABC'],
      host: SIM_HOST,
      port: simPort,
      adminPort: simAdminPort,
      cpoUrl,
      cpoEvseId: REMOTE_EVSE,
    });
  } catch (err) {
    // Taken between the check and the start.
    if (err && err.code === 'EADDRINUSE') {
      const p = err.port || simPort;
      fail(p === simAdminPort ? portProblem('Hubject simulator page', p, SIM_HOST, 'SIM_ADMIN_PORT', err.code) : portProblem('Hubject simulator OICP API', p, SIM_HOST, 'SIM_PORT', err.code));
    }
    throw err;
  }
  const { simulator, certs, url, adminUrl } = started;
  prepareUserDir();
  const client = certs.clients['DE*ABC'];
  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      OICP_SIM_URL: url,
      OICP_SIM_CERT: client.cert,
      OICP_SIM_KEY: client.key,
      OICP_SIM_CA: certs.caCert,
      // The CPO endpoint: its server certificate from the demo CA, which also signed the simulator's "Hubject" client one.
      OICP_CPO_PORT: String(cpoPort),
      OICP_CPO_CERT: certs.cpoServerCert,
      OICP_CPO_KEY: certs.cpoServerKey,
    },
  });

  let stopping = false;
  let ready = false;
  let portInUse = false;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    red.kill('SIGINT');
    const t = setTimeout(() => red.kill('SIGKILL'), 5000);
    red.once('exit', () => {
      clearTimeout(t);
      simulator.stop().finally(() => process.exit(code));
    });
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));

  // Node-RED's output is passed through; "demo is running" is printed only once this Node-RED listens and has started
  // its flows (in either order), never because something else answered on the port.
  const banner = () => {
    if (ready) return;
    ready = true;
    console.log('');
    console.log('node-red-contrib-oicp demo is running');
    console.log(`  Node-RED editor:        http://${host.includes(':') ? `[${host}]` : host}:${port}/`);
    console.log(`  Hubject simulator page: ${adminUrl}`);
    console.log(`  simulator OICP API:     ${url} (mutual TLS)`);
    console.log(`  CPO endpoint:           ${cpoUrl} (remote start/stop, mutual TLS; "remote start EVSE…" on the simulator page)`);
    console.log('Ctrl+C stops both.');
  };
  let pending = '';
  let listening = false;
  let flowsStarted = false;
  const watch = (chunk, out) => {
    out.write(chunk);
    pending = (pending + chunk.toString()).slice(-4096);
    if (/port in use|EADDRINUSE/i.test(pending)) portInUse = true;
    if (/Server now running at/.test(pending)) listening = true;
    if (/Started flows/.test(pending)) flowsStarted = true;
    if (listening && flowsStarted) banner();
  };
  red.stdout.on('data', (c) => watch(c, process.stdout));
  red.stderr.on('data', (c) => watch(c, process.stderr));

  red.on('exit', (code) => {
    if (stopping) return;
    stopping = true;
    if (portInUse) console.error(`npm start: ${portProblem('Node-RED editor', port, host, 'PORT', 'EADDRINUSE')}`);
    else console.error(`npm start: Node-RED exited with code ${code}${ready ? '' : ' before the demo was ready'}`);
    simulator.stop().finally(() => process.exit(code || 1));
  });
}

main().catch((err) => fail(err && err.message ? err.message : String(err)));
