'use strict';
// A real Node-RED child process with this package installed (symlinked) in a fresh user directory.
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { spawn } = require('child_process');
const { request } = require('undici');

const ROOT = path.resolve(__dirname, '..', '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function makeUserDir(prefix = 'oicp-red-') {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-oicp'), 'dir');
  return userDir;
}

/**
 * Environment for a Node-RED process whose flows reach the simulator through ${OICP_SIM_*} (see simConfigNodes):
 * its URL and the client certificate of operatorId.
 */
function simEnv(certs, url, operatorId = 'DE*ABC') {
  const client = certs.clients[operatorId];
  return { OICP_SIM_URL: url, OICP_SIM_CERT: client.cert, OICP_SIM_KEY: client.key, OICP_SIM_CA: certs.caCert };
}

/** tls-config tls1 and Hubject config hub1 (DE*ABC) that read the simulator from simEnv's variables; hub props on top. */
function simConfigNodes(hub = {}) {
  return [
    { id: 'tls1', type: 'tls-config', name: '', cert: '${OICP_SIM_CERT}', key: '${OICP_SIM_KEY}', ca: '${OICP_SIM_CA}', verifyservercert: true },
    { id: 'hub1', type: 'oicp-hubject-config', environment: 'custom', url: '${OICP_SIM_URL}', operatorId: 'DE*ABC', tls: 'tls1', rateLimit: 2000, ...hub },
  ];
}

class RedProcess {
  /** opts: userDir, flows (array), env (object), redPath (node-red/red.js to run), nodeBin. */
  constructor(opts) {
    this.userDir = opts.userDir || makeUserDir();
    this.env = opts.env || {};
    /** Extra settings.js properties (plain JSON), merged over the defaults below. */
    this.settings = opts.settings || {};
    this.redPath = opts.redPath || require.resolve('node-red/red.js');
    this.nodeBin = opts.nodeBin || process.execPath;
    this.log = '';
    if (opts.flows) fs.writeFileSync(path.join(this.userDir, 'flows.json'), JSON.stringify(opts.flows));
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 60000) {
    this.port = this.port || (await freePort());
    fs.writeFileSync(
      path.join(this.userDir, 'settings.js'),
      `module.exports = {
      uiHost: '127.0.0.1', uiPort: ${this.port}, flowFile: 'flows.json', credentialSecret: 'test-secret',
      editorTheme: { tours: false }, logging: { console: { level: 'info', metrics: false, audit: false } },
      contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { flushInterval: 1 } } },
      ...${JSON.stringify(this.settings)}
    };`,
    );
    this.child = spawn(this.nodeBin, [this.redPath, '--userDir', this.userDir, '--settings', path.join(this.userDir, 'settings.js')], {
      cwd: this.userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.env },
    });
    const exited = new Promise((resolve) => this.child.once('exit', (code, sig) => resolve({ code, sig })));
    this.exited = exited;
    for (const s of [this.child.stdout, this.child.stderr])
      s.on('data', (d) => {
        this.log += d.toString();
      });
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`Node-RED exited during start:\n${this.log.slice(-3000)}`);
      // Flows may start before the HTTP server answers (seen with Node-RED 5): wait for both.
      if (/Started flows/.test(this.log) && (await this.answers())) break;
      if (Date.now() > end) throw new Error(`Node-RED did not start within ${timeoutMs} ms:\n${this.log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return this;
  }

  async answers() {
    try {
      const res = await request(`${this.url}/settings`, { method: 'GET', headersTimeout: 2000, bodyTimeout: 2000 });
      await res.body.dump();
      return true;
    } catch {
      return false;
    }
  }

  async kill(signal = 'SIGKILL') {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode) return;
    this.child.kill(signal);
    await this.exited;
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode) return;
    this.child.kill('SIGINT');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }

  async http(method, p, body, headers = {}) {
    const res = await request(this.url + p, {
      method,
      headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, text, json };
  }

  cleanup() {
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

module.exports = { RedProcess, makeUserDir, freePort, simEnv, simConfigNodes, ROOT };
