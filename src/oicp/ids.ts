// OperatorID and EvseID rules from OICP 2.3 data types (ISO 15118 and DIN SPEC 91286).

export const OPERATOR_ID_PATTERN = /^(([A-Za-z]{2}\*?[A-Za-z0-9]{3})|(\+?[0-9]{1,3}\*[0-9]{3}))$/;
export const EVSE_ID_PATTERN =
  /^(([A-Za-z]{2}\*?[A-Za-z0-9]{3}\*?E[A-Za-z0-9*]{1,30})|(\+?[0-9]{1,3}\*[0-9]{3}\*[0-9*]{1,32}))$/;
/** Longest string either pattern admits (DIN: +ddd*ddd* plus 32). */
export const EVSE_ID_MAX_LENGTH = 41;
export const OPERATOR_ID_MAX_LENGTH = 8;
export const OPERATOR_NAME_MAX_LENGTH = 100;

export type IdResult = { ok: true; value: string } | { ok: false; error: string };

function describe(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 60 ? value.slice(0, 57) + '...' : value;
    return `'${shown}'`;
  }
  if (value === null) return 'null';
  return typeof value;
}

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

/** True when the EvseID lies inside the operator's namespace (else Hubject answers 018). */
export function evseBelongsToOperator(evseId: string, operatorId: string): boolean {
  const e = evseKey(evseId);
  const o = operatorKey(operatorId);
  if (isDin(e) !== isDin(o)) return false;
  if (isDin(o)) return e.startsWith(o + '*');
  return e.length > o.length && e.startsWith(o) && e.charAt(o.length) === 'E';
}

/** evseBelongsToOperator for one operator, with its key computed once (hot path for large pushes). */
export function operatorMatcher(operatorId: string): (evseId: string) => boolean {
  const o = operatorKey(operatorId);
  const din = isDin(o);
  const prefix = din ? o + '*' : o;
  return (evseId) => {
    const e = evseKey(evseId);
    if (isDin(e) !== din) return false;
    return din ? e.startsWith(prefix) : e.length > o.length && e.startsWith(o) && e.charCodeAt(o.length) === 69; // 'E'
  };
}

/** Turns a station id into characters Hubject accepts in an EvseID: upper case, anything outside [A-Z0-9] becomes '*'. */
export function cleanIdPart(value: string | number): string {
  return String(value).toUpperCase().replace(/[^A-Z0-9]/g, '*');
}
