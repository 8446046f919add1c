'use strict';
// The rule that lets a transaction take the session of the Authorize before it (src/sessions/reuse.ts), as pure
// functions: same charger, same card, within the window, unused, not stopped, not a remote start.
require('should');
const { reusableSession, isReusable, linkReusedSession, DEFAULT_REUSE_WINDOW_MS } = require('../nodes/sessions');

const NOW = Date.parse('2026-12-07T10:00:00Z');
const card = (UID) => ({ RFIDMifareFamilyIdentification: { UID } });
const session = (over = {}) => ({
  SessionID: 'b2688855-7f00-0002-6d8e-48d3ba2f5f20',
  Identification: card('04A1B2C3'),
  chargeBoxId: 'CP1',
  sessionStart: new Date(NOW - 30_000).toISOString(),
  authorizedAt: NOW - 30_000,
  ...over,
});
const query = (over = {}) => ({ chargeBoxId: 'CP1', connectorId: 1, Identification: card('04A1B2C3'), now: NOW, ...over });

describe('sessions: reuse of an Authorize session by the transaction that follows', function () {
  it('the window is 3 minutes by default', function () {
    DEFAULT_REUSE_WINDOW_MS.should.equal(180_000);
  });

  it('an authorization of the same charger and card, within the window and unused, is reused', function () {
    isReusable(session(), query()).should.be.true();
    isReusable(session({ authorizedAt: NOW - DEFAULT_REUSE_WINDOW_MS }), query()).should.be.true();
    // A record without authorizedAt (written before it existed) counts from its sessionStart.
    isReusable(session({ authorizedAt: undefined }), query()).should.be.true();
  });

  it('is not reused after the window, for another card or charger, once used, stopped, or from a remote start', function () {
    isReusable(session({ authorizedAt: NOW - DEFAULT_REUSE_WINDOW_MS - 1 }), query()).should.be.false();
    isReusable(session(), query({ windowMs: 10_000 })).should.be.false();
    isReusable(session(), query({ Identification: card('AABBCCDD') })).should.be.false();
    isReusable(session(), query({ chargeBoxId: 'CP2' })).should.be.false();
    isReusable(session(), query({ chargeBoxId: undefined })).should.be.false();
    isReusable(session({ chargeBoxId: undefined }), query()).should.be.false();
    isReusable(session({ transactionId: 7 }), query()).should.be.false();
    isReusable(session({ chargingStart: '2026-12-07T09:59:40Z' }), query()).should.be.false();
    isReusable(session({ reused: true }), query()).should.be.false();
    isReusable(session({ stoppedAt: '2026-12-07T09:59:50Z' }), query()).should.be.false();
    isReusable(session({ remote: 'accepted' }), query()).should.be.false();
    isReusable(session({ connectorId: 2 }), query()).should.be.false();
    isReusable(session({ authorizedAt: NaN, sessionStart: 'garbage' }), query()).should.be.false();
  });

  it('the newest of several authorizations is taken', function () {
    const old = session({ SessionID: 'old', authorizedAt: NOW - 90_000 });
    const fresh = session({ SessionID: 'fresh', authorizedAt: NOW - 10_000 });
    reusableSession([old, fresh, session({ SessionID: 'used', authorizedAt: NOW - 1000, transactionId: 3 })], query()).SessionID.should.equal('fresh');
    (reusableSession([old], query({ Identification: card('AABBCCDD') })) === undefined).should.be.true();
  });

  it('linking adds the transaction: EvseID, connector, 2.0.1 transactionId, meter start, charging start', function () {
    const linked = linkReusedSession(
      session(),
      { EvseID: 'DE*ABC*ECP1*1', connectorId: 1, transactionId: 'TX-1', meterStart: 500, chargingStart: '2026-12-07T11:00:05+01:00' },
      NOW,
    );
    linked.should.containEql({ EvseID: 'DE*ABC*ECP1*1', connectorId: 1, transactionId: 'TX-1', meterStart: 500, reused: true });
    linked.chargingStart.should.equal('2026-12-07T11:00:05+01:00');
    // SessionStart stays the card tap, written in the charger's offset.
    linked.sessionStart.should.equal('2026-12-07T10:59:30+01:00');
    isReusable(linked, query()).should.be.false();
  });

  it('a transaction stamped before the card tap (the charger clock is behind) moves SessionStart to it', function () {
    const linked = linkReusedSession(session(), { chargingStart: '2026-12-07T09:58:00Z' }, NOW);
    linked.sessionStart.should.equal('2026-12-07T09:58:00Z');
    linked.chargingStart.should.equal('2026-12-07T09:58:00Z');
  });
});
