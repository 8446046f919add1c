'use strict';
// Small helpers of the fault suite (issue #8). Simulator, flow and process helpers live in ../support and are reused.
const { evseKey } = require('../../nodes/oicp/ids');
// The seeded PRNG lives with the fuzz corpus, which must replay without this file.
const { mulberry32 } = require('../fixtures/fuzz/generator');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Like support/flows until(), for an async predicate: polls every `every` ms until it resolves truthy. */
async function poll(pred, ms, what = 'condition', every = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await sleep(every);
  }
}

/** One compact line of measured figures, for the resolution note of #8. */
function report(tag, figures) {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`);
  console.log(`      [#8 ${tag}] ${parts.join(' ')}`);
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
  queue.enqueue = function (action, records, owner) {
    accepted.push({ action, records: records.map((r) => ({ ...r })), at: Date.now() });
    return orig.call(this, action, records, owner);
  };
  return {
    accepted,
    restore() { queue.enqueue = orig; },
    records() { return accepted.reduce((n, a) => n + a.records.length, 0); },
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
 * client.pushEvseStatus through the instance, so wrapping the instance method is enough.
 */
function trackClient(hubNode) {
  const t = { attempts: [], inFlight: 0, maxInFlight: 0 };
  const client = hubNode.client;
  const orig = client.pushEvseStatus;
  client.pushEvseStatus = async function (body, signal) {
    const a = { start: Date.now(), records: body.OperatorEvseStatus.EvseStatusRecord.length, action: body.ActionType };
    t.attempts.push(a);
    t.inFlight++;
    t.maxInFlight = Math.max(t.maxInFlight, t.inFlight);
    try {
      const r = await orig.call(this, body, signal);
      Object.assign(a, { end: Date.now(), class: r.class, reason: r.reason, errorCode: r.errorCode, httpStatus: r.httpStatus, code: r.statusCode && r.statusCode.Code });
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
  return { timers: (counts.Timeout || 0) + (counts.Immediate || 0), sockets: (counts.TCPSocketWrap || 0) + (counts.TLSWrap || 0) + (counts.PipeWrap || 0), counts };
}

/** Own property names of the built-in prototypes, to prove none were added (prototype pollution). */
function prototypeSnapshot() {
  const protos = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype, String: String.prototype, Number: Number.prototype };
  const snap = {};
  for (const [n, p] of Object.entries(protos)) snap[n] = Reflect.ownKeys(p).map(String).sort();
  return snap;
}

module.exports = { sleep, poll, mulberry32, report, byKey, diffStatuses, trackQueue, trackClient, activeResources, prototypeSnapshot };
