// Recognises the shapes in which OCPP nodes and flows deliver charger status. Plain checks only (hot path), never throws.
//
// 1. node-red-contrib-ocpp (1.5/1.6 SOAP, 1.6J): msg.ocpp.chargeBoxIdentity, msg.ocpp.command or msg.payload.command,
//    msg.payload.data; connection events msg.ocpp.websocket = 'ONLINE' | 'OFFLINE'.
// 2. @anl-ioc/node-red-contrib-ocpp2 (2.0.1): msg.ocpp.cbId, msg.ocpp.ocppVersion, msg.payload = {command, data, MessageId}.
// 3. A raw OCPP-J CALL frame [2, id, action, payload] (array or JSON string); station from msg.chargeBoxId or msg.topic.
// 4. A plain payload {connectorId, status, errorCode} or {evseId, connectorId, connectorStatus}; station as in 3.
// 5. A message naming its EVSE: msg.evseId, or a payload {EvseID, status}.

import { describeValue } from '../oicp/describe';
import type { ParsedInput, StatusFact } from './types';

const MAX_INT = 2147483647;
const MAX_STATION_LENGTH = 255;
const DIGITS = /^[0-9]{1,10}$/;
const INVALID = -1;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Short description of a value for error texts (the one describer all cores share). */
export const show = describeValue;

/** A non-negative OCPP integer (number, or digit string as SOAP may give); undefined when absent; INVALID otherwise. */
function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= MAX_INT ? v : INVALID;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && DIGITS.test(v)) {
    const n = Number(v);
    return n <= MAX_INT ? n : INVALID;
  }
  return INVALID;
}

function optStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Station id: a non-empty string (or a finite number). Returns undefined when absent, null when unusable. */
export function stationOf(v: unknown): string | undefined | null {
  if (typeof v === 'string') {
    if (v === '' || v.length > MAX_STATION_LENGTH) return null;
    return v;
  }
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function invalid(error: string): ParsedInput {
  return { kind: 'invalid', error };
}

/** Station id for raw frames and plain payloads: msg.chargeBoxId, else msg.topic. */
export function stationFromMsg(msg: Obj): string | undefined | ParsedInput {
  const cb = msg.chargeBoxId;
  if (cb !== undefined && cb !== null) {
    const s = stationOf(cb);
    if (s === null) return invalid(`msg.chargeBoxId ${show(cb)} is not a usable station id`);
    return s;
  }
  const t = msg.topic;
  if (typeof t === 'string' && t !== '') {
    if (t.length > MAX_STATION_LENGTH) return invalid(`msg.topic is too long to be a station id (${t.length} characters)`);
    return t;
  }
  if (typeof t === 'number' && Number.isFinite(t)) return String(t);
  return undefined;
}

function makeFact(
  version: string,
  family: 1 | 2,
  chargeBoxId: string | undefined,
  connectorId: number | undefined,
  evseId: number | undefined,
  status: string,
  d: Obj,
  timestamp: unknown,
  explicitEvseId: string | undefined,
): StatusFact {
  return {
    version,
    family,
    chargeBoxId,
    connectorId,
    evseId,
    status,
    errorCode: optStr(d.errorCode),
    timestamp: optStr(timestamp),
    info: optStr(d.info),
    vendorId: optStr(d.vendorId),
    vendorErrorCode: optStr(d.vendorErrorCode),
    explicitEvseId,
  };
}

/** StatusNotification data of any version; the data shape decides 1.x or 2.x. */
function parseStatusNotification(d: unknown, versionHint: string | undefined, station: string | undefined, explicit: string | undefined): ParsedInput {
  if (!isObj(d)) return invalid(`StatusNotification without data (got ${show(d)})`);
  const v2 =
    d.connectorStatus !== undefined || (d.status === undefined && (d.evseId !== undefined || (versionHint !== undefined && versionHint.charCodeAt(0) === 50)));
  const connectorId = toInt(d.connectorId);
  if (connectorId === INVALID) {
    return invalid(`StatusNotification connectorId ${show(d.connectorId)} is not a non-negative integer`);
  }
  if (v2) {
    const evseId = toInt(d.evseId);
    if (evseId === INVALID) return invalid(`StatusNotification evseId ${show(d.evseId)} is not a non-negative integer`);
    if (explicit === undefined) {
      if (evseId === undefined) return invalid('StatusNotification without evseId');
      if (connectorId === undefined) return invalid('StatusNotification without connectorId');
    }
    const status = d.connectorStatus;
    if (typeof status !== 'string' || status === '') {
      return invalid(
        status === undefined ? 'StatusNotification without connectorStatus' : `StatusNotification connectorStatus ${show(status)} is not a status name`,
      );
    }
    const fact = makeFact(versionHint ?? '2.0.1', 2, station, connectorId, evseId, status, d, d.timestamp, explicit);
    return { kind: 'status', facts: [fact] };
  }
  if (connectorId === undefined && explicit === undefined) return invalid('StatusNotification without connectorId');
  const status = d.status;
  if (typeof status !== 'string' || status === '') {
    return invalid(status === undefined ? 'StatusNotification without status' : `StatusNotification status ${show(status)} is not a status name`);
  }
  const fact = makeFact(versionHint ?? '1.6', 1, station, connectorId, undefined, status, d, d.timestamp, explicit);
  return { kind: 'status', facts: [fact] };
}

/** NotifyEvent (2.0.1, preferred in 2.1): eventData entries for component 'Connector', variable 'AvailabilityState'. */
function parseNotifyEvent(d: unknown, versionHint: string | undefined, station: string | undefined, explicit: string | undefined): ParsedInput {
  if (!isObj(d)) return invalid(`NotifyEvent without data (got ${show(d)})`);
  const list = d.eventData;
  if (!Array.isArray(list)) return invalid('NotifyEvent without eventData');
  const facts: StatusFact[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (!isObj(e)) return invalid(`NotifyEvent eventData[${i}] is ${show(e)}, not an event`);
    const comp = e.component;
    const variable = e.variable;
    if (!isObj(comp) || !isObj(variable) || comp.name !== 'Connector' || variable.name !== 'AvailabilityState') continue;
    const where = `NotifyEvent eventData[${i}] (Connector AvailabilityState)`;
    const evse = comp.evse;
    let evseId: number | undefined;
    let connectorId: number | undefined;
    if (isObj(evse)) {
      evseId = toInt(evse.id);
      connectorId = toInt(evse.connectorId);
      if (evseId === INVALID) return invalid(`${where}: component.evse.id ${show(evse.id)} is not a non-negative integer`);
      if (connectorId === INVALID) {
        return invalid(`${where}: component.evse.connectorId ${show(evse.connectorId)} is not a non-negative integer`);
      }
    } else if (evse !== undefined && evse !== null) {
      return invalid(`${where}: component.evse is ${show(evse)}`);
    }
    if (explicit === undefined) {
      if (evseId === undefined) return invalid(`${where} without component.evse.id`);
      if (connectorId === undefined) return invalid(`${where} without component.evse.connectorId`);
    }
    const status = e.actualValue;
    if (typeof status !== 'string' || status === '') return invalid(`${where}: actualValue ${show(status)} is not a status name`);
    facts.push(makeFact(versionHint ?? '2.0.1', 2, station, connectorId, evseId, status, e, e.timestamp, explicit));
  }
  if (facts.length === 0) return { kind: 'other', command: 'NotifyEvent' };
  return { kind: 'status', facts };
}

function parseCommand(command: string, data: unknown, versionHint: string | undefined, station: string | undefined, explicit: string | undefined): ParsedInput {
  if (command === 'StatusNotification') return parseStatusNotification(data, versionHint, station, explicit);
  if (command === 'NotifyEvent') return parseNotifyEvent(data, versionHint, station, explicit);
  return { kind: 'other', command };
}

export function versionOf(ocpp: unknown): string | undefined {
  if (!isObj(ocpp)) return undefined;
  const v = ocpp.ocppVersion;
  return typeof v === 'string' && v !== '' && v.length <= 16 && v !== 'Unknown' ? v : undefined;
}

/** Recognises one Node-RED message. Never throws; unusable input gives `{kind: 'invalid', error}`. */
export function parseOcppMessage(msg: unknown): ParsedInput {
  if (!isObj(msg)) return invalid(`message is ${show(msg)}, not an object`);
  const ocpp = msg.ocpp;
  const payload = msg.payload;

  let explicit: string | undefined;
  const me = msg.evseId;
  if (me !== undefined && me !== null) {
    if (typeof me !== 'string' || me === '') return invalid(`msg.evseId ${show(me)} is not an EvseID string`);
    explicit = me;
  }

  if (isObj(ocpp)) {
    const cbRaw = ocpp.chargeBoxIdentity !== undefined ? ocpp.chargeBoxIdentity : ocpp.cbId;
    // 1. node-red-contrib-ocpp connection event.
    const ws = ocpp.websocket;
    if (ws !== undefined) {
      const station = stationOf(cbRaw);
      if (!station) return invalid(`websocket event ${show(ws)} without chargeBoxIdentity`);
      if (ws === 'ONLINE' || ws === 'OFFLINE') {
        return { kind: 'connection', chargeBoxId: station, online: ws === 'ONLINE', version: versionOf(ocpp) };
      }
      return invalid(`websocket event ${show(ws)} of ${station} is neither ONLINE nor OFFLINE`);
    }
    // 1./2. Messages of the OCPP nodes.
    if (cbRaw !== undefined && cbRaw !== null) {
      const station = stationOf(cbRaw);
      if (!station) return invalid(`msg.ocpp station id ${show(cbRaw)} is not usable`);
      const p = isObj(payload) ? payload : undefined;
      const command = p !== undefined && typeof p.command === 'string' ? p.command : ocpp.command;
      if (typeof command !== 'string' || command === '') return invalid(`OCPP message from ${station} without command`);
      // CALLERROR (node-red-contrib-ocpp) and 2.0.1 responses are not charger requests.
      if (ocpp.msgType === 4 || ocpp.msgType === 3) return { kind: 'other', command };
      const t = msg.topic;
      if (typeof t === 'string' && t.endsWith('/Response')) return { kind: 'other', command };
      let version = versionOf(ocpp);
      if (version === undefined && ocpp.chargeBoxIdentity === undefined) version = '2.0.1';
      return parseCommand(command, p !== undefined ? p.data : undefined, version, station, explicit);
    }
  }

  const versionHint = versionOf(ocpp);
  let body: unknown = payload;
  if (typeof body === 'string') {
    const s = body.trim();
    const c = s.charCodeAt(0);
    if (c !== 91 && c !== 123) {
      return invalid(`payload is a string but not an OCPP-J frame or JSON object (${show(s)})`);
    }
    try {
      body = JSON.parse(s);
    } catch (e) {
      return invalid(`payload is not valid JSON: ${(e as Error).message}`);
    }
  }

  // 3. Raw OCPP-J frame.
  if (Array.isArray(body)) {
    const type = body[0];
    if (type === 3) return { kind: 'other', command: 'CALLRESULT' };
    if (type === 4) return { kind: 'other', command: 'CALLERROR' };
    if (type !== 2) return invalid(`OCPP-J frame must start with 2 (CALL), 3 or 4, not ${show(type)}`);
    if (body.length < 4) return invalid(`truncated OCPP-J CALL frame: expected [2, id, action, payload], got ${body.length} elements`);
    if (typeof body[1] !== 'string') return invalid(`OCPP-J CALL frame message id ${show(body[1])} is not a string`);
    const action = body[2];
    if (typeof action !== 'string' || action === '') return invalid(`OCPP-J CALL frame action ${show(action)} is not a string`);
    const station = stationFromMsg(msg);
    if (typeof station === 'object') return station;
    return parseCommand(action, body[3], versionHint, station, explicit);
  }

  // 4./5. Plain payload.
  if (isObj(body)) {
    const station = stationFromMsg(msg);
    if (typeof station === 'object') return station;
    const named = body.EvseID;
    if (named !== undefined && named !== null) {
      if (typeof named !== 'string' || named === '') return invalid(`payload.EvseID ${show(named)} is not an EvseID string`);
      if (explicit === undefined) explicit = named;
    }
    if (body.status !== undefined || body.connectorStatus !== undefined) {
      return parseStatusNotification(body, versionHint, station, explicit);
    }
    if (named !== undefined) return invalid(`payload.EvseID ${show(named)} without status`);
    if (typeof body.command === 'string' && body.command !== '') {
      return parseCommand(body.command, body.data, versionHint, station, explicit);
    }
    if (body.eventData !== undefined) return parseNotifyEvent(body, versionHint, station, explicit);
    return invalid('payload has no status, connectorStatus, EvseID or OCPP command');
  }

  return invalid(`not an OCPP status message: expected msg.ocpp from an OCPP node, an OCPP-J frame or a status payload (payload is ${show(payload)})`);
}
