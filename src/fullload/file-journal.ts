import { promises as fsp } from 'fs';
import * as path from 'path';
import { EVSE_STATUSES } from '../oicp/schemas';
import { fsyncDir, writeAtomic } from '../oicp/durable';
import type { StatusStore, StoreChange } from './store';
import { SerialOps, Slicer, toEntry, type PersistenceBackend, type RestoreReport } from './persistence';

// Layout of the directory:
//   snapshot.jsonl        header line {format, version, seq, count, meta}, then one [EvseID, status, lastSeen] per line.
//                         It holds every change of the journals up to and including `seq`.
//   journal-<seq>.jsonl   one change per line: ["s", EvseID, status, lastSeen] | ["d", EvseID] | ["m", meta].
// Restore = snapshot + replay of the journals with a higher seq, in order. Every process start writes a
// new journal file, so a line cut short by kill -9 is always the last line of its file and is skipped.

const SNAPSHOT = 'snapshot.jsonl';
const SNAPSHOT_TMP = 'snapshot.jsonl.tmp';
const JOURNAL = /^journal-(\d+)\.jsonl$/;
const FORMAT = 'oicp-fullload-snapshot';
// Lines per write: about 50 kB, small enough to stay out of V8's large-object space.
const CHUNK = 1000;

export interface FileJournalOptions {
  dir: string;
  /** Pending changes are written and fsync'ed at most this often. */
  flushIntervalMs?: number;
  /** Compact when the journals since the snapshot hold more than compactFactor x the live record count lines... */
  compactFactor?: number;
  /** ...and at least this many lines. */
  compactMinLines?: number;
  onError?: (err: Error) => void;
}

/** Thrown inside a snapshot write when the journal closes meanwhile: the write is dropped, not an error. */
class CompactionAborted extends Error {}

/** Append-only journal with periodic compaction into a snapshot. O(1) per change. */
export class FileJournal implements PersistenceBackend {
  readonly kind = 'file' as const;
  readonly dir: string;
  private readonly flushInterval: number;
  private readonly compactFactor: number;
  private readonly compactMin: number;
  private store: StatusStore | undefined;
  // Changed since the last write: store slots, and EvseIDs deleted. Lines are made from the store's current state
  // when written, so a burst of 100,000 changes holds no line strings for the flush interval, and repeated changes
  // of one EVSE cost one line.
  private pending = new Set<number>();
  private deleted = new Set<string>();
  private metaPending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;
  private fh: import('fs').promises.FileHandle | undefined;
  private linesSinceSnapshot = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** File operations one after another. Errors go to onError, one message per failure streak, except a restore's: its caller gets those. */
  private readonly ops: SerialOps;
  // After a failed compaction (disk full, say), wait before trying again instead of on every flush.
  private compactNotBefore = 0;
  /** Counters for tests and status. */
  readonly stats = { flushes: 0, linesWritten: 0, compactions: 0 };

  constructor(private readonly options: FileJournalOptions) {
    this.dir = options.dir;
    this.flushInterval = options.flushIntervalMs ?? 250;
    this.compactFactor = options.compactFactor ?? 2;
    this.compactMin = options.compactMinLines ?? 1000;
    this.ops = new SerialOps(options.onError);
  }

  restore(store: StatusStore): Promise<RestoreReport> {
    return this.ops.restore(() => this.load(store));
  }

  private async load(store: StatusStore): Promise<RestoreReport> {
    const report: RestoreReport = { records: 0, skipped: 0, truncated: false, warnings: [] };
    const slicer = new Slicer();
    await fsp.mkdir(this.dir, { recursive: true });
    const names = await fsp.readdir(this.dir);
    if (names.includes(SNAPSHOT_TMP)) await fsp.rm(path.join(this.dir, SNAPSHOT_TMP), { force: true });

    let covered = -1;
    if (names.includes(SNAPSHOT)) {
      const text = await fsp.readFile(path.join(this.dir, SNAPSHOT), 'utf8');
      const lines = text.split('\n');
      let header: { format?: unknown; seq?: unknown; count?: unknown; meta?: unknown };
      try {
        header = JSON.parse(lines[0]);
      } catch {
        throw new Error(`${SNAPSHOT} in ${this.dir} has no valid header line; move it away to start empty`);
      }
      if (header.format !== FORMAT || typeof header.seq !== 'number') {
        throw new Error(`${SNAPSHOT} in ${this.dir} is not a fullLoad snapshot`);
      }
      covered = header.seq;
      store.loadMeta(header.meta);
      let rows = 0;
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i];
        if (line === '') continue;
        let entry;
        try {
          const a = JSON.parse(line);
          entry = Array.isArray(a) ? toEntry(a[0], a[1], a[2]) : undefined;
        } catch {
          entry = undefined;
        }
        if (entry) {
          store.load(entry);
          rows++;
        } else report.skipped++;
        if ((i & 0x3ff) === 0) await slicer.maybeYield();
        if (this.closed) return report;
      }
      if (typeof header.count === 'number' && header.count !== rows) {
        report.warnings.push(`${SNAPSHOT} announced ${header.count} records but held ${rows}`);
      }
    }

    const journals = names
      .map((n) => JOURNAL.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[0], seq: Number(m[1]) }))
      .sort((a, b) => a.seq - b.seq);
    let maxSeq = covered;
    for (const j of journals) {
      maxSeq = Math.max(maxSeq, j.seq);
      const file = path.join(this.dir, j.name);
      if (j.seq <= covered) {
        // Left over from a compaction that ended before its cleanup.
        await fsp.rm(file, { force: true });
        continue;
      }
      const lines = (await fsp.readFile(file, 'utf8')).split('\n');
      let last = lines.length - 1;
      while (last >= 0 && lines[last] === '') last--;
      for (let i = 0; i <= last; i++) {
        const line = lines[i];
        if (line === '') continue;
        this.linesSinceSnapshot++;
        let ok: boolean;
        try {
          ok = this.replay(store, JSON.parse(line));
        } catch {
          ok = false;
        }
        if (!ok) {
          if (i === last) report.truncated = true;
          else report.skipped++;
        }
        if ((i & 0x3ff) === 0) await slicer.maybeYield();
        if (this.closed) return report;
      }
    }
    if (report.skipped) report.warnings.push(`${report.skipped} unreadable lines skipped in ${this.dir}`);
    this.seq = maxSeq + 1;
    this.store = store;
    store.onChange = (change) => this.record(change);
    report.records = store.size;
    if (this.shouldCompact() || (journals.length > 4 && this.linesSinceSnapshot > 0)) {
      // Right after the restore, not inside it: the node takes input sooner, and a deploy that stops it at once
      // does not have to wait for a snapshot's fsyncs.
      void this.ops.enqueue(() => this.compactNow()).catch(() => undefined);
    }
    return report;
  }

  private replay(store: StatusStore, a: unknown): boolean {
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

  /** Called by the store for each change: O(1), the write happens later in a batch. */
  record(change: StoreChange): void {
    if (this.closed) return;
    if (change.type === 'meta') this.metaPending = true;
    else if (change.type === 'set') this.pending.add(change.slot);
    else this.deleted.add(change.evseId);
    this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.ops.enqueue(() => this.writePending());
    }, this.flushInterval);
  }

  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return this.ops.enqueue(() => this.writePending());
  }

  private async openJournal(): Promise<import('fs').promises.FileHandle> {
    if (!this.fh) {
      this.fh = await fsp.open(path.join(this.dir, `journal-${this.seq}.jsonl`), 'a');
      await fsyncDir(this.dir);
    }
    return this.fh;
  }

  private async writePending(): Promise<void> {
    const store = this.store;
    if ((this.pending.size === 0 && this.deleted.size === 0 && !this.metaPending) || !store) return;
    const slots = this.pending;
    const deleted = this.deleted;
    const meta = this.metaPending;
    this.pending = new Set();
    this.deleted = new Set();
    this.metaPending = false;
    let lines = 0;
    try {
      const fh = await this.openJournal();
      let text = '';
      // Deletes first: an EVSE deleted and reported again since the last write ends up set.
      for (const id of deleted) {
        text += JSON.stringify(['d', id]) + '\n';
        lines++;
      }
      // A slot changed again meanwhile is also in the new pending set: its later state gets a later line.
      for (const slot of slots) {
        const e = store.entryAt(slot);
        if (!e) continue; // deleted since: its 'd' line is written
        text += JSON.stringify(['s', e.EvseID, e.EvseStatus, e.lastSeen]) + '\n';
        if (++lines % CHUNK === 0) {
          await fh.write(text);
          text = '';
        }
      }
      if (meta) {
        text += JSON.stringify(['m', store.meta]) + '\n';
        lines++;
      }
      if (text) await fh.write(text);
      await fh.datasync();
    } catch (err) {
      // Write them again, in a fresh file, so a half-written line stays the last line of its file.
      for (const slot of slots) this.pending.add(slot);
      for (const id of deleted) this.deleted.add(id);
      if (meta) this.metaPending = true;
      const fh = this.fh;
      this.fh = undefined;
      this.seq++;
      if (fh) await fh.close().catch(() => undefined);
      if (!this.closed) this.armRetry();
      throw err;
    }
    this.ops.succeeded();
    this.stats.flushes++;
    this.stats.linesWritten += lines;
    this.linesSinceSnapshot += lines;
    if (!this.closed && this.shouldCompact()) await this.compactNow();
  }

  private armRetry(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.ops.enqueue(() => this.writePending());
      },
      Math.max(this.flushInterval, 1000),
    );
  }

  private shouldCompact(): boolean {
    const size = this.store ? this.store.size : 0;
    if (Date.now() < this.compactNotBefore) return false;
    return this.linesSinceSnapshot > Math.max(this.compactMin, this.compactFactor * size);
  }

  /** Writes a snapshot of the store and drops the journals it covers. */
  compact(): Promise<void> {
    return this.ops.enqueue(() => this.compactNow());
  }

  private async compactNow(): Promise<void> {
    const store = this.store;
    if (!store || this.closed) return;
    // Rotate: changes from now on go to the next journal; the snapshot covers this one and older.
    const covered = this.seq;
    const fh = this.fh;
    this.fh = undefined;
    this.seq = covered + 1;
    if (fh) await fh.close();
    // This copy is the state at the rotation. Changes still pending are in
    // the copy and will also be written to the new journal; replaying them twice is harmless.
    const { ids, codes, seen } = store.view();
    const meta = store.meta;
    const savedLines = this.linesSinceSnapshot;
    this.linesSinceSnapshot = 0;
    const slicer = new Slicer();
    const closed = () => this.closed;
    async function* lines(): AsyncGenerator<string, void, void> {
      let count = 0;
      for (const id of ids) if (id !== undefined) count++;
      const header = { format: FORMAT, version: 1, seq: covered, count, meta, savedAt: Date.now() };
      yield JSON.stringify(header) + '\n';
      for (let i = 0; i < ids.length; i += CHUNK) {
        if (closed()) throw new CompactionAborted(); // close must stay fast; the journals are still complete
        const end = Math.min(i + CHUNK, ids.length);
        let text = '';
        for (let j = i; j < end; j++) {
          const id = ids[j];
          if (id !== undefined) text += JSON.stringify([id, EVSE_STATUSES[codes[j]!], seen[j]]) + '\n';
        }
        yield text;
        await slicer.maybeYield();
      }
    }
    try {
      await writeAtomic(path.join(this.dir, SNAPSHOT), lines(), { tmp: path.join(this.dir, SNAPSHOT_TMP) });
    } catch (err) {
      this.linesSinceSnapshot += savedLines;
      if (err instanceof CompactionAborted) return;
      if (!this.closed) this.compactNotBefore = Date.now() + 60_000;
      throw err;
    }
    await fsyncDir(this.dir);
    for (const name of await fsp.readdir(this.dir)) {
      const m = JOURNAL.exec(name);
      if (m && Number(m[1]) <= covered) await fsp.rm(path.join(this.dir, name), { force: true });
    }
    this.stats.compactions++;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.store) this.store.onChange = undefined;
    this.closing = this.ops
      .enqueue(async () => {
        await this.writePending();
        const fh = this.fh;
        this.fh = undefined;
        if (fh) await fh.close();
      })
      .catch((err) => this.ops.report(err));
    return this.closing;
  }

  async destroy(): Promise<void> {
    await this.close();
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
