import { parseEvseId } from '../oicp/ids';
import { isEvseStatus } from '../oicp/schemas';
import type { EvseEntry, StatusStore } from './store';

export interface RestoreReport {
  /** EVSEs in the store after the restore. */
  records: number;
  /** Lines or rows that could not be used (corrupt or invalid). */
  skipped: number;
  /** True when the last journal line was cut short (the process died while writing it). */
  truncated: boolean;
  /** Human-readable notes worth a log line. */
  warnings: string[];
}

/** Where the state lives. The store calls record() through store.onChange once restore() has bound it. */
export interface PersistenceBackend {
  readonly kind: 'file' | 'context';
  /** Loads the saved state into the (empty) store and starts saving its changes. */
  restore(store: StatusStore): Promise<RestoreReport>;
  /** Writes everything pending now. */
  flush(): Promise<void>;
  /** Flushes and releases files and timers. Later changes are ignored. */
  close(): Promise<void>;
  /** The state is whole again (a forced fullLoad went out): a mark of earlier damage goes. */
  markComplete?(): void;
  /** Closes and deletes the saved state (the node was removed from the flow). */
  destroy(): Promise<void>;
}

/** A saved row turned back into an entry, or undefined when it is not valid. */
export function toEntry(id: unknown, status: unknown, lastSeen: unknown): EvseEntry | undefined {
  const parsed = parseEvseId(id);
  if (!parsed.ok || !isEvseStatus(status)) return undefined;
  const seen = typeof lastSeen === 'number' ? lastSeen : Number(lastSeen);
  if (!Number.isFinite(seen)) return undefined;
  return { EvseID: parsed.value, EvseStatus: status, lastSeen: seen };
}

/** Lets the event loop breathe during long loops. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Calls yieldToLoop when more than budgetMs passed since the last yield. */
export class Slicer {
  private started = Date.now();
  constructor(private readonly budgetMs = 15) {}
  async maybeYield(): Promise<void> {
    if (Date.now() - this.started >= this.budgetMs) {
      await yieldToLoop();
      this.started = Date.now();
    }
  }
}

export function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Runs a backend's loads and saves one after another. A failing save goes to onError once per
 * failure streak, not once per flush; succeeded() ends the streak. A restore's error goes to its caller.
 */
export class SerialOps {
  private chain: Promise<void> = Promise.resolve();
  private failing = false;

  constructor(private readonly onError?: (err: Error) => void) {}

  /** Queues op behind the ones before it. The returned promise rejects with op's error; report says whether onError hears of it too. */
  enqueue(op: () => Promise<void>, report = true): Promise<void> {
    const run = this.chain.then(op);
    this.chain = run.catch((err) => (report ? this.report(err) : undefined));
    return run;
  }

  /** Passes err to onError unless the current failure streak was reported already. */
  report(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    if (this.onError) this.onError(errorOf(err));
  }

  /** A save went through: the next failure is reported again. */
  succeeded(): void {
    this.failing = false;
  }

  /** Queues a load; its errors go to the caller only. */
  restore(load: () => Promise<RestoreReport>): Promise<RestoreReport> {
    let report: RestoreReport | undefined;
    return this.enqueue(async () => {
      report = await load();
    }, false).then(() => report as RestoreReport);
  }
}
