'use strict';
// One contract, every store: what a damaged, cut, torn, read-only or full state file does to each store under
// <userDir>/oicp. Each store is run through the same cases (as MQTT.js runs one suite over its stores).
require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');
const { implementations } = require('./fixtures/journal/impls');
const { failingIo } = require('./fixtures/journal/io');

const N = 200;

function damagedFiles(dir) {
  return fs.readdirSync(dir).filter((n) => /\.damaged-\d{4}-\d\d-\d\dT/.test(n));
}

for (const impl of implementations) {
  describe(`journal contract: ${impl.name}`, function () {
    let dir;
    const open = [];
    const make = (io) => {
      const s = impl.open(dir, io);
      open.push(s);
      return s;
    };
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-contract-'));
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** N entries: the first half in the snapshot, the second half in the journal, one flush each. */
    async function filled() {
      const s = make();
      await s.load();
      for (let i = 0; i < N / 2; i++) s.put(i);
      await s.compact();
      for (let i = N / 2; i < N; i++) {
        s.put(i);
        await s.flush();
      }
      await s.close();
      open.splice(open.indexOf(s), 1);
      return s;
    }

    it('keeps every entry across a restart', async function () {
      await filled();
      const s = make();
      const r = await s.load();
      s.count().should.equal(N);
      r.incomplete.should.equal(false);
      r.damaged.should.have.length(0);
    });

    it('a snapshot cut in half: keeps its readable prefix, renames it aside, counts what was lost, stays incomplete', async function () {
      const f = await filled();
      const buf = fs.readFileSync(f.snapshot);
      fs.writeFileSync(f.snapshot, buf.subarray(0, buf.length >> 1));
      const s = make();
      const r = await s.load();
      r.incomplete.should.equal(true);
      r.lost.should.be.above(0);
      r.recovered.should.be.above(N / 2).and.below(N);
      s.count().should.equal(r.recovered);
      s.incomplete().should.equal(true);
      damagedFiles(dir).should.have.length(1);
      await s.close();
      const again = make();
      (await again.load()).incomplete.should.equal(true, 'the mark survives the next restart');
      again.count().should.equal(r.recovered);
    });

    it('a snapshot whose header count does not match its lines is incomplete', async function () {
      const f = await filled();
      const lines = fs.readFileSync(f.snapshot, 'utf8').split('\n');
      lines.splice(5, 3);
      fs.writeFileSync(f.snapshot, lines.join('\n'));
      const s = make();
      const r = await s.load();
      r.incomplete.should.equal(true);
      r.lost.should.equal(3);
      s.count().should.equal(N - 3);
    });

    it('a snapshot of garbage: no throw, renamed aside, the journal still applied, incomplete', async function () {
      const f = await filled();
      fs.writeFileSync(f.snapshot, Buffer.from('\u0000\u00ff garbage {{{ not json\n'.repeat(20), 'latin1'));
      const s = make();
      const r = await s.load();
      r.incomplete.should.equal(true);
      s.count().should.be.below(N);
      damagedFiles(dir).length.should.be.aboveOrEqual(1);
    });

    it('a journal cut mid-file is damage, not a torn tail: incomplete, prefix kept, lost counted', async function () {
      const f = await filled();
      const buf = fs.readFileSync(f.journal);
      fs.writeFileSync(f.journal, buf.subarray(0, Math.floor(buf.length * 0.5)));
      const s = make();
      const r = await s.load();
      r.tornTail.should.equal(false);
      r.incomplete.should.equal(true);
      r.lost.should.be.above(0);
      s.count().should.be.within(N / 2, N - 1);
      damagedFiles(dir).should.have.length(1);
    });

    it('a journal with garbage in the middle keeps what comes before it', async function () {
      const f = await filled();
      const text = fs.readFileSync(f.journal, 'utf8').split('\n');
      text[10] = 'garbage';
      fs.writeFileSync(f.journal, text.join('\n'));
      const s = make();
      const r = await s.load();
      r.incomplete.should.equal(true);
      r.lost.should.be.above(0);
      s.count().should.be.within(N / 2, N - 1);
    });

    it('a torn last line (a write kill -9 cut short) is dropped and reported, and the state is not incomplete', async function () {
      const f = await filled();
      fs.appendFileSync(f.journal, '999 0badc0de ["s","k9');
      const s = make();
      const r = await s.load();
      r.tornTail.should.equal(true);
      r.warnings.join(' ').should.match(/torn/);
      r.incomplete.should.equal(false);
      s.count().should.equal(N);
    });

    for (const code of ['EROFS', 'EACCES', 'EIO']) {
      it(`a write that fails with ${code} names the path and the real error, and the state stays in memory`, async function () {
        const { io, state } = failingIo();
        const s = make(io);
        await s.load();
        s.put(1);
        await s.flush();
        state.code = code;
        s.put(2);
        await s.flush().should.be.rejected();
        const e = s.writeError();
        e.code.should.equal(code);
        e.path.startsWith(dir).should.equal(true);
        s.has(2).should.equal(true);
        state.code = null;
        await s.flush();
        (s.writeError() === null).should.equal(true);
        await s.close();
        const again = make();
        await again.load();
        again.has(2).should.equal(true);
      });
    }

    it('a full disk (ENOSPC) reuses one journal file across retries and loses nothing once space is back', async function () {
      const { io, state } = failingIo();
      const s = make(io);
      await s.load();
      s.put(0);
      await s.flush();
      state.code = 'ENOSPC';
      for (let i = 1; i <= 20; i++) {
        s.put(i);
        await s.flush().catch(() => undefined);
      }
      s.writeError().code.should.equal('ENOSPC');
      state.code = null;
      await s.flush();
      state.opened.size.should.equal(1);
      fs.readdirSync(dir)
        .filter((n) => /journal/.test(n))
        .should.have.length(1);
      await s.close();
      const again = make();
      await again.load();
      for (let i = 0; i <= 20; i++) again.has(i).should.equal(true);
    });

    it('works where directories cannot be fsynced', async function () {
      const { io, state } = failingIo();
      state.dirSync = false;
      const s = make(io);
      await s.load();
      for (let i = 0; i < 30; i++) s.put(i);
      await s.compact();
      s.put(30);
      await s.flush();
      await s.close();
      const again = make();
      await again.load();
      again.count().should.equal(31);
    });

    it('kill -9 while writing loses nothing that was durable and is not damage', async function () {
      this.timeout(60000);
      for (let run = 0; run < 3; run++) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        const child = fork(path.join(__dirname, 'fixtures', 'journal', 'child.js'), [impl.name, dir], { stdio: 'ignore' });
        let durable = 0;
        await new Promise((resolve) => {
          child.on('message', (m) => {
            durable = m.durable;
            if (durable >= 1000 + run * 500) {
              // Let it be mid-write: kill on the next tick, while the next flush is under way.
              setImmediate(() => child.kill('SIGKILL'));
            }
          });
          child.on('exit', resolve);
        });
        const s = make();
        const r = await s.load();
        r.incomplete.should.equal(false);
        r.damaged.should.have.length(0);
        for (let i = 0; i < durable; i++) s.has(i).should.equal(true, `entry ${i} of ${durable} durable ones`);
        await s.close();
        open.splice(open.indexOf(s), 1);
      }
    });
  });
}
