'use strict';
// Roaming sessions across kill -9: a real Node-RED child process authorizes two StartTransactions, is killed, and
// after the restart stops the first by its transactionId (the session came back from disk) and never hands out an
// id twice (the allocator's last id came back too).
require('should');
const { startSim } = require('./support/sim');
const { RedProcess } = require('./support/red-process');
const { until } = require('./support/until');

describe('oicp-authorize sessions across kill -9 (real Node-RED process)', function () {
  this.timeout(120000);
  let sim, certs, url, red;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 1 }));
  });
  after(async function () {
    if (red) {
      await red.kill();
      red.cleanup();
    }
    await sim.stop();
  });

  function flows() {
    return [
      { id: 't1', type: 'tab', label: 'authorize' },
      { id: 'tls1', type: 'tls-config', name: '', cert: '${OICP_SIM_CERT}', key: '${OICP_SIM_KEY}', ca: '${OICP_SIM_CA}', verifyservercert: true },
      { id: 'hub1', type: 'oicp-hubject-config', environment: 'custom', url: '${OICP_SIM_URL}', operatorId: 'DE*ABC', tls: 'tls1', timeout: 5 },
      { id: 'in1', type: 'http in', z: 't1', url: '/ocpp', method: 'post', wires: [['fn1']] },
      // The HTTP body is {ocpp, payload, action}: the shape node-red-contrib-ocpp emits, plus the action.
      {
        id: 'fn1',
        type: 'function',
        z: 't1',
        func: 'msg.ocpp = msg.payload.ocpp; msg.action = msg.payload.action; msg.payload = msg.payload.payload; return msg;',
        outputs: 1,
        wires: [['a1']],
      },
      {
        id: 'a1',
        type: 'oicp-authorize',
        z: 't1',
        hubject: 'hub1',
        action: 'start',
        timeout: 5,
        evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
        wires: [['fn2'], []],
      },
      { id: 'fn2', type: 'function', z: 't1', func: 'msg.payload = { hubject: msg.payload, ocpp: msg.ocpp }; return msg;', outputs: 1, wires: [['res1']] },
      { id: 'c1', type: 'catch', z: 't1', scope: ['a1'], uncaught: false, wires: [['fn3']] },
      {
        id: 'fn3',
        type: 'function',
        z: 't1',
        func: 'msg.statusCode = 500; msg.payload = { error: msg.error.message }; return msg;',
        outputs: 1,
        wires: [['res1']],
      },
      { id: 'res1', type: 'http response', z: 't1', wires: [] },
    ];
  }

  const frame = (command, data, action = 'start') => ({
    ocpp: { chargeBoxIdentity: 'CP7', command, MessageId: 'm1', ocppVersion: '1.6j' },
    payload: { command, data },
    action,
  });

  it('keeps the sessions and the last transactionId through SIGKILL', async function () {
    const client = certs.clients['DE*ABC'];
    red = new RedProcess({ flows: flows(), env: { OICP_SIM_URL: url, OICP_SIM_CERT: client.cert, OICP_SIM_KEY: client.key, OICP_SIM_CA: certs.caCert } });
    await red.start();
    const start = (connectorId, idTag) =>
      red.http('POST', '/ocpp', frame('StartTransaction', { connectorId, idTag, meterStart: 1000 * connectorId, timestamp: '2026-12-07T10:00:00+01:00' }));
    const first = await start(1, '04a1b2c3');
    first.status.should.equal(200, first.text);
    first.json.ocpp.should.eql({ idTagInfo: { status: 'Accepted' }, transactionId: 1 });
    const sid = first.json.hubject.SessionID;
    (await start(2, '04a1b2c4')).json.ocpp.transactionId.should.equal(2);

    await red.kill('SIGKILL');
    red.log = '';
    await red.start();

    // The next id continues after the last one handed out before the kill.
    (await start(3, '04a1b2c5')).json.ocpp.transactionId.should.equal(3);
    // The first session came back from disk: its transactionId still finds its SessionID.
    const stop = await red.http(
      'POST',
      '/ocpp',
      frame('StopTransaction', { transactionId: 1, meterStop: 9000, timestamp: '2026-12-07T11:00:00+01:00' }, 'stop'),
    );
    stop.status.should.equal(200, stop.text);
    stop.json.hubject.SessionID.should.equal(sid);
    stop.json.ocpp.should.eql({ idTagInfo: { status: 'Accepted' } });
    await until(() => sim.authorization.sessions.get(sid)?.stoppedAt, 5000, 'the simulator saw the stop');
    sim.authorization.bodies
      .filter((b) => b.operation === 'authorizeStop')
      .map((b) => b.body.SessionID)
      .should.eql([sid]);
  });
});
