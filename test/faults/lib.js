'use strict';
// Small helpers of the fault suite. Simulator, flow and process helpers live in ../support and are reused.
const helper = require('node-red-node-test-helper');
const { evseKey } = require('../../nodes/oicp/ids');
const { forgetQueues } = require('../../nodes/push/registry');
const { nodeFiles, fullLoadDef, tmpUserDir } = require('../support/flows');
const { sleep } = require('../support/until');
const { testView } = require('../../nodes/node-red/test-hooks');
// The seeded PRNG lives with the fuzz corpus, which must replay without this file.
const { mulberry32 } = require('../fixtures/fuzz/generator');

/** Node modules of the tests that load push nodes into the test helper: tls-config, Hubject config, push, Catch, Complete. */
const PUSH_NODES = [nodeFiles.tls, nodeFiles.config, nodeFiles.push, nodeFiles.catch, nodeFiles.complete];
/** PUSH_NODES and the ocpp status and full load nodes. */
const ALL_NODES = [...PUSH_NODES, require('../../nodes/oicp-ocpp-status.js'), require('../../nodes/oicp-full-load.js')];

/** Push evse status node p1 on hub1 (update, 500 records a request, insertMissing, output wired to nothing); props on top. */
const pushNode = (props = {}) => ({
  id: 'p1',
  type: 'oicp-push-evse-status',
  hubject: 'hub1',
  action: 'update',
  maxRecords: 500,
  insertMissing: true,
  wires: [[]],
  ...props,
});

/** ocpp status node o1 on hub1 with the template DE*ABC*E{chargeBoxId}*{connectorId} and default settings; props on top. */
const ocppStatusNode = (props = {}) => ({
  id: 'o1',
  type: 'oicp-ocpp-status',
  hubject: 'hub1',
  evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}',
  lookup: [],
  mapping: {},
  unknownStatus: 'error',
  connector0: 'ignore',
  offline: 'ignore',
  onlyChanges: true,
  otherOutput: false,
  outputs: 1,
  wires: [[]],
  ...props,
});

/** Full load node fl1 on hub1 with default settings (03:00, file storage, no pass-through); props on top. */
const fullLoadNode = (props = {}) => fullLoadDef({ hubject: 'hub1', ...props });

/**
 * Starts the test helper's server on a fresh userDir under os.tmpdir() (named with prefix); given the simulator, first
 * clears its state, faults and statistics. Resolves with the userDir.
 */
async function startHelper(prefix, sim) {
  const userDir = tmpUserDir(prefix);
  helper.settings({ userDir });
  if (sim) {
    sim.clearState();
    sim.clearFaults();
    sim.resetStats();
  }
  await helper.startServer();
  return userDir;
}

/** Unloads the flows, forgets the shared push queues and stops the test helper's server. */
async function stopHelper() {
  await helper.unload();
  forgetQueues();
  await new Promise((r) => helper.stopServer(r));
}

/** One compact line of measured figures in the test output, to compare runs. */
function report(tag, figures) {
  const parts = Object.entries(figures).map(
    ([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`,
  );
  console.log(`      [faults ${tag}] ${parts.join(' ')}`);
}

/** EvseID -> EvseStatus keyed by EVSE identity (DE*ABC*E1 and DEABCE1 are one EVSE). */
function byKey(map) {
  const out = {};
  for (const [id, s] of Object.entries(map)) out[evseKey(id)] = s;
  return out;
}

/** Entries of a and b that differ, keyed by EVSE identity: [key, inA, inB][]. */
function diffStatuses(a, b) {
  const ka = byKey(a);
  const kb = byKey(b);
  const out = [];
  for (const k of new Set([...Object.keys(ka), ...Object.keys(kb)])) if (ka[k] !== kb[k]) out.push([k, ka[k], kb[k]]);
  return out;
}

/**
 * Records what push nodes hand to the shared per-operator queue (queue.enqueue), in order: the changes the nodes
 * accepted. truth() replays them: insert/update set, delete removes, fullLoad replaces. history(key) lists the
 * statuses one EVSE was given, in order.
 */
function trackQueue(queue) {
  const accepted = [];
  const orig = queue.enqueue;
  const origSliced = queue.enqueueSliced;
  queue.enqueue = function (action, records, owner) {
    accepted.push({ action, records: records.map((r) => ({ ...r })), at: Date.now() });
    return orig.call(this, action, records, owner);
  };
  // Large inputs are queued in slices; smaller ones go on through enqueue (counted there).
  queue.enqueueSliced = function (action, records, owner, slice = 5000) {
    if (records.length > slice) accepted.push({ action, records: records.map((r) => ({ ...r })), at: Date.now() });
    return origSliced.call(this, action, records, owner, slice);
  };
  return {
    accepted,
    restore() {
      queue.enqueue = orig;
      queue.enqueueSliced = origSliced;
    },
    records() {
      return accepted.reduce((n, a) => n + a.records.length, 0);
    },
    truth() {
      let m = new Map();
      for (const a of accepted) {
        if (a.action === 'fullLoad') m = new Map();
        for (const r of a.records) {
          if (a.action === 'delete') m.delete(evseKey(r.EvseID));
          else m.set(evseKey(r.EvseID), r.EvseStatus);
        }
      }
      return Object.fromEntries(m);
    },
    history() {
      const h = new Map();
      for (const a of accepted) {
        for (const r of a.records) {
          const k = evseKey(r.EvseID);
          if (!h.has(k)) h.set(k, []);
          h.get(k).push(a.action === 'delete' ? 'deleted' : r.EvseStatus);
        }
      }
      return h;
    },
  };
}

/**
 * Sees every request of a Hubject config node from the client side, also those the simulator cannot log because
 * the connection was refused: start/end times, outcome, and how many ran at once. The queue calls
 * client.call through the instance, so wrapping the instance method is enough.
 */
function trackClient(hubNode) {
  const t = { attempts: [], inFlight: 0, maxInFlight: 0 };
  const client = testView(hubNode).client;
  const orig = client.call;
  client.call = async function (operation, operatorId, body, signal) {
    if (operation !== 'status') return orig.call(this, operation, operatorId, body, signal);
    const a = { start: Date.now(), records: body.OperatorEvseStatus.EvseStatusRecord.length, action: body.ActionType };
    t.attempts.push(a);
    t.inFlight++;
    t.maxInFlight = Math.max(t.maxInFlight, t.inFlight);
    try {
      const r = await orig.call(this, operation, operatorId, body, signal);
      Object.assign(a, {
        end: Date.now(),
        class: r.class,
        reason: r.reason,
        errorCode: r.errorCode,
        httpStatus: r.httpStatus,
        code: r.statusCode && r.statusCode.Code,
      });
      return r;
    } finally {
      t.inFlight--;
    }
  };
  return t;
}

/** process.getActiveResourcesInfo() as counts per kind, plus timers and sockets. */
function activeResources() {
  const counts = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] || 0) + 1;
  return {
    timers: (counts.Timeout || 0) + (counts.Immediate || 0),
    sockets: (counts.TCPSocketWrap || 0) + (counts.TLSWrap || 0) + (counts.PipeWrap || 0),
    counts,
  };
}

/** Own property names of the built-in prototypes, to prove none were added (prototype pollution). */
function prototypeSnapshot() {
  const protos = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype, String: String.prototype, Number: Number.prototype };
  const snap = {};
  for (const [n, p] of Object.entries(protos)) snap[n] = Reflect.ownKeys(p).map(String).sort();
  return snap;
}

module.exports = {
  PUSH_NODES,
  ALL_NODES,
  pushNode,
  ocppStatusNode,
  fullLoadNode,
  startHelper,
  stopHelper,
  sleep,
  mulberry32,
  report,
  byKey,
  diffStatuses,
  trackQueue,
  trackClient,
  activeResources,
  prototypeSnapshot,
};
