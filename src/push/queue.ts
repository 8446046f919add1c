import { EventEmitter } from 'node:events';
import { evseKey } from '../oicp/ids';
import type { ActionType } from '../oicp/schemas';
import type { PushResult } from '../oicp/client';
import { KeyIndex } from './keyindex';
import { namedFailure, type DeadLetter, type DeadLetters } from './dead-letters';
import { rejectedText } from './rejection';
import { MemoryOutbox, type OutboxSegment, type OutboxStore } from './outbox';
import { RollingRateLimiter, backoffDelay } from './ratelimit';
import { afterProbeSuccess, planRejection, positionsFromFieldReferences, type Attempt, type ProbeState } from './rejection';

/** The operation a queue carries: one sequential lane per operator per operation. */
export type { Operation } from '../oicp/operations';
import type { Operation } from '../oicp/operations';

/** Builds a lane's request body from a batch of its items. */
export type BodyBuilder<T> = (action: ActionType, items: T[], operatorId: string, operatorName?: string) => unknown;

/** A lane's transport: receives what its policy's body builder built. */
export type Transport = (body: never, signal: AbortSignal) => Promise<PushResult>;

/** How a lane recovers from Hubject's answers that refuse records (the plan itself is rejection.ts). */
export interface RejectionPolicy {
  /** An update Hubject refused because it does not hold the item goes again as insert: always, or per insertMissing. */
  updateAsInsert: 'always' | 'insertMissing';
}

/**
 * What makes a lane one operation's lane. The queue reads items only through it: it names no record type.
 */
export interface LanePolicy<T> {
  readonly operation: Operation;
  /** The coalescing key: a later item with the same key replaces the pending one. null: every item is sent, never merged (CDRs). */
  readonly key: ((item: T) => string) | null;
  /** The id a refusal and a dead letter name (the EvseID). */
  readonly id: (item: T) => string;
  /** The id's name in what users see of a refusal (error.cause.rejected, a dead letter's msg): 'EvseID'. Unset: 'id'. */
  readonly idName?: string;
  /** Items per request at most, whatever maxRecords says; 1 sends one item per request. Unset: maxRecords. */
  readonly bundle?: number;
  readonly body: BodyBuilder<T>;
  readonly rejection: RejectionPolicy;
  /** Requests per rolling minute unless the config node sets another. */
  readonly ratePerMinute: number;
}

/**
 * What the queue tells an observer (the operations view) as it works. Handed in by whoever builds the lane, so the
 * queue imports no view.
 */
export interface LaneObserver {
  rateLimit: number;
  enqueued(n: number, now: number): void;
  requestStarted(now: number): void;
  requestEnded(end: { class: PushResult['class']; httpStatus?: number; code?: string; reason: string; records: number; now: number }): void;
  ackedBatch(at: number[] | number, records: number, now: number): void;
  backoff(delayMs: number, now: number): void;
  /** Statuses the gate holds for this lane's operator. */
  held(n: number): void;
}

/** What an observer may read and do on the lane (the sidebar's pending count, "retry now", dead letters). */
export interface LaneSourceOf {
  pending(): number;
  retryNow(): boolean;
  outboxBytes?: () => number;
  deadLetters(): number;
  deadLetterList(limit: number): Array<Omit<DeadLetter, 'record'>>;
  sendDeadLettersAgain(keys?: string[]): number;
}

export interface RecordFailure {
  /** The item's id (the policy's `id`: an EvseID for status and data). */
  id: string;
  action: ActionType;
  reason: string;
  code?: string;
  httpStatus?: number;
  additionalInfo?: string;
  /** Hubject answered 022 to an insert of this EVSE: it holds the EVSE's data although this change failed. */
  exists?: boolean;
}

/**
 * Error given to an input message whose records Hubject rejected for good. The message names the first and the count
 * and lists the others; the full list is `failures`, and `cause.rejected` for a Catch node (Node-RED copies an
 * error's message, code, stack and cause into msg.error).
 */
export class PushRejectedError extends Error {
  readonly code?: string;
  override readonly cause: { rejected: Array<Record<string, unknown>> };
  constructor(
    readonly failures: RecordFailure[],
    idName = 'id',
  ) {
    super(rejectedText(failures, 'Hubject rejected'));
    this.name = 'PushRejectedError';
    this.code = failures[0]!.code;
    this.cause = { rejected: failures.map((f) => namedFailure(f, idName)) };
  }
}

/** Records Hubject refused for good with no input message waiting for them: a dead letter each. */
export interface DeadLetterEvent {
  operation: Operation;
  action: ActionType;
  failures: RecordFailure[];
  /** The id's name in what users see (the policy's idName). */
  idName: string;
  /** Nodes whose owners these records had (empty for records restored from the outbox). */
  nodeIds: string[];
}

/** One input message waiting for its records to settle. */
export interface Owner {
  nodeId: string;
  pending: number;
  failures: RecordFailure[];
  settle: ((err?: Error) => void) | null;
  /** No input message waits (a scheduled push, one from the sidebar): a refusal is a dead letter. */
  noInput?: boolean;
}

interface Entry<T> {
  record: T;
  owners: Owner[];
  seq: number;
  /** When the oldest change this entry stands for was enqueued (push lag). */
  at: number;
}

/** Records with, per record, the input messages waiting for it. Owner lists are shared and never changed in place. */
interface Part<T> {
  records: T[];
  owners: Owner[][];
  /** Enqueue time per record, or one time for all (a fullLoad list). */
  at: number[] | number;
}

/** update, insert or delete changes, coalesced per EVSE. */
interface MapSegment<T> {
  kind: 'map';
  action: ActionType;
  entries: Map<string, Entry<T>>;
  /** Being filled by enqueueSliced: a barrier that is not sent or saved until complete. */
  building?: boolean;
}

/**
 * A fullLoad: one list, sent whole. Plain arrays rather than per-record entries in a Map, which at
 * 100,000 EVSEs would cost tens of MB for a list that is only ever sent and saved as a whole.
 */
interface ListSegment<T> extends Part<T> {
  at: number;
  kind: 'list';
  action: ActionType;
  seq: number;
  /** Duplicate finder while the list is filled; dropped once it is complete. */
  index?: KeyIndex;
  /** Being filled by enqueueSliced: neither sent nor saved until complete (a partial fullLoad would wipe). */
  building?: boolean;
}

type Segment<T> = MapSegment<T> | ListSegment<T>;

/** One record with the input messages waiting for it, as the rejection policy moves records around. */
interface Item<T> {
  record: T;
  owners: Owner[];
  /** When the change entered the queue (lag for the operations view). */
  at: number;
}

export interface Batch<T> extends Part<T> {
  action: ActionType;
  attempts: number;
  /** An update re-sent as insert after Hubject refused it (insertMissing). */
  fromUpdate?: boolean;
  /** An insert re-sent as update after Hubject answered 022 (it holds the EVSE). */
  fromInsert?: boolean;
  /** Requests spent on these records before this batch (the refused try a fallback came from). */
  prior?: number;
  /** Part of a bisection of a refused bundle. */
  bisect?: boolean;
  /** A single record probing a refused bundle; holds the bundle's other records until the verdict. */
  probe?: ProbeState<Item<T>>;
}

export interface QueueOptions<T> {
  operatorId: string;
  operatorName?: string;
  policy: LanePolicy<T>;
  transport?: Transport;
  outbox?: OutboxStore<T>;
  maxRecords?: number;
  ratePerMinute?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  insertMissing?: boolean;
  /** The configured request timeout (before it grows with the body), for the wait after an aborted request. */
  requestTimeoutMs?: number;
  /** Where records refused with no input message waiting go (default: a list in memory). */
  deadLetters?: DeadLetters<T>;
  random?: () => number;
  now?: () => number;
}

/**
 * Emitted when Hubject answers again after a transient failure that lasted RECOVERED_AFTER_ATTEMPTS or more, once the
 * backlog found at that moment is delivered (or Hubject fails again): `delivered` counts every record of that drain.
 */
export interface RecoveredEvent {
  afterMs: number;
  delivered: number;
}

export const RECOVERED_AFTER_ATTEMPTS = 3;
/** setTimeout's longest delay (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Unreadable 2xx answers in a row before the queue reports a configuration error. */
export const UNREADABLE_LIMIT = 3;
/** Timeout codes of a request that reached Hubject, which may still be working on it. */
const TIMED_OUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'TIMEOUT']);

export interface BatchResultEvent<T> {
  action: ActionType;
  records: T[];
  nodeIds: string[];
  result: PushResult;
  /** Requests these records took, a refused try before a 022 fallback included. */
  attempts: number;
  /** The action the records were queued with, when a 022 fallback sent them as another. */
  queuedAs?: ActionType;
}

export interface QueueStatus {
  state: 'idle' | 'sending' | 'retrying' | 'config-error' | 'stopped';
  queued: number;
  sent: number;
  requests: number;
  lastCode?: string;
  lastReason?: string;
  lastClass?: string;
  retryInMs?: number;
  /** Requests per rolling minute allowed now: lower for a while after Hubject answered 429. */
  ratePerMinute?: number;
}

const NO_OWNERS: Owner[] = [];

/**
 * While Hubject is unreachable nothing is sent, so the outbox needs no save per change: saves are at least this far
 * apart then (the window kill -9 can lose, like the full load node's 250 ms journal flush). Sending is not slowed:
 * a change still goes out only once it is durable.
 */
export const OUTAGE_SAVE_INTERVAL_MS = 250;

/**
 * The per-operator push queue: strictly one request in flight, coalescing per EVSE, adaptive bundling,
 * fullLoad as an ordering barrier sent whole, retries with backoff, and an outbox that is durable before sending.
 */
/** A failed request the queue waits to send again. */
export interface RetryEvent {
  result: PushResult;
  delayMs: number;
  /** Records in the batch. */
  batch: number;
}

export interface RejectedEvent {
  failure: RecordFailure;
  nodeIds: string[];
}

/** The queue's events, typed: listeners need no casts. */
export interface LaneEvents<T> {
  status: [QueueStatus];
  result: [BatchResultEvent<T>];
  rejected: [RejectedEvent];
  'dead-letter': [DeadLetterEvent];
  retry: [RetryEvent];
  'config-error': [RetryEvent];
  recovered: [RecoveredEvent];
  warn: [string];
}

export class PushQueue<T = unknown> extends EventEmitter<LaneEvents<T>> {
  readonly operatorId: string;
  operatorName?: string;
  maxRecords: number;
  insertMissing: boolean;
  backoffBaseMs: number;
  backoffMaxMs: number;
  private limiter: RollingRateLimiter;
  private transport?: (body: unknown, signal: AbortSignal) => Promise<PushResult>;
  readonly operation: Operation;
  /** The policy's coalescing key; null: never merged. */
  private readonly keyOf: ((item: T) => string) | null;
  readonly policy: LanePolicy<T>;
  private readonly outbox: OutboxStore<T>;
  private readonly random: () => number;
  private readonly now: () => number;

  private segments: Segment<T>[] = [];
  private head: Batch<T>[] = [];
  private inFlight: Batch<T> | null = null;
  private abort: AbortController | null = null;
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  private retryAt = 0;
  private failures = 0;
  private running = false;
  /** Nothing is sent before this time: Hubject may still be working on a request that timed out or was aborted. */
  private quietUntil = 0;
  private quietTimer = false;
  private abortedAt = 0;
  private requestTimeoutMs: number;
  private lastTimeoutMs = 0;
  private outage: { since: number; attempts: number } | null = null;
  /** After an outage: what the recovery delivered so far, reported once the backlog it found (`upTo`) is out. */
  private recovery: { afterMs: number; delivered: number; upTo: number } | null = null;
  private unreadable = 0;

  private seq = 0;
  private durableSeq = 0;
  private persisting: Promise<void> | null = null;
  private dirty = false;
  private lastSaveAt = 0;
  private saveWait: { timer: NodeJS.Timeout; resolve: () => void } | null = null;

  private statusTimer: NodeJS.Timeout | null = null;
  private counters = { sent: 0, requests: 0 };
  private last: { code?: string; reason?: string; class?: string } = {};
  /** The operations view's counters, handed in by the config node; null when nobody observes. */
  stats: LaneObserver | null = null;
  /** Records refused for good while no input message waited for them. */
  readonly deadLetters: DeadLetters<T> | undefined;

  constructor(opts: QueueOptions<T>) {
    super();
    this.operatorId = opts.operatorId;
    this.operatorName = opts.operatorName;
    this.transport = opts.transport as typeof this.transport;
    this.policy = opts.policy;
    this.operation = opts.policy.operation;
    this.keyOf = opts.policy.key;
    this.outbox = opts.outbox ?? new MemoryOutbox<T>();
    this.maxRecords = opts.maxRecords ?? 500;
    this.limiter = new RollingRateLimiter(opts.ratePerMinute ?? opts.policy.ratePerMinute);
    this.backoffBaseMs = opts.backoffBaseMs ?? 1000;
    this.backoffMaxMs = opts.backoffMaxMs ?? 300_000;
    this.insertMissing = opts.insertMissing ?? true;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.deadLetters = opts.deadLetters;
    for (const s of this.outbox.load()) this.addSegment(s.action, s.records, null);
    this.durableSeq = this.seq;
  }

  /** Applies settings of a (re)deployed config node; keeps the pending changes. */
  configure(
    opts: Pick<QueueOptions<T>, 'operatorName' | 'maxRecords' | 'ratePerMinute' | 'backoffBaseMs' | 'backoffMaxMs' | 'insertMissing' | 'requestTimeoutMs'>,
  ): void {
    if (opts.requestTimeoutMs) this.requestTimeoutMs = opts.requestTimeoutMs;
    if (opts.operatorName !== undefined) this.operatorName = opts.operatorName;
    if (opts.maxRecords) this.maxRecords = opts.maxRecords;
    if (opts.ratePerMinute && opts.ratePerMinute !== this.limiter.limit) this.limiter = new RollingRateLimiter(opts.ratePerMinute);
    if (this.stats) this.stats.rateLimit = this.limiter.limit;
    if (opts.backoffBaseMs) this.backoffBaseMs = opts.backoffBaseMs;
    if (opts.backoffMaxMs) this.backoffMaxMs = opts.backoffMaxMs;
    if (opts.insertMissing !== undefined) this.insertMissing = opts.insertMissing;
  }

  /** Hands the queue an observer (the ops view's counters); it reports to it as it works. */
  observe(observer: LaneObserver | null): void {
    this.stats = observer;
    if (observer) observer.rateLimit = this.limiter.limit;
  }

  /** What an observer may read and do here: the pending count, "retry now", the dead letters. */
  source(outboxBytes?: () => number): LaneSourceOf {
    return {
      pending: () => this.queued,
      retryNow: () => this.retryNow(),
      outboxBytes,
      deadLetters: () => this.deadLetters?.count ?? 0,
      deadLetterList: (limit: number) => this.deadLetters?.list(limit).map(({ record: _r, ...rest }) => rest) ?? [],
      sendDeadLettersAgain: (keys?: string[]) => this.sendDeadLettersAgain(keys),
    };
  }

  /**
   * Queues dead letters again (all, or those with these keys) with no owner; returns how many. A fullLoad's records
   * go as update: a fullLoad of only some EVSEs would delete the others at Hubject.
   */
  sendDeadLettersAgain(keys?: string[]): number {
    const letters = this.deadLetters?.take(keys) ?? [];
    const by = new Map<ActionType, T[]>();
    for (const l of letters) {
      const action = (l.action === 'fullLoad' ? 'update' : l.action) as ActionType;
      by.set(action, [...(by.get(action) ?? []), l.record]);
    }
    for (const [action, records] of by) this.enqueue(action, records, null);
    return letters.length;
  }

  /** Skips the current backoff: sends at once. False when no retry was waiting. */
  retryNow(): boolean {
    if (!this.running || !this.timer || !this.retryAt) return false;
    clearTimeout(this.timer);
    this.timer = null;
    this.retryAt = 0;
    this.stats?.backoff(0, this.now());
    this.pump();
    return true;
  }

  /** Starts sending with a transport that takes what the policy's body builder builds. */
  start(transport: Transport): void {
    this.transport = transport as typeof this.transport;
    this.running = true;
    this.failures = 0;
    this.pump();
    this.emitStatus();
  }

  /** Stops sending: aborts the request in flight (its batch goes back to the head) and writes the outbox synchronously. */
  stop(): void {
    this.running = false;
    this.recovery = null;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = null;
    if (this.inFlight) {
      // Hubject may still be working on the aborted request: wait one request timeout before sending again. The
      // client's answer to the abort refines this with the request's real timeout (see send).
      this.abortedAt = this.now();
      const estimate = Math.max(this.requestTimeoutMs, this.lastTimeoutMs) + Math.ceil((this.inFlight.records.length * 60) / 100);
      this.quietUntil = Math.max(this.quietUntil, this.abortedAt + estimate);
      this.head.unshift(this.inFlight);
      this.inFlight = null;
    }
    this.quietTimer = false;
    this.abort?.abort();
    this.abort = null;
    this.transport = undefined;
    if (this.saveWait) {
      clearTimeout(this.saveWait.timer);
      this.saveWait.resolve();
    }
    try {
      this.outbox.saveSync(this.snapshot());
      this.durableSeq = this.seq;
      // An async save still running would rename an older snapshot over this one: make it write again.
      if (this.persisting) this.dirty = true;
    } catch (err) {
      this.emit('warn', `outbox not written on stop: ${(err as Error).message}`);
    }
    this.deadLetters?.close();
  }

  /** Forgets the callbacks of a closed node; its records stay queued. */
  detach(nodeId: string): void {
    let last: Owner[] | undefined;
    const visit = (owners: Owner[]) => {
      if (owners === last) return; // a fullLoad shares one list across all its records
      last = owners;
      for (const o of owners) if (o.nodeId === nodeId) o.settle = null;
    };
    for (const b of this.inFlight ? [this.inFlight, ...this.head] : this.head) {
      b.owners.forEach(visit);
      for (const i of probeWaiting(b)) visit(i.owners);
    }
    for (const s of this.segments) {
      if (s.kind === 'list') s.owners.forEach(visit);
      else s.entries.forEach((e) => visit(e.owners));
    }
  }

  /** Queues records; `owner.settle` is called once all of them are acknowledged or rejected for good. */
  enqueue(action: ActionType, records: T[], owner: Owner | null): void {
    this.clearDeadLetters(records);
    if (owner) owner.pending += records.length;
    this.stats?.enqueued(records.length, this.now());
    this.addSegment(action, records, owner);
    if (owner && records.length === 0) this.settleOwner(owner);
    this.schedulePersist();
    this.emitStatusSoon();
  }

  /**
   * As enqueue, for large inputs: the segment takes its place in the queue at once (so later changes stay behind it)
   * but is filled in slices, and is neither sent nor written to the outbox until it is complete.
   */
  async enqueueSliced(action: ActionType, records: T[], owner: Owner | null, slice = 5000): Promise<void> {
    if (records.length <= slice) return this.enqueue(action, records, owner);
    this.clearDeadLetters(records);
    if (owner) owner.pending += records.length;
    this.stats?.enqueued(records.length, this.now());
    const seg: Segment<T> = action === 'fullLoad' ? newList<T>(action, records.length, this.now()) : { kind: 'map', action, entries: new Map() };
    seg.building = true;
    const solo = owner ? [owner] : NO_OWNERS;
    this.segments.push(seg);
    try {
      for (let i = 0; i < records.length; i += slice) {
        if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const end = Math.min(records.length, i + slice);
        if (seg.kind === 'list') this.fill(seg, records, i, end, owner, solo);
        else for (let j = i; j < end; j++) this.put(seg, records[j]!, owner, solo);
      }
    } finally {
      seg.building = false;
      if (seg.kind === 'list') this.complete(seg);
    }
    this.schedulePersist();
    this.emitStatusSoon();
  }

  /** A new record for an EVSE clears its dead letter. */
  private clearDeadLetters(records: readonly T[]): void {
    if (!this.deadLetters?.count) return;
    this.deadLetters.clear(records.map((r) => this.identity(r)));
  }

  private addSegment(action: ActionType, records: T[], owner: Owner | null): void {
    const solo = owner ? [owner] : NO_OWNERS;
    // fullLoad is a barrier: it is never merged with anything, and later updates queue behind it.
    if (action === 'fullLoad') {
      const list = newList<T>(action, records.length, this.now());
      this.segments.push(list);
      this.fill(list, records, 0, records.length, owner, solo);
      this.complete(list);
      return;
    }
    let seg = this.segments[this.segments.length - 1];
    if (!seg || seg.kind !== 'map' || seg.action !== action || seg.building) {
      seg = { kind: 'map', action, entries: new Map() };
      this.segments.push(seg);
    }
    for (const record of records) this.put(seg, record, owner, solo);
  }

  /** Appends records [from, to) to a fullLoad list; a repeated EVSE keeps its place, takes the later record and counts once. */
  private fill(seg: ListSegment<T>, records: T[], from: number, to: number, owner: Owner | null, solo: Owner[]): void {
    const index = seg.index!;
    const list = seg.records;
    const keyOf = this.keyOf;
    for (let i = from; i < to; i++) {
      const record = records[i]!;
      if (!keyOf) {
        list.push(record);
        seg.owners.push(solo);
        continue;
      }
      const key = keyOf(record);
      const at = index.find(key, (pos) => keyOf(list[pos]!) === key);
      if (at < 0) {
        index.add(key, list.length);
        list.push(record);
        seg.owners.push(solo);
      } else {
        list[at] = record;
        if (owner) owner.pending--;
      }
    }
  }

  private complete(seg: ListSegment<T>): void {
    seg.index = undefined;
    seg.seq = ++this.seq;
  }

  /** `solo` is the shared `[owner]` of one enqueue call: owner lists are never changed in place, so records share it. */
  private put(seg: MapSegment<T>, record: T, owner: Owner | null, solo: Owner[]): void {
    // Without a key every item is an entry of its own: two CDRs of one EVSE are two CDRs.
    const key = this.keyOf ? this.keyOf(record) : `\0${this.seq + 1}`;
    const prev = seg.entries.get(key);
    let owners = prev ? prev.owners : solo;
    if (prev) {
      seg.entries.delete(key);
      if (owner) {
        // A duplicate EvseID within one message keeps the last record and counts once.
        if (prev.owners.includes(owner)) owner.pending--;
        else owners = [...prev.owners, owner];
      }
    }
    seg.entries.set(key, { record, owners, seq: ++this.seq, at: prev ? prev.at : this.now() });
  }

  get queued(): number {
    let n = 0;
    for (const b of this.inFlight ? [this.inFlight, ...this.head] : this.head)
      n += b.records.length + (b.probe ? b.probe.next.length + b.probe.rest.length : 0);
    for (const s of this.segments) n += s.kind === 'list' ? s.records.length : s.entries.size;
    return n;
  }

  /**
   * Identity keys (evseKey) of the EVSEs that pending changes with one of these actions carry: in flight, waiting to
   * be sent again, queued, still being filled, or restored from the outbox. A data node in `auto` asks for insert and
   * fullLoad: Hubject will hold those EVSEs, so a later change of one goes as update.
   */
  pendingKeys(actions: readonly ActionType[]): Set<string> {
    const out = new Set<string>();
    const want = new Set(actions);
    const add = (records: readonly T[]) => {
      for (const r of records) out.add(this.identity(r));
    };
    for (const b of this.inFlight ? [this.inFlight, ...this.head] : this.head) {
      if (want.has(b.action)) add(b.records);
      if (b.probe && want.has(baseAction(b))) add(probeWaiting(b).map((i) => i.record));
    }
    for (const seg of this.segments) {
      if (!want.has(seg.action)) continue;
      if (seg.kind === 'list') add(seg.records);
      else if (this.keyOf) for (const k of seg.entries.keys()) out.add(k);
      else for (const e of seg.entries.values()) out.add(this.identity(e.record));
    }
    return out;
  }

  status(): QueueStatus {
    const state: QueueStatus['state'] = !this.running
      ? 'stopped'
      : this.timer && this.retryAt
        ? this.last.class === 'config'
          ? 'config-error'
          : 'retrying'
        : this.inFlight
          ? 'sending'
          : 'idle';
    const s: QueueStatus = {
      state,
      queued: this.queued,
      sent: this.counters.sent,
      requests: this.counters.requests,
      lastCode: this.last.code,
      lastReason: this.last.reason,
      lastClass: this.last.class,
      ratePerMinute: this.limiter.cap(this.now()),
    };
    if (this.timer && this.retryAt) s.retryInMs = Math.max(0, this.retryAt - this.now());
    return s;
  }

  /** Pending changes in send order, as written to the outbox. */
  snapshot(): OutboxSegment<T>[] {
    const out: OutboxSegment<T>[] = [];
    // The lists are never changed in place once queued, so they are shared, not copied.
    const push = (action: ActionType, records: T[]) => {
      if (records.length || action === 'fullLoad') out.push({ action, records });
    };
    for (const b of this.inFlight ? [this.inFlight, ...this.head] : this.head) {
      push(b.action, b.records);
      if (b.probe)
        push(
          baseAction(b),
          probeWaiting(b).map((i) => i.record),
        );
    }
    for (const s of this.segments) {
      if (s.building) continue;
      push(s.action, s.kind === 'list' ? s.records : Array.from(s.entries.values(), (e) => e.record));
    }
    return out;
  }

  private schedulePersist(): void {
    this.dirty = true;
    if (this.persisting) return;
    this.persisting = (async () => {
      while (this.dirty) {
        if (this.timer && this.retryAt) await this.spaceSaves();
        this.dirty = false;
        const upTo = this.seq;
        try {
          this.lastSaveAt = this.now();
          await this.outbox.save(this.snapshot());
          this.durableSeq = Math.max(this.durableSeq, upTo);
        } catch (err) {
          // Without a durable outbox we still send: losing durability is better than stopping the status feed.
          this.durableSeq = Math.max(this.durableSeq, upTo);
          this.emit('warn', `outbox write failed: ${(err as Error).message}`);
        }
        // Send what just became durable now: under sustained input the writer never goes idle, and waiting for it
        // would hold every request back until the input pauses.
        this.pump();
      }
      this.persisting = null;
      this.pump();
    })();
  }

  /** During an outage, waits until OUTAGE_SAVE_INTERVAL_MS after the last save (cut short by stop()). */
  private spaceSaves(): Promise<void> {
    const wait = this.lastSaveAt + OUTAGE_SAVE_INTERVAL_MS - this.now();
    if (wait <= 0 || !this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.saveWait = null;
        resolve();
      };
      this.saveWait = { timer: setTimeout(done, wait), resolve: done };
    });
  }

  /** Resolves when everything queued so far has been written to the outbox. */
  async flush(): Promise<void> {
    while (this.persisting) await this.persisting;
  }

  /** The key a dead letter and pendingKeys use: the coalescing key, or the id for a lane without one. */
  private identity(item: T): string {
    return this.keyOf ? this.keyOf(item) : this.policy.id(item);
  }

  private takeBatch(): Batch<T> | null {
    if (this.head.length) return this.head.shift()!;
    const seg = this.segments[0];
    if (!seg || seg.building) return null;
    if (seg.kind === 'list') {
      if (seg.seq > this.durableSeq) return null;
      this.segments.shift();
      return { action: seg.action, records: seg.records, owners: seg.owners, at: seg.at, attempts: 0 };
    }
    const records: T[] = [];
    const owners: Owner[][] = [];
    const at: number[] = [];
    const keys: string[] = [];
    const max = this.policy.bundle ? Math.min(this.policy.bundle, this.maxRecords) : this.maxRecords;
    for (const [k, e] of seg.entries) {
      if (e.seq > this.durableSeq || records.length >= max) break;
      records.push(e.record);
      owners.push(e.owners);
      at.push(e.at);
      keys.push(k);
    }
    if (!records.length) return null;
    for (const k of keys) seg.entries.delete(k);
    if (!seg.entries.size) this.segments.shift();
    return { action: seg.action, records, owners, at, attempts: 0 };
  }

  private pump(): void {
    if (!this.running || !this.transport || this.inFlight || this.timer) return;
    const quiet = this.quietUntil - this.now();
    if (quiet > 0 && this.queued > 0) {
      this.quietTimer = true;
      this.arm(quiet, true);
      return;
    }
    const wait = this.limiter.waitMs(this.now());
    if (wait > 0) {
      this.arm(wait, false);
      return;
    }
    const batch = this.takeBatch();
    if (!batch) {
      this.emitStatusSoon();
      return;
    }
    this.send(batch);
  }

  private arm(ms: number, isRetry: boolean): void {
    this.retryAt = isRetry ? this.now() + ms : 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.retryAt = 0;
      this.quietTimer = false;
      this.pump();
    }, ms);
  }

  private send(batch: Batch<T>): void {
    this.inFlight = batch;
    batch.attempts++;
    this.counters.requests++;
    this.limiter.record(this.now());
    this.stats?.requestStarted(this.now());
    const body = this.policy.body(batch.action, batch.records, this.operatorId, this.operatorName);
    const gen = this.generation;
    const abort = new AbortController();
    this.abort = abort;
    this.emitStatusSoon();
    this.transport!(body, abort.signal).then(
      (result) => {
        if (gen === this.generation) this.onResult(batch, result);
        else if (result.timeoutMs && this.abortedAt) this.refineQuiet(this.abortedAt + result.timeoutMs);
      },
      (err: unknown) => {
        if (gen === this.generation) this.onResult(batch, { class: 'transient', reason: `transport error: ${(err as Error)?.message ?? err}`, durationMs: 0 });
      },
    );
  }

  /** The aborted request's own timeout is known now: it replaces the estimate made on stop. */
  private refineQuiet(until: number): void {
    this.quietUntil = until;
    if (this.quietTimer && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.retryAt = 0;
      this.quietTimer = false;
      this.pump();
    }
  }

  private onResult(batch: Batch<T>, original: PushResult): void {
    this.inFlight = null;
    this.abort = null;
    let result = original;
    if (result.timeoutMs) this.lastTimeoutMs = result.timeoutMs;
    if (result.unreadable !== undefined) {
      // One garbled answer is retried; several in a row mean something between us and Hubject is wrong.
      if (++this.unreadable >= UNREADABLE_LIMIT) {
        result = {
          ...result,
          class: 'config',
          reason: `${this.unreadable} answers in a row could not be read as an OICP acknowledgement; last: ${result.unreadable}`,
        };
      }
    } else if (result.httpStatus) {
      this.unreadable = 0;
    }
    this.last = {
      code: result.statusCode?.Code ?? (result.httpStatus ? String(result.httpStatus) : result.errorCode),
      reason: result.reason,
      class: result.class,
    };
    if (this.stats) {
      const now = this.now();
      this.stats.requestEnded({
        class: result.class,
        httpStatus: result.httpStatus,
        code: this.last.code,
        reason: result.reason,
        records: batch.records.length,
        now,
      });
      if (result.class === 'success') this.stats.ackedBatch(batch.at, batch.records.length, now);
    }
    this.emit('result', {
      action: batch.action,
      records: batch.records,
      attempts: batch.attempts + (batch.prior ?? 0),
      queuedAs: batch.fromUpdate ? 'update' : batch.fromInsert ? 'insert' : undefined,
      nodeIds: ownerNodes(batch.owners),
      result,
    } satisfies BatchResultEvent<T>);

    if (result.class !== 'transient') {
      const outage = this.outage;
      this.outage = null;
      if (outage && outage.attempts >= RECOVERED_AFTER_ATTEMPTS && result.class === 'success') {
        // The first answer delivers one bundle of the backlog; the rest follows in further requests.
        this.recovery = { afterMs: this.now() - outage.since, delivered: 0, upTo: batch.records.length + this.queued };
      }
    }
    if (this.recovery && result.class === 'success') this.recovery.delivered += batch.records.length;
    switch (result.class) {
      case 'success':
        this.failures = 0;
        this.counters.sent += batch.records.length;
        for (const owners of batch.owners) this.settleRecord(owners);
        if (batch.probe) this.head.unshift(...afterProbeSuccess(batch.probe, baseAction(batch)).map(toBatch));
        this.schedulePersist();
        break;
      case 'transient':
      case 'config': {
        this.head.unshift(batch);
        if (result.class === 'transient') {
          this.outage ??= { since: this.now() - (result.durationMs ?? 0), attempts: 0 };
          this.outage.attempts++;
        }
        if (result.httpStatus === 429) this.limiter.slowDown(this.now());
        let delay =
          result.class === 'config' ? this.backoffMaxMs : backoffDelay(this.failures, this.backoffBaseMs, this.backoffMaxMs, this.random, result.retryAfterMs);
        // A request that timed out may still be running at Hubject: a copy sent now could overlap it.
        if (result.errorCode && TIMED_OUT.has(result.errorCode)) delay = Math.max(delay, result.timeoutMs ?? this.requestTimeoutMs);
        // 413: the same body is too large every time; it waits for a redeploy or "retry now", not for a timer.
        if (result.httpStatus === 413) delay = MAX_TIMER_MS;
        this.failures++;
        this.arm(delay, true);
        this.stats?.backoff(delay, this.now());
        this.emit(result.class === 'config' ? 'config-error' : 'retry', { result, delayMs: delay, batch: batch.records.length });
        break;
      }
      case 'data':
        this.failures = 0;
        this.onDataError(batch, result);
        this.schedulePersist();
        break;
    }
    // Reported when the backlog is out, the queue is empty, or Hubject fails again.
    const r = this.recovery;
    if (r && (result.class === 'transient' || result.class === 'config' || r.delivered >= r.upTo || this.queued === 0)) {
      this.recovery = null;
      this.emit('recovered', { afterMs: r.afterMs, delivered: r.delivered } satisfies RecoveredEvent);
    }
    this.emitStatusSoon();
    this.pump();
  }

  /** The data lane's guard for a refused fullLoad sent again without its named records (see RejectionOptions). */
  fullLoadRest: ((rest: number, refused: number) => boolean) | undefined;

  /** Permanent rejections: the policy in rejection.ts decides what fails and what goes again. */
  private onDataError(batch: Batch<T>, result: PushResult): void {
    const n = batch.records.length;
    const named = new Set([
      ...namedPositions(batch.records, this.policy.id, result.statusCode?.AdditionalInfo),
      ...positionsFromFieldReferences(result.validationErrors, n),
    ]);
    const attempt: Attempt<Item<T>> = {
      action: batch.action,
      items: toItems(batch),
      fromUpdate: batch.fromUpdate,
      fromInsert: batch.fromInsert,
      prior: batch.prior,
      bisect: batch.bisect,
      probe: batch.probe,
    };
    const plan = planRejection(
      attempt,
      { code: result.statusCode?.Code, httpStatus: result.httpStatus, named: [...named] },
      // The policy says whether an update Hubject does not hold goes again as insert (data: always; status: insertMissing).
      this.policy.rejection.updateAsInsert === 'always' || this.insertMissing,
      { fullLoadRest: this.fullLoadRest },
    );
    if (plan.fail.length) {
      let why = plan.systematic ? { ...result, reason: `${result.reason} (every record probed was refused alike: the whole bundle is refused)` } : result;
      if (plan.note) why = { ...why, reason: `${why.reason}; ${plan.note}` };
      this.failAll(fromItems(plan.fail), plan.failAction, why, plan.exists);
    }
    this.head.unshift(...plan.resend.map(toBatch));
  }

  private failAll(part: Part<T>, action: ActionType, result: PushResult, exists?: boolean): void {
    const dead: RecordFailure[] = [];
    const letters: DeadLetter<T>[] = [];
    const deadNodes = new Set<string>();
    const time = new Date(this.now()).toISOString();
    for (let i = 0; i < part.records.length; i++) {
      const owners = part.owners[i]!;
      const failure: RecordFailure = {
        id: this.policy.id(part.records[i]!),
        action,
        reason: result.reason,
        code: result.statusCode?.Code,
        httpStatus: result.httpStatus,
        additionalInfo: result.statusCode?.AdditionalInfo ?? undefined,
        ...(exists ? { exists } : {}),
      };
      this.emit('rejected', { failure, nodeIds: ownerNodes([owners]) });
      if (!owners.some((o) => o.settle && !o.noInput)) {
        dead.push(failure);
        for (const o of owners) deadNodes.add(o.nodeId);
        const record = part.records[i]!;
        letters.push({
          key: this.identity(record),
          id: failure.id,
          operation: this.operation,
          action,
          reason: result.reason,
          code: failure.code,
          time,
          record,
        });
      }
      for (const o of owners) o.failures.push(failure);
      this.settleRecord(owners);
    }
    if (dead.length) {
      this.deadLetters?.add(letters);
      this.emit('dead-letter', {
        operation: this.operation,
        action,
        failures: dead,
        idName: this.policy.idName ?? 'id',
        nodeIds: [...deadNodes],
      } satisfies DeadLetterEvent);
    }
  }

  private settleRecord(owners: Owner[]): void {
    for (const o of owners) {
      o.pending--;
      if (o.pending <= 0) this.settleOwner(o);
    }
  }

  private settleOwner(o: Owner): void {
    const settle = o.settle;
    o.settle = null;
    if (settle) settle(o.failures.length ? new PushRejectedError(o.failures, this.policy.idName) : undefined);
  }

  private emitStatusSoon(): void {
    if (this.statusTimer || !this.running) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      this.emitStatus();
    }, 100);
  }

  private emitStatus(): void {
    this.emit('status', this.status());
  }
}

function ownerNodes(lists: Owner[][]): string[] {
  const ids = new Set<string>();
  let last: Owner[] | undefined;
  for (const owners of lists) {
    if (owners === last) continue;
    last = owners;
    for (const o of owners) ids.add(o.nodeId);
  }
  return [...ids];
}

function newList<T>(action: ActionType, capacity: number, at: number): ListSegment<T> {
  return { kind: 'list', action, records: [], owners: [], seq: 0, index: new KeyIndex(capacity), at };
}

function toItems<T>(part: Part<T>): Item<T>[] {
  const at = part.at;
  return part.records.map((record, i) => ({ record, owners: part.owners[i]!, at: typeof at === 'number' ? at : at[i]! }));
}

function fromItems<T>(items: Item<T>[]): Part<T> {
  return { records: items.map((i) => i.record), owners: items.map((i) => i.owners), at: items.map((i) => i.at) };
}

function toBatch<T>(a: Attempt<Item<T>>): Batch<T> {
  return {
    ...fromItems(a.items),
    action: a.action,
    attempts: 0,
    fromUpdate: a.fromUpdate,
    fromInsert: a.fromInsert,
    prior: a.prior,
    bisect: a.bisect,
    probe: a.probe,
  };
}

function baseAction<T>(b: Batch<T>): ActionType {
  return b.fromUpdate ? 'update' : b.action;
}

/** Records waiting for a probe batch's verdict (queued, saved and detached like any other). */
function probeWaiting<T>(b: Batch<T>): Item<T>[] {
  return b.probe ? [...b.probe.next, ...b.probe.rest] : [];
}

/** Positions of the records whose EvseID Hubject named in AdditionalInfo (the simulator and some Hubject answers do). */
function namedPositions<T>(records: T[], id: (item: T) => string, info: string | null | undefined): Set<number> {
  const out = new Set<number>();
  if (!info) return out;
  const tokens = new Set(
    info
      .toUpperCase()
      .split(/[\s,;'"[\]()]+/)
      .filter(Boolean)
      .map((t) => evseKey(t)),
  );
  for (let i = 0; i < records.length; i++) if (tokens.has(evseKey(id(records[i]!)))) out.add(i);
  return out;
}
