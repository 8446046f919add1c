'use strict';
// TLS and configuration: each broken setup gives a specific, readable error and a red status, does not
// flood the server, and recovers with nothing lost once the configuration is fixed and redeployed.
require('should');
const fs = require('fs');
const path = require('path');
const { FileOutbox } = require('../../nodes/push/outbox');
const { testView } = require('../../nodes/node-red/test-hooks');
const helper = require('node-red-node-test-helper');
const { startSim, pullViaHttp, statusesFromPull } = require('../support/sim');
const { hubjectNodes, until, observers } = require('../support/flows');
const { PUSH_NODES, pushNode, startHelper, stopHelper, sleep, report, diffStatuses, trackClient } = require('./lib');

helper.init(require.resolve('node-red'));

const OBSERVE_MS = 3000; // how long a broken setup is watched for retries after its error showed
// The config node's defaults: 1 s to 300 s of backoff; configuration faults are retried only at the maximum.
const DEFAULTS = { retryBase: 1, retryMax: 300, timeout: 10 };

describe('TLS and configuration faults', function () {
  this.timeout(60000);
  let sim, certs, url, userDir;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2, operatorIds: ['DE*ABC', 'DE*XYZ'] }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(async function () {
    userDir = await startHelper('oicp-faults-tls-', sim);
  });
  afterEach(stopHelper);

  const flow = (opts) => [...hubjectNodes(certs, url, { ...DEFAULTS, ...opts }), pushNode(), ...observers(['p1'], { completeScope: null })];

  /** Everything the user can see: statuses of the push node, and warnings and errors in the log. */
  function watch() {
    const w = { statuses: [], caught: [] };
    const p1 = helper.getNode('p1');
    p1.on('call:status', (c) => w.statuses.push(c.args[0]));
    helper.getNode('caught').on('input', (m) => w.caught.push(m.error.message));
    w.logs = () =>
      helper
        .log()
        .args.map((a) => a[0])
        .filter((e) => e && e.level <= 30)
        .map((e) => `${e.type}: ${e.msg}`);
    w.p1 = p1;
    return w;
  }

  const CASES = [
    {
      name: 'unknown server CA',
      broken: () => ({ ca: certs.otherCaCert }),
      readable: /TLS: server certificate not trusted.*check the tls-config CA/,
      red: true,
      attemptsMax: 1,
      pushesMax: 0,
    },
    {
      name: 'client certificate from the wrong CA',
      broken: () => ({ clientCert: certs.wrongCaClientCert, clientKey: certs.wrongCaClientKey }),
      // The server just closes the connection (no TLS alert): transient, retried with backoff, with this hint.
      readable:
        /Hubject: connection closed by the server \((UND_ERR_SOCKET|ECONNRESET)\); if this persists, check that the client certificate is the one Hubject signed/,
      red: false,
      attemptsMax: 8,
      pushesMax: 0,
    },
    {
      name: 'client certificate refused after a TLS 1.3 handshake (alert 48)',
      broken: () => ({}),
      fault: { kind: 'refuse-certificate' },
      readable: /refused the client certificate \(unknown CA\).*ERR_SSL_TLSV1_ALERT_UNKNOWN_CA/,
      red: true,
      attemptsMax: 1,
      pushesMax: 0,
    },
    {
      name: 'expired client certificate',
      broken: () => ({ clientCert: certs.expiredClientCert, clientKey: certs.expiredClientKey }),
      readable: /client certificate expired on \d{4}-\d\d-\d\d: renew it with Hubject and update the tls-config/,
      red: true,
      attemptsMax: 0,
      pushesMax: 0,
      outbox: true,
    },
    {
      name: 'host name mismatch',
      broken: () => ({ servername: 'wrong.example' }),
      readable: /TLS: server host name does not match its certificate.*\(ERR_TLS_CERT_ALTNAME_INVALID\)/,
      red: true,
      attemptsMax: 1,
      pushesMax: 0,
    },
    {
      name: 'OperatorID not the one of the certificate (017)',
      broken: () => ({ certFor: 'DE*XYZ' }),
      readable: /017 Unauthorized access.*check OperatorID and client certificate/i,
      red: true,
      attemptsMax: 1,
      pushesMax: 1,
    },
  ];

  for (const c of CASES) {
    it(`${c.name}: readable error, ${c.red ? 'red status' : 'backoff'}, no flood, recovers after the fix`, async function () {
      if (c.fault) sim.injectFault(c.fault);
      await helper.load(PUSH_NODES, flow(c.broken()));
      const loadedAt = Date.now();
      const w = watch();
      const hub = helper.getNode('hub1');
      const client = testView(hub).client ? trackClient(hub) : { attempts: [] };
      const reasons = [];
      hub.hubject.lane('status').on('result', (ev) => reasons.push(ev.result.reason));

      const truth = {};
      const send = (n, s) => {
        truth[`DE*ABC*E${n}`] = s;
        w.p1.receive({ payload: { EvseID: `DE*ABC*E${n}`, EvseStatus: s } });
      };
      send(1, 'Occupied');
      send(2, 'Available');
      send(1, 'Reserved');

      // The readable reason reaches the user: the push node's status or the log (warn/error).
      const seen = () => w.statuses.map((s) => s.text).concat(w.logs());
      await until(() => seen().some((t) => c.readable.test(t)), 10000, `readable error for ${c.name}`).catch((e) => {
        throw new Error(`${e.message}\nstatuses: ${JSON.stringify(w.statuses)}\nlogs: ${w.logs().join('\n')}\nresults: ${reasons.join('\n')}`);
      });
      if (c.red) await until(() => w.statuses.some((s) => s.fill === 'red'), 5000, 'a red status');
      await sleep(OBSERVE_MS);
      const attempts = client.attempts.length;
      attempts.should.be.belowOrEqual(c.attemptsMax, `attempts: ${reasons.join(' | ')}`);
      if (c.attemptsMax === 0) attempts.should.equal(0);
      const pushes = sim.stats.pushes;
      pushes.should.be.belowOrEqual(c.pushesMax);
      // The error shown is readable: it names what to fix, never a stack trace or key material.
      const shown = seen().filter((t) => c.readable.test(t));
      shown.every((t) => !/BEGIN|PRIVATE KEY|\n\s+at /.test(t)).should.be.true();
      const last = w.statuses[w.statuses.length - 1];
      if (c.red) last.fill.should.equal('red', JSON.stringify(last));
      else last.fill.should.equal('yellow', JSON.stringify(last));
      if (c.outbox) {
        const dir = path.join(userDir, 'oicp', 'outbox');
        const f = fs.readdirSync(dir).find((n) => n.endsWith('.journal'));
        FileOutbox.peek(path.join(dir, f.replace(/\.journal$/, '.json')))
          .flatMap((s) => s.records)
          .should.containDeep([
            { EvseID: 'DE*ABC*E1', EvseStatus: 'Reserved' },
            { EvseID: 'DE*ABC*E2', EvseStatus: 'Available' },
          ]);
      }
      w.caught.should.eql([]); // held, not failed: the changes wait for the fix

      // Fix and redeploy: the held changes go out, nothing lost.
      const fixedAt = Date.now();
      sim.clearFaults();
      await helper.setFlows(flow({}));
      let pulled;
      const end = Date.now() + 15000;
      for (;;) {
        pulled = statusesFromPull(await pullViaHttp(url, certs));
        if (diffStatuses(truth, pulled).length === 0 || Date.now() > end) break;
        await sleep(100);
      }
      diffStatuses(truth, pulled).should.eql([]);
      report(c.name, {
        attemptsWhileBroken: attempts,
        brokenForMs: fixedAt - loadedAt,
        pushesWhileBroken: pushes,
        status: `${last.fill}:${last.text}`,
        recoveredMs: Date.now() - fixedAt,
        lost: diffStatuses(truth, pulled).length,
      });
    });
  }
});
