'use strict';
// The config node's core without Node-RED (src/hubject/operator.ts): the operator's lanes and stores against the
// simulator over mutual TLS.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startSim } = require('./support/sim');
const { until } = require('./support/until');
const { HubjectClient } = require('../nodes/oicp/client');
const { OperatorLanes, cdrRateOf, legacyEvseDataDir } = require('../nodes/hubject/operator');
const { forgetQueues } = require('../nodes/push/registry');

describe('operator lanes (config node core)', function () {
  this.timeout(30000);
  let sim, certs, url, userDir;
  const open = [];
  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 0 }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(function () {
    sim.clearState();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-operator-'));
  });
  afterEach(async function () {
    for (const l of open.splice(0)) await l.close();
    forgetQueues();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  function lanes(more = {}) {
    const pair = certs.clients['DE*ABC'];
    const client = new HubjectClient({
      baseUrl: url,
      operatorId: 'DE*ABC',
      timeoutMs: 5000,
      tls: { cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key), ca: fs.readFileSync(certs.caCert) },
    });
    const said = [];
    const l = new OperatorLanes({
      client,
      operatorId: 'DE*ABC',
      operatorName: 'Test CPO',
      environment: 'custom',
      baseUrl: url,
      userDir,
      blocked: undefined,
      dataConfigError: undefined,
      timeoutMs: 5000,
      backoffBaseMs: 100,
      backoffMaxMs: 1000,
      statusRate: 600,
      dataRate: 60,
      cdrRate: undefined,
      maxRecords: undefined,
      dataMaxRecords: 1000,
      insertMissing: undefined,
      gateMode: 'off',
      holdMaxHours: 24,
      minRatio: 0.5,
      dataNodeIds: () => [],
      log: { log: () => {}, warn: (x) => said.push(x), error: (x) => said.push(x) },
      warn: (x) => said.push(x),
      ...more,
    });
    open.push(l);
    return { l, said };
  }

  it('the CDR rate is the configured positive integer, else Hubject limit of 350', function () {
    assert.strictEqual(cdrRateOf('20'), 20);
    assert.strictEqual(cdrRateOf(undefined), 350);
    assert.strictEqual(cdrRateOf('1.5'), 350);
    assert.strictEqual(cdrRateOf(-3), 350);
  });

  it('an earlier data node store is found under a safe name of the node id', function () {
    assert.strictEqual(legacyEvseDataDir('/u/oicp', 'a b/c'), path.join('/u/oicp', 'evse-data-a_b_c'));
  });

  it('sends statuses at once; the data lane, store, sessions and CDR lane are made when asked', async function () {
    const { l } = lanes();
    assert.strictEqual(l.lane('status'), l.status);
    l.status.enqueue('update', [{ EvseID: 'DE*ABC*E1', EvseStatus: 'Available' }], null);
    await until(() => sim.getStatus('DE*ABC', 'DE*ABC*E1') === 'Available');
    const data = l.lane('data');
    assert.ok(data && data !== l.status);
    assert.strictEqual(l.lane('data'), data);
    assert.ok(l.evseData());
    assert.ok(l.sessions());
    assert.ok(l.cdrMarks());
    assert.ok(l.lane('chargeDetailRecord'));
  });

  it('no data store and no data lane when the data configuration cannot work', function () {
    const { l } = lanes({ dataConfigError: 'OperatorName is missing' });
    assert.strictEqual(l.lane('data'), null);
    assert.strictEqual(l.evseData(), null);
  });

  it('blocked: queues but does not send, and authorize answers as a config fault', async function () {
    const { l } = lanes({ blocked: 'client certificate expired' });
    l.status.enqueue('update', [{ EvseID: 'DE*ABC*E2', EvseStatus: 'Occupied' }], null);
    await new Promise((r) => setTimeout(r, 200));
    assert.strictEqual(sim.getStatus('DE*ABC', 'DE*ABC*E2'), undefined);
    assert.strictEqual(l.status.status().queued, 1);
    const r = await l.authorize('authorizeStart', {}, 1000);
    assert.deepStrictEqual(r, { class: 'config', reason: 'client certificate expired', durationMs: 0 });
  });

  it('the daily check blocks once on an unreadable certificate and stops the lanes; a valid one says nothing', function () {
    const { l } = lanes();
    assert.deepStrictEqual(l.checkCertificate(fs.readFileSync(certs.clients['DE*ABC'].cert)), {});
    const found = l.checkCertificate('not a certificate');
    assert.match(found.problem, /cannot be read as PEM/);
    assert.strictEqual(l.blocked, found.problem);
    assert.deepStrictEqual(l.checkCertificate('not a certificate'), {});
  });

  it('warns of a certificate close to its end, with the days left and the date', function () {
    const { l } = lanes();
    const cert = fs.readFileSync(certs.clients['DE*ABC'].cert);
    const { certificateValidTo } = require('../nodes/node-red/certificate');
    const end = certificateValidTo(cert).getTime();
    const found = l.checkCertificate(cert, end - 5.5 * 86_400_000);
    assert.deepStrictEqual(found, { expires: { days: 5, date: new Date(end).toISOString().slice(0, 10) } });
  });
});
