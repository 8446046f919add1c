'use strict';
// An operator watching the runtime, in its own process (so its own work does not count against Node-RED's event loop):
// Prometheus scraping GET /oicp/metrics every second, the OICP sidebar open (GET /oicp/state every second, and the
// comms websocket subscribed to "oicp/state" as the editor does). Started with fork(); the parent sends 'stop' and
// gets the counts back.
const http = require('http');
const WebSocket = require('ws');

const base = process.env.OPS_SCRAPE_URL; // e.g. http://127.0.0.1:12345
const everyMs = Number(process.env.OPS_SCRAPE_EVERY_MS) || 1000;
const counts = { scrapes: 0, states: 0, bytes: 0, errors: 0, comms: 0, lastError: undefined };

function get(p) {
  return new Promise((resolve) => {
    const req = http.get(base + p, (res) => {
      let n = 0;
      res.on('data', (d) => (n += d.length));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          counts.errors++;
          counts.lastError = `${p}: HTTP ${res.statusCode}`;
        }
        counts.bytes += n;
        resolve(res.statusCode === 200);
      });
    });
    req.on('error', (err) => {
      counts.errors++;
      counts.lastError = `${p}: ${err.message}`;
      resolve(false);
    });
  });
}

const ws = new WebSocket(base.replace(/^http/, 'ws') + '/comms');
ws.on('open', () => ws.send(JSON.stringify({ subscribe: 'oicp/state' })));
ws.on('message', (data) => {
  try {
    const msgs = JSON.parse(data.toString());
    for (const m of Array.isArray(msgs) ? msgs : [msgs]) if (m.topic === 'oicp/state') counts.comms++;
  } catch {
    counts.errors++;
  }
});
ws.on('error', (err) => {
  counts.errors++;
  counts.lastError = `comms: ${err.message}`;
});

const timer = setInterval(async () => {
  if (await get('/oicp/metrics')) counts.scrapes++;
  if (await get('/oicp/state')) counts.states++;
}, everyMs);

process.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  ws.close();
  process.send({ counts }, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
