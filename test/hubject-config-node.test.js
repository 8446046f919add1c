'use strict';
// The Hubject config node's contract as the other nodes see it: sub-operators, the operator's queue settings,
// a tls-config without a client certificate, and runtime texts from the message catalogues.
const path = require('path');
const should = require('should');
const helper = require('node-red-node-test-helper');
const { i18n } = require('@node-red/util');
const { startSim, pullStatuses } = require('./support/sim');
const { nodeFiles, hubjectNodes, tmpUserDir, until } = require('./support/flows');
const { forgetQueues } = require('../nodes/push/registry');
const { translator } = require('../nodes/node-red/i18n');
const ocppStatusNode = require('../nodes/oicp-ocpp-status.js');
const fullLoadNode = require('../nodes/oicp-full-load.js');

helper.init(require.resolve('node-red'));

const NODES = [nodeFiles.tls, nodeFiles.config, nodeFiles.push, nodeFiles.catch, nodeFiles.complete, ocppStatusNode, fullLoadNode];
const rec = (id, s = 'Available') => ({ EvseID: id, EvseStatus: s });

describe('Hubject config node contract (real runtime, simulator over mutual TLS)', function () {
  this.timeout(30000);
  let sim, certs, url;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2 }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(function (done) {
    helper.settings({ userDir: tmpUserDir() });
    sim.clearState();
    sim.clearFaults();
    sim.resetStats();
    sim.setLatency(2);
    helper.startServer(done);
  });
  afterEach(async function () {
    await helper.unload();
    forgetQueues();
    await new Promise((r) => helper.stopServer(r));
  });

  function flow(hub = {}, push = {}, opts = {}) {
    const [tls, config] = hubjectNodes(certs, url, opts);
    return [
      tls,
      { ...config, ...hub },
      { id: 'p1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'update', wires: [['out']], ...push },
      { id: 'out', type: 'helper' },
      { id: 'c1', type: 'catch', scope: ['p1'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ];
  }
  const watchStatus = (id) => {
    const statuses = [];
    helper.getNode(id).on('call:status', (c) => statuses.push(c.args[0]));
    return statuses;
  };
  const caughtErrors = () => {
    const errors = [];
    helper.getNode('caught').on('input', (m) => errors.push(m.error.message));
    return errors;
  };

  it('lists its own OperatorID first, then the sub-operators, and the push node accepts their EvseIDs only', async function () {
    // An expired certificate holds changes locally, so what the push node accepts shows in its queue without Hubject.
    await helper.load(
      NODES,
      flow({ subOperatorIds: 'de*sub, +49*536  DE*ABC' }, {}, { clientCert: certs.expiredClientCert, clientKey: certs.expiredClientKey }),
    );
    helper.getNode('hub1').hubject.operatorIds.should.eql(['DE*ABC', 'DE*SUB', '+49*536']);
    const statuses = watchStatus('p1');
    const errors = caughtErrors();
    const p1 = helper.getNode('p1');
    p1.receive({ payload: rec('DE*SUB*E1') });
    p1.receive({ payload: rec('+49*536*7*1') });
    p1.receive({ payload: rec('DE*XYZ*E1') });
    await until(() => errors.length === 1 && statuses.some((s) => /2 queued/.test(s.text)), 5000, 'two sub-operator changes queued, one foreign refused');
    errors[0].should.match(/DE\*XYZ\*E1.*does not belong to operator DE\*ABC or its sub-operators DE\*SUB, \+49\*536/);
    helper.getNode('hub1').hubject.lane('status').queued.should.equal(2);
  });

  it("offers each operation's lane through lane(operation); the kit's binding removes the node's listeners on close", async function () {
    await helper.load(NODES, flow({}));
    const hub = helper.getNode('hub1').hubject;
    const status = hub.lane('status');
    status.operation.should.equal('status');
    hub.lane('status').should.equal(status);
    status.listenerCount('result').should.be.above(0);
    status.listenerCount('dead-letter').should.be.above(0);
    await helper.unload();
    // The lane outlives the node (a redeploy hands it over); the closed node listens no more.
    for (const name of ['status', 'result', 'retry', 'config-error', 'warn', 'recovered', 'dead-letter']) status.listenerCount(name).should.equal(0);
  });

  it('carries no test properties: the client is lent to tests through the one test-only entry', async function () {
    const { testView } = require('../nodes/node-red/test-hooks');
    await helper.load(NODES, flow());
    const hub = helper.getNode('hub1');
    for (const name of ['queue', 'client', 'operatorId', 'configError']) should(Object.getOwnPropertyDescriptor(hub, name)).be.undefined();
    testView(hub).client.should.have.property('call');
    testView(helper.getNode('p1')).should.eql({});
  });

  it('refuses a sub-OperatorID that is not one, naming it, on the nodes that use the config', async function () {
    await helper.load(NODES, flow({ subOperatorIds: 'DE*SUB, D-E-X' }));
    const hub = helper.getNode('hub1').hubject;
    should(hub.configError).match(/Sub-OperatorIDs: OperatorID 'D-E-X' does not match the OICP pattern/);
    const statuses = watchStatus('p1');
    helper.getNode('p1').receive({ payload: rec('DE*ABC*E1') });
    await until(() => statuses.some((s) => s.fill === 'red' && /D-E-X/.test(s.text)), 3000, 'red status naming the bad sub-OperatorID');
  });

  async function requestsFor(hub, push) {
    await helper.load(NODES, flow(hub, push));
    const records = Array.from({ length: 20 }, (_, i) => rec(`DE*ABC*E${i + 1}`));
    helper.getNode('p1').receive({ payload: records, action: 'insert' });
    await until(() => Object.keys(pullStatuses(sim)).length === 20, 10000, 'all 20 delivered');
    return sim.stats.pushes;
  }

  it("takes maxRecords from the config node (the operator's queue), over the push node's", async function () {
    (await requestsFor({ maxRecords: 5 }, { maxRecords: 500 })).should.equal(4);
  });

  it("falls back to the push node's maxRecords when the config node leaves it empty (older flows)", async function () {
    (await requestsFor({ maxRecords: '' }, { maxRecords: 5 })).should.equal(4);
    helper.getNode('hub1').hubject.should.have.property('maxRecords', undefined);
  });

  it("takes insertMissing from the config node, and the push node's only when the config node has none", async function () {
    // Saved by the dialog that shows the runtime's defaults (editorRevision 2): its false is meant.
    await helper.load(NODES, flow({ insertMissing: false, editorRevision: 2 }, { insertMissing: true }));
    helper.getNode('hub1').hubject.insertMissing.should.be.false();
    const errors = caughtErrors();
    // An update of an EVSE Hubject does not know: with insertMissing off it is not turned into an insert.
    helper.getNode('p1').receive({ payload: rec('DE*ABC*E42') });
    await until(() => errors.length === 1 || pullStatuses(sim)['DE*ABC*E42'], 10000, 'update answered');
    should.not.exist(pullStatuses(sim)['DE*ABC*E42']);
    await helper.unload();
    forgetQueues();
    sim.clearState();
    await helper.load(NODES, flow({}, { insertMissing: true }));
    should(helper.getNode('hub1').hubject.insertMissing).be.undefined();
    helper.getNode('p1').receive({ payload: rec('DE*ABC*E43') });
    await until(() => pullStatuses(sim)['DE*ABC*E43'] === 'Available', 10000, 'update inserted');
  });

  it('reads a false saved by the old dialog (no editorRevision) as on while its push node says on, and warns', async function () {
    await helper.load(NODES, flow({ insertMissing: false }, { insertMissing: true }));
    const hub = helper.getNode('hub1');
    hub.hubject.insertMissing.should.be.true();
    hub.hubject.warnings.join('\n').should.match(/insertMissing is off here but on in its push status node/);
    helper.getNode('p1').receive({ payload: rec('DE*ABC*E44') });
    await until(() => pullStatuses(sim)['DE*ABC*E44'] === 'Available', 10000, 'update inserted');
    await helper.unload();
    forgetQueues();
    // Nothing says otherwise: the old false stays, without a warning.
    await helper.load(NODES, flow({ insertMissing: false }, { insertMissing: '' }));
    helper.getNode('hub1').hubject.insertMissing.should.be.false();
    helper.getNode('hub1').hubject.warnings.should.have.length(0);
  });

  it('warns at deploy when the client certificate expires within 30 days', async function () {
    const sinon = require('sinon');
    const { certificateValidTo } = require('../nodes/node-red/certificate');
    const fs = require('fs');
    const validTo = certificateValidTo(fs.readFileSync(certs.clients['DE*ABC'].cert));
    // Only Date moves: ten days before the certificate's end.
    const clock = sinon.useFakeTimers({ now: validTo.getTime() - 10 * 86400000 - 3600000, toFake: ['Date'] });
    try {
      await helper.load(NODES, flow());
      const warnings = helper
        .log()
        .args.map((a) => a[0])
        .filter((e) => e.id === 'hub1' && e.level === helper.log().WARN)
        .map((e) => String(e.msg));
      warnings.should.containEql(
        `Hubject config: client certificate expires in 10 days (${validTo.toISOString().slice(0, 10)}): renew it with Hubject and update the tls-config`,
      );
      should(helper.getNode('hub1').hubject.blocked()).be.undefined();
    } finally {
      clock.restore();
    }
  });

  it('holds changes once the client certificate expires while running, as at deploy', async function () {
    const sinon = require('sinon');
    const { certificateValidTo } = require('../nodes/node-red/certificate');
    const fs = require('fs');
    const validTo = certificateValidTo(fs.readFileSync(certs.clients['DE*ABC'].cert));
    // The daily check is an interval; only Date and intervals are faked, the runtime's timeouts run as usual.
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date', 'setInterval', 'clearInterval'] });
    try {
      await helper.load(NODES, flow());
      const p1 = helper.getNode('p1');
      const statuses = watchStatus('p1');
      should(helper.getNode('hub1').hubject.blocked()).be.undefined();
      clock.setSystemTime(validTo.getTime() + 3600000);
      clock.tick(86400000);
      should(helper.getNode('hub1').hubject.blocked()).match(/client certificate expired/);
      p1.receive({ payload: rec('DE*ABC*E5') });
      await until(
        () => statuses.some((st) => st.fill === 'red' && /client certificate expired/.test(st.text) && /1 queued/.test(st.text)),
        5000,
        'red, change held',
      );
      sim.stats.pushes.should.equal(0);
    } finally {
      clock.restore();
    }
  });

  it('is red at deploy, on every node using it, when the tls-config for QA has no client certificate and key', async function () {
    const [tls, config] = hubjectNodes(certs, url);
    const caOnly = { id: tls.id, type: 'tls-config', name: 'CA only', cert: '', key: '', ca: tls.ca, verifyservercert: true };
    const f = [
      { id: 'f1', type: 'tab', label: 'test' },
      caOnly,
      { ...config, environment: 'qa', url: '' },
      { id: 'p1', z: 'f1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'update', wires: [] },
      {
        id: 'm1',
        z: 'f1',
        type: 'oicp-ocpp-status',
        hubject: 'hub1',
        evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
        lookup: [],
        mapping: {},
        wires: [[]],
      },
      { id: 'fl1', z: 'f1', type: 'oicp-full-load', hubject: 'hub1', time: '', storage: 'file', wires: [[]] },
    ];
    await helper.load(NODES, f);
    const hub = helper.getNode('hub1').hubject;
    should(hub.configError).match(/client certificate and key from Hubject onboarding are missing/);
    should(hub.lane('status')).be.null();
    should(hub.lane('data')).be.null();
    for (const id of ['p1', 'm1', 'fl1']) {
      const node = helper.getNode(id);
      await until(
        () =>
          node.status
            .getCalls()
            .some(
              (c) => c.thisValue === node && c.args[0].fill === 'red' && /client certificate and key from Hubject onboarding are missing/.test(c.args[0].text),
            ),
        5000,
        `${id} red`,
      );
    }
  });
});

describe('push node during an outage (real runtime, simulator over mutual TLS)', function () {
  this.timeout(30000);
  let sim, certs, url;
  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2 }));
  });
  after(async function () {
    await sim.stop();
  });
  beforeEach(function (done) {
    helper.settings({ userDir: tmpUserDir() });
    sim.clearState();
    sim.clearFaults();
    sim.resetStats();
    sim.setLatency(2);
    helper.startServer(done);
  });
  afterEach(async function () {
    await helper.unload();
    forgetQueues();
    await new Promise((r) => helper.stopServer(r));
  });
  const flow = (opts) => [...hubjectNodes(certs, url, opts), { id: 'p1', type: 'oicp-push-evse-status', hubject: 'hub1', action: 'insert', wires: [] }];

  it("counts the retry countdown down in its status between the queue's own reports", async function () {
    // One retry at least 3 s away (Retry-After wins over the jittered backoff): the queue reports once, the
    // countdown must still move.
    sim.injectFault({ kind: 'http', status: 429, retryAfter: 3, count: 1 });
    await helper.load(NODES, flow({ retryBase: 3, retryMax: 3 }));
    const p1 = helper.getNode('p1');
    const texts = new Set();
    p1.on('call:status', (c) => {
      const m = /retrying in (\d+) s/.exec(c.args[0].text || '');
      if (m) texts.add(Number(m[1]));
    });
    p1.receive({ payload: rec('DE*ABC*E1') });
    await until(() => texts.size >= 2, 10000, 'at least two countdown values');
    const seen = [...texts];
    seen.should.eql(
      [...seen].sort((a, b) => b - a),
      'the countdown only goes down',
    );
    await until(() => pullStatuses(sim)['DE*ABC*E1'] === 'Available', 10000, 'delivered after the retry');
  });

  it('logs one line when Hubject answers again after three failed attempts or more', async function () {
    sim.injectFault({ kind: 'http', status: 503, count: 3 });
    await helper.load(NODES, flow({ retryBase: 0.05, retryMax: 0.1 }));
    const p1 = helper.getNode('p1');
    p1.receive({ payload: [rec('DE*ABC*E1'), rec('DE*ABC*E2')] });
    await until(() => pullStatuses(sim)['DE*ABC*E2'] === 'Available', 10000, 'delivered after the outage');
    const lines = () =>
      helper
        .log()
        .args.map((a) => a[0])
        .filter((e) => e.id === 'p1' && /Hubject reachable again/.test(String(e.msg)));
    await until(() => lines().length === 1, 3000, 'the recovery line');
    lines()[0].level.should.equal(helper.log().INFO);
    String(lines()[0].msg).should.match(/^Hubject reachable again after \d+ s; 2 changes delivered$/);
  });

  it('logs no recovery line after a single failed attempt', async function () {
    sim.injectFault({ kind: 'http', status: 503, count: 1 });
    await helper.load(NODES, flow({ retryBase: 0.05, retryMax: 0.1 }));
    helper.getNode('p1').receive({ payload: rec('DE*ABC*E1') });
    await until(() => pullStatuses(sim)['DE*ABC*E1'] === 'Available', 10000, 'delivered after the blip');
    await new Promise((r) => setImmediate(r));
    helper
      .log()
      .args.map((a) => a[0])
      .filter((e) => /Hubject reachable again/.test(String(e.msg)))
      .should.have.length(0);
  });
});

describe('runtime texts from the message catalogues', function () {
  before(async function () {
    await i18n.init({});
    const dir = path.join(__dirname, '..', 'nodes', 'locales');
    for (const type of ['oicp-push-evse-status', 'oicp-hubject-config'])
      await i18n.registerMessageCatalog(`node-red-contrib-oicp/${type}`, dir, `${type}.json`);
    // As the runtime does for an editor or a settings.js lang of German.
    await i18n.i.loadLanguages('de');
  });
  // RED._ as Node-RED gives it to a node file: keys without a namespace are the file's own.
  const redFor = (type, lng) => ({ _: (id, v) => i18n._(id.includes(':') ? id : `node-red-contrib-oicp/${type}:${id}`, { ...v, lng }) });

  it('gives the push node its German status and the shared German texts', function () {
    const t = translator(redFor('oicp-push-evse-status', 'de'), 'oicp-push-evse-status');
    t('status.queued', { queued: 3 }).should.equal('3 wartend');
    t('log.recovered', { secs: 63, delivered: 6 }).should.equal('Hubject wieder erreichbar nach 63 s; 6 Änderungen zugestellt');
    t('kit.errors.configMissing').should.equal('der verknüpfte Hubject-Konfigurationsknoten wurde nicht gefunden');
  });

  it('gives the English text when the runtime has no catalogue loaded', function () {
    const t = translator({ _: (id) => id }, 'oicp-push-evse-status');
    t('log.recovered', { secs: 63, delivered: 6 }).should.equal('Hubject reachable again after 63 s; 6 changes delivered');
  });
});

describe('adapter kit: editor values and status text', function () {
  const fs = require('fs');
  const vm = require('vm');
  const { LIMITS, editorNumber, editorBoolean, optionalEditorNumber } = require('../nodes/node-red/limits');
  const { truncate, STATUS_MAX_CHARS } = require('../nodes/node-red/status');
  const { nodeSettings } = require('./support/node-settings');
  const { message } = require('../nodes/node-red/i18n');

  /** A node's editor definition, run against the runtime's node settings and the en-US catalogue. */
  function editorDefinition(type) {
    const html = fs.readFileSync(path.join(__dirname, '..', 'nodes', `${type}.html`), 'utf8');
    const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)[1];
    const settings = Object.fromEntries(Object.entries(nodeSettings(type)).map(([k, v]) => [k, v.value]));
    const _ = (id, values) => message('en-US', id.split(':')[0].split('/')[1], id.split(':')[1], values) ?? id;
    let def;
    vm.runInNewContext(script, {
      RED: {
        settings,
        _,
        nodes: {
          registerType: (t, d) => {
            def = d;
          },
          node: () => null,
        },
      },
      $: () => ({ length: 0 }),
    });
    return def;
  }

  it('parses editor numbers one way: blank or junk gives the default, out of range is clamped', function () {
    editorNumber('', LIMITS.maxRecords).should.equal(500);
    editorNumber('abc', LIMITS.maxRecords).should.equal(500);
    editorNumber(' 20 ', LIMITS.maxRecords).should.equal(20);
    editorNumber('12000', LIMITS.maxRecords).should.equal(10000);
    editorNumber(0, LIMITS.timeout).should.equal(1);
    editorNumber('0.05', LIMITS.retryBase).should.equal(0.05);
    should(optionalEditorNumber('', LIMITS.maxRecords)).be.undefined();
    editorBoolean('true', false).should.be.true();
    editorBoolean('false', true).should.be.false();
    editorBoolean(undefined, true).should.be.true();
  });

  it('the editor accepts exactly the maxRecords the runtime runs with, and says why otherwise', function () {
    for (const type of ['oicp-hubject-config', 'oicp-push-evse-status']) {
      const validate = editorDefinition(type).defaults.maxRecords.validate;
      validate.length.should.equal(2);
      validate.call({}, '10000', {}).should.be.true();
      validate.call({}, '', {}).should.be.true();
      validate.call({}, '10001', {}).should.match(/10000/);
      validate.call({}, '2.5', {}).should.match(/whole number from 1 to 10000/);
      editorNumber('10000', LIMITS.maxRecords).should.equal(10000);
    }
  });

  it('the config editor checks OperatorIDs with the runtime pattern and names the bad sub-OperatorID', function () {
    const def = editorDefinition('oicp-hubject-config');
    def.defaults.operatorId.validate.call({}, 'DE*ABC', {}).should.be.true();
    def.defaults.operatorId.validate.call({}, 'XX_1', {}).should.match(/OperatorID must look like DE\*ABC/);
    def.defaults.subOperatorIds.validate.call({}, 'DE*SUB +49*536', {}).should.be.true();
    def.defaults.subOperatorIds.validate.call({}, 'DE*SUB, D-E-X', {}).should.match(/'D-E-X' is not an OperatorID/);
    def.defaults.tls.validate.call({ environment: 'qa' }, '', {}).should.match(/client certificate and key from Hubject onboarding/);
    def.defaults.tls.validate.call({ environment: 'custom' }, '', {}).should.be.true();
  });

  it('shortens a status text by one rule and keeps its counters', function () {
    const long = 'x'.repeat(200);
    const s = truncate(long, ' · 3 queued');
    s.length.should.equal(STATUS_MAX_CHARS);
    s.should.endWith('\u2026 · 3 queued');
    truncate('ready').should.equal('ready');
  });
});
