// Reads the charger requests a roaming session needs (Authorize, StartTransaction, StopTransaction, TransactionEvent)
// from the shapes src/ocpp/parse.ts recognises. parseOcppMessage decides what the message is (and refuses responses,
// CALLERRORs and unusable station ids); this only picks the command's data out of the same envelope.

import { describeValue as show } from '../oicp/describe';
import { parseOcppMessage, stationFromMsg, stationOf, versionOf } from '../ocpp/parse';
import { fail, isObj, type Obj } from './errors';

export const SESSION_COMMANDS = ['Authorize', 'StartTransaction', 'StopTransaction', 'TransactionEvent'] as const;
export type SessionCommand = (typeof SESSION_COMMANDS)[number];

export interface ChargerRequest {
  command: SessionCommand;
  /** 1 for OCPP 1.x, 2 for 2.x; from the data's shape (idTag or idToken), which is what the charger's answer follows. */
  family: 1 | 2;
  chargeBoxId: string | undefined;
  /** EvseID the message names itself (msg.evseId), not yet validated. */
  explicitEvseId: string | undefined;
  data: Obj;
}

/** The request's command and data, or an error naming what is wrong. Plain `{Identification, EvseID}` is not handled here. */
export function readChargerRequest(msg: unknown): ChargerRequest {
  const parsed = parseOcppMessage(msg);
  if (parsed.kind === 'invalid') return fail('msg', parsed.error);
  if (parsed.kind !== 'other')
    return fail('msg', `expected an OCPP ${SESSION_COMMANDS.join(', ')} request, got a ${parsed.kind === 'status' ? 'status' : 'connection'} message`);
  const command = parsed.command;
  if (!(SESSION_COMMANDS as readonly string[]).includes(command)) {
    return fail('command', `expected an OCPP ${SESSION_COMMANDS.join(', ')} request, got ${show(command)}`);
  }
  const m = msg as Obj;
  // parseOcppMessage lets answers through as 'other' too; an answer is not a charger request.
  const o = m.ocpp;
  if ((isObj(o) && (o.msgType === 3 || o.msgType === 4)) || (typeof m.topic === 'string' && m.topic.endsWith('/Response'))) {
    return fail('command', `${command} answer (not a charger request): only requests start or end a session`);
  }
  const explicitEvseId = typeof m.evseId === 'string' && m.evseId !== '' ? m.evseId : undefined;
  const ocpp = m.ocpp;
  let station: string | undefined;
  let data: unknown;
  let version: string | undefined;
  // The same choice of envelope as parseOcppMessage: chargeBoxIdentity when present, else cbId.
  const cbRaw = isObj(ocpp) ? (ocpp.chargeBoxIdentity !== undefined ? ocpp.chargeBoxIdentity : ocpp.cbId) : undefined;
  if (isObj(ocpp) && cbRaw !== undefined && cbRaw !== null) {
    station = stationOf(cbRaw) ?? undefined;
    data = isObj(m.payload) ? m.payload.data : undefined;
    version = versionOf(ocpp);
  } else {
    const s = stationFromMsg(m);
    station = typeof s === 'string' ? s : undefined;
    let body: unknown = m.payload;
    if (typeof body === 'string') body = JSON.parse(body); // parseOcppMessage already proved it parses
    data = Array.isArray(body) ? body[3] : isObj(body) ? body.data : undefined;
    version = versionOf(ocpp);
  }
  if (!isObj(data)) return fail(`${command}`, `${command} from ${station ?? 'an unnamed station'} carries no data object (got ${show(data)})`);
  let family: 1 | 2;
  if (command === 'StartTransaction' || command === 'StopTransaction') family = 1;
  else if (command === 'TransactionEvent') family = 2;
  else if (data.idToken !== undefined) family = 2;
  else if (data.idTag !== undefined) family = 1;
  else family = version !== undefined && version.charCodeAt(0) === 50 ? 2 : 1;
  return { command: command as SessionCommand, family, chargeBoxId: station, explicitEvseId, data };
}

const MAX_INT = 2147483647;

/** A non-negative OCPP integer (number, or digit string as SOAP gives); undefined when absent. */
export function ocppInt(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^[0-9]{1,10}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_INT) return fail(field, `${field} ${show(v)} is not a non-negative integer`);
  return n;
}

/** The EVSE number the EvseID template needs: 1.x connectorId, 2.x evse.id. */
export function evseNumberOf(req: ChargerRequest): number | undefined {
  const d = req.data;
  if (req.family === 1) {
    const c = ocppInt(d.connectorId, `${req.command}.connectorId`);
    return c === 0 ? undefined : c;
  }
  if (d.evseId !== undefined) return ocppInt(d.evseId, `${req.command}.evseId`);
  return isObj(d.evse) ? ocppInt(d.evse.id, `${req.command}.evse.id`) : undefined;
}
