'use strict';
// The oicp-full-load node in the Node-RED runtime of node-red-node-test-helper.
const fs = require('fs');
const path = require('path');
const should = require('should');
const sinon = require('sinon');
const helper = require('node-red-node-test-helper');
const { assertPushEvseStatus } = require('./support/openapi');
const shared = require('./support/flows');
const { sleep } = require('./support/until');
const fullLoadNode = require('../nodes/oicp-full-load.js');

helper.init(require.resolve('node-red'));

const rec = (n, s = 'Available') => ({ EvseID: `DE*ABC*E${n}`, EvseStatus: s });
const recs = (from, to, s) => Array.from({ length: to - from }, (_, i) => rec(from + i, s));
const until = (pred, ms = 5000, what) => shared.until(pred, ms, what);

/** Everything a test wants to observe about node fl1. */
const watch = () => shared.watchNode(helper, 'fl1');

function flow(props = {}, extra = []) {
  return [
    shared.fullLoadDef({ z: 'f1', name: '', wires: [['out']], ...props }),
    { id: 'out', type: 'helper', z: 'f1' },
    ...shared.observers(['fl1'], { z: 'f1' }),
    ...extra,
  ];
}
const TAB = { id: 'f1', type: 'tab', label: 'test' };

describe('full load node (test helper runtime)', function () {
  this.timeout(20000);
  const userDir = shared.freshUserDirs(helper, 'oicp-fl-node-');
  const journalDir = () => path.join(userDir(), 'oicp', 'fullload-fl1');

  let seq = 0;
  /** Sends a trigger and waits until it is done (sent or guarded). */
  async function trigger(w, msg = {}) {
    const id = `trigger-${++seq}`;
    w.node.receive({ topic: 'fullLoad', _msgid: id, ...msg });
    await until(() => w.completed.concat(w.caught).some((m) => m._msgid === id), 5000, 'trigger handled');
  }
  const fullLoads = (w) => w.out.filter((m) => m.action === 'fullLoad');

  it('keeps the latest status of each EVSE and emits a sorted, valid fullLoad on msg.topic = "fullLoad"', async function () {
    await helper.load(fullLoadNode, [TAB, ...flow()]);
    const w = watch();
    w.node.receive({ payload: [rec(3, 'Occupied'), rec(1), rec(2)] });
    w.node.receive({ payload: { EvseID: 'de*abc*e3', EvseStatus: 'OutOfService' } });
    await until(() => w.completed.length === 2);
    w.out.length.should.equal(0); // no pass-through by default
    await until(() => /3 EVSEs · next 03:00/.test(w.lastStatus().text || ''), 3000, 'green status');
    w.lastStatus().fill.should.equal('green');
    w.node.receive({ payload: 'fullLoad', _keep: 'me' });
    await until(() => w.out.length === 1);
    const m = w.out[0];
    m.action.should.equal('fullLoad');
    m._keep.should.equal('me');
    m.payload.should.eql([rec(1), rec(2), { EvseID: 'DE*ABC*E3', EvseStatus: 'OutOfService' }]);
    m.fullLoad.count.should.equal(3);
    m.fullLoad.staleDropped.should.eql([]);
    m.fullLoad.trigger.should.equal('manual');
    should(Date.parse(m.fullLoad.generatedAt)).be.a.Number();
    assertPushEvseStatus({ ActionType: 'fullLoad', OperatorEvseStatus: { OperatorID: 'DE*ABC', EvseStatusRecord: m.payload } });
    w.caught.length.should.equal(0);
  });

  it('removes EVSEs with msg.action = "delete" and passes records and deletes through when asked', async function () {
    await helper.load(fullLoadNode, [TAB, ...flow({ passThrough: true })]);
    const w = watch();
    w.node.receive({ payload: recs(1, 6) });
    w.node.receive({ action: 'delete', payload: 'DE*ABC*E1' });
    w.node.receive({ action: 'delete', payload: ['DEABCE2', { EvseID: 'DE*ABC*E3' }] });
    await until(() => w.completed.length === 3);
    w.out.map((m) => m.action).should.eql([undefined, 'delete', 'delete']);
    w.out[0].payload.should.eql(recs(1, 6));
    await trigger(w);
    w.out[3].payload.should.eql([rec(4), rec(5)]);
  });

  it('refuses bad input with done(err), a red status and an untouched state', async function () {
    await helper.load(fullLoadNode, [TAB, ...flow({ passThrough: true })]);
    const w = watch();
    w.node.receive({ payload: [rec(1)] });
    await until(() => w.completed.length === 1);
    const bad = [
      [{ payload: [rec(2), { EvseID: 'nonsense', EvseStatus: 'Available' }] }, /record 2 of 2: EvseID 'nonsense' does not match/],
      [{ payload: [rec(2), { EvseID: 'DE*ABC*E3', EvseStatus: 'Charging' }] }, /EvseStatus 'Charging' of 'DE\*ABC\*E3' is not one of/],
      [{ payload: { EvseID: 'DE*ABC*E3' } }, /EvseStatus is missing/],
      [{ payload: 42 }, /msg.payload must be a record/],
      [{ topic: 'fullload', payload: 1 }, /unknown control topic 'fullload'/],
      [{ payload: 'reset' }, /unknown command 'reset'/],
      [{ action: 'purge', payload: [rec(2)] }, /msg.action 'purge' is not supported/],
      [{ action: 'delete', payload: ['DE*ABC*E1', 7] }, /delete item 2 of 2/],
      [{ action: 'fullLoad', payload: [rec(2)] }, /output of a full load node/],
    ];
    for (const [msg] of bad) w.node.receive(msg);
    await until(() => w.caught.length === bad.length, 5000, 'all errors caught');
    bad.forEach(([, re], i) => w.caught[i].error.message.should.match(re));
    w.out.length.should.equal(1); // only the valid first message passed through
    w.statuses.some((s) => s.fill === 'red' && /does not match/.test(s.text)).should.be.true();
    await trigger(w);
    w.out[1].payload.should.eql([rec(1)]);
  });

  it('holds back an empty fullLoad with a warning and yellow status, unless forced or allowed', async function () {
    await helper.load(fullLoadNode, [TAB, ...flow()]);
    const w = watch();
    await trigger(w);
    w.out.length.should.equal(0);
    w.caught.length.should.equal(0);
    w.completed.length.should.equal(1); // done() without error: guarding is intended
    w.warns.some((t) => /manual fullLoad guarded: the list is empty/.test(t)).should.be.true();
    w.lastStatus().fill.should.equal('yellow');
    w.lastStatus().text.should.match(/guarded: empty list/);
    await trigger(w, { force: true });
    w.out.length.should.equal(1);
    w.out[0].payload.should.eql([]);
    w.out[0].force.should.be.true(); // the push node needs it for an empty fullLoad too
    w.lastStatus().fill.should.equal('green');
    await helper.unload();
    await helper.load(fullLoadNode, [TAB, ...flow({ allowEmpty: true, id: 'fl1' })]);
    const w2 = watch();
    await trigger(w2);
    w2.out.length.should.equal(1);
    w2.out[0].fullLoad.count.should.equal(0);
  });

  it('holds back a collapsed list unless forced; without feedback a sent fullLoad counts as successful', async function () {
    await helper.load(fullLoadNode, [TAB, ...flow()]);
    const w = watch();
    w.node.receive({ payload: recs(0, 10) });
    await trigger(w);
    w.out.length.should.equal(1);
    w.node.receive({ action: 'delete', payload: recs(0, 6).map((r) => r.EvseID) });
    await trigger(w);
    w.out.length.should.equal(1);
    w.warns.some((t) => /guarded: the list has 4 EVSEs, fewer than 0.5 x 10/.test(t)).should.be.true();
    w.lastStatus().text.should.match(/guarded: list collapsed/);
    await trigger(w, { force: true });
    w.out.length.should.equal(2);
    w.out[1].payload.length.should.equal(4);
    // The forced one now counts: 4 is the new baseline.
    w.node.receive({ action: 'delete', payload: 'DE*ABC*E6' });
    await trigger(w);
    w.out.length.should.equal(3);
  });

  it('with the push node wired back, only fullLoads Hubject accepted (000) count', async function () {
    await helper.load(fullLoadNode, [TAB, ...flow({ passThrough: true })]);
    const w = watch();
    w.node.receive({ payload: recs(0, 10) });
    // A result as the push node emits it, with topic 'fullLoad': feedback, not a trigger.
    w.node.receive({ topic: 'fullLoad', payload: { Result: true }, oicp: { action: 'fullLoad', records: 100, statusCode: '000', result: 'success' } });
    w.node.receive({ topic: 'update', payload: null, oicp: { action: 'update', records: 1, statusCode: '000' } });
    await until(() => w.completed.length === 3);
    w.out.length.should.equal(1); // the records, passed through; results never are
    await trigger(w);
    w.out.length.should.equal(1);
    w.warns.some((t) => /fewer than 0.5 x 100/.test(t)).should.be.true();
    w.node.receive({ oicp: { action: 'fullLoad', records: 12, statusCode: '000' } });
    await until(() => w.completed.length === 5);
    await trigger(w);
    w.out.length.should.equal(2);
    // In feedback mode a sent fullLoad does not move the baseline (12); a failed result does not either.
    w.node.receive({ oicp: { action: 'fullLoad', records: 10, statusCode: '018', description: 'inconsistent' } });
    await until(() => w.warns.some((t) => /did not accept the last fullLoad \(018: inconsistent\)/.test(t)));
    w.node.receive({ action: 'delete', payload: recs(0, 5).map((r) => r.EvseID) });
    await trigger(w);
    fullLoads(w).length.should.equal(1);
    w.warns.some((t) => /5 EVSEs, fewer than 0.5 x 12/.test(t)).should.be.true();
  });

  it('restores the state after a redeploy and after a restart, and deletes it when the node is removed', async function () {
    await helper.load(fullLoadNode, [TAB, ...flow()]);
    let w = watch();
    w.node.receive({ payload: recs(0, 5, 'Occupied') });
    w.node.receive({ action: 'delete', payload: 'DE*ABC*E0' });
    await until(() => w.completed.length === 2);
    // Redeploy with a changed property: a new instance with the same id.
    await helper.setFlows([TAB, ...flow({ name: 'renamed' })]);
    w = watch();
    w.node.name.should.equal('renamed');
    await trigger(w);
    w.out[0].payload.should.eql(recs(1, 5, 'Occupied'));
    fs.readdirSync(journalDir()).should.containEql('fullload.journal');
    // Restart of the runtime.
    w.node.receive({ payload: rec(9, 'Reserved') });
    await until(() => w.completed.length === 2);
    const t = Date.now();
    await helper.unload();
    (Date.now() - t).should.be.below(1000);
    await helper.load(fullLoadNode, [TAB, ...flow()]);
    w = watch();
    await trigger(w);
    w.out[0].payload.should.eql([...recs(1, 5, 'Occupied'), rec(9, 'Reserved')]);
    // Removed from the flow: its journal goes.
    await helper.setFlows([TAB, { id: 'other', type: 'helper', z: 'f1' }]);
    await until(() => !fs.existsSync(journalDir()), 3000, 'journal directory removed');
  });

  /**
   * Holds fs.promises calls of the given kind (readFile, open) on files under dir until release(): the test, not the
   * machine's speed, decides when a restore or a save of the node can go on. held counts the calls that waited.
   */
  function holdFs(method, dir) {
    let release;
    const gate = new Promise((r) => (release = r));
    const orig = fs.promises[method];
    const h = { held: 0, release: () => release() };
    h.stub = sinon.stub(fs.promises, method).callsFake(async function (file, ...rest) {
      if (String(file).startsWith(dir)) {
        h.held++;
        await gate;
      }
      return orig.call(this, file, ...rest);
    });
    h.restore = () => {
      release();
      h.stub.restore();
    };
    return h;
  }

  /** holdFs for a callback-style call (fs.open, used by the journal engine for its raw descriptors). */
  function holdCb(method, prefix) {
    let release;
    const gate = new Promise((r) => (release = r));
    const orig = fs[method];
    const h = { held: 0, release: () => release() };
    h.stub = sinon.stub(fs, method).callsFake(function (file, ...rest) {
      if (String(file).startsWith(prefix)) {
        h.held++;
        gate.then(() => orig.call(fs, file, ...rest));
        return;
      }
      return orig.call(fs, file, ...rest);
    });
    h.restore = () => {
      release();
      h.stub.restore();
    };
    return h;
  }

  it('keeps records that arrive during the restore when a redeploy stops the node before it finished', async function () {
    this.timeout(30000);
    fs.mkdirSync(journalDir(), { recursive: true });
    const seen = Date.now();
    fs.writeFileSync(
      path.join(journalDir(), 'journal-1.jsonl'),
      Array.from({ length: 5000 }, (_, i) => JSON.stringify(['s', `DE*ABC*E${i + 1000}`, 'Available', seen])).join('\n') + '\n',
    );
    // The restore cannot start until the test lets it: the message and the redeploy surely come first. The file is
    // of the layout before the journal engine: it is migrated on the way.
    const hold = holdFs('mkdir', journalDir());
    try {
      await helper.load(fullLoadNode, [TAB, ...flow()]);
      let w = watch();
      const errors = [];
      w.node.on('call:error', (c) => errors.push(String(c.args[0] && c.args[0].message ? c.args[0].message : c.args[0])));
      await until(() => hold.held === 1, 5000, 'restore reading the journal');
      w.node.receive({ _msgid: 'late-record', payload: rec(1, 'Occupied') });
      w.node.receive({ _msgid: 'late-trigger', topic: 'fullLoad' });
      await new Promise((r) => setImmediate(r));
      w.completed.length.should.equal(0); // both wait for the restore
      w.caught.length.should.equal(0);
      await helper.setFlows([TAB, ...flow({ name: 'redeployed' })]);
      // The redeployed node does not read the saved state while the old one still works on it.
      hold.held.should.equal(1);
      w = watch();
      w.node.name.should.equal('redeployed');
      hold.release();
      // The trigger is refused with a reason (done(err) reaches node.error); the record is not refused but kept.
      // Both late messages are done together, so the record's done() had no error either.
      await until(() => errors.length > 0, 10000, 'late messages of the old node done');
      errors.should.eql(['the node was stopped before this fullLoad could run']);
      await until(() => hold.held >= 2, 10000, 'redeployed node restoring');
      await trigger(w);
      const out = w.out[0].payload;
      out.length.should.equal(5001);
      out.find((r) => r.EvseID === 'DE*ABC*E1').should.eql(rec(1, 'Occupied'));
    } finally {
      hold.restore();
    }
  });

  it('hands its journal to the redeployed node even when saving outlasts the deploy', async function () {
    this.timeout(30000);
    // The journal file cannot be opened until the test lets it: the node's save is still running when the deploy's
    // wait for close ends and the new instance starts.
    const hold = holdCb('open', path.join(journalDir(), 'fullload.journal'));
    try {
      await helper.load(fullLoadNode, [TAB, ...flow()]);
      let w = watch();
      w.node.receive({ payload: recs(0, 3) });
      w.node.receive({ payload: rec(7, 'Reserved') });
      await until(() => w.completed.length === 2);
      await helper.setFlows([TAB, ...flow({ name: 'redeployed' })]);
      hold.held.should.be.above(0); // the save was held, and close returned anyway
      fs.readdirSync(journalDir())
        .filter((n) => n !== 'fullload.journal')
        .should.eql([]);
      w = watch();
      w.node.name.should.equal('redeployed');
      hold.release();
      await trigger(w);
      w.out[0].payload.should.eql([...recs(0, 3), rec(7, 'Reserved')]);
    } finally {
      hold.restore();
    }
  });

  it('sends one fullLoad onStart after the restore, and stale EVSEs are left out and forgotten', async function () {
    this.timeout(20000);
    await helper.load(fullLoadNode, [TAB, ...flow()]);
    let w = watch();
    w.node.receive({ payload: recs(0, 3) });
    await until(() => w.completed.length === 1);
    await helper.unload();
    // Two EVSEs last seen 10 days ago, written into the saved state of this node.
    const old = Date.now() - 10 * 86400000;
    const { FileJournal, StatusStore } = require('../nodes/fullload');
    const fj = new FileJournal({ dir: journalDir() });
    const st = new StatusStore();
    await fj.restore(st);
    for (const id of ['DE*ABC*E7', 'DE*ABC*E8']) st.set(id, 'Available', old);
    await fj.close();
    await helper.load(fullLoadNode, [TAB, ...flow({ onStart: true, onStartDelay: 0.2, time: '' })]);
    w = watch();
    await until(() => w.out.length === 1, 5000, 'onStart fullLoad');
    w.out[0].fullLoad.trigger.should.equal('start');
    w.out[0].payload.should.eql(recs(0, 3));
    w.out[0].fullLoad.staleDropped.should.eql(['DE*ABC*E7', 'DE*ABC*E8']);
    w.warns.some((t) => /2 EVSEs not seen for 7 days left out/.test(t)).should.be.true();
    await until(() => /3 EVSEs · no schedule/.test(w.lastStatus().text || ''), 3000, 'status without schedule');
    await trigger(w);
    w.out[1].fullLoad.staleDropped.should.eql([]);
  });

  it('holds every fullLoad back unless forced when the saved state cannot be read, across a restart, and a forced one makes it whole', async function () {
    fs.mkdirSync(journalDir(), { recursive: true });
    fs.writeFileSync(path.join(journalDir(), 'fullload.jsonl'), 'not json\n');
    await helper.load(fullLoadNode, [TAB, ...flow()]);
    const w = watch();
    w.node.receive({ payload: recs(0, 2) });
    await until(() => w.completed.length === 1);
    await until(() => /state not restored/.test(w.lastStatus().text || ''), 3000, 'red status');
    w.lastStatus().fill.should.equal('red');
    await trigger(w);
    fullLoads(w).length.should.equal(0);
    w.warns
      .some((t) =>
        /guarded: the saved state could not be restored \(fullload.jsonl .* incomplete \(fullload.jsonl: no valid header line, moved aside as fullload.jsonl.damaged-/.test(
          t,
        ),
      )
      .should.be.true();
    // The unreadable file is renamed aside, unchanged, for the user to inspect.
    const aside = fs.readdirSync(journalDir()).filter((n) => /^fullload\.jsonl\.damaged-/.test(n));
    aside.should.have.length(1);
    fs.readFileSync(path.join(journalDir(), aside[0]), 'utf8').should.equal('not json\n');
    // A restart does not forget that the state is incomplete.
    await helper.unload();
    await helper.load(fullLoadNode, [TAB, ...flow()]);
    let w2 = watch();
    await until(() => /state not restored/.test(w2.lastStatus().text || ''), 3000, 'red status after the restart');
    await trigger(w2);
    fullLoads(w2).length.should.equal(0);
    await trigger(w2, { force: true });
    fullLoads(w2)[0].payload.should.eql(recs(0, 2));
    // The forced fullLoad gave the whole set again: the next start holds nothing back.
    await helper.unload();
    await helper.load(fullLoadNode, [TAB, ...flow()]);
    w2 = watch();
    await trigger(w2);
    fullLoads(w2)[0].payload.should.eql(recs(0, 2));
  });

  it('runs the daily schedule (fake clock)', async function () {
    const now = new Date();
    const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 2, 59, 0).getTime();
    // This fake-timers version advances time by itself only when setInterval is faked too.
    const clock = sinon.useFakeTimers({ now: start, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], shouldAdvanceTime: true });
    try {
      await helper.load(fullLoadNode, [TAB, ...flow({ time: '03:00' })]);
      const w = watch();
      w.node.receive({ payload: recs(0, 2) });
      await until(() => w.completed.length === 1);
      w.out.length.should.equal(0);
      clock.tick(2 * 60000);
      await until(() => w.out.length === 1, 5000, 'scheduled fullLoad');
      w.out[0].fullLoad.trigger.should.equal('schedule');
      w.out[0].topic.should.equal('fullLoad');
      w.out[0].payload.should.eql(recs(0, 2));
      clock.tick(60 * 60000);
      await sleep(50);
      w.out.length.should.equal(1);
    } finally {
      clock.restore();
    }
  });

  it('keeps its state in a Node-RED context store (localfilesystem)', async function () {
    const ctxDir = path.join(userDir(), 'ctx');
    helper.settings({
      userDir: userDir(),
      contextStorage: { default: { module: 'memory' }, disk: { module: 'localfilesystem', config: { dir: ctxDir, flushInterval: 0.05 } } },
    });
    // The helper does not load context plugins; this runs after its context init and before the flows start.
    const loadContext = () => helper._context.load();
    const cflow = (props = {}) => [TAB, ...flow({ storage: 'context', contextStore: 'disk', ...props })];
    await helper.load([loadContext, fullLoadNode], cflow());
    let w = watch();
    w.node.receive({ payload: recs(0, 4, 'Reserved') });
    w.node.receive({ action: 'delete', payload: 'DE*ABC*E3' });
    await until(() => w.completed.length === 2);
    // Saved once the 1 s debounce and the store's flush have passed.
    const file = path.join(ctxDir, 'context', 'f1', 'fl1.json');
    await until(() => fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).oicpFullLoad, 5000, 'context file written');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')).oicpFullLoad;
    saved.format.should.equal('oicp-fullload');
    saved.count.should.equal(3);
    fs.existsSync(journalDir()).should.be.false();
    await helper.setFlows(cflow({ name: 'again' }));
    w = watch();
    await trigger(w);
    w.out[0].payload.should.eql(recs(0, 3, 'Reserved'));
    await helper.setFlows([TAB, { id: 'other', type: 'helper', z: 'f1' }]);
    await until(() => !fs.existsSync(file) || !JSON.parse(fs.readFileSync(file, 'utf8')).oicpFullLoad, 5000, 'context key removed');
  });

  describe('with a Hubject config', function () {
    let hubjectNode, forgetQueues;
    before(function () {
      hubjectNode = require('../nodes/oicp-hubject-config.js');
      forgetQueues = require('../nodes/push/registry').forgetQueues;
    });
    afterEach(function () {
      forgetQueues();
    });
    const HUB = { id: 'h1', type: 'oicp-hubject-config', environment: 'custom', url: 'https://127.0.0.1:1/api/oicp', operatorId: 'DE*ABC' };

    it('refuses records of another operator and leaves the state untouched', async function () {
      await helper.load([hubjectNode, fullLoadNode], [TAB, HUB, ...flow({ hubject: 'h1' })]);
      const w = watch();
      w.node.receive({ payload: [rec(1), { EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' }] });
      w.node.receive({ payload: [rec(1), { EvseID: 'DEABCE2', EvseStatus: 'Occupied' }] });
      await until(() => w.caught.length === 1 && w.completed.length === 1);
      w.caught[0].error.message.should.match(/record 2 of 2: EvseID 'DE\*XYZ\*E1' does not belong to operator DE\*ABC/);
      await trigger(w);
      w.out[0].payload.should.eql([rec(1), { EvseID: 'DEABCE2', EvseStatus: 'Occupied' }]);
    });

    it('refuses input with the reason when the linked Hubject config has no valid OperatorID', async function () {
      await helper.load([hubjectNode, fullLoadNode], [TAB, { ...HUB, operatorId: 'DE_BAD' }, ...flow({ hubject: 'h1' })]);
      const w = watch();
      w.node.receive({ payload: rec(1) });
      await until(() => w.caught.length === 1);
      w.caught[0].error.message.should.match(/Hubject config: OperatorID 'DE_BAD' does not match the OICP pattern/);
    });
  });
});
