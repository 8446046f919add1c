import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ActionType } from '../oicp/schemas';
import { Journal, stateHealth, type JournalIo, type JournalLoadReport } from '../journal';

/** Pending items of one action, in send order; the outbox names no record type (a lane's policy does). */
export interface OutboxSegment<R = unknown> {
  action: ActionType;
  records: R[];
}

export interface OutboxSnapshot {
  version: 1;
  operatorId: string;
  savedAt: string;
  segments: OutboxSegment[];
}

/** A list kept for a restart, e.g. pending changes or held statuses. `save` must be durable when its promise resolves. */
export interface ListStore<T> {
  load(): T[];
  save(items: T[]): Promise<void>;
  /** Synchronous last write, for close handlers that must not lose the tail. */
  saveSync(items: T[]): void;
}

/** A ListStore without a file: for tests and runtimes without a user directory. */
export class MemoryStore<T> implements ListStore<T> {
  private data: T[] = [];
  load(): T[] {
    return this.data;
  }
  async save(items: T[]): Promise<void> {
    this.data = items;
  }
  saveSync(items: T[]): void {
    this.data = items;
  }
}

/** Where pending changes wait for Hubject. */
export type OutboxStore<R = unknown> = ListStore<OutboxSegment<R>>;
export class MemoryOutbox<R = unknown> extends MemoryStore<OutboxSegment<R>> {}

/** Kept for callers of the old list-file layout: a fullLoad this large was written to a file of its own. */
export const LIST_FILE_RECORDS = 1000;

/** One pending record as journalled: its segment's ordinal, the action, and the record (null: an empty fullLoad). */
interface Slot {
  g: number;
  a: ActionType;
  r: unknown;
}

/**
 * A slot's check: a record must have the lane policy's id (the EvseID of a status, the SessionID of a CDR); a slot
 * without one is damage. Without an id function any object passes.
 */
function slotDecoder(id?: (item: never) => unknown): (raw: unknown) => Slot | undefined {
  return (raw) => {
    const s = raw as Partial<Slot> | null;
    if (!s || typeof s.g !== 'number' || typeof s.a !== 'string') return undefined;
    if (s.r === null) return s as Slot;
    if (typeof s.r !== 'object' || s.r === undefined || Array.isArray(s.r)) return undefined;
    if (id) {
      let v: unknown;
      try {
        v = id(s.r as never);
      } catch {
        return undefined;
      }
      if (typeof v !== 'string' || v === '') return undefined;
    }
    return s as Slot;
  };
}

const damagedName = (file: string): string => `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;

/**
 * The pending changes of one lane, as an append journal (src/journal): one line per record that joined or left the
 * outbox since the last save, so an enqueue costs one line, not a rewrite of everything pending. Records are known
 * by identity (the queue never changes a queued record object); each carries its segment's ordinal so a restart
 * rebuilds the segments in order. `<file>` (the old JSON snapshot and its list files) is read once and migrated.
 */
export class FileOutbox<R = unknown> implements OutboxStore<R> {
  readonly journal: Journal<Slot>;
  report: JournalLoadReport | undefined;
  private readonly keyOf = new Map<R, string>();
  /** Ordinal of the segment an empty fullLoad marker stands for -> its key. */
  private readonly emptyKeys = new Map<OutboxSegment<R>, string>();
  private nextKey = 0;
  private legacyMovedTo: string | undefined;
  private maxG = 0;

  constructor(
    readonly file: string,
    readonly operatorId: string,
    io?: JournalIo,
    readonly operation = 'status',
    /** The lane policy's id: a restored record without one is damage. */
    id?: (item: R) => string,
  ) {
    this.journal = new Journal<Slot>({
      snapshot: `${file.replace(/\.json$/, '')}.jsonl`,
      format: 'oicp-outbox',
      decode: slotDecoder(id as ((item: never) => unknown) | undefined),
      io,
    });
    stateHealth.watch(this.journal, this.file, { kind: 'outbox', operatorId, operation });
  }

  private get dir(): string {
    return path.dirname(this.file);
  }

  /** The pending segments of an outbox file, read without changing anything (tests, tools; a live writer may be at it). */
  static peek(file: string): OutboxSegment[] {
    return new FileOutbox(file, '').load({ readOnly: true });
  }

  load(opts: { readOnly?: boolean } = {}): OutboxSegment<R>[] {
    let legacyLost = 0;
    const report = this.journal.load(() => {
      const old = this.readLegacy();
      if (old === undefined) return undefined;
      if (old === null) {
        legacyLost = 1;
        return undefined;
      }
      const entries: Array<[string, Slot]> = [];
      old.segments.forEach((seg, g) => {
        if (!seg.records.length) entries.push([(this.nextKey++).toString(36), { g, a: seg.action, r: null }]);
        for (const r of seg.records) entries.push([(this.nextKey++).toString(36), { g, a: seg.action, r }]);
      });
      return { entries, files: [this.file, ...old.listFiles.map((n) => path.join(this.dir, n))] };
    }, opts);
    if (legacyLost && !opts.readOnly) {
      this.journal.noteDamage(this.file, legacyLost);
      report.damaged.push({ file: this.file, movedTo: this.legacyMovedTo, reason: 'not JSON' });
      report.lost += legacyLost;
      report.incomplete = true;
      try {
        this.journal.flushSync();
      } catch {
        // reported through the journal's error event
      }
    }
    this.report = report;
    if (!opts.readOnly)
      stateHealth.loaded(this.file, { kind: 'outbox', operatorId: this.operatorId, operation: this.operation }, report, this.journal.incomplete);
    // Segments in ordinal order; a run of one ordinal and action is one segment.
    const slots = [...this.journal.entries()];
    const order = new Map<string, number>();
    slots.forEach(([k], i) => order.set(k, i));
    slots.sort((x, y) => x[1].g - y[1].g || order.get(x[0])! - order.get(y[0])!);
    const out: OutboxSegment<R>[] = [];
    let last: { g: number; seg: OutboxSegment<R> } | null = null;
    for (const [key, slot] of slots) {
      const n = parseInt(key, 36);
      if (n >= this.nextKey) this.nextKey = n + 1;
      if (slot.g > this.maxG) this.maxG = slot.g;
      if (!last || last.g !== slot.g || last.seg.action !== slot.a) {
        last = { g: slot.g, seg: { action: slot.a, records: [] } };
        out.push(last.seg);
      }
      if (slot.r) {
        last.seg.records.push(slot.r as R);
        this.keyOf.set(slot.r as R, key);
      }
    }
    return out;
  }

  /** The old single-file outbox: undefined when there is none, null when it cannot be read (renamed aside). */
  private readLegacy(): { segments: OutboxSegment<R>[]; listFiles: string[] } | null | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const snap = JSON.parse(text) as Partial<OutboxSnapshot>;
      if (snap.version !== 1 || !Array.isArray(snap.segments)) throw new Error('unknown format');
      const segments: OutboxSegment<R>[] = [];
      // Every list file goes with the old snapshot, also one a save left behind before naming it.
      const listFiles = fs.readdirSync(this.dir).filter((n) => n.startsWith(`${path.basename(this.file)}.list-`));
      for (const s of snap.segments as Array<OutboxSegment<R> & { recordsFile?: unknown }>) {
        if (!s || typeof s.action !== 'string') continue;
        if (typeof s.recordsFile === 'string' && /^[^/\\]+$/.test(s.recordsFile)) {
          const list = JSON.parse(fs.readFileSync(path.join(this.dir, s.recordsFile), 'utf8')) as unknown;
          if (!Array.isArray(list)) throw new Error('list file of unknown format');
          segments.push({ action: s.action, records: list as R[] });
        } else if (Array.isArray(s.records)) segments.push({ action: s.action, records: s.records });
      }
      return { segments, listFiles };
    } catch {
      try {
        const to = damagedName(this.file);
        fs.renameSync(this.file, to);
        this.legacyMovedTo = to;
      } catch {
        // stays; it is read only while there is no snapshot
      }
      return null;
    }
  }

  /**
   * Journals the difference to the last save: records that joined (one line each) and records that left (one
   * line each). A segment keeps the ordinal of the first record it shares with the last save; a new one gets the next.
   */
  private apply(segments: OutboxSegment<R>[]): void {
    const j = this.journal;
    const sizeBefore = j.size;
    // Records that were journalled before this save; when all of them are still here, none left (no second pass).
    let kept = 0;
    let prevG = 0;
    for (const seg of segments) {
      let g: number | undefined;
      for (const r of seg.records) {
        const k = this.keyOf.get(r);
        if (k === undefined) continue;
        const slot = j.get(k);
        if (slot && slot.g >= prevG) g = slot.g;
        break;
      }
      if (g === undefined && !seg.records.length) {
        const k = this.emptyKeys.get(seg);
        if (k !== undefined && j.get(k)!.g >= prevG) g = j.get(k)!.g;
      }
      if (g === undefined) g = ++this.maxG;
      prevG = g;
      if (!seg.records.length) {
        let k = this.emptyKeys.get(seg);
        if (k === undefined) {
          k = (this.nextKey++).toString(36);
          this.emptyKeys.set(seg, k);
        }
        const slot = j.get(k);
        if (slot) kept++;
        if (!slot || slot.g !== g) j.set(k, { g, a: seg.action, r: null });
        continue;
      }
      for (const r of seg.records) {
        let k = this.keyOf.get(r);
        if (k === undefined) {
          k = (this.nextKey++).toString(36);
          this.keyOf.set(r, k);
        }
        const slot = j.get(k);
        if (slot) kept++;
        if (!slot || slot.g !== g || slot.a !== seg.action) j.set(k, { g, a: seg.action, r });
      }
    }
    if (kept === sizeBefore) return;
    const seen = new Set<string>();
    for (const seg of segments) {
      if (!seg.records.length) {
        const k = this.emptyKeys.get(seg);
        if (k !== undefined) seen.add(k);
      }
      for (const r of seg.records) seen.add(this.keyOf.get(r)!);
    }
    const gone: string[] = [];
    for (const k of j.keys()) if (!seen.has(k)) gone.push(k);
    for (const k of gone) {
      const slot = j.get(k)!;
      if (slot.r) this.keyOf.delete(slot.r as R);
      j.delete(k);
    }
    if (this.emptyKeys.size) for (const [seg, k] of this.emptyKeys) if (!j.has(k)) this.emptyKeys.delete(seg);
  }

  async save(segments: OutboxSegment<R>[]): Promise<void> {
    this.apply(segments);
    await this.journal.flush();
  }

  saveSync(segments: OutboxSegment<R>[]): void {
    this.apply(segments);
    this.journal.flushSync();
  }
}
