'use strict';
// Hubject rejects data: 018 on one EvseID inside a bundle of 50. The other 49 arrive; the bad one is
// reported once, through Catch, with its code.
require('should');
const helper = require('node-red-node-test-helper');
const { startSim, pullViaHttp, statusesFromPull } = require('../support/sim');
const { hubjectNodes, until, observers } = require('../support/flows');
const { PUSH_NODES, pushNode, startHelper, stopHelper, sleep, report, byKey, diffStatuses } = require('./lib');

helper.init(require.resolve('node-red'));

const rec = (n, s) => ({ EvseID: `DE*ABC*E${n}`, EvseStatus: s });
const BAD = 'DE*ABC*E7';

describe('Hubject rejects one EvseID of a bundle with 018', function () {
  this.timeout(60000);
  let sim, certs, url;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2 }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(async function () {
    await startHelper('oicp-faults-reject-', sim);
  });
  afterEach(stopHelper);

  async function load() {
    await helper.load(PUSH_NODES, [...hubjectNodes(certs, url, { retryBase: 1, retryMax: 30 }), pushNode(), ...observers(['p1'])]);
    const w = { caught: [], completed: [], p1: helper.getNode('p1') };
    helper.getNode('caught').on('input', (m) => w.caught.push(m));
    helper.getNode('completed').on('input', (m) => w.completed.push(m));
    return w;
  }

  /** Hubject knows E0..E49 as Available; the truth after the test is Occupied for all but the rejected one. */
  function seed() {
    const before = Array.from({ length: 50 }, (_, i) => rec(i, 'Available'));
    sim.seedState('DE*ABC', before);
    const truth = {};
    for (const r of before) truth[r.EvseID] = r.EvseID === BAD ? 'Available' : 'Occupied';
    return truth;
  }

  for (const named of [true, false]) {
    it(`one message of 50 records, AdditionalInfo ${named ? 'names' : 'does not name'} the EvseID: 49 land, one Catch with 018`, async function () {
      const w = await load();
      const truth = seed();
      sim.injectFault({ kind: 'result', code: '018', evseId: BAD, ...(named ? { additionalInfo: BAD } : {}) });
      w.p1.receive({ _msgid: 'bundle', payload: Array.from({ length: 50 }, (_, i) => rec(i, 'Occupied')) });
      await until(() => w.caught.length === 1, 20000, 'the 018 reached Catch');
      await sleep(300); // a second report would come right behind the first
      w.caught.length.should.equal(1);
      w.completed.length.should.equal(0); // the message failed as a whole, once
      const err = w.caught[0].error;
      err.code.should.equal('018');
      err.message.should.match(/DE\*ABC\*E7/).and.match(/018/);
      w.caught[0]._msgid.should.equal('bundle');
      const pulled = statusesFromPull(await pullViaHttp(url, certs));
      diffStatuses(truth, pulled).should.eql([]);
      const pushes = sim.requestLog.filter((l) => l.kind === 'push');
      pushes[0].records.should.equal(50);
      pushes[0].code.should.equal('018');
      // Nothing sent twice that Hubject already took, and the bad EVSE never counted as sent.
      const accepted = pushes.filter((l) => l.code === '000').reduce((n, l) => n + l.records, 0);
      accepted.should.equal(49);
      if (named) pushes.length.should.equal(2);
      report(`018 in one message (AdditionalInfo ${named ? 'named' : 'empty'})`, {
        requests: pushes.length,
        rejected: pushes.filter((l) => l.code === '018').length,
        landed: accepted,
        catches: w.caught.length,
        code: err.code,
      });
    });
  }

  it('50 messages coalesced into one bundle: 49 complete, the one with the bad EvseID gets one Catch with 018', async function () {
    const w = await load();
    const truth = seed();
    // Hold the queue on a slow first request so that the next 50 messages go out as one bundle.
    sim.injectFault({ kind: 'latency', ms: 400, count: 1 });
    w.p1.receive({ _msgid: 'first', payload: rec(100, 'Reserved') });
    truth['DE*ABC*E100'] = 'Reserved';
    await sleep(50);
    sim.injectFault({ kind: 'result', code: '018', evseId: BAD, additionalInfo: BAD });
    for (let i = 0; i < 50; i++) w.p1.receive({ _msgid: `m${i}`, payload: rec(i, 'Occupied') });
    await until(() => w.completed.length === 50 && w.caught.length === 1, 20000, '50 completes and one Catch');
    await sleep(300);
    w.caught.length.should.equal(1);
    w.caught[0]._msgid.should.equal('m7');
    w.caught[0].error.code.should.equal('018');
    w.caught[0].error.message.should.match(/DE\*ABC\*E7.*018/);
    w.completed
      .map((m) => m._msgid)
      .sort()
      .should.eql(['first', ...Array.from({ length: 50 }, (_, i) => `m${i}`).filter((x) => x !== 'm7')].sort());
    const pushes = sim.requestLog.filter((l) => l.kind === 'push');
    const bundle = pushes.find((l) => l.code === '018');
    bundle.records.should.equal(50);
    const pulled = statusesFromPull(await pullViaHttp(url, certs));
    diffStatuses(truth, pulled).should.eql([]);
    byKey(pulled).should.eql(byKey(truth));
    report('018 in a bundle of 50 messages', {
      requests: pushes.length,
      bundle: bundle.records,
      completes: w.completed.length,
      catches: w.caught.length,
      code: w.caught[0].error.code,
    });
  });
});
