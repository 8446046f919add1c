import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findLegacyLayout, Journal, stateHealth, type JournalIo, type JournalLoadReport, type JournalOwner } from '../journal';
import { EVSE_STATUSES } from '../oicp/schemas';
import type { EvseEntry, StatusStore, StoreChange } from './store';
import { errorOf, toEntry, type PersistenceBackend, type RestoreReport } from './persistence';

// The full load node's state on the journal engine (src/journal): `fullload.jsonl` (snapshot) and `fullload.journal`
// in the node's directory. The store keeps the values in its typed arrays; the engine keeps only the bookkeeping
// (which EVSEs changed since the last write) and reads the store when it writes. A snapshot row is
// [EvseID, [EvseStatus, lastSeen]]; a journal line is ["s", EvseID, [EvseStatus, lastSeen]] or ["d", EvseID], and
// ["s", older spelling, [EvseStatus, lastSeen, EvseID]] when the EVSE was re-spelled since.
// Before: snapshot.jsonl (header + [EvseID, status, lastSeen] rows) and journal-<seq>.jsonl files; read once and
// migrated on the first start.

const SNAPSHOT = 'fullload.jsonl';
const FORMAT = 'oicp-fullload';
const LEGACY_FORMAT = 'oicp-fullload-snapshot';

export interface FileJournalOptions {
  dir: string;
  /** Pending changes are written and fsync'ed at most this often. */
  flushIntervalMs?: number;
  /** Compact when the journal holds more than compactFactor x the live record count lines... */
  compactFactor?: number;
  /** ...and at least this many lines. */
  compactMinLines?: number;
  onError?: (err: Error) => void;
  io?: JournalIo;
}

/** The store seen by the engine: values are read from it, never copied into the engine. */
function ownerOf(store: StatusStore): JournalOwner<EvseEntry> {
  return {
    get size() {
      return store.size;
    },
    get: (key) => store.get(key),
    snapshot: function* () {
      // A copy of the rows as they are now (a pointer per row on the heap): the store keeps changing while it is written.
      const { ids, codes, seen } = store.view();
      const statuses = EVSE_STATUSES;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        if (id !== undefined) yield [id, { EvseID: id, EvseStatus: statuses[codes[i]!]!, lastSeen: seen[i]! }];
      }
    },
    loadSet: (_key, value) => store.load(value),
    loadDelete: (key) => store.loadDelete(key),
    loadClear: () => store.clear(),
  };
}

const encode = (e: EvseEntry, key: string): string =>
  e.EvseID === key ? `[${JSON.stringify(e.EvseStatus)},${e.lastSeen}]` : `[${JSON.stringify(e.EvseStatus)},${e.lastSeen},${JSON.stringify(e.EvseID)}]`;

const decode = (raw: unknown, key: string): EvseEntry | undefined => (Array.isArray(raw) ? toEntry(raw.length > 2 ? raw[2] : key, raw[0], raw[1]) : undefined);

/** Append-only journal with compaction into a snapshot, O(1) per change: the engine of src/journal. */
export class FileJournal implements PersistenceBackend {
  readonly kind = 'file' as const;
  readonly dir: string;
  readonly file: string;
  private journal: Journal<EvseEntry> | undefined;
  /** What the last restore found, also when it rejected (the contract suite, tools). */
  loadReport: JournalLoadReport | undefined;
  private store: StatusStore | undefined;
  private closing: Promise<void> | undefined;
  private closed = false;
  private readonly emptyStats = { flushes: 0, linesWritten: 0, bytesWritten: 0, compactions: 0 };

  constructor(private readonly options: FileJournalOptions) {
    this.dir = options.dir;
    this.file = path.join(this.dir, SNAPSHOT);
  }

  /** Counters for tests and status. */
  get stats(): { flushes: number; linesWritten: number; bytesWritten: number; compactions: number } {
    return this.journal?.stats ?? this.emptyStats;
  }

  /** The engine, once restore() ran (tests, the contract suite). */
  get engine(): Journal<EvseEntry> | undefined {
    return this.journal;
  }

  async restore(store: StatusStore): Promise<RestoreReport> {
    if (this.closed) return { records: 0, skipped: 0, truncated: false, warnings: [] };
    // Async on purpose: the node takes input while this waits, and a redeploy can stop it before the load.
    await fs.promises.mkdir(this.dir, { recursive: true });
    if (this.closed) return { records: 0, skipped: 0, truncated: false, warnings: [] };
    const j = new Journal<EvseEntry>({
      snapshot: this.file,
      format: FORMAT,
      owner: ownerOf(store),
      encode,
      decode,
      flushIntervalMs: this.options.flushIntervalMs ?? 250,
      compactFactor: this.options.compactFactor,
      compactMinLines: this.options.compactMinLines,
      io: this.options.io,
    });
    const owner = { kind: 'fullload' as const };
    stateHealth.watch(j, this.file, owner);
    j.on('error', (e) => this.options.onError?.(e.error));
    const r = j.load(() => this.legacy(store, j));
    this.loadReport = r;
    store.loadMeta(j.meta);
    this.journal = j;
    this.store = store;
    store.onChange = (change) => this.record(change);
    stateHealth.loaded(this.file, owner, r, j.incomplete);
    const warnings = r.warnings.slice();
    if (r.migrated) warnings.push(`the saved state in ${this.dir} was migrated to ${SNAPSHOT}`);
    if (j.incomplete) {
      // Part of what this node knew is gone: a fullLoad from the rest could delete EVSEs at Hubject.
      const d = r.damaged.map((x) => `${path.basename(x.file)}: ${x.reason}${x.movedTo ? `, moved aside as ${path.basename(x.movedTo)}` : ''}`);
      throw new Error(
        `${SNAPSHOT} in ${this.dir} is incomplete (${d.length ? d.join('; ') : `damage found earlier in ${j.incomplete.files.join(', ')}`}); ${store.size} EVSEs recovered, at least ${j.incomplete.lost} lost`,
      );
    }
    return { records: store.size, skipped: r.lost, truncated: r.tornTail, warnings };
  }

  /** The layout before the journal engine: read once, then written as a snapshot of the engine, its files removed. */
  private legacy(
    store: StatusStore,
    j: Journal<EvseEntry>,
  ): { entries: Iterable<[string, EvseEntry]>; meta?: Record<string, unknown>; files: string[] } | undefined {
    const old = findLegacyLayout(this.dir);
    if (!old) return undefined;
    const files: string[] = [];
    let covered = -1;
    if (old.snapshot) {
      const file = old.snapshot;
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      let header: { format?: unknown; seq?: unknown; count?: unknown; meta?: unknown } | undefined;
      try {
        header = JSON.parse(lines[0]!);
      } catch {
        header = undefined;
      }
      if (!header || header.format !== LEGACY_FORMAT || typeof header.seq !== 'number') {
        // Nothing in it can be trusted: set aside, and the state is incomplete.
        fs.renameSync(file, `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`);
        j.noteDamage(file, Math.max(1, lines.length - 1));
      } else {
        files.push(file);
        covered = header.seq;
        store.loadMeta(header.meta);
        let rows = 0;
        let bad = 0;
        for (let i = 1; i < lines.length; i++) {
          if (!lines[i]) continue;
          let e: EvseEntry | undefined;
          try {
            const a = JSON.parse(lines[i]!);
            e = Array.isArray(a) ? toEntry(a[0], a[1], a[2]) : undefined;
          } catch {
            e = undefined;
          }
          if (e) {
            store.load(e);
            rows++;
          } else bad++;
        }
        const count = typeof header.count === 'number' ? header.count : rows;
        if (bad || rows !== count) j.noteDamage(file, Math.max(bad, count - rows));
      }
    }
    for (const { file, seq } of old.journals) {
      files.push(file);
      if (seq <= covered) continue;
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      let last = lines.length - 1;
      while (last >= 0 && lines[last] === '') last--;
      let bad = 0;
      for (let i = 0; i <= last; i++) {
        if (!lines[i]) continue;
        let ok: boolean;
        try {
          ok = replayLegacy(store, JSON.parse(lines[i]!));
        } catch {
          ok = false;
        }
        // Every start wrote a new file: only a last line can be the torn write of a kill -9.
        if (!ok && i !== last) bad++;
      }
      if (bad) j.noteDamage(file, bad);
    }
    return { entries: [], meta: { ...store.meta }, files };
  }

  /** Called by the store for each change: O(1), the write happens later in a batch. */
  record(change: StoreChange): void {
    const j = this.journal;
    if (this.closed || !j) return;
    if (change.type === 'meta') j.setMeta({ ...change.meta });
    // Keyed by the spelling the store holds (its own string: nothing is allocated per change). Repeated changes cost
    // one line, written from the store's state then; a line under an older spelling carries the current one.
    else j.touch(change.evseId);
  }

  flush(): Promise<void> {
    return this.journal ? this.journal.flush() : Promise.resolve();
  }

  /** Writes a snapshot of the store and empties the journal. */
  compact(): Promise<void> {
    return this.journal ? this.journal.compact() : Promise.resolve();
  }

  /** The caller has the whole state again (a forced fullLoad went out): the incomplete mark goes. */
  markComplete(): void {
    if (!this.journal?.incomplete) return;
    this.journal.markComplete();
    stateHealth.complete(this.file);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    if (this.store) this.store.onChange = undefined;
    const j = this.journal;
    this.closing = j ? j.close().catch((err) => this.options.onError?.(errorOf(err))) : Promise.resolve();
    return this.closing;
  }

  async destroy(): Promise<void> {
    await this.close();
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}

function replayLegacy(store: StatusStore, a: unknown): boolean {
  if (!Array.isArray(a)) return false;
  if (a[0] === 's') {
    const entry = toEntry(a[1], a[2], a[3]);
    if (!entry) return false;
    store.load(entry);
    return true;
  }
  if (a[0] === 'd' && typeof a[1] === 'string') {
    store.loadDelete(a[1]);
    return true;
  }
  if (a[0] === 'm') {
    store.loadMeta(a[1]);
    return true;
  }
  return false;
}

/** Directory of a node's journal: <userDir>/oicp/fullload-<nodeId> (~/.node-red without a userDir). */
export function journalDir(userDir: string | undefined, nodeId: string): string {
  const base = userDir || path.join(os.homedir(), '.node-red');
  return path.join(base, 'oicp', `fullload-${String(nodeId).replace(/[^A-Za-z0-9._-]/g, '_')}`);
}
