'use strict';
// The full load node in a real Node-RED child process: state survives kill -9 and a restart, for both backends.
const fs = require('fs');
const path = require('path');
const { RedProcess } = require('./support/red-process');
const { fullLoadDef } = require('./support/flows');
require('should');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const inject = (id, payload, props = []) => ({
  id,
  type: 'inject',
  z: 'f1',
  props: [{ p: 'payload' }, ...props],
  repeat: '',
  once: false,
  topic: '',
  payload: JSON.stringify(payload),
  payloadType: 'json',
  wires: [['flFile', 'flCtx']],
});

function flows() {
  const endpoint = (suffix, target) => [
    { id: `http${suffix}`, type: 'http in', z: 'f1', url: `/fl-${suffix}`, method: 'get', upload: false, wires: [[`topic${suffix}`]] },
    { id: `topic${suffix}`, type: 'change', z: 'f1', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'fullLoad', tot: 'str' }], wires: [[target]] },
  ];
  return [
    { id: 'f1', type: 'tab', label: 'full load' },
    fullLoadDef({ id: 'flFile', z: 'f1', wires: [['resp']] }),
    fullLoadDef({ id: 'flCtx', z: 'f1', wires: [['resp']], storage: 'context', contextStore: 'disk' }),
    { id: 'resp', type: 'http response', z: 'f1', statusCode: '', headers: {}, wires: [] },
    ...endpoint('file', 'flFile'),
    ...endpoint('ctx', 'flCtx'),
    inject('injRecords', [
      { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' },
      { EvseID: 'DE*ABC*E2', EvseStatus: 'Occupied' },
      { EvseID: 'DE*ABC*E3', EvseStatus: 'Occupied' },
    ]),
    inject('injDelete', ['DE*ABC*E2'], [{ p: 'action', v: 'delete', vt: 'str' }]),
    inject('injLate', { EvseID: 'DEABCE4', EvseStatus: 'Reserved' }),
  ];
}

// A context store that persists quickly, so the context backend is tested against real disk writes.
const SETTINGS = { contextStorage: { default: { module: 'memory' }, disk: { module: 'localfilesystem', config: { flushInterval: 0.2 } } } };

describe('full load node in a Node-RED process (kill -9 and restart)', function () {
  this.timeout(90000);
  let red;

  async function fullLoad(which) {
    const r = await red.http('GET', `/fl-${which}`);
    r.status.should.equal(200, r.text);
    return r.json;
  }

  async function press(id) {
    const r = await red.http('POST', `/inject/${id}`);
    r.status.should.equal(200, `${id}: ${r.text}`);
  }

  before(function () {
    red = new RedProcess({ flows: flows(), settings: SETTINGS });
  });

  after(async function () {
    await red.kill();
    red.cleanup();
  });

  it('restores both backends after kill -9 with the changes of more than a second ago', async function () {
    await red.start();
    await press('injRecords');
    await press('injDelete');
    const expectedBefore = [
      { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' },
      { EvseID: 'DE*ABC*E3', EvseStatus: 'Occupied' },
    ];
    (await fullLoad('file')).should.eql(expectedBefore, red.log);
    (await fullLoad('ctx')).should.eql(expectedBefore, red.log);
    await press('injLate');
    // File journal: written within 250 ms. Context: 1 s debounce plus the store's 0.2 s flush.
    await sleep(2500);
    await red.kill('SIGKILL');
    fs.existsSync(path.join(red.userDir, 'oicp', 'fullload-flFile')).should.be.true();

    red.log = '';
    await red.start();
    const expected = [...expectedBefore, { EvseID: 'DEABCE4', EvseStatus: 'Reserved' }];
    (await fullLoad('file')).should.eql(expected, red.log);
    (await fullLoad('ctx')).should.eql(expected, red.log);
    red.log.should.not.match(/oicp-full-load.*(error|failed)/i);
  });
});
