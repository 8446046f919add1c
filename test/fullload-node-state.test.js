'use strict';
// The full load node's state without Node-RED (src/fullload/node-state.ts): its status, schedule setting, context
// access, late messages at close, timers and the recount.
const assert = require('assert');
const { fullLoadStatus, readSchedule, contextAccess, settleLate, stopFullLoad, predecessorClosed, FullLoadTimers, Recount } = require('../nodes/fullload');

const say = (key, values) => (values ? `${key} ${JSON.stringify(values)}` : key);
const state = (more = {}) => ({
  closing: false,
  ready: true,
  setupError: undefined,
  configError: undefined,
  size: 2,
  restoreError: undefined,
  guarded: undefined,
  next: undefined,
  scheduleProblem: undefined,
  ...more,
});

describe('full load node state (core)', function () {
  it('the status: none while closing, restoring, errors before counts, guarded, else the count and next run', function () {
    assert.strictEqual(fullLoadStatus(state({ closing: true }), say), null);
    assert.deepStrictEqual(fullLoadStatus(state({ ready: false, setupError: 'x' }), say), { fill: 'blue', shape: 'ring', text: 'status.restoring' });
    assert.deepStrictEqual(fullLoadStatus(state({ setupError: 'bad', configError: 'c' }), say), { fill: 'red', shape: 'ring', text: 'bad' });
    assert.deepStrictEqual(fullLoadStatus(state({ configError: 'c' }), say), { fill: 'red', shape: 'ring', text: 'kit.errors.config {"error":"c"}' });
    assert.deepStrictEqual(fullLoadStatus(state({ restoreError: 'r', guarded: 'g' }), say), {
      fill: 'red',
      shape: 'ring',
      text: 'status.notRestored',
      tail: ' · status.evses {"count":"2"}',
    });
    assert.deepStrictEqual(fullLoadStatus(state({ size: 1, guarded: 'empty', scheduleProblem: 'p' }), say), {
      fill: 'yellow',
      shape: 'ring',
      text: 'status.guarded {"reason":"empty"}',
      tail: ' · status.evse {"count":"1"} · status.invalidTime',
    });
    assert.deepStrictEqual(fullLoadStatus(state({ size: 12345 }), say), {
      fill: 'green',
      shape: 'dot',
      text: 'status.evses {"count":"12,345"}',
      tail: ' · status.noSchedule',
    });
    const s = fullLoadStatus(state({ next: new Date(Date.now() + 3600_000) }), say);
    assert.match(s.tail, /^ · status\.next /);
  });

  it('the time setting: a schedule, nothing when empty, or why it cannot be read', function () {
    assert.ok(readSchedule('03:00').schedule);
    assert.deepStrictEqual(readSchedule(''), {});
    const bad = readSchedule('25:99');
    assert.strictEqual(bad.schedule, undefined);
    assert.ok(bad.problem);
  });

  it('the callback context becomes promises, with the store name and the error passed on', async function () {
    const calls = [];
    const ctx = {
      get: (key, store, cb) => (calls.push(['get', key, store]), key === 'bad' ? cb(new Error('no')) : cb(null, 7)),
      set: (key, value, store, cb) => (calls.push(['set', key, value, store]), cb()),
    };
    const a = contextAccess(ctx, 'disk');
    assert.strictEqual(await a.get('k'), 7);
    await a.set('k', 1);
    await assert.rejects(a.get('bad'), /no/);
    assert.deepStrictEqual(calls, [
      ['get', 'k', 'disk'],
      ['set', 'k', 1, 'disk'],
      ['get', 'bad', 'disk'],
    ]);
  });

  it('late messages are applied after a good restore, refused after a failed or hung one; none asks nothing', async function () {
    const out = [];
    await settleLate(
      [1, 2],
      () => Promise.resolve(true),
      1000,
      (m) => out.push(`apply ${m}`),
      (m) => out.push(`refuse ${m}`),
    );
    await settleLate(
      [3],
      () => Promise.resolve(false),
      1000,
      (m) => out.push(`apply ${m}`),
      (m) => out.push(`refuse ${m}`),
    );
    await settleLate(
      [4],
      () => new Promise(() => {}),
      10,
      (m) => out.push(`apply ${m}`),
      (m) => out.push(`refuse ${m}`),
    );
    let asked = false;
    await settleLate(
      [],
      () => ((asked = true), Promise.resolve(true)),
      10,
      () => {},
      () => {},
    );
    assert.deepStrictEqual(out, ['apply 1', 'apply 2', 'refuse 3', 'refuse 4']);
    assert.strictEqual(asked, false);
  });

  it('timers: the run after start, the next scheduled run, and stop cancels the pending start', async function () {
    const runs = [];
    const t = new FullLoadTimers();
    t.start({ schedule: readSchedule('03:00').schedule, onStartDelayMs: 5, run: (w) => runs.push(w), onError: () => {} });
    assert.ok(t.next instanceof Date);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepStrictEqual(runs, ['start']);
    t.stop();
    const u = new FullLoadTimers();
    u.start({ onStartDelayMs: 5, run: (w) => runs.push(w), onError: () => {} });
    assert.strictEqual(u.next, undefined);
    u.stop();
    await new Promise((r) => setTimeout(r, 30));
    assert.deepStrictEqual(runs, ['start']);
  });

  it('the recount walks again only when the size changed or the count is old', function () {
    let size = 1;
    let walks = 0;
    const c = new Recount(
      () => size,
      () => ++walks,
      30_000,
    );
    assert.strictEqual(c.get(0), 1);
    assert.strictEqual(c.get(1000), 1);
    size = 2;
    assert.strictEqual(c.get(2000), 2);
    assert.strictEqual(c.get(40_000), 3);
  });

  it('stop: late messages applied, the store closed, the next instance waits for it; done within the budget', async function () {
    const out = [];
    let closeStore;
    const stopped = stopFullLoad({
      key: 'test:stop',
      late: ['m'],
      restored: () => Promise.resolve(true),
      waitMs: 1000,
      apply: (m) => out.push(`apply ${m}`),
      refuse: (m) => out.push(`refuse ${m}`),
      close: () => new Promise((r) => (closeStore = r)),
      onError: (e) => out.push(`error ${e.message}`),
      budgetMs: 20,
    });
    let next = false;
    const after = predecessorClosed('test:stop').then(() => (next = true));
    await stopped;
    assert.deepStrictEqual(out, ['apply m']);
    assert.strictEqual(next, false, 'the next instance waits for the close past the budget');
    closeStore();
    await after;
    await stopFullLoad({
      key: 'test:stop2',
      late: [],
      restored: () => Promise.resolve(true),
      waitMs: 10,
      apply: () => {},
      refuse: () => {},
      close: () => Promise.reject(new Error('disk')),
      onError: (e) => out.push(`error ${e.message}`),
      budgetMs: 1000,
    });
    assert.deepStrictEqual(out, ['apply m', 'error disk']);
  });
});
