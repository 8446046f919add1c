'use strict';
// What one input of a push cdr node becomes, without Node-RED (src/sessions/cdr-input.ts).
const assert = require('assert');
const { SessionStore, SessionInputError } = require('../nodes/sessions');
const { cdrOfInput, sessionOf, resendId, isOicpCdr, beginReading } = require('../nodes/sessions/cdr-input');

const say = (key, values) => (values ? `${key} ${JSON.stringify(values)}` : key);
const SID = 'b2688855-7f00-0002-6d8e-48d883f6d9e4';
const stop16 = (data) => ({
  ocpp: { chargeBoxIdentity: 'CP1', command: 'StopTransaction', ocppVersion: '1.6j' },
  payload: { command: 'StopTransaction', data },
});

async function storeWith(more = {}) {
  const store = new SessionStore();
  await store.put({
    SessionID: SID,
    EvseID: 'DE*ABC*E1',
    Identification: { RFIDMifareFamilyIdentification: { UID: '1234ABCD' } },
    sessionStart: '2026-12-07T10:00:00Z',
    transactionId: 41,
    meterStart: 1000,
    ...more,
  });
  return store;
}

describe('push cdr input (core)', function () {
  it('a resend names its SessionID in msg.SessionID, payload.SessionID or a string payload', function () {
    assert.strictEqual(resendId({ SessionID: 'a' }), 'a');
    assert.strictEqual(resendId({ payload: { SessionID: 'b' } }), 'b');
    assert.strictEqual(resendId({ payload: 'c' }), 'c');
    assert.strictEqual(resendId({ payload: '' }), undefined);
  });

  it('a complete OICP record is told from a charger message', function () {
    assert.ok(isOicpCdr({ SessionID: 's', ConsumedEnergy: 1 }));
    assert.ok(!isOicpCdr({ SessionID: 's', ConsumedEnergy: 1, command: 'StopTransaction' }));
    assert.ok(!isOicpCdr({ SessionID: 's' }));
  });

  it('OCPP 2.0.1: the Transaction.Begin energy register in Wh, with multiplier and kWh', function () {
    const mv = (sv) => ({ meterValue: [{ sampledValue: [sv] }] });
    assert.strictEqual(beginReading(mv({ context: 'Transaction.Begin', value: 12.5, unitOfMeasure: { unit: 'kWh' } })), '12500');
    assert.strictEqual(beginReading(mv({ context: 'Transaction.Begin', value: 3, unitOfMeasure: { multiplier: 3 } })), '3000');
    assert.strictEqual(beginReading(mv({ context: 'Transaction.Begin', value: 3, phase: 'L1' })), undefined);
    assert.strictEqual(beginReading(mv({ context: 'Sample.Periodic', value: 3 })), undefined);
  });

  it('the session of a stop: by transactionId, or an input error naming the field', async function () {
    const store = await storeWith();
    assert.strictEqual(sessionOf(store, stop16({ transactionId: 41, meterStop: 2000 }), say).session.SessionID, SID);
    assert.throws(
      () => sessionOf(store, stop16({ transactionId: 42, meterStop: 2000 }), say),
      (e) => e instanceof SessionInputError && e.field === 'transactionId' && e.message === 'errors.unknownTransaction {"id":"42"}',
    );
    assert.throws(
      () => sessionOf(store, stop16({ meterStop: 2000 }), say),
      (e) => e instanceof SessionInputError && e.message === 'errors.noTransactionId',
    );
  });

  it('builds the CDR of a 1.6 stop from its session, asking whether signed values are required for the EvseID', async function () {
    const store = await storeWith();
    const asked = [];
    const ctx = {
      zone: { utcOffset: '+01:00' },
      partnerProductId: 'AC',
      sessions: () => store,
      configError: undefined,
      signedRequired: async (id) => (asked.push(id), false),
    };
    const r = await cdrOfInput(stop16({ transactionId: 41, meterStop: 13_345, timestamp: '2026-12-07T11:00:00Z' }), ctx, say);
    assert.strictEqual(r.record.SessionID, SID);
    assert.strictEqual(r.record.EvseID, 'DE*ABC*E1');
    assert.strictEqual(r.record.PartnerProductID, 'AC');
    assert.strictEqual(Number(r.record.ConsumedEnergy), 12.345);
    assert.deepStrictEqual(asked, ['DE*ABC*E1']);
    await assert.rejects(cdrOfInput(stop16({ transactionId: 41 }), { ...ctx, sessions: () => null, configError: 'bad' }, say), {
      message: 'kit.errors.config {"error":"bad"}',
    });
  });
});
