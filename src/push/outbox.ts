import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ActionType, EvseStatusRecord } from '../oicp/schemas';
import { arrayItemChunks } from '../oicp/body';
import { fsyncDir, fsyncDirSync, writeAtomic, writeAtomicSync } from '../oicp/durable';

export interface OutboxSegment {
  action: ActionType;
  records: EvseStatusRecord[];
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
export type OutboxStore = ListStore<OutboxSegment>;
export class MemoryOutbox extends MemoryStore<OutboxSegment> {}

/** A pending fullLoad of at least this many records is written once to a file of its own (see FileOutbox). */
export const LIST_FILE_RECORDS = 1000;

interface SavePlan {
  /** Segment index -> the list file that holds its records. */
  refs: Map<number, string>;
  /** List files to write before the snapshot that names them. */
  toWrite: Array<{ name: string; records: EvseStatusRecord[] }>;
}

/**
 * One JSON file per operator, replaced atomically (write temp, fsync, rename, fsync dir). Update, insert and delete
 * changes are coalesced per EVSE, so they are bounded by the number of EVSEs. A large pending fullLoad is written
 * once to a list file of its own (`<file>.list-<id>.json`) that the snapshot names: its records never change while
 * it waits, and rewriting 100,000 of them with every save during an outage came to ~100 MB/s of disk writes.
 */
export class FileOutbox implements OutboxStore {
  private dirSynced = false;
  // The queue never changes a fullLoad's record array once queued, so the array identifies its list file.
  private readonly listFiles = new Map<EvseStatusRecord[], string>();
  private listSeq = 0;
  constructor(
    readonly file: string,
    readonly operatorId: string,
  ) {}

  private get dir(): string {
    return path.dirname(this.file);
  }

  load(): OutboxSegment[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const snap = JSON.parse(text) as Partial<OutboxSnapshot>;
    if (snap.version !== 1 || !Array.isArray(snap.segments)) throw new Error(`outbox ${this.file} has an unknown format`);
    const out: OutboxSegment[] = [];
    const named = new Set<string>();
    for (const s of snap.segments as Array<OutboxSegment & { recordsFile?: unknown }>) {
      if (!s || typeof s.action !== 'string') continue;
      if (typeof s.recordsFile === 'string' && /^[^/\\]+$/.test(s.recordsFile)) {
        const list = JSON.parse(fs.readFileSync(path.join(this.dir, s.recordsFile), 'utf8')) as unknown;
        if (!Array.isArray(list)) throw new Error(`outbox list file ${s.recordsFile} has an unknown format`);
        named.add(s.recordsFile);
        out.push({ action: s.action, records: list as EvseStatusRecord[] });
      } else if (Array.isArray(s.records)) out.push({ action: s.action, records: s.records });
    }
    // List files the snapshot does not name are left over from a save that stopped half-way.
    for (const name of this.listFileNames()) if (!named.has(name)) fs.rmSync(path.join(this.dir, name), { force: true });
    return out;
  }

  private listFileNames(): string[] {
    const prefix = `${path.basename(this.file)}.list-`;
    try {
      return fs.readdirSync(this.dir).filter((n) => n.startsWith(prefix) && n.endsWith('.json'));
    } catch {
      return [];
    }
  }

  private plan(segments: OutboxSegment[]): SavePlan {
    const plan: SavePlan = { refs: new Map(), toWrite: [] };
    segments.forEach((seg, i) => {
      if (seg.action !== 'fullLoad' || seg.records.length < LIST_FILE_RECORDS) return;
      let name = this.listFiles.get(seg.records);
      if (!name) {
        name = `${path.basename(this.file)}.list-${process.pid}-${Date.now().toString(36)}-${++this.listSeq}.json`;
        plan.toWrite.push({ name, records: seg.records });
      }
      plan.refs.set(i, name);
    });
    return plan;
  }

  /** List files no longer named by the snapshot just written; forgotten here, to be deleted by the caller. */
  private unreferenced(plan: SavePlan): string[] {
    const keep = new Set(plan.refs.values());
    const drop: string[] = [];
    for (const [records, name] of this.listFiles) {
      if (keep.has(name)) continue;
      this.listFiles.delete(records);
      drop.push(name);
    }
    return drop;
  }

  /**
   * The snapshot's JSON in pieces of about 57 kB (a segment's records are never one big string); segments with a
   * list file are written as {action, recordsFile, count}.
   */
  private *pieces(segments: OutboxSegment[], refs: Map<number, string>): Generator<string, void, void> {
    const head = { version: 1, operatorId: this.operatorId, savedAt: new Date().toISOString() };
    yield `${JSON.stringify(head).slice(0, -1)},"segments":[`;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const comma = i ? ',' : '';
      const listFile = refs.get(i);
      if (listFile) {
        yield `${comma}${JSON.stringify({ action: seg.action, recordsFile: listFile, count: seg.records.length })}`;
        continue;
      }
      yield `${comma}{"action":${JSON.stringify(seg.action)},"records":[`;
      yield* arrayItemChunks(seg.records);
      yield ']}';
    }
    yield ']}';
  }

  async save(segments: OutboxSegment[]): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const plan = this.plan(segments);
    for (const w of plan.toWrite) {
      await writeAtomic(path.join(this.dir, w.name), listPieces(w.records));
      this.listFiles.set(w.records, w.name);
    }
    // A list file must be durable before the snapshot that names it; the first rename must survive a power cut too.
    // Where a directory cannot be fsynced (Windows) this does nothing and the save goes on: the renames stay atomic.
    if (plan.toWrite.length) await fsyncDir(this.dir);
    await writeAtomic(this.file, this.pieces(segments, plan.refs));
    if (!this.dirSynced) {
      await fsyncDir(this.dir);
      this.dirSynced = true;
    }
    for (const name of this.unreferenced(plan)) await fs.promises.rm(path.join(this.dir, name), { force: true });
  }

  saveSync(segments: OutboxSegment[]): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const plan = this.plan(segments);
    for (const w of plan.toWrite) {
      writeAtomicSync(path.join(this.dir, w.name), listPieces(w.records));
      this.listFiles.set(w.records, w.name);
    }
    if (plan.toWrite.length) fsyncDirSync(this.dir);
    writeAtomicSync(this.file, this.pieces(segments, plan.refs));
    for (const name of this.unreferenced(plan)) fs.rmSync(path.join(this.dir, name), { force: true });
  }
}

function* listPieces(records: EvseStatusRecord[]): Generator<string, void, void> {
  yield '[';
  yield* arrayItemChunks(records);
  yield ']';
}
