'use strict';
// The client's operation table: paths, and how each operation's answers are classified. No network.
require('should');
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const ops = require('../nodes/oicp/operations');
const { interpretAnswer, interpretResponse, pushStatusUrl, pushDataUrl } = require('../nodes/oicp/client');
const openapi = require('./support/openapi');

const authz = (status, code, extra = {}) =>
  JSON.stringify({
    AuthorizationStatus: status,
    StatusCode: { Code: code, Description: null, AdditionalInfo: null },
    SessionID: 'b2688262-1f33-4a47-9a3d-4a8b2b0b1b39',
    ProviderID: 'DE-DCB',
    ...extra,
  });
const classifyStart = (text, http = 200) => interpretAnswer(ops.OPERATIONS.authorizeStart.classify, http, text, undefined, 'p', 1);

describe('OICP operation table (src/oicp/operations.ts)', function () {
  it('names every operation with its path and version, and builds its URL with the OperatorID encoded', function () {
    Object.keys(ops.OPERATIONS).should.eql(['status', 'data', 'authorizeStart', 'authorizeStop', 'chargeDetailRecord']);
    ops.operationUrl('https://h/api/oicp/', 'authorizeStart', 'DE*ABC').should.equal('https://h/api/oicp/charging/v21/operators/DE%2AABC/authorize/start');
    ops.operationUrl('https://h/api/oicp', 'authorizeStop', 'DE*ABC').should.equal('https://h/api/oicp/charging/v21/operators/DE%2AABC/authorize/stop');
    ops
      .operationUrl('https://h/api/oicp', 'chargeDetailRecord', 'DE*ABC')
      .should.equal('https://h/api/oicp/cdrmgmt/v22/operators/DE%2AABC/charge-detail-record');
    pushStatusUrl('https://h/api/oicp', 'DE*ABC').should.equal('https://h/api/oicp/evsepush/v21/operators/DE%2AABC/status-records');
    pushDataUrl('https://h/api/oicp', 'DE*ABC').should.equal('https://h/api/oicp/evsepush/v23/operators/DE%2AABC/data-records');
    for (const [name, spec] of Object.entries(ops.OPERATIONS)) spec.path.should.containEql(`/${spec.version}/`, name);
  });

  it('matches a request path to its operation (trailing slash allowed, nothing else)', function () {
    ops.matchOperationPath('status', '/api/oicp/evsepush/v21/operators/DE%2AABC/status-records').should.equal('DE%2AABC');
    ops.matchOperationPath('status', '/api/oicp/evsepush/v21/operators/DE%2AABC/status-records/').should.equal('DE%2AABC');
    (ops.matchOperationPath('status', '/api/oicp/evsepush/v23/operators/DE%2AABC/status-records') === null).should.be.true();
    (ops.matchOperationPath('data', '/api/oicp/evsepush/v23/operators/a/b/data-records') === null).should.be.true();
    (ops.matchOperationPath('authorizeStart', '/api/oicp/charging/v21/operators//authorize/start') === null).should.be.true();
    ops.matchOperationPath('chargeDetailRecord', '/api/oicp/cdrmgmt/v22/operators/DE*ABC/charge-detail-record').should.equal('DE*ABC');
  });

  it("uses the paths of Hubject's CPO OpenAPI file", function () {
    openapi.requireOpenApi(this, 'the operation paths');
    const spec = YAML.parse(fs.readFileSync(path.join(openapi.SHARED, 'cpo-2.3-openapi.yaml'), 'utf8'));
    const ids = {
      status: 'eRoamingPushEvseStatus',
      data: 'eRoamingPushEvseData',
      authorizeStart: 'eRoamingAuthorizeStart',
      authorizeStop: 'eRoamingAuthorizeStop',
      chargeDetailRecord: 'eRoamingChargeDetailRecord',
    };
    for (const [name, oicpName] of Object.entries(ids)) {
      const op = ops.OPERATIONS[name];
      op.oicpName.should.equal(oicpName);
      const entry = spec.paths[op.path];
      if (!entry || !entry.post) throw new Error(`${op.path} is not in the OpenAPI file`);
      entry.post.operationId.toLowerCase().should.startWith(oicpName.toLowerCase() + '_');
    }
  });

  describe('Acknowledgement answers (status, data, chargeDetailRecord) keep the push classification', function () {
    const ack = (result, code) => JSON.stringify({ Result: result, StatusCode: { Code: code, Description: null, AdditionalInfo: null } });
    for (const op of ['status', 'data', 'chargeDetailRecord']) {
      it(op, function () {
        const c = (text, http = 200) => interpretAnswer(ops.OPERATIONS[op].classify, http, text, undefined, 'p', 1);
        for (const [text, http] of [
          [ack(true, '000'), 200],
          [ack(false, '018'), 200],
          [ack(false, '210'), 200],
          [ack(false, '017'), 200],
          [ack(false, '001'), 200],
          [ack(false, '999'), 200],
          ['<html>', 200],
          [JSON.stringify({ StatusCode: { Code: '017' } }), 401],
          ['', 503],
        ]) {
          const a = c(text, http);
          const b = interpretResponse(http, text, undefined, 'p', 1);
          a.should.eql(b);
        }
        c(ack(true, '000')).should.match({ class: 'success', ack: { Result: true } });
        c(ack(false, '210')).class.should.equal('config');
        c(ack(false, '022')).class.should.equal('data');
      });
    }
  });

  describe('AuthorizeStart/Stop answers (AuthorizationStatus)', function () {
    it('Authorized is a success with the SessionID and ProviderID', function () {
      const r = classifyStart(authz('Authorized', '000'));
      r.should.match({ class: 'success', authorization: 'Authorized', statusCode: { Code: '000' }, answer: { SessionID: /^b2688262/, ProviderID: 'DE-DCB' } });
      (r.ack === undefined).should.be.true();
    });

    for (const code of ['102', '106', '200', '210', '300', '310', '320']) {
      it(`NotAuthorized with ${code} is a business outcome, not a fault`, function () {
        for (const op of ['authorizeStart', 'authorizeStop']) {
          const r = interpretAnswer(ops.OPERATIONS[op].classify, 200, authz('NotAuthorized', code), undefined, 'p', 1);
          r.should.match({ class: 'success', authorization: 'NotAuthorized', statusCode: { Code: code } });
          r.reason.should.startWith(`NotAuthorized: ${code}`);
        }
        // The same codes in an Acknowledgement of a push stay what they were.
        interpretResponse(200, JSON.stringify({ Result: false, StatusCode: { Code: code } }), undefined, 'p', 1).class.should.not.equal('success');
      });
    }

    it('NotAuthorized with 000 is an outcome too', function () {
      classifyStart(authz('NotAuthorized', '000')).should.match({ class: 'success', authorization: 'NotAuthorized' });
    });

    it('other codes are faults as in a push: 017 config, 001 and unknown codes transient', function () {
      classifyStart(authz('NotAuthorized', '017')).should.match({ class: 'config', authorization: 'NotAuthorized' });
      classifyStart(authz('NotAuthorized', '001')).class.should.equal('transient');
      classifyStart(authz('NotAuthorized', '999')).class.should.equal('transient');
    });

    it('an answer that is not an AuthorizationStatus is not read as one', function () {
      // An Acknowledgement with Result:true has no AuthorizationStatus: never taken for Authorized.
      classifyStart(JSON.stringify({ Result: true, StatusCode: { Code: '000' } })).should.match({ class: 'transient', unreadable: /Result/ });
      classifyStart(JSON.stringify({ Result: false, StatusCode: { Code: '017' } })).should.match({ class: 'config', statusCode: { Code: '017' } });
      classifyStart('<html>').should.match({ class: 'transient', reason: /HTTP 200 with an unreadable authorization answer/ });
      classifyStart(authz('Maybe', '000')).class.should.equal('transient');
    });

    it('HTTP errors are classified as for every operation', function () {
      classifyStart(JSON.stringify({ StatusCode: { Code: '017' } }), 401).should.match({ class: 'config', httpStatus: 401 });
      classifyStart('', 503).class.should.equal('transient');
    });
  });

  it('the wire client imports no EVSE data module', function () {
    const src = fs.readFileSync(path.join(__dirname, '..', 'src', 'oicp', 'client.ts'), 'utf8');
    src.should.not.match(/from '\.\/evse-data/);
    fs.readFileSync(path.join(__dirname, '..', 'nodes', 'oicp', 'client.js'), 'utf8').should.not.match(/require\("\.\/evse-data/);
  });
});
