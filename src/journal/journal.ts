// One snapshot-plus-journal engine for every store under <userDir>/oicp: keyed entries in insertion order, an
// append-only journal (O(1) per change), compaction into a snapshot, and a load that never throws on damage.
//
//   snapshot  header {format, version: 2, seq, count, meta, incomplete?}, then one [key, value] per line. Written
//             atomically (temp, fsync, rename, fsync dir); `count` is compared with the lines read.
//   journal   a fixed-width header line `oicp-journal 2 synced=<16 digits>` rewritten in place after each fsync, then
//             one `<seq> <crc32> <json>` per change: ["s", key, value] | ["d", key] | ["c"] | ["m", meta].
//             seq continues the snapshot's. A bad line before the synced length, or a seq gap, is damage in the
//             middle; a bad last line past the synced length is the torn tail of a write that kill -9 cut short.
// What cannot be read is renamed aside as `<file>.damaged-<time>`; the readable prefix is kept and written back,
// and the state stays `incomplete` (persisted in the snapshot) until the caller says it is whole again.
import * as path from 'node:path';
import { crc32 } from './crc32';
import { nodeIo, type JournalHandle, type JournalIo } from './io';

const JOURNAL_MAGIC = 'oicp-journal 2 synced=';
const HEADER_LEN = JOURNAL_MAGIC.length + 16 + 1;
// Under 128 kB: pieces stay out of V8's large-object space.
const CHUNK_CHARS = 48 * 1024;

/**
 * The values held by their owner instead of the engine (a store with its own compact layout, e.g. typed arrays):
 * the engine keeps only journal bookkeeping and asks the owner for a value when it writes, and for a consistent
 * copy of every entry when it compacts. A load hands what it reads to the owner.
 */
export interface JournalOwner<V> {
  readonly size: number;
  get(key: string): V | undefined;
  /** Every entry as it is now; iterated later, while the store keeps changing, so it must be a copy. */
  snapshot(): Iterable<[string, V]>;
  loadSet(key: string, value: V): void;
  loadDelete(key: string): void;
  loadClear(): void;
}

export interface JournalOptions<V> {
  /** The snapshot file; the journal is `<snapshot without .jsonl>.journal`, unless `journal` names it. */
  snapshot: string;
  journal?: string;
  /** Written into the snapshot header and checked on load. */
  format: string;
  /** A stored value back from its parsed JSON, or undefined when unusable (damage inside a line that parses). */
  decode?: (raw: unknown, key: string) => V | undefined;
  /** A value as JSON text (default JSON.stringify); the key is the one it is written under. */
  encode?: (value: V, key: string) => string;
  /** The owner of the values (see JournalOwner); without one the engine keeps its own copy. */
  owner?: JournalOwner<V>;
  /** Compact when the journal holds more than compactFactor x size lines, and at least compactMinLines. */
  compactFactor?: number;
  compactMinLines?: number;
  /** With a value, changes are written this long after they happen; without, only by flush(). */
  flushIntervalMs?: number;
  /** A failed write is retried after this long (default 1 s), in the same journal file. */
  retryMs?: number;
  io?: JournalIo;
  now?: () => number;
}

/** The first failed write of a streak: the path and the real error (EROFS, EACCES, ENOSPC, EIO...). */
export interface JournalWriteError {
  path: string;
  code: string;
  message: string;
  at: number;
}

export interface JournalDamage {
  file: string;
  /** Where the damaged file now is (undefined when it could not be renamed). */
  movedTo?: string;
  reason: string;
}

export interface JournalLoadReport {
  /** Entries held after the load. */
  recovered: number;
  /** Entries or journal lines known to be lost (at least this many). */
  lost: number;
  /** The last journal line was cut short by a crash while it was written: dropped (its change was never synced). */
  tornTail: boolean;
  damaged: JournalDamage[];
  /** State from an older format was read and will be rewritten in the new one. */
  migrated: boolean;
  /** The state is not whole: damage found now or on an earlier load, and not yet cleared by markComplete(). */
  incomplete: boolean;
  warnings: string[];
}

export interface IncompleteMark {
  since: number;
  files: string[];
  lost: number;
}

class CompactionAborted extends Error {}

type JournalEvents = { error: [JournalWriteError & { error: Error }]; recovered: [] };

const isoForFile = (ms: number): string => new Date(ms).toISOString().replace(/[:.]/g, '-');

function codeOf(err: unknown): string {
  return ((err as NodeJS.ErrnoException)?.code as string | undefined) ?? 'EUNKNOWN';
}

function headerLine(synced: number): string {
  return `${JOURNAL_MAGIC}${String(synced).padStart(16, '0')}\n`;
}

export class Journal<V> {
  readonly snapshotFile: string;
  readonly journalFile: string;
  readonly dir: string;
  private readonly format: string;
  private readonly decode: (raw: unknown, key: string) => V | undefined;
  private readonly encode: (value: V, key: string) => string;
  private readonly compactFactor: number;
  private readonly compactMin: number;
  private readonly flushInterval: number | undefined;
  private readonly retryMs: number;
  private readonly io: JournalIo;
  private readonly now: () => number;
  private readonly map: JournalOwner<V>;
  private metaValue: Record<string, unknown> = {};
  private incompleteMark: IncompleteMark | null = null;

  /** Changed keys since the last write (a key deleted then set again is written once, as set). */
  private pendingKeys = new Set<string>();
  /** Lines of the journal write in flight (their seqs are taken). */
  private inFlightLines = 0;
  private pendingClear = false;
  private pendingMeta = false;
  private rewrite = false;
  private seq = 0;
  private fh: JournalHandle | undefined;
  /** Bytes of the journal that are written and synced; writes go here, so a failed one is overwritten on retry. */
  private offset = 0;
  private linesInJournal = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private listeners: { [K in keyof JournalEvents]: Array<(...a: JournalEvents[K]) => void> } = { error: [], recovered: [] };
  /** Set while writes fail; cleared by the next successful write. */
  writeError: JournalWriteError | null = null;
  /** Failed writes since start (the metric counts them). */
  writeErrors = 0;
  readonly stats = { flushes: 0, linesWritten: 0, bytesWritten: 0, compactions: 0 };

  constructor(options: JournalOptions<V>) {
    this.snapshotFile = options.snapshot;
    this.journalFile = options.journal ?? `${options.snapshot.replace(/\.jsonl$/, '')}.journal`;
    this.dir = path.dirname(this.snapshotFile);
    this.format = options.format;
    this.decode = options.decode ?? ((raw: unknown) => (raw === undefined || raw === null ? undefined : (raw as V)));
    this.encode = options.encode ?? ((v: V) => JSON.stringify(v));
    this.compactFactor = options.compactFactor ?? 2;
    this.compactMin = options.compactMinLines ?? 1000;
    this.flushInterval = options.flushIntervalMs;
    this.retryMs = options.retryMs ?? 1000;
    this.io = options.io ?? nodeIo;
    this.now = options.now ?? Date.now;
    this.map = options.owner ?? ownMap<V>();
  }

  on<K extends keyof JournalEvents>(event: K, fn: (...a: JournalEvents[K]) => void): this {
    (this.listeners[event] as Array<(...a: JournalEvents[K]) => void>).push(fn);
    return this;
  }

  private emit<K extends keyof JournalEvents>(event: K, ...args: JournalEvents[K]): void {
    for (const fn of this.listeners[event] as Array<(...a: JournalEvents[K]) => void>) fn(...args);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State

  get size(): number {
    return this.map.size;
  }
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  has(key: string): boolean {
    return this.map.get(key) !== undefined;
  }
  keys(): IterableIterator<string> {
    return this.own().keys();
  }
  values(): IterableIterator<V> {
    return this.own().values();
  }
  entries(): IterableIterator<[string, V]> {
    return this.own().entries();
  }
  private own(): Map<string, V> {
    const m = (this.map as OwnMap<V>).m;
    if (!m) throw new Error('the values of this journal are held by its owner');
    return m;
  }
  get meta(): Readonly<Record<string, unknown>> {
    return this.metaValue;
  }
  /** Damage seen on this or an earlier load that markComplete() has not cleared. */
  get incomplete(): IncompleteMark | null {
    return this.incompleteMark;
  }

  set(key: string, value: V): void {
    this.map.loadSet(key, value);
    this.pendingKeys.add(key);
    this.arm();
  }

  delete(key: string): boolean {
    if (this.map.get(key) === undefined) return false;
    this.map.loadDelete(key);
    this.pendingKeys.add(key);
    this.arm();
    return true;
  }

  /** An owner's entry changed (set or deleted): it is written with the next flush, as the owner holds it then. */
  touch(key: string): void {
    this.pendingKeys.add(key);
    this.arm();
  }

  /** Drops every entry (one journal line). */
  clear(): void {
    this.map.loadClear();
    this.pendingKeys.clear();
    this.pendingClear = true;
    this.arm();
  }

  setMeta(meta: Record<string, unknown>): void {
    this.metaValue = meta;
    this.pendingMeta = true;
    this.arm();
  }

  /** A caller found damage the engine could not see (e.g. in an older format it migrated): the state is incomplete. */
  noteDamage(file: string, lost: number): void {
    const prev = this.incompleteMark;
    this.incompleteMark = {
      since: prev?.since ?? this.now(),
      files: [...new Set([...(prev?.files ?? []), path.basename(file)])],
      lost: (prev?.lost ?? 0) + lost,
    };
    this.rewrite = true;
  }

  /** The caller has the whole state again (e.g. Hubject acknowledged a full set): the incomplete mark goes. */
  markComplete(): void {
    if (!this.incompleteMark) return;
    this.incompleteMark = null;
    this.rewrite = true;
    this.arm();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Load

  /**
   * Reads the snapshot and the journal. Never throws on damage: what cannot be read is renamed aside and counted.
   * `legacy` reads an older format when there is no snapshot yet; what it returns is written in the new one.
   */
  load(
    legacy?: () => { entries: Iterable<[string, V]>; meta?: Record<string, unknown>; files: string[] } | undefined,
    opts: { readOnly?: boolean } = {},
  ): JournalLoadReport {
    const report: JournalLoadReport = { recovered: 0, lost: 0, tornTail: false, damaged: [], migrated: false, incomplete: false, warnings: [] };
    let snapSeq = -1;
    let snapText: string | undefined;
    try {
      snapText = this.io.readFileSync(this.snapshotFile)?.toString('utf8');
    } catch (err) {
      report.warnings.push(`${this.snapshotFile} could not be read: ${(err as Error).message}`);
      report.damaged.push({ file: this.snapshotFile, reason: (err as Error).message });
    }
    if (snapText !== undefined) snapSeq = this.loadSnapshot(snapText, report);
    else if (legacy && !report.damaged.length) {
      const old = legacy();
      if (old) {
        for (const [k, v] of old.entries) this.map.loadSet(k, v);
        if (old.meta) this.metaValue = old.meta;
        report.migrated = true;
        this.rewrite = true;
        for (const f of old.files) this.retire(f);
      }
    }
    this.seq = snapSeq < 0 ? 0 : snapSeq;
    let journal: Buffer | undefined;
    try {
      journal = this.io.readFileSync(this.journalFile);
    } catch (err) {
      report.damaged.push({ file: this.journalFile, reason: (err as Error).message });
    }
    if (journal && journal.length) {
      this.loadJournal(journal, snapSeq, report);
      // The next open empties the journal: a snapshot must hold its lines first.
      if (journal.length > HEADER_LEN) this.rewrite = true;
    }
    if (opts.readOnly) {
      // A look from outside (tests, tools): nothing is renamed or written.
      report.incomplete = this.incompleteMark !== null || report.damaged.length > 0;
      report.recovered = this.map.size;
      this.closed = true;
      return report;
    }
    if (report.damaged.length) {
      const at = this.now();
      for (const d of report.damaged) d.movedTo = this.moveAside(d.file, at, report);
      const prev = this.incompleteMark;
      this.incompleteMark = {
        since: prev?.since ?? at,
        files: [...new Set([...(prev?.files ?? []), ...report.damaged.map((d) => path.basename(d.file))])],
        lost: (prev?.lost ?? 0) + report.lost,
      };
      // The readable prefix becomes the new snapshot at once, so the next start does not meet the damage again.
      this.rewrite = true;
    }
    report.incomplete = this.incompleteMark !== null;
    report.recovered = this.map.size;
    // Damage and a migration are written at once: the next start must meet neither the damage nor the old files.
    if (report.damaged.length || report.migrated) {
      try {
        this.compactSync();
      } catch (err) {
        this.failed(err, this.snapshotFile);
      }
    }
    // Lines of an earlier run go into a snapshot soon (stores with a flush interval; others with their next save).
    if (this.rewrite) this.arm();
    return report;
  }

  private loadSnapshot(text: string, report: JournalLoadReport): number {
    const file = this.snapshotFile;
    const nl = text.indexOf('\n');
    let header: { format?: unknown; version?: unknown; seq?: unknown; count?: unknown; meta?: unknown; incomplete?: unknown } | undefined;
    try {
      header = JSON.parse(nl < 0 ? text : text.slice(0, nl));
    } catch {
      header = undefined;
    }
    if (!header || header.format !== this.format || header.version !== 2 || typeof header.seq !== 'number') {
      report.damaged.push({ file, reason: 'no valid header line' });
      report.warnings.push(`${file} has no valid header: nothing in it can be trusted`);
      // Lines that parse are kept anyway: more of what Hubject holds is better than none.
      if (nl >= 0) report.lost += this.readRows(text, nl + 1).bad;
      return -1;
    }
    if (header.meta && typeof header.meta === 'object') this.metaValue = header.meta as Record<string, unknown>;
    const inc = header.incomplete as IncompleteMark | undefined;
    if (inc && typeof inc === 'object' && typeof inc.since === 'number')
      this.incompleteMark = { since: inc.since, files: Array.isArray(inc.files) ? inc.files : [], lost: Number(inc.lost) || 0 };
    const { rows, bad } = this.readRows(text, nl < 0 ? text.length : nl + 1);
    const count = typeof header.count === 'number' ? header.count : rows;
    if (bad || rows !== count) {
      const lost = Math.max(bad, count - rows);
      report.lost += lost;
      report.damaged.push({ file, reason: `header announced ${count} entries, ${rows} read, ${bad} unreadable` });
      report.warnings.push(`${file}: header announced ${count} entries but ${rows} could be read`);
    }
    return header.seq;
  }

  private readRows(text: string, from: number): { rows: number; bad: number } {
    let rows = 0;
    let bad = 0;
    let pos = from;
    while (pos < text.length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      const line = text.slice(pos, end);
      pos = end + 1;
      if (!line) continue;
      let ok = false;
      try {
        const a = JSON.parse(line) as unknown;
        const v = Array.isArray(a) && typeof a[0] === 'string' ? this.decode(a[1], a[0]) : undefined;
        if (v !== undefined) {
          this.map.loadSet((a as string[])[0]!, v);
          ok = true;
        }
      } catch {
        ok = false;
      }
      if (ok) rows++;
      else bad++;
    }
    return { rows, bad };
  }

  private loadJournal(buf: Buffer, snapSeq: number, report: JournalLoadReport): void {
    const file = this.journalFile;
    const head = buf.subarray(0, HEADER_LEN).toString('latin1');
    if (!head.startsWith(JOURNAL_MAGIC) || head[HEADER_LEN - 1] !== '\n' || !/^\d{16}$/.test(head.slice(JOURNAL_MAGIC.length, -1))) {
      report.damaged.push({ file, reason: 'no valid journal header' });
      report.lost += buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l).length;
      return;
    }
    const synced = Number(head.slice(JOURNAL_MAGIC.length, -1));
    let pos = HEADER_LEN;
    let expected = -1;
    let goodEnd = HEADER_LEN;
    let badAt = -1;
    let badReason = '';
    while (pos < buf.length) {
      let end = buf.indexOf(10, pos);
      const complete = end >= 0;
      if (!complete) end = buf.length;
      const lineStart = pos;
      const line = buf.subarray(pos, end).toString('utf8');
      pos = end + 1;
      const entry = complete ? this.parseLine(line) : undefined;
      if (!entry) {
        badAt = lineStart;
        badReason = complete ? 'an unreadable line' : 'a line cut short';
        break;
      }
      if (entry.seq <= snapSeq) {
        // Written before the snapshot that covers it (a compaction stopped before it emptied the journal).
        goodEnd = pos;
        continue;
      }
      if (expected >= 0 && entry.seq !== expected) {
        badAt = lineStart;
        badReason = `entry ${entry.seq} where ${expected} was due`;
        break;
      }
      if (expected < 0 && snapSeq >= 0 && entry.seq !== snapSeq + 1) {
        badAt = lineStart;
        badReason = `entry ${entry.seq} where ${snapSeq + 1} was due`;
        break;
      }
      expected = entry.seq + 1;
      this.seq = entry.seq;
      this.apply(entry.op);
      this.linesInJournal++;
      goodEnd = pos;
    }
    if (badAt < 0) {
      if (goodEnd < synced) {
        report.damaged.push({ file, reason: `cut at ${buf.length} bytes, ${synced} were written and synced` });
        report.lost += 1;
        report.warnings.push(`${file} is shorter than what was synced to it: its end was lost`);
      }
      return;
    }
    const rest = buf
      .subarray(badAt)
      .toString('utf8')
      .split('\n')
      .filter((l) => l).length;
    if (badAt >= synced && rest <= 1) {
      // Past the synced length, nothing after it: the write kill -9 interrupted. Its change was never durable.
      report.tornTail = true;
      report.warnings.push(`${file}: a torn last line (${buf.length - badAt} bytes past the last sync) was dropped`);
      return;
    }
    report.lost += rest;
    report.damaged.push({ file, reason: `${badReason} at byte ${badAt}; ${rest} lines after it not applied` });
    report.warnings.push(`${file}: ${badReason} at byte ${badAt}; ${rest} lines from there on were not applied`);
  }

  private parseLine(line: string): { seq: number; op: unknown[] } | undefined {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    if (a <= 0 || b <= a) return undefined;
    const seq = Number(line.slice(0, a));
    const crc = line.slice(a + 1, b);
    const json = line.slice(b + 1);
    if (!Number.isInteger(seq) || crc !== crc32(`${seq} ${json}`)) return undefined;
    try {
      const op = JSON.parse(json) as unknown;
      return Array.isArray(op) ? { seq, op } : undefined;
    } catch {
      return undefined;
    }
  }

  private apply(op: unknown[]): void {
    const kind = op[0];
    if (kind === 's' && typeof op[1] === 'string') {
      const v = this.decode(op[2], op[1]);
      if (v !== undefined) this.map.loadSet(op[1], v);
    } else if (kind === 'd' && typeof op[1] === 'string') this.map.loadDelete(op[1]);
    else if (kind === 'c') this.map.loadClear();
    else if (kind === 'm' && op[1] && typeof op[1] === 'object') this.metaValue = op[1] as Record<string, unknown>;
  }

  private moveAside(file: string, at: number, report: JournalLoadReport): string | undefined {
    const to = `${file}.damaged-${isoForFile(at)}`;
    try {
      this.io.renameSync(file, to);
      return to;
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return undefined;
      report.warnings.push(`${file} could not be renamed aside: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** A file of an older format that was migrated: kept beside as `<file>.migrated` until the new state is written. */
  private retire(file: string): void {
    this.retired.push(file);
  }
  private retired: string[] = [];

  // ---------------------------------------------------------------------------------------------------------------
  // Write

  private arm(): void {
    if (this.flushInterval !== undefined) this.flushAfter(this.flushInterval);
  }

  private armRetry(): void {
    this.flushAfter(this.retryMs);
  }

  private flushAfter(ms: number): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined);
    }, ms);
    this.timer.unref?.();
  }

  /** Whether anything waits to be written. */
  get dirty(): boolean {
    return this.rewrite || this.pendingClear || this.pendingMeta || this.pendingKeys.size > 0;
  }

  /**
   * Writes every change so far and resolves when it is durable. A failure rejects, is reported once per streak
   * ('error'), keeps the changes pending and retries later in the same file; the state in memory stays.
   */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const run = this.chain.then(() => this.writePending());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Writes a snapshot now and empties the journal. */
  compact(): Promise<void> {
    this.rewrite = true;
    return this.flush();
  }

  private takePending(): { keys: Set<string>; clear: boolean; meta: boolean } {
    const p = { keys: this.pendingKeys, clear: this.pendingClear, meta: this.pendingMeta };
    this.pendingKeys = new Set();
    this.pendingClear = false;
    this.pendingMeta = false;
    return p;
  }

  private restorePending(p: { keys: Set<string>; clear: boolean; meta: boolean }): void {
    for (const k of p.keys) this.pendingKeys.add(k);
    if (p.clear) this.pendingClear = true;
    if (p.meta) this.pendingMeta = true;
  }

  /**
   * The journal lines for the pending changes, with their sequence numbers and checksums, a chunk at a time: a
   * burst of 100,000 changes is never held as text at once. Values are read when their chunk is made; a key changed
   * meanwhile is pending again and gets a later line.
   */
  private *linesFor(p: { keys: Set<string>; clear: boolean; meta: boolean }): Generator<string> {
    let text = '';
    let seq = this.seq;
    const line = (json: string) => {
      seq++;
      return `${seq} ${crc32(`${seq} ${json}`)} ${json}\n`;
    };
    if (p.clear) text += line('["c"]');
    for (const k of p.keys) {
      const v = this.map.get(k);
      text += line(v === undefined ? `["d",${JSON.stringify(k)}]` : `["s",${JSON.stringify(k)},${this.encode(v, k)}]`);
      if (text.length >= CHUNK_CHARS) {
        yield text;
        text = '';
      }
    }
    if (p.meta) text += line(`["m",${JSON.stringify(this.metaValue)}]`);
    if (text) yield text;
  }

  private async writePending(): Promise<void> {
    if (this.closed) return;
    if (this.rewrite) return this.compactAsync();
    if (!this.pendingKeys.size && !this.pendingClear && !this.pendingMeta) return;
    const p = this.takePending();
    // One line per pending key (set or delete), one for a clear, one for meta: known before any is made.
    const lines = p.keys.size + (p.clear ? 1 : 0) + (p.meta ? 1 : 0);
    let target = this.journalFile;
    this.inFlightLines = lines;
    try {
      const fh = await this.openJournal();
      target = this.journalFile;
      let at = this.offset;
      for (const c of this.linesFor(p)) {
        const buf = Buffer.from(c);
        await fh.write(buf, at);
        at += buf.length;
      }
      await fh.datasync();
      await fh.write(Buffer.from(headerLine(at)), 0);
      this.stats.bytesWritten += at - this.offset + HEADER_LEN;
      this.offset = at;
      this.seq += lines;
      this.linesInJournal += lines;
    } catch (err) {
      this.restorePending(p);
      await this.discardTail();
      this.failed(err, target);
      this.armRetry();
      throw err;
    } finally {
      this.inFlightLines = 0;
    }
    this.stats.flushes++;
    this.stats.linesWritten += lines;
    this.succeeded();
    if (!this.closed && this.linesInJournal > Math.max(this.compactMin, this.compactFactor * this.map.size)) {
      this.rewrite = true;
      await this.compactAsync().catch(() => undefined);
    }
  }

  /** After a failed write: the bytes past the synced offset are cut off (best effort) so the retry starts clean. */
  private async discardTail(): Promise<void> {
    if (!this.fh) return;
    try {
      await this.fh.truncate(this.offset);
    } catch {
      // The retry overwrites from the same offset; a leftover past its end is a torn tail past the synced length.
    }
  }

  private async openJournal(): Promise<JournalHandle> {
    if (this.fh) return this.fh;
    this.io.mkdirSync(this.dir);
    const fh = await this.io.open(this.journalFile);
    try {
      await fh.truncate(HEADER_LEN);
      await fh.write(Buffer.from(headerLine(HEADER_LEN)), 0);
      await fh.datasync();
      await this.io.fsyncDir(this.dir);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    this.fh = fh;
    this.offset = HEADER_LEN;
    this.linesInJournal = 0;
    return fh;
  }

  private snapshotPieces(): { head: string; rows: () => Generator<string> } {
    // Lines of a journal write in flight are covered by this snapshot: their seq must not replay over it.
    const header: Record<string, unknown> = {
      format: this.format,
      version: 2,
      seq: this.seq + this.inFlightLines,
      count: this.map.size,
      meta: this.metaValue,
      savedAt: this.now(),
    };
    if (this.incompleteMark) header.incomplete = this.incompleteMark;
    const entries = this.map.snapshot();
    const encode = this.encode;
    return {
      head: JSON.stringify(header) + '\n',
      *rows() {
        let text = '';
        for (const [k, v] of entries) {
          text += `[${JSON.stringify(k)},${encode(v, k)}]\n`;
          if (text.length >= CHUNK_CHARS) {
            yield text;
            text = '';
          }
        }
        if (text) yield text;
      },
    };
  }

  private async compactAsync(): Promise<void> {
    const p = this.takePending();
    this.rewrite = false;
    const { head, rows } = this.snapshotPieces();
    let target = this.snapshotFile;
    try {
      this.io.mkdirSync(this.dir);
      const stats = this.stats;
      const closed = () => this.closed;
      async function* pieces(): AsyncGenerator<string> {
        yield head;
        stats.bytesWritten += head.length;
        let started = Date.now();
        for (const r of rows()) {
          yield r;
          stats.bytesWritten += r.length;
          if (Date.now() - started >= 15) {
            await new Promise<void>((res) => setImmediate(res));
            started = Date.now();
          }
        }
        // closeSync wrote a newer snapshot meanwhile: this one must not replace it.
        if (closed()) throw new CompactionAborted();
      }
      await this.io.writeAtomic(this.snapshotFile, pieces(), `${this.snapshotFile}.tmp`);
      await this.io.fsyncDir(this.dir);
      target = this.journalFile;
      // Changes made while the snapshot was written are in it: the journal starts empty after it.
      const fh = await this.openJournal();
      if (this.offset !== HEADER_LEN) {
        await fh.truncate(HEADER_LEN);
        await fh.write(Buffer.from(headerLine(HEADER_LEN)), 0);
        await fh.datasync();
        this.offset = HEADER_LEN;
      }
      this.linesInJournal = 0;
    } catch (err) {
      if (err instanceof CompactionAborted) return;
      this.restorePending(p);
      this.rewrite = true;
      this.failed(err, target);
      this.armRetry();
      throw err;
    }
    this.afterCompaction();
  }

  private afterCompaction(): void {
    this.stats.compactions++;
    for (const f of this.retired.splice(0)) {
      try {
        this.io.rmSync(f);
      } catch {
        // left for the next start: it is read only while there is no snapshot
      }
    }
    this.succeeded();
  }

  /**
   * Synchronous snapshot (load, close) of every change so far. The journal is left alone: a write to it may be in
   * flight, and every line in it is covered by the snapshot's seq, so a load skips them; the next open empties it.
   */
  private compactSync(): void {
    this.takePending();
    this.rewrite = false;
    const { head, rows } = this.snapshotPieces();
    this.io.mkdirSync(this.dir);
    const all = [head, ...rows()];
    this.io.writeAtomicSync(this.snapshotFile, all);
    this.io.fsyncDirSync(this.dir);
    for (const piece of all) this.stats.bytesWritten += piece.length;
    this.afterCompaction();
  }

  /** Synchronous flush for close handlers: a snapshot of everything, when anything changed. */
  flushSync(): void {
    if (!this.dirty) return;
    try {
      this.compactSync();
    } catch (err) {
      this.rewrite = true;
      this.failed(err, this.snapshotFile);
      throw err;
    }
  }

  private failed(err: unknown, file: string): void {
    this.writeErrors++;
    const e = err instanceof Error ? err : new Error(String(err));
    const first = this.writeError === null;
    this.writeError = { path: file, code: codeOf(err), message: e.message, at: this.now() };
    if (first) this.emit('error', { ...this.writeError, error: e });
  }

  private succeeded(): void {
    if (this.writeError === null) return;
    this.writeError = null;
    this.emit('recovered');
  }

  /** Writes what is pending (async) and releases the file; later changes stay in memory. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => undefined);
    this.closed = true;
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
  }

  /** close() for handlers that must finish synchronously. */
  closeSync(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
    try {
      this.flushSync();
    } catch {
      // reported through 'error'; the state was in memory only
    }
    const fh = this.fh;
    this.fh = undefined;
    fh?.closeSync();
  }
}

type OwnMap<V> = JournalOwner<V> & { m: Map<string, V> };

/** The engine's own copy, for stores that keep none. */
function ownMap<V>(): OwnMap<V> {
  const m = new Map<string, V>();
  return {
    m,
    get size() {
      return m.size;
    },
    get: (k) => m.get(k),
    snapshot: () => [...m.entries()],
    loadSet: (k, v) => void m.set(k, v),
    loadDelete: (k) => void m.delete(k),
    loadClear: () => m.clear(),
  };
}
