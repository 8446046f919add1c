// The status gate: statuses for EVSEs whose data Hubject has not acknowledged wait here, persisted, until it has.
// Hubject lists an EVSE to e-mobility providers only once its data is on the platform; a status sent before that
// is not shown. No Node-RED import: the config node builds one per operator and the push and data nodes use it.
import { EventEmitter } from 'node:events';
import { WireSpelling, evseKey } from '../oicp/ids';
import type { ActionType, EvseStatusRecord } from '../oicp/schemas';
import { PushRejectedError, type Owner, type PushQueue } from '../push/queue';
import { MemoryGateStore, type GateStore, type HeldEntry } from './gate-store';

export { FileGateStore, MemoryGateStore, type GateStore, type HeldEntry } from './gate-store';

export type GateMode = 'auto' | 'on' | 'off';
export const GATE_MODES: readonly GateMode[] = ['auto', 'on', 'off'];

/** What a data node tells the gate: whether Hubject has acknowledged an EVSE's data (or it was marked known). */
export interface DataSource {
  isAcknowledged(evseId: string): boolean;
  /** The EvseID as Hubject acknowledged its data: statuses go out in that spelling. */
  acknowledgedId?(evseId: string): string | undefined;
}

/** The error a held input fails with: its EVSE's data was rejected, or it waited longer than holdMaxHours. */
export class NoEvseDataError extends Error {
  readonly code = 'NO_EVSE_DATA';
  constructor(
    readonly evseIds: string[],
    readonly reason: string,
  ) {
    const more = evseIds.length > 1 ? ` (and ${evseIds.length - 1} more)` : '';
    super(`no EVSE data at Hubject for ${evseIds[0]}${more}: ${reason}`);
    this.name = 'NoEvseDataError';
  }
}

interface Held extends HeldEntry {
  owner: Owner | null;
  seq: number;
}

export interface GateOptions {
  mode?: GateMode;
  holdMaxHours?: number;
  store?: GateStore;
  now?: () => number;
  /** Saves are at least this far apart: the window kill -9 can lose (as the full load journal's flush). */
  saveIntervalMs?: number;
  /** With `auto` and no data node, held statuses go out after this long (a redeploy re-registers within it). */
  offGraceMs?: number;
}

export const GATE_SAVE_INTERVAL_MS = 250;
const SWEEP_MS = 60_000;
const OFF_GRACE_MS = 10_000;
const HOUR_MS = 3_600_000;

/**
 * Holds statuses for EVSEs whose data Hubject has not acknowledged, per operator. The latest status per EVSE wins;
 * other EVSEs are never blocked; a released status is queued with its input message, so that input completes on
 * Hubject's answer. Events: 'change' (held count), 'warn' (text).
 */
export class StatusGate extends EventEmitter {
  mode: GateMode;
  holdMaxMs: number;
  private readonly store: GateStore;
  private readonly now: () => number;
  private readonly saveIntervalMs: number;
  private readonly offGraceMs: number;
  private sources = new Map<string, DataSource>();
  /** The sources as an array: admit() walks it per record without allocating an iterator. */
  private sourceList: DataSource[] = [];
  private held = new Map<string, Held>();
  private readonly spelling = new WireSpelling();
  private seq = 0;
  private queue: PushQueue<EvseStatusRecord> | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private offTimer: NodeJS.Timeout | null = null;
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> | null = null;
  private dirty = false;
  private lastSaveAt = 0;
  /** Whether anything was ever held or restored: an operator that never uses the gate gets no file. */
  private touched = false;

  constructor(
    readonly operatorId: string,
    opts: GateOptions = {},
  ) {
    super();
    this.mode = opts.mode ?? 'auto';
    this.holdMaxMs = (opts.holdMaxHours ?? 24) * HOUR_MS;
    this.store = opts.store ?? new MemoryGateStore();
    this.now = opts.now ?? Date.now;
    this.saveIntervalMs = opts.saveIntervalMs ?? GATE_SAVE_INTERVAL_MS;
    this.offGraceMs = opts.offGraceMs ?? OFF_GRACE_MS;
    for (const e of this.store.load()) this.held.set(evseKey(e.record.EvseID), { ...e, owner: null, seq: ++this.seq });
    this.touched = this.held.size > 0;
  }

  /** Applies a (re)deployed config node's settings; held statuses are kept. */
  configure(opts: { mode?: GateMode; holdMaxHours?: number }): void {
    if (opts.mode) this.mode = opts.mode;
    if (opts.holdMaxHours) this.holdMaxMs = opts.holdMaxHours * HOUR_MS;
    if (this.mode === 'off') this.releaseAll();
    else this.checkOffSoon();
  }

  /** Where released statuses go (the operator's status queue); starts the holdMaxHours sweep. */
  attach(queue: PushQueue<EvseStatusRecord>): void {
    this.queue = queue;
    this.sweepTimer ??= setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref?.();
    this.releaseAcknowledged();
    this.checkOffSoon();
    this.reportHeld();
  }

  /** Stops the timers and writes the held statuses synchronously (config node close). */
  stop(): void {
    for (const t of [this.sweepTimer, this.offTimer, this.saveTimer]) if (t) clearTimeout(t);
    this.sweepTimer = this.offTimer = this.saveTimer = null;
    this.queue = null;
    if (!this.touched) return;
    try {
      this.store.saveSync(this.entries());
      if (this.saving) this.dirty = true;
      else this.dirty = false;
    } catch (err) {
      this.emit('warn', `held statuses not written on stop: ${(err as Error).message}`);
    }
  }

  /** Whether statuses wait for data right now: `on`, or `auto` while a data node uses this config. */
  get active(): boolean {
    return this.mode === 'on' || (this.mode === 'auto' && this.sourceList.length > 0);
  }

  get heldCount(): number {
    return this.held.size;
  }

  /** Held statuses in hold order (tests, the operations view). */
  heldRecords(): HeldEntry[] {
    return this.entries();
  }

  registerDataSource(id: string, src: DataSource): () => void {
    this.sources.set(id, src);
    this.sourceList = [...this.sources.values()];
    if (this.offTimer) clearTimeout(this.offTimer);
    this.offTimer = null;
    // A data node restarted with data Hubject acknowledged before: its EVSEs' held statuses go now.
    this.releaseAcknowledged();
    return () => {
      if (this.sources.get(id) !== src) return;
      this.sources.delete(id);
      this.sourceList = [...this.sources.values()];
      this.checkOffSoon();
    };
  }

  /** Hubject acknowledged these EVSEs' data (or they were marked known): their held statuses go out, in hold order. */
  dataAcknowledged(evseIds: readonly string[]): void {
    if (!this.held.size) return;
    const hits: Held[] = [];
    for (const id of evseIds) {
      const h = this.held.get(evseKey(id));
      if (h) hits.push(h);
    }
    this.release(hits);
  }

  /**
   * These EVSEs' data was rejected for good: their held inputs fail. A failure that says Hubject holds the EVSE
   * (an insert answered 022) releases the held status instead: the status has data to belong to.
   */
  dataRejected(failures: readonly { EvseID: string; reason: string; exists?: boolean }[]): void {
    if (!this.held.size) return;
    const hits: Array<{ h: Held; reason: string }> = [];
    const exists: Held[] = [];
    for (const f of failures) {
      const h = this.held.get(evseKey(f.EvseID));
      if (h && f.exists) exists.push(h);
      else if (h) hits.push({ h, reason: `EVSE data rejected: ${f.reason}` });
    }
    this.release(exists);
    this.fail(hits);
  }

  /**
   * The push node's hot path: returns the records to queue now (the same array when none is held). Held records
   * count as pending for `owner`; a fullLoad's held records have no owner (the fullLoad completes on its own answer).
   */
  admit(action: ActionType, input: EvseStatusRecord[], owner: Owner | null): EvseStatusRecord[] {
    const records = this.respell(input);
    if (!this.active || action === 'delete') {
      if (this.held.size) for (const r of records) this.overtake(evseKey(r.EvseID));
      return records;
    }
    const sources = this.sourceList;
    let out: EvseStatusRecord[] | null = null;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      let ok = false;
      for (let s = 0; s < sources.length && !ok; s++) ok = sources[s]!.isAcknowledged(r.EvseID);
      if (ok) {
        if (this.held.size) this.overtake(evseKey(r.EvseID));
        if (out) out.push(r);
      } else {
        out ??= records.slice(0, i);
        this.hold(r, action === 'fullLoad' ? 'update' : action, action === 'fullLoad' ? null : owner);
      }
    }
    if (!out) return records;
    this.changed();
    return out;
  }

  /** The records in the spelling Hubject acknowledged their EVSE's data under (the same array when none differs). */
  private respell(records: EvseStatusRecord[]): EvseStatusRecord[] {
    const sources = this.sourceList;
    if (!sources.length) return records;
    let out: EvseStatusRecord[] | null = null;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      let ack: string | undefined;
      for (let s = 0; s < sources.length && ack === undefined; s++) ack = sources[s]!.acknowledgedId?.(r.EvseID);
      if (ack === undefined || ack === r.EvseID) continue;
      const res = this.spelling.apply(r.EvseID, ack);
      if (res.id === r.EvseID) continue;
      out ??= records.slice();
      out[i] = { ...r, EvseID: res.id };
      if (res.warning) this.emit('warn', res.warning);
    }
    return out ?? records;
  }

  /** Fails held statuses that waited longer than holdMaxHours (run every minute; tests pass a later time). */
  sweep(now = this.now()): void {
    if (!this.held.size) return;
    const hours = Math.round((this.holdMaxMs / HOUR_MS) * 100) / 100;
    const hits: Array<{ h: Held; reason: string }> = [];
    for (const h of this.held.values()) {
      if (now - h.since >= this.holdMaxMs) hits.push({ h, reason: `its status waited longer than holdMaxHours (${hours} h) for the EVSE data` });
    }
    this.fail(hits);
  }

  /** Forgets the callbacks of a closed push node; its held statuses stay. */
  detach(nodeId: string): void {
    for (const h of this.held.values()) if (h.owner?.nodeId === nodeId) h.owner.settle = null;
  }

  /** Resolves when the held statuses so far are on disk. */
  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
      this.persist();
    }
    while (this.saving) await this.saving;
  }

  private hold(record: EvseStatusRecord, action: ActionType, owner: Owner | null): void {
    const key = evseKey(record.EvseID);
    const prev = this.held.get(key);
    let since = this.now();
    if (prev) {
      since = prev.since;
      this.held.delete(key);
      if (prev.owner === owner && owner)
        owner.pending--; // the same EVSE twice in one message counts once
      else this.complete(prev.owner);
    }
    if (owner) owner.pending++;
    this.held.set(key, { action, since, record, owner, seq: ++this.seq });
  }

  /** A newer status for this EVSE went past the gate: the held one is dropped and its input completes. */
  private overtake(key: string): void {
    const prev = this.held.get(key);
    if (!prev) return;
    this.held.delete(key);
    this.complete(prev.owner);
    this.changed();
  }

  /** One of the owner's records is settled without being sent (overtaken, as the queue's coalescing does). */
  private complete(owner: Owner | null): void {
    if (!owner) return;
    owner.pending--;
    if (owner.pending > 0) return;
    const settle = owner.settle;
    owner.settle = null;
    settle?.(owner.failures.length ? new PushRejectedError(owner.failures, 'EvseID') : undefined);
  }

  private releaseAcknowledged(): void {
    if (!this.held.size || !this.queue) return;
    if (!this.active) return;
    const sources = this.sourceList;
    const hits: Held[] = [];
    for (const h of this.held.values()) if (sources.some((s) => s.isAcknowledged(h.record.EvseID))) hits.push(h);
    this.release(hits);
  }

  private releaseAll(): void {
    this.release([...this.held.values()]);
  }

  /** `auto` without a data node is off: once no data node came back within the grace time, held statuses go. */
  private checkOffSoon(): void {
    if (this.offTimer || this.active || !this.held.size || !this.queue) return;
    this.offTimer = setTimeout(() => {
      this.offTimer = null;
      if (!this.active) this.releaseAll();
    }, this.offGraceMs);
    this.offTimer.unref?.();
  }

  /** Queues held statuses in hold order, each with its input message. */
  private release(hits: Held[]): void {
    const q = this.queue;
    if (!hits.length || !q) return;
    hits.sort((a, b) => a.seq - b.seq);
    for (const h of hits) this.held.delete(evseKey(h.record.EvseID));
    let i = 0;
    while (i < hits.length) {
      const { action, owner } = hits[i]!;
      let j = i + 1;
      while (j < hits.length && hits[j]!.action === action && hits[j]!.owner === owner) j++;
      const records = hits.slice(i, j).map((h) => h.record);
      // enqueue counts them as pending again.
      if (owner) owner.pending -= records.length;
      q.enqueue(action, records, owner);
      i = j;
    }
    this.changed();
  }

  private fail(hits: Array<{ h: Held; reason: string }>): void {
    if (!hits.length) return;
    const byOwner = new Map<Owner | null, { ids: string[]; reason: string }>();
    for (const { h, reason } of hits) {
      this.held.delete(evseKey(h.record.EvseID));
      const g = byOwner.get(h.owner);
      if (g) g.ids.push(h.record.EvseID);
      else byOwner.set(h.owner, { ids: [h.record.EvseID], reason });
    }
    for (const [owner, { ids, reason }] of byOwner) {
      const err = new NoEvseDataError(ids, reason);
      if (!owner || !owner.settle) {
        // Restored after a restart, from a fullLoad, or its node was closed: nobody to fail but the log.
        this.emit('warn', `${err.message}; the held status was dropped`);
        continue;
      }
      const settle = owner.settle;
      owner.settle = null;
      settle(err);
    }
    this.changed();
  }

  private entries(): HeldEntry[] {
    return Array.from(this.held.values(), (h) => ({ action: h.action, since: h.since, record: h.record }));
  }

  private reportHeld(): void {
    this.queue?.stats?.held(this.held.size);
  }

  private changed(): void {
    this.touched = true;
    this.reportHeld();
    this.emit('change', this.held.size);
    this.dirty = true;
    if (this.saveTimer || this.saving) return;
    const wait = this.lastSaveAt + this.saveIntervalMs - this.now();
    if (wait <= 0) return this.persist();
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.persist();
    }, wait);
  }

  private persist(): void {
    if (this.saving) return;
    this.saving = (async () => {
      while (this.dirty) {
        this.dirty = false;
        this.lastSaveAt = this.now();
        try {
          await this.store.save(this.entries());
        } catch (err) {
          this.emit('warn', `held statuses not written: ${(err as Error).message}`);
        }
      }
      this.saving = null;
    })();
  }
}
