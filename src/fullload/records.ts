import { describeValue } from '../oicp/describe';
import { parseEvseId, type Operators } from '../oicp/ids';
import { type EvseStatusRecord } from '../oicp/schemas';
import { EvseStatusRecordValidator } from '../oicp/status-record';

export type ValidRecord = EvseStatusRecord;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Validates one {EvseID, EvseStatus} or an array of them. All or nothing: the first bad record fails the whole
 * message, so the caller applies nothing. `operators`: own OperatorID, or it followed by its sub-operators'.
 */
export function parseStatusRecords(payload: unknown, operators?: Operators): Parsed<ValidRecord[]> {
  const inList = Array.isArray(payload);
  const list: unknown[] = inList ? (payload as unknown[]) : [payload];
  const validator = new EvseStatusRecordValidator({ operators });
  const out: ValidRecord[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const r = validator.check(list[i], i, list.length, inList);
    if (!r.ok) return r;
    out[i] = r.value;
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
      return { ok: false, error: `${at}: expected an EvseID string or {EvseID}, got ${describeValue(item)}` };
    }
    const id = parseEvseId(raw);
    if (!id.ok) return { ok: false, error: `${at}: ${id.error}` };
    out[i] = id.value;
  }
  return { ok: true, value: out };
}
