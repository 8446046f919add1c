import { parseEvseId, evseBelongsToOperator, operatorLabel, type OperatorIds } from '../oicp/ids';
import { isEvseStatus, EVSE_STATUSES, type EvseStatus } from '../oicp/schemas';

export interface ValidRecord {
  EvseID: string;
  EvseStatus: EvseStatus;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function where(i: number, n: number, isArray: boolean): string {
  return isArray ? `record ${i + 1} of ${n}` : 'record';
}

/** A bad value, short and safe for an error message (never throws, whatever the type). */
export function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 37) + '...' : v}'`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/**
 * Validates one {EvseID, EvseStatus} or an array of them. All or nothing: the first
 * bad record fails the whole message, so the caller applies nothing.
 */
export function parseStatusRecords(payload: unknown, operatorId?: OperatorIds): Parsed<ValidRecord[]> {
  const isArray = Array.isArray(payload);
  const list: unknown[] = isArray ? (payload as unknown[]) : [payload];
  const out: ValidRecord[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    const at = where(i, list.length, isArray);
    if (!r || typeof r !== 'object' || Array.isArray(r)) {
      return { ok: false, error: `${at}: expected an object {EvseID, EvseStatus}, got ${describe(r)}` };
    }
    const rec = r as Record<string, unknown>;
    if (rec.EvseID === undefined) return { ok: false, error: `${at}: EvseID is missing` };
    if (rec.EvseStatus === undefined) return { ok: false, error: `${at}: EvseStatus is missing` };
    const id = parseEvseId(rec.EvseID);
    if (!id.ok) return { ok: false, error: `${at}: ${id.error}` };
    if (!isEvseStatus(rec.EvseStatus)) {
      return {
        ok: false,
        error: `${at}: EvseStatus ${describe(rec.EvseStatus)} is not one of ${EVSE_STATUSES.join(', ')}`,
      };
    }
    if (operatorId && !evseBelongsToOperator(id.value, operatorId)) {
      return { ok: false, error: `${at}: EvseID '${id.value}' does not belong to operator ${operatorLabel(operatorId)}` };
    }
    out[i] = { EvseID: id.value, EvseStatus: rec.EvseStatus };
  }
  return { ok: true, value: out };
}

/** EvseIDs to delete: a string, an {EvseID} object, or an array of either. */
export function parseDeleteIds(payload: unknown): Parsed<string[]> {
  const isArray = Array.isArray(payload);
  const list: unknown[] = isArray ? (payload as unknown[]) : [payload];
  const out: string[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const at = isArray ? `delete item ${i + 1} of ${list.length}` : 'delete';
    let raw: unknown = item;
    if (item && typeof item === 'object' && !Array.isArray(item)) raw = (item as Record<string, unknown>).EvseID;
    else if (typeof item !== 'string') {
      return { ok: false, error: `${at}: expected an EvseID string or {EvseID}, got ${describe(item)}` };
    }
    const id = parseEvseId(raw);
    if (!id.ok) return { ok: false, error: `${at}: ${id.error}` };
    out[i] = id.value;
  }
  return { ok: true, value: out };
}
