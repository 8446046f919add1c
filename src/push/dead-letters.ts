// Records Hubject refused for good while no input message waited for them (restored from the outbox, scheduled, sent
// from the sidebar): kept per operator and operation until a new record for the same item arrives or a user sends
// them again. Keyed by an item key (evseKey for EVSE data and status), so other record kinds (CDRs) can reuse it.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { Journal, stateHealth, type JournalIo, type JournalLoadReport, type StateOwner } from '../journal';
import type { RecordFailure } from './queue';

export interface DeadLetter<R = unknown> {
  /** The item's identity key (evseKey for EVSEs). */
  key: string;
  /** The item's id as it was sent (EvseID). */
  id: string;
  operation: string;
  action: string;
  reason: string;
  code?: string;
  /** ISO time of the refusal. */
  time: string;
  /** The record as queued, to send again. */
  record: R;
}

/** Where a list lives: whole-list load, and put/delete per key (one journal line each in the file store below). */
export interface KeyedStore<V> {
  load(): Array<[string, V]>;
  put(key: string, value: V | undefined): void;
  /** Resolves when every put so far is durable. */
  flush(): Promise<void>;
  /** Writes what is pending synchronously (shutdown). */
  close(): void;
}

export class MemoryKeyedStore<V> implements KeyedStore<V> {
  private map = new Map<string, V>();
  load(): Array<[string, V]> {
    return [...this.map];
  }
  put(key: string, value: V | undefined): void {
    if (value === undefined) this.map.delete(key);
    else this.map.set(key, value);
  }
  async flush(): Promise<void> {}
  close(): void {}
}

export interface FileKeyedStoreOptions {
  /** Changes are written (appended, fsync'ed) this long after they happen: the window kill -9 can lose. */
  intervalMs?: number;
  operatorId?: string;
  operation?: string;
  io?: JournalIo;
}

/**
 * The list on the journal engine (src/journal): `<name>.jsonl` and `<name>.journal` beside the `<name>.json` of
 * the format before it (one JSON file rewritten whole), which is migrated on the first load.
 */
export class FileKeyedStore<V> implements KeyedStore<V> {
  readonly journal: Journal<V>;
  /** What the last load found. */
  report: JournalLoadReport | undefined;
  constructor(
    readonly file: string,
    private readonly onError: (err: Error) => void = () => {},
    private readonly options: FileKeyedStoreOptions = {},
  ) {
    this.journal = new Journal<V>({
      snapshot: file.replace(/\.json$/, '') + '.jsonl',
      format: 'oicp-dead-letters',
      flushIntervalMs: options.intervalMs ?? 250,
      io: options.io,
    });
    stateHealth.watch(this.journal, this.journal.snapshotFile, this.owner());
    this.journal.on('error', (e) => this.onError(new Error(`dead-letter list ${e.path} not written (${e.code}): ${e.message}`)));
  }

  private owner(): StateOwner {
    return { kind: 'dead-letters', operatorId: this.options.operatorId, operation: this.options.operation };
  }

  load(): Array<[string, V]> {
    const j = this.journal;
    const r = j.load(() => this.legacy());
    this.report = r;
    stateHealth.loaded(j.snapshotFile, this.owner(), r, j.incomplete);
    for (const d of r.damaged) {
      this.onError(
        new Error(
          `dead-letter list ${d.file} could not be read (${d.reason}); ${r.recovered} entries recovered, ${r.lost} lost${d.movedTo ? `; moved to ${d.movedTo}` : ''}`,
        ),
      );
    }
    return [...j.entries()];
  }

  /** The one JSON file of the format before the engine; a damaged one is set aside and the list is incomplete. */
  private legacy(): { entries: Iterable<[string, V]>; files: string[] } | undefined {
    let text: string;
    try {
      if (fs.existsSync(this.journal.journalFile)) return undefined;
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err as Error);
      return undefined;
    }
    try {
      const snap = JSON.parse(text) as { version?: number; items?: Array<[string, V]> };
      if (snap.version !== 1 || !Array.isArray(snap.items)) throw new Error('unknown format');
      return { entries: snap.items.filter((it) => Array.isArray(it) && typeof it[0] === 'string'), files: [this.file] };
    } catch (err) {
      const aside = `${this.file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        fs.renameSync(this.file, aside);
      } catch {
        // left in place: read again (and set aside) on the next start
      }
      this.journal.noteDamage(this.file, 1);
      this.onError(new Error(`dead-letter list ${this.file} could not be read (${(err as Error).message}); moved to ${aside}`));
      return { entries: [], files: [] };
    }
  }

  put(key: string, value: V | undefined): void {
    if (value === undefined) this.journal.delete(key);
    else this.journal.set(key, value);
  }

  /** Resolves when every put so far is durable; a failed write is reported through onError and retried. */
  flush(): Promise<void> {
    return this.journal.flush().catch(() => undefined);
  }

  close(): void {
    this.journal.closeSync();
  }
}

/** The dead-letter list of one operator and operation. Events: 'change' (count). */
export class DeadLetters<R = unknown> extends EventEmitter {
  private items = new Map<string, DeadLetter<R>>();
  constructor(
    readonly operation: string,
    private readonly store: KeyedStore<DeadLetter<R>> = new MemoryKeyedStore(),
  ) {
    super();
    for (const [k, v] of store.load()) this.items.set(k, v);
  }

  get count(): number {
    return this.items.size;
  }

  /** Oldest first; at most `limit`. */
  list(limit = Infinity): DeadLetter<R>[] {
    const out: DeadLetter<R>[] = [];
    for (const v of this.items.values()) {
      if (out.length >= limit) break;
      out.push(v);
    }
    return out;
  }

  add(letters: readonly DeadLetter<R>[]): void {
    if (!letters.length) return;
    for (const l of letters) {
      this.items.delete(l.key); // the latest refusal goes last
      this.items.set(l.key, l);
      this.store.put(l.key, l);
    }
    this.emit('change', this.items.size);
  }

  /** A new record for these items arrived: their entries are done with. */
  clear(keys: Iterable<string>): void {
    if (!this.items.size) return;
    let n = 0;
    for (const k of keys) {
      if (this.items.delete(k)) {
        this.store.put(k, undefined);
        n++;
      }
    }
    if (n) this.emit('change', this.items.size);
  }

  /** Takes the given entries (all when keys is undefined) out of the list, to send again. */
  take(keys?: readonly string[]): DeadLetter<R>[] {
    const picked = keys ? keys.map((k) => this.items.get(k)).filter((x): x is DeadLetter<R> => !!x) : [...this.items.values()];
    this.clear(picked.map((l) => l.key));
    return picked;
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  close(): void {
    this.store.close();
  }
}

/** What a node reports for records refused with no input message: an Error and a message built to say what it was. */
export interface RefusalReport {
  error: Error & { cause: { rejected: unknown[] } };
  msg: {
    topic: string;
    payload: string[];
    /** The ids under the lane's name for them: `EvseIDs` for status and data. */
    oicp: { operation: string; action: string; records: number; rejected: unknown[]; deadLetter: true; [ids: string]: unknown };
  };
}

/** A failure as users see it: the id under the lane's name for it (`{EvseID, action, reason, ...}`). */
export function namedFailure(f: RecordFailure, idName: string): Record<string, unknown> {
  const { id, ...rest } = f;
  return { [idName]: id, ...rest };
}

/**
 * The report for a queue's 'dead-letter' event, for node.error(error, msg): a Catch node gets msg.topic (the action),
 * msg.payload (the EvseIDs), msg.oicp (operation, action, records, rejected) and msg.error.cause.rejected.
 */
export function refusalReport(
  ev: { operation: string; action: string; idName: string; failures: readonly RecordFailure[] },
  text: (list: ReadonlyArray<{ id: string; action: string; reason: string }>) => string,
): RefusalReport {
  const ids = ev.failures.map((f) => f.id);
  const rejected = ev.failures.map((f) => namedFailure(f, ev.idName));
  const error = Object.assign(new Error(text(ev.failures)), {
    cause: { rejected },
  });
  error.name = 'DeadLetterError';
  return {
    error,
    msg: {
      topic: ev.action,
      payload: ids,
      oicp: { operation: ev.operation, action: ev.action, records: ids.length, [`${ev.idName}s`]: ids, rejected, deadLetter: true },
    },
  };
}
