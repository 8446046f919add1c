'use strict';
// The full load node in a real Node-RED child process: state survives kill -9 and a restart, for both backends.
const fs = require('fs');
const os = require('os');
const net = require('net');
const path = require('path');
const http = require('http');
const { spawn } = require('child_process');
require('should');

const REPO = path.resolve(__dirname, '..');
const RED_JS = require.resolve('node-red/red.js');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function request(port, method, urlPath, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const inject = (id, payload, props = []) => ({
  id, type: 'inject', z: 'f1', props: [{ p: 'payload' }, ...props], repeat: '', once: false,
  topic: '', payload: JSON.stringify(payload), payloadType: 'json', wires: [['flFile', 'flCtx']],
});

function flows() {
  const endpoint = (suffix, target) => [
    { id: `http${suffix}`, type: 'http in', z: 'f1', url: `/fl-${suffix}`, method: 'get', upload: false, wires: [[`topic${suffix}`]] },
    { id: `topic${suffix}`, type: 'change', z: 'f1', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'fullLoad', tot: 'str' }], wires: [[target]] },
  ];
  const common = { z: 'f1', time: '03:00', onStart: false, onStartDelay: 30, staleDays: 7, allowEmpty: false, minRatio: 0.5, passThrough: false, wires: [['resp']] };
  return [
    { id: 'f1', type: 'tab', label: 'full load' },
    { id: 'flFile', type: 'oicp-full-load', ...common, storage: 'file', contextStore: '' },
    { id: 'flCtx', type: 'oicp-full-load', ...common, storage: 'context', contextStore: 'disk' },
    { id: 'resp', type: 'http response', z: 'f1', statusCode: '', headers: {}, wires: [] },
    ...endpoint('file', 'flFile'),
    ...endpoint('ctx', 'flCtx'),
    inject('injRecords', [
      { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' },
      { EvseID: 'DE*ABC*E2', EvseStatus: 'Occupied' },
      { EvseID: 'DE*ABC*E3', EvseStatus: 'Occupied' },
    ]),
    inject('injDelete', ['DE*ABC*E2'], [{ p: 'action', v: 'delete', vt: 'str' }]),
    inject('injLate', { EvseID: 'DEABCE4', EvseStatus: 'Reserved' }),
  ];
}

const SETTINGS = `module.exports = {
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: false,
  logging: { console: { level: 'warn' } },
  contextStorage: { default: { module: 'memory' }, disk: { module: 'localfilesystem', config: { flushInterval: 0.2 } } },
  diagnostics: { enabled: false, ui: false },
  telemetry: { enabled: false },
  editorTheme: { tours: false },
};
`;

describe('full load node in a Node-RED process (kill -9 and restart)', function () {
  this.timeout(90000);
  let userDir;
  let child;
  let output = '';

  function start(port) {
    output = '';
    child = spawn(process.execPath, [RED_JS, '-u', userDir, '-p', String(port), 'flows.json'], {
      cwd: userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_HOME: userDir },
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    return child;
  }

  async function waitReady(port, ms = 30000) {
    const end = Date.now() + ms;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Node-RED exited (${child.exitCode}):\n${output}`);
      try {
        const r = await request(port, 'GET', '/flows', 1000);
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > end) throw new Error(`Node-RED did not answer GET /flows within ${ms} ms:\n${output}`);
      await sleep(200);
    }
  }

  function kill9() {
    return new Promise((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async function fullLoad(port, which) {
    const r = await request(port, 'GET', `/fl-${which}`, 5000);
    r.status.should.equal(200, r.body);
    return JSON.parse(r.body);
  }

  async function press(port, id) {
    const r = await request(port, 'POST', `/inject/${id}`);
    r.status.should.equal(200, `${id}: ${r.body}`);
  }

  before(function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-fl-proc-'));
    fs.mkdirSync(path.join(userDir, 'node_modules'));
    fs.symlinkSync(REPO, path.join(userDir, 'node_modules', 'node-red-contrib-oicp'), 'dir');
    fs.writeFileSync(path.join(userDir, 'settings.js'), SETTINGS);
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows(), null, 2));
  });

  after(async function () {
    await kill9();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('restores both backends after kill -9 with the changes of more than a second ago', async function () {
    let port = await freePort();
    start(port);
    await waitReady(port);
    await press(port, 'injRecords');
    await press(port, 'injDelete');
    const expectedBefore = [
      { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' },
      { EvseID: 'DE*ABC*E3', EvseStatus: 'Occupied' },
    ];
    (await fullLoad(port, 'file')).should.eql(expectedBefore, output);
    (await fullLoad(port, 'ctx')).should.eql(expectedBefore, output);
    await press(port, 'injLate');
    // File journal: written within 250 ms. Context: 1 s debounce plus the store's 0.2 s flush.
    await sleep(2500);
    await kill9();
    fs.existsSync(path.join(userDir, 'oicp', 'fullload-flFile')).should.be.true();

    port = await freePort();
    start(port);
    await waitReady(port);
    const expected = [...expectedBefore, { EvseID: 'DEABCE4', EvseStatus: 'Reserved' }];
    (await fullLoad(port, 'file')).should.eql(expected, output);
    (await fullLoad(port, 'ctx')).should.eql(expected, output);
    output.should.not.match(/oicp-full-load.*(error|failed)/i);
  });
});
