'use strict';
// Issue 23: a charger's transaction after a remote start takes Hubject's SessionID: OCPP 1.6 StartTransaction by
// connector and time window, OCPP 2.0.1 TransactionEvent by remoteStartId; refused or foreign ones do not link.
const assert = require('assert');
const { remoteStartFor, linkedSession } = require('../nodes/remote/link');
const { readChargerRequest } = require('../nodes/sessions/envelope');
const { SessionStore } = require('../nodes/sessions/store');

const SID = 'b2688855-7f00-0002-6d8e-48d883f6abb6';
const T0 = Date.parse('2026-12-07T10:00:00Z');
const remote = (extra = {}) => ({
  SessionID: SID,
  ProviderID: 'DE-DCB',
  EvseID: 'DE*ABC*ECP*1*1',
  Identification: { RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } },
  sessionStart: new Date(T0).toISOString(),
  chargeBoxId: 'CP*1',
  connectorId: 1,
  remote: 'accepted',
  remoteStartAt: T0,
  ...extra,
});
const start16 = (cb, connectorId, at) =>
  readChargerRequest({
    ocpp: { chargeBoxIdentity: cb, command: 'StartTransaction', ocppVersion: '1.6j' },
    payload: { command: 'StartTransaction', data: { connectorId, idTag: 'DE-DCB-C12345678', meterStart: 5, timestamp: new Date(at).toISOString() } },
  });

describe('remote start linking (src/remote/link)', function () {
  it('OCPP 1.6: the StartTransaction on the same connector within the window links, the station id compared as the template writes it', async function () {
    const store = new SessionStore();
    await store.put(remote());
    const s = remoteStartFor(store, start16('cp-1', 1, T0 + 30_000), T0 + 30_000);
    assert.strictEqual(s && s.SessionID, SID);
    const l = linkedSession(s, start16('cp-1', 1, T0 + 30_000));
    assert.deepStrictEqual([l.remote, l.meterStart, l.chargeBoxId], ['linked', 5, 'cp-1']);
    assert.strictEqual(remoteStartFor(store, start16('cp-1', 2, T0 + 30_000), T0 + 30_000), undefined, 'other connector');
    assert.strictEqual(remoteStartFor(store, start16('cp-2', 1, T0 + 30_000), T0 + 30_000), undefined, 'other charger');
    assert.strictEqual(remoteStartFor(store, start16('cp-1', 1, T0 + 600_000), T0 + 600_000), undefined, 'outside the window');
  });

  it('a refused or already linked remote start never links', async function () {
    const store = new SessionStore();
    await store.put(remote({ remote: 'refused', stoppedAt: new Date(T0).toISOString() }));
    assert.strictEqual(remoteStartFor(store, start16('CP1', 1, T0 + 1000), T0 + 1000), undefined);
    await store.put(remote({ remote: 'linked' }));
    assert.strictEqual(remoteStartFor(store, start16('CP1', 1, T0 + 1000), T0 + 1000), undefined);
  });

  it('OCPP 2.0.1: the TransactionEvent with the remoteStartId links and carries its transactionId', async function () {
    const store = new SessionStore();
    await store.put(remote({ remoteStartId: 7 }));
    assert.strictEqual(store.nextRemoteStartId(), 8);
    const ev = (id) =>
      readChargerRequest({
        ocpp: { chargeBoxIdentity: 'CP-1', command: 'TransactionEvent', ocppVersion: '2.0.1' },
        payload: {
          command: 'TransactionEvent',
          data: {
            eventType: 'Started',
            timestamp: new Date(T0).toISOString(),
            triggerReason: 'RemoteStart',
            seqNo: 0,
            transactionInfo: { transactionId: 'tx-9', remoteStartId: id },
            evse: { id: 1 },
          },
        },
      });
    const s = remoteStartFor(store, ev(7));
    assert.strictEqual(s && s.SessionID, SID);
    assert.strictEqual(linkedSession(s, ev(7)).transactionId, 'tx-9');
    assert.strictEqual(remoteStartFor(store, ev(8)), undefined);
  });

  it("OCPP 2.0.1: the Started event's register value becomes the session's meter start (the CDR's MeterValueStart)", function () {
    const msg = {
      ocpp: { cbId: 'CP-1', command: 'TransactionEvent', ocppVersion: '2.0.1' },
      payload: {
        command: 'TransactionEvent',
        data: {
          eventType: 'Started',
          timestamp: new Date(T0).toISOString(),
          triggerReason: 'RemoteStart',
          seqNo: 0,
          transactionInfo: { transactionId: 'tx-9', remoteStartId: 7 },
          evse: { id: 1, connectorId: 1 },
          meterValue: [
            {
              timestamp: new Date(T0).toISOString(),
              sampledValue: [{ value: 2.5, context: 'Transaction.Begin', measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' } }],
            },
          ],
        },
      },
    };
    const l = linkedSession(remote({ remoteStartId: 7 }), readChargerRequest(msg), msg);
    assert.deepStrictEqual([l.remote, l.transactionId, l.meterStart], ['linked', 'tx-9', 2500]);
    // Without a register value the session has none; push cdr then names MeterValueStart.
    const bare = { ...msg, payload: { ...msg.payload, data: { ...msg.payload.data, meterValue: undefined } } };
    assert.strictEqual(linkedSession(remote({ remoteStartId: 7 }), readChargerRequest(bare), bare).meterStart, undefined);
  });
});
