'use strict';
// What one input of a data node becomes (src/evse-data/input.ts), without Node-RED (issue 21: the planning left the
// adapter): known lists, the stored fullLoad and its guard, invalid fullLoads, actions, operators, pending inserts.
require('should');
const { DataInputPlanner } = require('../nodes/evse-data/input');
const { OperatorEvseData } = require('../nodes/evse-data/operator');
const { evseDataRecord } = require('./support/evse-data-record');

const OP = 'DE*ABC';
const NAME = 'ABC Charging';
const id = (i) => `DE*ABC*E${String(i).padStart(4, '0')}*1`;
const rec = (i) => evseDataRecord(id(i), { Address: { Country: 'DEU', City: 'Berlin', Street: 'Main Street', PostalCode: '10829', HouseNum: '1' } });
const silent = { log() {}, warn() {}, error() {} };
const say = (key, values) => `${key} ${JSON.stringify(values ?? {})}`;

async function planner(opts = {}) {
  const data = new OperatorEvseData({ log: silent, minRatio: 0.5 });
  await data.ready;
  const warnings = [];
  const p = new DataInputPlanner({
    data,
    operatorId: OP,
    operatorName: NAME,
    operatorIds: [OP],
    maxBodyBytes: 20e6,
    defaults: undefined,
    minRatio: 0.5,
    action: 'auto',
    say,
    warn: (w) => warnings.push(w),
    ...opts,
  });
  return { p, data, warnings };
}

describe('a data node input, planned (core, no Node-RED)', function () {
  it('a known list marks EVSEs acknowledged; an invalid EvseID fails the input', async function () {
    const { p, data } = await planner();
    (await p.plan({ topic: 'known', payload: [id(1), { EvseID: id(2) }] })).should.eql({ kind: 'done' });
    data.store.isAcknowledged(id(2)).should.be.true();
    const bad = await p.plan({ topic: 'known', payload: ['nope'] });
    bad.kind.should.equal('fail');
    bad.error.message.should.match(/^errors\.known .*nope/);
  });

  it('the stored fullLoad of an empty store is guarded; with records it is queued and clears the guard', async function () {
    const { p, data } = await planner();
    const empty = await p.plan({ payload: 'fullLoad' });
    empty.should.match({ kind: 'guarded', code: 'empty', rejected: [] });
    const ins = await p.plan({ payload: [rec(1), rec(2)] });
    ins.should.match({ kind: 'queue', fullLoad: false });
    ins.requests.map((r) => r.ActionType).should.eql(['insert']);
    data.store.acknowledgeRequest(ins.requests[0]);
    const full = p.stored(false);
    full.should.match({ kind: 'queue', fullLoad: true });
    full.requests[0].ActionType.should.equal('fullLoad');
    full.requests[0].EvseIDs.should.eql([id(1), id(2)]);
  });

  it('a message fullLoad with an invalid record is guarded whole and fails naming it (error.cause.rejected)', async function () {
    const { p } = await planner();
    const bad = { ...rec(2), HotlinePhoneNumber: 'call us' };
    const step = await p.plan({ payload: [rec(1), bad], action: 'fullLoad' });
    step.should.match({ kind: 'guarded', code: 'invalid' });
    step.error.message.should.match(/guarded whole/);
    step.error.cause.rejected.should.match([{ index: 2, EvseID: id(2), field: 'HotlinePhoneNumber' }]);
  });

  it('an unknown action and another operator fail the input; a valid update is queued', async function () {
    const { p } = await planner();
    const act = await p.plan({ payload: [rec(1)], action: 'upsert' });
    act.kind.should.equal('fail');
    act.error.message.should.match(/^errors\.action .*upsert/);
    const other = await p.plan({ payload: { ActionType: 'update', OperatorEvseData: { OperatorID: 'DE*XYZ', OperatorName: NAME, EvseDataRecord: [rec(1)] } } });
    other.kind.should.equal('fail');
    (await p.plan({ payload: [rec(1)], action: 'update' })).should.match({ kind: 'queue', fullLoad: false, rejected: [] });
  });
});
