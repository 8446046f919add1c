'use strict';
// The OICP sidebar's roaming card per operator (GET /oicp/state `roaming`): authorizations from the authorize
// counters, and the CDR lane read like any lane's stats (operation chargeDetailRecord).
const assert = require('assert');
const stats = require('../nodes/ops/stats');
const { recordAuthorize } = require('../nodes/sessions/stats');

const OP = 'DE*RMG'; // an operator no other test authorizes for (the counters live for the process)
const URL = 'https://127.0.0.1:1/api/oicp';

describe('ops: the roaming card of an operator', function () {
  afterEach(() => {
    for (const l of stats.allLaneStats()) if (l.labels.operator === OP) stats.dropLaneStats(l.key);
  });

  it('shows the last authorization, the calls of the last minute and the outcomes since start', function () {
    const before = Date.now();
    recordAuthorize(OP, 'authorizeStart', 'authorized', 0.08);
    recordAuthorize(OP, 'authorizeStart', 'notAuthorized', 0.05);
    recordAuthorize(OP, 'authorizeStop', 'fallback', 5.001);
    const card = stats.opsState(Date.now()).roaming.find((r) => r.operator === OP);
    assert.ok(card, 'a card for the operator');
    assert.deepStrictEqual(card.authorize.outcomes, { authorized: 1, notAuthorized: 1, fallback: 1, refused: 0 });
    assert.strictEqual(card.authorize.lastMinute, 3);
    assert.strictEqual(card.authorize.last.operation, 'authorizeStop');
    assert.strictEqual(card.authorize.last.outcome, 'fallback');
    assert.strictEqual(card.authorize.last.ms, 5001);
    assert.ok(card.authorize.last.at >= before);
    // A minute later the rate is back to 0; the outcomes stay.
    const later = stats.roamingState(Date.now() + 61_000).find((r) => r.operator === OP);
    assert.strictEqual(later.authorize.lastMinute, 0);
    assert.strictEqual(later.authorize.outcomes.authorized, 1);
    assert.deepStrictEqual(card.cdr, [], 'no CDR lane yet');
  });

  it('reads the CDRs pending and their dead letters from the lane of operation chargeDetailRecord, and no other', function () {
    const cdr = stats.laneStats({ operator: OP, operation: 'chargeDetailRecord', environment: 'custom', url: URL });
    stats.laneStats({ operator: OP, operation: 'status', environment: 'custom', url: URL }).enqueued(9, Date.now());
    const dead = [
      { key: 'S1', id: 'S1', operation: 'chargeDetailRecord', action: 'cdr', reason: 'session unknown', code: '400', time: new Date().toISOString() },
    ];
    cdr.source = { pending: () => 4, deadLetters: () => dead.length, deadLetterList: (n) => dead.slice(0, n), sendDeadLettersAgain: () => 0 };
    const card = stats.opsState(Date.now()).roaming.find((r) => r.operator === OP);
    assert.ok(card, 'a CDR lane alone makes a card');
    assert.strictEqual(card.cdr.length, 1);
    assert.strictEqual(card.cdr[0].key, cdr.key);
    assert.strictEqual(card.cdr[0].pending, 4);
    assert.strictEqual(card.cdr[0].deadLetters.count, 1);
    assert.strictEqual(card.cdr[0].deadLetters.items[0].reason, 'session unknown');
  });
});
