'use strict';
// The roaming sessions core (src/sessions, issue 22) without Node-RED: identification, AuthorizeStart/Stop bodies,
// the charger's answers, the CDR builder with exact kWh, and the OCPP 1.6 transactionId allocator.
require('should');
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');
const openapi = require('./support/openapi');
const S = require('./fixtures/ocpp/shapes');
const core = require('../nodes/sessions');

const {
  rfidUid,
  identificationFromIdTag,
  identificationFromIdToken,
  normaliseIdentification,
  buildAuthorizeStart,
  buildAuthorizeStop,
  decideAuthorization,
  compileLocalList,
  mayStopLocally,
  readAuthorizationAnswer,
  buildChargeDetailRecord,
  checkChargeDetailRecord,
  readTransactionStart,
  toWh,
  kwhText,
  kwhNumber,
  kwhToWh,
  TransactionIdAllocator,
  MAX_TRANSACTION_ID,
  SessionInputError,
} = core;

// --- Schema checks against Hubject's CPO OpenAPI (test/support/openapi.js has no validator for these three bodies) ---
// Without the file only the schema assertion is left out (the test still runs); CI=true makes a missing file fail.
const CPO_FILE = path.join(openapi.SHARED, 'cpo-2.3-openapi.yaml');
const CI = Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI);
let ajv = null;
let leftOut = 0;
function assertSchema(name, body) {
  if (!fs.existsSync(CPO_FILE)) {
    if (CI) throw new Error(`${name} check needs ${CPO_FILE} (CI=true)`);
    leftOut++;
    return;
  }
  if (!ajv) {
    const spec = YAML.parse(fs.readFileSync(CPO_FILE, 'utf8'));
    // The EvcoID pattern escapes '-', invalid in unicode mode; lengths written as `maximum` are checked in code.
    ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
    addFormats(ajv);
    ajv.addSchema({ components: spec.components }, 'cpo-sessions.json');
  }
  const validate = ajv.getSchema(`cpo-sessions.json#/components/schemas/${name}`);
  if (!validate(body)) throw new Error(`${name} does not validate: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
  // RFIDIdentification MUST NOT be used (spec 03): no body we build carries it.
  JSON.stringify(body).should.not.match(/"RFIDIdentification"/);
}
after(function () {
  if (leftOut) console.log(`\n  sessions-core: ${leftOut} schema assertions left out; ${path.relative(process.cwd(), CPO_FILE)} is missing.`);
});

const OP = { OperatorID: 'DE*ABC', evseIdTemplate: S.TEMPLATE };
const SID = 'b2688855-7f00-0002-6d8e-48d883f6abb6';

/** Asserts fn throws a SessionInputError whose field and message match. */
function throwsField(fn, field, message) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected an error naming ${field}`);
  err.should.be.instanceOf(SessionInputError);
  err.field.should.equal(field);
  if (message) err.message.should.match(message);
  return err;
}

// Charger messages in the shapes the OCPP nodes emit, built from the recorded envelopes.
/** node-red-contrib-ocpp 1.6J: the real recorded envelope (BootNotification line) carrying another command. */
function nrc(command, data, cb = 'CP-E2E') {
  const m = S.nrcLines()[1];
  m.ocpp.chargeBoxIdentity = cb;
  m.ocpp.command = command;
  m.payload = { command, data };
  return m;
}
/** @anl-ioc/node-red-contrib-ocpp2: the fixture's envelope (TransactionEvent line) carrying another command. */
function anl(command, data, cb = 'CS-201') {
  const m = S.ocpp2Lines().find((l) => l.ocpp.command === 'TransactionEvent');
  m.ocpp.cbId = cb;
  m.ocpp.command = command;
  m.payload = { data, command, MessageId: m.ocpp.MessageId };
  m.topic = `${cb}/Request`;
  return m;
}

describe('sessions core: identification', function () {
  it('turns an OCPP idTag into RFIDMifareFamilyIdentification.UID, lower case normalised, 8/14/20 hex only', function () {
    for (const [tag, uid] of [
      ['04a2b3c4', '04A2B3C4'],
      ['04a2b3c4d5e6f7', '04A2B3C4D5E6F7'],
      ['0123456789abcdefABCD', '0123456789ABCDEFABCD'],
      ['DEADBEEF', 'DEADBEEF'],
    ]) {
      identificationFromIdTag(tag).should.eql({ RFIDMifareFamilyIdentification: { UID: uid } });
    }
    for (const bad of ['04A2B3C', '04A2B3C4D', '04A2B3C4D5E6F7A8', '04A2B3G4', ' 04A2B3C4', '04A2-3C4', '', 'x'.repeat(20)]) {
      const e = throwsField(() => identificationFromIdTag(bad), 'idTag', /8, 14 or 20 characters/);
      e.message.should.containEql(`'${bad}'`);
    }
    throwsField(() => identificationFromIdTag(12345678), 'idTag', /12345678/);
    throwsField(() => identificationFromIdTag(undefined), 'idTag');
    // An eMAID in an idTag is not silently taken for a card: the error says what to do.
    throwsField(() => rfidUid('DE-DCB-C12345678-X'), 'idTag', /looks like an EvcoID/);
  });

  it('reads OCPP 2.0.1 idTokens: RFID types as UID, eMAID as PlugAndCharge, or RemoteIdentification for a remote session', function () {
    identificationFromIdToken({ idToken: '04a2b3c4d5e6f7', type: 'ISO14443' }).should.eql({ RFIDMifareFamilyIdentification: { UID: '04A2B3C4D5E6F7' } });
    identificationFromIdToken({ idToken: 'de-dcb-c12345678-x', type: 'eMAID' }).should.eql({ PlugAndChargeIdentification: { EvcoID: 'DE-DCB-C12345678-X' } });
    identificationFromIdToken({ idToken: 'DE-DCB-C12345678-X', type: 'eMAID' }, { remote: true }).should.eql({
      RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' },
    });
    identificationFromIdToken({ idToken: 'DE*DCB*123456*X', type: 'Central' }, { remote: true }).should.eql({
      RemoteIdentification: { EvcoID: 'DE*DCB*123456*X' },
    });
    throwsField(() => identificationFromIdToken({ idToken: 'DE-DCB-C12345678-X', type: 'Central' }), 'idToken', /remote/);
    throwsField(() => identificationFromIdToken({ idToken: '1234', type: 'KeyCode' }), 'idToken', /KeyCode.*cannot be authorised/);
    throwsField(() => identificationFromIdToken({ idToken: '0123456789ABCDEF', type: 'ISO15693' }), 'idToken.idToken', /8, 14 or 20/);
    throwsField(() => identificationFromIdToken({ idToken: 'DE-DCB-12345678', type: 'eMAID' }), 'idToken.idToken', /not an EvcoID/);
    throwsField(() => identificationFromIdToken('04A2B3C4'), 'idToken');
  });

  it('checks an Identification given as OICP, and never accepts RFIDIdentification', function () {
    normaliseIdentification({ RFIDMifareFamilyIdentification: { UID: 'deadbeef' } }).should.eql({ RFIDMifareFamilyIdentification: { UID: 'DEADBEEF' } });
    normaliseIdentification({ QRCodeIdentification: { EvcoID: 'DE-DCB-C12345678-X', PIN: '1234' } }).should.eql({
      QRCodeIdentification: { EvcoID: 'DE-DCB-C12345678-X', PIN: '1234' },
    });
    throwsField(() => normaliseIdentification({ RFIDIdentification: { UID: 'DEADBEEF', RFID: 'mifareCls' } }), 'Identification', /forbids/);
    throwsField(
      () => normaliseIdentification({ RFIDMifareFamilyIdentification: { UID: 'DEADBEEF' }, RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } }),
      'Identification',
      /exactly one/,
    );
    throwsField(() => normaliseIdentification({ QRCodeIdentification: { EvcoID: 'DE-DCB-C12345678-X' } }), 'Identification.QRCodeIdentification', /PIN/);
    throwsField(() => normaliseIdentification({ RFIDMifareFamilyIdentification: { UID: 'DEADBEE' } }), 'Identification.RFIDMifareFamilyIdentification.UID');
  });
});

describe('sessions core: AuthorizeStart and AuthorizeStop bodies', function () {
  it('builds AuthorizeStart from an OCPP 1.6 Authorize in every shape the status parser reads (no connector: no EvseID)', function () {
    const data = () => ({ idTag: '04a2b3c4' });
    const shapes = [
      nrc('Authorize', data()),
      { msgId: 'b0c1', ocpp: { command: 'Authorize', chargeBoxIdentity: 'CP-E2E', ocppVersion: '1.6' }, payload: { command: 'Authorize', data: data() } },
      { chargeBoxId: 'CP-E2E', payload: [2, 'a1', 'Authorize', data()] },
      { topic: 'CP-E2E', payload: JSON.stringify([2, 'a1', 'Authorize', data()]) },
      { topic: 'CP-E2E', payload: { command: 'Authorize', data: data() } },
    ];
    for (const msg of shapes) {
      const r = buildAuthorizeStart(msg, OP);
      r.body.should.eql({ OperatorID: 'DE*ABC', Identification: { RFIDMifareFamilyIdentification: { UID: '04A2B3C4' } } });
      r.family.should.equal(1);
      r.request.chargeBoxId.should.equal('CP-E2E');
      assertSchema('eRoamingAuthorizeStart', r.body);
    }
    // msg.evseId names the EVSE when the charger does not.
    const named = nrc('Authorize', data());
    named.evseId = 'de*abc*e900*7';
    buildAuthorizeStart(named, OP).body.EvseID.should.equal('DE*ABC*E900*7');
  });

  it('reads the start of a transaction (meter start, time, EvseID) from StartTransaction in the SOAP and frame shapes', function () {
    const data = { connectorId: '2', idTag: '04a2b3c4', meterStart: 1500, timestamp: '2026-12-07T10:00:00Z' };
    const soap = {
      msgId: 'b0c1',
      ocpp: { command: 'StartTransaction', chargeBoxIdentity: 'CP-E2E', ocppVersion: '1.6' },
      payload: { command: 'StartTransaction', data },
    };
    readTransactionStart(soap).should.eql({ meterStart: '1500', timestamp: '2026-12-07T10:00:00Z', family: 1, connector: 2 });
    buildAuthorizeStart(soap, OP).body.EvseID.should.equal('DE*ABC*ECP*E2E*2');
    const frame = { chargeBoxId: 'CP-E2E', payload: [2, 'f1', 'StartTransaction', { ...data, connectorId: 3 }] };
    buildAuthorizeStart(frame, OP).body.EvseID.should.equal('DE*ABC*ECP*E2E*3');
    throwsField(() => readTransactionStart(nrc('StartTransaction', { ...data, meterStart: 1.5 })), 'StartTransaction.meterStart');
    throwsField(() => readTransactionStart(nrc('StartTransaction', { ...data, connectorId: -1 })), 'StartTransaction.connectorId');
    throwsField(() => readTransactionStart(nrc('Authorize', { idTag: '04a2b3c4' })), 'command');
  });

  it('builds AuthorizeStart from a StartTransaction (EvseID from the template) and OCPP 2.0.1 Authorize / TransactionEvent', function () {
    const st = buildAuthorizeStart(nrc('StartTransaction', { connectorId: 2, idTag: '04A2B3C4D5E6F7', meterStart: 1000, timestamp: '2026-12-07T10:00:00Z' }), {
      ...OP,
      PartnerProductID: 'AC3',
      CPOPartnerSessionID: 'CP-E2E/2/17',
    });
    st.body.should.eql({
      OperatorID: 'DE*ABC',
      EvseID: 'DE*ABC*ECP*E2E*2',
      Identification: { RFIDMifareFamilyIdentification: { UID: '04A2B3C4D5E6F7' } },
      CPOPartnerSessionID: 'CP-E2E/2/17',
      PartnerProductID: 'AC3',
    });
    assertSchema('eRoamingAuthorizeStart', st.body);

    const a2 = buildAuthorizeStart(anl('Authorize', { idToken: { idToken: 'de-dcb-c12345678-x', type: 'eMAID' } }), OP);
    a2.family.should.equal(2);
    a2.body.should.eql({ OperatorID: 'DE*ABC', Identification: { PlugAndChargeIdentification: { EvcoID: 'DE-DCB-C12345678-X' } } });
    assertSchema('eRoamingAuthorizeStart', a2.body);

    const started = S.ocpp2Lines().find((l) => l.ocpp.command === 'TransactionEvent');
    started.payload.data.triggerReason = 'Authorized';
    started.payload.data.idToken = { idToken: '0a1b2c3d', type: 'ISO14443' };
    const te = buildAuthorizeStart(started, OP);
    te.body.should.eql({ OperatorID: 'DE*ABC', EvseID: 'DE*ABC*ECS*201*1', Identification: { RFIDMifareFamilyIdentification: { UID: '0A1B2C3D' } } });
    assertSchema('eRoamingAuthorizeStart', te.body);
  });

  it('takes a plain {Identification, EvseID} and refuses what cannot be authorised, naming the field', function () {
    const p = buildAuthorizeStart(
      { payload: { Identification: { RFIDMifareFamilyIdentification: { UID: 'deadbeef' } }, EvseID: 'DE*ABC*E1*1', PartnerProductID: 'DC' } },
      OP,
    );
    p.family.should.equal(0);
    p.body.should.eql({
      OperatorID: 'DE*ABC',
      EvseID: 'DE*ABC*E1*1',
      Identification: { RFIDMifareFamilyIdentification: { UID: 'DEADBEEF' } },
      PartnerProductID: 'DC',
    });
    assertSchema('eRoamingAuthorizeStart', p.body);

    throwsField(() => buildAuthorizeStart(nrc('Authorize', { idTag: '04a2b3c' }), OP), 'Authorize.idTag', /'04a2b3c'.*8, 14 or 20/);
    throwsField(() => buildAuthorizeStart(nrc('StopTransaction', { meterStop: 5, timestamp: '2026-12-07T10:00:00Z', transactionId: 1 }), OP), 'command');
    throwsField(
      () =>
        buildAuthorizeStart(
          S.ocpp2Lines().find((l) => l.ocpp.command === 'TransactionEvent'),
          OP,
        ),
      'TransactionEvent.idToken',
      /no idToken/,
    );
    throwsField(() => buildAuthorizeStart(S.nrcLines()[3], OP), 'msg', /status/);
    throwsField(() => buildAuthorizeStart(nrc('Heartbeat', {}), OP), 'command', /Heartbeat/);
    throwsField(
      () => buildAuthorizeStart({ payload: { Identification: { RFIDMifareFamilyIdentification: { UID: 'DEADBEEF' } }, EvseID: 'DE*XYZ*E1*1' } }, OP),
      'EvseID',
      /018/,
    );
    throwsField(() => buildAuthorizeStart(nrc('Authorize', { idTag: 'DEADBEEF' }), { OperatorID: 'DE-ABC' }), 'OperatorID');
    throwsField(() => buildAuthorizeStart(nrc('Authorize', { idTag: 'DEADBEEF' }), { ...OP, PartnerProductID: 'x'.repeat(51) }), 'PartnerProductID', /50/);
    // A charger's answer (CALLRESULT) is not a request.
    const answer = nrc('Authorize', { idTagInfo: { status: 'Accepted' } });
    answer.ocpp.msgType = 3;
    throwsField(() => buildAuthorizeStart(answer, OP), 'command');
  });

  it("builds AuthorizeStop with the session's SessionID, the stopping token, or the session's own when the charger sends none", function () {
    const session = {
      SessionID: SID,
      EvseID: 'DE*ABC*ECP*E2E*1',
      Identification: { RFIDMifareFamilyIdentification: { UID: '04A2B3C4' } },
      CPOPartnerSessionID: 'CP-E2E/1/5',
    };
    const noTag = buildAuthorizeStop(nrc('StopTransaction', { meterStop: 2000, timestamp: '2026-12-07T11:00:00Z', transactionId: 5 }), session, OP);
    noTag.body.should.eql({
      SessionID: SID,
      OperatorID: 'DE*ABC',
      EvseID: 'DE*ABC*ECP*E2E*1',
      Identification: { RFIDMifareFamilyIdentification: { UID: '04A2B3C4' } },
      CPOPartnerSessionID: 'CP-E2E/1/5',
    });
    assertSchema('eRoamingAuthorizeStop', noTag.body);
    const other = buildAuthorizeStop(nrc('Authorize', { idTag: 'aabbccdd' }), session, OP);
    other.body.Identification.should.eql({ RFIDMifareFamilyIdentification: { UID: 'AABBCCDD' } });
    assertSchema('eRoamingAuthorizeStop', other.body);
    const ended = anl('TransactionEvent', {
      eventType: 'Ended',
      timestamp: '2026-12-07T11:00:00Z',
      triggerReason: 'StopAuthorized',
      seqNo: 3,
      transactionInfo: { transactionId: 'tx-1' },
      idToken: { idToken: '0A1B2C3D', type: 'ISO14443' },
    });
    const te = buildAuthorizeStop(ended, session, OP);
    te.family.should.equal(2);
    te.body.Identification.should.eql({ RFIDMifareFamilyIdentification: { UID: '0A1B2C3D' } });
    assertSchema('eRoamingAuthorizeStop', te.body);
    throwsField(() => buildAuthorizeStop(undefined, { ...session, SessionID: 'nope' }, OP), 'session.SessionID', /GUID/);
  });
});

describe("sessions core: the charger's answer", function () {
  const authorized = { AuthorizationStatus: 'Authorized', StatusCode: { Code: '000' }, SessionID: SID, ProviderID: 'DE-DCB' };
  const notAuthorized = (code) => ({
    AuthorizationStatus: 'NotAuthorized',
    StatusCode: { Code: code, Description: null, AdditionalInfo: null },
    SessionID: null,
    ProviderID: null,
  });

  it('maps Authorized to Accepted, with the transactionId the caller assigned for a StartTransaction', function () {
    const d = decideAuthorization({ kind: 'answer', body: authorized }, { family: 1, transactionId: 42 });
    d.ocpp.should.eql({ idTagInfo: { status: 'Accepted' }, transactionId: 42 });
    d.source.should.equal('hubject');
    d.authorized.should.be.true();
    d.answer.SessionID.should.equal(SID);
    decideAuthorization({ kind: 'answer', body: authorized }, { family: 2 }).ocpp.should.eql({ idTokenInfo: { status: 'Accepted' } });
    decideAuthorization({ kind: 'answer', body: authorized }, { family: 0 }).ocpp.should.eql({
      idTagInfo: { status: 'Accepted' },
      idTokenInfo: { status: 'Accepted' },
    });
  });

  it('maps every NotAuthorized code to the documented OCPP 1.6 and 2.0.1 status, as an outcome (never the fallback)', function () {
    const table = {
      102: ['Invalid', 'Invalid'],
      106: ['Invalid', 'Invalid'],
      200: ['Blocked', 'Blocked'],
      210: ['Invalid', 'NotAtThisLocation'],
      300: ['Invalid', 'Unknown'],
      310: ['Invalid', 'Invalid'],
      320: ['Invalid', 'Invalid'],
      '017': ['Invalid', 'Invalid'],
    };
    const listed = compileLocalList(['04a2b3c4']);
    for (const [code, [s16, s201]] of Object.entries(table)) {
      const o = { kind: 'answer', body: notAuthorized(code) };
      const id = { RFIDMifareFamilyIdentification: { UID: '04A2B3C4' } };
      const d16 = decideAuthorization(o, { family: 1, transactionId: 7, localList: listed, identification: id });
      d16.ocpp.should.eql({ idTagInfo: { status: s16 }, transactionId: 7 });
      d16.source.should.equal('hubject');
      d16.reason.should.equal(code);
      decideAuthorization(o, { family: 2, localList: listed, identification: id }).ocpp.should.eql({ idTokenInfo: { status: s201 } });
    }
  });

  it('answers Invalid when Hubject cannot be asked, or Accepted for a UID on the local list', function () {
    const list = compileLocalList('04a2b3c4, DEADBEEF');
    const card = (uid) => ({ RFIDMifareFamilyIdentification: { UID: uid } });
    for (const outcome of [
      { kind: 'timeout' },
      { kind: 'unreachable', error: 'ECONNREFUSED' },
      { kind: 'http', status: 503 },
      { kind: 'http', status: 429 },
      { kind: 'answer', body: '<html>' },
    ]) {
      const plain = decideAuthorization(outcome, { family: 1, identification: card('AABBCCDD') });
      plain.ocpp.should.eql({ idTagInfo: { status: 'Invalid' } });
      plain.source.should.equal('fallback');
      decideAuthorization(outcome, { family: 1, localList: list, identification: card('AABBCCDD') }).ocpp.idTagInfo.status.should.equal('Invalid');
      const fleet = decideAuthorization(outcome, { family: 2, localList: list, identification: card('04A2B3C4') });
      fleet.ocpp.should.eql({ idTokenInfo: { status: 'Accepted' } });
      fleet.source.should.equal('fallback');
    }
    // Hubject refused the request itself (our certificate or body): no fallback, even for a listed card.
    const refused = decideAuthorization({ kind: 'http', status: 401 }, { family: 1, localList: list, identification: card('04A2B3C4') });
    refused.source.should.equal('refused');
    refused.ocpp.should.eql({ idTagInfo: { status: 'Invalid' } });
    // A contract id is never on the list of cards.
    decideAuthorization(
      { kind: 'timeout' },
      { family: 2, localList: list, identification: { PlugAndChargeIdentification: { EvcoID: 'DE-DCB-C12345678-X' } } },
    ).ocpp.idTokenInfo.status.should.equal('Invalid');
    throwsField(() => compileLocalList(['04A2B3C4', 'nothex!!']), 'localList[1]', /'nothex!!'/);
  });

  it('reads AuthorizationStopIdentifications and lets those tokens (and the starting one) stop locally', function () {
    const body = {
      ...authorized,
      AuthorizationStopIdentifications: [
        { RFIDMifareFamilyIdentification: { UID: 'aabbccdd' } },
        { RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } },
        { RFIDIdentification: { UID: 'X' } },
      ],
    };
    const a = readAuthorizationAnswer(body);
    a.AuthorizationStopIdentifications.should.have.length(2);
    const session = {
      Identification: { RFIDMifareFamilyIdentification: { UID: '04A2B3C4' } },
      AuthorizationStopIdentifications: a.AuthorizationStopIdentifications,
    };
    mayStopLocally(session, { RFIDMifareFamilyIdentification: { UID: '04A2B3C4' } }).should.be.true();
    mayStopLocally(session, { RFIDMifareFamilyIdentification: { UID: 'AABBCCDD' } }).should.be.true();
    mayStopLocally(session, { PlugAndChargeIdentification: { EvcoID: 'DEDCBC12345678X' } }).should.be.true();
    mayStopLocally(session, { RFIDMifareFamilyIdentification: { UID: '11223344' } }).should.be.false();
    // Authorized without a SessionID cannot be stopped or billed: it is not taken as an answer.
    decideAuthorization({ kind: 'answer', body: { AuthorizationStatus: 'Authorized', StatusCode: { Code: '000' } } }, { family: 1 }).source.should.equal(
      'fallback',
    );
  });

  it("reads the OpenAPI's own eRoamingAuthorizationStart example", function () {
    openapi.requireOpenApi(this, "the OpenAPI's example");
    const spec = YAML.parse(fs.readFileSync(CPO_FILE, 'utf8'));
    const example = spec.components.schemas.eRoamingAuthorizationStart.example;
    const d = decideAuthorization({ kind: 'answer', body: example }, { family: 1 });
    d.answer.SessionID.should.equal(example.SessionID);
    // Its one entry lists every option; each readable one may stop, RFIDIdentification and the QR code with both PIN
    // and HashedPIN are left out.
    d.answer.AuthorizationStopIdentifications.should.eql([
      { RFIDMifareFamilyIdentification: { UID: '1234ABCD' } },
      { PlugAndChargeIdentification: { EvcoID: 'DE-DCB-C12345678-X' } },
      { RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } },
    ]);
  });
});

describe('sessions core: charge detail records', function () {
  const card = { RFIDMifareFamilyIdentification: { UID: '04A2B3C4' } };
  const session = (extra = {}) => ({
    SessionID: SID,
    ProviderID: 'DE-DCB',
    EvseID: 'DE*ABC*ECP*E2E*1',
    Identification: card,
    CPOPartnerSessionID: 'CP-E2E/1/5',
    meterStart: 1234,
    sessionStart: '2026-12-07T09:59:58.400Z',
    chargingStart: '2026-12-07T10:00:00.900Z',
    timeZone: 'Europe/Berlin',
    ...extra,
  });
  const stop16 = (extra = {}) =>
    nrc('StopTransaction', {
      transactionId: 5,
      meterStop: 13579,
      timestamp: '2026-12-07T11:30:00Z',
      reason: 'Local',
      transactionData: [
        {
          timestamp: '2026-12-07T10:00:00Z',
          sampledValue: [{ value: '1234', context: 'Transaction.Begin', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }],
        },
        {
          timestamp: '2026-12-07T10:30:00Z',
          sampledValue: [
            { value: '5.678', context: 'Sample.Periodic', unit: 'kWh' },
            { value: '230.1', measurand: 'Voltage', unit: 'V' },
            { value: '2.1', measurand: 'Energy.Active.Import.Register', phase: 'L1', unit: 'kWh' },
          ],
        },
        { timestamp: '2026-12-07T11:30:00Z', sampledValue: [{ value: '13579', context: 'Transaction.End' }] },
      ],
      ...extra,
    });

  it('builds the CDR from an OCPP 1.6 StopTransaction: exact kWh, the charger offset (winter +01:00, summer +02:00)', function () {
    const r = buildChargeDetailRecord(session(), stop16(), { PartnerProductID: 'AC1' });
    r.record.should.eql({
      SessionID: SID,
      CPOPartnerSessionID: 'CP-E2E/1/5',
      PartnerProductID: 'AC1',
      EvseID: 'DE*ABC*ECP*E2E*1',
      Identification: card,
      ChargingStart: '2026-12-07T11:00:00+01:00',
      ChargingEnd: '2026-12-07T12:30:00+01:00',
      SessionStart: '2026-12-07T10:59:58+01:00',
      SessionEnd: '2026-12-07T12:30:00+01:00',
      MeterValueStart: 1.234,
      MeterValueEnd: 13.579,
      MeterValueInBetween: { meterValues: [5.678] },
      ConsumedEnergy: 12.345,
    });
    r.exact.should.eql({ MeterValueStart: '1.234', MeterValueEnd: '13.579', ConsumedEnergy: '12.345' });
    r.transactionId.should.equal(5);
    JSON.stringify(r.record).should.containEql('"ConsumedEnergy":12.345');
    assertSchema('eRoamingChargeDetailRecord', r.record);
    // The session's PartnerProductID wins over the default; summer time gives +02:00.
    const summer = buildChargeDetailRecord(
      session({ PartnerProductID: 'DC', sessionStart: '2026-07-01T08:00:00Z', chargingStart: undefined }),
      stop16({ timestamp: '2026-07-01T09:00:00.999Z', transactionData: undefined }),
      { PartnerProductID: 'AC1' },
    );
    summer.record.SessionStart.should.equal('2026-07-01T10:00:00+02:00');
    summer.record.ChargingStart.should.equal('2026-07-01T10:00:00+02:00');
    summer.record.SessionEnd.should.equal('2026-07-01T11:00:00+02:00');
    summer.record.PartnerProductID.should.equal('DC');
    assertSchema('eRoamingChargeDetailRecord', summer.record);
  });

  it("keeps the charger's own offset when the session names no zone, and refuses bare UTC then", function () {
    const own = buildChargeDetailRecord(
      session({ timeZone: undefined, sessionStart: '2026-12-07T10:59:58-05:00', chargingStart: undefined }),
      { meterStop: 2234, timestamp: '2026-12-07T12:00:00-05:00', transactionId: 9 },
      {},
    );
    own.record.SessionStart.should.equal('2026-12-07T10:59:58-05:00');
    own.record.SessionEnd.should.equal('2026-12-07T12:00:00-05:00');
    own.record.ConsumedEnergy.should.equal(1);
    buildChargeDetailRecord(session({ timeZone: undefined, utcOffset: '+05:30' }), stop16(), {}).record.SessionEnd.should.equal('2026-12-07T17:00:00+05:30');
    throwsField(() => buildChargeDetailRecord(session({ timeZone: undefined }), stop16(), {}), 'SessionStart', /UTC \(Z\).*timeZone/);
    throwsField(() => buildChargeDetailRecord(session({ timeZone: 'Mars/Olympus' }), stop16(), {}), 'session.timeZone', /IANA/);
  });

  it('builds the CDR from an OCPP 2.0.1 TransactionEvent Ended with signed meter values', function () {
    const started = anl('TransactionEvent', {
      eventType: 'Started',
      timestamp: '2026-12-07T10:00:00.000Z',
      triggerReason: 'Authorized',
      seqNo: 0,
      transactionInfo: { transactionId: 'tx-1' },
      evse: { id: 1, connectorId: 1 },
      idToken: { idToken: '0A1B2C3D', type: 'ISO14443' },
      meterValue: [{ timestamp: '2026-12-07T10:00:00.000Z', sampledValue: [{ value: 100.5, context: 'Transaction.Begin', unitOfMeasure: { unit: 'kWh' } }] }],
    });
    const start = readTransactionStart(started);
    start.should.eql({ meterStart: '100500', timestamp: '2026-12-07T10:00:00.000Z', transactionId: 'tx-1', family: 2, connector: 1 });
    const ended = anl('TransactionEvent', {
      eventType: 'Ended',
      timestamp: '2026-12-07T10:45:00.000Z',
      triggerReason: 'EVCommunicationLost',
      seqNo: 4,
      transactionInfo: { transactionId: 'tx-1', stoppedReason: 'EVDisconnected' },
      meterValue: [
        {
          timestamp: '2026-12-07T10:45:00.000Z',
          sampledValue: [
            {
              value: 1.2345,
              context: 'Transaction.End',
              unitOfMeasure: { unit: 'Wh', multiplier: 5 },
              signedMeterValue: { signedMeterData: 'OCMF|{"RD":[{"RV":123.45}]}|{"SD":"3045"}', signingMethod: '', encodingMethod: 'OCMF', publicKey: '' },
            },
          ],
        },
      ],
    });
    const r = buildChargeDetailRecord(session({ meterStart: start.meterStart, sessionStart: start.timestamp, chargingStart: undefined }), ended, {
      signedMeteringRequired: true,
      CalibrationLawVerificationInfo: { MeteringSignatureEncodingFormat: 'OCMF' },
    });
    r.exact.should.eql({ MeterValueStart: '100.500', MeterValueEnd: '123.450', ConsumedEnergy: '22.950' });
    r.record.ConsumedEnergy.should.equal(22.95);
    r.record.SignedMeteringValues.should.eql([{ SignedMeteringValue: 'OCMF|{"RD":[{"RV":123.45}]}|{"SD":"3045"}', MeteringStatus: 'End' }]);
    r.record.CalibrationLawVerificationInfo.should.eql({ MeteringSignatureEncodingFormat: 'OCMF' });
    r.transactionId.should.equal('tx-1');
    assertSchema('eRoamingChargeDetailRecord', r.record);
    throwsField(
      () => buildChargeDetailRecord(session(), anl('TransactionEvent', { eventType: 'Updated', timestamp: '2026-12-07T10:45:00Z' }), {}),
      'TransactionEvent.eventType',
    );
    throwsField(
      () =>
        buildChargeDetailRecord(
          session(),
          anl('TransactionEvent', { eventType: 'Ended', timestamp: '2026-12-07T10:45:00Z', transactionInfo: { transactionId: 'tx-1' } }),
          {},
        ),
      'MeterValueEnd',
      /no Energy.Active.Import.Register/,
    );
  });

  it('requires SignedMeteringValues when CalibrationLawDataAvailability is External; keeps at most 10 of at most 3,000 characters', function () {
    throwsField(() => buildChargeDetailRecord(session(), stop16(), { signedMeteringRequired: true }), 'SignedMeteringValues', /External/);
    const signed = (ctx, i) => ({
      timestamp: `2026-12-07T10:${String(10 + i).padStart(2, '0')}:00Z`,
      sampledValue: [{ value: `SIG-${ctx}-${i}`, format: 'SignedData', context: ctx }],
    });
    const data = [signed('Transaction.Begin', 0), ...Array.from({ length: 11 }, (_, i) => signed('Sample.Periodic', i + 1)), signed('Transaction.End', 12)];
    const r = buildChargeDetailRecord(session(), stop16({ transactionData: data }), { signedMeteringRequired: true });
    const list = r.record.SignedMeteringValues;
    list.should.have.length(10);
    list[0].should.eql({ SignedMeteringValue: 'SIG-Transaction.Begin-0', MeteringStatus: 'Start' });
    list[9].should.eql({ SignedMeteringValue: 'SIG-Transaction.End-12', MeteringStatus: 'End' });
    list
      .slice(1, 9)
      .map((s) => s.SignedMeteringValue)
      .should.eql(Array.from({ length: 8 }, (_, i) => `SIG-Sample.Periodic-${i + 4}`));
    r.warnings.should.eql(['3 of 13 signed metering values left out: OICP takes at most 10']);
    assertSchema('eRoamingChargeDetailRecord', r.record);
    const long = [{ timestamp: '2026-12-07T11:30:00Z', sampledValue: [{ value: 'x'.repeat(3001), format: 'SignedData', context: 'Transaction.End' }] }];
    throwsField(() => buildChargeDetailRecord(session(), stop16({ transactionData: long }), {}), 'SignedMeteringValues[0]', /3001 characters.*3000/);
    const ok = [{ timestamp: '2026-12-07T11:30:00Z', sampledValue: [{ value: 'x'.repeat(3000), format: 'SignedData', context: 'Transaction.End' }] }];
    buildChargeDetailRecord(session(), stop16({ transactionData: ok }), {}).record.SignedMeteringValues[0].SignedMeteringValue.should.have.length(3000);
  });

  it('fails a CDR that cannot be built with an error naming the field, and never returns part of one', function () {
    const s = session();
    const before = JSON.stringify(s);
    throwsField(() => buildChargeDetailRecord(s, stop16({ meterStop: undefined }), {}), 'MeterValueEnd', /no meterStop/);
    throwsField(() => buildChargeDetailRecord(s, stop16({ meterStop: 1000 }), {}), 'MeterValueEnd', /below MeterValueStart 1.234/);
    throwsField(() => buildChargeDetailRecord(s, stop16({ meterStop: -1 }), {}), 'StopTransaction.meterStop', /negative/);
    throwsField(() => buildChargeDetailRecord(s, stop16({ timestamp: '2026-12-07T09:00:00Z' }), {}), 'ChargingEnd', /before ChargingStart/);
    throwsField(() => buildChargeDetailRecord(s, stop16({ timestamp: 'yesterday' }), {}), 'SessionEnd', /ISO 8601/);
    throwsField(() => buildChargeDetailRecord(session({ SessionID: undefined }), stop16(), {}), 'SessionID');
    throwsField(() => buildChargeDetailRecord(session({ EvseID: 'nope' }), stop16(), {}), 'EvseID');
    throwsField(() => buildChargeDetailRecord(session({ Identification: { RFIDIdentification: { UID: '04A2B3C4' } } }), stop16(), {}), 'Identification');
    throwsField(() => buildChargeDetailRecord(session({ meterStart: 'abc' }), stop16(), {}), 'MeterValueStart');
    throwsField(() => buildChargeDetailRecord(session({ CPOPartnerSessionID: 'x'.repeat(251) }), stop16(), {}), 'CPOPartnerSessionID', /250/);
    throwsField(
      () => buildChargeDetailRecord(s, stop16({ transactionData: [{ timestamp: '2026-12-07T11:00:00Z', sampledValue: [{ value: 'n/a' }] }] }), {}),
      'StopTransaction.transactionData[0].sampledValue[0].value',
    );
    throwsField(() => buildChargeDetailRecord(s, nrc('Authorize', { idTag: '04A2B3C4' }), {}), 'command');
    JSON.stringify(s).should.equal(before);
  });

  it('checks a complete OICP ChargeDetailRecord given directly, naming each missing or bad field', function () {
    const cdr = {
      SessionID: SID,
      EvseID: 'DE*ABC*E1*1',
      Identification: { RemoteIdentification: { EvcoID: 'DE-DCB-C12345678-X' } },
      ChargingStart: '2026-12-07T11:00:00+01:00',
      ChargingEnd: '2026-12-07T12:00:00+01:00',
      SessionStart: '2026-12-07T10:59:00+01:00',
      SessionEnd: '2026-12-07T12:01:00+01:00',
      MeterValueStart: 0.1,
      MeterValueEnd: '0.3',
      ConsumedEnergy: 0.2,
      PartnerProductID: 'AC1',
    };
    const r = checkChargeDetailRecord(cdr);
    r.record.MeterValueEnd.should.equal(0.3);
    r.exact.ConsumedEnergy.should.equal('0.200');
    assertSchema('eRoamingChargeDetailRecord', r.record);
    for (const k of ['SessionID', 'EvseID', 'Identification', 'ChargingStart', 'ChargingEnd', 'SessionStart', 'SessionEnd', 'ConsumedEnergy']) {
      const bad = { ...cdr };
      delete bad[k];
      throwsField(() => checkChargeDetailRecord(bad), k);
    }
    throwsField(() => checkChargeDetailRecord({ ...cdr, ConsumedEnergy: 0.21 }), 'ConsumedEnergy', /not MeterValueEnd - MeterValueStart = 0.200/);
    throwsField(() => checkChargeDetailRecord({ ...cdr, MeterValueStart: undefined, ConsumedEnergy: 0.2001 }), 'ConsumedEnergy', /more than 3 decimals/);
    throwsField(() => checkChargeDetailRecord({ ...cdr, SessionEnd: '2026-12-07T11:01:00Z' }), 'SessionEnd', /UTC \(Z\)/);
    throwsField(() => checkChargeDetailRecord({ ...cdr, ConsumedEnergie: 1 }), 'ConsumedEnergie');
    throwsField(() => checkChargeDetailRecord(cdr, { signedMeteringRequired: true }), 'SignedMeteringValues', /External/);
    const many = Array.from({ length: 11 }, (_, i) => ({ SignedMeteringValue: `S${i}` }));
    throwsField(() => checkChargeDetailRecord({ ...cdr, SignedMeteringValues: many }), 'SignedMeteringValues', /at most 10/);
    throwsField(
      () => checkChargeDetailRecord({ ...cdr, CalibrationLawVerificationInfo: { PublicKey: 'k'.repeat(1001) } }),
      'CalibrationLawVerificationInfo.PublicKey',
      /1000/,
    );
    throwsField(() => checkChargeDetailRecord({ ...cdr, HubProviderID: 'nope!' }), 'HubProviderID');
  });
});

describe('sessions core: exact kWh arithmetic', function () {
  // A small seeded generator, so a failure can be reproduced.
  function rng(seed) {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s ^ (s >>> 15), 1 | s) + 0x6d2b79f5) >>> 0;
      return s;
    };
  }
  const ref = (wh) => `${wh / 1000n}.${String(wh % 1000n).padStart(3, '0')}`;
  const json = (text) => text.replace(/\.?0+$/, '');

  it('10,000 random Wh pairs: ConsumedEnergy is exactly MeterValueEnd - MeterValueStart, with no float drift in the JSON', function () {
    const next = rng(22);
    let naiveDrift = 0;
    for (let i = 0; i < 10000; i++) {
      // Up to 2^31 Wh (OCPP 1.6 integers) for most, up to ~10^14 Wh for some.
      const big = i % 10 === 0;
      const a = big ? BigInt(next()) * 23283n + BigInt(next() % 1000) : BigInt(next() % 2147483648);
      const b = a + (big ? BigInt(next()) * 1000n + BigInt(next() % 1000) : BigInt(next() % 200000));
      const start = Number(a);
      const end = Number(b);
      const r = buildChargeDetailRecord(
        {
          SessionID: SID,
          EvseID: 'DE*ABC*E1*1',
          Identification: { RFIDMifareFamilyIdentification: { UID: 'DEADBEEF' } },
          meterStart: start,
          sessionStart: '2026-12-07T10:00:00+01:00',
        },
        { meterStop: end, timestamp: '2026-12-07T11:00:00+01:00', transactionId: 1 },
      );
      r.exact.ConsumedEnergy.should.equal(ref(b - a));
      r.exact.MeterValueStart.should.equal(ref(a));
      r.exact.MeterValueEnd.should.equal(ref(b));
      const text = JSON.stringify(r.record);
      text.should.containEql(`"ConsumedEnergy":${json(ref(b - a))}}`);
      text.should.containEql(`"MeterValueStart":${json(ref(a))},`);
      text.should.containEql(`"MeterValueEnd":${json(ref(b))},`);
      kwhToWh(r.record.ConsumedEnergy, 'x').should.equal(b - a);
      kwhToWh(r.record.MeterValueEnd, 'x').should.equal(b);
      if (String(end / 1000 - start / 1000) !== json(ref(b - a))) naiveDrift++;
    }
    // The same numbers in plain floating point drift: the check above would catch a float implementation.
    naiveDrift.should.be.above(1000);
  });

  it('reads OCPP readings in Wh, kWh and with 2.0.1 multipliers exactly, rounding below 1 Wh half up', function () {
    toWh(1234, 'v').should.equal(1234n);
    toWh('1234', 'v').should.equal(1234n);
    toWh('12.345', 'v', 'kWh').should.equal(12345n);
    toWh(0.1 + 0.2, 'v', 'kWh').should.equal(300n); // 0.30000000000000004 kWh is 300 Wh
    toWh(1.2345, 'v', 'Wh', 5).should.equal(123450n);
    toWh('0.0005', 'v', 'kWh').should.equal(1n);
    toWh('0.0004999', 'v', 'kWh').should.equal(0n);
    toWh('1e3', 'v').should.equal(1000n);
    toWh('.5', 'v', 'kWh').should.equal(500n);
    kwhText(5n).should.equal('0.005');
    kwhText(0n).should.equal('0.000');
    kwhNumber(999999999999999n).should.equal(999999999999.999);
    JSON.stringify(kwhNumber(999999999999999n)).should.equal('999999999999.999');
    throwsField(() => toWh('1000000000000', 'v', 'kWh'), 'v', /larger than any meter/);
    throwsField(() => toWh('12', 'v', 'MWh'), 'v', /Wh or kWh/);
    throwsField(() => toWh(NaN, 'v'), 'v', /finite/);
    throwsField(() => toWh('12,5', 'v'), 'v', /decimal/);
    throwsField(() => kwhToWh('1.0001', 'ConsumedEnergy'), 'ConsumedEnergy', /3 decimals/);
    kwhToWh('1.0000', 'c').should.equal(1000n);
  });
});

describe("sessions core: the charger's offset", function () {
  // EU rule, written out independently of Intl: summer time from the last Sunday of March 01:00 UTC to the last
  // Sunday of October 01:00 UTC.
  const lastSunday = (y, m) => {
    const d = new Date(Date.UTC(y, m + 1, 0, 1));
    return d.getTime() - d.getUTCDay() * 86400000;
  };
  const berlin = (ms) => {
    const y = new Date(ms).getUTCFullYear();
    return ms >= lastSunday(y, 2) && ms < lastSunday(y, 9) ? 120 : 60;
  };

  it('2,000 random instants and every switch 2024-2030: Europe/Berlin gets +01:00 or +02:00 exactly as the EU rule says', function () {
    let s = 7;
    const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
    const instants = [];
    for (let i = 0; i < 2000; i++) instants.push(Date.UTC(2024, 0, 1) + (next() % (7 * 365 * 86400)) * 1000);
    for (let y = 2024; y <= 2030; y++) for (const t of [lastSunday(y, 2), lastSunday(y, 9)]) instants.push(t - 1000, t, t + 1000);
    for (const ms of instants) {
      const off = berlin(ms);
      const text = core.chargerTime(new Date(ms).toISOString(), { timeZone: 'Europe/Berlin' }, 'T').text;
      text.should.equal(core.formatWithOffset(ms, off));
      text.should.endWith(off === 120 ? '+02:00' : '+01:00');
      // The same instant: the text reads back to the second.
      Date.parse(text).should.equal(Math.floor(ms / 1000) * 1000);
    }
  });
});

describe('sessions core: OCPP 1.6 transactionId allocator', function () {
  it('hands out unique, increasing ids and continues after the last persisted one', function () {
    const a = new TransactionIdAllocator();
    const seen = new Set();
    let prev = 0;
    for (let i = 0; i < 10000; i++) {
      const id = a.next();
      id.should.be.above(prev);
      seen.has(id).should.be.false();
      seen.add(id);
      prev = id;
    }
    a.last.should.equal(10000);
    // After a restart: the persisted last value, never an id handed out before.
    const b = new TransactionIdAllocator(a.last);
    b.next().should.equal(10001);
    b.observe(20000);
    b.next().should.equal(20001);
    b.observe(5);
    b.next().should.equal(20002);
  });

  it('refuses an unusable persisted value and never wraps around', function () {
    for (const bad of [-1, 1.5, '7', MAX_TRANSACTION_ID + 1, NaN]) (() => new TransactionIdAllocator(bad)).should.throw(/not an integer/);
    new TransactionIdAllocator(null).next().should.equal(1);
    const a = new TransactionIdAllocator(MAX_TRANSACTION_ID - 1);
    a.next().should.equal(MAX_TRANSACTION_ID);
    (() => a.next()).should.throw(/exhausted/);
    a.last.should.equal(MAX_TRANSACTION_ID);
  });
});
