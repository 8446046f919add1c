'use strict';
// A push node's side of the status gate (src/status/admission.ts), without Node-RED (issue 21: the bookkeeping left
// the adapter): what is queued, the shrunk or empty status fullLoad that is not sent, and the count left out.
require('should');
const { StatusGate } = require('../nodes/status/gate');
const { GateAdmission } = require('../nodes/status/admission');

const id = (i) => `DE*ABC*E${i}*1`;
const records = (n) => Array.from({ length: n }, (_, i) => ({ EvseID: id(i + 1), EvseStatus: 'Available' }));

function setup(acknowledged) {
  const gate = new StatusGate('DE*ABC', { mode: 'on' });
  gate.registerDataSource('test', { isAcknowledged: (e) => acknowledged.includes(e) });
  const said = [];
  const admission = new GateAdmission(() => gate, 0.5, {
    leftOut: (left, total) => said.push(`left ${left}/${total}`),
    shrunk: (pass, total, ratio) => said.push(`shrunk ${pass}/${total} < ${ratio}`),
  });
  let settled = 0;
  const owner = () => ({ nodeId: 'n1', pending: 0, failures: [], settle: () => settled++ });
  return { gate, admission, said, owner, settled: () => settled };
}

describe('the gate admission of a push node (core, no Node-RED)', function () {
  afterEach(function () {
    this.gate?.stop();
  });

  it('an update passes the EVSEs with data; the others are held and nothing is queued for them', function () {
    const s = setup([id(1)]);
    this.gate = s.gate;
    s.admission
      .admit('update', records(2), s.owner())
      .map((r) => r.EvseID)
      .should.eql([id(1)]);
    (s.admission.admit('update', [records(2)[1]], s.owner()) === null).should.be.true();
    s.gate.heldCount.should.equal(1);
  });

  it('a status fullLoad the gate shrinks below minRatio is not sent and its input completes; msg.force sends it', function () {
    const s = setup([id(1)]);
    this.gate = s.gate;
    const o = s.owner();
    (s.admission.admit('fullLoad', records(4), o) === null).should.be.true();
    s.settled().should.equal(1);
    (o.settle === null).should.be.true();
    s.said.should.eql(['left 3/4', 'shrunk 1/4 < 0.5']);
    const forced = s.admission.admit('fullLoad', records(4), s.owner(), true);
    forced.map((r) => r.EvseID).should.eql([id(1)]);
    s.admission.leftOut(1).should.equal(3);
    (s.admission.leftOut(1) === undefined).should.be.true();
  });

  it('without a gate everything passes', function () {
    const admission = new GateAdmission(() => null, 0.5, { leftOut() {}, shrunk() {} });
    admission.admit('fullLoad', records(3), { nodeId: 'n', pending: 0, failures: [] }).length.should.equal(3);
  });
});
