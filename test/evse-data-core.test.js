'use strict';
require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');
const data = require('../nodes/evse-data');

let openapi;
try {
  openapi = require('./support/openapi');
} catch {
  openapi = undefined; // ../shared is missing: the OpenAPI checks are skipped
}
// The bodies are checked against Hubject's OpenAPI (skipped, and reported, without ../shared).
function assertValidBody(body) {
  if (openapi) openapi.assertPushEvseData(body);
}

const OP = 'DE*ABC';
const NAME = 'ABC Charging';

/** A complete, valid record as a CPO would give it (OICP field names). */
function full(i = 1, over = {}) {
  return {
    EvseID: `DE*ABC*E${String(i).padStart(6, '0')}*1`,
    ChargingPoolID: 'DE*ABC*P1234*1',
    ChargingStationID: `STATION ${i}`,
    ChargingStationNames: [
      { lang: 'en', value: 'ABC Charging Station' },
      { lang: 'de', value: 'ABC Ladestation' },
    ],
    HardwareManufacturer: 'Charger Hardware GmbH',
    ChargingStationImage: 'https://example.com/station.jpg',
    SubOperatorName: 'ABC Sub',
    Address: {
      Country: 'DEU',
      City: 'Berlin',
      Street: 'EUREF Campus',
      PostalCode: '10829',
      HouseNum: '22',
      Floor: '1',
      Region: 'Berlin',
      ParkingFacility: true,
      ParkingSpot: 'E36',
      TimeZone: 'UTC+01:00',
    },
    GeoCoordinates: { Google: { Coordinates: '52.480495 13.356465' } },
    Plugs: ['Type 2 Outlet'],
    DynamicPowerLevel: true,
    ChargingFacilities: [{ PowerType: 'AC_3_PHASE', Voltage: 400, Amperage: 32, Power: 22, ChargingModes: ['Mode_3'] }],
    RenewableEnergy: true,
    EnergySource: [
      { Energy: 'Solar', Percentage: 60 },
      { Energy: 'Wind', Percentage: 40 },
    ],
    EnvironmentalImpact: { CO2Emission: 30.3, NuclearWaste: 0 },
    CalibrationLawDataAvailability: 'Local',
    AuthenticationModes: ['NFC RFID Classic', 'REMOTE'],
    MaxCapacity: 50,
    PaymentOptions: ['Contract'],
    ValueAddedServices: ['Reservation'],
    Accessibility: 'Free publicly accessible',
    AccessibilityLocation: 'ParkingLot',
    HotlinePhoneNumber: '+4930123456',
    AdditionalInfo: [{ lang: 'en', value: 'Second level' }],
    ChargingStationLocationReference: [{ lang: 'en', value: 'Next to the entrance' }],
    GeoChargingPointEntrance: { Google: { Coordinates: '52.480400 13.356400' } },
    IsOpen24Hours: false,
    OpeningTimes: [{ Period: [{ begin: '08:00', end: '20:00' }], on: 'Workdays' }],
    HubOperatorID: 'DE*ABC',
    ClearinghouseID: 'CH1',
    IsHubjectCompatible: true,
    DynamicInfoAvailable: 'auto',
    ...over,
  };
}

const one = (rec, opts = {}) => data.validateEvseDataRecords([rec], { operatorIds: OP, ...opts });
function rejects(rec, field, reasonPart, opts) {
  const r = one(rec, opts);
  r.records.length.should.equal(0, `expected a rejection at ${field}`);
  const issue = r.rejected[0].issues.find((i) => i.field === field);
  if (!issue) throw new Error(`no issue at ${field}: ${r.rejected[0].message}`);
  issue.reason.should.match(reasonPart);
  return r.rejected[0];
}
const accepted = (rec, opts) => {
  const r = one(rec, opts);
  if (r.rejected.length) throw new Error(r.rejected[0].message);
  return r.records[0];
};
const clone = (x) => JSON.parse(JSON.stringify(x));
const without = (rec, key) => {
  const c = clone(rec);
  delete c[key];
  return c;
};

describe('EVSE data: validation', function () {
  it("accepts a complete record and Hubject's own example record (with its operator)", function () {
    accepted(full()).EvseID.should.equal('DE*ABC*E000001*1');
    if (openapi) {
      const ex = openapi.readExample('pushEvseData.request.fullLoad.json');
      const r = data.validateEvseDataRecords(ex.OperatorEvseData.EvseDataRecord, { operatorIds: 'DE*XYZ' });
      r.rejected.should.eql([]);
    }
  });

  it('rejects each missing mandatory field by name', function () {
    for (const f of [
      'EvseID',
      'ChargingStationNames',
      'Address',
      'GeoCoordinates',
      'Plugs',
      'ChargingFacilities',
      'RenewableEnergy',
      'CalibrationLawDataAvailability',
      'AuthenticationModes',
      'PaymentOptions',
      'ValueAddedServices',
      'Accessibility',
      'HotlinePhoneNumber',
      'IsOpen24Hours',
      'IsHubjectCompatible',
      'DynamicInfoAvailable',
    ]) {
      rejects(without(full(), f), f, /missing/);
    }
    for (const f of ['Country', 'City', 'Street', 'PostalCode', 'HouseNum']) {
      const rec = full();
      delete rec.Address[f];
      rejects(rec, `Address.${f}`, /missing/);
    }
  });

  it('rejects empty mandatory lists', function () {
    for (const f of ['ChargingStationNames', 'Plugs', 'ChargingFacilities', 'AuthenticationModes', 'PaymentOptions', 'ValueAddedServices']) {
      rejects(full(1, { [f]: [] }), f, /must not be empty/);
    }
  });

  it('needs exactly one GeoCoordinates format, with the pattern and ranges checked', function () {
    rejects(full(1, { GeoCoordinates: {} }), 'GeoCoordinates', /exactly one of Google, DecimalDegree, DegreeMinuteSeconds/);
    rejects(
      full(1, { GeoCoordinates: { Google: { Coordinates: '52.1 13.1' }, DecimalDegree: { Latitude: '52.1', Longitude: '13.1' } } }),
      'GeoCoordinates',
      /2 formats \(Google, DecimalDegree\); OICP needs exactly one/,
    );
    rejects(full(1, { GeoCoordinates: { Google: { Coordinates: '52 13' } } }), 'GeoCoordinates.Google.Coordinates', /decimal point/);
    rejects(full(1, { GeoCoordinates: { Google: { Coordinates: '52.1234567 13.1' } } }), 'GeoCoordinates.Google.Coordinates', /at most 6 decimals/);
    rejects(
      full(1, { GeoCoordinates: { Google: { Coordinates: '95.000000 13.000000' } } }),
      'GeoCoordinates.Google.Coordinates',
      /latitude 95 is outside -90 to 90/,
    );
    rejects(
      full(1, { GeoCoordinates: { Google: { Coordinates: '52.000000 181.000000' } } }),
      'GeoCoordinates.Google.Coordinates',
      /longitude 181 is outside -180 to 180/,
    );
    rejects(full(1, { GeoCoordinates: { DecimalDegree: { Latitude: '52,1', Longitude: '13.1' } } }), 'GeoCoordinates.DecimalDegree.Latitude', /decimal degree/);
    rejects(
      full(1, { GeoCoordinates: { DecimalDegree: { Latitude: '-91.0', Longitude: '13.1' } } }),
      'GeoCoordinates.DecimalDegree',
      /latitude -91 is outside/,
    );
    rejects(
      full(1, { GeoCoordinates: { DegreeMinuteSeconds: { Latitude: "52°61'0.0''", Longitude: "13°21'39.32''" } } }),
      'GeoCoordinates.DegreeMinuteSeconds.Latitude',
      /60 or more/,
    );
    rejects(
      full(1, { GeoCoordinates: { DegreeMinuteSeconds: { Latitude: '52.5', Longitude: "13°21'39.32''" } } }),
      'GeoCoordinates.DegreeMinuteSeconds.Latitude',
      /degrees, minutes and seconds/,
    );
    rejects(full(1, { GeoCoordinates: { lat: 200, lon: 13 } }), 'GeoCoordinates', /latitude 200 is outside/);
    rejects(full(1, { GeoCoordinates: { lat: 52.1 } }), 'GeoCoordinates', /both a latitude and a longitude/);
    rejects(full(1, { GeoChargingPointEntrance: { Google: { Coordinates: 'x' } } }), 'GeoChargingPointEntrance.Google.Coordinates', /latitude longitude/);
    accepted(full(1, { GeoCoordinates: { DegreeMinuteSeconds: { Latitude: "52°28'49.78''", Longitude: "13°21'23.27''" } } }));
  });

  it('never combines "No Payment" with another payment option', function () {
    rejects(full(1, { PaymentOptions: ['No Payment', 'Direct'] }), 'PaymentOptions', /"No Payment" cannot be combined/);
    accepted(full(1, { PaymentOptions: ['No Payment'] }));
  });

  it('needs OpeningTimes when IsOpen24Hours is false, in HH:MM', function () {
    rejects(without(full(), 'OpeningTimes'), 'OpeningTimes', /IsOpen24Hours is false/);
    rejects(full(1, { OpeningTimes: [] }), 'OpeningTimes', /IsOpen24Hours is false/);
    accepted(full(1, { IsOpen24Hours: true, OpeningTimes: undefined }));
    rejects(full(1, { OpeningTimes: [{ Period: [{ begin: '8:00', end: '20:00' }], on: 'Workdays' }] }), 'OpeningTimes[0].Period[0].begin', /HH:MM/);
    rejects(full(1, { OpeningTimes: [{ Period: [{ begin: '08:00', end: '25:00' }], on: 'Workdays' }] }), 'OpeningTimes[0].Period[0].end', /HH:MM/);
    rejects(full(1, { OpeningTimes: [{ Period: [], on: 'Workdays' }] }), 'OpeningTimes[0].Period', /non-empty/);
    rejects(full(1, { OpeningTimes: [{ Period: [{ begin: '08:00', end: '20:00' }], on: 'Holidays' }] }), 'OpeningTimes[0].on', /not one of Everyday/);
    accepted(full(1, { OpeningTimes: [{ Period: [{ begin: '00:00', end: '24:00' }], on: 'Everyday' }] }));
  });

  it('checks every enum', function () {
    const cases = [
      ['Plugs', ['Type 2 Socket'], 'Plugs[0]'],
      ['AuthenticationModes', ['RFID'], 'AuthenticationModes[0]'],
      ['PaymentOptions', ['Cash'], 'PaymentOptions[0]'],
      ['ValueAddedServices', ['WiFi'], 'ValueAddedServices[0]'],
      ['Accessibility', 'Public', 'Accessibility'],
      ['AccessibilityLocation', 'Garage', 'AccessibilityLocation'],
      ['CalibrationLawDataAvailability', 'Yes', 'CalibrationLawDataAvailability'],
      ['DynamicInfoAvailable', 'maybe', 'DynamicInfoAvailable'],
      ['ChargingFacilities', [{ PowerType: 'AC', Power: 22 }], 'ChargingFacilities[0].PowerType'],
      ['ChargingFacilities', [{ PowerType: 'DC', Power: 50, ChargingModes: ['Mode_5'] }], 'ChargingFacilities[0].ChargingModes[0]'],
      ['EnergySource', [{ Energy: 'Gas', Percentage: 10 }], 'EnergySource[0].Energy'],
    ];
    for (const [f, v, at] of cases) rejects(full(1, { [f]: v }), at, /not one of|neither an OICP plug type/);
  });

  it('checks the patterns: HotlinePhoneNumber, TimeZone, language codes, ChargingPoolID, HubOperatorID, EvseID', function () {
    rejects(full(1, { HotlinePhoneNumber: '030 123456' }), 'HotlinePhoneNumber', /not an international number/);
    rejects(full(1, { HotlinePhoneNumber: '+49 30 1234 5678 9012 3' }), 'HotlinePhoneNumber', /5-15 digits/);
    rejects(full(1, { HotlinePhoneNumber: 4930123456 }), 'HotlinePhoneNumber', /must be text/);
    rejects(full(1, { Address: { ...full().Address, TimeZone: 'CET' } }), 'Address.TimeZone', /UTC offset/);
    rejects(full(1, { Address: { ...full().Address, TimeZone: 'UTC+1:00' } }), 'Address.TimeZone', /UTC offset/);
    rejects(full(1, { ChargingStationNames: [{ lang: 'EN', value: 'x' }] }), 'ChargingStationNames[0].lang', /ISO 639/);
    rejects(full(1, { AdditionalInfo: [{ lang: 'english', value: 'x' }] }), 'AdditionalInfo[0].lang', /ISO 639/);
    accepted(full(1, { ChargingStationNames: [{ lang: 'de-DE', value: 'x' }] }));
    rejects(full(1, { ChargingPoolID: 'DE*ABC*E1' }), 'ChargingPoolID', /pool id pattern/);
    rejects(full(1, { HubOperatorID: 'DE*AB' }), 'HubOperatorID', /OperatorID pattern/);
    rejects(full(1, { EvseID: 'DE*ABC*1' }), 'EvseID', /EvseID pattern/);
  });

  it('needs integer kW Power 0-999 and hints at watts; checks Voltage, Amperage, Percentage, MaxCapacity, EnvironmentalImpact', function () {
    rejects(
      full(1, { ChargingFacilities: [{ PowerType: 'AC_3_PHASE', Power: 22000 }] }),
      'ChargingFacilities[0].Power',
      /looks like watts \(22000 W is 22 kW\)/,
    );
    rejects(full(1, { ChargingFacilities: [{ PowerType: 'AC_1_PHASE', Power: 7.4 }] }), 'ChargingFacilities[0].Power', /not a whole number/);
    rejects(full(1, { ChargingFacilities: [{ PowerType: 'AC_1_PHASE', Power: -1 }] }), 'ChargingFacilities[0].Power', /outside 0-999 kW/);
    rejects(
      full(1, { ChargingFacilities: [{ PowerType: 'DC', Power: 150, Amperage: 200 }] }),
      'ChargingFacilities[0].Amperage',
      /more than the 99 A .*omit Amperage/,
    );
    rejects(full(1, { ChargingFacilities: [{ PowerType: 'AC_1_PHASE', Power: 3.7 }] }), 'ChargingFacilities[0].Power', /3\.7 kW .*send 4 \(rounded\)/);
    rejects(full(1, { ChargingFacilities: [{ PowerType: 'DC', Power: 150, Voltage: 1000 }] }), 'ChargingFacilities[0].Voltage', /outside 0-999 V/);
    rejects(full(1, { EnergySource: [{ Energy: 'Solar', Percentage: 100 }] }), 'EnergySource[0].Percentage', /outside 0-99/);
    rejects(full(1, { MaxCapacity: 1.5 }), 'MaxCapacity', /whole number/);
    rejects(full(1, { EnvironmentalImpact: { CO2Emission: 100000 } }), 'EnvironmentalImpact.CO2Emission', /outside 0-99999/);
    accepted(full(1, { ChargingFacilities: [{ PowerType: 'DC', Power: '150' }] })).ChargingFacilities[0].Power.should.equal(150);
  });

  it('enforces every length limit without truncating', function () {
    const limits = {
      ChargingStationID: 50,
      HardwareManufacturer: 50,
      ChargingStationImage: 200,
      SubOperatorName: 100,
      ClearinghouseID: 20,
      'Address.City': 50,
      'Address.Street': 100,
      'Address.PostalCode': 10,
      'Address.HouseNum': 10,
      'Address.Floor': 5,
      'Address.Region': 50,
      'Address.ParkingSpot': 5,
    };
    for (const [f, max] of Object.entries(limits)) {
      const rec = full();
      const [a, b] = f.split('.');
      if (b) rec[a][b] = 'x'.repeat(max);
      else rec[a] = 'x'.repeat(max);
      accepted(rec);
      if (b) rec[a][b] = 'x'.repeat(max + 1);
      else rec[a] = 'x'.repeat(max + 1);
      rejects(rec, f, new RegExp(`has ${max + 1} characters, more than the ${max} allowed`));
    }
    rejects(full(1, { ChargingStationNames: [{ lang: 'en', value: 'y'.repeat(151) }] }), 'ChargingStationNames[0].value', /more than the 150 allowed/);
    rejects(full(1, { Address: { ...full().Address, Street: 'A' } }), 'Address.Street', /shorter than 2/);
    rejects(full(1, { Address: { ...full().Address, City: '' } }), 'Address.City', /shorter than 1/);
    rejects(full(1, { Address: { ...full().Address, Country: 'Germany' } }), 'Address.Country', /ISO 3166-1/);
    rejects(full(1, { Address: { ...full().Address, Country: 'XYZ' } }), 'Address.Country', /ISO 3166-1/);
  });

  it('rejects unknown fields, naming the likely one', function () {
    rejects(full(1, { Plug: ['Type 2 Outlet'] }), 'Plug', /not a field of EvseDataRecord \(did you mean Plugs\?\)/);
    rejects(full(1, { Address: { ...full().Address, Zip: '10829' } }), 'Address.Zip', /not a field of Address/);
  });

  it('rejects EvseIDs outside the operator and its configured sub-operators', function () {
    const r = rejects(full(1, { EvseID: 'DE*XYZ*E1' }), 'EvseID', /does not belong to operator DE\*ABC; Hubject would refuse the whole request with 018/);
    r.message.should.startWith('record 1 (DE*XYZ*E1): EvseID');
    accepted(full(1, { EvseID: 'DE*XYZ*E1' }), { operatorIds: ['DE*ABC', 'DE*XYZ'] });
    accepted(full(1, { EvseID: 'deabce1' }), { operatorIds: 'DE*ABC' }).EvseID.should.equal('DEABCE1');
    (() => data.validateEvseDataRecords([], { operatorIds: [] })).should.throw(/operatorIds is empty/);
  });

  it('names the record (1-based), EvseID, field and rule, and still passes the rest', function () {
    const r = data.validateEvseDataRecords([full(1), full(2, { Plugs: [] }), 'nonsense', full(4)], { operatorIds: OP });
    r.records.map((x) => x.EvseID).should.eql(['DE*ABC*E000001*1', 'DE*ABC*E000004*1']);
    r.positions.should.eql([1, 4]);
    r.rejected
      .map((x) => [x.index, x.EvseID, x.field])
      .should.eql([
        [2, 'DE*ABC*E000002*1', 'Plugs'],
        [3, undefined, 'EvseDataRecord'],
      ]);
    r.rejected[0].message.should.equal('record 2 (DE*ABC*E000002*1): Plugs must not be empty (one or more plug types)');
  });

  it('keeps the last of a repeated EvseID, with a warning', function () {
    const r = data.validateEvseDataRecords(
      [full(1, { ChargingStationID: 'first' }), full(2), full(1, { EvseID: 'DEABCE000001*1', ChargingStationID: 'last' })],
      { operatorIds: OP },
    );
    r.records.map((x) => x.ChargingStationID).should.eql(['STATION 2', 'last']);
    r.positions.should.eql([2, 3]);
    r.warnings.should.have.length(1);
    r.warnings[0].should.match(/appears more than once in this message \(records 1 and 3\); only the last, record 3, is used/);
  });
});

describe('EVSE data: normalisation', function () {
  it('turns numeric {lat, lon} and {Latitude, Longitude} into one Google string with 6 decimals', function () {
    accepted(full(1, { GeoCoordinates: { lat: 52.4804951, lon: 13.3564 } })).GeoCoordinates.should.eql({ Google: { Coordinates: '52.480495 13.356400' } });
    accepted(full(1, { GeoCoordinates: { Latitude: -33.9, Longitude: '151.2' } })).GeoCoordinates.should.eql({
      Google: { Coordinates: '-33.900000 151.200000' },
    });
    accepted(full(1, { GeoChargingPointEntrance: { lat: 1, lng: 2 } })).GeoChargingPointEntrance.should.eql({ Google: { Coordinates: '1.000000 2.000000' } });
    accepted(full(1, { GeoCoordinates: { DecimalDegree: { Latitude: 52.5, Longitude: 13.25 } } })).GeoCoordinates.should.eql({
      DecimalDegree: { Latitude: '52.500000', Longitude: '13.250000' },
    });
    rejects(full(1, { GeoCoordinates: { lat: 1, lon: 2, Google: { Coordinates: '1.0 2.0' } } }), 'GeoCoordinates', /exactly one format/);
  });

  it('turns ISO alpha-2 countries into alpha-3 (the whole ISO 3166-1 table)', function () {
    data.COUNTRY_ALPHA2_TO_ALPHA3.size.should.equal(249);
    data.COUNTRY_ALPHA3.size.should.equal(249);
    for (const [a2, a3] of [
      ['DE', 'DEU'],
      ['at', 'AUT'],
      ['GB', 'GBR'],
      ['CH', 'CHE'],
      ['US', 'USA'],
      ['NL', 'NLD'],
      ['XK', undefined],
    ]) {
      (data.normaliseCountry(a2) === a3).should.be.true(a2);
    }
    accepted(full(1, { Address: { ...full().Address, Country: 'fr' } })).Address.Country.should.equal('FRA');
    accepted(full(1, { Address: { ...full().Address, Country: 'deu' } })).Address.Country.should.equal('DEU');
  });

  it('writes phone numbers as + and digits', function () {
    data.normalisePhoneNumber('0049 (30) 123-456').should.equal('+4930123456');
    data.normalisePhoneNumber('+49 (0)30 123 456').should.equal('+4930123456');
    data.normalisePhoneNumber('+49/30.123456').should.equal('+4930123456');
    accepted(full(1, { HotlinePhoneNumber: '0049 (30) 123-456' })).HotlinePhoneNumber.should.equal('+4930123456');
  });

  it('turns a boolean DynamicInfoAvailable into its text', function () {
    accepted(full(1, { DynamicInfoAvailable: true })).DynamicInfoAvailable.should.equal('true');
    accepted(full(1, { DynamicInfoAvailable: false })).DynamicInfoAvailable.should.equal('false');
  });

  it('maps OCPP ConnectorEnumType values to OICP plugs, and names the ones OICP lacks', function () {
    const expected = {
      cType2: 'Type 2 Connector (Cable Attached)',
      sType2: 'Type 2 Outlet',
      sType3: 'Type 3 Outlet',
      cType1: 'Type 1 Connector (Cable Attached)',
      cCCS1: 'CCS Combo 1 Plug (Cable Attached)',
      cCCS2: 'CCS Combo 2 Plug (Cable Attached)',
      cG105: 'CHAdeMO',
      cTesla: 'Tesla Connector',
      cNACS: 'Tesla Connector',
      's309-1P-16A': 'IEC 60309 Single Phase',
      's309-1P-32A': 'IEC 60309 Single Phase',
      's309-3P-16A': 'IEC 60309 Three Phase',
      's309-3P-32A': 'IEC 60309 Three Phase',
      sBS1361: 'Type G British Standard',
      'sCEE-7-7': 'Type F Schuko',
    };
    for (const [c, plug] of Object.entries(expected)) data.normalisePlug(c).should.eql({ plug });
    for (const c of [
      'cChaoJi',
      'cGBT',
      'cUltraChaoJi',
      'cMCS',
      'Other1PhMax16A',
      'Other1PhOver16A',
      'Other3Ph',
      'Pan',
      'wInductive',
      'wResonant',
      'Undetermined',
      'Unknown',
      'sType1',
    ]) {
      data.normalisePlug(c).error.should.match(/has no OICP plug type; give the OICP plug type/);
    }
    accepted(full(1, { Plugs: ['cCCS2', 'cG105', 's309-1P-16A', 's309-1P-32A'] })).Plugs.should.eql([
      'CCS Combo 2 Plug (Cable Attached)',
      'CHAdeMO',
      'IEC 60309 Single Phase',
    ]);
    accepted(full(1, { Plugs: 'sType2' })).Plugs.should.eql(['Type 2 Outlet']);
    rejects(full(1, { Plugs: ['cType2', 'Pan'] }), 'Plugs[1]', /OCPP connector type "Pan" has no OICP plug type/);
  });

  it('drops deltaType and lastUpdate, and writes the station id once as ChargingStationID', function () {
    const rec = accepted({ ...without(full(), 'ChargingStationID'), ChargingStationId: 'ST-9', deltaType: 'insert', lastUpdate: '2018-01-23T14:04:29.377Z' });
    rec.ChargingStationID.should.equal('ST-9');
    rec.should.not.have.properties('ChargingStationId', 'deltaType', 'lastUpdate');
    accepted(full(1, { ChargingStationID: 'A', ChargingStationId: 'A' })).ChargingStationID.should.equal('A');
    rejects(full(1, { ChargingStationID: 'A', ChargingStationId: 'B' }), 'ChargingStationID', /differ; give the station id once/);
  });

  it('merges defaults under every record and invents nothing', function () {
    const bare = full();
    for (const f of data.DEFAULTABLE_FIELDS) delete bare[f];
    bare.IsOpen24Hours = true;
    delete bare.OpeningTimes;
    const defaults = {
      HotlinePhoneNumber: '0049 30 999999',
      AuthenticationModes: ['REMOTE'],
      PaymentOptions: ['Direct'],
      ValueAddedServices: ['None'],
      Accessibility: 'Test Station',
      AccessibilityLocation: 'OnStreet',
      CalibrationLawDataAvailability: 'External',
      RenewableEnergy: false,
      IsOpen24Hours: false,
      IsHubjectCompatible: true,
      DynamicInfoAvailable: true,
    };
    data.validateDefaults(defaults).should.eql([]);
    const r = accepted(bare, { defaults });
    r.HotlinePhoneNumber.should.equal('+4930999999');
    r.Accessibility.should.equal('Test Station');
    r.IsOpen24Hours.should.be.true(); // the record's own value wins
    r.DynamicInfoAvailable.should.equal('true');
    // Without defaults nothing is filled in.
    const noDefaults = one(bare);
    noDefaults.rejected[0].issues.map((i) => i.field).should.containDeep(['HotlinePhoneNumber', 'AuthenticationModes', 'PaymentOptions', 'Accessibility']);
    rejects(without(full(), 'Address'), 'Address', /missing/, { defaults: { ...defaults, Address: {} } });
    data
      .validateDefaults({ Address: {}, PaymentOptions: ['No Payment', 'Direct'], HotlinePhoneNumber: '123' })
      .map((i) => i.field)
      .should.eql(['defaults.Address', 'defaults.HotlinePhoneNumber', 'defaults.PaymentOptions']);
  });

  it('gives equal text for records whose input key order differs', function () {
    const a = accepted(full());
    const shuffled = Object.fromEntries(Object.entries(full()).reverse());
    shuffled.Address = Object.fromEntries(Object.entries(full().Address).reverse());
    JSON.stringify(accepted(shuffled)).should.equal(JSON.stringify(a));
    data.recordsEqual({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }).should.be.true();
    data.recordsEqual({ a: 1, b: [1, 2] }, { a: 1, b: [2, 1] }).should.be.false();
  });
});

describe('EVSE data: input and body', function () {
  it('reads a record, a list, a whole eRoamingPushEvseData body, bare EvseIDs and "fullLoad"', function () {
    data.parseDataInput(full()).should.eql({ kind: 'items', items: [full()] });
    data.parseDataInput([full(1), 'DE*ABC*E1']).items.should.have.length(2);
    data.parseDataInput('fullLoad').should.eql({ kind: 'fullLoadTrigger' });
    const body = { ActionType: 'update', OperatorEvseData: { OperatorID: OP, OperatorName: NAME, EvseDataRecord: [full()] } };
    data.parseDataInput(body).should.eql({ kind: 'items', items: [full()], body: { ActionType: 'update', OperatorID: OP, OperatorName: NAME } });
    data.parseDataInput({ ActionType: 'wipe', OperatorEvseData: { EvseDataRecord: [] } }).error.should.match(/ActionType "wipe" is not one of/);
    data.parseDataInput(42).kind.should.equal('error');
  });

  it('builds the body with a mandatory OperatorName, valid against the official OpenAPI, and serialises it in pieces', async function () {
    (() => data.buildPushEvseDataBody('insert', OP, '', [])).should.throw(/OperatorName is missing/);
    (() => data.buildPushEvseDataBody('insert', OP, 'x'.repeat(101), [])).should.throw(/more than the 100 allowed/);
    (() => data.buildPushEvseDataBody('insert', 'DE*AB', NAME, [])).should.throw(/OperatorID/);
    const v = data.validateEvseDataRecords(
      [full(1), full(2, { GeoCoordinates: { lat: 1, lon: 2 }, Plugs: ['cCCS2'], DynamicInfoAvailable: false, ChargingStationId: undefined })],
      { operatorIds: OP },
    );
    const body = data.buildPushEvseDataBody('fullLoad', OP, NAME, v.records);
    body.OperatorEvseData.OperatorName.should.equal(NAME);
    assertValidBody(body);
    const s = await data.serialisePushEvseDataBody(body, { perChunk: 1 });
    [...s.chunks].length.should.equal(4);
    [...s.chunks].join('').should.equal(JSON.stringify(body));
    [...s.chunks].join('').should.equal(JSON.stringify(body)); // iterable again
    s.contentLength.should.equal(Buffer.byteLength(JSON.stringify(body)));
    const req = data.buildDataRequest('fullLoad', OP, NAME, v.records);
    req.EvseIDs.should.eql(v.records.map((r) => r.EvseID));
    data.dataRequestBody(req).should.eql(body);
    const t = await data.serialiseDataRequest(req);
    [...t.chunks].join('').should.equal(JSON.stringify(body));
    t.contentLength.should.equal(s.contentLength);
    data.recordIndexOfFieldReference('operatorEvseData.evseDataRecord[7].geoCoordinates').should.equal(7);
  });
});

describe('EVSE data: planning and the store', function () {
  const plan = (items, action, store, extra = {}) =>
    data.planDataPush(items, { action, operatorIds: OP, operatorId: OP, operatorName: NAME, store, minRatio: 0.5, ...extra });

  it('auto inserts first, then updates, and does not resend an acknowledged record', function () {
    const store = new data.EvseDataStore();
    let p = plan([full(1), full(2)], 'auto', store);
    p.requests.map((r) => r.ActionType).should.eql(['insert']);
    for (const r of p.requests) assertValidBody(data.dataRequestBody(r));
    store.acknowledgeRequest(p.requests[0]);
    p = plan([full(1, { ChargingStationID: 'renamed' }), full(2), full(3)], 'auto', store);
    p.requests
      .map((r) => [r.ActionType, r.EvseIDs, r.positions])
      .should.eql([
        ['insert', ['DE*ABC*E000003*1'], [3]],
        ['update', ['DE*ABC*E000001*1'], [1]],
      ]);
    p.unchanged.should.eql(['DE*ABC*E000002*1']);
    // Equal whatever the key order; force sends it anyway.
    plan([Object.fromEntries(Object.entries(full(2)).reverse())], 'update', store).requests.should.eql([]);
    plan([full(2)], 'update', store, { force: true }).requests.should.have.length(1);
    plan(['DE*ABC*E000002*1'], 'update', store).rejected[0].reason.should.match(/bare EvseID, which only a delete accepts/);
  });

  it('delete sends the stored acknowledged record for a bare EvseID', function () {
    const store = new data.EvseDataStore();
    const stored = accepted(full(5, { HardwareManufacturer: 'Stored' }));
    store.acknowledge('insert', [stored]);
    const p = plan(['de*abc*e000005*1', 'DE*ABC*E000006*1', 'DE*XYZ*E1'], 'delete', store);
    p.requests.should.have.length(1);
    p.requests[0].ActionType.should.equal('delete');
    data.dataRequestBody(p.requests[0]).OperatorEvseData.EvseDataRecord.should.eql([stored]);
    assertValidBody(data.dataRequestBody(p.requests[0]));
    p.rejected
      .map((r) => [r.index, r.reason])
      .should.match([
        [2, /no stored record to delete; give the whole record/],
        [3, /does not belong/],
      ]);
    // A full record given for delete: the stored one goes.
    data.dataRequestBody(plan([full(5)], 'delete', store).requests[0]).OperatorEvseData.EvseDataRecord[0].HardwareManufacturer.should.equal('Stored');
    store.acknowledge('delete', [stored]);
    store.isAcknowledged('DE*ABC*E000005*1').should.be.false();
  });

  it('holds back an empty or collapsed fullLoad unless forced', function () {
    const store = new data.EvseDataStore();
    const ten = Array.from({ length: 10 }, (_, i) => full(i + 1));
    let p = plan([], 'fullLoad', store);
    p.requests.should.eql([]);
    p.guarded.code.should.equal('empty');
    plan([], 'fullLoad', store, { force: true }).requests.should.have.length(1);
    p = plan(ten, 'fullLoad', store);
    (p.guarded === undefined).should.be.true();
    p.requests.should.have.length(1);
    assertValidBody(data.dataRequestBody(p.requests[0]));
    const acknowledged = p.requests[0];
    store.acknowledgeRequest(acknowledged, 1000);
    store.meta.should.eql({ lastFullLoadCount: 10, lastFullLoadAt: 1000 });
    p = plan(ten.slice(0, 4), 'fullLoad', store);
    p.guarded.should.match({ code: 'collapsed', count: 4, lastCount: 10 });
    p.guarded.reason.should.match(/fewer than 0.5 x the 10 EVSEs Hubject holds/);
    plan(ten.slice(0, 5), 'fullLoad', store).requests.should.have.length(1);
    plan(ten.slice(0, 4), 'fullLoad', store, { force: true }).requests.should.have.length(1);
    plan(ten.slice(0, 4), 'fullLoad', store, { minRatio: 0 }).requests.should.have.length(1);
    const stored = data.planStoredFullLoad({ operatorId: OP, operatorName: NAME, store, minRatio: 0.5 });
    stored.request.texts.should.eql(acknowledged.texts.slice().sort());
    stored.request.EvseIDs.should.have.length(10);
    store.acknowledgeRequest({ ActionType: 'delete', EvseIDs: stored.request.EvseIDs.slice(0, 6), texts: [] });
    // Hubject holds the 4 left after the deletes: their fullLoad deletes nothing more.
    data.planStoredFullLoad({ operatorId: OP, operatorName: NAME, store, minRatio: 0.5 }).request.EvseIDs.should.have.length(4);
  });

  it('marks EVSEs known without a record (auto then updates them)', function () {
    const store = new data.EvseDataStore();
    store.markKnown(['DE*ABC*E000007*1', 'bad']).should.eql({ marked: ['DE*ABC*E000007*1'], invalid: ['bad'] });
    plan([full(7)], 'auto', store).requests[0].ActionType.should.equal('update');
  });

  it('persists acknowledged records across restarts', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evse-data-'));
    try {
      let store = new data.EvseDataStore({ dir });
      await store.restore();
      store.acknowledge('insert', [accepted(full(1)), accepted(full(2))]);
      store.acknowledge('delete', [accepted(full(2))]);
      store.markKnown(['DE*ABC*E000009*1']);
      await store.close();
      store = new data.EvseDataStore({ dir });
      const rep = await store.restore();
      rep.should.match({ records: 1, known: 1, skipped: 0, truncated: false });
      store.get('DE*ABC*E000001*1').should.eql(accepted(full(1)));
      store.isUnchanged(accepted(full(1))).should.be.true();
      store.acknowledge('fullLoad', [accepted(full(3))], 5);
      await store.close();
      store = new data.EvseDataStore({ dir });
      (await store.restore()).should.match({ records: 1, known: 0 });
      store.evseIds().should.eql(['DE*ABC*E000003*1']);
      store.meta.should.eql({ lastFullLoadCount: 1, lastFullLoadAt: 5 });
      await store.destroy();
      fs.existsSync(dir).should.be.false();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives kill -9 of the process that acknowledged, losing at most the flush window', async function () {
    this.timeout(20000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evse-data-kill-'));
    try {
      const child = fork(path.join(__dirname, 'fixtures', 'evse-data-store-child.js'), [dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const acked = await new Promise((resolve, reject) => {
        child.on('message', (m) => {
          if (m && m.acknowledged) resolve(m.acknowledged);
        });
        child.on('exit', (code) => reject(new Error(`child exited with ${code} before acknowledging`)));
      });
      // The child acknowledged and waited past the 250 ms window; now it dies without closing anything.
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const store = new data.EvseDataStore({ dir });
      const rep = await store.restore();
      rep.records.should.equal(acked.length);
      for (const id of acked) store.isAcknowledged(id).should.be.true(id);
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates 20,000 full records in slices (timings: bench/b5-data-fullload.js)', async function () {
    const input = Array.from({ length: 20000 }, (_, i) => full(i + 1, { GeoCoordinates: { lat: 52 + i / 1e5, lon: 13.4 }, Plugs: ['cType2'] }));
    input[19999].Plugs = ['Pan'];
    const r = await data.validateEvseDataRecordsAsync(input, { operatorIds: OP });
    r.records.length.should.equal(19999);
    r.rejected.map((x) => x.index).should.eql([20000]);
  });
});

describe('EVSE data: a store that is not whole', function () {
  it('an incomplete store holds the stored fullLoad back naming its file, until msg.force or an acknowledged fullLoad', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evse-data-incomplete-'));
    try {
      let store = new data.EvseDataStore({ dir });
      await store.restore();
      store.acknowledge(
        'fullLoad',
        [1, 2, 3, 4, 5].map((i) => accepted(full(i))),
      );
      await store.compact();
      await store.close();
      const snap = path.join(dir, 'evse-data.jsonl');
      const buf = fs.readFileSync(snap);
      fs.writeFileSync(snap, buf.subarray(0, Math.floor(buf.length * 0.6)));
      store = new data.EvseDataStore({ dir });
      const rep = await store.restore();
      rep.incomplete.should.be.true();
      rep.lost.should.be.above(0);
      const opts = { operatorId: OP, operatorName: 'Demo CPO', store, minRatio: 0.5 };
      const held = data.planStoredFullLoad(opts);
      held.guarded.code.should.equal('incomplete');
      held.guarded.reason.should.containEql(snap);
      data.planStoredFullLoad({ ...opts, force: true }).request.ActionType.should.equal('fullLoad');
      store.acknowledge(
        'fullLoad',
        [1, 2, 3, 4, 5].map((i) => accepted(full(i))),
      );
      (store.incomplete === null).should.be.true();
      data.planStoredFullLoad(opts).request.EvseIDs.length.should.equal(5);
      await store.close();
      store = new data.EvseDataStore({ dir });
      (await store.restore()).incomplete.should.be.false();
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
