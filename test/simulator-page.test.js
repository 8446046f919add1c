'use strict';
// The simulator page's request log names each push's operation, each in its own colour (the browser view is
// test/e2e/simulator-page.test.js).
require('should');
const { renderAdminPage, OPERATION_COLOURS } = require('../nodes/simulator/admin-page');

describe('simulator page: operation column', function () {
  it('labels data and status pushes with their own colours, pulls with none', function () {
    const line = (operation, kind = 'push') => ({
      startedAt: 0,
      endedAt: 5,
      kind,
      operation,
      operatorId: 'DE*ABC',
      action: 'fullLoad',
      records: 6,
      httpStatus: 200,
      code: '000',
    });
    const html = renderAdminPage({
      url: 'https://127.0.0.1:1/api/oicp',
      counters: { requests: 3, pushes: 2, overlaps: 0, maxInFlight: 1, rateLimited: 0, http429: 0 },
      latencyMs: 0,
      refusingConnections: false,
      faults: [],
      operators: [],
      log: [line('status'), line('data'), line(undefined, 'pull')],
    });
    html.should.match(/<th>operation<\/th>/);
    OPERATION_COLOURS.status.should.not.equal(OPERATION_COLOURS.data);
    html.should.containEql(`<span class="op op-status" style="background:${OPERATION_COLOURS.status}">status</span>`);
    html.should.containEql(`<span class="op op-data" style="background:${OPERATION_COLOURS.data}">data</span>`);
    const log = html.slice(html.indexOf('<div id="log">'), html.indexOf('</div>', html.indexOf('<div id="log">')));
    (log.match(/class="op op-/g) || []).length.should.equal(2);
  });
});
