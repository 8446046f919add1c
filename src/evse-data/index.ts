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
import { evseKey, operatorMatcher, parseOperatorId, OPERATOR_NAME_MAX_LENGTH } from '../oicp/ids';
import { ACTION_TYPES, type ActionType } from '../oicp/schemas';
import { normaliseEvseDataRecord, validateDefaults, type EvseDataDefaults, type EvseDataRecord, type FieldIssue } from './normalise';
import type { EvseDataStore } from './store';

export * from './enums';
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
} from './normalise';

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

interface Validated<T> {
  items: T[];
  ids: string[];
  positions: number[];
  rejected: RejectedRecord[];
  warnings: string[];
}

/** asText: keep each valid record only as its JSON text (a 20,000-record fullLoad then never holds all objects). */
function* validateCore<T>(input: readonly unknown[], opts: ValidationOptions, keep: (r: EvseDataRecord) => T): Generator<void, Validated<T>, void> {
  const ops = operatorList(opts.operatorIds);
  const matchers = ops.map(operatorMatcher);
  const belongs = matchers.length === 1 ? matchers[0]! : (id: string) => matchers.some((m) => m(id));
  const operatorLabel = ops.length === 1 ? `operator ${ops[0]}` : `operators ${ops.join(', ')}`;
  const valid: (T | undefined)[] = new Array(input.length);
  const validIds: (string | undefined)[] = new Array(input.length);
  const keys: (string | undefined)[] = new Array(input.length);
  const rejected: RejectedRecord[] = [];
  const warnings: string[] = [];
  const nopts = { belongs, operatorLabel, defaults: opts.defaults };
  for (let i = 0; i < input.length; i++) {
    const r = normaliseEvseDataRecord(input[i], nopts);
    const index = i + 1;
    for (const w of r.warnings) warnings.push(`record ${index}${r.EvseID ? ` (${r.EvseID})` : ''}: ${w}`);
    if (r.record) {
      valid[i] = keep(r.record);
      validIds[i] = r.record.EvseID;
    } else {
      const first = r.issues[0]!;
      rejected.push({
        index,
        EvseID: r.EvseID,
        field: first.field,
        reason: first.reason,
        issues: r.issues,
        message: rejectedMessage(index, r.EvseID, r.issues),
      });
    }
    if (r.EvseID) keys[i] = evseKey(r.EvseID);
    if ((i & 0x7f) === 0x7f) yield;
  }
  // A repeated EvseID: the last occurrence wins (Hubject refuses a request with a duplicate with 018).
  const last = new Map<string, number>();
  for (let i = 0; i < input.length; i++) if (keys[i] !== undefined) last.set(keys[i]!, i);
  yield;
  const items: T[] = [];
  const ids: string[] = [];
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
    if (valid[i] !== undefined) {
      items.push(valid[i]!);
      ids.push(validIds[i]!);
      positions.push(i + 1);
    }
  }
  for (const [k, earlier] of seen) {
    const at = last.get(k)! + 1;
    const id = validIds[at - 1] ?? rejected.find((x) => x.index === at)?.EvseID ?? k;
    warnings.push(
      `EvseID ${id} appears more than once in this message (records ${earlier.join(', ')} and ${at}); only the last, record ${at}, is used${valid[at - 1] !== undefined ? '' : ', and it is rejected'}`,
    );
  }
  return { items, ids, positions, rejected, warnings };
}

function* validateSteps(input: readonly unknown[], opts: ValidationOptions): Generator<void, ValidationResult, void> {
  const v = yield* validateCore(input, opts, (r) => r);
  return { records: v.items, positions: v.positions, rejected: v.rejected, warnings: v.warnings };
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
  return {
    kind: 'error',
    error: `msg.payload must be an EvseDataRecord, a list of them, an eRoamingPushEvseData body or "fullLoad" (got ${payload === null ? 'null' : typeof payload})`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Body

/** Checks the OperatorName the data push needs (mandatory there, unlike for status). Returns an error or undefined. */
export function operatorNameError(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return 'OperatorName is missing: eRoamingPushEvseData requires it (set it in the Hubject config node)';
  if (name.trim().length > OPERATOR_NAME_MAX_LENGTH)
    return `OperatorName has ${name.trim().length} characters, more than the ${OPERATOR_NAME_MAX_LENGTH} allowed`;
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

/** Records per serialised piece: about 120 kB of JSON, under V8's 128 kB limit for young-generation objects. */
export const DATA_RECORDS_PER_CHUNK = 100;

export interface SerialisedBody {
  /** The body in pieces (strings), made on demand each time it is iterated; joined, exactly JSON.stringify(body). */
  chunks: Iterable<string>;
  /** UTF-8 bytes of the whole body (send as Content-Length). */
  contentLength: number;
}

function shellOf(action: ActionType, operatorId: string, operatorName: string): [string, string] {
  const shell = JSON.stringify({ ActionType: action, OperatorEvseData: { OperatorID: operatorId, OperatorName: operatorName, EvseDataRecord: [] } });
  const token = '"EvseDataRecord":[';
  const at = shell.lastIndexOf(`${token}]`) + token.length;
  return [shell.slice(0, at), shell.slice(at)];
}

function* lengthSteps(texts: readonly string[], lengths: Uint32Array): Generator<void, number, void> {
  let n = Math.max(0, texts.length - 1); // commas
  for (let i = 0; i < texts.length; i++) {
    n += lengths[i] = Buffer.byteLength(texts[i]!);
    if ((i & 0x3ff) === 0x3ff) yield;
  }
  return n;
}

// Pieces are strings, made when undici asks for them (it measures and writes strings as UTF-8): a 120 kB string
// dies young and the next scavenge frees it, where a Buffer's memory lingers outside the heap until a GC that
// little heap allocation would trigger.
function lazyChunks(head: string, texts: readonly string[], tail: string, perChunk: number): Iterable<string> {
  return {
    *[Symbol.iterator]() {
      yield head;
      for (let i = 0; i < texts.length; i += perChunk) {
        const piece = texts.slice(i, i + perChunk).join(',');
        yield i ? ',' + piece : piece;
      }
      yield tail;
    },
  };
}

/**
 * A request as the data lane holds it: each record as its JSON text (the normalised record, fields in schema
 * order), so a 20,000-record fullLoad is about 25 MB of strings, not objects, and the same strings become the store
 * once Hubject acknowledges (EvseDataStore.acknowledgeRequest).
 */
export interface DataRequest {
  ActionType: ActionType;
  OperatorID: string;
  OperatorName: string;
  /** EvseID of each record, in order. */
  EvseIDs: string[];
  /** JSON text of each record, in order. */
  texts: string[];
  /** 1-based message position of each record (0: taken from the store). */
  positions: number[];
}

/** A DataRequest from records or their JSON texts. Throws on a bad ActionType, OperatorID or OperatorName. */
export function buildDataRequest(
  action: ActionType,
  operatorId: string,
  operatorName: string,
  records: readonly EvseDataRecord[],
  positions?: number[],
): DataRequest {
  const body = buildPushEvseDataBody(action, operatorId, operatorName, []);
  return {
    ActionType: action,
    OperatorID: body.OperatorEvseData.OperatorID,
    OperatorName: body.OperatorEvseData.OperatorName,
    EvseIDs: records.map((r) => r.EvseID),
    texts: records.map(recordText),
    positions: positions ?? records.map(() => 0),
  };
}

/** The request as an eRoamingPushEvseData object (parses the texts: for tests, logs and small requests). */
export function dataRequestBody(req: DataRequest): PushEvseDataRequest {
  return {
    ActionType: req.ActionType,
    OperatorEvseData: { OperatorID: req.OperatorID, OperatorName: req.OperatorName, EvseDataRecord: req.texts.map((t) => JSON.parse(t) as EvseDataRecord) },
  };
}

/** What HubjectClient hands to undici: the byte length (computed in slices) and the body in lazy 120 kB pieces (an iterable body). */
export function serialiseDataRequest(req: DataRequest, opts: SliceOptions & { perChunk?: number } = {}): Promise<SerialisedBody> {
  const [head, tail] = shellOf(req.ActionType, req.OperatorID, req.OperatorName);
  const lengths = new Uint32Array(req.texts.length);
  return runSliced(lengthSteps(req.texts, lengths), opts.sliceMs ?? 15).then((n) => ({
    chunks: lazyChunks(head, req.texts, tail, opts.perChunk ?? DATA_RECORDS_PER_CHUNK),
    contentLength: Buffer.byteLength(head) + Buffer.byteLength(tail) + n,
  }));
}

/** The same for an eRoamingPushEvseData object (records stringified in slices first). */
export async function serialisePushEvseDataBody(body: PushEvseDataRequest, opts: SliceOptions & { perChunk?: number } = {}): Promise<SerialisedBody> {
  const records = body.OperatorEvseData.EvseDataRecord;
  const texts = await runSliced(
    (function* () {
      const out: string[] = new Array(records.length);
      for (let i = 0; i < records.length; i++) {
        out[i] = JSON.stringify(records[i]);
        if ((i & 0xff) === 0xff) yield;
      }
      return out;
    })(),
    opts.sliceMs ?? 15,
  );
  return serialiseDataRequest(
    {
      ActionType: body.ActionType,
      OperatorID: body.OperatorEvseData.OperatorID,
      OperatorName: body.OperatorEvseData.OperatorName,
      EvseIDs: [],
      texts,
      positions: [],
    },
    opts,
  );
}

/** Index N of `operatorEvseData.evseDataRecord[N]...` in a 400 FaultBody's fieldReference (Hubject writes camelCase). */
export function recordIndexOfFieldReference(ref: unknown): number | undefined {
  if (typeof ref !== 'string') return undefined;
  const m = /evsedatarecord\[(\d+)\]/i.exec(ref);
  return m ? Number(m[1]) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The fullLoad guard, with the semantics of the full load node's.

export type DataGuardCode = 'empty' | 'collapsed' | 'invalid' | 'knownOnly' | 'tooLarge' | 'unreadable' | 'incomplete';

export interface DataGuardOptions {
  force?: boolean;
  allowEmpty?: boolean;
  /** Guard: stop a fullLoad smaller than minRatio x lastCount; 0 turns the guard off. */
  minRatio?: number;
  /** EVSEs Hubject holds now (countAtHubject): the fullLoad deletes every one it leaves out. */
  lastCount?: number;
}

/**
 * What Hubject holds for the operator now, as far as this package knows: every record acknowledged since the last
 * acknowledged fullLoad (the store keeps those and drops deletes), plus the EVSEs marked known.
 */
export function countAtHubject(store: Pick<EvseDataStore, 'size'>): number {
  return store.size;
}

export function checkDataFullLoadGuard(count: number, opts: DataGuardOptions): { code: DataGuardCode; reason: string } | undefined {
  if (opts.force) return undefined;
  if (count === 0 && !opts.allowEmpty) {
    return {
      code: 'empty',
      reason: 'the data fullLoad has no records and would delete every EVSE of the operator at Hubject (send msg.force = true to send it anyway)',
    };
  }
  const ratio = opts.minRatio ?? 0;
  const last = opts.lastCount ?? 0;
  if (ratio > 0 && last > 0 && count < ratio * last) {
    return {
      code: 'collapsed',
      reason: `the data fullLoad has ${count} records, fewer than ${ratio} x the ${last} EVSEs Hubject holds; the other ${Math.max(0, last - count)} would be deleted at Hubject (send msg.force = true to send it anyway)`,
    };
  }
  return undefined;
}

/** UTF-8 bytes of the request's serialised body (what serialiseDataRequest sends as Content-Length). */
export function dataRequestBytes(req: Pick<DataRequest, 'ActionType' | 'OperatorID' | 'OperatorName' | 'texts'>): number {
  const [head, tail] = shellOf(req.ActionType, req.OperatorID, req.OperatorName);
  let n = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(0, req.texts.length - 1);
  for (const t of req.texts) n += Buffer.byteLength(t);
  return n;
}

/** Held back when the fullLoad's body is larger than maxBodyBytes (Hubject's limit is not published: an assumption). */
export function checkDataBodySize(req: DataRequest, maxBodyBytes: number | undefined): { code: DataGuardCode; reason: string } | undefined {
  if (!maxBodyBytes || maxBodyBytes <= 0) return undefined;
  const bytes = dataRequestBytes(req);
  if (bytes <= maxBodyBytes) return undefined;
  const mb = (b: number) => (b / 1_000_000).toFixed(1);
  return {
    code: 'tooLarge',
    reason: `the data fullLoad of ${req.EvseIDs.length} records is ${mb(bytes)} MB, more than maxBodyMB (${mb(maxBodyBytes)} MB) in the Hubject config node; raise maxBodyMB if Hubject takes it, or push the records as update/insert in bundles`,
  };
}

/** The fullLoad's records that fail validation: it is never sent without them (Hubject would delete them). */
export function invalidFullLoadReason(rejected: readonly RejectedRecord[]): string {
  const shown = rejected.slice(0, 20).map((r) => r.message);
  const more = rejected.length > shown.length ? `; and ${rejected.length - shown.length} more` : '';
  return `the data fullLoad is guarded whole: ${rejected.length} record(s) fail validation, and a fullLoad without them would delete them at Hubject: ${shown.join('; ')}${more}`;
}

/**
 * A whole eRoamingPushEvseData body speaks for one operator: its OperatorID and OperatorName must be the config
 * node's, or the body was meant for another operator and nothing of it is sent.
 */
export function bodyOperatorError(
  body: { OperatorID?: string; OperatorName?: string } | undefined,
  operatorId: string,
  operatorName: string,
): string | undefined {
  if (!body) return undefined;
  if (body.OperatorID !== undefined) {
    const p = parseOperatorId(body.OperatorID);
    const mine = parseOperatorId(operatorId);
    // The same operator with or without '*' is the same operator; the body goes with the configured spelling.
    const same = (a: string, b: string) => a.replace(/\*/g, '').toUpperCase() === b.replace(/\*/g, '').toUpperCase();
    if (!p.ok || !mine.ok || !same(p.value, mine.value))
      return `msg.payload.OperatorEvseData.OperatorID ${JSON.stringify(body.OperatorID)} is not this node's operator ${operatorId} (set in the Hubject config node); nothing is sent. Leave OperatorID out or use a config node for that operator`;
  }
  if (body.OperatorName !== undefined && body.OperatorName.trim() !== operatorName.trim())
    return `msg.payload.OperatorEvseData.OperatorName ${JSON.stringify(body.OperatorName)} is not ${JSON.stringify(operatorName.trim())} of the Hubject config node; nothing is sent. Leave OperatorName out or change it in the config node`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Planning: which request(s) a message becomes.

export type DataAction = 'auto' | ActionType;
export const DATA_ACTIONS: readonly DataAction[] = ['auto', 'insert', 'update', 'delete', 'fullLoad'];

export interface PlanOptions extends ValidationOptions, DataGuardOptions {
  action: DataAction;
  /** A fullLoad body larger than this is guarded (the config node's maxBodyMB). */
  maxBodyBytes?: number;
  /** The OperatorID for the body (as configured) and the OperatorName (mandatory). */
  operatorId: string;
  operatorName: string;
  store: EvseDataStore;
}

export interface DataPlan {
  /** auto gives up to two (insert, then update); the others at most one. */
  requests: DataRequest[];
  rejected: RejectedRecord[];
  warnings: string[];
  /** EvseIDs left out because they equal the acknowledged record. */
  unchanged: string[];
  guarded?: { code: DataGuardCode; reason: string; count: number; lastCount: number };
}

/** JSON.stringify(r), flattened now: V8 may return a rope that the first read copies, and that copy would then
 * happen when the 25 MB fullLoad is serialised, doubling the strings in the old generation. */
export function recordText(r: EvseDataRecord): string {
  const s = JSON.stringify(r);
  s.charCodeAt(0);
  return s;
}
const toText = recordText;

function* planSteps(items: readonly unknown[], opts: PlanOptions): Generator<void, DataPlan, void> {
  if (!(DATA_ACTIONS as readonly string[]).includes(opts.action))
    throw new Error(`action ${JSON.stringify(opts.action)} is not one of ${DATA_ACTIONS.join(', ')}`);
  const store = opts.store;
  // Checks OperatorID and OperatorName before any work.
  const shell = buildPushEvseDataBody('insert', opts.operatorId, opts.operatorName, []).OperatorEvseData;
  const request = (action: ActionType, EvseIDs: string[], texts: string[], positions: number[]): DataRequest => ({
    ActionType: action,
    OperatorID: shell.OperatorID,
    OperatorName: shell.OperatorName,
    EvseIDs,
    texts,
    positions,
  });
  if (opts.action === 'delete') {
    // Bare EvseIDs are looked up in the store; records are checked like any other, then the stored one is sent.
    const ids: string[] = [];
    const texts: string[] = [];
    const positions: number[] = [];
    const rejected: RejectedRecord[] = [];
    const warnings: string[] = [];
    const objects: unknown[] = [];
    const objectPos: number[] = [];
    const belongsList = operatorList(opts.operatorIds).map(operatorMatcher);
    const seen = new Set<string>();
    const add = (id: string, text: string, pos: number) => {
      if (seen.has(evseKey(id))) {
        warnings.push(`EvseID ${id} appears more than once in this delete; it is sent once`);
        return;
      }
      seen.add(evseKey(id));
      ids.push(id);
      texts.push(text);
      positions.push(pos);
    };
    for (let i = 0; i < items.length; i++) {
      const x = items[i];
      if (typeof x === 'string') {
        const id = x.trim().toUpperCase();
        const stored = store.getText(id);
        const fail = (field: string, reason: string) =>
          rejected.push({ index: i + 1, EvseID: id, field, reason, issues: [{ field, reason }], message: rejectedMessage(i + 1, id, [{ field, reason }]) });
        if (!belongsList.some((m) => m(id)))
          fail('EvseID', `${JSON.stringify(id)} does not belong to the operator; Hubject would refuse the whole request with 018`);
        else if (stored === undefined)
          fail('EvseID', `Hubject has not acknowledged data for ${id} here, so there is no stored record to delete; give the whole record`);
        else add(store.get(id)!.EvseID, stored, i + 1);
      } else {
        objects.push(x);
        objectPos.push(i + 1);
      }
      if ((i & 0xff) === 0xff) yield;
    }
    if (objects.length) {
      const v = yield* validateCore(objects, opts, toText);
      for (const r of v.rejected) {
        const index = objectPos[r.index - 1]!;
        rejected.push({ ...r, index, message: rejectedMessage(index, r.EvseID, r.issues) });
      }
      warnings.push(...v.warnings);
      for (let k = 0; k < v.items.length; k++) add(v.ids[k]!, store.getText(v.ids[k]!) ?? v.items[k]!, objectPos[v.positions[k]! - 1]!);
    }
    rejected.sort((a, b) => a.index - b.index);
    return { requests: ids.length ? [request('delete', ids, texts, positions)] : [], rejected, warnings, unchanged: [] };
  }

  const v = yield* validateCore(items, opts, toText);
  for (const r of v.rejected) {
    const x = items[r.index - 1];
    if (typeof x !== 'string') continue;
    r.EvseID = x.trim().toUpperCase();
    r.field = 'EvseID';
    r.reason = 'is a bare EvseID, which only a delete accepts; give the whole EvseDataRecord';
    r.issues = [{ field: r.field, reason: r.reason }];
    r.message = rejectedMessage(r.index, r.EvseID, r.issues);
  }
  if (opts.action === 'fullLoad') {
    const lastCount = countAtHubject(store);
    const count = v.items.length;
    const plan: DataPlan = { requests: [], rejected: v.rejected, warnings: v.warnings, unchanged: [] };
    // Not even msg.force sends a fullLoad without its invalid records: Hubject would delete them.
    if (v.rejected.length) {
      plan.guarded = { code: 'invalid', reason: invalidFullLoadReason(v.rejected), count, lastCount };
      return plan;
    }
    const req = request('fullLoad', v.ids, v.items, v.positions);
    const guard = checkDataFullLoadGuard(count, { ...opts, lastCount }) ?? checkDataBodySize(req, opts.maxBodyBytes);
    if (guard) plan.guarded = { ...guard, count, lastCount };
    else plan.requests.push(req);
    return plan;
  }
  const groups = {
    insert: { ids: [] as string[], texts: [] as string[], positions: [] as number[] },
    update: { ids: [] as string[], texts: [] as string[], positions: [] as number[] },
  };
  const unchanged: string[] = [];
  for (let k = 0; k < v.items.length; k++) {
    const id = v.ids[k]!;
    const text = v.items[k]!;
    if (!opts.force && store.isUnchangedText(id, text)) unchanged.push(id);
    else {
      const g = opts.action === 'auto' ? (store.isAcknowledged(id) ? groups.update : groups.insert) : groups[opts.action as 'insert' | 'update'];
      g.ids.push(id);
      g.texts.push(text);
      g.positions.push(v.positions[k]!);
    }
    if ((k & 0xff) === 0xff) yield;
  }
  const requests: DataRequest[] = [];
  for (const a of ['insert', 'update'] as const) if (groups[a].ids.length) requests.push(request(a, groups[a].ids, groups[a].texts, groups[a].positions));
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

export interface StoredFullLoadOptions extends Omit<PlanOptions, 'action' | 'operatorIds' | 'defaults'> {
  /** Why the store could not be read: its fullLoad would delete what it lost, so it waits for msg.force. */
  unreadable?: string;
}

/**
 * The fullLoad of every record the store holds (msg.payload "fullLoad" or the schedule), guarded against what
 * Hubject holds. msg.force sends it anyway, even empty; only a body above maxBodyMB is never sent.
 */
export function planStoredFullLoad(opts: StoredFullLoadOptions): {
  request?: DataRequest;
  guarded?: { code: DataGuardCode; reason: string; count: number; lastCount: number };
} {
  const { ids, texts } = opts.store.records();
  const lastCount = countAtHubject(opts.store);
  // A store that lost records to damage holds less than Hubject does: its fullLoad would delete the lost EVSEs.
  const incomplete = opts.store.incomplete;
  if (incomplete && !opts.force) {
    const file = opts.store.file ?? 'the EVSE data store';
    return {
      guarded: {
        code: 'incomplete',
        reason: `the EVSE data store ${file} is incomplete (damage found, at least ${incomplete.lost} records lost): its fullLoad would delete them at Hubject; send the full set as a message fullLoad, or msg.force = true`,
        count: texts.length,
        lastCount,
      },
    };
  }
  const shell = buildPushEvseDataBody('fullLoad', opts.operatorId, opts.operatorName, []).OperatorEvseData;
  const request: DataRequest = {
    ActionType: 'fullLoad',
    OperatorID: shell.OperatorID,
    OperatorName: shell.OperatorName,
    EvseIDs: ids,
    texts,
    positions: texts.map(() => 0),
  };
  const guardedBy = (g: { code: DataGuardCode; reason: string }) => ({ guarded: { ...g, count: texts.length, lastCount } });
  if (!opts.force && opts.unreadable)
    return guardedBy({
      code: 'unreadable',
      reason: `the EVSE data store could not be read (${opts.unreadable}); its fullLoad could delete EVSEs at Hubject. Send a fullLoad of every record, or msg.force = true`,
    });
  // EVSEs marked known have no record here: a fullLoad without them would delete them at Hubject.
  const knownOnly = opts.store.size - texts.length;
  if (!opts.force && knownOnly > 0)
    return guardedBy({
      code: 'knownOnly',
      reason: `${knownOnly} EVSE(s) are only marked known, without a record here: a fullLoad would delete them at Hubject (send their records first, or msg.force)`,
    });
  const guard = checkDataFullLoadGuard(texts.length, { ...opts, lastCount }) ?? checkDataBodySize(request, opts.maxBodyBytes);
  if (guard) return guardedBy(guard);
  return { request };
}

// ---------------------------------------------------------------------------------------------------------------
// The data node's inputs

/** The defaults property: an object (the editor writes one) or its JSON text (hand-edited flows). */
export function parseDataDefaults(v: unknown): { value?: EvseDataDefaults; error?: string } {
  if (v === undefined || v === null || v === '') return {};
  let obj = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { error: 'not an object' };
  // The editor leaves unset fields empty: they are not defaults.
  const clean: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(obj as Record<string, unknown>)) {
    if (x === '' || x === null || x === undefined || (Array.isArray(x) && x.length === 0)) continue;
    clean[k] = x;
  }
  const issues = validateDefaults(clean);
  if (issues.length) return { error: issues.map((i) => `${i.field} ${i.reason}`).join('; ') };
  return { value: clean as EvseDataDefaults };
}

/** The EvseIDs of a `known` message: bare ids, records, or a list of either. */
export function evseIdsOf(payload: unknown): unknown[] {
  if (Array.isArray(payload)) return payload.map((x) => (x && typeof x === 'object' && 'EvseID' in x ? (x as { EvseID: unknown }).EvseID : x));
  if (payload && typeof payload === 'object' && 'EvseID' in payload) return [(payload as { EvseID: unknown }).EvseID];
  return [payload];
}

export { EvseDataStore, type EvseDataStoreMeta, type EvseDataStoreOptions, type EvseDataRestoreReport } from './store';
