'use strict';
require('should');
const { describeValue } = require('../nodes/oicp/describe');
const { EvseStatusRecordValidator, recordPosition } = require('../nodes/oicp/status-record');
const ids = require('../nodes/oicp/ids');
const { parsePushInput } = require('../nodes/push/input');
const { parseStatusRecords } = require('../nodes/fullload/records');
const { buildFullLoad } = require('../nodes/fullload/builder');
const { StatusMapper: OcppStatusMapper } = require('../nodes/ocpp/mapper');
const { checkEvseIdTemplate } = require('../nodes/ocpp/template');

const STATUSES = 'Available, Reserved, Occupied, OutOfService, EvseNotFound, Unknown';

describe('one validation vocabulary', function () {
  describe('describeValue', function () {
    it('shows strings quoted and cut, numbers and booleans as written, other values by kind', function () {
      describeValue('Busy').should.equal("'Busy'");
      describeValue('x'.repeat(1e6)).should.equal(`'${'x'.repeat(37)}...'`);
      describeValue('a\nb').should.equal("'a\\nb'");
      describeValue(42).should.equal('42');
      describeValue(false).should.equal('false');
      describeValue(null).should.equal('null');
      describeValue(undefined).should.equal('undefined');
      describeValue([1]).should.equal('an array');
      describeValue({ toString: 1 }).should.equal('an object');
      describeValue(7n).should.equal('a bigint');
      describeValue(Symbol('s')).should.equal('a symbol');
      describeValue(() => 1).should.equal('a function');
    });

    it('is the describer of every core: ids, push input, full load records and OCPP parsing say the same', function () {
      const bad = { EvseID: 'DE*ABC*E1', EvseStatus: 7n };
      const pushText = (() => {
        try {
          parsePushInput(bad, undefined, 'update', 'DE*ABC');
        } catch (e) {
          return e.message;
        }
      })();
      pushText.should.equal(`EvseStatus a bigint of 'DE*ABC*E1' is not one of ${STATUSES}`);
      parseStatusRecords(bad).error.should.equal(pushText);
      ids.parseOperatorId(12).error.should.equal('OperatorID is missing (got 12)');
      require('../nodes/ocpp/parse').show.should.equal(describeValue);
    });
  });

  describe('EvseStatusRecord validator', function () {
    it('names positions 1-based in a list and none for a lone record', function () {
      recordPosition(1, 3, true).should.equal('record 2 of 3: ');
      recordPosition(0, 1, false).should.equal('');
      const v = new EvseStatusRecordValidator({ operators: 'DE*ABC' });
      v.check({ EvseID: 'DE*ABC*E1', EvseStatus: 'Busy' }, 2, 3, true).error.should.equal(
        `record 3 of 3: EvseStatus 'Busy' of 'DE*ABC*E1' is not one of ${STATUSES}`,
      );
      v.check({ EvseID: 'DE*ABC*E1' }, 0, 1, false).error.should.equal(`EvseStatus is missing for 'DE*ABC*E1': give one of ${STATUSES}`);
      v.check('DE*ABC*E1', 0, 1, false).error.should.match(/^an EvseStatusRecord must be an object \{EvseID, EvseStatus\}, got 'DE\*ABC\*E1'$/);
    });

    it('gives push and full load the same errors with the same positions', function () {
      const list = [
        { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' },
        { EvseID: 'DE*ABC*E2', EvseStatus: 'Available' },
        { EvseID: 'XX', EvseStatus: 'Available' },
      ];
      const push = (() => {
        try {
          parsePushInput(list, undefined, 'update', 'DE*ABC');
        } catch (e) {
          return e.message;
        }
      })();
      push.should.equal("record 3 of 3: EvseID 'XX' does not match the OICP pattern");
      parseStatusRecords(list, 'DE*ABC').error.should.equal(push);
    });

    it('keeps canonical records as they are and copies the rest into canonical form', function () {
      const v = new EvseStatusRecordValidator();
      const r = { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' };
      v.check(r, 0, 1, false).value.should.equal(r);
      v.check({ EvseID: 'de*abc*e1', EvseStatus: 'Available', extra: 1 }, 0, 1, false).value.should.eql(r);
      new EvseStatusRecordValidator({ statusWhenMissing: 'OutOfService' })
        .check('de*abc*e2', 0, 1, false)
        .value.should.eql({ EvseID: 'DE*ABC*E2', EvseStatus: 'OutOfService' });
    });

    it('has one isEvseStatus, which the OCPP mapper uses too', function () {
      const src = require('fs').readFileSync(require.resolve('../nodes/ocpp/mapper'), 'utf8');
      src.should.not.match(/function isEvseStatus/);
      (() => new OcppStatusMapper({ mapping: { Charging: 'Busy' } })).should.throw(/'Busy' is not an OICP EvseStatus/);
    });
  });

  describe('sub-operators: every operator check takes the own OperatorID or it followed by sub-operators', function () {
    const OPS = ['DE*ABC', 'DE*S01', '+49*536'];
    const named = 'DE*ABC or its sub-operators DE*S01, +49*536';

    it("ids: a sub-operator's EVSE belongs, another operator's does not, and the error names the list", function () {
      ids.evseBelongsToOperator('DE*S01*E1', OPS).should.be.true();
      ids.evseBelongsToOperator('+49*536*7', OPS).should.be.true();
      ids.evseBelongsToOperator('DE*ABC*E1', OPS).should.be.true();
      ids.evseBelongsToOperator('DE*XYZ*E1', OPS).should.be.false();
      ids.evseBelongsToOperator('DE*S01*E1', 'DE*ABC').should.be.false();
      const m = ids.operatorMatcher(OPS);
      m('DES01E9').should.be.true();
      m('+49*537*1').should.be.false();
      ids.foreignEvseError('DE*XYZ*E1', OPS).should.equal(`EvseID 'DE*XYZ*E1' does not belong to operator ${named} (Hubject would answer 018)`);
      ids.foreignEvseError('DE*XYZ*E1', 'DE*ABC').should.equal("EvseID 'DE*XYZ*E1' does not belong to operator DE*ABC (Hubject would answer 018)");
    });

    it("push input accepts sub-operators' EVSEs; a body must still name the own OperatorID", function () {
      parsePushInput(
        [
          { EvseID: 'DE*S01*E1', EvseStatus: 'Available' },
          { EvseID: 'DE*ABC*E1', EvseStatus: 'Occupied' },
        ],
        undefined,
        'update',
        OPS,
      ).records.length.should.equal(2);
      (() => parsePushInput({ EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' }, undefined, 'update', OPS)).should.throw(
        `EvseID 'DE*XYZ*E1' does not belong to operator ${named} (Hubject would answer 018)`,
      );
      const body = (op) => ({
        ActionType: 'update',
        OperatorEvseStatus: { OperatorID: op, EvseStatusRecord: [{ EvseID: 'DE*S01*E1', EvseStatus: 'Available' }] },
      });
      parsePushInput(body('DE*ABC'), undefined, 'update', OPS).records.length.should.equal(1);
      (() => parsePushInput(body('DE*S01'), undefined, 'update', OPS)).should.throw(/not the configured operator 'DE\*ABC'/);
      (() => parsePushInput([], 'fullLoad', 'update', OPS)).should.throw(/empty fullLoad deletes every EVSE of DE\*ABC/);
    });

    it("full load records and the fullLoad builder accept sub-operators' EVSEs", function () {
      parseStatusRecords([{ EvseID: 'DE*S01*E1', EvseStatus: 'Available' }], OPS).ok.should.be.true();
      parseStatusRecords(
        [
          { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' },
          { EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' },
        ],
        OPS,
      ).error.should.equal(`record 2 of 2: EvseID 'DE*XYZ*E1' does not belong to operator ${named} (Hubject would answer 018)`);
      const source = { ids: ['DE*ABC*E1', 'DE*S01*E1', 'DE*XYZ*E1'], codes: [0, 0, 0], seen: [1, 1, 1] };
      const r = buildFullLoad({ view: () => source }, { now: 2, operatorId: OPS });
      r.foreignDropped.should.eql(['DE*XYZ*E1']);
    });

    it('the OCPP mapper and its template check accept a list of OperatorIDs', function () {
      const m = new OcppStatusMapper({ operatorId: OPS });
      m.process({ evseId: 'DE*S01*E1', payload: { status: 'Available' } })
        .records.map((r) => r.payload)
        .should.eql([{ EvseID: 'DE*S01*E1', EvseStatus: 'Available' }]);
      new OcppStatusMapper({ operatorId: 'DE*ABC' }).process({ evseId: 'DE*S01*E1', payload: { status: 'Available' } }).kind.should.equal('error');
      const bad = m.process({ evseId: 'DE*XYZ*E1', payload: { status: 'Available' } });
      bad.should.eql({ kind: 'error', error: `EvseID 'DE*XYZ*E1' does not belong to operator ${named} (Hubject would answer 018)` });
      checkEvseIdTemplate('DE*S01*E{chargeBoxId}*{connectorId}', OPS).should.match(/^DE\*S01\*E/);
      (() => checkEvseIdTemplate('DE*XYZ*E{connectorId}', OPS)).should.throw(
        `EvseID template 'DE*XYZ*E{connectorId}' gives 'DE*XYZ*E1', which does not belong to operator ${named}`,
      );
      (() => new OcppStatusMapper({ operatorId: ['DE*ABC', 'nonsense!'] })).should.throw(/OperatorID 'nonsense!' does not match/);
    });
  });
});
