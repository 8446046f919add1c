// The EVSE data records Hubject acknowledged, by EvseID, persisted in a directory: a snapshot plus a journal per
// process start, written and fsync'ed at most flushIntervalMs (250 ms) after a change, so a kill -9 loses at most
// that window. The layout follows src/fullload/file-journal.ts; that class stores statuses, not records, so its
// pattern is reused here rather than the class.
//
//   snapshot.jsonl       header {format, version, seq, count, meta}, then one line per EVSE: ["s", EvseID, record] or ["k", EvseID]
//   journal-<seq>.jsonl  ["s", EvseID, record] | ["k", EvseID] | ["d", EvseID] | ["m", meta]
// Restore = snapshot + replay of the journals with a higher seq, in order. A line cut short by kill -9 is always
// the last line of its file (every start writes a new journal) and is skipped.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { evseKey, parseEvseId } from './ids';
import type { ActionType } from './schemas';
import { recordsEqual, type EvseDataRecord } from './evse-data-normalise';
import { fsyncDir, writeAtomic } from './durable';

const SNAPSHOT = 'snapshot.jsonl';
const SNAPSHOT_TMP = 'snapshot.jsonl.tmp';
const JOURNAL = /^journal-(\d+)\.jsonl$/;
const FORMAT = 'oicp-evse-data-snapshot';
const CHUNK_BYTES = 256 * 1024;

export interface EvseDataStoreMeta {
  /** Records of the last acknowledged data fullLoad (the fullLoad guard's reference). */
  lastFullLoadCount?: number;
  /** Epoch ms of that acknowledgement. */
  lastFullLoadAt?: number;
}

export interface EvseDataStoreOptions {
  /** Directory of the files; without one the store lives in memory only. */
  dir?: string;
  /** Changes are written and fsync'ed at most this long after they happen (default 250 ms). */
  flushIntervalMs?: number;
  /** Compact when the journals hold more than compactFactor x the EVSE count lines, and at least compactMinLines. */
  compactFactor?: number;
  compactMinLines?: number;
  /** Write failures (reported once per failure streak). */
  onError?: (err: Error) => void;
}

export interface EvseDataRestoreReport {
  records: number;
  known: number;
  skipped: number;
  truncated: boolean;
  warnings: string[];
}

interface Entry {
  /** The EvseID as acknowledged. */
  id: string;
  /** JSON of the acknowledged record; null when only marked known (its data reached Hubject some other way). */
  text: string | null;
}

const errorOf = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

function lineOf(e: Entry): string {
  return e.text === null ? `["k",${JSON.stringify(e.id)}]\n` : `["s",${JSON.stringify(e.id)},${e.text}]\n`;
}

export class EvseDataStore {
  private readonly entries = new Map<string, Entry>();
  private metaValue: EvseDataStoreMeta = {};
  private readonly dir: string | undefined;
  private readonly flushInterval: number;
  private readonly compactFactor: number;
  private readonly compactMin: number;
  private readonly onError: ((err: Error) => void) | undefined;
  // Changed since the last write: key -> EvseID spelling (for a delete line).
  private pending = new Map<string, string>();
  private metaPending = false;
  private rewrite = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;
  private fh: import('fs').promises.FileHandle | undefined;
  private linesSinceSnapshot = 0;
  private chain: Promise<void> = Promise.resolve();
  private failing = false;
  private restored = false;
  private closed = false;
  readonly stats = { flushes: 0, linesWritten: 0, compactions: 0 };

  constructor(options: EvseDataStoreOptions = {}) {
    this.dir = options.dir;
    this.flushInterval = options.flushIntervalMs ?? 250;
    this.compactFactor = options.compactFactor ?? 2;
    this.compactMin = options.compactMinLines ?? 1000;
    this.onError = options.onError;
  }

  get size(): number {
    return this.entries.size;
  }
  get meta(): Readonly<EvseDataStoreMeta> {
    return this.metaValue;
  }

  /** The acknowledged record (a fresh copy), or undefined. */
  get(evseId: string): EvseDataRecord | undefined {
    const e = this.entries.get(evseKey(evseId));
    return e && e.text !== null ? (JSON.parse(e.text) as EvseDataRecord) : undefined;
  }
  getText(evseId: string): string | undefined {
    const e = this.entries.get(evseKey(evseId));
    return e && e.text !== null ? e.text : undefined;
  }
  /** The EvseID as Hubject acknowledged it (or as marked known), in that spelling; undefined when it holds none. */
  acknowledgedId(evseId: string): string | undefined {
    return this.entries.get(evseKey(evseId))?.id;
  }
  /** Hubject holds data for this EVSE: acknowledged here, or marked known. */
  isAcknowledged(evseId: string): boolean {
    return this.entries.has(evseKey(evseId));
  }
  /** The record equals the acknowledged one (key order aside), so sending it again changes nothing. */
  isUnchanged(record: EvseDataRecord): boolean {
    return this.isUnchangedText(record.EvseID, JSON.stringify(record));
  }
  /** isUnchanged for a record's JSON text. */
  isUnchangedText(evseId: string, text: string): boolean {
    const e = this.entries.get(evseKey(evseId));
    if (!e || e.text === null) return false;
    return text === e.text || recordsEqual(JSON.parse(text), JSON.parse(e.text));
  }
  /** EvseIDs and JSON texts of every stored record (not the known-only EVSEs), in EvseID order. */
  records(): { ids: string[]; texts: string[] } {
    const list: Entry[] = [];
    for (const e of this.entries.values()) if (e.text !== null) list.push(e);
    list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { ids: list.map((e) => e.id), texts: list.map((e) => e.text as string) };
  }
  evseIds(): string[] {
    return [...this.entries.values()].map((e) => e.id);
  }

  /** Applies what Hubject acknowledged (Result true): insert/update store, delete removes, fullLoad replaces all. */
  acknowledge(action: ActionType, records: readonly EvseDataRecord[], now = Date.now()): void {
    this.acknowledgeTexts(
      action,
      records.map((r) => r.EvseID),
      records.map((r) => JSON.stringify(r)),
      now,
    );
  }

  /** acknowledge for a DataRequest that Hubject accepted; the store keeps the request's strings. */
  acknowledgeRequest(req: { ActionType: ActionType; EvseIDs: readonly string[]; texts: readonly string[] }, now = Date.now()): void {
    this.acknowledgeTexts(req.ActionType, req.EvseIDs, req.texts, now);
  }

  acknowledgeTexts(action: ActionType, evseIds: readonly string[], texts: readonly string[], now = Date.now()): void {
    if (action === 'fullLoad') {
      this.entries.clear();
      for (let i = 0; i < evseIds.length; i++) this.entries.set(evseKey(evseIds[i]!), { id: evseIds[i]!, text: texts[i]! });
      this.metaValue = { ...this.metaValue, lastFullLoadCount: evseIds.length, lastFullLoadAt: now };
      this.pending.clear();
      this.rewrite = true;
      this.arm();
      return;
    }
    for (let i = 0; i < evseIds.length; i++) {
      const id = evseIds[i]!;
      const key = evseKey(id);
      if (action === 'delete') this.entries.delete(key);
      else this.entries.set(key, { id, text: texts[i]! });
      this.pending.set(key, id);
    }
    this.arm();
  }

  /** EVSEs whose data reached Hubject some other way (a migration): acknowledged, without a record. */
  markKnown(evseIds: readonly string[]): { marked: string[]; invalid: string[] } {
    const marked: string[] = [];
    const invalid: string[] = [];
    for (const raw of evseIds) {
      const p = parseEvseId(raw);
      if (!p.ok) {
        invalid.push(String(raw));
        continue;
      }
      const key = evseKey(p.value);
      if (!this.entries.has(key)) {
        this.entries.set(key, { id: p.value, text: null });
        this.pending.set(key, p.value);
      }
      marked.push(p.value);
    }
    this.arm();
    return { marked, invalid };
  }

  /** Forgets an EVSE without a request (e.g. Hubject answered that it does not know it). */
  forget(evseId: string): void {
    const key = evseKey(evseId);
    if (this.entries.delete(key)) {
      this.pending.set(key, evseId);
      this.arm();
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Persistence

  /** Loads the saved state (call once, before use). Without a dir it does nothing. */
  async restore(): Promise<EvseDataRestoreReport> {
    const report: EvseDataRestoreReport = { records: 0, known: 0, skipped: 0, truncated: false, warnings: [] };
    if (!this.dir || this.restored) return report;
    this.restored = true;
    const dir = this.dir;
    await fsp.mkdir(dir, { recursive: true });
    const names = await fsp.readdir(dir);
    if (names.includes(SNAPSHOT_TMP)) await fsp.rm(path.join(dir, SNAPSHOT_TMP), { force: true });
    let covered = -1;
    let started = Date.now();
    const breathe = async (): Promise<void> => {
      if (Date.now() - started >= 15) {
        await new Promise<void>((r) => setImmediate(r));
        started = Date.now();
      }
    };
    if (names.includes(SNAPSHOT)) {
      const lines = (await fsp.readFile(path.join(dir, SNAPSHOT), 'utf8')).split('\n');
      let header: { format?: unknown; seq?: unknown; count?: unknown; meta?: unknown };
      try {
        header = JSON.parse(lines[0]!);
      } catch {
        throw new Error(`${SNAPSHOT} in ${dir} has no valid header line; move it away to start empty`);
      }
      if (header.format !== FORMAT || typeof header.seq !== 'number') throw new Error(`${SNAPSHOT} in ${dir} is not an EVSE data snapshot`);
      covered = header.seq;
      this.loadMeta(header.meta);
      for (let i = 1; i < lines.length; i++) {
        if (lines[i] === '') continue;
        if (!this.replay(lines[i]!)) report.skipped++;
        if ((i & 0xff) === 0) await breathe();
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
      const file = path.join(dir, j.name);
      if (j.seq <= covered) {
        await fsp.rm(file, { force: true });
        continue;
      }
      const lines = (await fsp.readFile(file, 'utf8')).split('\n');
      let last = lines.length - 1;
      while (last >= 0 && lines[last] === '') last--;
      for (let i = 0; i <= last; i++) {
        if (lines[i] === '') continue;
        this.linesSinceSnapshot++;
        if (!this.replay(lines[i]!)) {
          if (i === last) report.truncated = true;
          else report.skipped++;
        }
        if ((i & 0xff) === 0) await breathe();
      }
    }
    this.seq = maxSeq + 1;
    if (report.skipped) report.warnings.push(`${report.skipped} unreadable lines skipped in ${dir}`);
    for (const e of this.entries.values()) {
      if (e.text === null) report.known++;
      else report.records++;
    }
    if (this.shouldCompact() || journals.length > 4) this.rewrite = true;
    if (this.rewrite) this.arm();
    return report;
  }

  private loadMeta(m: unknown): void {
    if (!m || typeof m !== 'object') return;
    const o = m as Record<string, unknown>;
    const meta: EvseDataStoreMeta = {};
    if (typeof o.lastFullLoadCount === 'number' && o.lastFullLoadCount >= 0) meta.lastFullLoadCount = o.lastFullLoadCount;
    if (typeof o.lastFullLoadAt === 'number') meta.lastFullLoadAt = o.lastFullLoadAt;
    this.metaValue = meta;
  }

  private replay(line: string): boolean {
    let a: unknown;
    try {
      a = JSON.parse(line);
    } catch {
      return false;
    }
    if (!Array.isArray(a)) return false;
    const kind = a[0];
    if (kind === 'm') {
      this.loadMeta(a[1]);
      return true;
    }
    if (kind === 'c') {
      this.entries.clear();
      return true;
    }
    const p = parseEvseId(a[1]);
    if (!p.ok) return false;
    const key = evseKey(p.value);
    if (kind === 'd') this.entries.delete(key);
    else if (kind === 'k') this.entries.set(key, { id: p.value, text: null });
    else if (kind === 's' && a[2] && typeof a[2] === 'object') {
      // A fresh string, not a slice of the file's text (a slice would keep the whole file alive).
      const text = JSON.stringify(a[2]);
      text.charCodeAt(0);
      this.entries.set(key, { id: p.value, text });
    } else return false;
    return true;
  }

  private arm(): void {
    if (!this.dir || this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueue(() => this.writePending());
    }, this.flushInterval);
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.chain.then(op);
    this.chain = run.then(
      () => {
        this.failing = false;
      },
      (err) => {
        if (!this.failing && this.onError) this.onError(errorOf(err));
        this.failing = true;
      },
    );
    return run;
  }

  /** Writes every pending change now. */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.dir) return Promise.resolve();
    return this.enqueue(() => this.writePending());
  }

  private async openJournal(): Promise<import('fs').promises.FileHandle> {
    if (!this.fh) {
      this.fh = await fsp.open(path.join(this.dir!, `journal-${this.seq}.jsonl`), 'a');
      await fsyncDir(this.dir!);
    }
    return this.fh;
  }

  private async writePending(): Promise<void> {
    if (this.rewrite) {
      this.rewrite = false;
      this.pending.clear();
      this.metaPending = false;
      try {
        await this.compactNow();
      } catch (err) {
        this.rewrite = true;
        this.armRetry();
        throw err;
      }
      return;
    }
    if (this.pending.size === 0 && !this.metaPending) return;
    const pending = this.pending;
    const meta = this.metaPending;
    this.pending = new Map();
    this.metaPending = false;
    let lines = 0;
    try {
      const fh = await this.openJournal();
      let text = '';
      for (const [key, id] of pending) {
        const e = this.entries.get(key);
        text += e ? lineOf(e) : `["d",${JSON.stringify(id)}]\n`;
        lines++;
        if (text.length >= CHUNK_BYTES) {
          await fh.write(text);
          text = '';
        }
      }
      if (meta) {
        text += `["m",${JSON.stringify(this.metaValue)}]\n`;
        lines++;
      }
      if (text) await fh.write(text);
      await fh.datasync();
    } catch (err) {
      // Again, later, in a fresh file, so a half-written line stays the last line of its file.
      for (const [k, id] of pending) if (!this.pending.has(k)) this.pending.set(k, id);
      if (meta) this.metaPending = true;
      const fh = this.fh;
      this.fh = undefined;
      this.seq++;
      if (fh) await fh.close().catch(() => undefined);
      this.armRetry();
      throw err;
    }
    this.stats.flushes++;
    this.stats.linesWritten += lines;
    this.linesSinceSnapshot += lines;
    if (this.shouldCompact()) await this.compactNow();
  }

  private armRetry(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.enqueue(() => this.writePending());
      },
      Math.max(this.flushInterval, 1000),
    );
  }

  private shouldCompact(): boolean {
    return this.linesSinceSnapshot > Math.max(this.compactMin, this.compactFactor * this.entries.size);
  }

  /** Writes a snapshot of the store and drops the journals it covers. */
  compact(): Promise<void> {
    if (!this.dir) return Promise.resolve();
    return this.enqueue(() => this.compactNow());
  }

  private async compactNow(): Promise<void> {
    const dir = this.dir!;
    const covered = this.seq;
    const fh = this.fh;
    this.fh = undefined;
    this.seq = covered + 1;
    if (fh) await fh.close();
    // A copy of the state now; later changes go to the next journal (replaying one twice is harmless).
    const entries = [...this.entries.values()];
    const header = { format: FORMAT, version: 1, seq: covered, count: entries.length, meta: this.metaValue, savedAt: Date.now() };
    const saved = this.linesSinceSnapshot;
    this.linesSinceSnapshot = 0;
    // The snapshot is written in pieces, yielding to the event loop every 15 ms so a large store does not block it.
    async function* pieces(): AsyncGenerator<string> {
      let text = JSON.stringify(header) + '\n';
      let started = Date.now();
      for (const e of entries) {
        text += lineOf(e);
        if (text.length >= CHUNK_BYTES) {
          yield text;
          text = '';
          if (Date.now() - started >= 15) {
            await new Promise<void>((r) => setImmediate(r));
            started = Date.now();
          }
        }
      }
      if (text) yield text;
    }
    try {
      await writeAtomic(path.join(dir, SNAPSHOT), pieces(), { tmp: path.join(dir, SNAPSHOT_TMP) });
    } catch (err) {
      this.linesSinceSnapshot += saved;
      throw err;
    }
    await fsyncDir(dir);
    for (const name of await fsp.readdir(dir)) {
      const m = JOURNAL.exec(name);
      if (m && Number(m[1]) <= covered) await fsp.rm(path.join(dir, name), { force: true });
    }
    this.stats.compactions++;
  }

  /** Writes what is pending and releases the file; later changes stay in memory only. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dir) {
      await this.enqueue(() => this.writePending()).catch(() => undefined);
    }
    this.closed = true;
    await this.enqueue(async () => {
      const fh = this.fh;
      this.fh = undefined;
      if (fh) await fh.close();
    }).catch(() => undefined);
  }

  /** Closes and deletes the saved state (the node was removed from the flow). */
  async destroy(): Promise<void> {
    await this.close();
    if (this.dir) await fsp.rm(this.dir, { recursive: true, force: true });
  }
}
