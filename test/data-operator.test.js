'use strict';
// The operator's EVSE data planning without Node-RED (issue 19 and 21): the guard against what Hubject holds, a
// message fullLoad with invalid records, maxBodyMB, the refused fullLoad, pending inserts, the shared store's migration.
require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const data = require('../nodes/evse-data');
const { OperatorEvseData, afterPendingInserts, RejectedNotes } = require('../nodes/evse-data/operator');
const { planRejection } = require('../nodes/push/rejection');
const { StatusGate } = require('../nodes/status/gate');
const { classifyHttpStatus } = require('../nodes/oicp/codes');
const { evseDataRecord } = require('./support/evse-data-record');

const OP = 'DE*ABC';
const NAME = 'ABC Charging';
const id = (i) => `DE*ABC*E${String(i).padStart(4, '0')}*1`;
const rec = (i) =>
  evseDataRecord(id(i), {
    ChargingStationNames: [{ lang: 'de', value: `S ${i}` }],
    Address: { Country: 'DEU', City: 'Berlin', Street: 'Main Street', PostalCode: '10829', HouseNum: '1' },
  });
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, k) => a + k);
const plan = (items, action, store, opts = {}) =>
  data.planDataPush(items, { action, operatorIds: OP, operatorId: OP, operatorName: NAME, store, minRatio: 0.5, ...opts });
const silent = { log() {}, warn() {}, error() {} };

describe('EVSE data of an operator (core, no Node-RED)', function () {
  it('guards a fullLoad with what Hubject holds: every record acknowledged since the last fullLoad, plus the known', function () {
    const store = new data.EvseDataStore();
    store.acknowledgeRequest(plan(range(1, 10).map(rec), 'fullLoad', store).requests[0]);
    store.acknowledgeRequest(plan(range(11, 1010).map(rec), 'auto', store).requests[0]);
    store.markKnown([id(2000), id(2001)]);
    data.countAtHubject(store).should.equal(1012);
    const p = plan(range(1, 6).map(rec), 'fullLoad', store);
    p.guarded.should.match({ code: 'collapsed', count: 6, lastCount: 1012 });
    p.guarded.reason.should.match(/the other 1006 would be deleted/);
    plan(range(1, 506).map(rec), 'fullLoad', store).requests.should.have.length(1);
  });

  it('holds a message fullLoad with an invalid record back whole, even forced, naming each bad record', function () {
    const store = new data.EvseDataStore();
    const list = range(1, 4).map(rec);
    list[1].HotlinePhoneNumber = '030';
    const p = plan(list, 'fullLoad', store, { force: true });
    p.requests.should.have.length(0);
    p.guarded.code.should.equal('invalid');
    p.guarded.reason.should.match(/record 2 \(DE\*ABC\*E0002\*1\): HotlinePhoneNumber/);
  });

  it('holds back a fullLoad larger than maxBodyBytes, forced or not, naming maxBodyMB and the alternative', function () {
    const store = new data.EvseDataStore();
    const p = plan(range(1, 100).map(rec), 'fullLoad', store, { maxBodyBytes: 10_000, force: true });
    p.guarded.code.should.equal('tooLarge');
    p.guarded.reason.should.match(/maxBodyMB .*update\/insert in bundles/);
    const ok = plan(range(1, 100).map(rec), 'fullLoad', store, { maxBodyBytes: 1_000_000 });
    data.dataRequestBytes(ok.requests[0]).should.equal(Buffer.byteLength(JSON.stringify(data.dataRequestBody(ok.requests[0]))));
  });

  it('the stored fullLoad: forced and empty it goes; unreadable it waits for force', function () {
    const store = new data.EvseDataStore();
    const base = { operatorId: OP, operatorName: NAME, store, minRatio: 0.5 };
    data.planStoredFullLoad(base).guarded.code.should.equal('empty');
    data.planStoredFullLoad({ ...base, force: true }).request.EvseIDs.should.eql([]);
    store.acknowledgeRequest(plan([rec(1)], 'insert', store).requests[0]);
    data.planStoredFullLoad({ ...base, unreadable: 'x/snapshot.jsonl: bad' }).guarded.code.should.equal('unreadable');
    data.planStoredFullLoad({ ...base, unreadable: 'x', force: true }).request.EvseIDs.should.eql([id(1)]);
  });

  it('a body of another OperatorID or OperatorName is refused; the same operator in another spelling is fine', function () {
    (data.bodyOperatorError({ OperatorID: 'DEABC', OperatorName: NAME }, OP, NAME) === undefined).should.be.true();
    data.bodyOperatorError({ OperatorID: 'DE*XYZ' }, OP, NAME).should.match(/not this node's operator/);
    data.bodyOperatorError({ OperatorName: 'Other' }, OP, NAME).should.match(/OperatorName "Other"/);
  });

  it('a refused fullLoad goes again without the named records only past the guard; otherwise all fail with a note', function () {
    const attempt = { action: 'fullLoad', items: range(0, 9) };
    const answer = { code: '022', httpStatus: 200, named: range(0, 6) };
    const held = planRejection(attempt, answer, true, { fullLoadRest: (rest) => rest >= 5 });
    held.fail.should.have.length(10);
    held.resend.should.eql([]);
    held.note.should.match(/refused 7 of its 10 records/);
    const goes = planRejection(attempt, { ...answer, named: [3] }, true, { fullLoadRest: (rest) => rest >= 5 });
    goes.fail.should.eql([3]);
    goes.resend[0].items.should.have.length(9);
  });

  it('HTTP 413 is a configuration fault', function () {
    classifyHttpStatus(413).class.should.equal('config');
  });

  it('auto sends a change of an EVSE whose insert is pending as update, after it', function () {
    const req = (ActionType, ids) => ({ ActionType, OperatorID: OP, OperatorName: NAME, EvseIDs: ids, texts: ids.map((x) => x), positions: ids.map(() => 0) });
    const out = afterPendingInserts([req('insert', ['A', 'B']), req('update', ['C'])], (x) => x === 'B');
    out.map((r) => `${r.ActionType} ${r.EvseIDs.join(',')}`).should.eql(['insert A', 'update C,B']);
    afterPendingInserts([req('insert', ['A'])], () => true)
      .map((r) => r.ActionType)
      .should.eql(['update']);
  });

  it('reports validation rejections once, with the first acknowledgement of one of the message records', function () {
    const notes = new RejectedNotes();
    notes.note(['A', 'B'], [{ reason: 'x' }]);
    notes.take(['B']).should.eql([{ reason: 'x' }]);
    notes.take(['A']).should.eql([]);
  });

  it('merges per-node stores into the operator store, renames them aside, and releases held statuses once read', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-operator-'));
    try {
      const old = [path.join(dir, 'evse-data-a'), path.join(dir, 'evse-data-b')];
      for (const [i, d] of old.entries()) {
        const st = new data.EvseDataStore({ dir: d });
        await st.restore();
        st.acknowledgeRequest(plan([rec(i + 1)], 'insert', st).requests[0]);
        if (i === 1) st.markKnown([id(9)]);
        await st.close();
      }
      const gate = new StatusGate(OP, { mode: 'auto' });
      const released = [];
      gate.attach({ enqueue: (_a, records) => released.push(...records.map((r) => r.EvseID)) });
      const logs = [];
      const opData = new OperatorEvseData({
        dir: path.join(dir, 'evse-data', 'op'),
        migrate: old,
        gate,
        minRatio: 0.5,
        log: { ...silent, log: (x) => logs.push(x) },
      });
      opData.attach('n1', 0.5);
      // Held while the store is read: nothing is acknowledged yet.
      gate.admit('update', [{ EvseID: id(1), EvseStatus: 'Available' }], null).should.eql([]);
      await opData.ready;
      released.should.eql([id(1)]);
      opData.store.size.should.equal(3);
      logs.should.have.length(2);
      fs.readdirSync(dir)
        .filter((n) => /\.migrated-/.test(n))
        .should.have.length(2);
      opData.refusedFullLoadMayGo(1, 2).should.be.false();
      opData.refusedFullLoad.should.match(/the other 1 are guarded/);
      opData.refusedFullLoadMayGo(2, 1).should.be.true();
      await opData.close();
      gate.stop();
      const again = new OperatorEvseData({ dir: path.join(dir, 'evse-data', 'op'), gate: null, minRatio: 0.5, log: silent });
      await again.ready;
      again.store.size.should.equal(3);
      await again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
