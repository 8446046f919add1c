'use strict';
require('should');
const ids = require('../nodes/oicp/ids');
const schemas = require('../nodes/oicp/schemas');
const codes = require('../nodes/oicp/codes');
const { readExample, isValidPushEvseStatus } = require('./support/openapi');

describe('OICP ids', function () {
  it('accepts ISO and DIN OperatorIDs, upper-cased, and rejects the rest', function () {
    for (const v of ['DE*ABC', 'deabc', 'DE*A36', '+49*536', '49*536']) ids.parseOperatorId(v).ok.should.be.true(v);
    ids.parseOperatorId('de*abc').should.eql({ ok: true, value: 'DE*ABC' });
    for (const v of ['', 'DE*AB', 'DE**ABC', 'D1*ABC', '+49536', 'DE*ABCD', null, 42, {}]) ids.parseOperatorId(v).ok.should.be.false(String(v));
  });
  it('accepts ISO and DIN EvseIDs and enforces the pattern and length', function () {
    for (const v of ['DE*AB7*E840*6487', 'DEAB7E8406487', '+49*810*000*438', 'de*abc*e1']) ids.parseEvseId(v).ok.should.be.true(v);
    ids.parseEvseId('de*abc*e1').should.eql({ ok: true, value: 'DE*ABC*E1' });
    for (const v of ['DE*ABC*1', 'DE*ABC*E', 'DE*ABC*E_1', 'DE*ABC*E' + 'X'.repeat(31), '+49*810', '', undefined]) ids.parseEvseId(v).ok.should.be.false(String(v));
    ids.parseEvseId('DE*ABC*E_1').error.should.equal("EvseID 'DE*ABC*E_1' does not match the OICP pattern");
  });
  it('checks that an EvseID belongs to its operator', function () {
    ids.evseBelongsToOperator('DE*ABC*E123*1', 'DE*ABC').should.be.true();
    ids.evseBelongsToOperator('DE*ABC*E123*1', 'DEABC').should.be.true();
    ids.evseBelongsToOperator('DEABCE1231', 'DE*ABC').should.be.true();
    ids.evseBelongsToOperator('DE*ABC*E123*1', 'DE*XYZ').should.be.false();
    ids.evseBelongsToOperator('+49*810*000*438', '+49*810').should.be.true();
    ids.evseBelongsToOperator('+49*810*000*438', '49*810').should.be.true();
    ids.evseBelongsToOperator('+49*811*000*438', '+49*810').should.be.false();
    ids.evseBelongsToOperator('DE*ABC*E1', '+49*810').should.be.false();
  });
  it('keys EVSEs ignoring case and the optional star', function () {
    ids.evseKey('DE*AB7*E840*6487').should.equal(ids.evseKey('deab7e8406487'));
    ids.cleanIdPart('cp-e2e.01').should.equal('CP*E2E*01');
  });
});

describe('OICP schemas', function () {
  it('accept the official push examples', function () {
    for (const f of ['pushEvseStatus.request.fullLoad.json', 'pushEvseStatus.request.single-update.json', 'pushEvseStatus.request.fullLoad-empty-clears-all.json']) {
      const body = readExample(f);
      schemas.PushEvseStatusRequestSchema.safeParse(body).success.should.be.true(f);
      isValidPushEvseStatus(body).should.be.true(f);
    }
  });
  it('reject broken bodies', function () {
    const good = readExample('pushEvseStatus.request.single-update.json');
    const broken = [
      { ...good, ActionType: 'upsert' },
      { ...good, OperatorEvseStatus: { ...good.OperatorEvseStatus, OperatorID: 'DE_ABC' } },
      { ...good, OperatorEvseStatus: { ...good.OperatorEvseStatus, EvseStatusRecord: [{ EvseID: 'DE*ABC*E1', EvseStatus: 'Busy' }] } },
      { ...good, OperatorEvseStatus: { ...good.OperatorEvseStatus, EvseStatusRecord: [{ EvseStatus: 'Available' }] } },
      { ...good, OperatorEvseStatus: { ...good.OperatorEvseStatus, OperatorName: 'x'.repeat(101) } },
      { OperatorEvseStatus: good.OperatorEvseStatus },
    ];
    for (const b of broken) schemas.PushEvseStatusRequestSchema.safeParse(b).success.should.be.false(JSON.stringify(b));
  });
  it('parse acknowledgements leniently, including nulls', function () {
    schemas.AcknowledgementSchema.safeParse(readExample('pushEvseStatus.response.observed-200.json')).success.should.be.true();
    schemas.AcknowledgementSchema.safeParse(readExample('pushEvseStatus.response.json')).success.should.be.true();
    schemas.AcknowledgementSchema.safeParse({ Result: 'yes' }).success.should.be.false();
  });
});

describe('OICP status codes', function () {
  it('classify every listed code', function () {
    const expect = { '000': 'success', '001': 'transient', '002': 'transient', '009': 'transient', '017': 'config', '018': 'data', '019': 'data', '021': 'transient', '022': 'data', '300': 'config', '310': 'transient', '320': 'transient' };
    for (const [c, cls] of Object.entries(expect)) codes.codeInfo(c).class.should.equal(cls, c);
    codes.codeInfo('999').class.should.equal('data');
  });
  it('classify HTTP statuses and errors', function () {
    const cls = (s) => codes.classifyHttpStatus(s).class;
    [cls(200), cls(400), cls(401), cls(403), cls(404), cls(408), cls(429), cls(500), cls(503)].should.eql(['success', 'data', 'config', 'config', 'config', 'transient', 'transient', 'transient', 'transient']);
    codes.parseRetryAfter('12').should.equal(12000);
    codes.parseRetryAfter(new Date(Date.now() + 5000).toUTCString()).should.be.within(3000, 5000);
    codes.classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).should.match({ class: 'transient', reason: /connection refused/ });
    codes.classifyError({ message: 'fetch failed', cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } }).should.match({ class: 'config', reason: /not trusted/ });
    codes.classifyError({ code: 'UND_ERR_HEADERS_TIMEOUT' }).should.match({ class: 'transient', reason: /timeout/ });
  });
});

describe('client certificate checks', function () {
  this.timeout(30000);
  const fs = require('fs');
  const { getCerts } = require('./support/sim');
  const cert = require('../nodes/oicp/certificate');
  let certs;
  before(function () { certs = getCerts(['DE*ABC', '+49*536']); });

  it('reads the OperatorID from the subject CN, DIN ids included', function () {
    cert.certOperatorId(fs.readFileSync(certs.clients['DE*ABC'].cert)).should.equal('DE*ABC');
    cert.certOperatorId(fs.readFileSync(certs.clients['+49*536'].cert)).should.equal('+49*536');
    (cert.certOperatorId('not a certificate') === undefined).should.be.true();
    (cert.certOperatorId(fs.readFileSync(certs.caCert)) === undefined).should.be.true();
  });

  it('finds an expired or unreadable client certificate before Hubject does', function () {
    (cert.clientCertificateProblem(fs.readFileSync(certs.clients['DE*ABC'].cert)) === undefined).should.be.true();
    cert.clientCertificateProblem(fs.readFileSync(certs.expiredClientCert)).should.match(/^client certificate expired on \d{4}-\d{2}-\d{2}: renew it with Hubject/);
    cert.clientCertificateProblem('-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----').should.match(/cannot be read as PEM/);
    cert.clientCertificateProblem(fs.readFileSync(certs.clients['DE*ABC'].cert), Date.parse('2000-01-01')).should.match(/not valid before/);
  });
});
