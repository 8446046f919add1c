// The simulator's eRoamingChargeDetailRecord (OA eRoamingChargeDetailRecord_V2.2). Its own check of the body, written
// apart from the client's builder (src/sessions/cdr.ts), so the two do not share a mistake. One CDR per SessionID
// (spec 02). A second CDR for a stored SessionID: Result false, 022 (an assumption: Hubject documents no code). A
// SessionID Hubject never created: Result false, 400 "Session is invalid" (spec 03 StatusCode table).
import { codeInfo } from '../oicp/codes';
import type { SimSession } from './authorize';

export interface SimCdr {
  SessionID: string;
  OperatorID: string;
  EvseID: string;
  ConsumedEnergy: number;
  ChargingStart: string;
  ChargingEnd: string;
  SessionStart: string;
  SessionEnd: string;
  receivedAt: number;
  body: Record<string, unknown>;
}

const FIELDS = new Set([
  'SessionID',
  'CPOPartnerSessionID',
  'EMPPartnerSessionID',
  'PartnerProductID',
  'EvseID',
  'Identification',
  'ChargingStart',
  'ChargingEnd',
  'SessionStart',
  'SessionEnd',
  'MeterValueStart',
  'MeterValueEnd',
  'MeterValueInBetween',
  'ConsumedEnergy',
  'SignedMeteringValues',
  'CalibrationLawVerificationInfo',
  'HubOperatorID',
  'HubProviderID',
]);
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const EVSE_ID = /^(([A-Za-z]{2}\*?[A-Za-z0-9]{3}\*?E[A-Za-z0-9*]{1,30})|(\+?[0-9]{1,3}\*[0-9]{3}\*[0-9*]{1,32}))$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** At most 3 decimals, not negative (Decimal (,3)). */
function kwh(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && Math.abs(Math.round(v * 1000) - v * 1000) < 1e-6;
}

/** The first problem of a CDR body as a fieldReference and message, or undefined when it is well formed. */
export function checkCdrBody(b: unknown): { field: string; message: string } | undefined {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return { field: '', message: 'body is not a JSON object' };
  const o = b as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) return { field: k, message: 'unknown field' };
  if (typeof o.SessionID !== 'string' || !UUID.test(o.SessionID)) return { field: 'SessionID', message: 'must be a SessionID (UUID)' };
  if (typeof o.EvseID !== 'string' || !EVSE_ID.test(o.EvseID)) return { field: 'EvseID', message: 'must be an EvseID' };
  const id = o.Identification;
  if (!id || typeof id !== 'object' || Object.keys(id).length !== 1) return { field: 'Identification', message: 'must name exactly one identification' };
  for (const f of ['ChargingStart', 'ChargingEnd', 'SessionStart', 'SessionEnd'])
    if (typeof o[f] !== 'string' || !DATE.test(o[f] as string)) return { field: f, message: 'must be a date-time' };
  if (!kwh(o.ConsumedEnergy)) return { field: 'ConsumedEnergy', message: 'must be a kWh decimal with at most 3 places' };
  for (const f of ['MeterValueStart', 'MeterValueEnd'])
    if (o[f] !== undefined && o[f] !== null && !kwh(o[f])) return { field: f, message: 'must be kWh, 3 places' };
  if (o.MeterValueStart != null && o.MeterValueEnd != null) {
    const diff = Math.round((o.MeterValueEnd as number) * 1000) - Math.round((o.MeterValueStart as number) * 1000);
    if (diff !== Math.round((o.ConsumedEnergy as number) * 1000)) return { field: 'ConsumedEnergy', message: 'is not MeterValueEnd - MeterValueStart' };
  }
  const s = o.SignedMeteringValues;
  if (s !== undefined && s !== null) {
    if (!Array.isArray(s) || s.length > 10) return { field: 'SignedMeteringValues', message: 'at most 10 values' };
    for (let i = 0; i < s.length; i++) {
      const v = (s[i] as { SignedMeteringValue?: unknown } | null)?.SignedMeteringValue;
      if (typeof v !== 'string' || v.length > 3000) return { field: `SignedMeteringValues[${i}].SignedMeteringValue`, message: 'at most 3000 characters' };
    }
  }
  return undefined;
}

/** eRoamingAcknowledgement; absent fields left out, as the OpenAPI types them (no nulls). */
function resultBody(result: boolean, code: string, additionalInfo: string | null, SessionID?: string) {
  return {
    Result: result,
    StatusCode: { Code: code, Description: codeInfo(code).description, ...(additionalInfo ? { AdditionalInfo: additionalInfo } : {}) },
    ...(SessionID ? { SessionID } : {}),
  };
}

export class CdrBook {
  /** Stored CDRs by SessionID (one each). */
  readonly cdrs = new Map<string, SimCdr>();
  /** CDR requests that reached the book (after faults), and how many were second CDRs of a stored SessionID. */
  readonly counters = { received: 0, stored: 0, duplicates: 0, unknownSession: 0, invalid: 0 };
  /** Store CDRs of SessionIDs the simulator did not create (tests and benchmarks that skip AuthorizeStart). */
  acceptUnknownSessions = false;

  clear(): void {
    this.cdrs.clear();
    for (const k of Object.keys(this.counters) as Array<keyof CdrBook['counters']>) this.counters[k] = 0;
    this.acceptUnknownSessions = false;
  }

  answer(
    body: unknown,
    urlOperatorId: string,
    sessions: ReadonlyMap<string, SimSession>,
    now = Date.now(),
  ): { httpStatus: number; body: unknown; code: string } {
    this.counters.received++;
    const problem = checkCdrBody(body);
    if (problem) {
      this.counters.invalid++;
      return {
        httpStatus: 400,
        code: '',
        body: { message: 'Validation failed', validationErrors: [{ fieldReference: problem.field, errorMessage: problem.message }] },
      };
    }
    const o = body as Record<string, unknown>;
    const id = o.SessionID as string;
    if (this.cdrs.has(id)) {
      this.counters.duplicates++;
      return { httpStatus: 200, code: '022', body: resultBody(false, '022', `a CDR for SessionID ${id} is stored already`, id) };
    }
    if (!sessions.has(id) && !this.acceptUnknownSessions) {
      this.counters.unknownSession++;
      return { httpStatus: 200, code: '400', body: resultBody(false, '400', `SessionID ${id} is unknown`, id) };
    }
    this.cdrs.set(id, {
      SessionID: id,
      OperatorID: urlOperatorId,
      EvseID: o.EvseID as string,
      ConsumedEnergy: o.ConsumedEnergy as number,
      ChargingStart: o.ChargingStart as string,
      ChargingEnd: o.ChargingEnd as string,
      SessionStart: o.SessionStart as string,
      SessionEnd: o.SessionEnd as string,
      receivedAt: now,
      body: o,
    });
    this.counters.stored++;
    return { httpStatus: 200, code: '000', body: resultBody(true, '000', null, id) };
  }
}
