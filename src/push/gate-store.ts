// Where the status gate's held statuses wait for a restart. Apart from the gate's release logic (src/push/gate.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ActionType, EvseStatusRecord } from '../oicp/schemas';
import { fsyncDir, writeAtomic, writeAtomicSync } from '../oicp/durable';
import { MemoryStore, type ListStore } from './outbox';

/** A held status as persisted: no input message survives a restart, like the outbox's records. */
export interface HeldEntry {
  action: ActionType;
  /** When the EVSE's oldest held status arrived (ms since epoch); holdMaxHours counts from here. */
  since: number;
  record: EvseStatusRecord;
}

/** Where held statuses wait. */
export type GateStore = ListStore<HeldEntry>;
export class MemoryGateStore extends MemoryStore<HeldEntry> {}

/** One JSON file per operator, replaced atomically (temp, fsync, rename, fsync dir) like the outbox. */
export class FileGateStore implements GateStore {
  private dirSynced = false;
  constructor(
    readonly file: string,
    readonly operatorId: string,
  ) {}

  load(): HeldEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const snap = JSON.parse(text) as { version?: unknown; held?: unknown };
    if (snap.version !== 1 || !Array.isArray(snap.held)) throw new Error(`held status file ${this.file} has an unknown format`);
    return (snap.held as Partial<HeldEntry>[]).filter(
      (e): e is HeldEntry => !!e && typeof e.action === 'string' && typeof e.since === 'number' && typeof e.record?.EvseID === 'string',
    );
  }

  private text(entries: HeldEntry[]): string {
    return JSON.stringify({ version: 1, operatorId: this.operatorId, savedAt: new Date().toISOString(), held: entries });
  }

  async save(entries: HeldEntry[]): Promise<void> {
    const dir = path.dirname(this.file);
    await fs.promises.mkdir(dir, { recursive: true });
    await writeAtomic(this.file, [this.text(entries)]);
    if (!this.dirSynced) {
      await fsyncDir(dir);
      this.dirSynced = true;
    }
  }

  saveSync(entries: HeldEntry[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeAtomicSync(this.file, [this.text(entries)]);
  }
}
