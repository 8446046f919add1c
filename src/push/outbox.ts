import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ActionType, EvseStatusRecord } from '../oicp/schemas';
import { arrayItemChunks } from '../oicp/body';

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

/** Where pending changes wait for Hubject. `save` must be durable when its promise resolves. */
export interface OutboxStore {
  load(): OutboxSegment[];
  save(segments: OutboxSegment[]): Promise<void>;
  /** Synchronous last write, for close handlers that must not lose the tail. */
  saveSync(segments: OutboxSegment[]): void;
}

export class MemoryOutbox implements OutboxStore {
  private data: OutboxSegment[] = [];
  load(): OutboxSegment[] { return this.data; }
  async save(segments: OutboxSegment[]): Promise<void> { this.data = segments; }
  saveSync(segments: OutboxSegment[]): void { this.data = segments; }
}

/**
 * One JSON file per operator, replaced atomically (write temp, fsync, rename, fsync dir).
 * The pending set is coalesced per EVSE, so the file is bounded by the number of EVSEs.
 */
export class FileOutbox implements OutboxStore {
  private dirSynced = false;
  constructor(readonly file: string, readonly operatorId: string) {}

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
    return snap.segments.filter((s) => s && typeof s.action === 'string' && Array.isArray(s.records));
  }

  /**
   * The snapshot's JSON in pieces of about 57 kB: a pending 100,000-record fullLoad is never one 5 MB string.
   * Joined, the pieces are JSON.stringify of the OutboxSnapshot.
   */
  private *pieces(segments: OutboxSegment[]): Generator<string, void, void> {
    const head = { version: 1, operatorId: this.operatorId, savedAt: new Date().toISOString() };
    yield `${JSON.stringify(head).slice(0, -1)},"segments":[`;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      yield `${i ? ',' : ''}{"action":${JSON.stringify(seg.action)},"records":[`;
      yield* arrayItemChunks(seg.records);
      yield ']}';
    }
    yield ']}';
  }

  async save(segments: OutboxSegment[]): Promise<void> {
    const dir = path.dirname(this.file);
    await fs.promises.mkdir(dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await fs.promises.open(tmp, 'w');
    try {
      for (const piece of this.pieces(segments)) {
        const buf = Buffer.from(piece);
        for (let off = 0; off < buf.length;) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, this.file);
    if (!this.dirSynced) {
      // The rename itself must survive a power cut once; later renames reuse the same directory entry.
      const d = await fs.promises.open(dir, 'r');
      try { await d.sync(); } finally { await d.close(); }
      this.dirSynced = true;
    }
  }

  saveSync(segments: OutboxSegment[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.sync.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const piece of this.pieces(segments)) {
        const buf = Buffer.from(piece);
        for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off);
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}
