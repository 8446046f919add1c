'use strict';
// Preloaded (node --require) into a Node-RED child process by the sidebar test, beside ops-data-lane.js: a stats lane
// of operation 'chargeDetailRecord' for DE*ABC, fed as the CDR push queue feeds it, and three authorizations, so the
// roaming card can be checked before a push cdr node exists. The plugin, loaded through the userDir's symlink, gets
// these same modules.
const stats = require('../../nodes/ops/stats');
const { recordAuthorize } = require('../../nodes/sessions/stats');

const url = process.env.OICP_TEST_DATA_LANE_URL || 'https://127.0.0.1:1/api/oicp';
const lane = stats.laneStats({ operator: 'DE*ABC', operation: 'chargeDetailRecord', environment: 'custom', url });
const now = Date.now();
lane.enqueued(3, now - 2000);
lane.requestStarted(now - 1900);
lane.requestEnded({ class: 'data', httpStatus: 200, code: '400', reason: 'session unknown', records: 1, now: now - 1850 });

recordAuthorize('DE*ABC', 'authorizeStart', 'authorized', 0.061);
recordAuthorize('DE*ABC', 'authorizeStart', 'notAuthorized', 0.055);
recordAuthorize('DE*ABC', 'authorizeStop', 'authorized', 0.052);

// One CDR refused for good (the dead-letter list), two still waiting; "send again" queues the refused one again.
let dead = [
  {
    key: 'b2f7c0de-0000-4000-8000-000000000001',
    id: 'b2f7c0de-0000-4000-8000-000000000001',
    operation: 'chargeDetailRecord',
    action: 'cdr',
    reason: 'session unknown',
    code: '400',
    time: new Date(now - 1800).toISOString(),
  },
];
let pending = 2;
lane.source = {
  pending: () => pending,
  deadLetters: () => dead.length,
  deadLetterList: (limit) => dead.slice(0, limit),
  sendDeadLettersAgain: () => {
    const n = dead.length;
    pending += n;
    dead = [];
    return n;
  },
};

module.exports = { CDR_LANE: { pending: 2, dead: 1, authorized: 2, notAuthorized: 1 } };
