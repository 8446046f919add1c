'use strict';
// The simulator's own EVSE data check (src/simulator/evse-data-check.ts) against Hubject's OpenAPI file: same fields,
// required lists, types, enums and lengths, and the same verdict as the OpenAPI schema (ajv) on records broken one
// field at a time. Without ../shared/oicp the comparisons are skipped (the test says so); the rest always runs.
require('should');
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv = require('ajv');
const openapi = require('./support/openapi');
const check = require('../nodes/simulator/evse-data-check');
const { HubjectModel } = require('../nodes/simulator/model');
const { evseDataRecord } = require('./support/evse-data-record');

/** A valid record with most optional fields too, so breaking one of them is seen. */
function record(over = {}) {
  return evseDataRecord('DE*ABC*E1*1', {
    ChargingFacilities: [{ PowerType: 'AC_3_PHASE', Power: 22, Amperage: 32, Voltage: 400, ChargingModes: ['Mode_3'] }],
    EnergySource: [{ Energy: 'Solar', Percentage: 50 }],
    AccessibilityLocation: 'ParkingLot',
    IsOpen24Hours: false,
    OpeningTimes: [{ Period: [{ begin: '08:00', end: '20:00' }], on: 'Workdays' }],
    HubOperatorID: 'DE*ABC',
    ...over,
  });
}

describe('simulator: its own EVSE data check', function () {
  it('takes a valid record as sent and names each broken field', function () {
    check.checkEvseDataRecord(record()).should.eql([]);
    const issues = check.checkEvseDataRecord(
      record({
        Address: { Country: 'DE', City: 'Berlin', Street: 'EUREF Campus', PostalCode: '10829', HouseNum: '22' },
        ChargingFacilities: [{ PowerType: 'AC_1_PHASE', Power: 3.7, Amperage: 100 }],
        HotlinePhoneNumber: '030 123456',
        GeoCoordinates: { Google: { Coordinates: '52.48 13.35' }, DecimalDegree: { Longitude: '13.35', Latitude: '52.48' } },
        Plugs: [],
        Colour: 'red',
      }),
    );
    const fields = issues.map((i) => i.field);
    fields.should.containDeep([
      'Address.Country',
      'ChargingFacilities[0].Power',
      'ChargingFacilities[0].Amperage',
      'HotlinePhoneNumber',
      'GeoCoordinates',
      'Plugs',
      'Colour',
    ]);
    check.checkEvseDataRecord(record({ OpeningTimes: undefined })).should.eql([{ field: 'OpeningTimes', reason: 'is required when IsOpen24Hours is false' }]);
  });

  it("catches what a buggy client would send: the model no longer asks the client's normaliser", function () {
    const src = fs.readFileSync(path.join(__dirname, '..', 'nodes', 'simulator', 'model.js'), 'utf8');
    src.should.not.match(/evse-data-normalise|oicp\/evse-data"/);
    const m = new HubjectModel();
    // The client's normaliser would turn 'DE' into 'DEU' and 22.0 kW strings into numbers; Hubject takes neither.
    const v = m.pushData(
      {
        ActionType: 'fullLoad',
        OperatorEvseData: {
          OperatorID: 'DE*ABC',
          OperatorName: 'ABC',
          EvseDataRecord: [record({ ChargingFacilities: [{ PowerType: 'AC_3_PHASE', Power: '22' }] })],
        },
      },
      undefined,
      'DE*ABC',
      Date.now(),
    );
    v.httpStatus.should.equal(400);
    v.body.validationErrors.should.eql([
      { fieldReference: 'operatorEvseData.evseDataRecord[0].chargingFacilities[0].power', errorMessage: 'must be a number, not string' },
    ]);
  });

  describe("compared with Hubject's OpenAPI file", function () {
    let schemas, validate;
    before(function () {
      openapi.requireOpenApi(this, "the comparison of the simulator's EVSE data check with the OpenAPI file");
      const spec = YAML.parse(fs.readFileSync(path.join(openapi.SHARED, 'cpo-2.3-openapi.yaml'), 'utf8'));
      schemas = spec.components.schemas;
      const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, validateFormats: false });
      ajv.addSchema({ components: spec.components }, 'cpo.json');
      validate = ajv.getSchema('cpo.json#/components/schemas/EvseDataRecord');
    });

    const resolve = (s) => {
      while (s && s.$ref) s = schemas[s.$ref.split('/').pop()];
      return s;
    };

    /** Walks the OpenAPI schema and the simulator's rules side by side; returns the differences. */
    function compare(api, rule, at, out) {
      api = resolve(api);
      const apiType = api.type === 'integer' ? 'integer' : api.type;
      if (apiType !== rule.type) {
        out.push(`${at}: type ${rule.type}, OpenAPI ${api.type}`);
        return out;
      }
      if (api.enum && JSON.stringify(api.enum) !== JSON.stringify(rule.enum)) out.push(`${at}: enum differs`);
      if (rule.type === 'string') {
        if (api.maximum !== undefined && api.maximum !== rule.max) out.push(`${at}: max length ${rule.max}, OpenAPI ${api.maximum}`);
        if (api.minimum !== undefined && api.minimum !== rule.min) out.push(`${at}: min length ${rule.min}, OpenAPI ${api.minimum}`);
        if (api.pattern && !rule.pattern) out.push(`${at}: no pattern, OpenAPI ${api.pattern}`);
      }
      if (rule.type === 'integer' || rule.type === 'number') {
        if (api.maximum !== rule.max) out.push(`${at}: max ${rule.max}, OpenAPI ${api.maximum}`);
        if (api.minimum !== rule.min) out.push(`${at}: min ${rule.min}, OpenAPI ${api.minimum}`);
      }
      if (rule.type === 'array') compare(api.items, rule.items, `${at}[]`, out);
      if (rule.type === 'object') {
        const req = [...(api.required || [])].sort();
        if (JSON.stringify(req) !== JSON.stringify([...(rule.required || [])].sort())) out.push(`${at}: required ${rule.required}, OpenAPI ${req}`);
        for (const k of Object.keys(api.properties || {})) {
          if (!rule.props[k]) out.push(`${at}.${k}: missing`);
          else compare(api.properties[k], rule.props[k], `${at}.${k}`, out);
        }
        // Hubject's examples spell ChargingStationID; the OpenAPI ChargingStationId. Both are taken.
        for (const k of Object.keys(rule.props)) if (!(api.properties || {})[k] && k !== 'ChargingStationID') out.push(`${at}.${k}: not in the OpenAPI`);
      }
      return out;
    }

    it('has the same fields, required lists, types, enums, lengths and ranges', function () {
      compare(schemas.EvseDataRecord, check.EVSE_DATA_RECORD, 'EvseDataRecord', []).should.eql([]);
    });

    it('gives the same verdict as the OpenAPI schema on records broken one field at a time', function () {
      validate(record()).should.be.true(JSON.stringify(validate.errors));
      const mutations = [];
      const api = resolve(schemas.EvseDataRecord);
      for (const k of api.required) mutations.push([`without ${k}`, record({ [k]: undefined })]);
      for (const [k, p] of Object.entries(api.properties)) {
        const s = resolve(p);
        if (s.enum) mutations.push([`${k} not in its enum`, record({ [k]: 'Bogus' })]);
        if (s.type === 'string' && s.pattern) mutations.push([`${k} not matching its pattern`, record({ [k]: '!' })]);
        if (s.type === 'boolean') mutations.push([`${k} as a string`, record({ [k]: 'true' })]);
        if (s.type === 'array') {
          mutations.push([`${k} not a list`, record({ [k]: 'x' })]);
          const items = resolve(s.items);
          if (items.enum) mutations.push([`${k} with an entry not in its enum`, record({ [k]: ['Bogus'] })]);
        }
      }
      const fac = (f) => record({ ChargingFacilities: [{ PowerType: 'AC_3_PHASE', Power: 22, ...f }] });
      mutations.push(
        ['Power not whole', fac({ Power: 3.7 })],
        ['Power above 999', fac({ Power: 1000 })],
        ['Amperage above 99', fac({ Amperage: 100 })],
        ['Voltage negative', fac({ Voltage: -1 })],
        ['PowerType unknown', fac({ PowerType: 'AC' })],
        ['EnergySource percentage 100', record({ EnergySource: [{ Energy: 'Wind', Percentage: 100 }] })],
        ['Google coordinates malformed', record({ GeoCoordinates: { Google: { Coordinates: '52,48' } } })],
        ['DecimalDegree without Latitude', record({ GeoCoordinates: { DecimalDegree: { Longitude: '13.35' } } })],
        ['OpeningTimes without on', record({ OpeningTimes: [{ Period: [{ begin: '08:00', end: '20:00' }] }] })],
        ['InfoText without lang', record({ ChargingStationNames: [{ value: 'x' }] })],
        ['Address without City', record({ Address: { Country: 'DEU', Street: 'EUREF Campus', PostalCode: '1', HouseNum: '1' } })],
      );
      const disagree = [];
      for (const [what, r] of mutations) {
        for (const k of Object.keys(r)) if (r[k] === undefined) delete r[k];
        const byOpenApi = validate(r);
        const bySimulator = check.checkEvseDataRecord(r).length === 0;
        if (byOpenApi !== bySimulator)
          disagree.push(`${what}: OpenAPI ${byOpenApi ? 'takes' : 'refuses'} it, the simulator ${bySimulator ? 'takes' : 'refuses'} it`);
      }
      mutations.length.should.be.above(40);
      disagree.should.eql([]);
    });

    it("is stricter than the OpenAPI schema only where the OpenAPI's own text or spec 03 says so", function () {
      // Lengths the OpenAPI writes as "maximum" on strings (ajv ignores them), alpha-3 countries, one coordinate
      // format, OpeningTimes when not open around the clock, and at least one entry in the mandatory lists.
      const stricter = [
        record({ ChargingStationNames: [{ lang: 'de', value: 'x'.repeat(151) }] }),
        record({ Address: { Country: 'deu', City: 'Berlin', Street: 'EUREF Campus', PostalCode: '10829', HouseNum: '22' } }),
        record({ GeoCoordinates: { Google: { Coordinates: '52.48 13.35' }, DecimalDegree: { Longitude: '13.35', Latitude: '52.48' } } }),
        record({ OpeningTimes: undefined }),
        record({ Plugs: [] }),
      ];
      for (const r of stricter) {
        for (const k of Object.keys(r)) if (r[k] === undefined) delete r[k];
        validate(r).should.be.true();
        check.checkEvseDataRecord(r).length.should.be.above(0);
      }
    });
  });
});
