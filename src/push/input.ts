import { operatorKey, operatorLabel, operatorMatcher, parseEvseId, parseOperatorId, type OperatorIds } from '../oicp/ids';
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

/** The shape of a push node's input, checked but with its records not yet validated. */
export interface PushEnvelope {
  action: ActionType;
  list: unknown[];
}

/** Records validated per slice, so a 100,000-record fullLoad never blocks the event loop for long. */
export const SLICE_RECORDS = 5000;

/**
 * Checks the shape of a push node's input: one record, an array of records, or a whole
 * eRoamingPushEvseStatus body whose OperatorID is the configured one.
 */
export function pushEnvelope(
  payload: unknown, msgAction: unknown, defaultAction: ActionType, operatorId: OperatorIds, allowEmptyFullLoad = false,
): PushEnvelope {
  let action: unknown = msgAction ?? defaultAction;
  let list: unknown[];
  if (isPlainObject(payload) && own(payload, 'OperatorEvseStatus') !== undefined) {
    const body = own(payload, 'OperatorEvseStatus');
    if (!isPlainObject(body)) throw new InputError('OperatorEvseStatus must be an object');
    const op = parseOperatorId(own(body, 'OperatorID'));
    if (!op.ok) throw new InputError(op.error);
    // The body names the pushing operator itself (a hub operator's own OperatorID).
    const self = typeof operatorId === 'string' ? operatorId : operatorId[0] ?? '';
    if (operatorKey(op.value) !== operatorKey(self)) {
      throw new InputError(`OperatorID '${op.value}' in the message is not the configured operator '${self}'`);
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
    throw new InputError(`an empty fullLoad deletes every EVSE of ${operatorLabel(operatorId)} at Hubject; set msg.force = true to send it`);
  }
  if (list.length > MAX_RECORDS_PER_MESSAGE) throw new InputError(`too many records in one message (${list.length})`);
  return { action, list };
}

/**
 * Validates records [from, to) of an envelope into `out`: EvseIDs upper-cased, in the operator's namespace,
 * EvseStatus from the enum. Duplicates are left to the queue, which keeps the last record of an EVSE.
 */
export function validateRecords(env: PushEnvelope, operatorId: OperatorIds, from: number, to: number, out: EvseStatusRecord[]): void {
  const { action, list } = env;
  const belongs = operatorMatcher(operatorId);
  const many = list.length > 1;
  for (let i = from; i < to; i++) {
    // A delete may name bare EvseIDs (as the full load node's delete messages do); OICP still wants a status per record.
    const r = action === 'delete' && typeof list[i] === 'string' ? { EvseID: list[i] } : list[i];
    const where = many ? `record ${i}: ` : '';
    if (!isPlainObject(r)) throw new InputError(`${where}an EvseStatusRecord must be an object {EvseID, EvseStatus}`);
    const id = parseEvseId(own(r, 'EvseID'));
    if (!id.ok) throw new InputError(where + id.error);
    if (!belongs(id.value)) {
      throw new InputError(`${where}EvseID '${id.value}' does not belong to operator '${operatorLabel(operatorId)}' (Hubject would answer 018)`);
    }
    const status = action === 'delete' && own(r, 'EvseStatus') === undefined ? DELETE_STATUS : own(r, 'EvseStatus');
    if (!isEvseStatus(status)) {
      throw new InputError(`${where}EvseStatus ${show(status)} of '${id.value}' is not one of ${EVSE_STATUSES.join(', ')}`);
    }
    // Already canonical records (the full load node's) are kept as they are: a 100,000-record fullLoad is not copied.
    const canonical = r.EvseID === id.value && r.EvseStatus === status && Object.keys(r).length === 2;
    out.push(canonical ? (r as EvseStatusRecord) : { EvseID: id.value, EvseStatus: status });
  }
}

/** Validates a whole input at once (small messages, tests). */
export function parsePushInput(
  payload: unknown, msgAction: unknown, defaultAction: ActionType, operatorId: OperatorIds, allowEmptyFullLoad = false,
): PushInput {
  const env = pushEnvelope(payload, msgAction, defaultAction, operatorId, allowEmptyFullLoad);
  const records: EvseStatusRecord[] = [];
  validateRecords(env, operatorId, 0, env.list.length, records);
  return { action: env.action, records };
}

/** As parsePushInput, yielding to the event loop between slices of SLICE_RECORDS. */
export async function parsePushInputSliced(
  payload: unknown, msgAction: unknown, defaultAction: ActionType, operatorId: OperatorIds, allowEmptyFullLoad = false,
): Promise<PushInput> {
  const env = pushEnvelope(payload, msgAction, defaultAction, operatorId, allowEmptyFullLoad);
  const records: EvseStatusRecord[] = [];
  for (let from = 0; from < env.list.length; from += SLICE_RECORDS) {
    if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    validateRecords(env, operatorId, from, Math.min(env.list.length, from + SLICE_RECORDS), records);
  }
  return { action: env.action, records };
}
