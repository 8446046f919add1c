'use strict';
// Preloaded (node --require) into a Node-RED child process by the sidebar test: a stats lane of operation 'data' for
// operator DE*ABC, fed as an EVSE data push queue would feed it, so the sidebar and /oicp/metrics can be checked for
// a data lane before any node creates one. The plugin, loaded through the userDir's symlink, gets this same module.
const stats = require('../../nodes/ops/stats');

const url = process.env.OICP_TEST_DATA_LANE_URL || 'https://127.0.0.1:1/api/oicp';
const lane = stats.laneStats({ operator: 'DE*ABC', operation: 'data', environment: 'custom', url });
const now = Date.now();
// 5 EVSE data records: one request refused for one record (data), one acknowledged with 4 after 1.2 s; 2 statuses
// held for missing data; 1 record still waiting.
lane.enqueued(5, now - 1500);
lane.requestStarted(now - 1400);
lane.requestEnded({ class: 'data', httpStatus: 200, code: '018', reason: 'EvseID outside the operator', records: 1, now: now - 1350 });
lane.requestStarted(now - 400);
lane.requestEnded({ class: 'success', httpStatus: 200, code: '000', records: 3, now: now - 300 });
lane.ackedBatch(now - 1500, 3, now - 300);
lane.held(2);
lane.outboxBytes(123);

// 2 records refused for good with no input message waiting (the dead-letter list), as the queue lends them; "send
// again" takes them out of the list.
let dead = [
  { key: 'DEABCE0011', id: 'DE*ABC*E0011', operation: 'data', action: 'insert', reason: 'not allowed', code: '019', time: new Date(now - 1000).toISOString() },
  { key: 'DEABCE0012', id: 'DE*ABC*E0012', operation: 'data', action: 'insert', reason: 'not allowed', code: '019', time: new Date(now - 1000).toISOString() },
];
lane.source = {
  pending: () => 1,
  deadLetters: () => dead.length,
  deadLetterList: (limit) => dead.slice(0, limit),
  sendDeadLettersAgain: () => {
    const n = dead.length;
    dead = [];
    return n;
  },
};

module.exports = { DATA_LANE: { pending: 1, held: 2, success: 1, data: 1, records: 3, outbox: 123, dead: 2 } };
