'use strict';
require('should');
const { request } = require('undici');
const { HubjectModel } = require('../nodes/simulator/model');
const { startSim } = require('./support/sim');
const { evseDataRecord } = require('./support/evse-data-record');

const OP = 'DE*ABC';
const id = (i) => `DE*ABC*E${i}*1`;
const record = (i, over = {}) => evseDataRecord(id(i), { ChargingStationNames: [{ lang: 'de', value: `Station ${i}` }], ...over });
const body = (action, records, over = {}) => ({
  ActionType: action,
  OperatorEvseData: { OperatorID: OP, OperatorName: 'ABC', EvseDataRecord: records, ...over },
});
const push = (m, b, url = OP) => m.pushData(b, undefined, url, Date.now());
const code = (v) => v.body.StatusCode && v.body.StatusCode.Code;

describe('simulator: eRoamingPushEvseData (data-records v23)', function () {
  it('answers a schema fault with a 400 FaultBody naming operatorEvseData.evseDataRecord[N] and the field', function () {
    const m = new HubjectModel();
    const v = push(
      m,
      body('insert', [
        record(1),
        record(2, { Address: { Country: 'DE', City: 'Berlin', Street: 'S', PostalCode: '1', HouseNum: '1' } }),
        record(3, { Plugs: [] }),
      ]),
    );
    v.httpStatus.should.equal(400);
    const refs = v.body.validationErrors.map((e) => e.fieldReference);
    // Alpha-2 is what the client normalises; Hubject itself takes the schema's alpha-3 only.
    refs.some((r) => r.startsWith('operatorEvseData.evseDataRecord[1]')).should.be.true(refs.join(', '));
    refs.some((r) => r.startsWith('operatorEvseData.evseDataRecord[2].plugs')).should.be.true(refs.join(', '));
    refs.some((r) => r.startsWith('operatorEvseData.evseDataRecord[0]')).should.be.false();
    m.getData(OP).size.should.equal(0);
    push(m, body('insert', [record(1)], { OperatorName: '' })).body.validationErrors[0].fieldReference.should.equal('operatorEvseData.operatorName');
  });

  it('applies the ActionType semantics of status: insert refuses known EVSEs, update unknown ones (022), delete is lenient, fullLoad replaces', function () {
    const m = new HubjectModel();
    code(push(m, body('insert', [record(1), record(2)]))).should.equal('000');
    code(push(m, body('insert', [record(2)]))).should.equal('022');
    code(push(m, body('update', [record(3)]))).should.equal('022');
    code(push(m, body('update', [record(2, { ChargingStationNames: [{ lang: 'de', value: 'neu' }] })]))).should.equal('000');
    m.getData(OP).get(id(2)).ChargingStationNames[0].value.should.equal('neu');
    code(push(m, body('delete', [record(1), record(9)]))).should.equal('000');
    [...m.getData(OP).keys()].should.eql([id(2)]);
    code(push(m, body('fullLoad', [record(5), record(6)]))).should.equal('000');
    [...m.getData(OP).keys()].sort().should.eql([id(5), id(6)]);
  });

  it('answers 017 for a body OperatorID other than the URL and 018 for foreign or repeated EvseIDs', function () {
    const m = new HubjectModel();
    push(m, body('insert', [record(1)]), 'DE*XYZ').httpStatus.should.equal(401);
    const foreign = push(m, body('insert', [record(1, { EvseID: 'DE*XYZ*E1*1' })]));
    code(foreign).should.equal('018');
    foreign.body.StatusCode.AdditionalInfo.should.containEql('DE*XYZ*E1*1');
    code(push(m, body('insert', [record(1), record(1)]))).should.equal('018');
  });

  it('refuses status for EVSEs without data with 018 only while the switch is on', function () {
    const m = new HubjectModel();
    const status = (ids) => ({
      ActionType: 'update',
      OperatorEvseStatus: { OperatorID: OP, EvseStatusRecord: ids.map((x) => ({ EvseID: x, EvseStatus: 'Available' })) },
    });
    m.seed(OP, [{ EvseID: id(1), EvseStatus: 'Occupied' }], Date.now());
    code(m.push(status([id(1)]), undefined, OP, Date.now())).should.equal('000');
    m.requireData = true;
    const refused = m.push(status([id(1)]), undefined, OP, Date.now());
    code(refused).should.equal('018');
    refused.body.StatusCode.AdditionalInfo.should.containEql(id(1));
    code(push(m, body('insert', [record(1)]))).should.equal('000');
    code(m.push(status([id(1)]), undefined, OP, Date.now())).should.equal('000');
  });

  it('admin API switches the data requirement; the page and state show each EVSE data beside its status', async function () {
    const { sim } = await startSim();
    try {
      sim.requireData.should.be.false();
      const res = await request(sim.adminUrl + 'admin/require-data', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ on: true }),
      });
      (await res.body.json()).should.eql({ requireData: true });
      sim.requireData.should.be.true();
      sim.model.pushData(
        body('insert', [record(1, { ChargingFacilities: [{ PowerType: 'DC', Power: 150 }], Plugs: ['CCS Combo 2 Plug (Cable Attached)'] })]),
        undefined,
        OP,
        Date.now(),
      );
      const state = await (await request(sim.adminUrl + 'admin/state')).body.json();
      state.requireData.should.be.true();
      const evse = state.operators[0].evses.find((e) => e.EvseID === id(1));
      evse.data.should.eql({ name: 'Station 1', address: 'EUREF Campus 22, 10829 Berlin, DEU', plugs: ['CCS Combo 2 Plug (Cable Attached)'], powerKw: 150 });
      const html = await (await request(sim.adminUrl)).body.text();
      html.should.containEql('Station 1').and.containEql('150 kW').and.containEql('status needs data (018)');
    } finally {
      await sim.stop();
    }
  });
});
