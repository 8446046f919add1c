// What one input of a push cdr node becomes, without Node-RED: a complete OICP ChargeDetailRecord checked, or a
// charger's stop (OCPP 1.6 StopTransaction, 2.0.1 TransactionEvent Ended) built into one from its session.
import { readChargerRequest, ocppInt } from './envelope';
import { SessionInputError } from './errors';
import { buildChargeDetailRecord, checkChargeDetailRecord, type CdrOptions, type CdrResult, type CdrSession } from './cdr';
import type { ChargerZone } from './time';
import type { SessionRecord, SessionStore } from './store';

export type Say = (key: string, values?: Record<string, string | number>) => string;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A complete OICP ChargeDetailRecord given directly (rather than a charger's message). */
export function isOicpCdr(p: unknown): p is Obj {
  return isObj(p) && typeof p.SessionID === 'string' && p.ConsumedEnergy !== undefined && p.command === undefined;
}

/** The SessionID of a resend message. */
export function resendId(msg: Obj): string | undefined {
  const p = isObj(msg.payload) ? msg.payload : {};
  const id = msg.SessionID ?? p.SessionID ?? (typeof msg.payload === 'string' ? msg.payload : undefined);
  return typeof id === 'string' && id ? id : undefined;
}

/** OCPP 2.0.1: a meter start that the session lacks, from the Ended event's Transaction.Begin register value. */
export function beginReading(data: Obj): string | undefined {
  const list = Array.isArray(data.meterValue) ? data.meterValue : [];
  for (const mv of list) {
    if (!isObj(mv) || !Array.isArray(mv.sampledValue)) continue;
    for (const sv of mv.sampledValue) {
      if (!isObj(sv) || sv.context !== 'Transaction.Begin') continue;
      if ((sv.measurand ?? 'Energy.Active.Import.Register') !== 'Energy.Active.Import.Register' || sv.phase) continue;
      const unit = isObj(sv.unitOfMeasure) ? sv.unitOfMeasure : {};
      const mult = typeof unit.multiplier === 'number' ? unit.multiplier : 0;
      const kwh = unit.unit === 'kWh';
      const v = Number(sv.value);
      if (!Number.isFinite(v)) continue;
      const wh = Math.round(v * 10 ** mult * (kwh ? 1000 : 1));
      return String(wh);
    }
  }
  return undefined;
}

export interface CdrInputContext {
  zone: ChargerZone;
  partnerProductId: string | undefined;
  /** The operator's session store, or null when the config has none. */
  sessions: () => SessionStore | null;
  configError: string | undefined;
  /** Whether the EVSE's data requires signed metering values (CalibrationLawDataAvailability External, spec 03). */
  signedRequired: (evseId: unknown) => Promise<boolean>;
}

/** The session of a charger's stop: by 1.6 transactionId or 2.0.1 transactionInfo.transactionId. */
export function sessionOf(store: SessionStore, msg: Obj, t: Say): { session: SessionRecord; data: Obj; family: 1 | 2 } {
  const req = readChargerRequest(msg);
  if (req.command === 'StopTransaction') {
    const id = ocppInt(req.data.transactionId, 'StopTransaction.transactionId');
    if (id === undefined) throw new SessionInputError('transactionId', t('errors.noTransactionId'));
    const s = store.byTransactionId(id);
    if (!s) throw new SessionInputError('transactionId', t('errors.unknownTransaction', { id: String(id) }));
    return { session: s, data: req.data, family: 1 };
  }
  if (req.command === 'TransactionEvent') {
    if (req.data.eventType !== 'Ended') throw new SessionInputError('eventType', t('errors.notEnded', { eventType: String(req.data.eventType) }));
    const info = isObj(req.data.transactionInfo) ? req.data.transactionInfo : {};
    if (info.transactionId === undefined) throw new SessionInputError('transactionId', t('errors.noTransactionId'));
    const s = store.byTransactionId(String(info.transactionId));
    if (!s) throw new SessionInputError('transactionId', t('errors.unknownTransaction', { id: String(info.transactionId) }));
    return { session: s, data: req.data, family: 2 };
  }
  throw new SessionInputError('command', t('errors.command', { command: req.command }));
}

/** The CDR of one input: a given OICP record checked, or the charger's stop built from its session. */
export async function cdrOfInput(msg: Obj, ctx: CdrInputContext, t: Say): Promise<CdrResult> {
  const opts: CdrOptions = { PartnerProductID: ctx.partnerProductId || undefined };
  if (Array.isArray(msg.SignedMeteringValues)) opts.SignedMeteringValues = msg.SignedMeteringValues;
  if (isObj(msg.CalibrationLawVerificationInfo)) opts.CalibrationLawVerificationInfo = msg.CalibrationLawVerificationInfo;
  if (isOicpCdr(msg.payload)) {
    opts.signedMeteringRequired = await ctx.signedRequired(msg.payload.EvseID);
    return checkChargeDetailRecord(msg.payload, opts);
  }
  const store = ctx.sessions();
  if (!store) throw new Error(t('kit.errors.config', { error: ctx.configError ?? 'no session store' }));
  const { session, data, family } = sessionOf(store, msg, t);
  const evseId = typeof msg.evseId === 'string' ? msg.evseId : session.EvseID;
  const meterStart = session.meterStart ?? (family === 2 ? beginReading(data) : undefined);
  const cdrSession = { ...ctx.zone, ...session, EvseID: evseId, meterStart } as unknown as CdrSession;
  opts.signedMeteringRequired = await ctx.signedRequired(evseId);
  return buildChargeDetailRecord(cdrSession, msg, opts);
}
