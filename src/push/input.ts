import { evseBelongsToOperator, evseKey, operatorKey, parseEvseId, parseOperatorId } from '../oicp/ids';
import { EVSE_STATUSES, isActionType, isEvseStatus, type ActionType, type EvseStatusRecord } from '../oicp/schemas';

export interface PushInput {
  action: ActionType;
  records: EvseStatusRecord[];
}

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Status sent with a delete that names no status: the safe one, should Hubject ever read it. */
const DELETE_STATUS = 'OutOfService';
const MAX_RECORDS_PER_MESSAGE = 200_000;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A bad value, short and safe for an error message: never throws (BigInt, cycles, symbols) nor copies a huge value. */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function own(o: Record<string, unknown>, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

/**
 * Validates what a push node received before anything is queued: one record, an array of records,
 * or a whole eRoamingPushEvseStatus body. EvseIDs are upper-cased and must belong to the operator;
 * a duplicate EvseID keeps the last record.
 */
export function parsePushInput(
  payload: unknown, msgAction: unknown, defaultAction: ActionType, operatorId: string, allowEmptyFullLoad = false,
): PushInput {
  let action: unknown = msgAction ?? defaultAction;
  let list: unknown[];
  if (isPlainObject(payload) && own(payload, 'OperatorEvseStatus') !== undefined) {
    const body = own(payload, 'OperatorEvseStatus');
    if (!isPlainObject(body)) throw new InputError('OperatorEvseStatus must be an object');
    const op = parseOperatorId(own(body, 'OperatorID'));
    if (!op.ok) throw new InputError(op.error);
    if (operatorKey(op.value) !== operatorKey(operatorId)) {
      throw new InputError(`OperatorID '${op.value}' in the message is not the configured operator '${operatorId}'`);
    }
    action = own(payload, 'ActionType') ?? action;
    const recs = own(body, 'EvseStatusRecord');
    if (!Array.isArray(recs)) throw new InputError('OperatorEvseStatus.EvseStatusRecord must be an array');
    list = recs;
  } else if (Array.isArray(payload)) {
    list = payload;
  } else if (typeof payload === 'string' && action === 'delete') {
    list = [payload];
  } else if (isPlainObject(payload)) {
    list = [payload];
  } else {
    throw new InputError(`payload must be {EvseID, EvseStatus}, an array of them, or an eRoamingPushEvseStatus body (got ${payload === null ? 'null' : typeof payload})`);
  }
  if (!isActionType(action)) {
    throw new InputError(`ActionType ${show(action)} is not one of fullLoad, update, insert, delete`);
  }
  if (list.length === 0 && action !== 'fullLoad') throw new InputError('no EvseStatusRecord to push');
  if (list.length === 0 && !allowEmptyFullLoad) {
    throw new InputError(`an empty fullLoad deletes every EVSE of ${operatorId} at Hubject; set msg.force = true to send it`);
  }
  if (list.length > MAX_RECORDS_PER_MESSAGE) throw new InputError(`too many records in one message (${list.length})`);

  const byKey = new Map<string, EvseStatusRecord>();
  for (let i = 0; i < list.length; i++) {
    // A delete may name bare EvseIDs (as the full load node's delete messages do); OICP still wants a status per record.
    const r = action === 'delete' && typeof list[i] === 'string' ? { EvseID: list[i] } : list[i];
    const where = list.length > 1 ? `record ${i}: ` : '';
    if (!isPlainObject(r)) throw new InputError(`${where}an EvseStatusRecord must be an object {EvseID, EvseStatus}`);
    const id = parseEvseId(own(r, 'EvseID'));
    if (!id.ok) throw new InputError(where + id.error);
    if (!evseBelongsToOperator(id.value, operatorId)) {
      throw new InputError(`${where}EvseID '${id.value}' does not belong to operator '${operatorId}' (Hubject would answer 018)`);
    }
    const status = action === 'delete' && own(r, 'EvseStatus') === undefined ? DELETE_STATUS : own(r, 'EvseStatus');
    if (!isEvseStatus(status)) {
      throw new InputError(`${where}EvseStatus ${show(status)} of '${id.value}' is not one of ${EVSE_STATUSES.join(', ')}`);
    }
    const key = evseKey(id.value);
    byKey.delete(key);
    byKey.set(key, { EvseID: id.value, EvseStatus: status });
  }
  return { action, records: [...byKey.values()] };
}
