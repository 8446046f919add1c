'use strict';
// The full load card of the OICP sidebar: the result of the last fullLoad carries Hubject's answer once the push
// node's output is wired back to the full load node (msg.oicp.action 'fullLoad').
require('should');
const helper = require('node-red-node-test-helper');
const shared = require('./support/flows');
const stats = require('../nodes/ops/stats');
const fullLoadNode = require('../nodes/oicp-full-load.js');

helper.init(require.resolve('node-red'));

const recs = (from, to) => Array.from({ length: to - from }, (_, i) => ({ EvseID: `DE*ABC*E${from + i}`, EvseStatus: 'Available' }));
const TAB = { id: 'f1', type: 'tab', label: 'test' };
const FLOW = [
  TAB,
  { id: 'fl1', type: 'oicp-full-load', z: 'f1', time: '03:00', staleDays: 7, allowEmpty: false, minRatio: 0.5, storage: 'file', wires: [['out']] },
  { id: 'out', type: 'helper', z: 'f1' },
  ...shared.observers(['fl1'], { z: 'f1' }),
];

describe('full load card: the answer to the last fullLoad', function () {
  this.timeout(20000);
  shared.freshUserDirs(helper, 'oicp-fl-answer-');

  it('shows sent, then acknowledged or rejected with the code as the push node reports back; a guarded one stays guarded', async function () {
    await helper.load(fullLoadNode, FLOW);
    const w = shared.watchNode(helper, 'fl1');
    const last = () => stats.findFullLoad('fl1').snapshot(Date.now()).last;
    let n = 0;
    const handled = () => {
      n++;
      return shared.until(() => w.completed.length + w.caught.length >= n, 5000, `message ${n} handled`);
    };
    const send = async (msg) => {
      w.node.receive(msg);
      await handled();
    };

    (last() === undefined).should.be.true();
    await send({ payload: recs(0, 10) });
    await send({ topic: 'fullLoad' });
    w.out.length.should.equal(1);
    last().should.containEql({ result: 'sent', count: 10 });
    (last().answer === undefined).should.be.true();

    // An update's result says nothing about the fullLoad.
    await send({ oicp: { action: 'update', records: 1, statusCode: '000' } });
    last().result.should.equal('sent');
    await send({ topic: 'fullLoad', payload: { Result: true }, oicp: { action: 'fullLoad', records: 10, httpStatus: 200, statusCode: '000' } });
    last().should.containEql({ result: 'acknowledged', count: 10 });
    last().answer.should.containEql({ code: '000', httpStatus: 200 });
    last().answer.at.should.be.aboveOrEqual(last().at);

    await send({ topic: 'fullLoad' });
    last().result.should.equal('sent');
    await send({ oicp: { action: 'fullLoad', records: 10, statusCode: '018', description: 'inconsistent' } });
    last().should.containEql({ result: 'rejected' });
    last().answer.should.containEql({ code: '018', description: 'inconsistent' });

    // Held back (the list collapsed): a late answer must not turn it into an acknowledgement.
    await send({ action: 'delete', payload: recs(0, 9).map((r) => r.EvseID) });
    await send({ topic: 'fullLoad' });
    last().result.should.equal('guarded');
    await send({ oicp: { action: 'fullLoad', records: 10, statusCode: '000' } });
    last().result.should.equal('guarded');
  });
});
