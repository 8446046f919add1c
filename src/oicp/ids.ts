// OperatorID and EvseID rules from OICP 2.3 data types (ISO 15118 and DIN SPEC 91286).
import { describeValue as describe } from './describe';

export const OPERATOR_ID_PATTERN = /^(([A-Za-z]{2}\*?[A-Za-z0-9]{3})|(\+?[0-9]{1,3}\*[0-9]{3}))$/;
export const EVSE_ID_PATTERN = /^(([A-Za-z]{2}\*?[A-Za-z0-9]{3}\*?E[A-Za-z0-9*]{1,30})|(\+?[0-9]{1,3}\*[0-9]{3}\*[0-9*]{1,32}))$/;
/** Longest string either pattern admits (DIN: +ddd*ddd* plus 32). */
export const EVSE_ID_MAX_LENGTH = 41;
export const OPERATOR_ID_MAX_LENGTH = 8;
export const OPERATOR_NAME_MAX_LENGTH = 100;

/** The id rules as plain data, for the editor to check with the runtime's own (exported as node settings). */
export function idRules() {
  return {
    operatorIdPattern: OPERATOR_ID_PATTERN.source,
    operatorIdMaxLength: OPERATOR_ID_MAX_LENGTH,
    operatorNameMaxLength: OPERATOR_NAME_MAX_LENGTH,
    evseIdPattern: EVSE_ID_PATTERN.source,
    evseIdMaxLength: EVSE_ID_MAX_LENGTH,
  };
}

export type IdRules = ReturnType<typeof idRules>;

export type IdResult = { ok: true; value: string } | { ok: false; error: string };

/** Validates and upper-cases an OperatorID. The '*' is kept exactly as given: Hubject compares it with the certificate as text. */
export function parseOperatorId(value: unknown): IdResult {
  if (typeof value !== 'string' || value.trim() === '') {
    return { ok: false, error: `OperatorID is missing (got ${describe(value)})` };
  }
  const v = value.trim().toUpperCase();
  if (v.length > OPERATOR_ID_MAX_LENGTH || !OPERATOR_ID_PATTERN.test(v)) {
    return { ok: false, error: `OperatorID ${describe(value)} does not match the OICP pattern (e.g. DE*ABC or +49*536)` };
  }
  return { ok: true, value: v };
}

/** Validates and upper-cases an EvseID. */
export function parseEvseId(value: unknown): IdResult {
  if (typeof value !== 'string' || value === '') {
    return { ok: false, error: `EvseID is missing (got ${describe(value)})` };
  }
  const v = value.trim().toUpperCase();
  if (v.length > EVSE_ID_MAX_LENGTH || !EVSE_ID_PATTERN.test(v)) {
    return { ok: false, error: `EvseID ${describe(value)} does not match the OICP pattern` };
  }
  return { ok: true, value: v };
}

export function isDin(id: string): boolean {
  return /^\+?[0-9]/.test(id);
}

/**
 * Identity key of an OperatorID: ISO ids ignore case and the optional '*';
 * in DIN the '*' is mandatory, so only the optional leading '+' is dropped.
 */
export function operatorKey(operatorId: string): string {
  const v = operatorId.toUpperCase();
  return isDin(v) ? v.replace(/^\+/, '') : v.replace(/\*/g, '');
}

/** Identity key of an EvseID, as operatorKey: `DE*AB7*E840*6487` and `DEAB7E8406487` are one EVSE. */
export function evseKey(evseId: string): string {
  return operatorKey(evseId);
}

/**
 * The OperatorIDs whose EVSEs may be pushed: the operator's own first, then its sub-operators (a Hub CPO pushes for
 * them; Hubject checks EvseIDs against its "Sub-OperatorIDs"). A single string is the operator alone.
 */
export type Operators = string | readonly string[];

/** The operators as a list, empty entries left out. */
export function operatorList(operators: Operators | undefined): readonly string[] {
  if (operators === undefined) return [];
  return (typeof operators === 'string' ? [operators] : operators).filter((o) => typeof o === 'string' && o !== '');
}

/** The operator's own OperatorID (the first), or undefined when none is given. */
export function ownOperator(operators: Operators | undefined): string | undefined {
  return operatorList(operators)[0];
}

/** True when the EvseID lies inside the namespace of the operator or one of its sub-operators (else Hubject answers 018). */
export function evseBelongsToOperator(evseId: string, operators: Operators): boolean {
  return operatorMatcher(operators)(evseId);
}

/** evseBelongsToOperator with the operators' keys computed once (hot path for large pushes). */
export function operatorMatcher(operators: Operators): (evseId: string) => boolean {
  const list = operatorList(operators);
  if (list.length === 1) return oneOperatorMatcher(list[0]!);
  const each = list.map(oneOperatorMatcher);
  return (evseId) => each.some((m) => m(evseId));
}

function oneOperatorMatcher(operatorId: string): (evseId: string) => boolean {
  const o = operatorKey(operatorId);
  const din = isDin(o);
  const prefix = din ? o + '*' : o;
  return (evseId) => {
    const e = evseKey(evseId);
    if (isDin(e) !== din) return false;
    return din ? e.startsWith(prefix) : e.length > o.length && e.startsWith(o) && e.charCodeAt(o.length) === 69; // 'E'
  };
}

/** The operators as named in error texts: 'DE*ABC', or 'DE*ABC or its sub-operators DE*S01, DE*S02'. */
export function describeOperators(operators: Operators): string {
  const [own, ...subs] = operatorList(operators);
  return subs.length ? `${own} or its sub-operators ${subs.join(', ')}` : String(own);
}

/** The error for an EvseID outside the operators' namespaces. */
export function foreignEvseError(evseId: string, operators: Operators): string {
  return `EvseID '${evseId}' does not belong to operator ${describeOperators(operators)} (Hubject would answer 018)`;
}

/** Turns a station id into characters Hubject accepts in an EvseID: upper case, anything outside [A-Z0-9] becomes '*'. */
export function cleanIdPart(value: string | number): string {
  return String(value)
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '*');
}

// evseKey without building the key string: the full load store looks EVSEs up on every report, and a key
// string per lookup (and one kept per EVSE) was most of its memory at 100,000 EVSEs.

const PLUS = 43;
const STAR = 42;

function upperAscii(c: number): number {
  return c >= 97 && c <= 122 ? c - 32 : c;
}

function keySource(id: string): string {
  // Outside ASCII, toUpperCase can turn a character into ASCII (U+017F into 'S'); do what evseKey does.
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(id) ? id.toUpperCase() : id;
}

function dinStart(id: string): number {
  // isDin: an optional '+' and a digit. Its key drops only that '+'; an ISO key drops every '*'.
  const first = id.charCodeAt(0) === PLUS ? 1 : 0;
  const c = id.charCodeAt(first);
  return c >= 48 && c <= 57 ? first : -1;
}

/** A 32-bit hash of evseKey(id): equal keys give equal hashes. */
export function evseKeyHash(evseId: string): number {
  const id = keySource(evseId);
  const din = dinStart(id);
  let h = 0x811c9dc5;
  for (let i = din < 0 ? 0 : din; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (din < 0 && c === STAR) continue;
    h = Math.imul(h ^ upperAscii(c), 0x01000193);
  }
  return h >>> 0;
}

/** evseKey(a) === evseKey(b), without building either key. */
export function sameEvse(a: string, b: string): boolean {
  if (a === b) return true;
  const x = keySource(a);
  const y = keySource(b);
  const dx = dinStart(x);
  const dy = dinStart(y);
  if (dx < 0 !== dy < 0) return false;
  const iso = dx < 0;
  let i = iso ? 0 : dx;
  let j = iso ? 0 : dy;
  for (;;) {
    if (iso) {
      while (i < x.length && x.charCodeAt(i) === STAR) i++;
      while (j < y.length && y.charCodeAt(j) === STAR) j++;
    }
    if (i >= x.length || j >= y.length) return i >= x.length && j >= y.length;
    if (upperAscii(x.charCodeAt(i)) !== upperAscii(y.charCodeAt(j))) return false;
    i++;
    j++;
  }
}

/**
 * One spelling per EVSE on the wire: the first under which Hubject acknowledged the EVSE's data. An input in another
 * spelling of the same EVSE (`DEABCE00011` for `DE*ABC*E0001*1`) is sent in the acknowledged one, so Hubject never
 * sees the record re-spelled; the first time per EVSE the caller is told, to warn.
 */
export class WireSpelling {
  private readonly warned = new Set<string>();

  /** `acknowledged`: the EvseID as Hubject acknowledged it, if it did. */
  apply(id: string, acknowledged: string | undefined): { id: string; warning?: string } {
    if (acknowledged === undefined || acknowledged === id || !sameEvse(id, acknowledged)) return { id };
    const key = evseKey(id);
    if (this.warned.has(key)) return { id: acknowledged };
    this.warned.add(key);
    return {
      id: acknowledged,
      warning: `EvseID ${id} is sent as ${acknowledged}, the spelling under which Hubject acknowledged this EVSE's data (one spelling per EVSE)`,
    };
  }
}
