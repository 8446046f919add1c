'use strict';
// The OCPP -> OICP status core (src/ocpp), without Node-RED.
require('should');
const { parseOcppMessage, StatusMapper, DEFAULT_MAPPING, compileEvseIdTemplate, checkEvseIdTemplate } = require('../nodes/ocpp');
const { assertEvseStatusRecord } = require('./support/openapi');
const S = require('./fixtures/ocpp/shapes');

// Hubject's table, written out here independently of the code.
const TABLE = {
  Available: 'Available',
  Preparing: 'Occupied',
  Charging: 'Occupied',
  SuspendedEVSE: 'Occupied',
  SuspendedEV: 'Occupied',
  Finishing: 'Occupied',
  Occupied: 'Occupied',
  Reserved: 'Reserved',
  Unavailable: 'OutOfService',
  Faulted: 'OutOfService',
};

const mapper = (opts = {}) => new StatusMapper({ evseIdTemplate: S.TEMPLATE, ...opts });

/** Asserts a 'records' result, validates every payload against the official OpenAPI, returns the records. */
function recs(r) {
  if (r.kind !== 'records') throw new Error(`expected records, got ${JSON.stringify(r)}`);
  for (const x of r.records) {
    assertEvseStatusRecord(x.payload);
    x.ocppStatus.should.be.an.Object();
  }
  return r.records;
}
const pairs = (r) => recs(r).map((x) => [x.payload.EvseID, x.payload.EvseStatus]);
const sn16 = (cb, connectorId, status, errorCode = 'NoError') => ({
  chargeBoxId: cb,
  payload: [2, 'x', 'StatusNotification', { connectorId, status, errorCode }],
});
const sn201 = (cb, evseId, connectorId, status) => ({ chargeBoxId: cb, payload: { evseId, connectorId, connectorStatus: status } });
const ws = (cb, state) => ({ ocpp: { websocket: state, chargeBoxIdentity: cb }, _msgid: '1' });
/** Maps one input shape and checks the single record it gives: payload, OCPP status and version; returns the record. */
function mappedOnce(shape, ocpp, oicp) {
  const r = mapper().process(shape.msg);
  const [rec] = recs(r);
  r.records.should.have.length(1);
  rec.payload.should.eql({ EvseID: shape.evseId, EvseStatus: oicp });
  rec.ocppStatus.status.should.equal(ocpp);
  rec.ocppStatus.version.should.equal(shape.version);
  return rec;
}

describe('ocpp core: default mapping', function () {
  it('is exactly Hubject table', function () {
    DEFAULT_MAPPING.should.eql(TABLE);
  });
});

describe('ocpp core: mapping table in every input shape', function () {
  for (const [ocpp, oicp] of Object.entries(TABLE)) {
    for (const shape of S.v16Shapes('CP-E2E', 2, ocpp)) {
      it(`1.6 ${ocpp} -> ${oicp} via ${shape.name}`, function () {
        const rec = mappedOnce(shape, ocpp, oicp);
        rec.ocppStatus.cause.should.equal('status');
        if (!shape.explicit) {
          rec.ocppStatus.chargeBoxId.should.equal('CP-E2E');
          rec.ocppStatus.connectorId.should.equal(2);
          (rec.ocppStatus.evseId === null).should.be.true();
          rec.ocppStatus.errorCode.should.equal('NoError');
        }
      });
    }
    for (const shape of S.v201Shapes('CS-201', 3, 1, ocpp)) {
      it(`2.0.1 ${ocpp} -> ${oicp} via ${shape.name}`, function () {
        const rec = mappedOnce(shape, ocpp, oicp);
        if (!shape.explicit) {
          rec.ocppStatus.chargeBoxId.should.equal('CS-201');
          rec.ocppStatus.evseId.should.equal(3);
          rec.ocppStatus.connectorId.should.equal(1);
          if (!shape.name.startsWith('plain')) rec.ocppStatus.timestamp.should.match(/^2026-11-25T18:00:0[45]\.000Z$/);
        }
      });
    }
  }
});

describe('ocpp core: parser', function () {
  it('recognises every line of the real node-red-contrib-ocpp capture', function () {
    const kinds = S.nrcLines().map((m) => parseOcppMessage(m));
    kinds.map((k) => k.kind).should.eql(['connection', 'other', 'status', 'status', 'status', 'status', 'status', 'status', 'other']);
    kinds[0].should.eql({ kind: 'connection', chargeBoxId: 'CP-E2E', online: true, version: undefined });
    kinds[1].command.should.equal('BootNotification');
    kinds[8].command.should.equal('Heartbeat');
    const f = kinds[7].facts[0];
    f.should.containEql({ version: '1.6', family: 1, chargeBoxId: 'CP-E2E', connectorId: 2, status: 'Faulted', errorCode: 'GroundFailure' });
  });

  it('recognises the node-red-contrib-ocpp2 shapes', function () {
    const kinds = S.ocpp2Lines().map((m) => parseOcppMessage(m));
    kinds.map((k) => k.kind).should.eql(['other', 'status', 'status', 'status', 'status', 'status', 'other', 'other', 'status', 'status']);
    kinds[5].facts.should.have.length(1); // the Voltage entry of the NotifyEvent is not a status
    kinds[5].facts[0].should.containEql({ version: '2.0.1', family: 2, chargeBoxId: 'CS-201', evseId: 2, connectorId: 1, status: 'Reserved' });
    kinds[6].command.should.equal('TransactionEvent');
  });

  it('takes the version from msg.ocpp.ocppVersion (2.1, SOAP 1.5)', function () {
    const m = S.ocpp2Lines()[1];
    m.ocpp.ocppVersion = '2.1';
    parseOcppMessage(m).facts[0].version.should.equal('2.1');
    const soap = {
      msgId: 'u',
      ocpp: { command: 'StatusNotification', chargeBoxIdentity: 'SOAP1', ocppVersion: '1.5' },
      payload: { command: 'StatusNotification', data: { connectorId: '1', status: 'Occupied', errorCode: 'NoError' } },
    };
    parseOcppMessage(soap).facts[0].should.containEql({ version: '1.5', connectorId: 1, status: 'Occupied' });
  });

  it('treats responses and CALLERRORs as other traffic', function () {
    parseOcppMessage({ payload: [3, 'id', {}] }).kind.should.equal('other');
    parseOcppMessage({ payload: '[4,"id","NotSupported","x",{}]' }).kind.should.equal('other');
    parseOcppMessage({ ocpp: { chargeBoxIdentity: 'A', msgType: 4, command: 'StatusNotification' }, payload: { ErrorCode: 'x' } }).kind.should.equal('other');
    const resp = S.ocpp2Lines()[1];
    resp.topic = 'CS-201/Response';
    parseOcppMessage(resp).kind.should.equal('other');
  });

  it('ignores NotifyEvents without Connector AvailabilityState', function () {
    parseOcppMessage(S.ocpp2Lines()[5]).kind.should.equal('status');
    const m = S.ocpp2Lines()[5];
    m.payload.data.eventData = m.payload.data.eventData.slice(1);
    parseOcppMessage(m).should.eql({ kind: 'other', command: 'NotifyEvent' });
  });
});

describe('ocpp core: real capture replay', function () {
  it('node-red-contrib-ocpp 1.3.10: one record per change, ignores Boot/Heartbeat/connector 0', function () {
    const m = mapper();
    const out = S.nrcLines().map((l) => m.process(l));
    out.map((r) => r.kind).should.eql(['ignored', 'other', 'ignored', 'records', 'records', 'records', 'records', 'records', 'other']);
    const got = out.filter((r) => r.kind === 'records').flatMap(pairs);
    got.should.eql([
      ['DE*ABC*ECP*E2E*1', 'Available'],
      ['DE*ABC*ECP*E2E*2', 'Available'],
      ['DE*ABC*ECP*E2E*1', 'Occupied'], // Preparing
      // Charging: still Occupied, nothing sent
      ['DE*ABC*ECP*E2E*2', 'OutOfService'], // Faulted / GroundFailure
    ]);
    out[6].records.should.have.length(0);
    out[6].label.should.equal('CP-E2E/1 Occupied');
    out[7].records[0].ocppStatus.should.eql({
      version: '1.6',
      chargeBoxId: 'CP-E2E',
      connectorId: 2,
      evseId: null,
      status: 'Faulted',
      errorCode: 'GroundFailure',
      timestamp: '2026-11-25T17:07:53.102Z',
      cause: 'status',
    });
    (out[7].warnings === undefined).should.be.true(); // Faulted with an errorCode is no warning
    m.evseCount.should.equal(2);
  });

  it('node-red-contrib-ocpp2 (constructed): EVSE 1 has two connectors and gives one OICP EVSE', function () {
    const m = mapper();
    const out = S.ocpp2Lines().map((l) => m.process(l));
    out.map((r) => r.kind).should.eql(['other', 'records', 'records', 'records', 'records', 'records', 'other', 'other', 'records', 'records']);
    out
      .map((r) => (r.kind === 'records' ? pairs(r) : r.kind))
      .should.eql([
        'other',
        [['DE*ABC*ECS*201*1', 'Available']],
        [], // connector 2 of EVSE 1: EVSE still Available
        [['DE*ABC*ECS*201*2', 'Available']],
        [['DE*ABC*ECS*201*1', 'Occupied']],
        [['DE*ABC*ECS*201*2', 'Reserved']], // NotifyEvent AvailabilityState
        'other',
        'other',
        [['DE*ABC*ECS*201*1', 'Available']],
        [['DE*ABC*ECS*201*2', 'OutOfService']],
      ]);
    m.evseCount.should.equal(2);
    m.connectorCount.should.equal(3);
  });
});

describe('ocpp core: several connectors under one EVSE', function () {
  const cases = [
    [['Occupied', 'Faulted'], 'Occupied'],
    [['Faulted', 'Occupied'], 'Occupied'],
    [['Reserved', 'Available'], 'Reserved'],
    [['Available', 'Reserved'], 'Reserved'],
    [['Available', 'Faulted'], 'Available'],
    [['Unavailable', 'Available'], 'Available'],
    [['Faulted', 'Unavailable'], 'OutOfService'],
    [['Reserved', 'Occupied', 'Available'], 'Occupied'],
    [['Unavailable', 'Reserved', 'Faulted'], 'Reserved'],
    [['Unavailable', 'Faulted', 'Faulted'], 'OutOfService'],
    [['Bogus', 'Faulted'], 'OutOfService'],
    [['Bogus', 'Weird'], 'Unknown'],
    [['Bogus', 'Available'], 'Available'],
  ];
  for (const [statuses, expected] of cases) {
    it(`${statuses.join(' + ')} -> ${expected}`, function () {
      const m = mapper({ unknownStatus: 'Unknown', onlyChanges: false });
      let last;
      statuses.forEach((s, i) => {
        last = m.process(sn201('CS-9', 1, i + 1, s));
      });
      pairs(last).should.eql([['DE*ABC*ECS*9*1', expected]]);
      m.evseCount.should.equal(1);
      m.connectorCount.should.equal(statuses.length);
    });
  }

  it('merges 1.6 connectors that the lookup table gives the same EvseID', function () {
    const m = new StatusMapper({
      lookup: [
        { chargeBoxId: 'DUO', connector: 1, EvseID: 'DE*ABC*E77*1' },
        { chargeBoxId: 'DUO', connector: '2', EvseID: 'de*abc*e77*1' },
      ],
    });
    pairs(m.process(sn16('DUO', 1, 'Available'))).should.eql([['DE*ABC*E77*1', 'Available']]);
    pairs(m.process(sn16('DUO', 2, 'Charging'))).should.eql([['DE*ABC*E77*1', 'Occupied']]);
    pairs(m.process(sn16('DUO', 2, 'Available'))).should.eql([['DE*ABC*E77*1', 'Available']]);
    m.evseCount.should.equal(1);
  });

  it('coalesces one NotifyEvent with several entries for one EVSE into one record', function () {
    const m = mapper();
    const data = S.notifyEventData(1, 1, 'Available');
    data.eventData.push({ ...data.eventData[0], component: { name: 'Connector', evse: { id: 1, connectorId: 2 } }, actualValue: 'Occupied' });
    data.eventData.push({ ...data.eventData[0], component: { name: 'Connector', evse: { id: 2, connectorId: 1 } }, actualValue: 'Faulted' });
    const r = m.process({ chargeBoxId: 'NE', payload: [2, 'n', 'NotifyEvent', data] });
    pairs(r).should.eql([
      ['DE*ABC*ENE*1', 'Occupied'],
      ['DE*ABC*ENE*2', 'OutOfService'],
    ]);
    r.records[0].ocppStatus.connectorId.should.equal(2);
  });
});

describe('ocpp core: onlyChanges', function () {
  const session = ['Available', 'Preparing', 'Charging', 'SuspendedEV', 'Charging', 'Finishing', 'Available'];
  it('on (default): Preparing, Charging, SuspendedEV, Finishing is one Occupied', function () {
    const m = mapper();
    const got = session.flatMap((s) => pairs(m.process(sn16('CP1', 1, s))));
    got.should.eql([
      ['DE*ABC*ECP1*1', 'Available'],
      ['DE*ABC*ECP1*1', 'Occupied'],
      ['DE*ABC*ECP1*1', 'Available'],
    ]);
    m.lastSent('de*abc*ecp1*1').should.equal('Available');
    m.lastSent('DEABCECP11').should.equal('Available');
  });
  it('off: every status message gives a record', function () {
    const m = mapper({ onlyChanges: false });
    const got = session.flatMap((s) => pairs(m.process(sn16('CP1', 1, s))).map((p) => p[1]));
    got.should.eql(['Available', 'Occupied', 'Occupied', 'Occupied', 'Occupied', 'Occupied', 'Available']);
  });
  it('keys EVSEs ignoring case and optional *: two spellings are one EVSE', function () {
    const m = mapper();
    pairs(m.process({ payload: { EvseID: 'DE*ABC*E900*7', status: 'Available' } })).should.have.length(1);
    pairs(m.process({ payload: { EvseID: 'deabce9007', status: 'Available' } })).should.have.length(0);
    const r = pairs(m.process({ evseId: 'DEABCE9007', payload: { status: 'Charging' } }));
    r.should.eql([['DEABCE9007', 'Occupied']]); // the spelling of the message goes on the wire
    m.evseCount.should.equal(1);
  });
  it('keeps bounded state: one entry per connector, however many messages', function () {
    const m = mapper();
    const statuses = Object.keys(TABLE);
    for (let i = 0; i < 20000; i++) m.process(sn16(`ST${i % 5}`, (i % 3) + 1, statuses[i % statuses.length]));
    m.connectorCount.should.equal(15);
    m.evseCount.should.equal(15);
  });
  it('refuses more connectors than maxConnectors', function () {
    const m = mapper({ maxConnectors: 3 });
    for (let c = 1; c <= 3; c++) recs(m.process(sn16('CAP', c, 'Available')));
    const r = m.process(sn16('CAP', 4, 'Available'));
    r.kind.should.equal('error');
    r.error.should.match(/too many connectors tracked \(3\)/);
    recs(m.process(sn16('CAP', 2, 'Charging'))).should.have.length(1);
  });
});

describe('ocpp core: connector 0', function () {
  function seeded(opts) {
    const m = mapper({ connector0: 'all', ...opts });
    recs(m.process(sn16('CP0', 1, 'Charging')));
    recs(m.process(sn16('CP0', 2, 'Available')));
    recs(m.process(sn16('OTHER', 1, 'Available')));
    return m;
  }
  it('ignore (default): connector 0 ends without output and without error', function () {
    const m = mapper();
    recs(m.process(sn16('CP0', 1, 'Charging')));
    for (const s of ['Available', 'Unavailable', 'Faulted', 'Nonsense']) {
      const r = m.process(sn16('CP0', 0, s));
      r.kind.should.equal('ignored');
      r.reason.should.match(/connector 0/);
    }
    m.lastSent('DE*ABC*ECP0*1').should.equal('Occupied');
  });
  for (const trigger of ['Unavailable', 'Faulted']) {
    it(`all: ${trigger} on connector 0 sets every known EVSE of the station OutOfService; Available restores`, function () {
      const m = seeded();
      const r = m.process(sn16('CP0', 0, trigger, trigger === 'Faulted' ? 'PowerMeterFailure' : 'NoError'));
      pairs(r).should.eql([
        ['DE*ABC*ECP0*1', 'OutOfService'],
        ['DE*ABC*ECP0*2', 'OutOfService'],
      ]);
      r.records[0].ocppStatus.should.containEql({ chargeBoxId: 'CP0', connectorId: 1, status: trigger, cause: 'connector0' });
      r.records[1].ocppStatus.connectorId.should.equal(2);
      // Again: nothing changes.
      pairs(m.process(sn16('CP0', 0, trigger))).should.eql([]);
      // A connector's own change while masked is remembered, not sent.
      pairs(m.process(sn16('CP0', 1, 'Finishing'))).should.eql([]);
      pairs(m.process(sn16('CP0', 2, 'Reserved'))).should.eql([]);
      const back = m.process(sn16('CP0', 0, 'Available'));
      pairs(back).should.eql([
        ['DE*ABC*ECP0*1', 'Occupied'],
        ['DE*ABC*ECP0*2', 'Reserved'],
      ]);
      back.records[0].ocppStatus.should.containEql({ status: 'Finishing', connectorId: 1, cause: 'connector0' });
      m.lastSent('DE*ABC*EOTHER*1').should.equal('Available');
    });
  }
  it('all: a connector first seen while connector 0 is Faulted is OutOfService', function () {
    const m = mapper({ connector0: 'all' });
    pairs(m.process(sn16('NEW', 0, 'Faulted', 'OtherError'))).should.eql([]);
    pairs(m.process(sn16('NEW', 1, 'Available'))).should.eql([['DE*ABC*ENEW*1', 'OutOfService']]);
    pairs(m.process(sn16('NEW', 0, 'Available'))).should.eql([['DE*ABC*ENEW*1', 'Available']]);
  });
  it('all: other statuses on connector 0 are ignored, unknown ones are errors', function () {
    const m = seeded();
    m.process(sn16('CP0', 0, 'Preparing')).kind.should.equal('ignored');
    m.process(sn16('CP0', 0, 'Exploded')).error.should.match(/unknown OCPP status 'Exploded'/);
  });
  it('all, onlyChanges off: connector 0 Available re-sends every known EVSE', function () {
    const m = seeded({ onlyChanges: false });
    pairs(m.process(sn16('CP0', 0, 'Available'))).should.eql([
      ['DE*ABC*ECP0*1', 'Occupied'],
      ['DE*ABC*ECP0*2', 'Available'],
    ]);
  });
  it('a message with its own EvseID on connector 0 is that EVSE, not the station', function () {
    const m = mapper({ connector0: 'all' });
    pairs(m.process({ evseId: 'DE*ABC*E55*0', payload: { connectorId: 0, status: 'Faulted', errorCode: 'OtherError' } })).should.eql([
      ['DE*ABC*E55*0', 'OutOfService'],
    ]);
  });
});

describe('ocpp core: offline and online', function () {
  function seeded(offline, opts = {}) {
    const m = mapper({ offline, ...opts });
    recs(m.process(sn16('CP-E2E', 1, 'Charging')));
    recs(m.process(sn16('CP-E2E', 2, 'Faulted', 'GroundFailure')));
    recs(m.process(sn16('CP-E2E', 3, 'Available')));
    recs(m.process(sn16('OTHER', 1, 'Available')));
    return m;
  }
  it('ignore (default): connection events end without output', function () {
    const m = seeded('ignore');
    m.process(ws('CP-E2E', 'OFFLINE')).kind.should.equal('ignored');
    m.process(ws('CP-E2E', 'ONLINE')).kind.should.equal('ignored');
    m.lastSent('DE*ABC*ECP*E2E*1').should.equal('Occupied');
  });
  it('OutOfService: OFFLINE sets all known EVSEs of the station; those already OutOfService send nothing', function () {
    const m = seeded('OutOfService');
    const r = m.process(ws('CP-E2E', 'OFFLINE'));
    pairs(r).should.eql([
      ['DE*ABC*ECP*E2E*1', 'OutOfService'],
      ['DE*ABC*ECP*E2E*3', 'OutOfService'],
    ]);
    r.records[0].ocppStatus.should.eql({
      version: '1.6',
      chargeBoxId: 'CP-E2E',
      connectorId: 1,
      evseId: null,
      status: 'OFFLINE',
      errorCode: null,
      timestamp: null,
      cause: 'offline',
    });
    pairs(m.process(ws('CP-E2E', 'OFFLINE'))).should.eql([]);
    const back = m.process(ws('CP-E2E', 'ONLINE'));
    pairs(back).should.eql([
      ['DE*ABC*ECP*E2E*1', 'Occupied'],
      ['DE*ABC*ECP*E2E*3', 'Available'],
    ]);
    back.records[0].ocppStatus.should.containEql({ status: 'Charging', cause: 'online' });
    m.lastSent('DE*ABC*EOTHER*1').should.equal('Available');
  });
  it('Unknown: OFFLINE sets Unknown, including EVSEs that were OutOfService', function () {
    const m = seeded('Unknown');
    pairs(m.process(ws('CP-E2E', 'OFFLINE')))
      .map((p) => p[1])
      .should.eql(['Unknown', 'Unknown', 'Unknown']);
    pairs(m.process(ws('CP-E2E', 'ONLINE')))
      .map((p) => p[1])
      .should.eql(['Occupied', 'OutOfService', 'Available']);
  });
  it('unknown stations: connection events end without output', function () {
    const m = seeded('OutOfService');
    m.process(ws('NEVER-SEEN', 'OFFLINE')).kind.should.equal('ignored');
  });
  it('a status from an offline station brings it back online', function () {
    const m = seeded('OutOfService');
    recs(m.process(ws('CP-E2E', 'OFFLINE')));
    const r = m.process(sn16('CP-E2E', 1, 'Finishing'));
    pairs(r).should.eql([
      ['DE*ABC*ECP*E2E*1', 'Occupied'],
      ['DE*ABC*ECP*E2E*3', 'Available'],
    ]);
    r.records[0].ocppStatus.should.containEql({ status: 'Finishing', cause: 'status' });
    r.records[1].ocppStatus.cause.should.equal('online');
  });
  it('offline wins over connector 0, and both restore in any order', function () {
    const m = seeded('Unknown', { connector0: 'all' });
    pairs(m.process(sn16('CP-E2E', 0, 'Unavailable')))
      .map((p) => p[1])
      .should.eql(['OutOfService', 'OutOfService']);
    pairs(m.process(ws('CP-E2E', 'OFFLINE')))
      .map((p) => p[1])
      .should.eql(['Unknown', 'Unknown', 'Unknown']);
    pairs(m.process(ws('CP-E2E', 'ONLINE')))
      .map((p) => p[1])
      .should.eql(['OutOfService', 'OutOfService', 'OutOfService']);
    pairs(m.process(sn16('CP-E2E', 0, 'Available')))
      .map((p) => p[1])
      .should.eql(['Occupied', 'Available']);
  });
});

describe('ocpp core: EvseID resolution', function () {
  const lookup = [
    { chargeBoxId: 'CP-E2E', connector: 1, EvseID: 'DE*ABC*E1001*1' },
    { chargeBoxId: 'cs-201', connector: '2', EvseID: 'DE*ABC*E2001*2' },
  ];
  it('1. the message EvseID, 2. the lookup table, 3. the template', function () {
    const m = mapper({ lookup });
    pairs(m.process({ evseId: 'de*abc*e5*5', chargeBoxId: 'CP-E2E', payload: { connectorId: 1, status: 'Available' } })).should.eql([
      ['DE*ABC*E5*5', 'Available'],
    ]);
    pairs(m.process(sn16('CP-E2E', 1, 'Available'))).should.eql([['DE*ABC*E1001*1', 'Available']]);
    pairs(m.process(sn16('CP-E2E', 2, 'Available'))).should.eql([['DE*ABC*ECP*E2E*2', 'Available']]);
  });
  it('looks 2.0.1 up by evseId and station ids case-insensitively', function () {
    const m = mapper({ lookup });
    pairs(m.process(sn201('CS-201', 2, 1, 'Occupied'))).should.eql([['DE*ABC*E2001*2', 'Occupied']]);
    pairs(m.process(sn201('CS-201', 1, 1, 'Occupied'))).should.eql([['DE*ABC*ECS*201*1', 'Occupied']]);
  });
  it('works with a lookup table and no template', function () {
    const m = new StatusMapper({ lookup });
    pairs(m.process(sn16('CP-E2E', 1, 'Reserved'))).should.eql([['DE*ABC*E1001*1', 'Reserved']]);
    const r = m.process(sn16('CP-E2E', 2, 'Reserved'));
    r.kind.should.equal('error');
    r.error.should.equal('no EvseID for CP-E2E connector 2: no lookup entry, no EvseID template and none in the message');
  });
  it('cleans the station id: upper case, outside [A-Z0-9] becomes *', function () {
    const m = mapper();
    pairs(m.process(sn16('cp_süd.01', 4, 'Available'))).should.eql([['DE*ABC*ECP*S*D*01*4', 'Available']]);
  });
  it('{evseId} and {connectorId} both name the EVSE number, in 1.6 and 2.0.1', function () {
    const m = new StatusMapper({ evseIdTemplate: '+49*810*{chargeBoxId}*{evseId}' });
    pairs(m.process(sn16('000123', 2, 'Available'))).should.eql([['+49*810*000123*2', 'Available']]);
    pairs(m.process(sn201('000124', 3, 2, 'Available'))).should.eql([['+49*810*000124*3', 'Available']]);
    const r = m.process(sn16('ABC', 1, 'Available')); // letters do not fit a DIN EvseID
    r.kind.should.equal('error');
    r.error.should.match(/^EvseID '\+49\*810\*ABC\*1' does not match the OICP pattern/);
  });
  it('errors when the result does not match the OICP pattern', function () {
    const m = mapper();
    const r = m.process(sn16('X'.repeat(40), 1, 'Available'));
    r.kind.should.equal('error');
    r.error.should.match(/does not match the OICP pattern/);
    const e = m.process({ evseId: 'DE*ABC*E_1', payload: { status: 'Available' } });
    e.should.eql({ kind: 'error', error: "EvseID 'DE*ABC*E_1' does not match the OICP pattern" });
  });
  it('with an operator, every EvseID must belong to it (Hubject 018)', function () {
    const m = mapper({ operatorId: 'DE*ABC' });
    recs(m.process(sn16('CP1', 1, 'Available')));
    recs(m.process({ payload: { EvseID: 'DEABCE77', status: 'Available' } }));
    const r = m.process({ payload: { EvseID: 'DE*XYZ*E1', status: 'Available' } });
    r.should.eql({ kind: 'error', error: "EvseID 'DE*XYZ*E1' does not belong to operator DE*ABC (Hubject would answer 018)" });
  });
  it('errors when no station id is known', function () {
    const m = mapper();
    const r = m.process({ payload: { connectorId: 1, status: 'Available' } });
    r.error.should.equal('status for connector 1 without a station id (set msg.chargeBoxId or msg.topic)');
    const r2 = m.process({ payload: { evseId: 2, connectorId: 1, connectorStatus: 'Available' } });
    r2.error.should.equal('status for EVSE 2 connector 1 without a station id (set msg.chargeBoxId or msg.topic)');
  });
});

describe('ocpp core: template', function () {
  it('compiles once and renders', function () {
    const t = compileEvseIdTemplate(' DE*ABC*E{chargeBoxId}*{ connectorId } ');
    t.render('CP1', 3).should.equal('DE*ABC*ECP1*3');
    t.usesStation.should.be.true();
  });
  it('checks templates like the editor does', function () {
    checkEvseIdTemplate('DE*ABC*E{chargeBoxId}*{connectorId}').should.equal('DE*ABC*ECP1*1');
    (() => checkEvseIdTemplate('DE*ABC*E{station}*{connectorId}')).should.throw(/unknown placeholder \{station\}/);
    (() => checkEvseIdTemplate('DE*ABC*E{chargeBoxId')).should.throw(/unclosed/);
    (() => checkEvseIdTemplate('DE*ABC*E}{connectorId}')).should.throw(/'\}' without '\{'/);
    (() => checkEvseIdTemplate('DE*ABC*E{chargeBoxId}')).should.throw(/has no \{connectorId\} or \{evseId\}/);
    (() => checkEvseIdTemplate('DE-ABC-{connectorId}')).should.throw(/gives 'DE-ABC-1', which does not match the OICP pattern/);
    (() => checkEvseIdTemplate('DE*XYZ*E{connectorId}', 'DE*ABC')).should.throw(/does not belong to operator DE\*ABC/);
  });
});

describe('ocpp core: status names, errorCode, custom mapping', function () {
  it('an unknown status is an error by default', function () {
    const r = mapper().process(sn16('CP1', 1, 'Exploded'));
    r.kind.should.equal('error');
    r.error.should.equal(`unknown OCPP status 'Exploded' from CP1 connector 1 (set "unknown status" to Unknown to send OICP Unknown)`);
  });
  it('unknownStatus Unknown sends OICP Unknown', function () {
    pairs(mapper({ unknownStatus: 'Unknown' }).process(sn201('CS', 1, 1, 'Exploded'))).should.eql([['DE*ABC*ECS*1', 'Unknown']]);
  });
  it('object prototype names are not statuses', function () {
    for (const s of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'available']) {
      mapper()
        .process(sn16('CP1', 1, s))
        .kind.should.equal('error');
    }
  });
  it('an errorCode on a non-Faulted status is a warning; the status keeps its mapping', function () {
    const r = mapper().process(sn16('CP1', 1, 'Available', 'HighTemperature'));
    pairs(r).should.eql([['DE*ABC*ECP1*1', 'Available']]);
    r.warnings.should.eql(['CP1 connector 1: errorCode HighTemperature with status Available']);
    r.records[0].ocppStatus.errorCode.should.equal('HighTemperature');
  });
  it('keeps info and vendor codes', function () {
    const r = mapper().process({
      chargeBoxId: 'V',
      payload: { connectorId: 1, status: 'Faulted', errorCode: 'OtherError', info: 'RCD', vendorId: 'acme', vendorErrorCode: 'E42' },
    });
    recs(r)[0].ocppStatus.should.containEql({ info: 'RCD', vendorId: 'acme', vendorErrorCode: 'E42' });
  });
  it('merges a custom mapping over the default table', function () {
    const m = mapper({ mapping: { Finishing: 'Available', VendorBusy: 'Occupied' }, onlyChanges: false });
    pairs(m.process(sn16('CP1', 1, 'Finishing')))[0][1].should.equal('Available');
    pairs(m.process(sn16('CP1', 1, 'VendorBusy')))[0][1].should.equal('Occupied');
    pairs(m.process(sn16('CP1', 1, 'Charging')))[0][1].should.equal('Occupied');
  });
});

describe('ocpp core: configuration errors', function () {
  const cases = [
    [{ evseIdTemplate: 'DE*ABC*E{nope}*{connectorId}' }, /unknown placeholder \{nope\}/],
    [{ evseIdTemplate: 'DE*ABC*{connectorId}' }, /does not match the OICP pattern/],
    [{ evseIdTemplate: 'DE*XYZ*E{connectorId}', operatorId: 'DE*ABC' }, /does not belong to operator DE\*ABC/],
    [{ mapping: { Charging: 'Busy' } }, /mapping for OCPP status 'Charging': 'Busy' is not an OICP EvseStatus/],
    [{ mapping: [] }, /mapping must be an object/],
    [{ lookup: [{ chargeBoxId: 'A', connector: 1, EvseID: 'nope' }] }, /lookup row 1 \(A\/1\): EvseID 'nope' does not match the OICP pattern/],
    [{ lookup: [{ chargeBoxId: '', connector: 1, EvseID: 'DE*ABC*E1' }] }, /lookup row 1: chargeBoxId is missing/],
    [{ lookup: [{ chargeBoxId: 'A', connector: 'x', EvseID: 'DE*ABC*E1' }] }, /connector 'x' is not a connector or EVSE number/],
    [
      {
        lookup: [
          { chargeBoxId: 'A', connector: 1, EvseID: 'DE*ABC*E1' },
          { chargeBoxId: 'a', connector: '1', EvseID: 'DE*ABC*E2' },
        ],
      },
      /lookup row 2 repeats chargeBoxId 'a' with connector 1/,
    ],
    [{ lookup: [{ chargeBoxId: 'A', connector: 1, EvseID: 'DE*XYZ*E1' }], operatorId: 'DE*ABC' }, /does not belong to operator DE\*ABC/],
    [{ lookup: {} }, /lookup must be an array/],
    [{ unknownStatus: 'drop' }, /unknownStatus must be 'error' or 'Unknown'/],
    [{ connector0: 'some' }, /connector0 must be 'ignore' or 'all'/],
    [{ offline: 'Available' }, /offline must be 'ignore', 'OutOfService' or 'Unknown'/],
    [{ operatorId: 'nonsense!' }, /OperatorID 'nonsense!' does not match/],
  ];
  for (const [opts, re] of cases) {
    it(`rejects ${JSON.stringify(opts)}`, function () {
      (() => new StatusMapper(opts)).should.throw(re);
    });
  }
  it('accepts no options at all', function () {
    const m = new StatusMapper();
    pairs(m.process({ evseId: 'DE*ABC*E1', payload: { status: 'Available' } })).should.eql([['DE*ABC*E1', 'Available']]);
  });
});

describe('ocpp core: bad input', function () {
  const bad = [
    [null, /message is null, not an object/],
    ['StatusNotification', /message is 'StatusNotification', not an object/],
    [{}, /not an OCPP status message/],
    [{ payload: null }, /not an OCPP status message.*payload is null/],
    [{ payload: 42 }, /payload is 42/],
    [{ payload: 'hello' }, /payload is a string but not an OCPP-J frame/],
    [{ chargeBoxId: 'A', payload: '[2,"abc","StatusNotification",{"connectorId":1,"status":"Avail' }, /payload is not valid JSON/],
    [{ chargeBoxId: 'A', payload: [2, 'abc', 'StatusNotification'] }, /truncated OCPP-J CALL frame/],
    [{ chargeBoxId: 'A', payload: [2] }, /truncated OCPP-J CALL frame/],
    [{ chargeBoxId: 'A', payload: [] }, /OCPP-J frame must start with 2 \(CALL\), 3 or 4, not undefined/],
    [{ chargeBoxId: 'A', payload: [9, 'x', 'StatusNotification', {}] }, /must start with 2/],
    [{ chargeBoxId: 'A', payload: [2, 7, 'StatusNotification', {}] }, /message id 7 is not a string/],
    [{ chargeBoxId: 'A', payload: [2, 'x', null, {}] }, /action null is not a string/],
    [{ chargeBoxId: 'A', payload: [2, 'x', 'StatusNotification', null] }, /StatusNotification without data/],
    [{ chargeBoxId: 'A', payload: [2, 'x', 'StatusNotification', { status: 'Available', errorCode: 'NoError' }] }, /^StatusNotification without connectorId$/],
    [{ chargeBoxId: 'A', payload: [2, 'x', 'StatusNotification', { connectorId: 1, errorCode: 'NoError' }] }, /^StatusNotification without status$/],
    [{ chargeBoxId: 'A', payload: { connectorId: 1, status: 7 } }, /status 7 is not a status name/],
    [{ chargeBoxId: 'A', payload: { connectorId: 1e308, status: 'Available' } }, /connectorId 1e\+308 is not a non-negative integer/],
    [{ chargeBoxId: 'A', payload: { connectorId: 99999999999, status: 'Available' } }, /connectorId 99999999999 is not a non-negative integer/],
    [{ chargeBoxId: 'A', payload: { connectorId: -1, status: 'Available' } }, /connectorId -1/],
    [{ chargeBoxId: 'A', payload: { connectorId: 1.5, status: 'Available' } }, /connectorId 1.5/],
    [{ chargeBoxId: 'A', payload: { connectorId: '1; DROP', status: 'Available' } }, /connectorId '1; DROP'/],
    [{ chargeBoxId: 'A', payload: { connectorId: { $gt: 0 }, status: 'Available' } }, /connectorId an object/],
    [{ chargeBoxId: 'A', payload: { evseId: 1, connectorStatus: 'Available' } }, /^StatusNotification without connectorId$/],
    [{ chargeBoxId: 'A', payload: { connectorId: 1, connectorStatus: 'Available' } }, /^StatusNotification without evseId$/],
    [{ chargeBoxId: 'A', payload: { evseId: 'one', connectorId: 1, connectorStatus: 'Available' } }, /evseId 'one'/],
    [{ chargeBoxId: 'A', payload: { evseId: 1, connectorId: 1, connectorStatus: null } }, /connectorStatus null is not a status name/],
    [{ chargeBoxId: 'A', payload: [2, 'x', 'NotifyEvent', {}] }, /NotifyEvent without eventData/],
    [{ chargeBoxId: 'A', payload: [2, 'x', 'NotifyEvent', { eventData: [null] }] }, /eventData\[0\] is null/],
    [
      {
        chargeBoxId: 'A',
        payload: [
          2,
          'x',
          'NotifyEvent',
          { eventData: [{ component: { name: 'Connector' }, variable: { name: 'AvailabilityState' }, actualValue: 'Available' }] },
        ],
      },
      /without component.evse.id/,
    ],
    [
      {
        chargeBoxId: 'A',
        payload: [
          2,
          'x',
          'NotifyEvent',
          { eventData: [{ component: { name: 'Connector', evse: { id: 1 } }, variable: { name: 'AvailabilityState' }, actualValue: 'Available' }] },
        ],
      },
      /without component.evse.connectorId/,
    ],
    [
      {
        chargeBoxId: 'A',
        payload: [
          2,
          'x',
          'NotifyEvent',
          { eventData: [{ component: { name: 'Connector', evse: { id: 1, connectorId: 1 } }, variable: { name: 'AvailabilityState' } }] },
        ],
      },
      /actualValue undefined/,
    ],
    [{ chargeBoxId: {}, payload: { connectorId: 1, status: 'Available' } }, /msg.chargeBoxId an object is not a usable station id/],
    [{ topic: 'T'.repeat(300), payload: { connectorId: 1, status: 'Available' } }, /msg.topic is too long/],
    [{ evseId: 5, payload: { status: 'Available' } }, /msg.evseId 5 is not an EvseID string/],
    [{ payload: { EvseID: 5, status: 'Available' } }, /payload.EvseID 5 is not an EvseID string/],
    [{ payload: { EvseID: 'DE*ABC*E1' } }, /payload.EvseID 'DE\*ABC\*E1' without status/],
    [{ payload: { foo: 1 } }, /payload has no status, connectorStatus, EvseID or OCPP command/],
    [{ ocpp: { websocket: 'ONLINE' } }, /websocket event 'ONLINE' without chargeBoxIdentity/],
    [{ ocpp: { websocket: 'MAYBE', chargeBoxIdentity: 'A' } }, /neither ONLINE nor OFFLINE/],
    [{ ocpp: { chargeBoxIdentity: 'A' }, payload: {} }, /OCPP message from A without command/],
    [{ ocpp: { chargeBoxIdentity: '' }, payload: {} }, /station id '' is not usable/],
    [
      { ocpp: { chargeBoxIdentity: 'A', command: 'StatusNotification' }, payload: { command: 'StatusNotification', data: 'x' } },
      /StatusNotification without data \(got 'x'\)/,
    ],
    [JSON.parse('{"chargeBoxId":"A","payload":{"__proto__":{"status":"Available","connectorId":1}}}'), /payload has no status/],
    [JSON.parse('{"__proto__":{"chargeBoxId":"A"},"payload":{"connectorId":1,"status":"Available"}}'), /without a station id/],
  ];
  for (const [msg, re] of bad) {
    it(`${JSON.stringify(msg)?.slice(0, 90)} -> ${re}`, function () {
      const m = mapper();
      const r = m.process(msg);
      r.kind.should.equal('error');
      r.error.should.match(re);
      // The next good message works.
      pairs(m.process(sn16('GOOD', 1, 'Available'))).should.eql([['DE*ABC*EGOOD*1', 'Available']]);
    });
  }

  it('leaves state untouched when one entry of a NotifyEvent is bad', function () {
    const m = mapper();
    const data = S.notifyEventData(1, 1, 'Occupied');
    data.eventData.push({ ...data.eventData[0], actualValue: 'Exploded' });
    m.process({ chargeBoxId: 'NE', payload: [2, 'n', 'NotifyEvent', data] }).kind.should.equal('error');
    (m.lastSent('DE*ABC*ENE*1') === undefined).should.be.true();
    pairs(m.process(sn201('NE', 1, 1, 'Available'))).should.eql([['DE*ABC*ENE*1', 'Available']]);
  });

  it('never throws on random and malformed input (fuzz)', function () {
    let seed = 20261125;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = (a) => a[Math.floor(rnd() * a.length)];
    const atoms = [
      null,
      undefined,
      true,
      0,
      -1,
      1,
      2,
      1e308,
      -1e308,
      9007199254740993,
      NaN,
      Infinity,
      '',
      '0',
      '1',
      'x',
      '[',
      '{',
      'Available',
      'Charging',
      'StatusNotification',
      'NotifyEvent',
      '__proto__',
      'constructor',
      'ONLINE',
      'OFFLINE',
      'DE*ABC*E1',
      '\u0000',
      'é'.repeat(300),
    ];
    const keys = [
      'ocpp',
      'payload',
      'topic',
      'chargeBoxId',
      'evseId',
      'command',
      'data',
      'status',
      'connectorStatus',
      'connectorId',
      'evseId',
      'errorCode',
      'chargeBoxIdentity',
      'cbId',
      'websocket',
      'msgType',
      'eventData',
      'component',
      'variable',
      'name',
      'evse',
      'id',
      'actualValue',
      'EvseID',
      '__proto__',
      'ocppVersion',
    ];
    function value(depth) {
      const r = rnd();
      if (depth > 4 || r < 0.4) return pick(atoms);
      if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 5) }, () => value(depth + 1));
      const o = {};
      const n = Math.floor(rnd() * 6);
      for (let i = 0; i < n; i++) Object.defineProperty(o, pick(keys), { value: value(depth + 1), enumerable: true, configurable: true, writable: true });
      return o;
    }
    const valid = [
      JSON.stringify([2, 'abc', 'StatusNotification', { connectorId: 1, status: 'Available', errorCode: 'NoError' }]),
      JSON.stringify([2, 'abd', 'NotifyEvent', S.notifyEventData(1, 1, 'Occupied')]),
      JSON.stringify(S.nrcLines()[6]),
      JSON.stringify(S.ocpp2Lines()[5]),
    ];
    const m = mapper({ connector0: 'all', offline: 'Unknown', unknownStatus: 'Unknown' });
    const kinds = {};
    for (let i = 0; i < 5000; i++) {
      let msg;
      const r = rnd();
      if (r < 0.35) {
        const s = pick(valid);
        const cut = s.slice(0, Math.floor(rnd() * s.length));
        msg =
          rnd() < 0.5
            ? { chargeBoxId: 'FZ', payload: cut }
            : (() => {
                try {
                  return JSON.parse(cut);
                } catch {
                  return { payload: cut };
                }
              })();
      } else if (r < 0.45) {
        msg = JSON.parse(pick(valid).replace('"connectorId":1', `"__proto__":{"x":1},"connectorId":${pick(['1', '0', '1e308', '-5', '"7"', 'null', '{}'])}`));
        if (Array.isArray(msg)) msg = { topic: 'FZ', payload: msg };
      } else {
        msg = value(0);
      }
      let res;
      (() => {
        res = m.process(msg);
      }).should.not.throw();
      ['records', 'ignored', 'other', 'error'].should.containEql(res.kind);
      if (res.kind === 'records') recs(res);
      if (res.kind === 'error') res.error.should.be.a.String().and.not.be.empty();
      kinds[res.kind] = (kinds[res.kind] || 0) + 1;
    }
    kinds.error.should.be.above(1000);
    kinds.records.should.be.above(10);
    pairs(m.process(sn16('AFTER', 1, 'Available'))).should.eql([['DE*ABC*EAFTER*1', 'Available']]);
  });
});
