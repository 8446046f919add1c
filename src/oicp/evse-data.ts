/**
 * Core of EVSE data push (eRoamingPushEvseData 2.3), free of Node-RED.
 *
 * Normalisation (for the node's help):
 * - GeoCoordinates and GeoChargingPointEntrance given as numbers, `{lat, lon}` (also `lng`) or
 *   `{Latitude, Longitude}`, become the Google format that Hubject's examples use,
 *   `{"Google": {"Coordinates": "52.480495 13.356465"}}`: latitude first, 6 decimals, a point as decimal
 *   separator whatever the locale. Numbers inside `DecimalDegree` become 6-decimal text. Coordinates already
 *   in one of the three OICP formats are kept as given (and checked).
 * - `Address.Country` in ISO 3166-1 alpha-2 (`DE`) becomes alpha-3 (`DEU`); lower case becomes upper case.
 * - `HotlinePhoneNumber` loses spaces, `-`, `.`, `/`, brackets and a `(0)` trunk prefix; a leading `00` becomes `+`:
 *   `0049 (30) 123-456` becomes `+4930123456`. A number without country code is an error, never guessed.
 * - `DynamicInfoAvailable` true/false (boolean) becomes the text "true"/"false".
 * - `Plugs` may hold OCPP 2.0.1/2.1 ConnectorEnumType values: cType2 → Type 2 Connector (Cable Attached),
 *   sType2 → Type 2 Outlet, sType3 → Type 3 Outlet, cType1 → Type 1 Connector (Cable Attached),
 *   cCCS1/cCCS2 → CCS Combo 1/2 Plug (Cable Attached), cG105 → CHAdeMO, cTesla and cNACS → Tesla Connector,
 *   s309-1P-16A/32A → IEC 60309 Single Phase, s309-3P-16A/32A → IEC 60309 Three Phase,
 *   sBS1361 → Type G British Standard, sCEE-7-7 → Type F Schuko. OICP has no plug type for cChaoJi,
 *   cUltraChaoJi, cGBT, cGBT-DC, sGBT-AC, cLECCS, cMCS, cNACS-CCS1, cCCS1-NACS, sType1, OppCharge,
 *   Other1PhMax16A, Other1PhOver16A, Other3Ph, Pan, wInductive, wResonant, Undetermined and Unknown: those are
 *   errors. A single plug may be given as text instead of a list; repeated plugs are sent once.
 * - `deltaType` and `lastUpdate` (Hubject sets them in pull answers) are dropped.
 * - The station id is read from `ChargingStationId` (the schema's spelling) or `ChargingStationID` and written
 *   once as `ChargingStationID`, the spelling of Hubject's examples.
 * - `defaults` fill HotlinePhoneNumber, AuthenticationModes, PaymentOptions, ValueAddedServices, Accessibility,
 *   AccessibilityLocation, CalibrationLawDataAvailability, RenewableEnergy, IsOpen24Hours, IsHubjectCompatible and
 *   DynamicInfoAvailable where a record has none. Nothing else is filled in: no hotline, address or coordinate
 *   is ever invented.
 * - Also: EvseID and HubOperatorID in upper case; text trimmed; an empty optional text or a null optional field is
 *   left out; "true"/"false" text accepted for booleans and numeric text for numbers; numbers accepted for
 *   ChargingStationID, PostalCode (with a warning: leading zeros are lost), HouseNum, Floor and ParkingSpot;
 *   repeated values in enum lists sent once; fields in the schema's order.
 */
import { evseKey, operatorMatcher, parseOperatorId, OPERATOR_NAME_MAX_LENGTH } from './ids';
import { ACTION_TYPES, type ActionType } from './schemas';
import {
  normaliseEvseDataRecord,
  type EvseDataDefaults,
  type EvseDataRecord,
  type FieldIssue,
} from './evse-data-normalise';
import type { EvseDataStore } from './evse-data-store';

export * from './evse-data-enums';
export {
  normaliseEvseDataRecord,
  recordsEqual,
  normalisePhoneNumber,
  normaliseCountry,
  normalisePlug,
  validateDefaults,
  DEFAULTABLE_FIELDS,
  RECORD_FIELDS,
  type EvseDataRecord,
  type EvseDataDefaults,
  type FieldIssue,
  type InfoText,
  type GeoCoordinates,
  type Address,
  type ChargingFacility,
  type EnergySource,
  type EnvironmentalImpact,
  type OpeningTimes,
  type NormaliseOptions,
  type NormaliseResult,
} from './evse-data-normalise';

export interface PushEvseDataRequest {
  ActionType: ActionType;
  OperatorEvseData: { OperatorID: string; OperatorName: string; EvseDataRecord: EvseDataRecord[] };
}

/** A record of the message that is not sent. index: 1-based position in the message. */
export interface RejectedRecord {
  index: number;
  EvseID?: string;
  /** The first failed rule's field and reason... */
  field: string;
  reason: string;
  /** ...and all of them. */
  issues: FieldIssue[];
  /** `record 3 (DE*ABC*E1): Address.Country: "Germany" is not an ISO 3166-1 country code ...` */
  message: string;
}

export interface ValidationOptions {
  /** The operator, and any sub-operators whose EVSEs it may push. */
  operatorIds: string | readonly string[];
  defaults?: EvseDataDefaults;
}

export interface ValidationResult {
  /** Valid records, normalised, in message order; for a repeated EvseID only the last. */
  records: EvseDataRecord[];
  /** 1-based message position of each of records. */
  positions: number[];
  rejected: RejectedRecord[];
  warnings: string[];
}

export function rejectedMessage(index: number, evseId: string | undefined, issues: readonly FieldIssue[]): string {
  const what = `record ${index}${evseId ? ` (${evseId})` : ''}`;
  return `${what}: ${issues.map((i) => `${i.field} ${i.reason}`).join('; ')}`;
}

function operatorList(ids: string | readonly string[]): string[] {
  const list = (typeof ids === 'string' ? [ids] : [...ids]).map((s) => String(s).trim()).filter(Boolean);
  if (!list.length) throw new Error('operatorIds is empty: name the OperatorID (e.g. DE*ABC) whose EVSEs this node pushes');
  for (const id of list) {
    const p = parseOperatorId(id);
    if (!p.ok) throw new Error(p.error);
  }
  return list;
}

function* validateSteps(input: readonly unknown[], opts: ValidationOptions): Generator<void, ValidationResult, void> {
  const ops = operatorList(opts.operatorIds);
  const matchers = ops.map(operatorMatcher);
  const belongs = matchers.length === 1 ? matchers[0]! : (id: string) => matchers.some((m) => m(id));
  const operatorLabel = ops.length === 1 ? `operator ${ops[0]}` : `operators ${ops.join(', ')}`;
  const valid: (EvseDataRecord | undefined)[] = new Array(input.length);
  const keys: (string | undefined)[] = new Array(input.length);
  const rejected: RejectedRecord[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const r = normaliseEvseDataRecord(input[i], { belongs, operatorLabel, defaults: opts.defaults });
    const index = i + 1;
    for (const w of r.warnings) warnings.push(`record ${index}${r.EvseID ? ` (${r.EvseID})` : ''}: ${w}`);
    if (r.record) valid[i] = r.record;
    else {
      const first = r.issues[0]!;
      rejected.push({ index, EvseID: r.EvseID, field: first.field, reason: first.reason, issues: r.issues, message: rejectedMessage(index, r.EvseID, r.issues) });
    }
    if (r.EvseID) keys[i] = evseKey(r.EvseID);
    if ((i & 0xff) === 0xff) yield;
  }
  // A repeated EvseID: the last occurrence wins (Hubject refuses a request with a duplicate with 018).
  const last = new Map<string, number>();
  for (let i = 0; i < input.length; i++) if (keys[i] !== undefined) last.set(keys[i]!, i);
  const records: EvseDataRecord[] = [];
  const positions: number[] = [];
  const seen = new Map<string, number[]>();
  for (let i = 0; i < input.length; i++) {
    const k = keys[i];
    if (k !== undefined && last.get(k) !== i) {
      const list = seen.get(k);
      if (list) list.push(i + 1);
      else seen.set(k, [i + 1]);
      continue;
    }
    if (valid[i]) {
      records.push(valid[i]!);
      positions.push(i + 1);
    }
  }
  for (const [k, earlier] of seen) {
    const at = last.get(k)! + 1;
    const id = valid[at - 1]?.EvseID ?? rejected.find((x) => x.index === at)?.EvseID ?? k;
    warnings.push(
      `EvseID ${id} appears more than once in this message (records ${earlier.join(', ')} and ${at}); only the last, record ${at}, is used${valid[at - 1] ? '' : ', and it is rejected'}`,
    );
  }
  return { records, positions, rejected, warnings };
}

/** Validates and normalises the records of one message. A bad record is rejected; the others still go. */
export function validateEvseDataRecords(input: readonly unknown[], opts: ValidationOptions): ValidationResult {
  return runSync(validateSteps(input, opts));
}

export interface SliceOptions {
  /** Longest synchronous stretch before yielding to the event loop (default 15 ms). */
  sliceMs?: number;
}

/** validateEvseDataRecords in slices, so 20,000 records never block the event loop for long. */
export function validateEvseDataRecordsAsync(input: readonly unknown[], opts: ValidationOptions, slice: SliceOptions = {}): Promise<ValidationResult> {
  return runSliced(validateSteps(input, opts), slice.sliceMs ?? 15);
}

function runSync<T>(gen: Generator<void, T, void>): T {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

async function runSliced<T>(gen: Generator<void, T, void>, budget: number): Promise<T> {
  let started = Date.now();
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
    if (Date.now() - started >= budget) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      started = Date.now();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Input

export type DataInput =
  | { kind: 'fullLoadTrigger' }
  | {
      kind: 'items';
      /** Record objects and, for delete, bare EvseIDs, in message order. */
      items: unknown[];
      /** Set when msg.payload was a whole eRoamingPushEvseData body. */
      body?: { ActionType?: ActionType; OperatorID?: string; OperatorName?: string };
    }
  | { kind: 'error'; error: string };

/**
 * Reads msg.payload: one EvseDataRecord, an array of them (bare EvseIDs allowed, for delete), a whole
 * eRoamingPushEvseData body, or the text "fullLoad" (topic "fullLoad" is the node's to check).
 */
export function parseDataInput(payload: unknown): DataInput {
  if (payload === 'fullLoad') return { kind: 'fullLoadTrigger' };
  if (typeof payload === 'string') return { kind: 'items', items: [payload] };
  if (Array.isArray(payload)) return { kind: 'items', items: payload };
  if (payload && typeof payload === 'object') {
    const p = payload as Record<string, unknown>;
    if ('OperatorEvseData' in p) {
      const data = p.OperatorEvseData as Record<string, unknown> | null;
      if (!data || typeof data !== 'object' || !Array.isArray(data.EvseDataRecord)) {
        return { kind: 'error', error: 'msg.payload.OperatorEvseData must be {OperatorID, OperatorName, EvseDataRecord: [...]}' };
      }
      const at = p.ActionType;
      if (at !== undefined && !(typeof at === 'string' && (ACTION_TYPES as readonly string[]).includes(at))) {
        return { kind: 'error', error: `msg.payload.ActionType ${JSON.stringify(at)} is not one of ${ACTION_TYPES.join(', ')}` };
      }
      return {
        kind: 'items',
        items: data.EvseDataRecord,
        body: {
          ActionType: at as ActionType | undefined,
          OperatorID: typeof data.OperatorID === 'string' ? data.OperatorID : undefined,
          OperatorName: typeof data.OperatorName === 'string' ? data.OperatorName : undefined,
        },
      };
    }
    return { kind: 'items', items: [payload] };
  }
  return { kind: 'error', error: `msg.payload must be an EvseDataRecord, a list of them, an eRoamingPushEvseData body or "fullLoad" (got ${payload === null ? 'null' : typeof payload})` };
}

// ---------------------------------------------------------------------------------------------------------------
// Body

/** Checks the OperatorName the data push needs (mandatory there, unlike for status). Returns an error or undefined. */
export function operatorNameError(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return 'OperatorName is missing: eRoamingPushEvseData requires it (set it in the Hubject config node)';
  if (name.trim().length > OPERATOR_NAME_MAX_LENGTH) return `OperatorName has ${name.trim().length} characters, more than the ${OPERATOR_NAME_MAX_LENGTH} allowed`;
  return undefined;
}

/** `{ActionType, OperatorEvseData: {OperatorID, OperatorName, EvseDataRecord}}`. Throws on a bad OperatorID or OperatorName. */
export function buildPushEvseDataBody(action: ActionType, operatorId: string, operatorName: string, records: EvseDataRecord[]): PushEvseDataRequest {
  if (!(ACTION_TYPES as readonly string[]).includes(action)) throw new Error(`ActionType ${JSON.stringify(action)} is not one of ${ACTION_TYPES.join(', ')}`);
  const op = parseOperatorId(operatorId);
  if (!op.ok) throw new Error(op.error);
  const nameError = operatorNameError(operatorName);
  if (nameError) throw new Error(nameError);
  // The OperatorID exactly as configured: Hubject compares it with the certificate as text.
  return { ActionType: action, OperatorEvseData: { OperatorID: operatorId.trim(), OperatorName: operatorName.trim(), EvseDataRecord: records } };
}

/** Records per serialised piece: about 300 kB of JSON. */
export const DATA_RECORDS_PER_CHUNK = 250;

export interface SerialisedBody {
  /** Joined, byte for byte JSON.stringify(body). */
  chunks: Buffer[];
  contentLength: number;
}

function shellOf(body: PushEvseDataRequest): [string, string] {
  const shell = JSON.stringify({ ...body, OperatorEvseData: { ...body.OperatorEvseData, EvseDataRecord: [] } });
  const token = '"EvseDataRecord":[';
  const at = shell.lastIndexOf(`${token}]`) + token.length;
  return [shell.slice(0, at), shell.slice(at)];
}

function* serialiseSteps(body: PushEvseDataRequest, perChunk: number, texts?: readonly string[]): Generator<void, SerialisedBody, void> {
  const [head, tail] = shellOf(body);
  const chunks: Buffer[] = [Buffer.from(head)];
  const n = texts ? texts.length : body.OperatorEvseData.EvseDataRecord.length;
  for (let i = 0; i < n; i += perChunk) {
    const piece = texts ? texts.slice(i, i + perChunk).join(',') : JSON.stringify(body.OperatorEvseData.EvseDataRecord.slice(i, i + perChunk)).slice(1, -1);
    chunks.push(Buffer.from(i ? ',' + piece : piece));
    yield;
  }
  chunks.push(Buffer.from(tail));
  let contentLength = 0;
  for (const c of chunks) contentLength += c.length;
  return { chunks, contentLength };
}

/** The body as buffers, serialised in slices (a 20,000-record fullLoad is about 25 MB of JSON). */
export function serialisePushEvseDataBody(body: PushEvseDataRequest, opts: SliceOptions & { perChunk?: number } = {}): Promise<SerialisedBody> {
  return runSliced(serialiseSteps(body, opts.perChunk ?? DATA_RECORDS_PER_CHUNK), opts.sliceMs ?? 15);
}

/**
 * As serialisePushEvseDataBody, from the records' JSON texts (EvseDataStore.texts()) instead of objects: the
 * store's fullLoad is never turned back into objects. `body` gives ActionType and OperatorEvseData; its record
 * list is ignored.
 */
export function serialisePushEvseDataTexts(body: PushEvseDataRequest, texts: readonly string[], opts: SliceOptions & { perChunk?: number } = {}): Promise<SerialisedBody> {
  return runSliced(serialiseSteps(body, opts.perChunk ?? DATA_RECORDS_PER_CHUNK, texts), opts.sliceMs ?? 15);
}

/** Index N of `operatorEvseData.evseDataRecord[N]...` in a 400 FaultBody's fieldReference (Hubject writes camelCase). */
export function recordIndexOfFieldReference(ref: unknown): number | undefined {
  if (typeof ref !== 'string') return undefined;
  const m = /evsedatarecord\[(\d+)\]/i.exec(ref);
  return m ? Number(m[1]) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The fullLoad guard, with the semantics of the full load node's.

export type DataHeldBackCode = 'empty' | 'collapsed';

export interface DataGuardOptions {
  force?: boolean;
  allowEmpty?: boolean;
  /** Hold back a fullLoad smaller than minRatio x lastCount; 0 turns the guard off. */
  minRatio?: number;
  /** Records of the last acknowledged data fullLoad (or, before any, the acknowledged records). */
  lastCount?: number;
}

export function checkDataFullLoadGuard(count: number, opts: DataGuardOptions): { code: DataHeldBackCode; reason: string } | undefined {
  if (opts.force) return undefined;
  if (count === 0 && !opts.allowEmpty) {
    return { code: 'empty', reason: 'the data fullLoad has no records and would delete every EVSE of the operator at Hubject (send msg.force = true to send it anyway)' };
  }
  const ratio = opts.minRatio ?? 0;
  const last = opts.lastCount ?? 0;
  if (ratio > 0 && last > 0 && count < ratio * last) {
    return {
      code: 'collapsed',
      reason: `the data fullLoad has ${count} records, fewer than ${ratio} x ${last} of the last acknowledged one; the rest would be deleted at Hubject (send msg.force = true to send it anyway)`,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Planning: which request(s) a message becomes.

export type DataAction = 'auto' | ActionType;
export const DATA_ACTIONS: readonly DataAction[] = ['auto', 'insert', 'update', 'delete', 'fullLoad'];

export interface PlanOptions extends ValidationOptions, DataGuardOptions {
  action: DataAction;
  /** The OperatorID for the body (as configured) and the OperatorName (mandatory). */
  operatorId: string;
  operatorName: string;
  store: EvseDataStore;
}

export interface PlannedRequest {
  body: PushEvseDataRequest;
  /** 1-based message positions of body's records (0 for records taken from the store by a fullLoad trigger). */
  positions: number[];
}

export interface DataPlan {
  /** auto gives up to two (insert, then update); the others at most one. */
  requests: PlannedRequest[];
  rejected: RejectedRecord[];
  warnings: string[];
  /** EvseIDs left out because they equal the acknowledged record. */
  unchanged: string[];
  heldBack?: { code: DataHeldBackCode; reason: string; count: number; lastCount: number };
}

function* planSteps(items: readonly unknown[], opts: PlanOptions): Generator<void, DataPlan, void> {
  if (!(DATA_ACTIONS as readonly string[]).includes(opts.action)) throw new Error(`action ${JSON.stringify(opts.action)} is not one of ${DATA_ACTIONS.join(', ')}`);
  const store = opts.store;
  const body = (action: ActionType, records: EvseDataRecord[]) => buildPushEvseDataBody(action, opts.operatorId, opts.operatorName, records);
  if (opts.action === 'delete') {
    // Bare EvseIDs are looked up in the store; records are checked like any other, then the stored one is sent.
    const records: EvseDataRecord[] = [];
    const positions: number[] = [];
    const rejected: RejectedRecord[] = [];
    const warnings: string[] = [];
    const objects: unknown[] = [];
    const objectPos: number[] = [];
    const belongsList = operatorList(opts.operatorIds).map(operatorMatcher);
    const seen = new Set<string>();
    for (let i = 0; i < items.length; i++) {
      const x = items[i];
      if (typeof x === 'string') {
        const id = x.trim().toUpperCase();
        const stored = store.get(id);
        const fail = (field: string, reason: string) =>
          rejected.push({ index: i + 1, EvseID: id, field, reason, issues: [{ field, reason }], message: rejectedMessage(i + 1, id, [{ field, reason }]) });
        if (!belongsList.some((m) => m(id))) fail('EvseID', `${JSON.stringify(id)} does not belong to the operator; Hubject would refuse the whole request with 018`);
        else if (!stored) fail('EvseID', `Hubject has not acknowledged data for ${id} here, so there is no stored record to delete; give the whole record`);
        else if (seen.has(evseKey(id))) warnings.push(`EvseID ${id} appears more than once in this delete; it is sent once`);
        else {
          seen.add(evseKey(id));
          records.push(stored);
          positions.push(i + 1);
        }
      } else {
        objects.push(x);
        objectPos.push(i + 1);
      }
      if ((i & 0xff) === 0xff) yield;
    }
    if (objects.length) {
      const v = yield* validateSteps(objects, opts);
      for (const r of v.rejected) {
        const index = objectPos[r.index - 1]!;
        rejected.push({ ...r, index, message: rejectedMessage(index, r.EvseID, r.issues) });
      }
      warnings.push(...v.warnings);
      v.records.forEach((r, k) => {
        if (seen.has(evseKey(r.EvseID))) {
          warnings.push(`EvseID ${r.EvseID} appears more than once in this delete; it is sent once`);
          return;
        }
        seen.add(evseKey(r.EvseID));
        records.push(store.get(r.EvseID) ?? r);
        positions.push(objectPos[v.positions[k]! - 1]!);
      });
    }
    rejected.sort((a, b) => a.index - b.index);
    return { requests: records.length ? [{ body: body('delete', records), positions }] : [], rejected, warnings, unchanged: [] };
  }

  const bare = items.findIndex((x) => typeof x === 'string');
  const v = yield* validateSteps(items, opts);
  if (bare >= 0) {
    for (const r of v.rejected) if (typeof items[r.index - 1] === 'string') {
      r.reason = 'is a bare EvseID, which only a delete accepts; give the whole EvseDataRecord';
      r.field = 'EvseID';
      r.EvseID = String(items[r.index - 1]).trim().toUpperCase();
      r.issues = [{ field: r.field, reason: r.reason }];
      r.message = rejectedMessage(r.index, r.EvseID, r.issues);
    }
  }
  if (opts.action === 'fullLoad') {
    const lastCount = store.meta.lastFullLoadCount ?? store.size;
    const guard = checkDataFullLoadGuard(v.records.length, { ...opts, lastCount });
    const plan: DataPlan = { requests: [{ body: body('fullLoad', v.records), positions: v.positions }], rejected: v.rejected, warnings: v.warnings, unchanged: [] };
    if (guard) {
      plan.requests = [];
      plan.heldBack = { ...guard, count: v.records.length, lastCount };
    }
    return plan;
  }
  const groups: Record<'insert' | 'update', { records: EvseDataRecord[]; positions: number[] }> = { insert: { records: [], positions: [] }, update: { records: [], positions: [] } };
  const unchanged: string[] = [];
  for (let k = 0; k < v.records.length; k++) {
    const r = v.records[k]!;
    if (!opts.force && store.isUnchanged(r)) unchanged.push(r.EvseID);
    else {
      const g = opts.action === 'auto' ? (store.isAcknowledged(r.EvseID) ? groups.update : groups.insert) : groups[opts.action as 'insert' | 'update'];
      g.records.push(r);
      g.positions.push(v.positions[k]!);
    }
    if ((k & 0xff) === 0xff) yield;
  }
  const requests: PlannedRequest[] = [];
  for (const a of ['insert', 'update'] as const) if (groups[a].records.length) requests.push({ body: body(a, groups[a].records), positions: groups[a].positions });
  return { requests, rejected: v.rejected, warnings: v.warnings, unchanged };
}

/**
 * Turns a message's records into requests: validates and normalises them, leaves out records equal to the
 * acknowledged ones (unless force), splits `auto` into insert (not acknowledged) and update (acknowledged), looks
 * up the stored record for a delete, and guards a fullLoad.
 */
export function planDataPush(items: readonly unknown[], opts: PlanOptions): DataPlan {
  return runSync(planSteps(items, opts));
}

/** planDataPush in slices of at most sliceMs. */
export function planDataPushAsync(items: readonly unknown[], opts: PlanOptions, slice: SliceOptions = {}): Promise<DataPlan> {
  return runSliced(planSteps(items, opts), slice.sliceMs ?? 15);
}

/**
 * The fullLoad of every record the store holds (msg.payload "fullLoad" or the schedule), guarded against the last
 * acknowledged fullLoad. The body's record list stays empty: serialise it with serialisePushEvseDataTexts(body, texts).
 */
export function planStoredFullLoad(opts: Omit<PlanOptions, 'action' | 'operatorIds' | 'defaults'>): {
  body: PushEvseDataRequest;
  texts: string[];
  heldBack?: { code: DataHeldBackCode; reason: string; count: number; lastCount: number };
} {
  const texts = opts.store.texts();
  const lastCount = opts.store.meta.lastFullLoadCount ?? opts.store.size;
  const body = buildPushEvseDataBody('fullLoad', opts.operatorId, opts.operatorName, []);
  const guard = checkDataFullLoadGuard(texts.length, { ...opts, lastCount });
  return guard ? { body, texts, heldBack: { ...guard, count: texts.length, lastCount } } : { body, texts };
}

export { EvseDataStore, type EvseDataStoreMeta, type EvseDataStoreOptions, type EvseDataRestoreReport } from './evse-data-store';
