// A charger's transaction that follows a remote start takes Hubject's SessionID: OCPP 1.6 StartTransaction by
// connector and time window, OCPP 2.0.1 TransactionEvent by remoteStartId. Then no AuthorizeStart is sent for it
// (Hubject already authorized the session) and the CDR carries Hubject's SessionID.
import { readTransactionStart } from '../sessions/cdr';
import { evseNumberOf, ocppInt, type ChargerRequest } from '../sessions/envelope';
import type { SessionRecord, SessionStore } from '../sessions/store';
import { DEFAULT_LINK_WINDOW_MS } from './endpoint';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The waiting remote start this charger request belongs to, or undefined (then it is an ordinary session). */
export function remoteStartFor(
  store: SessionStore,
  req: ChargerRequest | undefined,
  now = Date.now(),
  windowMs = DEFAULT_LINK_WINDOW_MS,
): SessionRecord | undefined {
  if (!req) return undefined;
  if (req.command === 'StartTransaction' && req.chargeBoxId !== undefined) {
    const n = evseNumberOf(req);
    if (n === undefined) return undefined;
    const at = typeof req.data.timestamp === 'string' && !Number.isNaN(Date.parse(req.data.timestamp)) ? Date.parse(req.data.timestamp) : now;
    return store.remoteStartOn(req.chargeBoxId, n, at, windowMs) ?? store.remoteStartOn(req.chargeBoxId, n, now, windowMs);
  }
  if (req.command === 'TransactionEvent') {
    const info = req.data.transactionInfo;
    const id = isObj(info) ? ocppInt(info.remoteStartId, 'TransactionEvent.transactionInfo.remoteStartId') : undefined;
    return id === undefined ? undefined : store.byRemoteStartId(id);
  }
  return undefined;
}

/**
 * The session record once the charger's transaction is linked (the caller stores it with the transactionId). msg is
 * the charger's message req was read from: a 2.0.1 Started event's register value is the CDR's meter start.
 */
export function linkedSession(s: SessionRecord, req: ChargerRequest, msg?: unknown): SessionRecord {
  const d = req.data;
  const out: SessionRecord = { ...s, remote: 'linked' };
  if (req.chargeBoxId !== undefined) out.chargeBoxId = req.chargeBoxId;
  const n = evseNumberOf(req);
  if (n !== undefined) out.connectorId = n;
  const ts = typeof d.timestamp === 'string' ? d.timestamp : undefined;
  if (ts) out.chargingStart = ts;
  if (req.command === 'StartTransaction') {
    const m = ocppInt(d.meterStart, 'StartTransaction.meterStart');
    if (m !== undefined) out.meterStart = m;
  }
  if (req.command === 'TransactionEvent' && msg !== undefined) {
    try {
      out.meterStart = Number(readTransactionStart(msg).meterStart);
    } catch {
      // no register value in the Started event: push cdr then names MeterValueStart
    }
  }
  const info = d.transactionInfo;
  if (isObj(info) && info.transactionId !== undefined) out.transactionId = String(info.transactionId);
  return out;
}
