'use strict';
// B7: CDR outage drain (issue 22). CDRs arrive evenly during an outage (the simulator answers 503), each one made
// durable as the push cdr node does (outbox plus exactly-once marks, fsync) before its input would complete; then the
// simulator heals and the CDR lane drains them at its rate limit, one request in flight.
// Measured: 429 answers (goal 0), CDRs lost and duplicated at the simulator (goal 0), the drain time against the
// limit, RSS growth (goal <= 50 MB), and the time and bytes written per enqueued CDR, first 10 % against last 10 %
// (goal: flat).
//
// The real parts: PushQueue with the CDR policy, FileOutbox, the dead letters and CdrMarks on the journal engine,
// HubjectClient over mutual TLS, and the simulator (in this process: its stored CDRs count in the RSS).
// Default: a stated, scaled variant (1,000 CDRs, 30 s outage, client and simulator limit both 500 a minute, so the
// limit binds: 500 go in the first minute, the rest when the window lets them). B7_FULL=1: 10,000 CDRs, 5 min outage, 350 a
// minute (about 34 min).
//
// Run alone: node --expose-gc bench/b7-cdr-drain.js   (BENCH_ARGS='{"cdrs":1000,"outageS":30,"ratePerMinute":3500}')
const fs = require('fs');
const os = require('os');
const path = require('path');
const { now, sleep, args, runMain, median } = require('./lib/util');
const { HubjectSimulator, createCertificates } = require('../nodes/simulator');
const { HubjectClient } = require('../nodes/oicp/client');
const { acquireQueue, forgetQueues } = require('../nodes/push/registry');
const { CdrMarks, cdrPolicy, CDR_ACTION } = require('../nodes/sessions/cdr-lane');

const MB = 1024 * 1024;
const FULL = process.env.B7_FULL === '1';

function cdr(i) {
  const wh = 1000 + i;
  return {
    SessionID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    EvseID: `DE*ABC*E${1000 + (i % 500)}*1`,
    Identification: { RFIDMifareFamilyIdentification: { UID: '04A1B2C3' } },
    ChargingStart: '2026-12-07T10:00:00+01:00',
    ChargingEnd: '2026-12-07T11:00:00+01:00',
    SessionStart: '2026-12-07T10:00:00+01:00',
    SessionEnd: '2026-12-07T11:00:00+01:00',
    MeterValueStart: 0,
    MeterValueEnd: wh / 1000,
    ConsumedEnergy: wh / 1000,
  };
}

async function main() {
  const a = args();
  const N = a.cdrs ?? (FULL ? 10000 : 1000);
  const outageS = a.outageS ?? (FULL ? 300 : 30);
  const rate = a.ratePerMinute ?? (FULL ? 350 : 500);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-b7-'));
  const certs = createCertificates(path.join(dir, 'certs'), { operatorIds: ['DE*ABC'] });
  const sim = new HubjectSimulator({ port: 0, adminPort: false, certs, latencyMs: 1, cdrRateLimitPerMinute: rate, requestLogSize: 100 });
  const url = await sim.start();
  sim.cdrs.acceptUnknownSessions = true;
  sim.injectFault({ kind: 'http', status: 503 });
  const c = certs.clients['DE*ABC'];
  const client = new HubjectClient({
    baseUrl: url,
    operatorId: 'DE*ABC',
    tls: { ca: fs.readFileSync(certs.caCert), cert: fs.readFileSync(c.cert), key: fs.readFileSync(c.key) },
    timeoutMs: 10000,
  });
  const userDir = path.join(dir, 'user');
  const marks = new CdrMarks({ dir: path.join(userDir, 'oicp', 'sessions', 'b7') });
  marks.load();
  const q = acquireQueue('DE*ABC', url, userDir, {
    policy: cdrPolicy,
    ratePerMinute: rate,
    maxRecords: 1,
    insertMissing: false,
    backoffBaseMs: 500,
    backoffMaxMs: 2000,
    requestTimeoutMs: 10000,
  });
  q.start(marks.transport((body, signal) => client.call('chargeDetailRecord', 'DE*ABC', body, signal), rate));
  const bytes = () => (q.outbox?.journal?.stats.bytesWritten ?? 0) + (marks.journal?.stats.bytesWritten ?? 0);
  if (global.gc) global.gc();
  const rss0 = process.memoryUsage().rss;
  let rssPeak = rss0;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 50);

  // CDRs arrive evenly over the outage, as inputs do: the next does not wait for the one before to be durable.
  const perCdr = new Array(N);
  const bytesAt = new Array(N + 1);
  const durable = [];
  const started = now();
  const every = (outageS * 1000) / N;
  for (let i = 0; i < N; i++) {
    const due = started + i * every;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    bytesAt[i] = bytes();
    const t0 = now();
    const item = { SessionID: cdr(i).SessionID, record: cdr(i), at: Date.now() };
    marks.queued(item.SessionID);
    q.enqueue(CDR_ACTION, [item], { nodeId: 'b7', pending: 0, failures: [], settle: null, noInput: true });
    durable.push(
      Promise.all([marks.flush(), q.flush()]).then(() => {
        perCdr[i] = now() - t0;
      }),
    );
  }
  await Promise.all(durable);
  bytesAt[N] = bytes();
  const rest = started + outageS * 1000 - now();
  if (rest > 0) await sleep(rest);
  const pendingAtHeal = q.queued;
  sim.clearFaults();
  const healed = now();
  while (sim.cdrs.cdrs.size < N && now() - healed < (FULL ? 3 * 3600e3 : 600e3)) await sleep(100);
  const drainMs = now() - healed;
  clearInterval(sampler);
  await sleep(500);
  const slice = (from, to) => perCdr.slice(Math.floor(from * N), Math.floor(to * N));
  const first = slice(0, 0.1);
  const last = slice(0.9, 1);
  // Bytes written (outbox and marks) while a tenth of the CDRs arrived, per CDR of that tenth.
  const tenth = Math.floor(N / 10);
  const bytesFirst = (bytesAt[tenth] - bytesAt[0]) / tenth;
  const bytesLast = (bytesAt[N] - bytesAt[N - tenth]) / tenth;
  const result = {
    cdrs: N,
    outageS,
    ratePerMinute: rate,
    full: FULL,
    pendingAtHeal,
    delivered: sim.cdrs.cdrs.size,
    lost: N - sim.cdrs.cdrs.size,
    duplicates: sim.cdrs.counters.duplicates,
    http429: sim.stats.byStatus[429] ?? 0,
    drainS: drainMs / 1000,
    drainAtLimitS: (N / rate) * 60,
    rssGrowthMB: (rssPeak - rss0) / MB,
    enqueueMs: { first10: median(first), last10: median(last) },
    bytesPerCdr: { first10: bytesFirst, last10: bytesLast },
  };
  q.stop();
  forgetQueues();
  await marks.close();
  await client.destroy();
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

runMain(main);
