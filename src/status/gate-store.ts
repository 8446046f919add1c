// Where the status gate's held statuses wait for a restart: the journal engine (src/journal), keyed by EVSE. Apart
// from the gate's release logic (src/status/gate.ts). A damaged file never throws: what is readable is restored.
import * as fs from 'node:fs';
import { evseKey } from '../oicp/ids';
import type { ActionType, EvseStatusRecord } from '../oicp/schemas';
import { Journal, stateHealth, type JournalIo, type JournalLoadReport } from '../journal';
import { MemoryStore, type ListStore } from '../push/outbox';

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

function decodeHeld(raw: unknown): HeldEntry | undefined {
  const e = raw as Partial<HeldEntry> | null;
  if (!e || typeof e.action !== 'string' || typeof e.since !== 'number' || typeof e.record?.EvseID !== 'string') return undefined;
  return e as HeldEntry;
}

/**
 * The held statuses of one operator: `<file>` was a JSON file replaced whole (read once, migrated); now
 * `<file minus .json>.jsonl` (snapshot) and `.journal`, one line per changed EVSE.
 */
export class FileGateStore implements GateStore {
  readonly journal: Journal<HeldEntry>;
  /** What the last load found (damage, torn tail, migration). */
  report: JournalLoadReport | undefined;

  constructor(
    readonly file: string,
    readonly operatorId: string,
    io?: JournalIo,
  ) {
    this.journal = new Journal<HeldEntry>({ snapshot: file.replace(/\.json$/, '') + '.jsonl', format: 'oicp-held-statuses', decode: decodeHeld, io });
    stateHealth.watch(this.journal, this.file, { kind: 'gate', operatorId });
  }

  load(): HeldEntry[] {
    let legacyDamage: { lost: number; movedTo?: string } | null = null;
    const report = this.journal.load(() => {
      let text: string;
      try {
        text = fs.readFileSync(this.file, 'utf8');
      } catch {
        return undefined;
      }
      try {
        const snap = JSON.parse(text) as { version?: unknown; held?: unknown };
        if (snap.version !== 1 || !Array.isArray(snap.held)) throw new Error('unknown format');
        const entries: Array<[string, HeldEntry]> = [];
        for (const raw of snap.held) {
          const e = decodeHeld(raw);
          if (e) entries.push([evseKey(e.record.EvseID), e]);
        }
        return { entries, files: [this.file] };
      } catch {
        // Unreadable: aside, as the engine does with its own files; what it held is unknown (counted as 1).
        const to = `${this.file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        let movedTo: string | undefined;
        try {
          fs.renameSync(this.file, to);
          movedTo = to;
        } catch {
          // stays where it is; it is read only while there is no snapshot
        }
        legacyDamage = { lost: 1, movedTo };
        return undefined;
      }
    });
    if (legacyDamage) {
      const d = legacyDamage as { lost: number; movedTo?: string };
      this.journal.noteDamage(this.file, d.lost);
      report.damaged.push({ file: this.file, movedTo: d.movedTo, reason: 'not JSON' });
      report.lost += 1;
      report.incomplete = true;
      try {
        this.journal.flushSync();
      } catch {
        // reported through the journal's error event
      }
    }
    this.report = report;
    stateHealth.loaded(this.file, { kind: 'gate', operatorId: this.operatorId }, report, this.journal.incomplete);
    return [...this.journal.values()];
  }

  /** Writes the held statuses that changed since the last save (one journal line each). */
  private apply(entries: HeldEntry[]): void {
    const seen = new Set<string>();
    for (const e of entries) {
      const key = evseKey(e.record.EvseID);
      seen.add(key);
      const prev = this.journal.get(key);
      if (!prev || prev.record !== e.record || prev.action !== e.action || prev.since !== e.since) this.journal.set(key, e);
    }
    if (seen.size !== this.journal.size) for (const key of [...this.journal.keys()]) if (!seen.has(key)) this.journal.delete(key);
  }

  async save(entries: HeldEntry[]): Promise<void> {
    this.apply(entries);
    await this.journal.flush();
  }

  saveSync(entries: HeldEntry[]): void {
    this.apply(entries);
    this.journal.flushSync();
  }
}
