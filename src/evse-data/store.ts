// The EVSE data records Hubject acknowledged, by EvseID, persisted with the journal engine (src/journal) in a
// directory: `evse-data.jsonl` (snapshot, its header counting the records) and `evse-data.journal` (one line per
// change, with a sequence number and a checksum), written and fsync'ed at most flushIntervalMs (250 ms) after a
// change, so a kill -9 loses at most that window. The layout before (snapshot.jsonl + journal-<seq>.jsonl) is read
// once and migrated. A damaged file is renamed aside and the store is `incomplete` until a full set is acknowledged.
import * as fs from 'fs';
import * as path from 'path';
import { evseKey, parseEvseId } from '../oicp/ids';
import type { ActionType } from '../oicp/schemas';
import { recordsEqual, type EvseDataRecord } from './normalise';
import { findLegacyLayout, Journal, stateHealth, type IncompleteMark, type JournalIo, type JournalLoadReport } from '../journal';

const FILE = 'evse-data.jsonl';
const LEGACY_SNAPSHOT = 'snapshot.jsonl';
const LEGACY_FORMAT = 'oicp-evse-data-snapshot';

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
  /** Whose store it is, for the state-health view (sidebar, metrics, node status). */
  operatorId?: string;
  io?: JournalIo;
}

export interface EvseDataRestoreReport {
  records: number;
  known: number;
  skipped: number;
  truncated: boolean;
  warnings: string[];
  /** Records known to be lost to damage (at least this many). */
  lost: number;
  /** The store is not whole: a stored fullLoad would delete at Hubject what the damage lost. */
  incomplete: boolean;
  /** Files renamed aside as `<name>.damaged-<time>`. */
  damaged: string[];
}

interface Entry {
  /** The EvseID as acknowledged. */
  id: string;
  /** JSON of the acknowledged record; null when only marked known (its data reached Hubject some other way). */
  text: string | null;
}

/** A stored entry as JSON: [EvseID] when only known, [EvseID, record] when acknowledged with a record. */
function encodeEntry(e: Entry): string {
  return e.text === null ? `[${JSON.stringify(e.id)}]` : `[${JSON.stringify(e.id)},${e.text}]`;
}

function decodeEntry(raw: unknown): Entry | undefined {
  if (!Array.isArray(raw)) return undefined;
  const p = parseEvseId(raw[0]);
  if (!p.ok) return undefined;
  if (raw.length < 2) return { id: p.value, text: null };
  if (!raw[1] || typeof raw[1] !== 'object') return undefined;
  return { id: p.value, text: JSON.stringify(raw[1]) };
}

export class EvseDataStore {
  /** The engine underneath (tests, the contract suite). */
  readonly journal: Journal<Entry>;
  /** What the last restore() found, as the engine reports it. */
  report: JournalLoadReport | undefined;
  private readonly entries: Journal<Entry>;
  private metaValue: EvseDataStoreMeta = {};
  private readonly dir: string | undefined;
  private readonly operatorId: string | undefined;
  private restored = false;
  private closed = false;

  constructor(options: EvseDataStoreOptions = {}) {
    this.dir = options.dir;
    this.operatorId = options.operatorId;
    // Without a directory the journal is never loaded nor flushed: it is the map, in memory only.
    this.journal = new Journal<Entry>({
      snapshot: path.join(this.dir ?? '.', FILE),
      format: 'oicp-evse-data',
      decode: decodeEntry,
      encode: encodeEntry,
      flushIntervalMs: this.dir ? (options.flushIntervalMs ?? 250) : undefined,
      compactFactor: options.compactFactor,
      compactMinLines: options.compactMinLines,
      io: options.io,
    });
    this.entries = this.journal;
    if (options.onError) {
      const onError = options.onError;
      this.journal.on('error', (e) => onError(e.error));
    }
    if (this.dir) stateHealth.watch(this.journal, this.file!, { kind: 'evse-data', operatorId: this.operatorId });
  }

  /** The snapshot file (named in warnings and the node's status). */
  get file(): string | undefined {
    return this.dir ? path.join(this.dir, FILE) : undefined;
  }

  /** Counters for tests and status. */
  get stats(): { flushes: number; linesWritten: number; compactions: number; bytesWritten: number } {
    return this.journal.stats;
  }

  /**
   * Damage was found (now or on an earlier start) and no full set was acknowledged since: what the store holds may
   * be less than what Hubject holds, so a fullLoad from it would delete EVSEs. Null when the store is whole.
   */
  get incomplete(): IncompleteMark | null {
    return this.journal.incomplete;
  }

  /** The failing write, while writes fail (the path and the real error). */
  get writeError(): { path: string; code: string; message: string } | null {
    return this.journal.writeError;
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
      this.journal.setMeta(this.metaValue as Record<string, unknown>);
      // Hubject now holds exactly this set: the store is whole again, whatever damage came before.
      if (this.journal.incomplete) {
        this.journal.markComplete();
        if (this.file) stateHealth.complete(this.file);
      }
      return;
    }
    for (let i = 0; i < evseIds.length; i++) {
      const id = evseIds[i]!;
      const key = evseKey(id);
      if (action === 'delete') this.entries.delete(key);
      else this.entries.set(key, { id, text: texts[i]! });
    }
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
      if (!this.entries.has(key)) this.entries.set(key, { id: p.value, text: null });
      marked.push(p.value);
    }
    return { marked, invalid };
  }

  /** Forgets an EVSE without a request (e.g. Hubject answered that it does not know it). */
  forget(evseId: string): void {
    this.entries.delete(evseKey(evseId));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Persistence

  /**
   * Loads the saved state (call once, before use). Without a dir it does nothing. Never rejects on damage: what
   * cannot be read is renamed aside, counted in the report, and leaves the store `incomplete`.
   */
  async restore(): Promise<EvseDataRestoreReport> {
    const report: EvseDataRestoreReport = { records: 0, known: 0, skipped: 0, truncated: false, warnings: [], lost: 0, incomplete: false, damaged: [] };
    if (!this.dir || this.restored) return report;
    this.restored = true;
    const dir = this.dir;
    let legacyDamage: { file: string; lost: number; movedTo?: string } | null = null;
    const r: JournalLoadReport = this.journal.load(() => {
      const old = readLegacy(dir);
      if (old && 'damaged' in old) {
        legacyDamage = { file: old.damaged, lost: 1, movedTo: old.movedTo };
        return undefined;
      }
      if (old?.lost) legacyDamage = { file: old.snapshot, lost: old.lost };
      return old;
    });
    if (legacyDamage) {
      const d = legacyDamage as { file: string; lost: number; movedTo?: string };
      this.journal.noteDamage(d.file, d.lost);
      r.damaged.push({ file: d.file, movedTo: d.movedTo, reason: d.movedTo ? 'no valid header line' : 'fewer records than its header announced' });
      r.lost += d.lost;
      r.incomplete = true;
      try {
        this.journal.flushSync();
      } catch {
        // reported through the journal's error event
      }
    }
    this.report = r;
    this.loadMeta(this.journal.meta);
    report.truncated = r.tornTail;
    report.lost = r.lost;
    report.skipped = r.lost;
    report.incomplete = r.incomplete;
    report.damaged = r.damaged.map((d) => d.movedTo ?? d.file);
    report.warnings.push(...r.warnings);
    for (const e of this.entries.values()) {
      if (e.text === null) report.known++;
      else report.records++;
    }
    stateHealth.loaded(this.file!, { kind: 'evse-data', operatorId: this.operatorId }, r, this.journal.incomplete);
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

  /** Writes every pending change now. */
  flush(): Promise<void> {
    if (!this.dir) return Promise.resolve();
    return this.journal.flush().catch(() => undefined);
  }

  /** Writes a snapshot of the store and empties the journal. */
  compact(): Promise<void> {
    if (!this.dir) return Promise.resolve();
    return this.journal.compact().catch(() => undefined);
  }

  /** Writes what is pending and releases the file; later changes stay in memory only. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.dir) await this.journal.close();
  }

  /** Closes and deletes the saved state (the node was removed from the flow). */
  async destroy(): Promise<void> {
    await this.close();
    if (this.dir) await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * The layout before the journal engine: snapshot.jsonl (header, then ["s", id, record] | ["k", id] lines) and
 * journal-<seq>.jsonl files. Undefined when there is none; {damaged} when its snapshot has no valid header.
 */
function readLegacy(
  dir: string,
):
  | { entries: Array<[string, Entry]>; meta?: Record<string, unknown>; files: string[]; lost: number; snapshot: string }
  | { damaged: string; movedTo?: string }
  | undefined {
  const old = findLegacyLayout(dir);
  if (!old) return undefined;
  const map = new Map<string, Entry>();
  let meta: Record<string, unknown> | undefined;
  let covered = -1;
  const apply = (line: string): void => {
    let a: unknown;
    try {
      a = JSON.parse(line);
    } catch {
      return;
    }
    if (!Array.isArray(a)) return;
    if (a[0] === 'm' && a[1] && typeof a[1] === 'object') meta = a[1] as Record<string, unknown>;
    else if (a[0] === 'c') map.clear();
    else {
      const p = parseEvseId(a[1]);
      if (!p.ok) return;
      const key = evseKey(p.value);
      if (a[0] === 'd') map.delete(key);
      else if (a[0] === 'k') map.set(key, { id: p.value, text: null });
      else if (a[0] === 's' && a[2] && typeof a[2] === 'object') map.set(key, { id: p.value, text: JSON.stringify(a[2]) });
    }
  };
  const files: string[] = [];
  let lost = 0;
  if (old.snapshot) {
    const file = old.snapshot;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    let header: { format?: unknown; seq?: unknown; meta?: unknown } | undefined;
    try {
      header = JSON.parse(lines[0]!);
    } catch {
      header = undefined;
    }
    if (!header || header.format !== LEGACY_FORMAT || typeof header.seq !== 'number') {
      const to = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        fs.renameSync(file, to);
      } catch {
        // stays; read again next start
        return { damaged: file };
      }
      return { damaged: file, movedTo: to };
    }
    covered = header.seq;
    if (header.meta && typeof header.meta === 'object') meta = header.meta as Record<string, unknown>;
    for (let i = 1; i < lines.length; i++) if (lines[i]) apply(lines[i]!);
    files.push(file);
    // The old reader never compared its header's count; a cut snapshot shows here.
    const count = (header as { count?: unknown }).count;
    if (typeof count === 'number' && count > map.size) lost = count - map.size;
  }
  for (const j of old.journals) {
    const file = j.file;
    files.push(file);
    if (j.seq <= covered) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (line) apply(line);
  }
  return { entries: [...map.entries()], meta, files, lost, snapshot: path.join(dir, LEGACY_SNAPSHOT) };
}
