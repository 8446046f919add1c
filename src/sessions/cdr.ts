// eRoamingChargeDetailRecord (CDR V2.2) from a session record plus the charger's end of transaction, or checked when
// given complete. The record is returned whole or not at all: any missing or bad field throws SessionInputError naming it.

import { describeValue as show } from '../oicp/describe';
import { OPERATOR_ID_PATTERN } from '../oicp/ids';
import { checkedEvseId, optionalText, PARTNER_SESSION_ID_MAX, PRODUCT_ID_MAX, sessionId } from './authorize';
import { evseNumberOf, readChargerRequest, ocppInt } from './envelope';
import { kwhNumber, kwhText, kwhToWh, toWh } from './energy';
import { fail, isObj, type Obj } from './errors';
import { normaliseIdentification, type Identification } from './identification';
import { chargerTime, checkZone, parseTimestamp, type ChargerZone } from './time';

export const PROVIDER_ID_PATTERN = /^([A-Za-z]{2}-?[A-Za-z0-9]{3}|[A-Za-z]{2}[*|-]?[A-Za-z0-9]{3})$/;
/** Spec 02: at most 10 signed metering values, each at most 3,000 characters. */
export const MAX_SIGNED_VALUES = 10;
export const MAX_SIGNED_VALUE_LENGTH = 3000;
const REGISTER = 'Energy.Active.Import.Register';
const CALIBRATION_LIMITS: Record<string, number> = {
  CalibrationLawCertificateID: 100,
  PublicKey: 1000,
  MeteringSignatureUrl: 200,
  MeteringSignatureEncodingFormat: 50,
  SignedMeteringValuesVerificationInstruction: 400,
};

export type MeteringStatus = 'Start' | 'Progress' | 'End';
export interface SignedMeteringValue {
  SignedMeteringValue: string;
  MeteringStatus?: MeteringStatus;
}

export interface ChargeDetailRecord {
  SessionID: string;
  CPOPartnerSessionID?: string;
  EMPPartnerSessionID?: string;
  PartnerProductID?: string;
  EvseID: string;
  Identification: Identification;
  ChargingStart: string;
  ChargingEnd: string;
  SessionStart: string;
  SessionEnd: string;
  MeterValueStart?: number;
  MeterValueEnd?: number;
  MeterValueInBetween?: { meterValues: number[] };
  ConsumedEnergy: number;
  SignedMeteringValues?: SignedMeteringValue[];
  CalibrationLawVerificationInfo?: Record<string, string>;
  HubOperatorID?: string;
  HubProviderID?: string;
}

/** What the session store keeps for a CDR (issue 22). Meter readings are Wh, as OCPP reports them. */
export interface CdrSession extends ChargerZone {
  SessionID: string;
  ProviderID?: string;
  EvseID: string;
  Identification: Identification | Obj;
  CPOPartnerSessionID?: string;
  EMPPartnerSessionID?: string;
  PartnerProductID?: string;
  /** Meter at the start in Wh (OCPP 1.6 StartTransaction.meterStart, or readTransactionStart). */
  meterStart: number | string;
  /** Session start: authorization or plug-in, in the charger's timestamp. */
  sessionStart: string;
  /** Charging start (StartTransaction / TransactionEvent Started timestamp); defaults to sessionStart. */
  chargingStart?: string;
  /** Charging end when known apart from the session's end (2.0.1 chargingState change); defaults to the stop time. */
  chargingEnd?: string;
  /** Signed values kept from earlier messages (e.g. the Start value of an OCPP 1.6 MeterValues). */
  SignedMeteringValues?: SignedMeteringValue[];
  HubOperatorID?: string;
  HubProviderID?: string;
}

export interface CdrOptions {
  /** The EVSE's data says CalibrationLawDataAvailability 'External': SignedMeteringValues are required (spec 03). */
  signedMeteringRequired?: boolean;
  /** Tariff name (Hubject recommends AC1, AC3, DC or Free); the session's own wins. */
  PartnerProductID?: string;
  CalibrationLawVerificationInfo?: Obj;
  /** Extra signed values from the caller, in OICP's shape. */
  SignedMeteringValues?: unknown[];
}

export interface CdrResult {
  record: ChargeDetailRecord;
  /** The kWh values as exact decimal text with 3 places (the numbers in `record` are written from these). */
  exact: { MeterValueStart?: string; MeterValueEnd?: string; ConsumedEnergy: string };
  /** OCPP transaction id of the stop message, when it carries one. */
  transactionId?: number | string;
  /** Notes that did not stop the CDR (e.g. signed values left out beyond 10). */
  warnings: string[];
}

interface Sample {
  ms: number;
  wh?: bigint;
  signed?: string;
  status: MeteringStatus;
}

function statusOf(context: unknown): MeteringStatus {
  return context === 'Transaction.Begin' ? 'Start' : context === 'Transaction.End' ? 'End' : 'Progress';
}

/** Energy register readings and signed values from OCPP 1.6 transactionData or 2.0.1 meterValue. */
function readSamples(list: unknown, field: string): Sample[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return fail(field, `${field} is ${show(list)}, not a list of meter values`);
  const out: Sample[] = [];
  list.forEach((mv, i) => {
    const where = `${field}[${i}]`;
    if (!isObj(mv) || !Array.isArray(mv.sampledValue)) return fail(where, `${where} is not a MeterValue {timestamp, sampledValue[]}`);
    const ms = parseTimestamp(mv.timestamp, `${where}.timestamp`).ms;
    mv.sampledValue.forEach((sv, j) => {
      const w = `${where}.sampledValue[${j}]`;
      if (!isObj(sv)) return fail(w, `${w} is ${show(sv)}, not a SampledValue`);
      const measurand = sv.measurand ?? REGISTER;
      if (measurand !== REGISTER || (sv.phase !== undefined && sv.phase !== null)) return;
      if (sv.location !== undefined && sv.location !== null && sv.location !== 'Outlet') return;
      const status = statusOf(sv.context);
      if (sv.format === 'SignedData') {
        if (typeof sv.value !== 'string' || sv.value === '') return fail(`${w}.value`, `${w}.value is ${show(sv.value)}, not signed data`);
        out.push({ ms, signed: sv.value, status });
        return;
      }
      const unit = isObj(sv.unitOfMeasure) ? (sv.unitOfMeasure.unit ?? 'Wh') : sv.unit;
      const mult = isObj(sv.unitOfMeasure) ? sv.unitOfMeasure.multiplier : undefined;
      out.push({ ms, wh: toWh(sv.value, `${w}.value`, unit, mult), status });
      if (isObj(sv.signedMeterValue)) {
        const data = sv.signedMeterValue.signedMeterData;
        if (typeof data !== 'string' || data === '')
          return fail(`${w}.signedMeterValue.signedMeterData`, `${w}.signedMeterValue.signedMeterData is ${show(data)}`);
        out.push({ ms, signed: data, status });
      }
    });
  });
  return out;
}

function checkSigned(list: unknown, field: string): SignedMeteringValue[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return fail(field, `${field} is ${show(list)}, not a list`);
  return list.map((s, i) => {
    const w = `${field}[${i}]`;
    if (!isObj(s) || typeof s.SignedMeteringValue !== 'string' || s.SignedMeteringValue === '') {
      return fail(w, `${w} is not {SignedMeteringValue, MeteringStatus}`);
    }
    if (s.SignedMeteringValue.length > MAX_SIGNED_VALUE_LENGTH) {
      return fail(w, `${w} has ${s.SignedMeteringValue.length} characters; OICP allows at most ${MAX_SIGNED_VALUE_LENGTH}`);
    }
    const out: SignedMeteringValue = { SignedMeteringValue: s.SignedMeteringValue };
    if (s.MeteringStatus !== undefined && s.MeteringStatus !== null) {
      if (s.MeteringStatus !== 'Start' && s.MeteringStatus !== 'Progress' && s.MeteringStatus !== 'End') {
        return fail(`${w}.MeteringStatus`, `${w}.MeteringStatus ${show(s.MeteringStatus)} is not Start, Progress or End`);
      }
      out.MeteringStatus = s.MeteringStatus;
    }
    return out;
  });
}

/**
 * Orders signed values as spec 03 asks (Start, Progress..., End) and keeps at most 10: Start and End always, and
 * the latest Progress values that fit. Dropped ones are reported as a warning.
 */
function arrangeSigned(all: SignedMeteringValue[], warnings: string[]): SignedMeteringValue[] {
  const seen = new Set<string>();
  const unique = all.filter((s) => (seen.has(s.SignedMeteringValue) ? false : (seen.add(s.SignedMeteringValue), true)));
  const rank = (s: SignedMeteringValue): number => (s.MeteringStatus === 'Start' ? 0 : s.MeteringStatus === 'End' ? 2 : 1);
  const sorted = unique.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i);
  if (sorted.length <= MAX_SIGNED_VALUES) return sorted.map((x) => x.s);
  const fixed = sorted.filter((x) => rank(x.s) !== 1);
  const progress = sorted.filter((x) => rank(x.s) === 1);
  const room = Math.max(0, MAX_SIGNED_VALUES - fixed.length);
  const kept = [...fixed.slice(0, MAX_SIGNED_VALUES), ...progress.slice(progress.length - room)].sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i);
  warnings.push(`${sorted.length - kept.length} of ${sorted.length} signed metering values left out: OICP takes at most ${MAX_SIGNED_VALUES}`);
  return kept.map((x) => x.s);
}

function checkCalibration(info: unknown, field = 'CalibrationLawVerificationInfo'): Record<string, string> | undefined {
  if (info === undefined || info === null) return undefined;
  if (!isObj(info)) return fail(field, `${field} is ${show(info)}, not an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(info)) {
    if (v === undefined || v === null) continue;
    const max = CALIBRATION_LIMITS[k];
    if (max === undefined) return fail(`${field}.${k}`, `${field}.${k} is not an OICP field (${Object.keys(CALIBRATION_LIMITS).join(', ')})`);
    const t = optionalText(v, `${field}.${k}`, max);
    if (t !== undefined) out[k] = t;
  }
  return out;
}

function checkId(value: unknown, field: string, pattern: RegExp, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) return fail(field, `${field} ${show(value)} is not ${what}`);
  return value;
}

function finishSigned(record: ChargeDetailRecord, signed: SignedMeteringValue[], o: CdrOptions, warnings: string[]): void {
  const list = arrangeSigned(signed, warnings);
  if (list.length) record.SignedMeteringValues = list;
  else if (o.signedMeteringRequired) {
    fail(
      'SignedMeteringValues',
      "SignedMeteringValues are required: the EVSE's data says CalibrationLawDataAvailability External (spec 03), but the session and the stop carry no signed meter values",
    );
  }
  const cal = checkCalibration(o.CalibrationLawVerificationInfo ?? undefined);
  if (cal && Object.keys(cal).length) record.CalibrationLawVerificationInfo = cal;
}

function order(field: string, a: { ms: number; text: string }, b: { ms: number; text: string }, aName: string): void {
  if (b.ms < a.ms) fail(field, `${field} ${b.text} is before ${aName} ${a.text}`);
}

/** The start of a transaction: meter start (Wh), time and connector, from StartTransaction or TransactionEvent Started. */
export function readTransactionStart(input: unknown): {
  meterStart: string;
  timestamp: string;
  transactionId?: number | string;
  family: 1 | 2;
  /** 1.6 connectorId or 2.0.1 evse.id, for the EvseID template; undefined when the charger names none. */
  connector: number | undefined;
} {
  const req = readChargerRequest(input);
  const d = req.data;
  const connector = evseNumberOf(req);
  if (req.command === 'StartTransaction') {
    if (typeof d.meterStart !== 'number' || !Number.isInteger(d.meterStart))
      return fail('StartTransaction.meterStart', `StartTransaction.meterStart ${show(d.meterStart)} is not an integer Wh reading`);
    parseTimestamp(d.timestamp, 'StartTransaction.timestamp');
    return { meterStart: toWh(d.meterStart, 'StartTransaction.meterStart').toString(), timestamp: d.timestamp as string, family: 1, connector };
  }
  if (req.command === 'TransactionEvent' && d.eventType === 'Started') {
    const samples = readSamples(d.meterValue, 'TransactionEvent.meterValue').filter((s) => s.wh !== undefined);
    const begin = samples.find((s) => s.status === 'Start') ?? samples[0];
    if (!begin)
      return fail('TransactionEvent.meterValue', 'TransactionEvent Started carries no Energy.Active.Import.Register meter value: the meter start is unknown');
    parseTimestamp(d.timestamp, 'TransactionEvent.timestamp');
    const info = isObj(d.transactionInfo) ? d.transactionInfo : {};
    return { meterStart: begin.wh!.toString(), timestamp: d.timestamp as string, transactionId: info.transactionId as string, family: 2, connector };
  }
  return fail('command', `expected StartTransaction or TransactionEvent Started, got ${req.command}${d.eventType ? ` ${String(d.eventType)}` : ''}`);
}

/**
 * Builds the CDR from the session and the end of its transaction: an OCPP 1.6 StopTransaction (message or its data)
 * or an OCPP 2.0.1 TransactionEvent with eventType Ended.
 */
export function buildChargeDetailRecord(session: CdrSession, stop: unknown, o: CdrOptions = {}): CdrResult {
  if (!isObj(session)) return fail('session', `session is ${show(session)}, not a session record`);
  checkZone(session, 'session.timeZone');
  const warnings: string[] = [];
  let data: Obj;
  let family: 1 | 2;
  if (isObj(stop) && (stop.meterStop !== undefined || stop.eventType !== undefined)) {
    data = stop;
    family = stop.eventType !== undefined ? 2 : 1;
  } else {
    const req = readChargerRequest(stop);
    if (req.command !== 'StopTransaction' && req.command !== 'TransactionEvent') {
      return fail('command', `a CDR needs a StopTransaction or a TransactionEvent Ended, not ${req.command}`);
    }
    data = req.data;
    family = req.family;
  }
  const cmd = family === 1 ? 'StopTransaction' : 'TransactionEvent';
  if (family === 2 && data.eventType !== 'Ended')
    return fail('TransactionEvent.eventType', `TransactionEvent ${show(data.eventType)} does not end a transaction (need 'Ended')`);

  const record: Partial<ChargeDetailRecord> = { SessionID: sessionId(session.SessionID, 'SessionID') };
  const cpo = optionalText(session.CPOPartnerSessionID, 'CPOPartnerSessionID', PARTNER_SESSION_ID_MAX);
  if (cpo) record.CPOPartnerSessionID = cpo;
  const emp = optionalText(session.EMPPartnerSessionID, 'EMPPartnerSessionID', PARTNER_SESSION_ID_MAX);
  if (emp) record.EMPPartnerSessionID = emp;
  const product = optionalText(session.PartnerProductID ?? o.PartnerProductID, 'PartnerProductID', PRODUCT_ID_MAX);
  if (product) record.PartnerProductID = product;
  record.EvseID = checkedEvseId(session.EvseID);
  record.Identification = normaliseIdentification(session.Identification, 'Identification');

  const sessionStart = chargerTime(session.sessionStart, session, 'SessionStart');
  const chargingStart = chargerTime(session.chargingStart ?? session.sessionStart, session, 'ChargingStart');
  const sessionEnd = chargerTime(data.timestamp, session, 'SessionEnd');
  const chargingEnd = session.chargingEnd !== undefined ? chargerTime(session.chargingEnd, session, 'ChargingEnd') : sessionEnd;
  order('ChargingStart', sessionStart, chargingStart, 'SessionStart');
  order('ChargingEnd', chargingStart, chargingEnd, 'ChargingStart');
  order('SessionEnd', chargingEnd, sessionEnd, 'ChargingEnd');
  record.ChargingStart = chargingStart.text;
  record.ChargingEnd = chargingEnd.text;
  record.SessionStart = sessionStart.text;
  record.SessionEnd = sessionEnd.text;

  const startWh = toWh(session.meterStart, 'MeterValueStart');
  const samples = readSamples(
    family === 1 ? data.transactionData : data.meterValue,
    family === 1 ? 'StopTransaction.transactionData' : 'TransactionEvent.meterValue',
  );
  let endWh: bigint;
  if (family === 1) {
    if (data.meterStop === undefined || data.meterStop === null)
      return fail('MeterValueEnd', 'StopTransaction carries no meterStop: the energy of the session is unknown');
    endWh = toWh(data.meterStop, 'StopTransaction.meterStop');
  } else {
    const reg = samples.filter((s) => s.wh !== undefined);
    const end = reg.filter((s) => s.status === 'End').pop() ?? reg.sort((a, b) => a.ms - b.ms).pop();
    if (!end) return fail('MeterValueEnd', 'TransactionEvent Ended carries no Energy.Active.Import.Register meter value: the energy of the session is unknown');
    endWh = end.wh!;
  }
  if (endWh < startWh) return fail('MeterValueEnd', `MeterValueEnd ${kwhText(endWh)} kWh is below MeterValueStart ${kwhText(startWh)} kWh`);
  record.MeterValueStart = kwhNumber(startWh);
  record.MeterValueEnd = kwhNumber(endWh);
  const between = samples
    .filter((s) => s.wh !== undefined && s.status === 'Progress' && s.ms >= chargingStart.ms && s.ms <= sessionEnd.ms)
    .sort((a, b) => a.ms - b.ms)
    .map((s) => kwhNumber(s.wh!));
  if (between.length) record.MeterValueInBetween = { meterValues: between };
  const consumed = endWh - startWh;
  record.ConsumedEnergy = kwhNumber(consumed);

  const signed = [
    ...checkSigned(session.SignedMeteringValues, 'session.SignedMeteringValues'),
    ...samples
      .filter((s) => s.signed !== undefined)
      .map((s, i) => {
        if (s.signed!.length > MAX_SIGNED_VALUE_LENGTH) {
          return fail(
            `SignedMeteringValues[${i}]`,
            `signed meter value ${i} has ${s.signed!.length} characters; OICP allows at most ${MAX_SIGNED_VALUE_LENGTH}`,
          );
        }
        return { SignedMeteringValue: s.signed!, MeteringStatus: s.status };
      }),
    ...checkSigned(o.SignedMeteringValues, 'SignedMeteringValues'),
  ];
  const full = record as ChargeDetailRecord;
  finishSigned(full, signed, o, warnings);
  const hubOp = checkId(session.HubOperatorID, 'HubOperatorID', OPERATOR_ID_PATTERN, 'an OperatorID');
  if (hubOp) full.HubOperatorID = hubOp;
  const hubProv = checkId(session.HubProviderID, 'HubProviderID', PROVIDER_ID_PATTERN, 'a ProviderID');
  if (hubProv) full.HubProviderID = hubProv;
  const info = isObj(data.transactionInfo) ? data.transactionInfo : undefined;
  const txId = family === 1 ? ocppInt(data.transactionId, `${cmd}.transactionId`) : (info?.transactionId as string | undefined);
  const result: CdrResult = {
    record: full,
    exact: { MeterValueStart: kwhText(startWh), MeterValueEnd: kwhText(endWh), ConsumedEnergy: kwhText(consumed) },
    warnings,
  };
  if (txId !== undefined) result.transactionId = txId;
  return result;
}

const CDR_FIELDS = new Set([
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

function givenTime(value: unknown, field: string): { text: string; ms: number } {
  if (value === undefined || value === null) return fail(field, `${field} is missing`);
  const t = parseTimestamp(value, field);
  if (t.offset === null) {
    return fail(field, `${field} ${show(value)} is in UTC (Z); OICP needs the charger's local offset (spec 01), e.g. +01:00 (or +00:00 for a charger on UTC)`);
  }
  return { text: value as string, ms: t.ms };
}

/** Checks a complete OICP ChargeDetailRecord given directly; returns it normalised (kWh re-written exactly). */
export function checkChargeDetailRecord(cdr: unknown, o: CdrOptions = {}): CdrResult {
  if (!isObj(cdr)) return fail('ChargeDetailRecord', `ChargeDetailRecord is ${show(cdr)}, not an object`);
  for (const k of Object.keys(cdr)) {
    if (!CDR_FIELDS.has(k) && cdr[k] !== undefined && cdr[k] !== null) return fail(k, `${k} is not a field of eRoamingChargeDetailRecord`);
  }
  const warnings: string[] = [];
  const r: Partial<ChargeDetailRecord> = { SessionID: sessionId(cdr.SessionID) };
  const cpo = optionalText(cdr.CPOPartnerSessionID, 'CPOPartnerSessionID', PARTNER_SESSION_ID_MAX);
  if (cpo) r.CPOPartnerSessionID = cpo;
  const emp = optionalText(cdr.EMPPartnerSessionID, 'EMPPartnerSessionID', PARTNER_SESSION_ID_MAX);
  if (emp) r.EMPPartnerSessionID = emp;
  const product = optionalText(cdr.PartnerProductID ?? o.PartnerProductID, 'PartnerProductID', PRODUCT_ID_MAX);
  if (product) r.PartnerProductID = product;
  r.EvseID = checkedEvseId(cdr.EvseID);
  r.Identification = normaliseIdentification(cdr.Identification);
  const cs = givenTime(cdr.ChargingStart, 'ChargingStart');
  const ce = givenTime(cdr.ChargingEnd, 'ChargingEnd');
  const ss = givenTime(cdr.SessionStart, 'SessionStart');
  const se = givenTime(cdr.SessionEnd, 'SessionEnd');
  order('ChargingEnd', cs, ce, 'ChargingStart');
  order('SessionEnd', ss, se, 'SessionStart');
  Object.assign(r, { ChargingStart: cs.text, ChargingEnd: ce.text, SessionStart: ss.text, SessionEnd: se.text });
  const exact: CdrResult['exact'] = { ConsumedEnergy: '' };
  let start: bigint | undefined;
  let end: bigint | undefined;
  if (cdr.MeterValueStart !== undefined && cdr.MeterValueStart !== null) {
    start = kwhToWh(cdr.MeterValueStart, 'MeterValueStart');
    r.MeterValueStart = kwhNumber(start);
    exact.MeterValueStart = kwhText(start);
  }
  if (cdr.MeterValueEnd !== undefined && cdr.MeterValueEnd !== null) {
    end = kwhToWh(cdr.MeterValueEnd, 'MeterValueEnd');
    r.MeterValueEnd = kwhNumber(end);
    exact.MeterValueEnd = kwhText(end);
  }
  const mib = cdr.MeterValueInBetween;
  if (mib !== undefined && mib !== null) {
    if (!isObj(mib) || !Array.isArray(mib.meterValues)) return fail('MeterValueInBetween', 'MeterValueInBetween must be {meterValues: [kWh, ...]}');
    r.MeterValueInBetween = { meterValues: mib.meterValues.map((v, i) => kwhNumber(kwhToWh(v, `MeterValueInBetween.meterValues[${i}]`))) };
  }
  if (cdr.ConsumedEnergy === undefined || cdr.ConsumedEnergy === null) return fail('ConsumedEnergy', 'ConsumedEnergy is missing');
  const consumed = kwhToWh(cdr.ConsumedEnergy, 'ConsumedEnergy');
  if (start !== undefined && end !== undefined) {
    if (end < start) return fail('MeterValueEnd', `MeterValueEnd ${kwhText(end)} kWh is below MeterValueStart ${kwhText(start)} kWh`);
    if (end - start !== consumed) {
      return fail('ConsumedEnergy', `ConsumedEnergy ${kwhText(consumed)} kWh is not MeterValueEnd - MeterValueStart = ${kwhText(end - start)} kWh`);
    }
  }
  r.ConsumedEnergy = kwhNumber(consumed);
  exact.ConsumedEnergy = kwhText(consumed);
  const full = r as ChargeDetailRecord;
  const given = checkSigned(cdr.SignedMeteringValues, 'SignedMeteringValues');
  if (given.length > MAX_SIGNED_VALUES) {
    return fail('SignedMeteringValues', `SignedMeteringValues has ${given.length} entries; OICP allows at most ${MAX_SIGNED_VALUES}`);
  }
  finishSigned(
    full,
    [...given, ...checkSigned(o.SignedMeteringValues, 'options.SignedMeteringValues')],
    { ...o, CalibrationLawVerificationInfo: (cdr.CalibrationLawVerificationInfo ?? o.CalibrationLawVerificationInfo) as Obj | undefined },
    warnings,
  );
  const hubOp = checkId(cdr.HubOperatorID, 'HubOperatorID', OPERATOR_ID_PATTERN, 'an OperatorID');
  if (hubOp) full.HubOperatorID = hubOp;
  const hubProv = checkId(cdr.HubProviderID, 'HubProviderID', PROVIDER_ID_PATTERN, 'a ProviderID');
  if (hubProv) full.HubProviderID = hubProv;
  return { record: full, exact, warnings };
}
