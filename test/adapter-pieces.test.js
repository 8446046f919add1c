'use strict';
// Pieces moved out of the push adapters (issue 21), tested without Node-RED: the kit's link problem, the data
// input's failures, and the status lane's retry notice and input order.
const assert = require('assert');
const { linkProblem } = require('../nodes/node-red/hubject');
const { validationFailure, joinFailures } = require('../nodes/evse-data/input');
const { RetryNotice, InputOrder } = require('../nodes/push/retry-notice');

const say = (key, values) => (values ? `${key} ${JSON.stringify(values)}` : key);

describe('kit: the link to a config node', function () {
  it('names no config, a missing one, or one that cannot work; nothing when fine', function () {
    assert.strictEqual(linkProblem({ problem: 'none' }, say), 'errors.noConfig');
    assert.strictEqual(linkProblem({ problem: 'missing' }, say), 'kit.errors.configMissing');
    assert.strictEqual(linkProblem({ hubject: { configError: 'bad id' } }, say), 'kit.errors.config {"error":"bad id"}');
    assert.strictEqual(linkProblem({ hubject: { configError: undefined } }, say), undefined);
  });
});

describe('EVSE data input failures', function () {
  const rejected = [{ index: 1, EvseID: 'DE*ABC*E1', field: 'Address', reason: 'missing' }];
  it('none rejected: no error; else one error listing them on cause.rejected', function () {
    assert.deepStrictEqual(validationFailure([], {}, say), { list: [] });
    const v = validationFailure(rejected, {}, say);
    assert.strictEqual(v.list.length, 1);
    assert.strictEqual(v.list[0].EvseID, 'DE*ABC*E1');
    assert.match(v.error.message, /^errors\.rejected \{"count":1,/);
    assert.deepStrictEqual(v.error.cause.rejected, v.list);
    assert.deepStrictEqual(v.error.rejected, v.list);
  });
  it('joins the validation error with a later refusal, both lists on cause.rejected', function () {
    const v = validationFailure(rejected, {}, say);
    const later = Object.assign(new Error('refused'), { cause: { rejected: [{ EvseID: 'DE*ABC*E2' }] } });
    const e = joinFailures(v, later);
    assert.strictEqual(e.message, `${v.error.message}; refused`);
    assert.deepStrictEqual(e.cause.rejected, [...v.list, { EvseID: 'DE*ABC*E2' }]);
    assert.strictEqual(joinFailures(v, undefined), v.error);
    assert.strictEqual(joinFailures({ list: [] }, later), later);
    assert.strictEqual(joinFailures({ list: [] }, undefined), undefined);
  });
});

describe('status lane: retry notice and input order', function () {
  it('logs a persisting fault from the third retry, once per reason, again after an answer', function () {
    const n = new RetryNotice(3);
    assert.deepStrictEqual(
      ['a', 'a', 'a', 'a', 'b'].map((r) => n.retry(r)),
      [false, false, true, false, true],
    );
    n.answered();
    assert.deepStrictEqual(
      ['a', 'a', 'a'].map((r) => n.retry(r)),
      [false, false, true],
    );
    const quiet = new RetryNotice(1);
    assert.strictEqual(quiet.retry('a', false), false);
    assert.strictEqual(quiet.retry('a', true), true);
  });

  it('later inputs wait behind a slow one and run in order; idle again after', async function () {
    const o = new InputOrder();
    const out = [];
    let release;
    o.later(() => new Promise((r) => (release = r)).then(() => out.push(1)));
    o.later(async () => out.push(2));
    o.later(async () => out.push(3));
    assert.strictEqual(o.waiting, true);
    await new Promise((r) => setImmediate(r));
    release();
    while (o.waiting) await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(out, [1, 2, 3]);
  });
});

describe('kit: a lane status with the own state files', function () {
  const { withStateProblem } = require('../nodes/node-red/state');
  const { stateHealth } = require('../nodes/journal/health');
  afterEach(() => stateHealth.reset());

  it('a problem of an own file comes in front (yellow, the tail kept); a red status and others files stay', function () {
    const green = { fill: 'green', shape: 'dot', text: '000', tail: ' · 3 sent' };
    const mine = (p) => p.file === '/u/oicp/mine.json';
    assert.strictEqual(withStateProblem(green, say, mine), green);
    stateHealth.loaded('/u/oicp/mine.json', { kind: 'outbox' }, { incomplete: true, damaged: [], recovered: 0, lost: 0 });
    stateHealth.loaded('/u/oicp/other.json', { kind: 'outbox' }, { incomplete: true, damaged: [], recovered: 0, lost: 0 });
    const shown = withStateProblem(green, say, mine);
    assert.strictEqual(shown.fill, 'yellow');
    assert.strictEqual(shown.tail, ' · 3 sent');
    assert.match(shown.text, /mine\.json/);
    const red = { fill: 'red', shape: 'ring', text: 'expired' };
    assert.strictEqual(withStateProblem(red, say, mine), red);
    assert.strictEqual(
      withStateProblem(green, say, (p) => p.file === '/nope'),
      green,
    );
  });
});
