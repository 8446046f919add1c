'use strict';
// Issue 19, rows 13-19: state files under <userDir>/oicp that are damaged or cannot be written, in a real Node-RED
// process (test/support/red-process.js) against the simulator over mutual TLS.
require('should');
const fs = require('fs');
const path = require('path');
const { startSim, pullStatuses } = require('./support/sim');
const { RedProcess, makeUserDir, simEnv, simConfigNodes } = require('./support/red-process');
const { until } = require('./support/flows');
const { readHeld } = require('./support/state');
const { gatePath, outboxPath } = require('../nodes/push/registry');

const id = (n) => `DE*ABC*E${n}*1`;

/** A push node p1 behind /feed, its status readable at /status (status node -> global context). */
function statusFlow(hub) {
  return [
    { id: 't1', type: 'tab', label: 'state' },
    ...simConfigNodes({ timeout: 2, retryBase: 0.2, retryMax: 1, ...hub }),
    { id: 'in1', type: 'http in', z: 't1', url: '/feed', method: 'post', wires: [['p1', 'res1']] },
    { id: 'p1', type: 'oicp-push-evse-status', z: 't1', hubject: 'hub1', action: 'update', wires: [[]] },
    { id: 'res1', type: 'http response', z: 't1', statusCode: '200', wires: [] },
    { id: 'st1', type: 'status', z: 't1', scope: ['p1'], wires: [['fs1']] },
    { id: 'fs1', type: 'function', z: 't1', func: "global.set('p1status', msg.status); return null;", outputs: 0, wires: [] },
    { id: 'in2', type: 'http in', z: 't1', url: '/status', method: 'get', wires: [['fs2']] },
    { id: 'fs2', type: 'function', z: 't1', func: "msg.payload = global.get('p1status') || {}; return msg;", outputs: 1, wires: [['res2']] },
    { id: 'res2', type: 'http response', z: 't1', statusCode: '200', wires: [] },
  ];
}

describe('state files that are damaged or cannot be written (issue 19, rows 13-19; real Node-RED)', function () {
  this.timeout(180000);
  let sim, certs, url;
  const reds = [];

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1 }));
  });
  afterEach(async function () {
    for (const r of reds.splice(0)) {
      await r.kill();
      r.cleanup();
    }
  });
  after(async function () {
    await sim.stop();
  });

  function red(flows, userDir = makeUserDir()) {
    const r = new RedProcess({ userDir, flows, env: simEnv(certs, url) });
    reds.push(r);
    return r;
  }
  const status = async (r) => (await r.http('GET', '/status')).json || {};

  it('row 13: a gate file of garbage does not stop the config node; it is renamed aside, logged at error level, and the push node is yellow naming it', async function () {
    const userDir = makeUserDir();
    const file = gatePath(userDir, 'DE*ABC', url);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"version":1,"operatorId":"DE*ABC","held":[{"action":"update","since":1,"rec');
    const r = red(statusFlow({ statusGate: 'off' }), userDir);
    await r.start();
    (await r.http('POST', '/feed', [{ EvseID: id(1), EvseStatus: 'Occupied' }])).status.should.equal(200);
    await until(() => pullStatuses(sim)[id(1)] === 'Occupied', 20000, 'the status goes out');
    r.log.should.match(new RegExp(`\\[error\\].*${path.basename(file).replace(/[.*]/g, '\\$&')}.*damaged`));
    fs.readdirSync(path.dirname(file))
      .some((n) => n.startsWith(`${path.basename(file)}.damaged-`))
      .should.equal(true);
    const st = await status(r);
    st.fill.should.equal('yellow');
    st.text.should.match(new RegExp(path.basename(file).slice(0, 8).replace(/[.*]/g, '\\$&')));
  });

  it('row 13: held statuses cut in half across kill -9: the readable part stays held, recovered and lost counts are logged, the node is yellow', async function () {
    const r = red(statusFlow({ statusGate: 'on' }));
    await r.start();
    const feed = [];
    for (let i = 0; i < 300; i++) feed.push({ EvseID: id(100 + i), EvseStatus: 'Occupied' });
    (await r.http('POST', '/feed', feed)).status.should.equal(200);
    const gateDir = path.join(r.userDir, 'oicp', 'gate');
    await until(() => readHeld(gateDir).length === 300, 20000, '300 held statuses on disk');
    await r.kill('SIGKILL');
    const journal = fs.readdirSync(gateDir).find((n) => n.endsWith('.journal'));
    const buf = fs.readFileSync(path.join(gateDir, journal));
    fs.writeFileSync(path.join(gateDir, journal), buf.subarray(0, buf.length >> 1));
    r.log = '';
    await r.start();
    const m = /\[error\].*damaged: (\d+) entries recovered, at least (\d+) lost/.exec(r.log);
    (m !== null).should.equal(true, r.log.slice(-2000));
    const recovered = Number(m[1]);
    recovered.should.be.within(100, 299);
    readHeld(gateDir).length.should.equal(recovered);
    (await status(r)).fill.should.equal('yellow');
  });
});
