'use strict';
// Large fullLoads: KeyIndex, chunked push bodies, chunked outbox files, list segments in the queue,
// streamed pushes over mutual TLS and the journal's pending changes.
const should = require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { KeyIndex } = require('../nodes/push/keyindex');
const { arrayItemChunks, pushBodyChunks, pushRequestBody, STREAM_ABOVE_RECORDS, RECORDS_PER_CHUNK } = require('../nodes/oicp/body');
const { FileOutbox, LIST_FILE_RECORDS } = require('../nodes/push/outbox');
const { PushQueue, OUTAGE_SAVE_INTERVAL_MS } = require('../nodes/push/queue');
const { statusPolicy } = require('../nodes/push/status-lane');
const { HubjectClient } = require('../nodes/oicp/client');
const { StatusStore, FileJournal } = require('../nodes/fullload');
const { startSim } = require('./support/sim');
const { assertPushEvseStatus } = require('./support/openapi');
const { until, sleep } = require('./support/until');

const OP = 'DE*ABC';
const STATUSES = ['Available', 'Occupied', 'Reserved', 'OutOfService', 'Unknown'];
const TRICKY_NAME = 'Zoë "Quote" \\ ⚡ "EvseStatusRecord":[]';
const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);

const rec = (id, s) => ({ EvseID: id, EvseStatus: s });
const records = (n, prefix = 'DE*ABC*E') => Array.from({ length: n }, (_, i) => rec(`${prefix}${i}`, STATUSES[i % STATUSES.length]));
const pushBody = (recs, name, action = 'fullLoad') => ({
  ActionType: action,
  OperatorEvseStatus: { OperatorID: OP, ...(name === undefined ? {} : { OperatorName: name }), EvseStatusRecord: recs },
});
const ok = () => ({
  class: 'success',
  reason: '000 success',
  httpStatus: 200,
  statusCode: { Code: '000' },
  ack: { Result: true, StatusCode: { Code: '000' } },
  durationMs: 1,
});

const tmpDirs = [];
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-large-'));
  tmpDirs.push(d);
  return d;
}

/** FNV-1a over UTF-16 code units, as KeyIndex hashes: used only to pick keys that land in one bucket. */
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

describe('large payloads', function () {
  after(function () {
    for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('KeyIndex', function () {
    function filled(capacity, keys) {
      const idx = new KeyIndex(capacity);
      keys.forEach((k, pos) => idx.add(k, pos));
      return { idx, find: (k) => idx.find(k, (pos) => keys[pos] === k) };
    }

    it('finds each of 50,000 keys at its position and misses absent ones', function () {
      const keys = Array.from({ length: 50000 }, (_, i) => `DEABCE${i}`);
      const { find } = filled(keys.length, keys);
      for (let i = 0; i < keys.length; i++) if (find(keys[i]) !== i) should.fail(find(keys[i]), i, `key ${keys[i]}`);
      for (let i = 50000; i < 55000; i++) find(`DEABCE${i}`).should.equal(-1);
      find('').should.equal(-1);
      find('DEXYZE1').should.equal(-1);
    });

    it('probes past keys that share a bucket (tiny capacity)', function () {
      // KeyIndex(3) has 16 slots: pick keys whose hash lands in the same slot.
      const same = [];
      for (let i = 0; same.length < 5; i++) if ((fnv1a(`K${i}`) & 15) === (fnv1a('K0') & 15)) same.push(`K${i}`);
      const { idx, find } = filled(3, same);
      same.forEach((k, pos) => find(k).should.equal(pos));
      // An absent key in that bucket walks the whole cluster and stops at the empty slot.
      let absent;
      for (let i = 100000; !absent; i++) if ((fnv1a(`K${i}`) & 15) === (fnv1a('K0') & 15) && !same.includes(`K${i}`)) absent = `K${i}`;
      find(absent).should.equal(-1);
      // hasKey decides: a probe that never confirms finds nothing.
      idx.find(same[2], () => false).should.equal(-1);
    });

    it('accepts `capacity` keys for any capacity', function () {
      for (const n of [0, 1, 7, 8, 9, 1000, 1024, 32768]) {
        const keys = Array.from({ length: n }, (_, i) => `DEABCE${i}`);
        const { find } = filled(n, keys);
        if (n) find(keys[n - 1]).should.equal(n - 1);
      }
    });

    it('holds one slot less than its table, then throws "KeyIndex is full"', function () {
      const keys = Array.from({ length: 15 }, (_, i) => `DEABCE${i}`);
      const { idx, find } = filled(3, keys);
      keys.forEach((k, pos) => find(k).should.equal(pos));
      find('DEABCE99').should.equal(-1); // terminates on a full table
      (() => idx.add('DEABCE15', 15)).should.throw('KeyIndex is full');
      keys.forEach((k, pos) => find(k).should.equal(pos));
    });
  });

  describe('push body chunks', function () {
    const names = { 'without OperatorName': undefined, 'with a plain OperatorName': 'Demo CPO', 'with a tricky OperatorName': TRICKY_NAME };
    for (const n of [0, 1, 999, 1000, 1001, 2500]) {
      for (const [label, name] of Object.entries(names)) {
        it(`joins to JSON.stringify for ${n} records ${label}`, function () {
          const body = pushBody(records(n), name);
          const pieces = [...pushBodyChunks(body)];
          pieces.join('').should.equal(JSON.stringify(body));
          // shell head, one piece per 1000 records, shell tail
          pieces.length.should.equal(2 + Math.ceil(n / RECORDS_PER_CHUNK));
          [...arrayItemChunks(body.OperatorEvseStatus.EvseStatusRecord)]
            .join('')
            .should.equal(JSON.stringify(body.OperatorEvseStatus.EvseStatusRecord).slice(1, -1));
        });
      }
    }

    it('joins to JSON.stringify with small and odd chunk sizes', function () {
      const body = pushBody(records(23), TRICKY_NAME);
      for (const per of [1, 2, 7, 22, 23, 24]) {
        const pieces = [...pushBodyChunks(body, per)];
        pieces.join('').should.equal(JSON.stringify(body), `perChunk ${per}`);
        pieces.length.should.equal(2 + Math.ceil(23 / per));
      }
    });

    it('keeps ActionType and key order when OperatorEvseStatus comes first', function () {
      const body = { OperatorEvseStatus: { EvseStatusRecord: records(1500), OperatorName: TRICKY_NAME, OperatorID: OP }, ActionType: 'fullLoad' };
      [...pushBodyChunks(body)].join('').should.equal(JSON.stringify(body));
    });
  });

  describe('pushRequestBody', function () {
    const concat = (iterable) => {
      const bufs = [];
      for (const b of iterable) {
        Buffer.isBuffer(b).should.be.true();
        bufs.push(b);
      }
      return Buffer.concat(bufs);
    };

    it(`sends up to ${STREAM_ABOVE_RECORDS} records as the exact string`, function () {
      for (const n of [0, 1, STREAM_ABOVE_RECORDS]) {
        const body = pushBody(records(n), TRICKY_NAME);
        const p = pushRequestBody(body);
        p.body.should.be.a.String();
        p.body.should.equal(JSON.stringify(body));
        should(p.contentLength).be.undefined();
      }
    });

    for (const n of [STREAM_ABOVE_RECORDS + 1, 2500, 5000]) {
      it(`streams ${n} records as buffers with the UTF-8 byte length, the same bytes on every pass`, function () {
        const body = pushBody(records(n), TRICKY_NAME);
        const expected = Buffer.from(JSON.stringify(body));
        const p = pushRequestBody(body);
        p.body.should.not.be.a.String();
        p.contentLength.should.equal(Buffer.byteLength(JSON.stringify(body)));
        p.contentLength.should.be.above(JSON.stringify(body).length); // 'ë' and '⚡' are multi-byte
        const first = concat(p.body);
        first.equals(expected).should.be.true();
        concat(p.body).equals(first).should.be.true();
      });
    }
  });

  describe('FileOutbox', function () {
    const segments = () => [
      { action: 'fullLoad', records: records(12345) },
      { action: 'update', records: [rec('DE*ABC*E1', 'Occupied'), rec('DEABCE2', 'Reserved'), rec('DE*ABC*E3', 'OutOfService')] },
      { action: 'delete', records: [rec('DE*ABC*E4', 'Unknown')] },
    ];

    /** The outbox's journal files hold exactly these segments, and nothing else lies beside them (no temp file). */
    function checkFile(file, segs) {
      FileOutbox.peek(file).should.eql(segs);
      const stem = path.basename(file).replace(/\.json$/, '');
      for (const n of fs.readdirSync(path.dirname(file))) [`${stem}.jsonl`, `${stem}.journal`].should.containEql(n);
      return [];
    }

    for (const how of ['save', 'saveSync']) {
      it(`${how} writes [fullLoad 12,345, update 3, delete 1] to the outbox journal and it loads back`, async function () {
        const file = path.join(tmpDir(), 'sub', 'outbox-DEABC.json');
        const segs = segments();
        await new FileOutbox(file, OP)[how](segs);
        checkFile(file, segments());
        new FileOutbox(file, OP).load().should.eql(segments());
      });

      it(`${how} round-trips an empty segment list and an empty fullLoad`, async function () {
        const file = path.join(tmpDir(), 'outbox.json');
        const box = new FileOutbox(file, OP);
        await box[how]([]);
        checkFile(file, []);
        new FileOutbox(file, OP).load().should.eql([]);
        await box[how]([{ action: 'fullLoad', records: [] }]);
        checkFile(file, [{ action: 'fullLoad', records: [] }]);
        new FileOutbox(file, OP).load().should.eql([{ action: 'fullLoad', records: [] }]);
      });
    }

    it('a smaller later save replaces a larger earlier one completely', async function () {
      const file = path.join(tmpDir(), 'outbox.json');
      const box = new FileOutbox(file, OP);
      await box.save(segments());
      box.saveSync([{ action: 'update', records: [rec('DE*ABC*E9', 'Available')] }]);
      checkFile(file, [{ action: 'update', records: [rec('DE*ABC*E9', 'Available')] }]).should.eql([]);
    });

    it('writes a pending fullLoad once, however many saves follow: each later save writes only what changed', async function () {
      const file = path.join(tmpDir(), 'outbox.json');
      const box = new FileOutbox(file, OP);
      const full = records(LIST_FILE_RECORDS);
      await box.save([{ action: 'fullLoad', records: full }]);
      checkFile(file, [{ action: 'fullLoad', records: full }]);
      for (let k = 0; k < 5; k++) {
        const segs = [
          { action: 'fullLoad', records: full },
          { action: 'update', records: [rec('DE*ABC*E1', STATUSES[k])] },
        ];
        const before = box.journal.stats.bytesWritten;
        if (k % 2) {
          await box.save(segs);
          // One record left and one joined: two journal lines and the header, not the 1,000 records again.
          (box.journal.stats.bytesWritten - before).should.be.below(1000);
        } else await box.save(segs);
        checkFile(file, segs);
      }
      new FileOutbox(file, OP).load()[0].records.should.eql(full);
    });

    it('removes a list file left by a save that stopped before its snapshot, and loads the old format', async function () {
      const file = path.join(tmpDir(), 'outbox.json');
      const segs = [
        { action: 'update', records: [rec('DE*ABC*E1', 'Occupied')] },
        { action: 'fullLoad', records: records(1500) },
      ];
      // The format of earlier versions: records inline, whatever the size.
      fs.writeFileSync(file, JSON.stringify({ version: 1, operatorId: OP, savedAt: new Date().toISOString(), segments: segs }));
      const stray = path.join(path.dirname(file), `${path.basename(file)}.list-1-x-1.json`);
      fs.writeFileSync(stray, JSON.stringify(records(3)));
      new FileOutbox(file, OP).load().should.eql(segs);
      fs.existsSync(stray).should.be.false();
    });
  });

  describe('PushQueue fullLoad list segments', function () {
    const queues = [];
    afterEach(function () {
      for (const q of queues.splice(0)) q.stop();
    });
    const make = (opts = {}) => {
      const q = new PushQueue({ policy: statusPolicy, operatorId: OP, backoffBaseMs: 5, backoffMaxMs: 50, ...opts });
      queues.push(q);
      return q;
    };

    /** Records every body it is given (copied) and answers success. */
    function transport(latency = 2) {
      const log = [];
      const t = async (body) => {
        assertPushEvseStatus(body);
        log.push({ action: body.ActionType, records: body.OperatorEvseStatus.EvseStatusRecord.map((r) => ({ ...r })) });
        await sleep(latency);
        return ok();
      };
      return { log, t };
    }
    function owner(nodeId = 'n1') {
      const o = { nodeId, pending: 0, failures: [], settle: null, calls: [] };
      o.settle = (err) => o.calls.push(err);
      return o;
    }
    async function settled(q, ...owners) {
      await until(() => q.queued === 0 && owners.every((o) => o.calls.length > 0), 5000);
      await sleep(30); // a second settle would show up here
    }

    it('sends a fullLoad with duplicate EvseIDs as one request, first position, later record, one settle', async function () {
      const { log, t } = transport();
      const q = make();
      q.start(t);
      const o = owner();
      q.enqueue('fullLoad', [rec('DE*ABC*E1', 'Available'), rec('DE*ABC*E2', 'Occupied'), rec('DEABCE1', 'OutOfService')], o);
      await settled(q, o);
      log.should.eql([{ action: 'fullLoad', records: [rec('DEABCE1', 'OutOfService'), rec('DE*ABC*E2', 'Occupied')] }]);
      o.calls.should.eql([undefined]);
      o.pending.should.equal(0);
      o.failures.should.eql([]);
    });

    const sliced = [
      rec('DE*ABC*E1', 'Available'),
      rec('DE*ABC*E2', 'Available'),
      rec('DE*ABC*E3', 'Available'),
      rec('DE*ABC*E4', 'Available'),
      rec('DE*ABC*E5', 'Available'),
      rec('DEABCE1', 'Occupied'),
      rec('DE*ABC*E6', 'Available'),
      rec('DE*ABC*E3', 'OutOfService'),
      rec('DE*ABC*E7', 'Available'),
      rec('DE*ABC*E8', 'Available'),
      rec('DEABCE2', 'Reserved'),
    ];
    const slicedExpected = [
      rec('DEABCE1', 'Occupied'),
      rec('DEABCE2', 'Reserved'),
      rec('DE*ABC*E3', 'OutOfService'),
      rec('DE*ABC*E4', 'Available'),
      rec('DE*ABC*E5', 'Available'),
      rec('DE*ABC*E6', 'Available'),
      rec('DE*ABC*E7', 'Available'),
      rec('DE*ABC*E8', 'Available'),
    ];

    it('enqueueSliced (slice 2) dedupes across slices the same way and settles once', async function () {
      const { log, t } = transport();
      const q = make();
      q.start(t);
      const o = owner();
      await q.enqueueSliced('fullLoad', sliced, o, 2);
      await settled(q, o);
      log.should.eql([{ action: 'fullLoad', records: slicedExpected }]);
      o.calls.should.eql([undefined]);
      o.pending.should.equal(0);
    });

    it('sends an update enqueued while a sliced fullLoad builds after the fullLoad', async function () {
      const { log, t } = transport();
      const q = make();
      q.start(t);
      const o = owner('full');
      const u = owner('upd');
      const building = q.enqueueSliced('fullLoad', sliced, o, 2);
      // Only the first slice is in; the rest follow on later turns of the event loop.
      q.enqueue('update', [rec('DE*ABC*E2', 'Occupied')], u);
      q.snapshot().should.eql([{ action: 'update', records: [rec('DE*ABC*E2', 'Occupied')] }]);
      await new Promise((r) => setImmediate(r)); // one more slice: still building
      q.snapshot().should.eql([{ action: 'update', records: [rec('DE*ABC*E2', 'Occupied')] }]);
      log.should.eql([]); // nothing goes out ahead of the barrier
      await building;
      await settled(q, o, u);
      log.should.eql([
        { action: 'fullLoad', records: slicedExpected },
        { action: 'update', records: [rec('DE*ABC*E2', 'Occupied')] },
      ]);
      o.calls.should.eql([undefined]);
      u.calls.should.eql([undefined]);
    });

    it('saves no partial fullLoad while it builds, and the complete one in order once built', async function () {
      const saved = [];
      const recording = {
        load: () => [],
        save: async (segs) => {
          saved.push(JSON.parse(JSON.stringify(segs)));
        },
        saveSync: (segs) => {
          saved.push(JSON.parse(JSON.stringify(segs)));
        },
      };
      const q = make({ outbox: recording }); // not started: nothing is sent
      const building = q.enqueueSliced('fullLoad', sliced, null, 2);
      q.enqueue('update', [rec('DE*ABC*E2', 'Occupied')], null);
      // The update's save started at once, while the fullLoad was still building.
      saved[0].should.eql([{ action: 'update', records: [rec('DE*ABC*E2', 'Occupied')] }]);
      await building;
      const full = [
        { action: 'fullLoad', records: slicedExpected },
        { action: 'update', records: [rec('DE*ABC*E2', 'Occupied')] },
      ];
      q.snapshot().should.eql(full);
      await q.flush();
      for (const segs of saved) for (const seg of segs) if (seg.action === 'fullLoad') seg.records.should.eql(slicedExpected);
      saved[saved.length - 1].should.eql(full);
    });

    it(`spaces outbox saves ${OUTAGE_SAVE_INTERVAL_MS} ms apart while Hubject is unreachable, and loses nothing on stop`, async function () {
      const saves = [];
      let last = [];
      const recording = {
        load: () => [],
        save: async (segs) => {
          saves.push(Date.now());
          last = JSON.parse(JSON.stringify(segs));
        },
        saveSync: (segs) => {
          last = JSON.parse(JSON.stringify(segs));
        },
      };
      let attempts = 0;
      const q = make({ outbox: recording, backoffBaseMs: 5000, backoffMaxMs: 5000 });
      q.start(async () => {
        attempts++;
        return { class: 'transient', reason: 'connection refused', durationMs: 1 };
      });
      q.enqueue('update', [rec('DE*ABC*E0', 'Occupied')], null);
      await until(() => attempts === 1, 2000); // now waiting to retry
      const from = saves.length;
      const truth = new Map();
      const started = Date.now();
      while (Date.now() - started < 1000) {
        for (let k = 0; k < 5; k++) {
          const r = rec(`DE*ABC*E${Math.floor(Math.random() * 50)}`, STATUSES[k]);
          truth.set(r.EvseID, r.EvseStatus);
          q.enqueue('update', [r], null);
        }
        await sleep(5);
      }
      const during = saves.slice(from);
      during.length.should.be.within(1, 1000 / OUTAGE_SAVE_INTERVAL_MS + 1);
      for (let i = 1; i < during.length; i++) (during[i] - during[i - 1]).should.be.aboveOrEqual(OUTAGE_SAVE_INTERVAL_MS - 5);
      q.stop(); // writes the tail synchronously
      const saved = new Map(last.flatMap((seg) => seg.records.map((r) => [r.EvseID, r.EvseStatus])));
      for (const [id, st] of truth) should(saved.get(id)).equal(st, id);
    });

    it('sends a fullLoad restored from a FileOutbox whole, before the update saved behind it', async function () {
      const file = path.join(tmpDir(), 'outbox.json');
      const full = records(4321);
      await new FileOutbox(file, OP).save([
        { action: 'fullLoad', records: full },
        { action: 'update', records: [rec('DE*ABC*E7', 'Occupied')] },
      ]);
      const { log, t } = transport();
      const q = make({ outbox: new FileOutbox(file, OP), maxRecords: 500 });
      q.queued.should.equal(4322);
      q.start(t);
      await until(() => q.queued === 0 && log.length === 2, 5000);
      log.should.eql([
        { action: 'fullLoad', records: full },
        { action: 'update', records: [rec('DE*ABC*E7', 'Occupied')] },
      ]);
      await q.flush();
      new FileOutbox(file, OP).load().should.eql([]);
    });
  });

  describe('HubjectClient streaming a large fullLoad over mutual TLS', function () {
    this.timeout(60000);
    let sim, certs, url, c;
    const received = [];
    const invalid = [];

    before(async function () {
      ({ sim, certs, url } = await startSim({
        latencyMs: 0,
        operatorIds: [OP],
        onPush: (b) => {
          received.push(b);
          try {
            assertPushEvseStatus(b);
          } catch (err) {
            invalid.push(err.message);
          }
        },
      }));
      const pair = certs.clients[OP];
      c = new HubjectClient({
        baseUrl: url,
        operatorId: OP,
        timeoutMs: 20000,
        tls: { cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key), ca: fs.readFileSync(certs.caCert) },
      });
    });
    after(async function () {
      if (c) await c.destroy();
      if (sim) await sim.stop();
    });

    it('pushes 5,000 records (above the streaming threshold) and the simulator receives exactly them, schema-valid', async function () {
      const recs = records(5000);
      const body = pushBody(recs, TRICKY_NAME);
      pushRequestBody(body).body.should.not.be.a.String(); // really the streamed path
      const r = await c.call('status', OP, body);
      r.should.match({ class: 'success', httpStatus: 200, statusCode: { Code: '000' } });
      received.length.should.equal(1);
      received[0].should.eql(body);
      invalid.should.eql([]);
      const state = sim.getState(OP);
      state.size.should.equal(5000);
      for (const x of recs) if (state.get(x.EvseID)?.EvseStatus !== x.EvseStatus) should.fail(state.get(x.EvseID), x, x.EvseID);
    });

    it('streams again on the same connection pool with a changed list', async function () {
      const recs = records(5000).map((x, i) => rec(x.EvseID, STATUSES[(i + 1) % STATUSES.length]));
      const body = pushBody(recs, 'Demo CPO');
      (await c.call('status', OP, body)).class.should.equal('success');
      (await c.call('status', OP, pushBody([rec('DE*ABC*E0', 'Reserved')], 'Demo CPO', 'update'))).class.should.equal('success');
      received.length.should.equal(3);
      received[1].should.eql(body);
      invalid.should.eql([]);
      sim.getStatus(OP, 'DE*ABC*E0').should.equal('Reserved');
      sim.getStatus(OP, 'DE*ABC*E4999').should.equal(recs[4999].EvseStatus);
      sim.getState(OP).size.should.equal(5000);
    });
  });

  describe('FileJournal pending changes', function () {
    const journals = [];
    afterEach(async function () {
      for (const j of journals.splice(0)) await j.close();
    });
    const open = async (dir) => {
      const j = new FileJournal({ dir, flushIntervalMs: 60000 }); // flushed by hand only
      journals.push(j);
      const s = new StatusStore();
      await j.restore(s);
      return { j, s };
    };
    // The journal engine's lines: `<seq> <crc32> <json>` after a header line.
    const journalLines = (dir) =>
      fs
        .readFileSync(path.join(dir, 'fullload.journal'), 'utf8')
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => JSON.parse(l.slice(l.indexOf(' ', l.indexOf(' ') + 1) + 1)));

    it('writes each changed EVSE once, from the store at flush time, and restores only what is left', async function () {
      const dir = path.join(tmpDir(), 'fullload-n1');
      const { j, s } = await open(dir);
      s.set('DE*ABC*E1', 'Available', T0);
      s.set('DE*ABC*E2', 'Occupied', T0);
      s.delete('DE*ABC*E1');
      s.setMeta({ lastSuccessfulCount: 7, feedback: true });
      j.stats.linesWritten.should.equal(0);
      await j.flush();
      j.stats.linesWritten.should.equal(3);
      journalLines(dir).should.eql([
        ['d', 'DE*ABC*E1'],
        ['s', 'DE*ABC*E2', ['Occupied', T0]],
        ['m', { lastSuccessfulCount: 7, feedback: true }],
      ]);
      await j.close();
      const { s: s2 } = await open(dir);
      s2.size.should.equal(1);
      should(s2.get('DE*ABC*E1')).be.undefined();
      s2.get('DE*ABC*E2').should.eql({ EvseID: 'DE*ABC*E2', EvseStatus: 'Occupied', lastSeen: T0 });
      s2.meta.should.eql({ lastSuccessfulCount: 7, feedback: true });
    });

    it('writes one line per spelling, each carrying the last status, for an EVSE changed several times between flushes', async function () {
      const dir = path.join(tmpDir(), 'fullload-n1');
      const { j, s } = await open(dir);
      s.set('DE*ABC*E2', 'Available', T0);
      await j.flush();
      const before = j.stats.linesWritten;
      const linesBefore = journalLines(dir).length;
      s.set('DE*ABC*E2', 'Occupied', T0 + 1);
      s.set('DE*ABC*E2', 'Reserved', T0 + 2);
      s.set('DE*ABC*E2', 'OutOfService', T0 + 3);
      await j.flush();
      (j.stats.linesWritten - before).should.equal(1);
      journalLines(dir)
        .slice(-1)
        .should.eql([['s', 'DE*ABC*E2', ['OutOfService', T0 + 3]]]);
      s.set('DE*ABC*E2', 'Occupied', T0 + 1);
      s.set('DEABCE2', 'Available', T0 + 4);
      await j.flush();
      (j.stats.linesWritten - before).should.equal(3);
      const lines = journalLines(dir);
      lines.length.should.equal(linesBefore + 3);
      // The store's own strings are the keys (nothing allocated per change): a re-spelled EVSE is pending under both.
      lines.slice(-2).should.eql([
        ['s', 'DE*ABC*E2', ['Available', T0 + 4, 'DEABCE2']],
        ['s', 'DEABCE2', ['Available', T0 + 4]],
      ]);
      await j.close();
      const { s: s2 } = await open(dir);
      s2.size.should.equal(1);
      s2.get('DE*ABC*E2').should.eql({ EvseID: 'DEABCE2', EvseStatus: 'Available', lastSeen: T0 + 4 });
    });

    it('writes an EVSE deleted and set again as its final entry', async function () {
      const dir = path.join(tmpDir(), 'fullload-n1');
      const { j, s } = await open(dir);
      s.set('DE*ABC*E1', 'Available', T0);
      await j.flush();
      s.delete('DE*ABC*E1');
      s.set('DE*ABC*E1', 'Occupied', T0 + 5);
      await j.flush();
      journalLines(dir)
        .slice(-1)
        .should.eql([['s', 'DE*ABC*E1', ['Occupied', T0 + 5]]]);
      await j.close();
      const { s: s2 } = await open(dir);
      s2.get('DE*ABC*E1').should.eql({ EvseID: 'DE*ABC*E1', EvseStatus: 'Occupied', lastSeen: T0 + 5 });
    });
  });
});
