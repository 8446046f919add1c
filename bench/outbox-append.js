'use strict';
// Disk bytes the outbox writes per enqueue (not part of npm run bench; run after npm run build):
//   node bench/outbox-append.js [enqueues=100000] [saveEvery=1000]
// Enqueues one update per distinct EVSE into a PushQueue that is not sending (as in an outage, the outbox only
// grows), waits for the outbox save every saveEvery enqueues, and counts every byte written through node:fs.
const fs = require('fs');
const os = require('os');
const path = require('path');

let bytes = 0;
const count = (n) => {
  if (typeof n === 'number') bytes += n;
};
// Patched before the outbox module loads, so every write path (sync, callback, promise handle) is counted.
const origWriteSync = fs.writeSync;
fs.writeSync = function (...a) {
  const n = origWriteSync.apply(this, a);
  count(n);
  return n;
};
const origWrite = fs.write;
fs.write = function (...a) {
  const cb = a[a.length - 1];
  a[a.length - 1] = (err, n, ...rest) => {
    if (!err) count(n);
    cb(err, n, ...rest);
  };
  return origWrite.apply(this, a);
};
Object.defineProperty(fs.write, require('util').promisify.custom, { value: undefined });

(async () => {
  const probe = await fs.promises.open(path.join(os.tmpdir(), `oicp-bench-probe-${process.pid}`), 'w');
  const proto = Object.getPrototypeOf(probe);
  await probe.close();
  fs.rmSync(path.join(os.tmpdir(), `oicp-bench-probe-${process.pid}`), { force: true });
  const origHandleWrite = proto.write;
  proto.write = async function (...a) {
    const r = await origHandleWrite.apply(this, a);
    count(r.bytesWritten);
    return r;
  };

  const { PushQueue } = require('../nodes/push/queue');

  const { statusPolicy } = require('../nodes/push/status-lane');
  const { FileOutbox } = require('../nodes/push/outbox');
  const total = Number(process.argv[2] || 100000);
  const every = Number(process.argv[3] || 1000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-outbox-append-'));
  const q = new PushQueue({ policy: statusPolicy, operatorId: 'DE*ABC', outbox: new FileOutbox(path.join(dir, 'outbox.json'), 'DE*ABC') });
  const started = Date.now();
  bytes = 0;
  for (let i = 0; i < total; i++) {
    q.enqueue('update', [{ EvseID: `DE*ABC*E${i}`, EvseStatus: 'Occupied' }], null);
    if ((i + 1) % every === 0) await q.flush();
  }
  await q.flush();
  const ms = Date.now() - started;
  console.log(
    `${total} enqueues, a save every ${every}: ${(bytes / 1048576).toFixed(1)} MB written, ${(bytes / total).toFixed(0)} bytes per enqueue, ${((ms * 1000) / total).toFixed(1)} µs per enqueue`,
  );
  q.stop();
  fs.rmSync(dir, { recursive: true, force: true });
})();
