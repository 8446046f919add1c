'use strict';
// Parent side of lib/sim-child.js: start a simulator process and call it.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');

function certDir() {
  if (process.env.BENCH_CERT_DIR) return process.env.BENCH_CERT_DIR;
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-bench-certs-'));
  process.once('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  process.env.BENCH_CERT_DIR = d;
  return d;
}

/** Starts the simulator process. opts: latencyMs, rateLimitPerMinute, mode ('records' | 'batches' | 'none'). */
async function startSimProcess(opts = {}) {
  const child = fork(path.join(__dirname, 'sim-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  let next = 1;
  const pending = new Map();
  child.on('message', ({ id, result, error }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (error) p.reject(new Error(`simulator: ${error}`));
    else p.resolve(result);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`simulator process exited (${code})`));
    pending.clear();
  });
  const call = (cmd, args) => new Promise((resolve, reject) => {
    const id = next++;
    pending.set(id, { resolve, reject });
    child.send({ id, cmd, args });
  });
  const kill = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  process.once('exit', kill);
  const started = await call('start', { certDir: certDir(), ...opts });
  return {
    url: started.url,
    certs: started.certs,
    pid: started.pid,
    call,
    async stop() {
      try { await call('stop'); } catch { /* exited */ }
      kill();
    },
  };
}

module.exports = { startSimProcess };
