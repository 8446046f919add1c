import { EventEmitter } from 'node:events';
import { evseKey } from '../oicp/ids';
import type { ActionType, EvseStatusRecord, PushEvseStatusRequest } from '../oicp/schemas';
import type { PushResult } from '../oicp/client';
import { MemoryOutbox, type OutboxSegment, type OutboxStore } from './outbox';
import { RollingRateLimiter, backoffDelay } from './ratelimit';

export type Transport = (body: PushEvseStatusRequest, signal: AbortSignal) => Promise<PushResult>;

export interface RecordFailure {
  EvseID: string;
  action: ActionType;
  reason: string;
  code?: string;
  httpStatus?: number;
  additionalInfo?: string;
}

/** Error given to an input message whose records Hubject rejected for good. */
export class PushRejectedError extends Error {
  readonly code?: string;
  constructor(readonly failures: RecordFailure[]) {
    const f = failures[0]!;
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
    super(`Hubject rejected ${f.action} of EvseID ${f.EvseID}: ${f.reason}${more}`);
    this.name = 'PushRejectedError';
    this.code = f.code;
  }
}

/** One input message waiting for its records to settle. */
export interface Owner {
  nodeId: string;
  pending: number;
  failures: RecordFailure[];
  settle: ((err?: Error) => void) | null;
}

interface Entry {
  record: EvseStatusRecord;
  owners: Owner[];
  seq: number;
}

interface Segment {
  action: ActionType;
  entries: Map<string, Entry>;
  /** Being filled by enqueueSliced: a barrier that is not sent or saved until complete (a partial fullLoad would wipe). */
  building?: boolean;
}

export interface Batch {
  action: ActionType;
  entries: Entry[];
  attempts: number;
  /** An update re-sent as insert after Hubject refused it (insertMissing). */
  fromUpdate?: boolean;
}

export interface QueueOptions {
  operatorId: string;
  operatorName?: string;
  transport?: Transport;
  outbox?: OutboxStore;
  maxRecords?: number;
  ratePerMinute?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  insertMissing?: boolean;
  random?: () => number;
  now?: () => number;
}

export interface BatchResultEvent {
  action: ActionType;
  records: EvseStatusRecord[];
  nodeIds: string[];
  result: PushResult;
  attempts: number;
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
}

const NO_OWNERS: Owner[] = [];

/**
 * The per-operator push queue: strictly one request in flight, coalescing per EVSE, adaptive bundling,
 * fullLoad as an ordering barrier sent whole, retries with backoff, and an outbox that is durable before sending.
 */
export class PushQueue extends EventEmitter {
  readonly operatorId: string;
  operatorName?: string;
  maxRecords: number;
  insertMissing: boolean;
  backoffBaseMs: number;
  backoffMaxMs: number;
  private limiter: RollingRateLimiter;
  private transport?: Transport;
  private readonly outbox: OutboxStore;
  private readonly random: () => number;
  private readonly now: () => number;

  private segments: Segment[] = [];
  private head: Batch[] = [];
  private inFlight: Batch | null = null;
  private abort: AbortController | null = null;
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  private retryAt = 0;
  private failures = 0;
  private running = false;

  private seq = 0;
  private durableSeq = 0;
  private persisting: Promise<void> | null = null;
  private dirty = false;

  private statusTimer: NodeJS.Timeout | null = null;
  private counters = { sent: 0, requests: 0 };
  private last: { code?: string; reason?: string; class?: string } = {};

  constructor(opts: QueueOptions) {
    super();
    this.operatorId = opts.operatorId;
    this.operatorName = opts.operatorName;
    this.transport = opts.transport;
    this.outbox = opts.outbox ?? new MemoryOutbox();
    this.maxRecords = opts.maxRecords ?? 500;
    this.limiter = new RollingRateLimiter(opts.ratePerMinute ?? 2000);
    this.backoffBaseMs = opts.backoffBaseMs ?? 1000;
    this.backoffMaxMs = opts.backoffMaxMs ?? 300_000;
    this.insertMissing = opts.insertMissing ?? true;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    for (const s of this.outbox.load()) this.addSegment(s.action, s.records, null);
    this.durableSeq = this.seq;
  }

  /** Applies settings of a (re)deployed config node; keeps the pending changes. */
  configure(opts: Pick<QueueOptions, 'operatorName' | 'maxRecords' | 'ratePerMinute' | 'backoffBaseMs' | 'backoffMaxMs' | 'insertMissing'>): void {
    if (opts.operatorName !== undefined) this.operatorName = opts.operatorName;
    if (opts.maxRecords) this.maxRecords = opts.maxRecords;
    if (opts.ratePerMinute && opts.ratePerMinute !== this.limiter.limit) this.limiter = new RollingRateLimiter(opts.ratePerMinute);
    if (opts.backoffBaseMs) this.backoffBaseMs = opts.backoffBaseMs;
    if (opts.backoffMaxMs) this.backoffMaxMs = opts.backoffMaxMs;
    if (opts.insertMissing !== undefined) this.insertMissing = opts.insertMissing;
  }

  start(transport: Transport): void {
    this.transport = transport;
    this.running = true;
    this.failures = 0;
    this.pump();
    this.emitStatus();
  }

  /** Stops sending: aborts the request in flight (its batch goes back to the head) and writes the outbox synchronously. */
  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = null;
    if (this.inFlight) {
      this.head.unshift(this.inFlight);
      this.inFlight = null;
    }
    this.abort?.abort();
    this.abort = null;
    this.transport = undefined;
    try {
      this.outbox.saveSync(this.snapshot());
      this.durableSeq = this.seq;
      // An async save still running would rename an older snapshot over this one: make it write again.
      if (this.persisting) this.dirty = true;
    } catch (err) {
      this.emit('warn', `outbox not written on stop: ${(err as Error).message}`);
    }
  }

  /** Forgets the callbacks of a closed node; its records stay queued. */
  detach(nodeId: string): void {
    const visit = (e: Entry) => { for (const o of e.owners) if (o.nodeId === nodeId) o.settle = null; };
    this.inFlight?.entries.forEach(visit);
    for (const b of this.head) b.entries.forEach(visit);
    for (const s of this.segments) s.entries.forEach(visit);
  }

  /** Queues records; `owner.settle` is called once all of them are acknowledged or rejected for good. */
  enqueue(action: ActionType, records: EvseStatusRecord[], owner: Owner | null): void {
    if (owner) owner.pending += records.length;
    this.addSegment(action, records, owner);
    if (owner && records.length === 0) this.settleOwner(owner);
    this.schedulePersist();
    this.emitStatusSoon();
  }

  /**
   * As enqueue, for large inputs: the segment takes its place in the queue at once (so later changes stay behind it)
   * but is filled in slices, and is neither sent nor written to the outbox until it is complete.
   */
  async enqueueSliced(action: ActionType, records: EvseStatusRecord[], owner: Owner | null, slice = 5000): Promise<void> {
    if (records.length <= slice) return this.enqueue(action, records, owner);
    if (owner) owner.pending += records.length;
    const seg: Segment = { action, entries: new Map(), building: true };
    const solo = owner ? [owner] : NO_OWNERS;
    this.segments.push(seg);
    try {
      for (let i = 0; i < records.length; i += slice) {
        if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const end = Math.min(records.length, i + slice);
        for (let j = i; j < end; j++) this.put(seg, records[j]!, owner, solo);
      }
    } finally {
      seg.building = false;
    }
    this.schedulePersist();
    this.emitStatusSoon();
  }

  private addSegment(action: ActionType, records: EvseStatusRecord[], owner: Owner | null): void {
    let seg = this.segments[this.segments.length - 1];
    // fullLoad is a barrier: it is never merged with anything, and later updates queue behind it.
    if (action === 'fullLoad' || !seg || seg.action !== action || seg.building) {
      seg = { action, entries: new Map() };
      this.segments.push(seg);
    }
    const solo = owner ? [owner] : NO_OWNERS;
    for (const record of records) this.put(seg, record, owner, solo);
  }

  /** `solo` is the shared `[owner]` of one enqueue call: owner lists are never changed in place, so records share it. */
  private put(seg: Segment, record: EvseStatusRecord, owner: Owner | null, solo: Owner[]): void {
    const key = evseKey(record.EvseID);
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
    seg.entries.set(key, { record, owners, seq: ++this.seq });
  }

  get queued(): number {
    let n = this.inFlight ? this.inFlight.entries.length : 0;
    for (const b of this.head) n += b.entries.length;
    for (const s of this.segments) n += s.entries.size;
    return n;
  }

  status(): QueueStatus {
    const state: QueueStatus['state'] = !this.running ? 'stopped'
      : this.timer && this.retryAt ? (this.last.class === 'config' ? 'config-error' : 'retrying')
      : this.inFlight ? 'sending' : 'idle';
    const s: QueueStatus = { state, queued: this.queued, sent: this.counters.sent, requests: this.counters.requests, lastCode: this.last.code, lastReason: this.last.reason, lastClass: this.last.class };
    if (this.timer && this.retryAt) s.retryInMs = Math.max(0, this.retryAt - this.now());
    return s;
  }

  /** Pending changes in send order, as written to the outbox. */
  snapshot(): OutboxSegment[] {
    const out: OutboxSegment[] = [];
    const push = (action: ActionType, entries: Iterable<Entry>) => {
      const records = Array.from(entries, (e) => e.record);
      if (records.length || action === 'fullLoad') out.push({ action, records });
    };
    if (this.inFlight) push(this.inFlight.action, this.inFlight.entries);
    for (const b of this.head) push(b.action, b.entries);
    for (const s of this.segments) if (!s.building) push(s.action, s.entries.values());
    return out;
  }

  private schedulePersist(): void {
    this.dirty = true;
    if (this.persisting) return;
    this.persisting = (async () => {
      while (this.dirty) {
        this.dirty = false;
        const upTo = this.seq;
        try {
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

  /** Resolves when everything queued so far has been written to the outbox. */
  async flush(): Promise<void> {
    while (this.persisting) await this.persisting;
  }

  private takeBatch(): Batch | null {
    if (this.head.length) return this.head.shift()!;
    const seg = this.segments[0];
    if (!seg || seg.building) return null;
    if (seg.action === 'fullLoad') {
      for (const e of seg.entries.values()) if (e.seq > this.durableSeq) return null;
      this.segments.shift();
      return { action: 'fullLoad', entries: [...seg.entries.values()], attempts: 0 };
    }
    const entries: Entry[] = [];
    for (const e of seg.entries.values()) {
      if (e.seq > this.durableSeq || entries.length >= this.maxRecords) break;
      entries.push(e);
    }
    if (!entries.length) return null;
    for (const e of entries) seg.entries.delete(evseKey(e.record.EvseID));
    if (!seg.entries.size) this.segments.shift();
    return { action: seg.action, entries, attempts: 0 };
  }

  private pump(): void {
    if (!this.running || !this.transport || this.inFlight || this.timer) return;
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
      this.pump();
    }, ms);
  }

  private send(batch: Batch): void {
    this.inFlight = batch;
    batch.attempts++;
    this.counters.requests++;
    this.limiter.record(this.now());
    const body: PushEvseStatusRequest = {
      ActionType: batch.action,
      OperatorEvseStatus: {
        OperatorID: this.operatorId,
        ...(this.operatorName ? { OperatorName: this.operatorName } : {}),
        EvseStatusRecord: batch.entries.map((e) => e.record),
      },
    };
    const gen = this.generation;
    const abort = new AbortController();
    this.abort = abort;
    this.emitStatusSoon();
    this.transport!(body, abort.signal).then(
      (result) => { if (gen === this.generation) this.onResult(batch, result); },
      (err: unknown) => {
        if (gen === this.generation) this.onResult(batch, { class: 'transient', reason: `transport error: ${(err as Error)?.message ?? err}`, durationMs: 0 });
      },
    );
  }

  private onResult(batch: Batch, result: PushResult): void {
    this.inFlight = null;
    this.abort = null;
    this.last = { code: result.statusCode?.Code ?? (result.httpStatus ? String(result.httpStatus) : result.errorCode), reason: result.reason, class: result.class };
    this.emit('result', {
      action: batch.action, records: batch.entries.map((e) => e.record), attempts: batch.attempts,
      nodeIds: ownerNodes(batch.entries), result,
    } satisfies BatchResultEvent);

    switch (result.class) {
      case 'success':
        this.failures = 0;
        this.counters.sent += batch.entries.length;
        for (const e of batch.entries) this.settleEntry(e);
        this.schedulePersist();
        break;
      case 'transient':
      case 'config': {
        this.head.unshift(batch);
        const delay = result.class === 'config'
          ? this.backoffMaxMs
          : backoffDelay(this.failures, this.backoffBaseMs, this.backoffMaxMs, this.random, result.retryAfterMs);
        this.failures++;
        this.arm(delay, true);
        this.emit(result.class === 'config' ? 'config-error' : 'retry', { result, delayMs: delay, batch: batch.entries.length });
        break;
      }
      case 'data':
        this.failures = 0;
        this.onDataError(batch, result);
        this.schedulePersist();
        break;
    }
    this.emitStatusSoon();
    this.pump();
  }

  /** Permanent rejections: isolate the bad records so the rest still land, with the right ActionType. */
  private onDataError(batch: Batch, result: PushResult): void {
    const code = result.statusCode?.Code;
    const named = namedEntries(batch.entries, result.statusCode?.AdditionalInfo);
    const retry = (action: ActionType, entries: Entry[], fromUpdate?: boolean): Batch => ({ action, entries, attempts: 0, fromUpdate });

    if (named.length && named.length < batch.entries.length) {
      const rest = batch.entries.filter((e) => !named.includes(e));
      if (code === '018' || batch.action === 'fullLoad' || !this.insertMissing || batch.action !== 'update') {
        for (const e of named) this.failEntry(e, batch.action, result);
        this.head.unshift(retry(batch.action, rest, batch.fromUpdate));
      } else {
        // update refused for the named (missing) EVSEs: insert those, update the rest.
        this.head.unshift(retry('insert', named, true), retry('update', rest));
      }
      return;
    }
    if (batch.action === 'fullLoad') {
      // Never split a fullLoad: a second chunk would wipe the first.
      for (const e of batch.entries) this.failEntry(e, batch.action, result);
      return;
    }
    const missingFallback = this.insertMissing && code !== '018' && result.httpStatus !== 400;
    if (batch.action === 'update' && missingFallback) {
      this.head.unshift(retry('insert', batch.entries, true));
      return;
    }
    if (batch.entries.length > 1) {
      const mid = Math.ceil(batch.entries.length / 2);
      const action = batch.fromUpdate ? 'update' : batch.action;
      // After an insert fallback failed, halves go back to update so each record finds its ActionType.
      this.head.unshift(retry(action, batch.entries.slice(0, mid)), retry(action, batch.entries.slice(mid)));
      if (batch.fromUpdate) {
        this.head[0]!.fromUpdate = false;
        this.head[1]!.fromUpdate = false;
      }
      return;
    }
    for (const e of batch.entries) this.failEntry(e, batch.fromUpdate ? 'update' : batch.action, result);
  }

  private failEntry(e: Entry, action: ActionType, result: PushResult): void {
    const failure: RecordFailure = {
      EvseID: e.record.EvseID, action, reason: result.reason,
      code: result.statusCode?.Code, httpStatus: result.httpStatus,
      additionalInfo: result.statusCode?.AdditionalInfo ?? undefined,
    };
    this.emit('rejected', { failure, nodeIds: ownerNodes([e]) });
    for (const o of e.owners) o.failures.push(failure);
    this.settleEntry(e);
  }

  private settleEntry(e: Entry): void {
    for (const o of e.owners) {
      o.pending--;
      if (o.pending <= 0) this.settleOwner(o);
    }
  }

  private settleOwner(o: Owner): void {
    const settle = o.settle;
    o.settle = null;
    if (settle) settle(o.failures.length ? new PushRejectedError(o.failures) : undefined);
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

function ownerNodes(entries: Entry[]): string[] {
  const ids = new Set<string>();
  for (const e of entries) for (const o of e.owners) ids.add(o.nodeId);
  return [...ids];
}

/** Entries whose EvseID Hubject named in AdditionalInfo (the simulator and some Hubject answers do). */
function namedEntries(entries: Entry[], info: string | null | undefined): Entry[] {
  if (!info) return [];
  const upper = info.toUpperCase();
  const tokens = new Set(upper.split(/[\s,;'"[\]()]+/).filter(Boolean).map((t) => evseKey(t)));
  return entries.filter((e) => tokens.has(evseKey(e.record.EvseID)));
}
