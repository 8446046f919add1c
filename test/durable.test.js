'use strict';
require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { fsyncDir, fsyncDirSync, writeAtomic, writeAtomicSync } = require('../nodes/oicp/durable');
const { FileOutbox, LIST_FILE_RECORDS } = require('../nodes/push/outbox');
const { PushQueue } = require('../nodes/push/queue');
const { statusPolicy } = require('../nodes/push/status-lane');
const { refuseDirectoryOpens } = require('./fixtures/durable/no-dir-open');

const OP = 'DE*ABC';
const fixtures = path.join(__dirname, 'fixtures', 'durable');

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-durable-'));
  t.dirs.push(dir);
  return dir;
}

function records(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push({ EvseID: `DE*ABC*E${i}`, EvseStatus: i % 2 ? 'Occupied' : 'Available' });
  return out;
}

describe('durable writes (atomic write, file and directory fsync)', function () {
  const t = { dirs: [], restore: [] };
  afterEach(() => {
    for (const r of t.restore.splice(0)) r();
    for (const d of t.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('writes a file atomically from pieces and leaves no temp file', async function () {
    const dir = tmpDir(t);
    const file = path.join(dir, 'a.json');
    await writeAtomic(file, ['{"a":', Buffer.from('1'), '}']);
    writeAtomicSync(path.join(dir, 'b.json'), ['[', '2', ']']);
    JSON.parse(fs.readFileSync(file, 'utf8')).should.eql({ a: 1 });
    JSON.parse(fs.readFileSync(path.join(dir, 'b.json'), 'utf8')).should.eql([2]);
    fs.readdirSync(dir).sort().should.eql(['a.json', 'b.json']);
  });

  it('leaves the target unchanged and removes the temp file when a write fails half-way', async function () {
    const dir = tmpDir(t);
    const file = path.join(dir, 'a.json');
    fs.writeFileSync(file, 'old');
    function* failing() {
      yield 'new';
      throw new Error('disk gone');
    }
    await writeAtomic(file, failing()).should.be.rejectedWith(/disk gone/);
    (() => writeAtomicSync(file, failing())).should.throw(/disk gone/);
    fs.readFileSync(file, 'utf8').should.equal('old');
    fs.readdirSync(dir).should.eql(['a.json']);
  });

  it('fsyncs a directory where the platform allows it', async function () {
    const dir = tmpDir(t);
    (await fsyncDir(dir)).should.equal(true);
    fsyncDirSync(dir).should.equal(true);
  });

  for (const code of ['EISDIR', 'EPERM', 'EACCES']) {
    it(`goes on without a directory fsync when opening a directory fails with ${code}, as on Windows`, async function () {
      const dir = tmpDir(t);
      const restore = refuseDirectoryOpens(code);
      t.restore.push(restore);
      (await fsyncDir(dir)).should.equal(false);
      fsyncDirSync(dir).should.equal(false);
      restore.counts.refused.should.equal(2);
    });
  }

  it('goes on when the directory opens but refuses fsync (EINVAL)', async function () {
    const dir = tmpDir(t);
    const fsyncSync = fs.fsyncSync;
    const open = fs.promises.open;
    t.restore.push(() => {
      fs.fsyncSync = fsyncSync;
      fs.promises.open = open;
    });
    fs.fsyncSync = () => {
      throw Object.assign(new Error('EINVAL: invalid argument, fsync'), { code: 'EINVAL' });
    };
    fs.promises.open = async (...args) => {
      const h = await open(...args);
      h.sync = async () => {
        throw Object.assign(new Error('EINVAL: invalid argument, fsync'), { code: 'EINVAL' });
      };
      return h;
    };
    (await fsyncDir(dir)).should.equal(false);
    fsyncDirSync(dir).should.equal(false);
  });

  it('still reports a real I/O error of a directory fsync', async function () {
    const dir = tmpDir(t);
    t.restore.push(refuseDirectoryOpens('EIO'));
    await fsyncDir(dir).should.be.rejectedWith({ code: 'EIO' });
    (() => fsyncDirSync(dir)).should.throw({ code: 'EIO' });
  });

  describe('the push outbox where directories cannot be opened (Windows)', function () {
    it('saves and restores a pending fullLoad of 1,500 records and the update behind it', async function () {
      const dir = tmpDir(t);
      const file = path.join(dir, 'outbox.json');
      const restore = refuseDirectoryOpens('EISDIR');
      t.restore.push(restore);
      const full = records(1500);
      const update = [{ EvseID: 'DE*ABC*E7', EvseStatus: 'Reserved' }];
      const box = new FileOutbox(file, OP);
      await box.save([
        { action: 'fullLoad', records: full },
        { action: 'update', records: update },
      ]);
      restore.counts.refused.should.be.above(0);
      const loaded = new FileOutbox(file, OP).load();
      loaded.should.eql([
        { action: 'fullLoad', records: full },
        { action: 'update', records: update },
      ]);
    });

    it('saves synchronously (close handler) a fullLoad above the list-file size with directory opens failing', function () {
      const dir = tmpDir(t);
      const file = path.join(dir, 'outbox.json');
      t.restore.push(refuseDirectoryOpens('EPERM'));
      const full = records(LIST_FILE_RECORDS + 1);
      new FileOutbox(file, OP).saveSync([{ action: 'fullLoad', records: full }]);
      new FileOutbox(file, OP).load().should.eql([{ action: 'fullLoad', records: full }]);
    });

    it('a queue restarted from that outbox holds all 1,500 records of a fullLoad queued during an outage', async function () {
      const dir = tmpDir(t);
      const file = path.join(dir, 'outbox.json');
      t.restore.push(refuseDirectoryOpens('EISDIR'));
      const q1 = new PushQueue({ policy: statusPolicy, operatorId: OP, backoffBaseMs: 50, backoffMaxMs: 200, outbox: new FileOutbox(file, OP) });
      const warnings = [];
      q1.on?.('warning', (w) => warnings.push(w));
      q1.start(async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      });
      q1.enqueue('fullLoad', records(1500), null);
      await q1.flush();
      // No q1.stop(): its synchronous save would hide a failed asynchronous one, as kill -9 would not.
      const q2 = new PushQueue({ policy: statusPolicy, operatorId: OP, outbox: new FileOutbox(file, OP) });
      try {
        q2.queued.should.equal(1500);
      } finally {
        q1.stop();
        q2.stop();
      }
      warnings
        .map(String)
        .join('\n')
        .should.not.match(/outbox write failed/);
    });
  });

  it('the full load journal writes, compacts and restores with directory opens failing', async function () {
    const { FileJournal, StatusStore } = require('../nodes/fullload');
    const dir = path.join(tmpDir(t), 'fullload-n1');
    const restore = refuseDirectoryOpens('EISDIR');
    t.restore.push(restore);
    const errors = [];
    const j = new FileJournal({ dir, flushIntervalMs: 10, compactMinLines: 10, onError: (e) => errors.push(e) });
    const s = new StatusStore();
    await j.restore(s);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) s.set(`DE*ABC*E${i}`, round % 2 ? 'Available' : 'Occupied', 1000 + round);
      await j.flush();
    }
    j.stats.compactions.should.be.above(0);
    await j.close();
    restore.counts.refused.should.be.above(0);
    const s2 = new StatusStore();
    const j2 = new FileJournal({ dir });
    await j2.restore(s2);
    s2.size.should.equal(20);
    s2.get('DE*ABC*E5').EvseStatus.should.equal('Occupied');
    await j2.close();
    errors.should.eql([]);
  });

  describe('across kill -9 in a process whose directory opens fail (Windows-like)', function () {
    this.timeout(60000);

    function run(args) {
      const child = spawn(process.execPath, ['-r', path.join(fixtures, 'no-dir-open.js'), path.join(fixtures, 'outbox-child.js'), ...args], {
        env: { ...process.env, OICP_TEST_NO_DIR_OPEN: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      const line = (re) =>
        new Promise((resolve, reject) => {
          const look = () => {
            const m = re.exec(out);
            if (m) {
              resolve(m);
              return true;
            }
            return false;
          };
          if (look()) return;
          child.stdout.on('data', look);
          child.on('exit', (code, sig) => {
            if (!look()) reject(new Error(`child exited (${code ?? sig}) before ${re}: ${err}`));
          });
        });
      return { child, line, stderr: () => err };
    }

    it('restores and delivers all 1,500 records of a fullLoad queued while Hubject was unreachable', async function () {
      const dir = tmpDir(t);
      const file = path.join(dir, 'outbox.json');
      const first = run(['queue', file, '1500']);
      await first.line(/saved/);
      const exited = new Promise((resolve) => first.child.on('exit', resolve));
      first.child.kill('SIGKILL');
      await exited;
      first.stderr().should.not.match(/outbox write failed/);

      const second = run(['deliver', file]);
      (await second.line(/restored (\d+)/))[1].should.equal('1500');
      const delivered = JSON.parse((await second.line(/delivered (\{.*\})\n/))[1]);
      Object.keys(delivered).length.should.equal(1500);
      delivered.should.eql(Object.fromEntries(records(1500).map((r) => [r.EvseID, r.EvseStatus])));
    });
  });
});
