'use strict';
// Disk writes of the push outbox while Hubject is unreachable (not part of npm run bench; run after npm run build):
//   node bench/outbox-outage.js          updates only
//   node bench/outbox-outage.js full     with a 100,000-record fullLoad pending
// 300 changes/s on 5,000 EVSEs for 10 s into a PushQueue whose transport always answers "connection refused";
// prints the number of outbox saves and the bytes written (snapshot files and fullLoad list files).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { PushQueue } = require('../nodes/push/queue');
const { statusPolicy } = require('../nodes/push/status-lane');
const { FileOutbox } = require('../nodes/push/outbox');

const withFullLoad = process.argv[2] === 'full';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-outbox-outage-'));
const box = new FileOutbox(path.join(dir, 'outbox.json'), 'DE*ABC');
const sizes = () => fs.readdirSync(dir).map((n) => [n, fs.statSync(path.join(dir, n)).size]);
const seen = new Set();
let saves = 0;
let bytes = 0;
const save = box.save.bind(box);
box.save = async (segments) => {
  await save(segments);
  saves++;
  // Every save rewrites the snapshot; a list file counts once, when it first appears.
  for (const [name, size] of sizes()) {
    if (name.includes('.list-')) {
      if (seen.has(name)) continue;
      seen.add(name);
    }
    bytes += size;
  }
};
const q = new PushQueue({ policy: statusPolicy, operatorId: 'DE*ABC', outbox: box, backoffBaseMs: 1000, backoffMaxMs: 300000 });
q.start(async () => ({ class: 'transient', reason: 'connection refused', durationMs: 1 }));
if (withFullLoad) q.enqueue('fullLoad', Array.from({ length: 100000 }, (_, i) => ({ EvseID: `DE*ABC*E${i}`, EvseStatus: 'Available' })), null);
let changes = 0;
const feed = setInterval(() => {
  for (let k = 0; k < 30; k++) {
    const i = (changes++ * 7919) % 5000;
    q.enqueue('update', [{ EvseID: `DE*ABC*E${i}`, EvseStatus: changes % 2 ? 'Occupied' : 'Available' }], null);
  }
}, 100);
setTimeout(() => {
  clearInterval(feed);
  q.stop();
  console.log(`${withFullLoad ? 'with a 100,000-record fullLoad pending' : 'updates only'}: ${changes} changes in 10 s, ${saves} outbox saves, ${(bytes / 1048576).toFixed(1)} MB written`);
  fs.rmSync(dir, { recursive: true, force: true });
}, 10000);
