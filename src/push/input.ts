import { describeValue as show } from '../oicp/describe';
import { operatorKey, ownOperator, parseOperatorId, type Operators } from '../oicp/ids';
import { isActionType, type ActionType, type EvseStatus, type EvseStatusRecord } from '../oicp/schemas';
import { EvseStatusRecordValidator } from '../oicp/status-record';

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
const DELETE_STATUS: EvseStatus = 'OutOfService';
const MAX_RECORDS_PER_MESSAGE = 200_000;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Record<string, unknown>, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

/** The shape of a push node's input, checked but with its records not yet validated. */
export interface PushEnvelope {
  action: ActionType;
  list: unknown[];
  /** The payload was an array or a body: errors name the record's position. */
  inList: boolean;
}

/** Records validated per slice, so a 100,000-record fullLoad never blocks the event loop for long. */
export const SLICE_RECORDS = 5000;

/**
 * Checks the shape of a push node's input: one record, an array of records, or a whole
 * eRoamingPushEvseStatus body whose OperatorID is the configured one. `operators`: the operator's own OperatorID,
 * or it followed by its sub-operators' (the body must name the own one).
 */
export function pushEnvelope(payload: unknown, msgAction: unknown, defaultAction: ActionType, operators: Operators, allowEmptyFullLoad = false): PushEnvelope {
  const operatorId = ownOperator(operators) ?? '';
  let action: unknown = msgAction ?? defaultAction;
  let list: unknown[];
  let inList = true;
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
  } else if ((typeof payload === 'string' && action === 'delete') || isPlainObject(payload)) {
    list = [payload];
    inList = false;
  } else {
    throw new InputError(`payload must be {EvseID, EvseStatus}, an array of them, or an eRoamingPushEvseStatus body (got ${show(payload)})`);
  }
  if (!isActionType(action)) {
    throw new InputError(`ActionType ${show(action)} is not one of fullLoad, update, insert, delete`);
  }
  if (list.length === 0 && action !== 'fullLoad') throw new InputError('no EvseStatusRecord to push');
  if (list.length === 0 && !allowEmptyFullLoad) {
    throw new InputError(`an empty fullLoad deletes every EVSE of ${operatorId} at Hubject; set msg.force = true to send it`);
  }
  if (list.length > MAX_RECORDS_PER_MESSAGE) throw new InputError(`too many records in one message (${list.length})`);
  return { action, list, inList };
}

/**
 * Validates records [from, to) of an envelope into `out`: EvseIDs upper-cased, in the namespace of the operator or
 * a sub-operator, EvseStatus from the enum. Duplicates are left to the queue, which keeps the last record of an EVSE.
 */
export function validateRecords(env: PushEnvelope, operators: Operators, from: number, to: number, out: EvseStatusRecord[]): void {
  const { action, list, inList } = env;
  const validator = new EvseStatusRecordValidator({ operators, statusWhenMissing: action === 'delete' ? DELETE_STATUS : undefined });
  for (let i = from; i < to; i++) {
    const r = validator.check(list[i], i, list.length, inList);
    if (!r.ok) throw new InputError(r.error);
    out.push(r.value);
  }
}

/** Validates a whole input at once (small messages, tests). */
export function parsePushInput(payload: unknown, msgAction: unknown, defaultAction: ActionType, operators: Operators, allowEmptyFullLoad = false): PushInput {
  const env = pushEnvelope(payload, msgAction, defaultAction, operators, allowEmptyFullLoad);
  const records: EvseStatusRecord[] = [];
  validateRecords(env, operators, 0, env.list.length, records);
  return { action: env.action, records };
}

/** As parsePushInput, yielding to the event loop between slices of SLICE_RECORDS. */
export async function parsePushInputSliced(
  payload: unknown,
  msgAction: unknown,
  defaultAction: ActionType,
  operators: Operators,
  allowEmptyFullLoad = false,
): Promise<PushInput> {
  const env = pushEnvelope(payload, msgAction, defaultAction, operators, allowEmptyFullLoad);
  const records: EvseStatusRecord[] = [];
  for (let from = 0; from < env.list.length; from += SLICE_RECORDS) {
    if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    validateRecords(env, operators, from, Math.min(env.list.length, from + SLICE_RECORDS), records);
  }
  return { action: env.action, records };
}
