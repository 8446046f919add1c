// Records Hubject refused for good while no input message waited for them (restored from the outbox, scheduled, sent
// from the sidebar): kept per operator and operation until a new record for the same item arrives or a user sends
// them again. Keyed by an item key (evseKey for EVSE data and status), so other record kinds (CDRs) can reuse it.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeAtomic, writeAtomicSync } from '../oicp/durable';

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

/**
 * Where a list lives: whole-list load, and put/delete per key. The file store below rewrites one JSON file; the
 * planned journal engine can implement the same four calls.
 */
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

/** One JSON file, replaced atomically at most every `intervalMs` (the window kill -9 can lose). */
export class FileKeyedStore<V> implements KeyedStore<V> {
  private map = new Map<string, V>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private dirty = false;
  constructor(
    readonly file: string,
    private readonly onError: (err: Error) => void = () => {},
    private readonly intervalMs = 250,
  ) {}

  load(): Array<[string, V]> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err as Error);
      return [];
    }
    try {
      const snap = JSON.parse(text) as { version?: number; items?: Array<[string, V]> };
      if (snap.version !== 1 || !Array.isArray(snap.items)) throw new Error('unknown format');
      for (const [k, v] of snap.items) if (typeof k === 'string') this.map.set(k, v);
    } catch (err) {
      // A damaged list must not keep the lane from starting: it is set aside and the lane starts with an empty one.
      const aside = `${this.file}.damaged-${Date.now()}`;
      try {
        fs.renameSync(this.file, aside);
      } catch {
        // left in place; the next write replaces it
      }
      this.onError(new Error(`dead-letter list ${this.file} could not be read (${(err as Error).message}); moved to ${aside}`));
    }
    return [...this.map];
  }

  put(key: string, value: V | undefined): void {
    if (value === undefined) this.map.delete(key);
    else this.map.set(key, value);
    this.dirty = true;
    if (!this.timer && !this.writing) {
      this.timer = setTimeout(() => this.write(), this.intervalMs);
      this.timer.unref?.();
    }
  }

  private text(): string {
    return JSON.stringify({ version: 1, items: [...this.map] });
  }

  private write(): void {
    this.timer = null;
    if (this.writing) return;
    this.writing = (async () => {
      while (this.dirty) {
        this.dirty = false;
        try {
          await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
          await writeAtomic(this.file, [this.text()]);
        } catch (err) {
          this.onError(err as Error);
        }
      }
      this.writing = null;
    })();
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.write();
    }
    while (this.writing) await this.writing;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.dirty) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      writeAtomicSync(this.file, [this.text()]);
      this.dirty = false;
    } catch (err) {
      this.onError(err as Error);
    }
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
    oicp: { operation: string; action: string; records: number; EvseIDs: string[]; rejected: unknown[]; deadLetter: true };
  };
}

/**
 * The report for a queue's 'dead-letter' event, for node.error(error, msg): a Catch node gets msg.topic (the action),
 * msg.payload (the EvseIDs), msg.oicp (operation, action, records, rejected) and msg.error.cause.rejected.
 */
export function refusalReport(
  ev: { operation: string; action: string; failures: ReadonlyArray<{ EvseID: string; action: string; reason: string }> },
  text: (list: ReadonlyArray<{ id: string; action: string; reason: string }>) => string,
): RefusalReport {
  const ids = ev.failures.map((f) => f.EvseID);
  const rejected = [...ev.failures];
  const error = Object.assign(new Error(text(ev.failures.map((f) => ({ id: f.EvseID, action: f.action, reason: f.reason })))), {
    cause: { rejected },
  });
  error.name = 'DeadLetterError';
  return {
    error,
    msg: {
      topic: ev.action,
      payload: ids,
      oicp: { operation: ev.operation, action: ev.action, records: ids.length, EvseIDs: ids, rejected, deadLetter: true },
    },
  };
}
