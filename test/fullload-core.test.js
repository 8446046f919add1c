'use strict';
// Core of the full load node (no Node-RED): store, validation, builder and guards, schedule, persistence.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const should = require('should');
const sinon = require('sinon');
const { assertPushEvseStatus } = require('./support/openapi');
const core = require('../nodes/fullload');

const {
  StatusStore,
  parseStatusRecords,
  parseDeleteIds,
  buildFullLoad,
  buildFullLoadAsync,
  nextRunAt,
  parseSchedule,
  scheduleError,
  Scheduler,
  FileJournal,
  ContextBackend,
  FullLoadAggregator,
  fullLoadMessage,
  SerialOps,
} = core;

const DAY = 86400000;
const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);

// Europe/Berlin by the EU rule: CEST from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
function lastSundayUtc(year, month) {
  const d = new Date(Date.UTC(year, month + 1, 0, 1));
  d.setUTCDate(d.getUTCDate() - d.getUTCDay());
  return d.getTime();
}
function berlin(ms) {
  const y = new Date(ms).getUTCFullYear();
  return ms >= lastSundayUtc(y, 2) && ms < lastSundayUtc(y, 9) ? 120 : 60;
}
const iso = (d) => new Date(d).toISOString();

function tmpDir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `oicp-fl-${tag}-`));
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fillStore(store, n, now, prefix = 'DE*ABC*E') {
  for (let i = 0; i < n; i++) store.set(`${prefix}${i}`, i % 3 ? 'Available' : 'Occupied', now);
}

describe('fullload core', function () {
  describe('StatusStore', function () {
    it('keys EVSEs ignoring case and optional *, keeps the last spelling', function () {
      const s = new StatusStore();
      s.set('DE*AB7*E840*6487', 'Available', T0);
      s.set('DEAB7E8406487', 'Occupied', T0 + 1);
      s.size.should.equal(1);
      s.get('de*ab7*e840*6487').should.eql({ EvseID: 'DEAB7E8406487', EvseStatus: 'Occupied', lastSeen: T0 + 1 });
      s.delete('DE*AB7*E840*6487').should.be.true();
      s.size.should.equal(0);
      s.delete('DE*AB7*E840*6487').should.be.false();
    });

    it('stays consistent with a Map through 200,000 seeded sets and deletes (slot reuse, deleted cells, growth)', function () {
      const s = new StatusStore();
      const truth = new Map();
      let x = 12345;
      const next = () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return x;
      };
      const statuses = ['Available', 'Occupied', 'OutOfService', 'Reserved'];
      for (let n = 0; n < 200000; n++) {
        const k = next() % 20000;
        const spelling = next() % 2 ? `DE*ABC*E${k}` : `DEABCE${k}`;
        const key = `DEABCE${k}`;
        if (next() % 3 === 0) {
          s.delete(spelling).should.equal(truth.delete(key));
        } else {
          const st = statuses[next() % 4];
          s.set(spelling, st, T0 + n);
          truth.set(key, { EvseID: spelling, EvseStatus: st, lastSeen: T0 + n });
        }
      }
      s.size.should.equal(truth.size);
      for (const [key, e] of truth) s.get(key).should.eql(e);
      const seen = s.snapshot();
      seen.length.should.equal(truth.size);
      new Set(seen.map((e) => e.EvseID.replace(/\*/g, ''))).size.should.equal(truth.size);
      for (let k = 0; k < 20000; k++) s.has(`de*abc*e${k}`).should.equal(truth.has(`DEABCE${k}`));
    });

    it('reports a repeat with the same status only when lastSeen enters a new minute', function () {
      const s = new StatusStore();
      const changes = [];
      s.onChange = (c) => changes.push(c);
      const base = Math.floor(T0 / 60000) * 60000;
      s.set('DE*ABC*E1', 'Available', base);
      s.set('DE*ABC*E1', 'Available', base + 10000);
      s.set('DE*ABC*E1', 'Available', base + 59000);
      changes.length.should.equal(1);
      s.set('DE*ABC*E1', 'Available', base + 60000);
      s.set('DE*ABC*E1', 'Occupied', base + 61000);
      s.set('DE*ABC*E1', 'Occupied', base + 62000);
      changes.length.should.equal(3);
      s.get('DE*ABC*E1').lastSeen.should.equal(base + 62000);
      s.setMeta({ lastSuccessfulCount: 5 });
      changes[3].should.eql({ type: 'meta', meta: { lastSuccessfulCount: 5 } });
    });
  });

  describe('input validation', function () {
    it('accepts one record or an array and upper-cases EvseIDs', function () {
      const r = parseStatusRecords([
        { EvseID: 'de*abc*e1', EvseStatus: 'Available', extra: 1 },
        { EvseID: 'DE*ABC*E2', EvseStatus: 'OutOfService' },
      ]);
      r.ok.should.be.true();
      r.value.should.eql([
        { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' },
        { EvseID: 'DE*ABC*E2', EvseStatus: 'OutOfService' },
      ]);
      parseStatusRecords({ EvseID: '+49*536*1*1', EvseStatus: 'Unknown' }).ok.should.be.true();
    });

    it('names the reason and the record for each kind of bad input', function () {
      parseStatusRecords([
        { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' },
        { EvseID: 'XX', EvseStatus: 'Available' },
      ]).error.should.match(/record 2 of 2: EvseID 'XX' does not match the OICP pattern/);
      parseStatusRecords({ EvseID: 'DE*ABC*E1', EvseStatus: 'Charging' }).error.should.match(
        /^EvseStatus 'Charging' of 'DE\*ABC\*E1' is not one of Available, /,
      );
      parseStatusRecords({ EvseStatus: 'Available' }).error.should.match(/EvseID is missing/);
      parseStatusRecords({ EvseID: 'DE*ABC*E1' }).error.should.match(/EvseStatus is missing/);
      parseStatusRecords([42]).error.should.equal('record 1 of 1: an EvseStatusRecord must be an object {EvseID, EvseStatus}, got 42');
      parseStatusRecords({ EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' }, 'DE*ABC').error.should.match(/does not belong to operator DE\*ABC/);
      parseStatusRecords({ EvseID: 'DEABCE1', EvseStatus: 'Available' }, 'DE*ABC').ok.should.be.true();
    });

    it('parses delete lists of strings and records', function () {
      parseDeleteIds('de*abc*e1').value.should.eql(['DE*ABC*E1']);
      parseDeleteIds(['DE*ABC*E1', { EvseID: 'DE*ABC*E2' }]).value.should.eql(['DE*ABC*E1', 'DE*ABC*E2']);
      parseDeleteIds(['DE*ABC*E1', 5]).error.should.match(/delete item 2 of 2: expected an EvseID/);
      parseDeleteIds({ EvseID: 'nope' }).error.should.match(/does not match/);
    });
  });

  describe('buildFullLoad and guards', function () {
    it('sorts by EvseID and validates as an eRoamingPushEvseStatus fullLoad', function () {
      const s = new StatusStore();
      s.set('DE*ABC*E3', 'Occupied', T0);
      s.set('DE*ABC*E1', 'Available', T0);
      s.set('DEABCE2', 'OutOfService', T0);
      const r = buildFullLoad(s, { now: T0 });
      should(r.guarded).be.undefined();
      r.records.map((x) => x.EvseID).should.eql(['DE*ABC*E1', 'DE*ABC*E3', 'DEABCE2']);
      r.count.should.equal(3);
      r.staleDropped.should.eql([]);
      assertPushEvseStatus({ ActionType: 'fullLoad', OperatorEvseStatus: { OperatorID: 'DE*ABC', EvseStatusRecord: r.records } });
    });

    it('leaves out and reports EVSEs not seen for staleDays (injected clock)', function () {
      const s = new StatusStore();
      s.set('DE*ABC*E1', 'Available', T0);
      s.set('DE*ABC*E2', 'Available', T0 + 3 * DAY);
      s.set('DE*ABC*E3', 'Available', T0 + 6 * DAY);
      let r = buildFullLoad(s, { now: T0 + 7 * DAY, staleDays: 7 });
      r.staleDropped.should.eql([]);
      r.count.should.equal(3);
      r = buildFullLoad(s, { now: T0 + 7 * DAY + 1, staleDays: 7 });
      r.staleDropped.should.eql(['DE*ABC*E1']);
      r.records.map((x) => x.EvseID).should.eql(['DE*ABC*E2', 'DE*ABC*E3']);
      r = buildFullLoad(s, { now: new Date(T0 + 12 * DAY), staleDays: 7 });
      r.staleDropped.should.eql(['DE*ABC*E1', 'DE*ABC*E2']);
      r = buildFullLoad(s, { now: T0 + 1000 * DAY, staleDays: 0 });
      r.count.should.equal(3);
    });

    it('holds back an empty list unless allowEmpty or force', function () {
      const s = new StatusStore();
      let r = buildFullLoad(s, { now: T0 });
      r.guardCode.should.equal('empty');
      r.guarded.should.match(/empty.*delete every EVSE/);
      should(buildFullLoad(s, { now: T0, allowEmpty: true }).guarded).be.undefined();
      should(buildFullLoad(s, { now: T0, force: true }).guarded).be.undefined();
      // All stale is empty too.
      s.set('DE*ABC*E1', 'Available', T0);
      r = buildFullLoad(s, { now: T0 + 8 * DAY, staleDays: 7 });
      r.guardCode.should.equal('empty');
      r.staleDropped.should.eql(['DE*ABC*E1']);
    });

    it('holds back a list below minRatio x the last successful count unless forced', function () {
      const s = new StatusStore();
      fillStore(s, 49, T0);
      let r = buildFullLoad(s, { now: T0, minRatio: 0.5, lastSuccessfulCount: 100 });
      r.guardCode.should.equal('collapsed');
      r.guarded.should.match(/49 EVSEs, fewer than 0\.5 x 100/);
      r.count.should.equal(49);
      should(buildFullLoad(s, { now: T0, minRatio: 0.5, lastSuccessfulCount: 100, force: true }).guarded).be.undefined();
      should(buildFullLoad(s, { now: T0, minRatio: 0, lastSuccessfulCount: 100 }).guarded).be.undefined();
      should(buildFullLoad(s, { now: T0, minRatio: 0.5 }).guarded).be.undefined();
      s.set('DE*ABC*E99', 'Available', T0);
      should(buildFullLoad(s, { now: T0, minRatio: 0.5, lastSuccessfulCount: 100 }).guarded).be.undefined();
    });

    it('leaves out EVSEs of another operator', function () {
      const s = new StatusStore();
      s.set('DE*ABC*E1', 'Available', T0);
      s.set('DE*XYZ*E1', 'Available', T0);
      const r = buildFullLoad(s, { now: T0, operatorId: 'DE*ABC' });
      r.records.map((x) => x.EvseID).should.eql(['DE*ABC*E1']);
      r.foreignDropped.should.eql(['DE*XYZ*E1']);
    });

    it('builds a correct list of 100,000 EVSEs, sync and in slices', async function () {
      this.timeout(60000);
      const s = new StatusStore();
      const n = 100000;
      // Insert in scrambled order with mixed spellings.
      for (let i = 0; i < n; i++) {
        const k = (i * 7919) % n;
        const id = k % 2 ? `DE*ABC*E${k}*1` : `DEABCE${k}1`;
        s.set(id, ['Available', 'Occupied', 'OutOfService', 'Reserved'][k % 4], k < 1000 ? T0 - 10 * DAY : T0);
      }
      s.delete('DE*ABC*E5*1');
      s.set('DEABCE71', 'Unknown', T0); // re-spelled, same EVSE as DE*ABC*E7*1, and no longer stale
      const sync = buildFullLoad(s, { now: T0, staleDays: 7, minRatio: 0.5, lastSuccessfulCount: n });
      const sliced = await buildFullLoadAsync(s, { now: T0, staleDays: 7, minRatio: 0.5, lastSuccessfulCount: n });
      should(sync.guarded).be.undefined();
      sync.count.should.equal(n - 1000 + 1);
      sync.staleDropped.length.should.equal(998);
      sliced.records.should.eql(sync.records);
      sliced.staleDropped.should.eql(sync.staleDropped);
      const ids = sync.records.map((r) => r.EvseID);
      for (let i = 1; i < ids.length; i++) if (!(ids[i - 1] < ids[i])) throw new Error(`not strictly sorted at ${i}: ${ids[i - 1]} ${ids[i]}`);
      const expected = [];
      for (let k = 1000; k < n; k++) expected.push(k % 2 ? `DE*ABC*E${k}*1` : `DEABCE${k}1`);
      expected.push('DEABCE71');
      expected.sort();
      ids.should.eql(expected);
      sync.records.find((r) => r.EvseID === 'DEABCE71').EvseStatus.should.equal('Unknown');
      sync.staleDropped.should.not.containEql('DE*ABC*E7*1');
      should(sync.records.find((r) => r.EvseID === 'DE*ABC*E5*1')).be.undefined();
      assertPushEvseStatus({ ActionType: 'fullLoad', OperatorEvseStatus: { OperatorID: 'DE*ABC', EvseStatusRecord: sync.records } });
    });
  });

  describe('schedule', function () {
    it('parses HH:MM and cron, and explains bad values', function () {
      parseSchedule('3:05').hours.should.eql([3]);
      parseSchedule('*/20 1,13 * * 1-5').minutes.should.eql([0, 20, 40]);
      parseSchedule('0 0 * * 7').weekdays.has(0).should.be.true();
      scheduleError('24:00').should.match(/neither HH:MM/);
      scheduleError('61 * * * *').should.match(/minute field '61'.*outside 0-59/);
      scheduleError('0 3 * *').should.match(/5-field cron/);
      scheduleError('0 3 * * mon').should.match(/day-of-week/);
      should(scheduleError('5-10/2 3 1 1 *')).be.undefined();
    });

    it('runs daily at the next local HH:MM (Berlin offsets)', function () {
      iso(nextRunAt(Date.UTC(2024, 5, 10, 0, 0), '03:00', berlin)).should.equal('2024-06-10T01:00:00.000Z');
      iso(nextRunAt(Date.UTC(2024, 5, 10, 1, 0), '03:00', berlin)).should.equal('2024-06-11T01:00:00.000Z');
      iso(nextRunAt(Date.UTC(2024, 0, 10, 1, 59), '03:00', berlin)).should.equal('2024-01-10T02:00:00.000Z');
    });

    it('spring forward: a time in the gap runs at the first valid local time after it', function () {
      // 2024-03-31: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
      iso(nextRunAt(Date.UTC(2024, 2, 30, 23, 0), '02:30', berlin)).should.equal('2024-03-31T01:00:00.000Z');
      iso(nextRunAt(Date.UTC(2024, 2, 31, 1, 0), '02:30', berlin)).should.equal('2024-04-01T00:30:00.000Z');
      iso(nextRunAt(Date.UTC(2024, 2, 30, 23, 0), '03:00', berlin)).should.equal('2024-03-31T01:00:00.000Z');
      iso(nextRunAt(Date.UTC(2024, 2, 30, 23, 0), '03:30', berlin)).should.equal('2024-03-31T01:30:00.000Z');
    });

    it('fall back: a time that happens twice runs once, at the first occurrence', function () {
      // 2024-10-27: 03:00 CEST falls back to 02:00 CET at 01:00 UTC; 02:30 happens at 00:30Z and 01:30Z.
      const first = nextRunAt(Date.UTC(2024, 9, 26, 22, 0), '02:30', berlin);
      iso(first).should.equal('2024-10-27T00:30:00.000Z');
      iso(nextRunAt(first, '02:30', berlin)).should.equal('2024-10-28T01:30:00.000Z');
      iso(nextRunAt(Date.UTC(2024, 9, 27, 1, 10), '02:30', berlin)).should.equal('2024-10-28T01:30:00.000Z');
    });

    it('cron: lists, steps, ranges, day-of-month OR day-of-week', function () {
      const from = Date.UTC(2024, 5, 10, 12, 0); // Monday 14:00 CEST
      iso(nextRunAt(from, '*/15 * * * *', berlin)).should.equal('2024-06-10T12:15:00.000Z');
      iso(nextRunAt(from, '0 3 * * 6', berlin)).should.equal('2024-06-15T01:00:00.000Z');
      iso(nextRunAt(from, '0 3 1 * *', berlin)).should.equal('2024-07-01T01:00:00.000Z');
      // Both day fields restricted: the 1st of the month or a Saturday, whichever is first.
      iso(nextRunAt(from, '0 3 1 * 6', berlin)).should.equal('2024-06-15T01:00:00.000Z');
      iso(nextRunAt(from, '0 0 29 2 *', berlin)).should.equal('2028-02-28T23:00:00.000Z');
    });

    it('cron every 15 minutes across both DST changes: strictly increasing, no wall slot twice', function () {
      for (const [start, end] of [
        [Date.UTC(2024, 2, 30, 22), Date.UTC(2024, 2, 31, 4)],
        [Date.UTC(2024, 9, 26, 22), Date.UTC(2024, 9, 27, 4)],
      ]) {
        let t = start;
        const seen = new Set();
        while (t < end) {
          const next = nextRunAt(t, '*/15 * * * *', berlin).getTime();
          next.should.be.above(t);
          const wall = iso(next + berlin(next) * 60000);
          seen.has(wall).should.be.false(`${wall} twice`);
          seen.add(wall);
          t = next;
        }
      }
    });

    it('uses the process time zone by default (child process with TZ=Europe/Berlin)', function () {
      const script = `
        const { nextRunAt } = require(${JSON.stringify(path.resolve(__dirname, '../nodes/fullload'))});
        const out = [
          nextRunAt(Date.UTC(2024, 2, 30, 23), '02:30'),
          nextRunAt(Date.UTC(2024, 9, 26, 22), '02:30'),
          nextRunAt(Date.UTC(2024, 9, 27, 0, 30), '02:30'),
          nextRunAt(Date.UTC(2024, 5, 10), '03:00'),
        ].map((d) => d.toISOString());
        process.stdout.write(JSON.stringify(out));`;
      const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: 'Europe/Berlin' }, timeout: 10000 }).toString());
      out.should.eql(['2024-03-31T01:00:00.000Z', '2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z', '2024-06-10T01:00:00.000Z']);
    });

    describe('Scheduler with fake timers', function () {
      let clock;
      afterEach(function () {
        if (clock) clock.restore();
        clock = undefined;
      });

      it('runs once a day across spring forward and fall back, with timers capped at 1 h', function () {
        clock = sinon.useFakeTimers({ now: Date.UTC(2024, 2, 25), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
        const runs = [];
        const spy = sinon.spy(global, 'setTimeout');
        const s = new Scheduler({ schedule: '02:30', offset: berlin, run: (at) => runs.push(iso(at)) });
        s.start();
        clock.tick(10 * DAY);
        spy.args.every((a) => a[1] <= 3600000).should.be.true();
        spy.restore();
        runs.length.should.equal(10);
        runs.should.containEql('2024-03-31T01:00:00.000Z');
        new Set(runs).size.should.equal(10);
        s.stop();
        clock.countTimers().should.equal(0);

        clock.setSystemTime(Date.UTC(2024, 9, 25));
        const fall = [];
        const s2 = new Scheduler({ schedule: '02:30', offset: berlin, run: (at) => fall.push(iso(at)) });
        s2.start();
        clock.tick(4 * DAY);
        fall.should.eql(['2024-10-25T00:30:00.000Z', '2024-10-26T00:30:00.000Z', '2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z']);
        s2.stop();
        clock.countTimers().should.equal(0);
      });

      it('does not run a slot twice when the clock is set back, and keeps going after a throwing run', function () {
        clock = sinon.useFakeTimers({ now: Date.UTC(2024, 5, 10, 0, 0), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
        const runs = [];
        const errors = [];
        const s = new Scheduler({
          schedule: '03:00',
          offset: berlin,
          run: (at) => {
            runs.push(iso(at));
            throw new Error('boom');
          },
          onError: (e) => errors.push(e.message),
        });
        s.start();
        clock.tick(61 * 60000); // 01:01Z, past 03:00 CEST
        runs.should.eql(['2024-06-10T01:00:00.000Z']);
        clock.setSystemTime(Date.UTC(2024, 5, 10, 0, 30)); // clock back 31 min
        clock.tick(3 * 3600000);
        runs.should.eql(['2024-06-10T01:00:00.000Z']);
        clock.tick(DAY);
        runs.should.eql(['2024-06-10T01:00:00.000Z', '2024-06-11T01:00:00.000Z']);
        errors.should.eql(['boom', 'boom']);
        s.stop();
      });
    });
  });

  describe('FileJournal', function () {
    const dirs = [];
    afterEach(function () {
      for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    });
    function journal(opts = {}) {
      const dir = opts.dir || tmpDir('j');
      if (!opts.dir) dirs.push(dir);
      return new FileJournal({ flushIntervalMs: 20, ...opts, dir: path.join(dir, 'fullload-n1') });
    }
    async function reopen(j, opts = {}) {
      const j2 = new FileJournal({ flushIntervalMs: 20, ...opts, dir: j.dir });
      const s2 = new StatusStore();
      const report = await j2.restore(s2);
      return { j2, s2, report };
    }
    const listing = (j) => fs.readdirSync(j.dir).sort();

    it('batches changes, restores them, and keeps meta', async function () {
      const j = journal();
      const s = new StatusStore();
      (await j.restore(s)).records.should.equal(0);
      s.set('DE*ABC*E1', 'Available', T0);
      s.set('DE*ABC*E2', 'Occupied', T0);
      s.set('DE*ABC*E1', 'OutOfService', T0 + 1); // same batch: one line
      s.delete('DE*ABC*E2');
      s.setMeta({ lastSuccessfulCount: 42, feedback: true });
      j.stats.flushes.should.equal(0);
      await sleep(80);
      j.stats.flushes.should.equal(1);
      j.stats.linesWritten.should.equal(3);
      await j.close();
      const { j2, s2 } = await reopen(j);
      s2.size.should.equal(1);
      s2.get('DE*ABC*E1').should.eql({ EvseID: 'DE*ABC*E1', EvseStatus: 'OutOfService', lastSeen: T0 + 1 });
      s2.meta.should.eql({ lastSuccessfulCount: 42, feedback: true });
      await j2.close();
    });

    it('close writes what is pending without waiting for the timer', async function () {
      const j = journal({ flushIntervalMs: 60000 });
      const s = new StatusStore();
      await j.restore(s);
      s.set('DE*ABC*E1', 'Reserved', T0);
      const t = Date.now();
      await j.close();
      (Date.now() - t).should.be.below(1000);
      s.set('DE*ABC*E2', 'Reserved', T0); // after close: ignored, no timer
      const { j2, s2 } = await reopen(j);
      s2.snapshot()
        .map((e) => e.EvseID)
        .should.eql(['DE*ABC*E1']);
      await j2.close();
    });

    it('skips a last line cut short (kill -9 while writing), and is not damage', async function () {
      const j = journal();
      const s = new StatusStore();
      await j.restore(s);
      s.set('DE*ABC*E1', 'Available', T0);
      s.set('DE*ABC*E2', 'Available', T0);
      await j.flush();
      fs.appendFileSync(path.join(j.dir, 'fullload.journal'), '9 0badc0de ["s","DEABCE3",["Occ');
      // no close: simulates the process dying
      const { j2, s2, report } = await reopen(j);
      report.truncated.should.be.true();
      report.skipped.should.equal(0);
      s2.size.should.equal(2);
      s2.set('DE*ABC*E4', 'Available', T0);
      await j2.close();
      listing(j)
        .filter((n) => /journal/.test(n))
        .should.eql(['fullload.journal']);
      const { j2: j3, s2: s3, report: r3 } = await reopen(j);
      r3.truncated.should.be.false();
      s3.snapshot()
        .map((e) => e.EvseID)
        .sort()
        .should.eql(['DE*ABC*E1', 'DE*ABC*E2', 'DE*ABC*E4']);
      await j3.close();
      await j.close();
    });

    it('migrates the layout before the journal engine (snapshot.jsonl and journal-<seq>.jsonl) on the first start', async function () {
      const j = journal();
      fs.mkdirSync(j.dir, { recursive: true });
      const rows = [
        ['DE*ABC*E1', 'Available', T0],
        ['DE*ABC*E2', 'Occupied', T0],
        ['DEABCE3', 'Reserved', T0],
      ];
      fs.writeFileSync(
        path.join(j.dir, 'snapshot.jsonl'),
        [
          JSON.stringify({ format: 'oicp-fullload-snapshot', version: 1, seq: 3, count: 3, meta: { lastSuccessfulCount: 3, feedback: true } }),
          ...rows.map((r) => JSON.stringify(r)),
        ].join('\n') + '\n',
      );
      // Covered by the snapshot (a compaction ended before its cleanup): not replayed.
      fs.writeFileSync(path.join(j.dir, 'journal-3.jsonl'), JSON.stringify(['d', 'DE*ABC*E1']) + '\n');
      fs.writeFileSync(
        path.join(j.dir, 'journal-4.jsonl'),
        [JSON.stringify(['s', 'DE*ABC*E2', 'OutOfService', T0 + 1]), JSON.stringify(['d', 'DE*ABC*E3'])].join('\n') + '\n',
      );
      // A later start's file, with the torn last line of a kill -9.
      fs.writeFileSync(path.join(j.dir, 'journal-5.jsonl'), JSON.stringify(['s', 'DE*ABC*E9', 'Available', T0]) + '\n["s","DE*ABC*E1","Occ');
      const s = new StatusStore();
      const report = await j.restore(s);
      report.warnings.join(' ').should.match(/migrated to fullload.jsonl/);
      s.snapshot()
        .sort((a, b) => (a.EvseID < b.EvseID ? -1 : 1))
        .should.eql([
          { EvseID: 'DE*ABC*E1', EvseStatus: 'Available', lastSeen: T0 },
          { EvseID: 'DE*ABC*E2', EvseStatus: 'OutOfService', lastSeen: T0 + 1 },
          { EvseID: 'DE*ABC*E9', EvseStatus: 'Available', lastSeen: T0 },
        ]);
      s.meta.should.eql({ lastSuccessfulCount: 3, feedback: true });
      listing(j).should.eql(['fullload.jsonl']);
      await j.close();
      const { j2, s2 } = await reopen(j);
      s2.size.should.equal(3);
      s2.meta.lastSuccessfulCount.should.equal(3);
      await j2.close();
    });

    it('a damaged snapshot of the old layout is renamed aside and the state is incomplete', async function () {
      const j = journal();
      fs.mkdirSync(j.dir, { recursive: true });
      fs.writeFileSync(path.join(j.dir, 'snapshot.jsonl'), 'garbage\n');
      fs.writeFileSync(path.join(j.dir, 'journal-4.jsonl'), JSON.stringify(['s', 'DE*ABC*E2', 'Available', T0]) + '\n');
      const s = new StatusStore();
      await j.restore(s).should.be.rejectedWith(/incomplete .*snapshot\.jsonl/);
      s.size.should.equal(1);
      listing(j)
        .some((n) => /^snapshot\.jsonl\.damaged-/.test(n))
        .should.be.true();
      await j.close();
    });

    it('compacts into a snapshot when the journal outgrows the live count, and restores the same state', async function () {
      const j = journal({ compactMinLines: 10 });
      const s = new StatusStore();
      await j.restore(s);
      fillStore(s, 5, T0);
      await j.flush();
      j.stats.compactions.should.equal(0);
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 5; i++) s.set(`DE*ABC*E${i}`, round % 2 ? 'Available' : 'Reserved', T0 + round * 60000);
        await j.flush();
      }
      j.stats.compactions.should.be.above(0);
      listing(j).should.containEql('fullload.jsonl');
      s.delete('DE*ABC*E0');
      s.setMeta({ lastSuccessfulCount: 4 });
      await j.close();
      const { j2, s2 } = await reopen(j);
      s2.snapshot()
        .sort((a, b) => (a.EvseID < b.EvseID ? -1 : 1))
        .should.eql(s.snapshot().sort((a, b) => (a.EvseID < b.EvseID ? -1 : 1)));
      s2.meta.lastSuccessfulCount.should.equal(4);
      await j2.close();
    });

    it('recovers from a crash in the middle of a compaction', async function () {
      const j = journal();
      const s = new StatusStore();
      await j.restore(s);
      fillStore(s, 20, T0);
      await j.compact(); // snapshot covers journal 0
      s.set('DE*ABC*E1', 'OutOfService', T0 + 5);
      await j.flush();
      await j.close();
      // A later compaction died after writing part of its temp file.
      fs.writeFileSync(path.join(j.dir, 'fullload.jsonl.tmp'), '{"format":"oicp-fullload","version":2,"seq":9}\n["DE*ABC*E1"');
      const { j2, s2, report } = await reopen(j);
      report.skipped.should.equal(0);
      s2.size.should.equal(20);
      s2.get('DE*ABC*E1').EvseStatus.should.equal('OutOfService');
      s2.get('DE*ABC*E19').EvseStatus.should.equal('Available');
      await j2.compact();
      listing(j).should.not.containEql('fullload.jsonl.tmp');
      await j2.close();
    });

    it('refuses a snapshot that is not one, and destroy deletes the directory', async function () {
      const j = journal();
      fs.mkdirSync(j.dir, { recursive: true });
      fs.writeFileSync(path.join(j.dir, 'fullload.jsonl'), 'garbage\n');
      await j.restore(new StatusStore()).should.be.rejectedWith(/fullload.jsonl: no valid header line, moved aside/);
      await j.destroy();
      fs.existsSync(j.dir).should.be.false();
    });

    it('round-trips 100,000 EVSEs through journal and snapshot', async function () {
      this.timeout(60000);
      const j = journal();
      const s = new StatusStore();
      await j.restore(s);
      fillStore(s, 100000, T0);
      await j.flush();
      await j.compact();
      for (let i = 0; i < 1000; i++) s.set(`DE*ABC*E${i}`, 'Reserved', T0 + DAY);
      await j.close();
      const { j2, s2 } = await reopen(j);
      s2.size.should.equal(100000);
      s2.get('DE*ABC*E999').should.eql({ EvseID: 'DE*ABC*E999', EvseStatus: 'Reserved', lastSeen: T0 + DAY });
      s2.get('DE*ABC*E1000').should.eql({ EvseID: 'DE*ABC*E1000', EvseStatus: 'Available', lastSeen: T0 });
      await j2.close();
    });
  });

  describe('ContextBackend', function () {
    function memoryContext() {
      const data = new Map();
      const calls = { set: 0 };
      return {
        data,
        calls,
        get: async (k) => data.get(k),
        set: async (k, v) => {
          calls.set++;
          if (v === undefined) data.delete(k);
          else data.set(k, JSON.parse(JSON.stringify(v)));
        },
      };
    }

    it('debounces saves and restores the state', async function () {
      const ctx = memoryContext();
      const b = new ContextBackend({ context: ctx, debounceMs: 50 });
      const s = new StatusStore();
      await b.restore(s);
      for (let i = 0; i < 100; i++) s.set(`DE*ABC*E${i}`, 'Occupied', T0 + i);
      s.setMeta({ lastSuccessfulCount: 7 });
      ctx.calls.set.should.equal(0);
      await sleep(120);
      ctx.calls.set.should.equal(1);
      ctx.data.get('oicpFullLoad').count.should.equal(100);
      s.delete('DE*ABC*E0');
      await b.close();
      ctx.calls.set.should.equal(2);
      const b2 = new ContextBackend({ context: ctx, debounceMs: 50 });
      const s2 = new StatusStore();
      (await b2.restore(s2)).records.should.equal(99);
      s2.get('DE*ABC*E5').should.eql({ EvseID: 'DE*ABC*E5', EvseStatus: 'Occupied', lastSeen: T0 + 5 });
      s2.meta.lastSuccessfulCount.should.equal(7);
      await b2.destroy();
      ctx.data.has('oicpFullLoad').should.be.false();
    });

    it('refuses a key that holds something else', async function () {
      const ctx = memoryContext();
      ctx.data.set('oicpFullLoad', { hello: 1 });
      await new ContextBackend({ context: ctx }).restore(new StatusStore()).should.be.rejectedWith(/does not hold fullLoad state/);
    });
  });
  describe('SerialOps', function () {
    it('runs operations in order and reports one error per failure streak, never a restore error', async function () {
      const errors = [];
      const ops = new SerialOps((e) => errors.push(e.message));
      const order = [];
      const a = ops.enqueue(async () => {
        await sleep(20);
        order.push('a');
      });
      const b = ops.enqueue(async () => {
        order.push('b');
      });
      await Promise.all([a, b]);
      order.should.eql(['a', 'b']);
      await ops
        .enqueue(async () => {
          throw new Error('disk full');
        })
        .should.be.rejectedWith('disk full');
      await ops
        .enqueue(async () => {
          throw new Error('still full');
        })
        .should.be.rejectedWith('still full');
      await ops.enqueue(async () => undefined);
      errors.should.eql(['disk full']);
      ops.succeeded();
      await ops
        .enqueue(async () => {
          throw 'again';
        })
        .should.be.rejected();
      await ops.enqueue(async () => undefined);
      errors.should.eql(['disk full', 'again']);
      ops.succeeded();
      await ops
        .restore(async () => {
          throw new Error('unreadable');
        })
        .should.be.rejectedWith('unreadable');
      (await ops.restore(async () => ({ records: 3, skipped: 0, truncated: false, warnings: [] }))).records.should.equal(3);
      errors.length.should.equal(2);
    });
  });

  describe('FullLoadAggregator', function () {
    /** A backend that keeps nothing: restore loads what it is given, close and destroy are recorded. */
    function memoryBackend(opts = {}) {
      const calls = [];
      return {
        kind: 'context',
        calls,
        restore: async (store) => {
          calls.push('restore');
          if (opts.fail) throw new Error(opts.fail);
          store.loadMeta(opts.meta);
          for (const e of opts.entries || []) store.load(e);
          return { records: store.size, skipped: 0, truncated: opts.truncated === true, warnings: opts.warnings || [] };
        },
        flush: async () => undefined,
        close: async () => {
          calls.push('close');
        },
        destroy: async () => {
          calls.push('destroy');
        },
      };
    }
    const rec = (n, s = 'Available') => ({ EvseID: `DE*ABC*E${n}`, EvseStatus: s });
    const recs = (from, to, s) => Array.from({ length: to - from }, (_, i) => rec(from + i, s));

    async function aggregator(opts = {}, backendOpts = {}) {
      const clock = { now: T0 };
      const backend = memoryBackend(backendOpts);
      const agg = new FullLoadAggregator({ backend, staleDays: 7, allowEmpty: false, minRatio: 0.5, now: () => clock.now, ...opts });
      const restored = await agg.restore();
      return { agg, backend, clock, restored };
    }

    it("routes input: push results first, triggers, deletes, records, and refuses the rest with the node's texts", async function () {
      const { agg } = await aggregator();
      agg.handle({ payload: [rec(2), rec(1, 'Occupied')] }).should.eql({ kind: 'stored', count: 2, warnings: [] });
      agg.handle({ action: 'update', payload: rec(3) }).kind.should.equal('stored');
      agg.handle({ action: 'insert', payload: rec(4) }).kind.should.equal('stored');
      agg.size.should.equal(4);
      agg.store.get('DE*ABC*E1').should.eql({ EvseID: 'DE*ABC*E1', EvseStatus: 'Occupied', lastSeen: T0 });
      // A push result carries topic 'fullLoad' but is feedback, not a trigger.
      agg
        .handle({ topic: 'fullLoad', payload: { Result: true }, oicp: { action: 'update', records: 1, statusCode: '000' } })
        .should.eql({ kind: 'feedback', learned: false, warnings: [] });
      agg.handle({ topic: 'fullLoad' }).should.eql({ kind: 'trigger', force: false, warnings: [] });
      agg.handle({ payload: 'fullLoad', force: true }).should.eql({ kind: 'trigger', force: true, warnings: [] });
      agg.handle({ topic: 'fullLoad', force: 'yes' }).force.should.be.false();
      agg.handle({ action: 'delete', payload: ['DEABCE2', { EvseID: 'DE*ABC*E9' }] }).should.eql({ kind: 'deleted', count: 2, warnings: [] });
      agg.store.has('DE*ABC*E2').should.be.false();
      agg.size.should.equal(3);
      const refused = [
        [
          { action: 'fullLoad', payload: [rec(5)] },
          /^msg.action 'fullLoad' is the output of a full load node; to trigger a fullLoad send msg.topic = 'fullLoad' or msg.payload = 'fullLoad'$/,
        ],
        [{ action: 'delete', payload: ['DE*ABC*E1', 7] }, /delete item 2 of 2/],
        [{ action: 'purge', payload: [rec(5)] }, /^msg.action 'purge' is not supported: use 'delete' to remove EVSEs, or send records without msg.action$/],
        [
          { topic: 'fullload', payload: 1 },
          /^unknown control topic 'fullload': msg.topic 'fullLoad' triggers a fullLoad; records go in msg.payload as \{EvseID, EvseStatus\}$/,
        ],
        [{ payload: 'reset' }, /^unknown command 'reset': expected 'fullLoad' or records \{EvseID, EvseStatus\}$/],
        [{ payload: null }, /^msg.payload must be a record \{EvseID, EvseStatus\} or an array of them \(got null\)$/],
        [{ payload: 42 }, /\(got number\)$/],
        [{ payload: [rec(5), { EvseID: 'DE*ABC*E6', EvseStatus: 'Charging' }] }, /record 2 of 2: EvseStatus 'Charging' of 'DE\*ABC\*E6' is not one of/],
      ];
      for (const [msg, re] of refused) {
        const r = agg.handle(msg);
        r.kind.should.equal('error');
        r.error.should.match(re);
      }
      agg.size.should.equal(3); // nothing of a refused message is kept
      agg.store.has('DE*ABC*E1').should.be.true();
    });

    it('refuses records of another operator, read from the config on every use', async function () {
      let operator = 'DE*ABC';
      const { agg } = await aggregator({ operatorId: () => operator });
      agg
        .handle({ payload: [rec(1), { EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' }] })
        .error.should.match(/record 2 of 2: EvseID 'DE\*XYZ\*E1' does not belong to operator DE\*ABC/);
      agg.size.should.equal(0);
      operator = 'DE*XYZ';
      agg.handle({ payload: { EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' } }).kind.should.equal('stored');
    });

    it('sends a sorted fullLoad, and without push feedback its count becomes the collapse baseline', async function () {
      const { agg, clock } = await aggregator();
      agg.handle({ payload: [rec(3), rec(1), rec(2)] });
      const o = await agg.fullLoad('manual');
      o.warnings.should.eql([]);
      o.sent.should.eql({
        payload: [rec(1), rec(2), rec(3)],
        fullLoad: { count: 3, staleDropped: [], generatedAt: iso(T0), trigger: 'manual' },
      });
      agg.store.meta.should.eql({ lastSuccessfulCount: 3, lastFullLoadAt: T0 });
      should(agg.guarded).be.undefined();
      agg.handle({ action: 'delete', payload: ['DE*ABC*E1', 'DE*ABC*E2'] });
      clock.now += 1000;
      const outcome = await agg.fullLoad('schedule');
      outcome.guarded.should.eql({
        reason: 'the list has 1 EVSEs, fewer than 0.5 x 3 of the last successful fullLoad (send msg.force = true to send it anyway)',
        short: 'list collapsed',
      });
      outcome.warnings.should.eql([`schedule fullLoad guarded: ${outcome.guarded.reason}`]);
      agg.guarded.should.equal('list collapsed');
      agg.store.meta.lastFullLoadAt.should.equal(T0); // nothing sent, nothing recorded
      const forced = await agg.fullLoad('manual', true);
      forced.sent.fullLoad.count.should.equal(1);
      agg.store.meta.should.eql({ lastSuccessfulCount: 1, lastFullLoadAt: T0 + 1000 });
      should(agg.guarded).be.undefined();
    });

    it('holds back an empty list unless allowed or forced', async function () {
      const { agg } = await aggregator();
      const o = await agg.fullLoad('start');
      o.guarded.short.should.equal('empty list');
      o.warnings[0].should.match(/^start fullLoad guarded: the list is empty/);
      (await agg.fullLoad('start', true)).sent.payload.should.eql([]);
      const { agg: allowed } = await aggregator({ allowEmpty: true });
      (await allowed.fullLoad('manual')).sent.fullLoad.count.should.equal(0);
    });

    it('learns from push results: only fullLoads Hubject accepted (000) move the baseline once feedback came', async function () {
      const { agg } = await aggregator({}, { meta: { lastSuccessfulCount: 50 } });
      agg
        .handle({ oicp: { action: 'fullLoad', records: 100, statusCode: '000', result: 'success' } })
        .should.eql({ kind: 'feedback', learned: true, warnings: [] });
      agg.store.meta.should.eql({ lastSuccessfulCount: 100, feedback: true });
      const bad = agg.handle({ topic: 'fullLoad', oicp: { action: 'fullLoad', records: 10, statusCode: '018', description: 'inconsistent' } });
      bad.should.eql({
        kind: 'feedback',
        learned: true,
        warnings: ['Hubject did not accept the last fullLoad (018: inconsistent); the collapse guard keeps comparing with 100'],
      });
      agg
        .handle({ oicp: { action: 'fullLoad', httpStatus: 503 } })
        .warnings.should.eql(['Hubject did not accept the last fullLoad (503); the collapse guard keeps comparing with 100']);
      agg.handle({ oicp: { action: 'fullLoad', statusCode: '000' } }).warnings[0].should.match(/\(000\)/); // no record count: not learned as a success
      agg.handle({ oicp: { action: 'fullLoad', records: -1, statusCode: '000' } }).warnings.length.should.equal(1);
      agg.store.meta.should.eql({ lastSuccessfulCount: 100, feedback: true });
      agg.handle({ oicp: { action: 'fullLoad', records: 12, statusCode: '000' } });
      agg.store.meta.lastSuccessfulCount.should.equal(12);
      // In feedback mode a sent fullLoad records its time but does not move the baseline.
      agg.handle({ payload: recs(0, 10) });
      (await agg.fullLoad('manual')).sent.fullLoad.count.should.equal(10);
      agg.store.meta.should.eql({ lastSuccessfulCount: 12, feedback: true, lastFullLoadAt: T0 });
      agg.handle({ action: 'delete', payload: recs(0, 5).map((r) => r.EvseID) });
      (await agg.fullLoad('manual')).guarded.reason.should.match(/5 EVSEs, fewer than 0.5 x 12/);

      const { agg: fresh } = await aggregator();
      fresh
        .handle({ oicp: { action: 'fullLoad' } })
        .warnings.should.eql(['Hubject did not accept the last fullLoad (no status code); the collapse guard keeps comparing with nothing']);
    });

    it('leaves out EVSEs not seen for staleDays and forgets them once the fullLoad is sent', async function () {
      const old = T0 - 10 * DAY;
      const { agg } = await aggregator(
        {},
        {
          entries: [
            { ...rec(7), lastSeen: old },
            { ...rec(8), lastSeen: old },
            { ...rec(1), lastSeen: T0 - 6 * DAY },
          ],
        },
      );
      const o = await agg.fullLoad('start');
      o.sent.payload.should.eql([rec(1)]);
      o.sent.fullLoad.staleDropped.should.eql(['DE*ABC*E7', 'DE*ABC*E8']);
      o.warnings.should.eql(['2 EVSEs not seen for 7 days left out of the fullLoad and removed from the state: DE*ABC*E7, DE*ABC*E8']);
      agg.size.should.equal(1);
      (await agg.fullLoad('manual')).sent.fullLoad.staleDropped.should.eql([]);
    });

    it('keeps stale EVSEs when the fullLoad is guarded, and one seen again while the list was built', async function () {
      class RacyStore extends StatusStore {
        view() {
          const copy = super.view();
          if (this.afterCopy) {
            const f = this.afterCopy;
            this.afterCopy = undefined;
            f();
          }
          return copy;
        }
      }
      const store = new RacyStore();
      const old = T0 - 10 * DAY;
      const entries = [{ ...rec(7), lastSeen: old }, { ...rec(8), lastSeen: old }, ...recs(0, 3).map((r) => ({ ...r, lastSeen: T0 }))];
      const { agg } = await aggregator({ store }, { entries, meta: { lastSuccessfulCount: 100 } });
      (await agg.fullLoad('schedule')).guarded.short.should.equal('list collapsed');
      agg.size.should.equal(5);
      // E7 reports again after the list was copied: it is left out of this fullLoad but not forgotten.
      store.afterCopy = () => agg.handle({ payload: rec(7, 'Occupied') });
      const o = await agg.fullLoad('manual', true);
      o.sent.fullLoad.staleDropped.should.eql(['DE*ABC*E7', 'DE*ABC*E8']);
      agg.store.has('DE*ABC*E8').should.be.false();
      agg.store.get('DE*ABC*E7').should.eql({ EvseID: 'DE*ABC*E7', EvseStatus: 'Occupied', lastSeen: T0 });
    });

    it('names EVSEs of another operator that were left out', async function () {
      const { agg } = await aggregator(
        { operatorId: () => 'DE*ABC' },
        {
          entries: [
            { ...rec(1), lastSeen: T0 },
            { EvseID: 'DE*XYZ*E1', EvseStatus: 'Available', lastSeen: T0 },
          ],
        },
      );
      const o = await agg.fullLoad('manual');
      o.sent.payload.should.eql([rec(1)]);
      o.warnings.should.eql(['1 EVSEs outside operator DE*ABC left out of the fullLoad: DE*XYZ*E1']);
    });

    it('passes on the restore report, and holds fullLoads back unless forced when the state could not be restored', async function () {
      const { restored } = await aggregator({}, { truncated: true, warnings: ['2 invalid rows skipped'] });
      restored.warnings.should.eql(['2 invalid rows skipped']);
      restored.notes.should.eql(['the last journal line was incomplete (the process stopped while writing it) and was skipped']);
      should(restored.error).be.undefined();

      const { agg, restored: failed } = await aggregator({}, { fail: 'snapshot.jsonl has no valid header line' });
      failed.error.should.equal(
        'the saved fullLoad state could not be restored: snapshot.jsonl has no valid header line. fullLoads are guarded unless msg.force = true',
      );
      should(failed.report).be.undefined();
      agg.restoreError.should.equal('snapshot.jsonl has no valid header line');
      agg.handle({ payload: recs(0, 2) });
      const o = await agg.fullLoad('manual');
      o.guarded.should.eql({
        reason: 'the saved state could not be restored (snapshot.jsonl has no valid header line); send msg.force = true to send the 2 EVSEs this node has',
        short: 'state not restored',
      });
      o.warnings.should.eql([`manual fullLoad guarded: ${o.guarded.reason}`]);
      (await agg.fullLoad('manual', true)).sent.payload.should.eql(recs(0, 2));
    });

    it('runs fullLoads one at a time: the next one is built after the previous outcome was handled', async function () {
      const { agg } = await aggregator({}, { meta: { lastSuccessfulCount: 3 } });
      agg.handle({ payload: recs(0, 10) });
      const order = [];
      const first = agg.fullLoad('manual').then((o) => {
        order.push(1);
        agg.handle({ action: 'delete', payload: recs(0, 8).map((r) => r.EvseID) });
        return o;
      });
      const second = agg.fullLoad('schedule').then((o) => (order.push(2), o));
      const [a, b] = await Promise.all([first, second]);
      order.should.eql([1, 2]);
      a.sent.fullLoad.count.should.equal(10);
      // Built together, both would see 10 EVSEs and the baseline 3; one after the other, the second sees 2 against 10.
      b.guarded.reason.should.match(/the list has 2 EVSEs, fewer than 0.5 x 10/);
      b.warnings[0].should.match(/^schedule fullLoad guarded/);
    });

    it('builds the output message from the trigger message or a new one', function () {
      const sent = { payload: [rec(1)], fullLoad: { count: 1, staleDropped: [], generatedAt: iso(T0), trigger: 'manual' } };
      const msg = { topic: 'fullLoad', _keep: 'me', force: true, payload: 'fullLoad' };
      fullLoadMessage(sent, msg).should.equal(msg);
      msg.should.eql({ topic: 'fullLoad', _keep: 'me', force: true, payload: [rec(1)], action: 'fullLoad', fullLoad: sent.fullLoad });
      fullLoadMessage(sent).should.eql({ topic: 'fullLoad', action: 'fullLoad', payload: [rec(1)], fullLoad: sent.fullLoad });
    });

    it('after close sends nothing, aborts a build in progress, and destroys the state when removed', async function () {
      const { agg, backend } = await aggregator();
      fillStore(agg.store, 100000, T0);
      const running = agg.fullLoad('manual');
      await sleep(0);
      await agg.close(false);
      backend.calls.should.eql(['restore', 'close']);
      await running.should.be.rejectedWith('fullLoad build aborted');
      (await agg.fullLoad('manual', true)).should.eql({ stopped: true, warnings: [] });
      agg.isClosed.should.be.true();
      const { agg: removed, backend: b2 } = await aggregator();
      await removed.close(true);
      b2.calls.should.eql(['restore', 'destroy']);
    });
  });
});
