import { evseKey } from '../oicp/ids';
import { EVSE_STATUSES, type EvseStatus } from '../oicp/schemas';

/** One EVSE as the store keeps it. Entries are never mutated, so a copied list is a consistent snapshot. */
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

export type StoreChange =
  | { type: 'set'; key: string; entry: EvseEntry }
  | { type: 'delete'; key: string }
  | { type: 'meta'; meta: StoreMeta };

export interface StatusStoreOptions {
  /**
   * A repeated report with the same status and spelling is passed to the persistence
   * layer only when lastSeen crosses into a new bucket of this size, so heartbeats do
   * not flood the journal. Staleness is measured in days, a minute of slack is harmless.
   */
  seenResolutionMs?: number;
}

// Canonical status strings, so 100,000 entries share six strings instead of holding copies.
const CANONICAL = new Map<string, EvseStatus>(EVSE_STATUSES.map((s) => [s, s]));

/** Latest status of every EVSE, keyed by evseKey (case and optional '*' ignored). All operations are O(1). */
export class StatusStore {
  private readonly map = new Map<string, EvseEntry>();
  private metaValue: StoreMeta = {};
  private readonly resolution: number;
  /** Set by the persistence layer; called for every change that must be saved. */
  onChange: ((change: StoreChange) => void) | undefined;

  constructor(options: StatusStoreOptions = {}) {
    this.resolution = Math.max(1, options.seenResolutionMs ?? 60_000);
  }

  get size(): number {
    return this.map.size;
  }

  get meta(): Readonly<StoreMeta> {
    return this.metaValue;
  }

  get(evseId: string): EvseEntry | undefined {
    return this.map.get(evseKey(evseId));
  }

  /** The entry under an evseKey (as in StoreChange.key), without normalising it again. */
  entryByKey(key: string): EvseEntry | undefined {
    return this.map.get(key);
  }

  has(evseId: string): boolean {
    return this.map.has(evseKey(evseId));
  }

  values(): IterableIterator<EvseEntry> {
    return this.map.values();
  }

  /** A copy of all entries (O(n), cheap: references only). */
  snapshot(): EvseEntry[] {
    return Array.from(this.map.values());
  }

  /** Records a report. evseId and status must already be validated. */
  set(evseId: string, status: EvseStatus, now: number): EvseEntry {
    const key = evseKey(evseId);
    const prev = this.map.get(key);
    const entry: EvseEntry = { EvseID: evseId, EvseStatus: CANONICAL.get(status) ?? status, lastSeen: now };
    this.map.set(key, entry);
    const significant =
      !prev ||
      prev.EvseStatus !== entry.EvseStatus ||
      prev.EvseID !== entry.EvseID ||
      Math.floor(prev.lastSeen / this.resolution) !== Math.floor(now / this.resolution);
    if (significant && this.onChange) this.onChange({ type: 'set', key, entry });
    return entry;
  }

  delete(evseId: string): boolean {
    const key = evseKey(evseId);
    const had = this.map.delete(key);
    if (had && this.onChange) this.onChange({ type: 'delete', key });
    return had;
  }

  setMeta(patch: StoreMeta): void {
    this.metaValue = { ...this.metaValue, ...patch };
    if (this.onChange) this.onChange({ type: 'meta', meta: this.metaValue });
  }

  // Restore path: no change notifications.
  load(entry: EvseEntry): void {
    this.map.set(evseKey(entry.EvseID), {
      EvseID: entry.EvseID,
      EvseStatus: CANONICAL.get(entry.EvseStatus) ?? entry.EvseStatus,
      lastSeen: entry.lastSeen,
    });
  }

  loadDelete(key: string): void {
    this.map.delete(evseKey(key));
  }

  loadMeta(meta: unknown): void {
    this.metaValue = sanitizeMeta(meta);
  }

  clear(): void {
    this.map.clear();
    this.metaValue = {};
  }
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
