'use strict';
// The simulator page in a real browser: the request log shows each push's operation, data and status each in its own
// colour, both as first rendered by the server and after the page's own refresh.
const assert = require('assert');
const fs = require('fs');
const { chromium } = require('playwright-core');
const { ensureChromium, CHROMIUM_ARGS, until } = require('./support');
const { startSim } = require('../support/sim');
const { evseDataRecord } = require('../support/evse-data-record');
const { HubjectClient } = require('../../nodes/oicp/client');

const OP = 'DE*ABC';
const statusBody = (action, n) => ({
  ActionType: action,
  OperatorEvseStatus: {
    OperatorID: OP,
    OperatorName: 'ABC',
    EvseStatusRecord: Array.from({ length: n }, (_, i) => ({ EvseID: `DE*ABC*E${i}`, EvseStatus: 'Available' })),
  },
});
const dataBody = (action, n) => ({
  ActionType: action,
  OperatorEvseData: {
    OperatorID: OP,
    OperatorName: 'ABC',
    EvseDataRecord: Array.from({ length: n }, (_, i) => evseDataRecord(`DE*ABC*E${i}`)),
  },
});

describe('e2e: simulator page shows the operation of each push', function () {
  this.timeout(120000);
  let sim, certs, url, client, browser, page;

  before(async function () {
    const executablePath = ensureChromium();
    ({ sim, certs, url } = await startSim({ latencyMs: 0 }));
    client = new HubjectClient({
      baseUrl: url,
      operatorId: OP,
      tls: { cert: fs.readFileSync(certs.clients[OP].cert), key: fs.readFileSync(certs.clients[OP].key), ca: fs.readFileSync(certs.caCert) },
    });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60000 });
    page = await browser.newPage();
  });
  after(async function () {
    if (browser) await browser.close();
    if (client) await client.destroy();
    if (sim) await sim.stop();
  });

  /** The log rows as [operation label, ActionType, records, background colour of the label]. */
  const rows = () =>
    page.$$eval('#log tbody tr', (trs) =>
      trs.map((tr) => {
        const label = tr.querySelector('.op');
        return {
          operation: label ? label.textContent : '',
          action: tr.children[4].textContent,
          records: tr.children[5].textContent,
          colour: label ? getComputedStyle(label).backgroundColor : '',
        };
      }),
    );

  it('two fullLoads of 6 EVSEs, one data and one status, are told apart by label and colour', async function () {
    assert.strictEqual((await client.call('data', OP, dataBody('fullLoad', 6))).class, 'success');
    assert.strictEqual((await client.call('status', OP, statusBody('fullLoad', 6))).class, 'success');
    await page.goto(sim.adminUrl);
    const first = await rows();
    assert.deepStrictEqual(
      first.map((r) => [r.operation, r.action, r.records]),
      [
        ['status', 'fullLoad', '6'],
        ['data', 'fullLoad', '6'],
      ],
    );
    assert.notStrictEqual(first[0].colour, first[1].colour);
    assert.match(first[0].colour, /^rgb/);

    // A push after the page loaded arrives through the page's own refresh, labelled the same way.
    assert.strictEqual((await client.call('data', OP, dataBody('update', 1))).class, 'success');
    await until(async () => (await rows()).length === 3, 15000, 'the refreshed log');
    const after = await rows();
    assert.deepStrictEqual(after[0].operation, 'data');
    assert.strictEqual(after[0].colour, first[1].colour);
    assert.strictEqual(after[1].colour, first[0].colour);
  });
});
