#!/usr/bin/env node
'use strict';
// `npm start`: the local Hubject simulator plus a real Node-RED with this package and the demo flow deployed.
// Everything lives under .demo/ (gitignored). Ctrl+C stops both.
const fs = require('fs');
const path = require('path');
const http = require('http');
const { spawn } = require('child_process');
const { startSimulator } = require('../nodes/simulator');

const root = path.resolve(__dirname, '..');
const demo = path.join(root, '.demo');
const userDir = path.join(demo, 'userdir');
const port = Number(process.env.PORT || 1880);
const host = process.env.HOST || '127.0.0.1';

function waitForHttp(url, ms) {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    (function poll() {
      http.get(url, (res) => { res.resume(); resolve(); }).on('error', () => {
        if (Date.now() > end) reject(new Error(`${url} did not answer within ${ms / 1000} s`));
        else setTimeout(poll, 250);
      });
    })();
  });
}

function prepareUserDir() {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  const link = path.join(userDir, 'node_modules', 'node-red-contrib-oicp');
  try { fs.rmSync(link, { recursive: true, force: true }); } catch { /* first start */ }
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'oicp-demo', private: true, dependencies: { 'node-red-contrib-oicp': '*' } }, null, 2));
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = {
    uiHost: ${JSON.stringify(host)},
    uiPort: ${port},
    flowFile: 'flows.json',
    credentialSecret: false,
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } }
};
`);
  // The demo is deployed fresh on every start; the example file is the single source.
  const flow = fs.readFileSync(path.join(root, 'examples', '5 Demo with the local Hubject simulator.json'), 'utf8');
  fs.writeFileSync(path.join(userDir, 'flows.json'), flow);
}

async function main() {
  const { simulator, certs, url, adminUrl } = await startSimulator({
    certDir: path.join(demo, 'certs'),
    operatorIds: ['DE*ABC'],
    host: '127.0.0.1',
    port: Number(process.env.SIM_PORT || 8443),
    adminPort: Number(process.env.SIM_ADMIN_PORT || 8080),
  });
  prepareUserDir();
  const client = certs.clients['DE*ABC'];
  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    cwd: userDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, OICP_SIM_URL: url, OICP_SIM_CERT: client.cert, OICP_SIM_KEY: client.key, OICP_SIM_CA: certs.caCert },
  });

  let stopping = false;
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
  red.on('exit', (code) => {
    if (!stopping) {
      console.error(`Node-RED exited with code ${code}`);
      stopping = true;
      simulator.stop().finally(() => process.exit(code || 1));
    }
  });

  const editor = `http://${host}:${port}/`;
  await waitForHttp(editor, 60000);
  console.log('');
  console.log('node-red-contrib-oicp demo is running');
  console.log(`  Node-RED editor:       ${editor}`);
  console.log(`  Hubject simulator page: ${adminUrl}`);
  console.log(`  simulator OICP API:     ${url} (mutual TLS)`);
  console.log('Ctrl+C stops both.');
}

main().catch((err) => {
  console.error(`npm start failed: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
