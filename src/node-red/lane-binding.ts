import type { Node } from 'node-red';
import type { BatchResultEvent, LaneEvents, PushQueue, QueueStatus } from '../push/queue';
import { refusalReport } from '../push/dead-letters';
import { rejectedText } from '../push/rejection';
import type { StatusView, Status } from './status';
import type { Translate } from './i18n';

/** The events a node listens to on its lane, each optional and typed. */
export type LaneHandlers<T> = { [K in keyof LaneEvents<T>]?: (...args: LaneEvents<T>[K]) => void };

// Which node of a lane speaks for records no input message waits for (restored from the outbox): the first attached.
const attached = new WeakMap<object, Set<string>>();

export interface LaneBindingOptions<T> {
  /** The node's own handlers; the binding adds status, warn, config-error and dead-letter. */
  on?: LaneHandlers<T>;
  /** Warn once per distinct config-error reason (the queue keeps retrying slowly; the log must not flood). */
  configErrorOnce?: boolean;
}

/**
 * A push node's hold on its operator's lane: attach, which node speaks for records without an input message, the
 * events every push node handles alike, and detach on close. One per node.
 */
export class LaneBinding<T> {
  private readonly handlers: LaneHandlers<T>;
  private lastWarned = '';

  constructor(
    private readonly node: Node,
    readonly queue: PushQueue<T>,
    view: StatusView,
    t: Translate,
    opts: LaneBindingOptions<T> = {},
  ) {
    let set = attached.get(queue);
    if (!set) attached.set(queue, (set = new Set()));
    set.add(node.id);
    this.handlers = {
      status: () => view.show(),
      warn: (text) => {
        if (this.first()) node.warn(text);
      },
      'config-error': (ev) => {
        if (!this.first() || (opts.configErrorOnce && ev.result.reason === this.lastWarned)) return;
        this.lastWarned = ev.result.reason;
        node.warn(t('kit.log.hubject', { text: ev.result.reason }));
      },
      // Records refused with no input message waiting reach a Catch node as node.error(err, msg).
      'dead-letter': (ev) => {
        if (!this.speaksFor(ev.nodeIds)) return;
        const report = refusalReport(ev, (list) => rejectedText(list, t('errors.deadLetter')));
        view.flash(report.error.message);
        node.error(report.error, report.msg);
      },
      ...opts.on,
    };
    this.listen(true);
  }

  /** The first node attached to the lane: it logs for the lane. */
  first(): boolean {
    return attached.get(this.queue)?.values().next().value === this.node.id;
  }

  /** Whether this node reports an event of these owners (none: records restored from the outbox go to the first). */
  speaksFor(nodeIds: string[]): boolean {
    return nodeIds.includes(this.node.id) || (nodeIds.length === 0 && this.first());
  }

  /** Removes the listeners and forgets this node's callbacks; its records stay queued. */
  close(): void {
    this.listen(false);
    this.queue.detach(this.node.id);
    attached.get(this.queue)?.delete(this.node.id);
  }

  private listen(on: boolean): void {
    const q = this.queue;
    const h = this.handlers;
    const m = on ? 'on' : 'off';
    if (h.status) q[m]('status', h.status);
    if (h.result) q[m]('result', h.result);
    if (h.rejected) q[m]('rejected', h.rejected);
    if (h['dead-letter']) q[m]('dead-letter', h['dead-letter']);
    if (h.retry) q[m]('retry', h.retry);
    if (h['config-error']) q[m]('config-error', h['config-error']);
    if (h.recovered) q[m]('recovered', h.recovered);
    if (h.warn) q[m]('warn', h.warn);
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * What a push node shows for its lane, e.g. "000 · 1,204 sent · 0 queued". `tails` are the node's own counts: `short`
 * while nothing was sent yet or sending stopped, `full` once Hubject answered; `ready` is the tail of an idle lane.
 */
export function laneStatus(s: QueueStatus, t: Translate, tails: { short: string; full: string; ready?: string }): Status {
  const short = ` · ${tails.short}`;
  if (s.state === 'config-error') return { fill: 'red', shape: 'ring', text: s.lastReason ?? t('status.configError'), tail: short };
  if (s.state === 'retrying') {
    const secs = Math.max(1, Math.round((s.retryInMs ?? 0) / 1000));
    return { fill: 'yellow', shape: 'ring', text: t('status.retrying', { secs, code: s.lastCode ?? 'error' }), tail: short };
  }
  if (s.state === 'stopped') return { fill: 'grey', shape: 'ring', text: t('status.stopped'), tail: short };
  const full = ` · ${tails.full}`;
  if (s.lastClass === 'data') return { fill: 'yellow', shape: 'dot', text: t('status.rejected', { code: s.lastCode ?? '' }).trim(), tail: full };
  if (!s.lastCode) {
    if (s.state === 'sending') return { fill: 'grey', shape: 'ring', text: t('status.sending'), tail: short };
    return tails.ready !== undefined
      ? { fill: 'grey', shape: 'dot', text: t('status.ready'), tail: ` · ${tails.ready}` }
      : { fill: 'grey', shape: 'dot', text: t('status.ready') };
  }
  return { fill: 'green', shape: s.state === 'sending' ? 'ring' : 'dot', text: s.lastCode, tail: full };
}

/** The `msg.oicp` block of an acknowledged request; a node adds its own fields. Ids beyond `maxListed` are left out. */
export function ackOutput<T>(ev: BatchResultEvent<T>, ids: () => string[], maxListed: number, extra: Record<string, unknown> = {}) {
  const r = ev.result;
  return {
    topic: ev.action,
    payload: r.ack ?? null,
    oicp: {
      ...('operation' in extra ? { operation: extra.operation } : {}),
      action: ev.action,
      records: ev.records.length,
      // A 100,000-record fullLoad would make every debug node downstream serialise the whole list.
      EvseIDs: ev.records.length <= maxListed ? ids() : undefined,
      ...answerFields(ev),
      ...extra,
    },
  };
}

/** What every `msg.oicp` block says of Hubject's answer to a request. */
export function answerFields<T>(ev: BatchResultEvent<T>) {
  const r = ev.result;
  return {
    httpStatus: r.httpStatus,
    statusCode: r.statusCode?.Code,
    description: r.statusCode?.Description ?? undefined,
    additionalInfo: r.statusCode?.AdditionalInfo ?? undefined,
    processId: r.processId,
    attempts: ev.attempts,
    durationMs: r.durationMs,
  };
}

export { fmt as formatCount };
