'use strict';
// Seeded workload: a fleet of 1.6 charge points (2 connectors each) and a time-compressed model of charging sessions.
//
// Every EVSE is a continuous-time Markov chain over OCPP 1.6 connector states with realistic mean dwell times
// (Available ~1 h, Preparing ~1 min, Charging ~30 min, SuspendedEV ~10 min, Finishing ~2 min, rare Faulted).
// The whole fleet is compressed in time to a fixed total event rate (e.g. 300 changes a second): at every event the
// EVSE that moves is drawn with probability proportional to the hazard of its state, then its next state from the
// transition table. Everything comes from one mulberry32 stream, so a seed gives the same sequence on every machine.

/** mulberry32: small, fast, seedable PRNG returning floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATES = ['Available', 'Preparing', 'Charging', 'SuspendedEV', 'Finishing', 'Faulted'];
const A = 0, P = 1, C = 2, S = 3, F = 4, X = 5;
/** Mean dwell per state in (uncompressed) seconds. */
const MEAN_DWELL_S = [3600, 60, 1800, 600, 120, 1800];
/** Transition table: [next state, probability][]. Faulted is rare (0.5 % to 1 % of transitions out of a state). */
const NEXT = [
  [[P, 0.995], [X, 0.005]],
  [[C, 0.85], [A, 0.14], [X, 0.01]],
  [[S, 0.35], [F, 0.645], [X, 0.005]],
  [[C, 0.6], [F, 0.395], [X, 0.005]],
  [[A, 0.995], [X, 0.005]],
  [[A, 1]],
];

/** Hubject's OCPP -> OICP table (the same one the mapper and the hand-built function node use). */
const OICP = {
  Available: 'Available', Preparing: 'Occupied', Charging: 'Occupied', SuspendedEVSE: 'Occupied', SuspendedEV: 'Occupied',
  Finishing: 'Occupied', Occupied: 'Occupied', Reserved: 'Reserved', Unavailable: 'OutOfService', Faulted: 'OutOfService',
};
const OICP_OF_STATE = STATES.map((s) => OICP[s]);

const TEMPLATE = 'DE*ABC*E{chargeBoxId}*{connectorId}';
const OPERATOR_ID = 'DE*ABC';

/** Fleet: EVSE i is connector (i % 2) + 1 of charge point CP00001.. (i >> 1). */
class Fleet {
  constructor(evses) {
    this.size = evses;
    this.cb = new Array(evses);
    this.connector = new Int32Array(evses);
    this.evseId = new Array(evses);
    this.index = new Map();
    for (let i = 0; i < evses; i++) {
      const cb = 'CP' + String((i >> 1) + 1).padStart(5, '0');
      const conn = (i & 1) + 1;
      this.cb[i] = cb;
      this.connector[i] = conn;
      this.evseId[i] = `DE*ABC*E${cb}*${conn}`;
      this.index.set(this.evseId[i], i);
    }
  }
}

class SessionModel {
  /** opts: evses, seed, burnIn (events run before the first one handed out, to reach a steady mix). */
  constructor({ evses, seed = 1, burnIn = 20 * evses }) {
    this.rng = mulberry32(seed);
    this.n = evses;
    this.state = new Uint8Array(evses);
    this.members = STATES.map(() => []);
    this.pos = new Int32Array(evses);
    this.hazard = MEAN_DWELL_S.map((m) => 1 / m);
    for (let i = 0; i < evses; i++) {
      this.pos[i] = this.members[A].length;
      this.members[A].push(i);
    }
    for (let k = 0; k < burnIn; k++) this.next();
  }

  move(e, to) {
    const from = this.state[e];
    const list = this.members[from];
    const p = this.pos[e];
    const last = list.pop();
    if (last !== e) {
      list[p] = last;
      this.pos[last] = p;
    }
    this.state[e] = to;
    this.pos[e] = this.members[to].length;
    this.members[to].push(e);
  }

  /** Advances one EVSE one step. Returns {evse, status} (OCPP status name after the step). */
  next() {
    const r = this.rng;
    let total = 0;
    for (let s = 0; s < STATES.length; s++) total += this.members[s].length * this.hazard[s];
    let u = r() * total;
    let s = 0;
    for (; s < STATES.length - 1; s++) {
      const w = this.members[s].length * this.hazard[s];
      if (u < w) break;
      u -= w;
    }
    while (this.members[s].length === 0) s = (s + 1) % STATES.length;
    const list = this.members[s];
    const e = list[Math.floor(r() * list.length)];
    let v = r();
    let to = NEXT[s][NEXT[s].length - 1][0];
    for (const [t, p] of NEXT[s]) {
      if (v < p) { to = t; break; }
      v -= p;
    }
    this.move(e, to);
    return { evse: e, status: STATES[to] };
  }

  /** OCPP status name of every EVSE now. */
  statuses() {
    return Array.from(this.state, (s) => STATES[s]);
  }
}

/** Arrival times (ms from 0) of a Poisson process of `rate` events a second over `seconds`, from its own seeded stream. */
function poissonTimes(rate, seconds, seed) {
  const r = mulberry32(seed);
  const out = [];
  let t = 0;
  for (;;) {
    t += (-Math.log(1 - r()) / rate) * 1000;
    if (t >= seconds * 1000) break;
    out.push(t);
  }
  return out;
}

const HEX = '0123456789abcdef';
/** A uuid-shaped id from the PRNG (message ids in node-red-contrib-ocpp messages are uuids). */
function uuid(r) {
  let s = '';
  for (let i = 0; i < 36; i++) s += i === 8 || i === 13 || i === 18 || i === 23 ? '-' : HEX[(r() * 16) | 0];
  return s;
}

/**
 * A StatusNotification exactly as node-red-contrib-ocpp 1.3.10 emits it
 * (see /work/shared/ocpp/node-red-contrib-ocpp-1.3.10-output.jsonl).
 */
function ocppMessage(chargeBoxIdentity, connectorId, status, timestamp, messageId, msgId) {
  return {
    ocpp: { chargeBoxIdentity, MessageId: messageId, msgType: 2, command: 'StatusNotification' },
    payload: { command: 'StatusNotification', data: { connectorId, status, errorCode: 'NoError', timestamp } },
    msgId,
  };
}

module.exports = {
  mulberry32, SessionModel, Fleet, poissonTimes, uuid, ocppMessage,
  STATES, OICP, OICP_OF_STATE, TEMPLATE, OPERATOR_ID,
};
