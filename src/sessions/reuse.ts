// An OCPP Authorize (card tap) is followed by the transaction with the same card: 1.6 StartTransaction, 2.0.1
// TransactionEvent. Hubject already authorized the card and gave a SessionID, so the transaction takes that session
// instead of a second AuthorizeStart (which would leave an open session at Hubject that never gets a CDR).

import type { Identification } from './identification';
import { sameIdentification } from './identification';
import type { SessionRecord } from './store';
import { formatWithOffset, parseTimestamp } from './time';

/**
 * Assumption: a charger starts its transaction within 3 minutes of the Authorize. OCPP 1.6 ConnectionTimeOut
 * (2.0.1 EVConnectionTimeOut) bounds the wait for the cable; the spec leaves its value to the operator, so this is
 * a generous value plus margin. The same window as a remote start's (src/remote/endpoint.ts).
 */
export const DEFAULT_REUSE_WINDOW_MS = 180_000;

export interface ReuseQuery {
  chargeBoxId: string | undefined;
  /** 1.6 connectorId / 2.0.1 evse id of the transaction, when known. */
  connectorId?: number;
  Identification: Identification;
  /** When the transaction's request arrived (this host's clock, ms). */
  now: number;
  windowMs?: number;
}

/** When Hubject authorized the session (this host's clock); older records only have sessionStart. */
export function authorizedAt(s: SessionRecord): number {
  return s.authorizedAt ?? Date.parse(s.sessionStart);
}

/**
 * May this session take the transaction? Only an authorization from an Authorize of the same charger and the same
 * card, within the window, not stopped, not a remote start, and with no transaction yet (so it is used once).
 * NotAuthorized and fallback answers are never stored as sessions, so they are never reused.
 */
export function isReusable(s: SessionRecord, q: ReuseQuery): boolean {
  if (q.chargeBoxId === undefined || s.chargeBoxId !== q.chargeBoxId) return false;
  if (s.stoppedAt !== undefined || s.remote !== undefined || s.reused) return false;
  if (s.transactionId !== undefined || s.chargingStart !== undefined) return false;
  if (s.connectorId !== undefined && q.connectorId !== undefined && s.connectorId !== q.connectorId) return false;
  if (!sameIdentification(s.Identification, q.Identification)) return false;
  const at = authorizedAt(s);
  const w = q.windowMs ?? DEFAULT_REUSE_WINDOW_MS;
  return Number.isFinite(at) && q.now - at <= w && at - q.now <= w;
}

/** The newest reusable session among the store's, or undefined (then AuthorizeStart is sent). */
export function reusableSession(sessions: Iterable<SessionRecord>, q: ReuseQuery): SessionRecord | undefined {
  let found: SessionRecord | undefined;
  for (const s of sessions) if (isReusable(s, q) && (!found || authorizedAt(s) > authorizedAt(found))) found = s;
  return found;
}

/** What the transaction adds to the session. */
export interface TransactionLink {
  EvseID?: string;
  connectorId?: number;
  /** 2.0.1 transactionId (a 1.6 one is assigned by the store). */
  transactionId?: string;
  meterStart?: number;
  /** The transaction's timestamp as the charger wrote it. */
  chargingStart?: string;
}

/**
 * The session once the transaction is linked. SessionStart stays the card tap (the Authorize), written in the
 * charger's offset when the transaction gives one; a transaction timestamp before it (the charger's clock is
 * behind) becomes SessionStart too, so SessionStart <= ChargingStart holds in the CDR.
 */
export function linkReusedSession(s: SessionRecord, t: TransactionLink, now: number): SessionRecord {
  const out: SessionRecord = { ...s, reused: true, chargingStart: t.chargingStart ?? new Date(now).toISOString() };
  if (t.EvseID !== undefined) out.EvseID = t.EvseID;
  if (t.connectorId !== undefined) out.connectorId = t.connectorId;
  if (t.transactionId !== undefined) out.transactionId = t.transactionId;
  if (t.meterStart !== undefined) out.meterStart = t.meterStart;
  let start: { ms: number; offset: number | null } | undefined;
  let charging: { ms: number; offset: number | null } | undefined;
  try {
    start = parseTimestamp(s.sessionStart, 'sessionStart');
    charging = parseTimestamp(out.chargingStart, 'chargingStart');
  } catch {
    return out; // the CDR names the field that cannot be read
  }
  if (charging.ms < start.ms) out.sessionStart = out.chargingStart!;
  else if (start.offset === null && charging.offset !== null) out.sessionStart = formatWithOffset(start.ms, charging.offset);
  return out;
}
