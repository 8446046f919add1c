import { HashIndex } from '../oicp/hash-index';
import { evseKeyHash, sameEvse } from '../oicp/ids';
import { EVSE_STATUSES, type EvseStatus } from '../oicp/schemas';

/** One EVSE as the store reports it (a fresh object each time). */
export interface EvseEntry {
  /** Spelling as last received (already validated and upper-cased). */
  readonly EvseID: string;
  readonly EvseStatus: EvseStatus;
  /** Epoch ms when the EVSE was last reported. */
  readonly lastSeen: number;
}

export interface StoreMeta {
  /** Record count of the last fullLoad that counted as successful (collapse guard). */
  lastSuccessfulCount?: number;
  /** True once a push result came back: from then on only results count as success. */
  feedback?: boolean;
  /** Epoch ms of the last emitted fullLoad. */
  lastFullLoadAt?: number;
}

/** slot: where the EVSE's current state can be read (StoreView row); evseId: the spelling of the report. */
export type StoreChange = { type: 'set'; evseId: string; slot: number } | { type: 'delete'; evseId: string } | { type: 'meta'; meta: StoreMeta };

export interface StatusStoreOptions {
  /**
   * A repeated report with the same status and spelling is passed to the persistence
   * layer only when lastSeen crosses into a new bucket of this size, so heartbeats do
   * not flood the journal. Staleness is measured in days, a minute of slack is harmless.
   */
  seenResolutionMs?: number;
}

/**
 * A consistent copy of the store: row i is ids[i], EVSE_STATUSES[codes[i]], seen[i]; rows whose id is
 * undefined are free slots. Costs a pointer per row on the heap and 9 bytes off it.
 */
export interface StoreView {
  readonly ids: ReadonlyArray<string | undefined>;
  readonly codes: Uint8Array;
  readonly seen: Float64Array;
}

const CODE = new Map<string, number>(EVSE_STATUSES.map((s, i) => [s, i]));

/**
 * Latest status of every EVSE, keyed by evseKey (case and optional '*' ignored). All operations are O(1).
 * Kept as slots, not an object per EVSE: slot i holds the EvseID as last received in ids[i] and its status
 * and lastSeen in typed arrays; the cores' HashIndex of slot numbers (an Int32Array, hashed by
 * evseKeyHash) finds the slot without building key strings. At 100,000 EVSEs this is about 2 MB on the
 * V8 heap instead of 16 MB of entry objects, boxed numbers, key strings and Map tables that every
 * scavenge had to copy while the store filled.
 */
export class StatusStore {
  private ids: Array<string | undefined> = [];
  private readonly index = new HashIndex<string>({
    hash: evseKeyHash,
    matches: (slot, evseId) => sameEvse(this.ids[slot]!, evseId),
    hashAt: (slot) => evseKeyHash(this.ids[slot]!),
  });
  private codes = new Uint8Array(64);
  private seen = new Float64Array(64);
  private readonly free: number[] = [];
  private metaValue: StoreMeta = {};
  private readonly resolution: number;
  /** Set by the persistence layer; called for every change that must be saved. */
  onChange: ((change: StoreChange) => void) | undefined;

  constructor(options: StatusStoreOptions = {}) {
    this.resolution = Math.max(1, options.seenResolutionMs ?? 60_000);
  }

  get size(): number {
    return this.index.size;
  }

  get meta(): Readonly<StoreMeta> {
    return this.metaValue;
  }

  get(evseId: string): EvseEntry | undefined {
    const slot = this.index.find(evseId);
    return slot < 0 ? undefined : this.entryAt(slot);
  }

  has(evseId: string): boolean {
    return this.index.find(evseId) >= 0;
  }

  *values(): IterableIterator<EvseEntry> {
    for (let slot = 0; slot < this.ids.length; slot++) {
      const e = this.entryAt(slot);
      if (e) yield e;
    }
  }

  /** A copy of all entries as objects (O(n)); large consumers use view(). */
  snapshot(): EvseEntry[] {
    return entriesOfView(this.view());
  }

  /** A consistent copy of all rows (O(n), a pointer per row on the heap). */
  view(): StoreView {
    const n = this.ids.length;
    return { ids: this.ids.slice(), codes: this.codes.slice(0, n), seen: this.seen.slice(0, n) };
  }

  /** Records a report. evseId and status must already be validated. */
  set(evseId: string, status: EvseStatus, now: number): void {
    const code = CODE.get(status);
    if (code === undefined) throw new Error(`not an EvseStatus: ${status}`);
    let slot = this.index.find(evseId);
    let significant = true;
    if (slot < 0) {
      slot = this.allocate();
      this.ids[slot] = evseId;
      this.index.add(evseId, slot);
    } else {
      significant =
        this.codes[slot] !== code || this.ids[slot] !== evseId || Math.floor(this.seen[slot]! / this.resolution) !== Math.floor(now / this.resolution);
    }
    this.ids[slot] = evseId;
    this.codes[slot] = code;
    this.seen[slot] = now;
    if (significant && this.onChange) this.onChange({ type: 'set', evseId, slot });
  }

  delete(evseId: string): boolean {
    const had = this.remove(evseId);
    if (had && this.onChange) this.onChange({ type: 'delete', evseId });
    return had;
  }

  setMeta(patch: StoreMeta): void {
    this.metaValue = { ...this.metaValue, ...patch };
    if (this.onChange) this.onChange({ type: 'meta', meta: this.metaValue });
  }

  // Restore path: no change notifications.
  load(entry: EvseEntry): void {
    const onChange = this.onChange;
    this.onChange = undefined;
    try {
      this.set(entry.EvseID, entry.EvseStatus, entry.lastSeen);
    } finally {
      this.onChange = onChange;
    }
  }

  loadDelete(evseId: string): void {
    this.remove(evseId);
  }

  loadMeta(meta: unknown): void {
    this.metaValue = sanitizeMeta(meta);
  }

  clear(): void {
    this.index.clear();
    this.ids = [];
    this.codes = new Uint8Array(64);
    this.seen = new Float64Array(64);
    this.free.length = 0;
    this.metaValue = {};
  }

  /** The EVSE in a slot, or undefined when the slot is free. */
  entryAt(slot: number): EvseEntry | undefined {
    const id = this.ids[slot];
    return id === undefined ? undefined : { EvseID: id, EvseStatus: EVSE_STATUSES[this.codes[slot]!]!, lastSeen: this.seen[slot]! };
  }

  private remove(evseId: string): boolean {
    const slot = this.index.remove(evseId);
    if (slot < 0) return false;
    this.ids[slot] = undefined;
    this.free.push(slot);
    return true;
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.ids.length;
    this.ids.push(undefined);
    if (slot >= this.codes.length) {
      const codes = new Uint8Array(this.codes.length * 2);
      codes.set(this.codes);
      this.codes = codes;
      const seen = new Float64Array(this.seen.length * 2);
      seen.set(this.seen);
      this.seen = seen;
    }
    return slot;
  }
}

/** A view of entry objects (tests, restored lists). */
export function viewOfEntries(entries: readonly EvseEntry[]): StoreView {
  const n = entries.length;
  const ids = new Array<string | undefined>(n);
  const codes = new Uint8Array(n);
  const seen = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    ids[i] = e.EvseID;
    codes[i] = CODE.get(e.EvseStatus) ?? CODE.get('Unknown')!;
    seen[i] = e.lastSeen;
  }
  return { ids, codes, seen };
}

/** The rows of a view as entry objects. */
export function entriesOfView(view: StoreView): EvseEntry[] {
  const out: EvseEntry[] = [];
  for (let i = 0; i < view.ids.length; i++) {
    const id = view.ids[i];
    if (id !== undefined) out.push({ EvseID: id, EvseStatus: EVSE_STATUSES[view.codes[i]!]!, lastSeen: view.seen[i]! });
  }
  return out;
}

export function sanitizeMeta(value: unknown): StoreMeta {
  const out: StoreMeta = {};
  if (!value || typeof value !== 'object') return out;
  const v = value as Record<string, unknown>;
  if (typeof v.lastSuccessfulCount === 'number' && Number.isFinite(v.lastSuccessfulCount) && v.lastSuccessfulCount >= 0) {
    out.lastSuccessfulCount = v.lastSuccessfulCount;
  }
  if (v.feedback === true) out.feedback = true;
  if (typeof v.lastFullLoadAt === 'number' && Number.isFinite(v.lastFullLoadAt)) out.lastFullLoadAt = v.lastFullLoadAt;
  return out;
}
