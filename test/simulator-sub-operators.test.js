'use strict';
// The simulator's sub-operators (Hubject's "Sub-OperatorIDs" of a hub CPO): set through the admin API, they let a hub
// operator push its sub-operators' EVSEs; without them Hubject answers 018. End to end with a real Node-RED.
require('should');
const fs = require('fs');
const { request } = require('undici');
const helper = require('node-red-node-test-helper');
const { HubjectModel } = require('../nodes/simulator/model');
const { startSim } = require('./support/sim');
const { evseDataRecord } = require('./support/evse-data-record');
const { nodeFiles, hubjectNodes, tmpUserDir, until, observers } = require('./support/flows');
const { forgetQueues } = require('../nodes/push/registry');

helper.init(require.resolve('node-red'));

const data = (records) => ({ ActionType: 'insert', OperatorEvseData: { OperatorID: 'DE*ABC', OperatorName: 'ABC', EvseDataRecord: records } });
const status = (records, action = 'update') => ({ ActionType: action, OperatorEvseStatus: { OperatorID: 'DE*ABC', EvseStatusRecord: records } });

describe('simulator: sub-operators of a hub CPO', function () {
  this.timeout(60000);

  it('the model takes EVSEs of a sub-operator only once they are set, for status and data', function () {
    const m = new HubjectModel();
    const push = (b) => m.push(b, undefined, 'DE*ABC', Date.now());
    push(status([{ EvseID: 'DE*S01*E1', EvseStatus: 'Available' }], 'fullLoad')).body.StatusCode.Code.should.equal('018');
    const pushData = (b) => m.pushData(b, undefined, 'DE*ABC', Date.now());
    pushData(data([evseDataRecord('DE*S01*E1')])).body.StatusCode.Code.should.equal('018');
    m.setSubOperators('DE*ABC', ['DE*S01']);
    m.subOperators('de*abc').should.eql(['DE*S01']);
    push(status([{ EvseID: 'DE*S01*E1', EvseStatus: 'Available' }], 'fullLoad')).body.StatusCode.Code.should.equal('000');
    m.getStatus('DE*ABC', 'DE*S01*E1').should.equal('Available');
    pushData(data([evseDataRecord('DE*S01*E1')])).body.StatusCode.Code.should.equal('000');
    m.getData('DE*ABC').has('DE*S01*E1').should.be.true();
    // Another operator's EVSE is still refused, and so is an EVSE of a sub-operator of someone else.
    push(status([{ EvseID: 'DE*XYZ*E1', EvseStatus: 'Available' }])).body.StatusCode.should.match({ Code: '018', AdditionalInfo: 'DE*XYZ*E1' });
    m.setSubOperators('DE*ABC', []);
    m.allSubOperators().should.eql({});
    push(status([{ EvseID: 'DE*S01*E1', EvseStatus: 'Occupied' }])).body.StatusCode.Code.should.equal('018');
  });

  describe('admin API and a real Node-RED hub CPO', function () {
    let sim, certs, url, userDir;
    before(async function () {
      ({ sim, certs, url } = await startSim({ latencyMs: 0 }));
    });
    after(async function () {
      await sim.stop();
    });
    beforeEach(function (done) {
      userDir = tmpUserDir('oicp-sub-ops-');
      helper.settings({ userDir });
      sim.clearState();
      sim.setSubOperators('DE*ABC', []);
      helper.startServer(done);
    });
    afterEach(async function () {
      const queue = helper.getNode('hub1')?.hubject.lane('status');
      await helper.unload();
      forgetQueues();
      if (queue) await queue.flush();
      await new Promise((r) => helper.stopServer(r));
      fs.rmSync(userDir, { recursive: true, force: true });
    });

    async function admin(method, path, body) {
      const res = await request(`${sim.adminUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.statusCode, json: await res.body.json() };
    }

    it('sets, lists and refuses malformed sub-operators', async function () {
      (await admin('POST', '/admin/sub-operators', { operatorId: 'DE*ABC', subOperatorIds: ['DE*S01', 'DE*S02'] })).should.match({
        status: 200,
        json: { operatorId: 'DE*ABC', subOperatorIds: ['DE*S01', 'DE*S02'] },
      });
      (await admin('GET', '/admin/sub-operators')).json.should.eql({ subOperators: { 'DE*ABC': ['DE*S01', 'DE*S02'] } });
      (await admin('POST', '/admin/sub-operators', { operatorId: 'DE*ABC', subOperatorIds: ['not an id'] })).status.should.equal(400);
      (await admin('PUT', '/admin/sub-operators', {})).status.should.equal(405);
      sim.subOperators('DE*ABC').should.eql(['DE*S01', 'DE*S02']);
    });

    function flow() {
      const nodes = hubjectNodes(certs, url);
      nodes.find((n) => n.id === 'hub1').subOperatorIds = 'DE*S01';
      return [
        ...nodes,
        { id: 'p1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'update', insertMissing: true, wires: [['out']] },
        { id: 'out', type: 'helper' },
        ...observers(['p1']),
      ];
    }
    const NODES = [nodeFiles.tls, nodeFiles.config, nodeFiles.push, nodeFiles.catch, nodeFiles.complete];

    it("pushes a sub-operator's EVSE status end to end once Hubject knows the sub-operator", async function () {
      await admin('POST', '/admin/sub-operators', { operatorId: 'DE*ABC', subOperatorIds: ['DE*S01'] });
      await helper.load(NODES, flow());
      helper.getNode('p1').receive({ payload: { EvseID: 'DE*S01*E1', EvseStatus: 'Available' } });
      await until(() => sim.getStatus('DE*ABC', 'DE*S01*E1') === 'Available', 10000, 'sub-operator EVSE at the simulator');
    });

    it('without the sub-operator at Hubject the same push fails with 018', async function () {
      await helper.load(NODES, flow());
      const caught = [];
      helper.getNode('caught').on('input', (m) => caught.push(m));
      helper.getNode('p1').receive({ payload: { EvseID: 'DE*S01*E1', EvseStatus: 'Available' } });
      await until(() => caught.length > 0, 10000, 'the 018 reaching the catch node');
      caught[0].error.message.should.match(/018/);
      (sim.getStatus('DE*ABC', 'DE*S01*E1') === undefined).should.be.true();
    });
  });
});
