// Hubject's rules for eRoamingPushEvseStatus, without sockets: validation (400 FaultBody), 017 for a body
// OperatorID that differs from the URL, 018 for foreign or repeated EvseIDs, and the ActionType semantics
// (fullLoad replaces, insert refuses known EVSEs with 022, update refuses unknown ones with 022, delete is lenient).
// The simulator's server adds TLS, the client certificate check, faults, rate limit and statistics around it.
import { codeInfo } from '../oicp/codes';
import { evseKey, operatorKey, operatorMatcher, OPERATOR_ID_PATTERN } from '../oicp/ids';
import { ACTION_TYPES, PushEvseStatusRequestSchema, type ActionType, type EvseStatus, type EvseStatusRecord } from '../oicp/schemas';
import { checkEvseDataRecord, checkOperatorName, type EvseDataRecord } from './evse-data-check';

/** The EVSE data an operator pushed, as the simulator's page shows it. */
export interface EvseDataEntry {
  EvseID: string;
  record: EvseDataRecord;
  updatedAt: number;
}

export interface EvseState {
  EvseStatus: EvseStatus;
  /** When a push last carried this EVSE (ms since epoch): benchmarks measure lag against it. */
  updatedAt: number;
  /** When the status value last changed (a fullLoad repeating the same status keeps it). */
  changedAt: number;
}

export interface EvseEntry extends EvseState {
  /** Spelling last sent by the CPO. */
  EvseID: string;
}

export interface OperatorState {
  /** Spelling last sent in OperatorEvseStatus.OperatorID. */
  OperatorID: string;
  OperatorName?: string;
  evses: Map<string, EvseEntry>;
}

/** What Hubject answers to one push, and what it applied. */
export interface Verdict {
  httpStatus: number;
  body: unknown;
  code?: string;
  note?: string;
  applied?: { operatorId: string; records: EvseStatusRecord[]; action: ActionType };
}

export const STATUS_017 = { Code: '017', Description: 'Unauthorized Access', AdditionalInfo: null };

/** Identity key for state and limits; a URL that is not an OperatorID gets its own bucket. */
export function opKeyOf(operatorId: string): string {
  return OPERATOR_ID_PATTERN.test(operatorId) ? operatorKey(operatorId) : `?${operatorId.toUpperCase()}`;
}

/** Hubject compares OperatorIDs as text: DE*ABC and DEABC differ. Case is the only leniency. */
export function sameText(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}

/** Hubject's 400 FaultBody spells paths like operatorEvseStatus.evseStatusRecord[0].evseID. */
export function fieldReference(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else {
      const s = String(p);
      out += (out ? '.' : '') + s.charAt(0).toLowerCase() + s.slice(1);
    }
  }
  return out;
}

export interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  pattern?: string;
}

export function validationErrors(issues: ReadonlyArray<ZodIssueLike>): Array<{ fieldReference: string; errorMessage: string }> {
  return issues.map((i) => ({
    fieldReference: fieldReference(i.path),
    errorMessage: i.code === 'invalid_format' && i.pattern ? `must match "${i.pattern.replace(/^\/|\/[a-z]*$/g, '')}"` : i.message,
  }));
}

export function faultBody(errors: Array<{ fieldReference: string; errorMessage: string }>): unknown {
  return { extendedInfo: null, message: 'Error parsing/validating JSON.', validationErrors: errors };
}

/** eRoamingAcknowledgement as real Hubject sends it: absent optional fields are null. */
export function ackBody(result: boolean | null, code: string, additionalInfo: string | null, description?: string): unknown {
  return {
    Result: result,
    StatusCode: { Code: code, Description: code === '000' ? null : (description ?? codeInfo(code).description), AdditionalInfo: additionalInfo },
    SessionID: null,
    CPOPartnerSessionID: null,
    EMPPartnerSessionID: null,
  };
}

function ack(result: boolean, code: string, additionalInfo: string | null): Verdict {
  return { httpStatus: 200, body: ackBody(result, code, additionalInfo), code, note: additionalInfo ?? undefined };
}

/** A data record's field path as Hubject's FaultBody spells it: operatorEvseData.evseDataRecord[3].address.country. */
function dataFieldReference(index: number, field: string): string {
  const rest = field
    .split('.')
    .filter(Boolean)
    .map((p) => p.replace(/^[A-Z]/, (c) => c.toLowerCase()))
    .join('.');
  return `operatorEvseData.evseDataRecord[${index}]${rest ? '.' + rest : ''}`;
}

export class HubjectModel {
  /** Keyed by operator identity (opKeyOf). */
  readonly state = new Map<string, OperatorState>();
  /** EVSE data per operator identity, keyed by evseKey. */
  readonly data = new Map<string, Map<string, EvseDataEntry>>();
  /** When on, a status push naming an EVSE without data is refused with 018 (Hubject lists only EVSEs with data). */
  requireData = false;
  /** Sub-operators per hub operator identity: their EVSEs are the hub's to push (Hubject's "Sub-OperatorIDs"). */
  private readonly subs = new Map<string, { operatorId: string; subOperatorIds: string[] }>();

  subOperators(operatorId: string): string[] {
    return [...(this.subs.get(opKeyOf(operatorId))?.subOperatorIds ?? [])];
  }

  setSubOperators(operatorId: string, subOperatorIds: readonly string[]): void {
    const list = [...new Set(subOperatorIds)];
    if (list.length) this.subs.set(opKeyOf(operatorId), { operatorId, subOperatorIds: list });
    else this.subs.delete(opKeyOf(operatorId));
  }

  allSubOperators(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const v of this.subs.values()) out[v.operatorId] = [...v.subOperatorIds];
    return out;
  }

  /** The operator and its sub-operators: the namespaces its EvseIDs may lie in. */
  private namespaces(operatorId: string): string[] {
    return [operatorId, ...this.subOperators(operatorId)];
  }

  /** Judges an eRoamingPushEvseData 2.3 body and applies it when Hubject would. */
  pushData(json: unknown, jsonError: string | undefined, urlOperatorId: string, now: number): Verdict {
    if (jsonError !== undefined) return { httpStatus: 400, body: faultBody([{ fieldReference: '', errorMessage: `malformed JSON: ${jsonError}` }]) };
    const errors: Array<{ fieldReference: string; errorMessage: string }> = [];
    const body = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
    const action = body.ActionType;
    if (typeof action !== 'string' || !(ACTION_TYPES as readonly string[]).includes(action))
      errors.push({ fieldReference: 'actionType', errorMessage: `must be one of ${ACTION_TYPES.join(', ')}` });
    const op = (body.OperatorEvseData && typeof body.OperatorEvseData === 'object' ? body.OperatorEvseData : null) as Record<string, unknown> | null;
    if (!op) errors.push({ fieldReference: 'operatorEvseData', errorMessage: 'is required' });
    const operatorId = typeof op?.OperatorID === 'string' ? op.OperatorID : '';
    if (op && !OPERATOR_ID_PATTERN.test(operatorId)) errors.push({ fieldReference: 'operatorEvseData.operatorID', errorMessage: 'must be an OperatorID' });
    const nameError = op ? checkOperatorName(op.OperatorName) : undefined;
    if (op && nameError) errors.push({ fieldReference: 'operatorEvseData.operatorName', errorMessage: nameError });
    const list = op && Array.isArray(op.EvseDataRecord) ? (op.EvseDataRecord as unknown[]) : null;
    if (op && !list) errors.push({ fieldReference: 'operatorEvseData.evseDataRecord', errorMessage: 'must be an array' });
    const records: EvseDataRecord[] = [];
    (list ?? []).forEach((x, i) => {
      // The simulator's own reading of the schema and the spec, never the client's: the record is taken as sent or refused.
      const issues = checkEvseDataRecord(x);
      for (const issue of issues) errors.push({ fieldReference: dataFieldReference(i, issue.field), errorMessage: issue.reason });
      if (!issues.length) records.push(x as EvseDataRecord);
    });
    if (errors.length) return { httpStatus: 400, body: faultBody(errors) };
    if (!sameText(operatorId, urlOperatorId)) {
      return { httpStatus: 401, body: { StatusCode: STATUS_017 }, code: '017', note: `body OperatorID ${operatorId} differs from URL ${urlOperatorId}` };
    }
    const mine = operatorMatcher(this.namespaces(operatorId));
    const foreign = records.filter((r) => !mine(r.EvseID)).map((r) => r.EvseID);
    const seen = new Set<string>();
    const dups: string[] = [];
    for (const r of records) {
      const k = evseKey(r.EvseID);
      if (seen.has(k) && !dups.includes(r.EvseID)) dups.push(r.EvseID);
      seen.add(k);
    }
    if (foreign.length || dups.length) return ack(false, '018', [...new Set([...foreign, ...dups])].join(', '));
    const opKey = opKeyOf(urlOperatorId);
    const held = this.data.get(opKey) ?? new Map<string, EvseDataEntry>();
    const has = (r: EvseDataRecord) => held.has(evseKey(r.EvseID));
    const put = (into: Map<string, EvseDataEntry>, r: EvseDataRecord) => into.set(evseKey(r.EvseID), { EvseID: r.EvseID, record: r, updatedAt: now });
    switch (action as ActionType) {
      case 'fullLoad': {
        const next = new Map<string, EvseDataEntry>();
        for (const r of records) put(next, r);
        this.data.set(opKey, next);
        break;
      }
      case 'insert': {
        const clash = records.filter(has).map((r) => r.EvseID);
        if (clash.length) return ack(false, '022', clash.join(', '));
        for (const r of records) put(held, r);
        this.data.set(opKey, held);
        break;
      }
      case 'update': {
        const missing = records.filter((r) => !has(r)).map((r) => r.EvseID);
        if (missing.length) return ack(false, '022', missing.join(', '));
        for (const r of records) put(held, r);
        break;
      }
      case 'delete':
        for (const r of records) held.delete(evseKey(r.EvseID));
        break;
    }
    this.operatorState(opKey, operatorId, String(op!.OperatorName));
    return ack(true, '000', null);
  }

  /** The EVSE data held for an operator, keyed by EvseID as last sent. */
  getData(operatorId: string): Map<string, EvseDataRecord> {
    const out = new Map<string, EvseDataRecord>();
    for (const e of this.data.get(opKeyOf(operatorId))?.values() ?? []) out.set(e.EvseID, e.record);
    return out;
  }

  hasData(operatorId: string, evseId: string): boolean {
    return this.data.get(opKeyOf(operatorId))?.has(evseKey(evseId)) ?? false;
  }

  /**
   * Judges a push body (already parsed from JSON, or the parse error) sent to urlOperatorId and applies it when
   * Hubject would. The client certificate was checked by the caller.
   */
  push(json: unknown, jsonError: string | undefined, urlOperatorId: string, now: number): Verdict {
    if (jsonError !== undefined) return { httpStatus: 400, body: faultBody([{ fieldReference: '', errorMessage: `malformed JSON: ${jsonError}` }]) };
    const parsed = PushEvseStatusRequestSchema.safeParse(json);
    if (!parsed.success) return { httpStatus: 400, body: faultBody(validationErrors(parsed.error.issues as ReadonlyArray<ZodIssueLike>)) };
    const body = parsed.data;
    const op = body.OperatorEvseStatus;
    if (!sameText(op.OperatorID, urlOperatorId)) {
      return { httpStatus: 401, body: { StatusCode: STATUS_017 }, code: '017', note: `body OperatorID ${op.OperatorID} differs from URL ${urlOperatorId}` };
    }
    // 018: every EvseID inside the operator's namespace, none twice in one request.
    const mine = operatorMatcher(this.namespaces(op.OperatorID));
    const foreign = op.EvseStatusRecord.filter((r) => !mine(r.EvseID)).map((r) => r.EvseID);
    const seen = new Set<string>();
    const dups: string[] = [];
    for (const r of op.EvseStatusRecord) {
      const k = evseKey(r.EvseID);
      if (seen.has(k) && !dups.includes(r.EvseID)) dups.push(r.EvseID);
      seen.add(k);
    }
    if (foreign.length || dups.length) return ack(false, '018', [...new Set([...foreign, ...dups])].join(', '));
    if (this.requireData && body.ActionType !== 'delete') {
      const noData = op.EvseStatusRecord.filter((r) => !this.hasData(urlOperatorId, r.EvseID)).map((r) => r.EvseID);
      if (noData.length) return { ...ack(false, '018', noData.join(', ')), note: `no EVSE data for ${noData.join(', ')}` };
    }
    return this.apply(opKeyOf(urlOperatorId), body.ActionType, op.OperatorID, op.OperatorName, op.EvseStatusRecord, now);
  }

  /** ActionType semantics on the operator's state. */
  apply(opKey: string, action: ActionType, operatorId: string, operatorName: string | undefined, records: EvseStatusRecord[], now: number): Verdict {
    const existing = this.state.get(opKey);
    const has = (r: EvseStatusRecord): boolean => existing?.evses.has(evseKey(r.EvseID)) ?? false;
    switch (action) {
      case 'fullLoad': {
        // Replaces the whole set; an empty list deletes every status of the operator.
        const st = this.operatorState(opKey, operatorId, operatorName);
        const next = new Map<string, EvseEntry>();
        for (const r of records) this.setEvse(st, r, now, next);
        st.evses = next;
        break;
      }
      case 'insert': {
        const clash = records.filter(has).map((r) => r.EvseID);
        if (clash.length) return ack(false, '022', clash.join(', '));
        const st = this.operatorState(opKey, operatorId, operatorName);
        for (const r of records) this.setEvse(st, r, now);
        break;
      }
      case 'update': {
        const missing = records.filter((r) => !has(r)).map((r) => r.EvseID);
        if (missing.length) return ack(false, '022', missing.join(', '));
        const st = this.operatorState(opKey, operatorId, operatorName);
        for (const r of records) this.setEvse(st, r, now);
        break;
      }
      case 'delete': {
        // Deleting an EVSE Hubject does not hold is not an error.
        const st = this.operatorState(opKey, operatorId, operatorName);
        for (const r of records) st.evses.delete(evseKey(r.EvseID));
        break;
      }
    }
    return { ...ack(true, '000', null), applied: { operatorId, records, action } };
  }

  /** The EVSE status held for an operator (looked up by identity), keyed by the EvseID as last sent. */
  getState(operatorId: string): Map<string, EvseState> {
    const out = new Map<string, EvseState>();
    const st = this.state.get(opKeyOf(operatorId));
    if (st) for (const e of st.evses.values()) out.set(e.EvseID, { EvseStatus: e.EvseStatus, updatedAt: e.updatedAt, changedAt: e.changedAt });
    return out;
  }

  getStatus(operatorId: string, evseId: string): EvseStatus | undefined {
    return this.state.get(opKeyOf(operatorId))?.evses.get(evseKey(evseId))?.EvseStatus;
  }

  getOperators(): string[] {
    return [...this.state.values()].map((s) => s.OperatorID);
  }

  /** Puts records into the state directly, as if a successful insert/update had arrived. */
  seed(operatorId: string, records: EvseStatusRecord[], now: number): void {
    const st = this.operatorState(opKeyOf(operatorId), operatorId);
    for (const r of records) this.setEvse(st, r, now);
  }

  /** Forgets status and data; sub-operators are set-up, not state, and stay. */
  clear(): void {
    this.state.clear();
    this.data.clear();
  }

  findEvse(evseId: string): EvseEntry | undefined {
    const k = evseKey(evseId);
    for (const st of this.state.values()) {
      const e = st.evses.get(k);
      if (e) return e;
    }
    return undefined;
  }

  private operatorState(opKey: string, operatorId: string, operatorName?: string): OperatorState {
    let st = this.state.get(opKey);
    if (!st) {
      st = { OperatorID: operatorId, evses: new Map() };
      this.state.set(opKey, st);
    }
    st.OperatorID = operatorId;
    if (operatorName !== undefined) st.OperatorName = operatorName;
    return st;
  }

  private setEvse(st: OperatorState, r: EvseStatusRecord, now: number, into: Map<string, EvseEntry> = st.evses): void {
    const k = evseKey(r.EvseID);
    const prev = st.evses.get(k);
    into.set(k, { EvseID: r.EvseID, EvseStatus: r.EvseStatus, updatedAt: now, changedAt: prev && prev.EvseStatus === r.EvseStatus ? prev.changedAt : now });
  }
}
