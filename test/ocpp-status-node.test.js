'use strict';
// The oicp-ocpp-status node in the Node-RED runtime of node-red-node-test-helper.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const should = require('should');
const helper = require('node-red-node-test-helper');
const { assertEvseStatusRecord } = require('./support/openapi');
const shared = require('./support/flows');
const { sleep } = require('./support/until');
const S = require('./fixtures/ocpp/shapes');
const statusNode = require('../nodes/oicp-ocpp-status.js');
const hubjectNode = require('../nodes/oicp-hubject-config.js');

helper.init(require.resolve('node-red'));

const until = (pred, ms = 3000, what) => shared.until(pred, ms, what, { every: 5 });

const TAB = { id: 'f1', type: 'tab', label: 'test' };
const HUBJECT = {
  id: 'h1',
  type: 'oicp-hubject-config',
  environment: 'custom',
  url: 'https://127.0.0.1:1/api/oicp',
  operatorId: 'DE*ABC',
  operatorName: 'Demo',
};

function flow(props = {}, extra = []) {
  const two = props.otherOutput === true;
  return [
    TAB,
    {
      id: 'n1',
      type: 'oicp-ocpp-status',
      z: 'f1',
      name: '',
      hubject: '',
      evseIdTemplate: S.TEMPLATE,
      lookup: [],
      mapping: {},
      unknownStatus: 'error',
      connector0: 'ignore',
      offline: 'ignore',
      onlyChanges: true,
      otherOutput: false,
      outputs: two ? 2 : 1,
      wires: two ? [['out'], ['other']] : [['out']],
      ...props,
    },
    { id: 'out', type: 'helper', z: 'f1' },
    { id: 'other', type: 'helper', z: 'f1' },
    ...shared.observers(['n1'], { z: 'f1' }),
    ...extra,
  ];
}

/** Everything a test wants to observe about node n1. */
function watch() {
  const w = shared.watchNode(helper, 'n1', ['out', 'other', 'caught', 'completed']);
  const n = w.node;
  w.handled = () => w.completed.length + w.caught.length;
  /** Sends messages one by one, each after the previous one finished (done or error). */
  w.send = async (msgs) => {
    for (const m of msgs) {
      const before = w.handled();
      n.receive(m);
      await until(() => w.handled() > before, 3000, 'message handled');
    }
    await sleep(5);
  };
  return w;
}
/** The text a Catch node shows: Node-RED prefixes Errors with 'Error: '. */
const errText = (m) => String(m.error.message).replace(/^Error: /, '');
const pairs = (msgs) => msgs.map((m) => [m.payload.EvseID, m.payload.EvseStatus]);
function validate(msgs) {
  for (const m of msgs) {
    assertEvseStatusRecord(m.payload);
    m.topic.should.equal(m.payload.EvseID);
    m.ocppStatus.should.be.an.Object();
  }
  return msgs;
}

describe('ocpp status node (test helper runtime)', function () {
  this.timeout(20000);
  shared.freshUserDirs(helper, 'oicp-ocpp-node-');

  it('maps the real node-red-contrib-ocpp capture, passing msgId and msg.ocpp through', async function () {
    await helper.load(statusNode, flow());
    const w = watch();
    const lines = S.nrcLines();
    await w.send(S.nrcLines());
    validate(w.out);
    pairs(w.out).should.eql([
      ['DE*ABC*ECP*E2E*1', 'Available'],
      ['DE*ABC*ECP*E2E*2', 'Available'],
      ['DE*ABC*ECP*E2E*1', 'Occupied'],
      ['DE*ABC*ECP*E2E*2', 'OutOfService'],
    ]);
    const sources = [lines[3], lines[4], lines[5], lines[7]];
    w.out.forEach((m, i) => {
      m.msgId.should.equal(sources[i].msgId);
      m.ocpp.should.eql(sources[i].ocpp);
      m.ocppStatus.connectorId.should.equal(sources[i].payload.data.connectorId);
      m.ocppStatus.timestamp.should.equal(sources[i].payload.data.timestamp);
    });
    w.out[3].ocppStatus.should.eql({
      version: '1.6',
      chargeBoxId: 'CP-E2E',
      connectorId: 2,
      evseId: null,
      status: 'Faulted',
      errorCode: 'GroundFailure',
      timestamp: '2026-11-25T17:07:53.102Z',
      cause: 'status',
    });
    // Every message completed, none reached Catch: Boot, Heartbeat, ONLINE and connector 0 are not errors.
    w.completed.length.should.equal(9);
    w.caught.length.should.equal(0);
    w.statuses.filter((s) => s.fill === 'red').should.have.length(0);
    await until(() => w.lastStatus().text === 'CP-E2E/2 OutOfService \u00b7 2 EVSEs', 1000, 'status text');
    w.lastStatus().fill.should.equal('green');
  });

  it('maps the node-red-contrib-ocpp2 shapes (StatusNotification, NotifyEvent, two connectors on EVSE 1)', async function () {
    await helper.load(statusNode, flow());
    const w = watch();
    await w.send(S.ocpp2Lines());
    validate(w.out);
    pairs(w.out).should.eql([
      ['DE*ABC*ECS*201*1', 'Available'],
      ['DE*ABC*ECS*201*2', 'Available'],
      ['DE*ABC*ECS*201*1', 'Occupied'],
      ['DE*ABC*ECS*201*2', 'Reserved'],
      ['DE*ABC*ECS*201*1', 'Available'],
      ['DE*ABC*ECS*201*2', 'OutOfService'],
    ]);
    w.out[3].ocpp.command.should.equal('NotifyEvent');
    w.out[3].ocppStatus.should.containEql({ version: '2.0.1', chargeBoxId: 'CS-201', evseId: 2, connectorId: 1, status: 'Reserved' });
    w.caught.length.should.equal(0);
  });

  it('maps every row of the table in every input shape, 1.6 and 2.0.1', async function () {
    await helper.load(statusNode, flow({ onlyChanges: false }));
    const w = watch();
    const table = {
      Available: 'Available',
      Preparing: 'Occupied',
      Charging: 'Occupied',
      SuspendedEVSE: 'Occupied',
      SuspendedEV: 'Occupied',
      Finishing: 'Occupied',
      Occupied: 'Occupied',
      Reserved: 'Reserved',
      Unavailable: 'OutOfService',
      Faulted: 'OutOfService',
    };
    const expected = [];
    const msgs = [];
    for (const [ocpp, oicp] of Object.entries(table)) {
      for (const s of [...S.v16Shapes('CP-T', 1, ocpp), ...S.v201Shapes('CS-T', 2, 1, ocpp)]) {
        msgs.push(s.msg);
        expected.push([s.evseId, oicp]);
      }
    }
    await w.send(msgs);
    w.caught.length.should.equal(0);
    pairs(validate(w.out)).should.eql(expected);
  });

  it('sends other OCPP traffic to output 2 when asked, untouched', async function () {
    await helper.load(statusNode, flow({ otherOutput: true }));
    const w = watch();
    const lines = S.nrcLines();
    await w.send(S.nrcLines());
    w.out.should.have.length(4);
    w.other.map((m) => m.ocpp.command || m.ocpp.websocket).should.eql(['ONLINE', 'BootNotification', 'StatusNotification', 'Heartbeat']);
    w.other[1].should.eql(lines[1]);
    w.other[2].payload.data.connectorId.should.equal(0); // connector 0 on 'ignore'
    w.caught.length.should.equal(0);
  });

  it('fans OFFLINE out to every known EVSE on output 1 as separate messages, ONLINE restores', async function () {
    await helper.load(statusNode, flow({ offline: 'OutOfService', otherOutput: true }));
    const w = watch();
    await w.send(S.nrcLines().slice(0, 7)); // up to connector 1 Charging
    w.out.length = 0;
    const offline = { ocpp: { websocket: 'OFFLINE', chargeBoxIdentity: 'CP-E2E' }, tag: { keep: [1, 2] } };
    await w.send([offline]);
    pairs(validate(w.out)).should.eql([
      ['DE*ABC*ECP*E2E*1', 'OutOfService'],
      ['DE*ABC*ECP*E2E*2', 'OutOfService'],
    ]);
    w.out[0].should.not.equal(w.out[1]);
    w.out[0].tag.should.eql({ keep: [1, 2] });
    w.out[1].tag.should.eql({ keep: [1, 2] });
    w.out[0].ocpp.should.eql(offline.ocpp);
    w.out[0].ocppStatus.should.containEql({ status: 'OFFLINE', cause: 'offline', connectorId: 1 });
    w.out.length = 0;
    await w.send([{ ocpp: { websocket: 'ONLINE', chargeBoxIdentity: 'CP-E2E' } }]);
    pairs(validate(w.out)).should.eql([
      ['DE*ABC*ECP*E2E*1', 'Occupied'],
      ['DE*ABC*ECP*E2E*2', 'Available'],
    ]);
    w.other.map((m) => m.ocpp.command || m.ocpp.websocket).should.eql(['ONLINE', 'BootNotification', 'StatusNotification']);
  });

  it('connector 0 = all: Faulted sets the station OutOfService, Available restores', async function () {
    await helper.load(statusNode, flow({ connector0: 'all' }));
    const w = watch();
    await w.send(S.nrcLines().slice(0, 7));
    w.out.length = 0;
    const c0 = S.nrcLines()[2];
    c0.payload.data.status = 'Faulted';
    c0.payload.data.errorCode = 'PowerSwitchFailure';
    await w.send([c0]);
    pairs(validate(w.out)).should.eql([
      ['DE*ABC*ECP*E2E*1', 'OutOfService'],
      ['DE*ABC*ECP*E2E*2', 'OutOfService'],
    ]);
    w.out.every((m) => m.msgId === c0.msgId).should.be.true();
    w.out.length = 0;
    await w.send([S.nrcLines()[2]]);
    pairs(validate(w.out)).should.eql([
      ['DE*ABC*ECP*E2E*1', 'Occupied'],
      ['DE*ABC*ECP*E2E*2', 'Available'],
    ]);
  });

  it('uses the lookup table and the mapping edited in the node', async function () {
    await helper.load(
      statusNode,
      flow({
        evseIdTemplate: '',
        lookup: [
          { chargeBoxId: 'CP-E2E', connector: 1, EvseID: 'de*abc*e1001*1' },
          { chargeBoxId: 'CP-E2E', connector: '2', EvseID: 'DE*ABC*E1001*2' },
        ],
        mapping: { Preparing: 'Reserved' },
      }),
    );
    const w = watch();
    await w.send(S.nrcLines());
    pairs(validate(w.out)).should.eql([
      ['DE*ABC*E1001*1', 'Available'],
      ['DE*ABC*E1001*2', 'Available'],
      ['DE*ABC*E1001*1', 'Reserved'],
      ['DE*ABC*E1001*1', 'Occupied'],
      ['DE*ABC*E1001*2', 'OutOfService'],
    ]);
  });

  it('warns on an errorCode with a non-Faulted status and keeps the mapping', async function () {
    await helper.load(statusNode, flow());
    const w = watch();
    const m = S.nrcLines()[3];
    m.payload.data.errorCode = 'HighTemperature';
    await w.send([m]);
    pairs(validate(w.out)).should.eql([['DE*ABC*ECP*E2E*1', 'Available']]);
    w.out[0].ocppStatus.errorCode.should.equal('HighTemperature');
    await until(() => w.warns.length === 1, 1000, 'warning');
    w.warns[0].should.equal('CP-E2E connector 1: errorCode HighTemperature with status Available');
    w.caught.length.should.equal(0);
  });

  it('reports bad input to Catch with a clear text, turns red for 3 s, keeps working', async function () {
    this.timeout(10000);
    await helper.load(statusNode, flow());
    const w = watch();
    await w.send([S.nrcLines()[3]]);
    await until(() => w.lastStatus().fill === 'green', 1000, 'green status');
    const greenText = w.lastStatus().text;
    const bad = S.nrcLines()[3];
    delete bad.payload.data.connectorId;
    await w.send([bad]);
    w.caught.should.have.length(1);
    errText(w.caught[0]).should.equal('StatusNotification without connectorId');
    w.caught[0].msgId.should.equal(bad.msgId);
    w.lastStatus().should.containEql({ fill: 'red', shape: 'ring', text: 'StatusNotification without connectorId' });
    // The next good message works at once.
    const good = S.nrcLines()[5];
    await w.send([good]);
    pairs(w.out).should.eql([
      ['DE*ABC*ECP*E2E*1', 'Available'],
      ['DE*ABC*ECP*E2E*1', 'Occupied'],
    ]);
    await sleep(3100);
    w.lastStatus().fill.should.equal('green');
    w.lastStatus().text.should.not.equal(greenText);
    w.lastStatus().text.should.equal('CP-E2E/1 Occupied \u00b7 1 EVSE');
  });

  it('survives random and malformed messages without throwing', async function () {
    await helper.load(statusNode, flow({ connector0: 'all', offline: 'Unknown' }));
    const w = watch();
    const frame = JSON.stringify([2, 'a', 'StatusNotification', { connectorId: 1, status: 'Available', errorCode: 'NoError' }]);
    const bad = [
      { payload: null },
      { payload: 'not json' },
      { payload: 12345678901234567890 },
      { chargeBoxId: 'X', payload: frame.slice(0, 30) },
      { chargeBoxId: 'X', payload: frame.slice(0, -1) },
      { chargeBoxId: 'X', payload: [2, 'a', 'StatusNotification'] },
      { chargeBoxId: 'X', payload: { connectorId: 1e308, status: 'Available' } },
      { chargeBoxId: 'X', payload: { connectorId: 1, status: { toString: 'x' } } },
      JSON.parse('{"chargeBoxId":"X","payload":{"__proto__":{"status":"Available"},"connectorId":1}}'),
      JSON.parse('{"ocpp":{"__proto__":{"chargeBoxIdentity":"X"}},"payload":{"command":"StatusNotification"}}'),
      { ocpp: { chargeBoxIdentity: 'X', command: 'StatusNotification' }, payload: { command: 'StatusNotification', data: null } },
      { ocpp: { chargeBoxIdentity: 'X' }, payload: { command: 'StatusNotification', data: { connectorId: 1, status: 'Exploded' } } },
      { evseId: 'DE*ABC*E_1', payload: { status: 'Available' } },
      { evseId: ['DE*ABC*E1'], payload: { status: 'Available' } },
      { chargeBoxId: 'X'.repeat(40), payload: { connectorId: 1, status: 'Available' } },
    ];
    await w.send(bad);
    w.caught.length.should.equal(bad.length);
    w.out.length.should.equal(0);
    const texts = w.caught.map(errText);
    texts.should.containEql("EvseID 'DE*ABC*E_1' does not match the OICP pattern");
    texts.should.containEql("payload is a string but not an OCPP-J frame or JSON object ('not json')");
    texts.some((t) => /^payload is not valid JSON/.test(t)).should.be.true();
    texts.some((t) => /^truncated OCPP-J CALL frame/.test(t)).should.be.true();
    texts.some((t) => /^unknown OCPP status 'Exploded' from X connector 1/.test(t)).should.be.true();
    await w.send([{ chargeBoxId: 'X', payload: frame }]);
    pairs(validate(w.out)).should.eql([['DE*ABC*EX*1', 'Available']]);
  });

  it('checks EvseIDs against the operator of the linked Hubject config', async function () {
    await helper.load([statusNode, hubjectNode], flow({ hubject: 'h1' }, [HUBJECT]));
    const w = watch();
    helper.getNode('h1').hubject.operatorId.should.equal('DE*ABC');
    await w.send([S.nrcLines()[3], { evseId: 'DE*XYZ*E1*1', payload: { status: 'Available' } }, { evseId: 'DEABCE9', payload: { status: 'Reserved' } }]);
    pairs(validate(w.out)).should.eql([
      ['DE*ABC*ECP*E2E*1', 'Available'],
      ['DEABCE9', 'Reserved'],
    ]);
    w.caught.should.have.length(1);
    errText(w.caught[0]).should.equal("EvseID 'DE*XYZ*E1*1' does not belong to operator DE*ABC (Hubject would answer 018)");
  });

  it('refuses a template outside the linked operator at start, and says so for every message', async function () {
    await helper.load([statusNode, hubjectNode], flow({ hubject: 'h1', evseIdTemplate: 'DE*XYZ*E{chargeBoxId}*{connectorId}' }, [HUBJECT]));
    const w = watch();
    await w.send([S.nrcLines()[3], S.nrcLines()[4]]);
    w.out.length.should.equal(0);
    w.caught.length.should.equal(2);
    errText(w.caught[0]).should.match(
      /^configuration error: EvseID template 'DE\*XYZ\*E\{chargeBoxId\}\*\{connectorId\}' gives 'DE\*XYZ\*ECP1\*1', which does not belong to operator DE\*ABC$/,
    );
    helper
      .getNode('n1')
      .status.getCalls()
      .some((c) => c.thisValue === helper.getNode('n1') && c.args[0].text === 'configuration error')
      .should.be.true();
  });

  it('refuses a missing Hubject config node', async function () {
    await helper.load(statusNode, flow({ hubject: 'gone' }));
    const w = watch();
    await w.send([S.nrcLines()[3]]);
    errText(w.caught[0]).should.equal('configuration error: the linked Hubject config node was not found');
  });

  it('clears its timers on close', async function () {
    this.timeout(10000);
    await helper.load(statusNode, flow());
    const w = watch();
    await w.send([{ payload: 'garbage' }]);
    w.lastStatus().fill.should.equal('red');
    await helper.unload();
    const n = w.statuses.length;
    await sleep(3200);
    w.statuses.length.should.equal(n); // the 3 s status reset did not fire after close
  });
});

describe('ocpp status editor files', function () {
  const root = path.join(__dirname, '..');
  const html = fs.readFileSync(path.join(root, 'nodes', 'oicp-ocpp-status.html'), 'utf8');

  function loadDefinition(configNodes = {}) {
    const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)[1];
    let def;
    // The editor gets its rules from the runtime's node settings (RED.settings), and its texts from the catalogue.
    const { nodeSettings } = require('./support/node-settings');
    const { message } = require('../nodes/node-red/i18n');
    const settings = Object.fromEntries(Object.entries(nodeSettings('oicp-ocpp-status')).map(([k, v]) => [k, v.value]));
    const _ = (id, values) => {
      const [ns, key] = id.split(':');
      return message('en-US', ns.split('/')[1], key, values) ?? id;
    };
    const RED = {
      settings,
      _,
      nodes: {
        registerType: (type, d) => {
          type.should.equal('oicp-ocpp-status');
          def = d;
        },
        node: (id) => configNodes[id],
      },
    };
    vm.runInNewContext(script, {
      RED,
      $: () => {
        throw new Error('no DOM here');
      },
    });
    return def;
  }

  it('registers the node with the expected palette settings and properties', function () {
    const def = loadDefinition();
    def.category.should.equal('OICP');
    def.paletteLabel().should.equal('ocpp status');
    def.icon.should.equal('oicp-ocpp-status.svg');
    def.color.should.match(/^#[0-9A-Fa-f]{6}$/);
    Object.keys(def.defaults)
      .sort()
      .should.eql(
        ['connector0', 'evseIdTemplate', 'hubject', 'lookup', 'mapping', 'name', 'offline', 'onlyChanges', 'otherOutput', 'outputs', 'unknownStatus'].sort(),
      );
    should(def.defaults.hubject).match({ type: 'oicp-hubject-config', required: false });
    def.defaults.onlyChanges.value.should.be.true();
    def.defaults.unknownStatus.value.should.equal('error');
    def.defaults.connector0.value.should.equal('ignore');
    def.defaults.offline.value.should.equal('ignore');
    def.label.call({ name: '', evseIdTemplate: S.TEMPLATE }).should.equal(S.TEMPLATE);
    def.label.call({ name: 'Depot', evseIdTemplate: S.TEMPLATE }).should.equal('Depot');
    def.label.call({}).should.equal('ocpp status');
  });

  it('validates the EvseID template live, as the runtime does', function () {
    const { checkEvseIdTemplate } = require('../nodes/ocpp');
    const def = loadDefinition({ h1: { operatorId: 'DE*ABC' } });
    const v = (t, hubject = '') => def.defaults.evseIdTemplate.validate.call({ hubject }, t, {});
    const cases = [
      ['', true],
      [S.TEMPLATE, true],
      ['DE*ABC*E{chargeBoxId}*{evseId}', true],
      ['+49*810*{chargeBoxId}*{connectorId}', true],
      ['DE*ABC*E{station}*{connectorId}', false],
      ['DE*ABC*E{chargeBoxId}', false],
      ['DE_ABC_E{connectorId}', false],
      ['DE*ABC*E{chargeBoxId', false],
    ];
    for (const [t, ok] of cases) {
      (v(t) === true).should.equal(ok, t);
      let runtimeOk = true;
      try {
        if (t) checkEvseIdTemplate(t);
      } catch {
        runtimeOk = false;
      }
      runtimeOk.should.equal(ok, `runtime agrees on ${t}`);
    }
    v('DE*XYZ*E{chargeBoxId}*{connectorId}').should.be.true();
    v('DE*XYZ*E{chargeBoxId}*{connectorId}', 'h1').should.match(/does not belong to operator DE\*ABC/);
    def.defaults.lookup.validate.call({ hubject: 'h1' }, [{ chargeBoxId: 'A', connector: 1, EvseID: 'DE*ABC*E1' }], {}).should.be.true();
    def.defaults.lookup.validate.call({ hubject: 'h1' }, [{ chargeBoxId: 'A', connector: 1, EvseID: 'DE*XYZ*E1' }], {}).should.match(/row 1/);
    // Node-RED shows a validator's reason only when it takes (value, opt).
    def.defaults.evseIdTemplate.validate.length.should.equal(2);
    def.defaults.lookup.validate.length.should.equal(2);
  });

  it('has help text with Inputs, Outputs, Details, the multi-connector rule and an example', function () {
    const help = fs.readFileSync(path.join(root, 'nodes', 'locales', 'en-US', 'oicp-ocpp-status.html'), 'utf8');
    help.should.match(/data-help-name="oicp-ocpp-status"/);
    for (const h of ['Inputs', 'Outputs', 'Details', 'Example']) help.should.match(new RegExp(`<h3>${h}</h3>`));
    help.should.match(/any connector is Occupied/);
    JSON.parse(fs.readFileSync(path.join(root, 'nodes', 'locales', 'en-US', 'oicp-ocpp-status.json'), 'utf8'))['oicp-ocpp-status'].label.should.be.an.Object();
    const svg = fs.readFileSync(path.join(root, 'nodes', 'icons', 'oicp-ocpp-status.svg'), 'utf8');
    svg.should.match(/viewBox="0 0 40 60"/);
    svg.should.match(/fill="#fff"/);
  });
});
