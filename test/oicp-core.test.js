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
    for (const v of ['DE*ABC*1', 'DE*ABC*E', 'DE*ABC*E_1', 'DE*ABC*E' + 'X'.repeat(31), '+49*810', '', undefined])
      ids.parseEvseId(v).ok.should.be.false(String(v));
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
    for (const f of [
      'pushEvseStatus.request.fullLoad.json',
      'pushEvseStatus.request.single-update.json',
      'pushEvseStatus.request.fullLoad-empty-clears-all.json',
    ]) {
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
    const expect = {
      '000': 'success',
      '001': 'transient',
      '002': 'transient',
      '009': 'transient',
      '017': 'config',
      '018': 'data',
      '019': 'data',
      '021': 'transient',
      '022': 'data',
      300: 'config',
      310: 'transient',
      320: 'transient',
    };
    for (const [c, cls] of Object.entries(expect)) codes.codeInfo(c).class.should.equal(cls, c);
    // A code missing from the table is never a data fault by default: the HTTP status decides.
    codes.classifyAnswer(500, '999').should.equal('transient');
    codes.classifyAnswer(401, '999').should.equal('config');
  });
  it('classify HTTP statuses and errors', function () {
    const cls = (s) => codes.classifyHttpStatus(s).class;
    [cls(200), cls(400), cls(401), cls(403), cls(404), cls(408), cls(429), cls(500), cls(503)].should.eql([
      'success',
      'data',
      'config',
      'config',
      'config',
      'transient',
      'transient',
      'transient',
      'transient',
    ]);
    codes.parseRetryAfter('12').should.equal(12000);
    codes.parseRetryAfter(new Date(Date.now() + 5000).toUTCString()).should.be.within(3000, 5000);
    codes.classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).should.match({ class: 'transient', reason: /connection refused/ });
    codes
      .classifyError({ message: 'fetch failed', cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } })
      .should.match({ class: 'config', reason: /not trusted/ });
    codes.classifyError({ code: 'UND_ERR_HEADERS_TIMEOUT' }).should.match({ class: 'transient', reason: /timeout/ });
  });
});

describe('client certificate checks', function () {
  this.timeout(30000);
  const fs = require('fs');
  const { getCerts } = require('./support/sim');
  const cert = require('../nodes/oicp/certificate');
  let certs;
  before(function () {
    certs = getCerts(['DE*ABC', '+49*536']);
  });

  it('reads the OperatorID from the subject CN, DIN ids included', function () {
    cert.certOperatorId(fs.readFileSync(certs.clients['DE*ABC'].cert)).should.equal('DE*ABC');
    cert.certOperatorId(fs.readFileSync(certs.clients['+49*536'].cert)).should.equal('+49*536');
    (cert.certOperatorId('not a certificate') === undefined).should.be.true();
    (cert.certOperatorId(fs.readFileSync(certs.caCert)) === undefined).should.be.true();
  });

  it('finds an expired or unreadable client certificate before Hubject does', function () {
    (cert.clientCertificateProblem(fs.readFileSync(certs.clients['DE*ABC'].cert)) === undefined).should.be.true();
    cert
      .clientCertificateProblem(fs.readFileSync(certs.expiredClientCert))
      .should.match(/^client certificate expired on \d{4}-\d{2}-\d{2}: renew it with Hubject/);
    cert.clientCertificateProblem('-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----').should.match(/cannot be read as PEM/);
    cert.clientCertificateProblem(fs.readFileSync(certs.clients['DE*ABC'].cert), Date.parse('2000-01-01')).should.match(/not valid before/);
  });
});

describe('evseKeyHash and sameEvse (evseKey without building the key)', function () {
  // Seeded spellings around a few EVSEs: case, optional '*', DIN '+', non-ASCII that upper-cases to ASCII.
  function rng(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const bases = ['DE*ABC*E1*2', 'DEABCE12', 'DE*ABC*E12', 'DE*ABD*E12', '+49*536*1*2', '49*536*1*2', '49*536*12', '+49*536*1*3', 'AT*XYZ*EFOO', 'ATXYZEFOO*'];
  function variant(r, s) {
    let out = '';
    for (const ch of s) {
      const x = r();
      if (ch === '*' && x < 0.3) continue; // drop an optional-looking star
      out += x < 0.5 ? ch.toLowerCase() : ch;
      if (r() < 0.1) out += '*';
    }
    if (r() < 0.1) out = '+' + out;
    if (r() < 0.05) out = out.replace(/s/i, '\u017f'); // LATIN SMALL LETTER LONG S upper-cases to 'S'
    return out;
  }

  it('agrees with evseKey equality on 20,000 seeded pairs, and equal keys hash alike', function () {
    const r = rng(7);
    let equalPairs = 0;
    for (let n = 0; n < 20000; n++) {
      const a = variant(r, bases[Math.floor(r() * bases.length)]);
      const b = variant(r, bases[Math.floor(r() * bases.length)]);
      const same = ids.evseKey(a) === ids.evseKey(b);
      if (ids.sameEvse(a, b) !== same) throw new Error(`sameEvse(${JSON.stringify(a)}, ${JSON.stringify(b)}) should be ${same}`);
      if (same) {
        equalPairs++;
        ids.evseKeyHash(a).should.equal(ids.evseKeyHash(b));
      }
    }
    equalPairs.should.be.above(1000); // the corpus really exercises the equal case
  });

  it('treats the documented spellings as one EVSE and different ones apart', function () {
    ids.sameEvse('DE*AB7*E840*6487', 'deab7e8406487').should.be.true();
    ids.sameEvse('+49*536*1*1', '49*536*1*1').should.be.true();
    ids.sameEvse('49*536*1*1', '49*536*11').should.be.false(); // in DIN the '*' is not optional
    ids.sameEvse('DE*ABC*E1', 'DE*ABC*E10').should.be.false();
    ids.sameEvse('', '*').should.equal(ids.evseKey('') === ids.evseKey('*'));
  });
});
