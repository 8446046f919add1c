// What one input of a data node becomes, without Node-RED: a list marked known, a fullLoad from the store, or the
// requests a message plans to (validated, guarded, re-spelled, moved after pending inserts). The adapter queues the
// requests and settles the message; every decision is made here.
import { WireSpelling } from '../oicp/ids';
import { respellRequests } from '../push/spelling';
import { listRejected } from '../push/rejection';
import {
  DATA_ACTIONS,
  bodyOperatorError,
  evseIdsOf,
  parseDataInput,
  planDataPushAsync,
  planStoredFullLoad,
  type DataAction,
  type DataGuardCode,
  type DataRequest,
  type EvseDataDefaults,
  type RejectedRecord,
} from './index';
import type { OperatorEvseData, RejectedOut } from './operator';

export type Say = (key: string, values?: Record<string, string | number>) => string;

export interface DataInputMessage {
  topic?: unknown;
  payload?: unknown;
  action?: unknown;
  force?: unknown;
  columns?: unknown;
  parts?: { index?: unknown };
}

/** What the adapter does with an input. */
export type DataStep =
  /** Nothing to send; the input completes. */
  | { kind: 'done' }
  /** The input fails with this error. */
  | { kind: 'fail'; error: Error }
  /**
   * The fullLoad is not sent (the guard): warn with the reason; fail with `error` when there is one, else queue
   * nothing but report `rejected`.
   */
  | { kind: 'guarded'; code: DataGuardCode; reason: string; error?: Error; rejected: RejectedRecord[] }
  /** Queue these requests under one owner; `fullLoad` clears a standing guard. */
  | { kind: 'queue'; requests: DataRequest[]; rejected: RejectedRecord[]; fullLoad: boolean };

export interface DataInputOptions {
  data: OperatorEvseData;
  operatorId: string;
  operatorName: string;
  /** The own OperatorID first, then the sub-operators. */
  operatorIds: readonly string[];
  maxBodyBytes: number | undefined;
  defaults: EvseDataDefaults | undefined;
  minRatio: number;
  /** The node's action when neither msg.action nor the body says one. */
  action: DataAction;
  say: Say;
  warn(text: string): void;
}

/** The validation rejections as the output and the error list them (with the CSV row, when from the CSV node). */
export function rejectedOut(rejected: readonly RejectedRecord[], input: DataInputMessage): { list: RejectedOut[]; text: string } {
  const listed = listRejected(rejected, input);
  return { list: listed.records.map((r) => ({ index: r.index, row: r.row, EvseID: r.EvseID, field: r.field, reason: r.reason })), text: listed.text };
}

/**
 * The error an input fails with for its records rejected before sending: every one in the text and on
 * error.cause.rejected (a Catch node sees cause), with its CSV row. None when nothing was rejected.
 */
export function validationFailure(rejected: readonly RejectedRecord[], input: DataInputMessage, say: Say): { list: RejectedOut[]; error?: Error } {
  const { list, text } = rejectedOut(rejected, input);
  if (!rejected.length) return { list };
  return {
    list,
    error: Object.assign(new Error(say('errors.rejected', { count: rejected.length, first: text })), { rejected: list, cause: { rejected: list } }),
  };
}

/** The input's one error: its validation rejections before, Hubject's refusals after, both on cause.rejected. */
export function joinFailures(validation: { list: RejectedOut[]; error?: Error }, err: Error | undefined): Error | undefined {
  if (!validation.error || !err) return validation.error ?? err;
  const later = (err.cause as { rejected?: unknown[] } | undefined)?.rejected ?? [];
  return Object.assign(new Error(`${validation.error.message}; ${err.message}`), { cause: { rejected: [...validation.list, ...later] } });
}

export class DataInputPlanner {
  /** One spelling per EVSE on the wire. */
  private readonly spelling = new WireSpelling();

  constructor(private readonly o: DataInputOptions) {}

  /** The fullLoad of every EVSE of the operator, from the shared store. */
  stored(force: boolean): DataStep {
    const { data, operatorId, operatorName, minRatio, maxBodyBytes } = this.o;
    const plan = planStoredFullLoad({ operatorId, operatorName, store: data.store, force, minRatio, maxBodyBytes, unreadable: data.unreadable });
    if (plan.guarded) return { kind: 'guarded', code: plan.guarded.code, reason: plan.guarded.reason, rejected: [] };
    return { kind: 'queue', requests: [plan.request!], rejected: [], fullLoad: true };
  }

  async plan(msg: DataInputMessage): Promise<DataStep> {
    const o = this.o;
    const force = msg.force === true;
    if (msg.topic === 'known') {
      const { invalid } = o.data.markKnown(evseIdsOf(msg.payload) as string[]);
      return invalid.length ? { kind: 'fail', error: new Error(o.say('errors.known', { ids: invalid.slice(0, 5).join(', ') })) } : { kind: 'done' };
    }
    if (msg.topic === 'fullLoad' || msg.payload === 'fullLoad') return this.stored(force);
    const input = parseDataInput(msg.payload);
    if (input.kind === 'fullLoadTrigger') return this.stored(force);
    if (input.kind === 'error') return { kind: 'fail', error: new Error(input.error) };
    const wrongOperator = bodyOperatorError(input.body, o.operatorId, o.operatorName);
    if (wrongOperator) return { kind: 'fail', error: new Error(wrongOperator) };
    const wanted = msg.action ?? input.body?.ActionType ?? o.action;
    if (!(DATA_ACTIONS as readonly unknown[]).includes(wanted)) {
      return { kind: 'fail', error: new Error(o.say('errors.action', { action: JSON.stringify(wanted), allowed: DATA_ACTIONS.join(', ') })) };
    }
    const store = o.data.store;
    const plan = await planDataPushAsync(input.items, {
      action: wanted as DataAction,
      operatorIds: o.operatorIds,
      defaults: o.defaults,
      operatorId: o.operatorId,
      operatorName: o.operatorName,
      store,
      force,
      minRatio: o.minRatio,
      maxBodyBytes: o.maxBodyBytes,
    });
    for (const w of plan.warnings) o.warn(w);
    if (plan.guarded) {
      const { code, reason } = plan.guarded;
      if (code !== 'invalid') return { kind: 'guarded', code, reason, rejected: plan.rejected };
      // A fullLoad with an invalid record would delete that EVSE at Hubject: the input fails naming each one.
      const rejected = rejectedOut(plan.rejected, msg).list;
      return { kind: 'guarded', code, reason, rejected: plan.rejected, error: Object.assign(new Error(reason), { rejected, cause: { rejected } }) };
    }
    for (const w of respellRequests(plan.requests, (id) => store.acknowledgedId(id), this.spelling)) o.warn(w);
    const requests = wanted === 'auto' ? o.data.afterPendingInserts(plan.requests) : plan.requests;
    return { kind: 'queue', requests, rejected: plan.rejected, fullLoad: wanted === 'fullLoad' };
  }
}
