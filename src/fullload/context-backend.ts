import { EVSE_STATUSES } from '../oicp/schemas';
import type { StatusStore } from './store';
import { SerialOps, Slicer, toEntry, type PersistenceBackend, type RestoreReport } from './persistence';

/** The part of a Node-RED context the backend needs; the adapter wraps node.context() and the chosen store. */
export interface ContextAccess {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

export interface ContextBackendOptions {
  context: ContextAccess;
  key?: string;
  /** Context stores persist whole values, so saving is debounced to at most once per debounceMs. */
  debounceMs?: number;
  onError?: (err: Error) => void;
}

export const CONTEXT_FORMAT = 'oicp-fullload';
export const DEFAULT_CONTEXT_KEY = 'oicpFullLoad';
const CHUNK = 5000;

/**
 * Saved value: {format, version, savedAt, count, meta, rows}. rows is one string of
 * "EvseID\tstatus\tlastSeen" lines: EvseIDs and statuses never contain tabs or newlines,
 * and a single string keeps stores that pretty-print JSON (localfilesystem) small and fast.
 */
export class ContextBackend implements PersistenceBackend {
  readonly kind = 'context' as const;
  readonly key: string;
  private readonly debounce: number;
  private store: StatusStore | undefined;
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Loads and saves one after another. Errors go to onError, except a restore's: its caller gets those. */
  private readonly ops: SerialOps;
  readonly stats = { saves: 0 };

  constructor(private readonly options: ContextBackendOptions) {
    this.key = options.key ?? DEFAULT_CONTEXT_KEY;
    this.debounce = options.debounceMs ?? 1000;
    this.ops = new SerialOps(options.onError);
  }

  restore(store: StatusStore): Promise<RestoreReport> {
    return this.ops.restore(() => this.load(store));
  }

  private async load(store: StatusStore): Promise<RestoreReport> {
    const report: RestoreReport = { records: 0, skipped: 0, truncated: false, warnings: [] };
    const value = await this.options.context.get(this.key);
    if (value !== undefined && value !== null) {
      const v = value as { format?: unknown; rows?: unknown; meta?: unknown; count?: unknown };
      if (typeof v !== 'object' || v.format !== CONTEXT_FORMAT || typeof v.rows !== 'string') {
        throw new Error(`context key '${this.key}' does not hold fullLoad state; delete it to start empty`);
      }
      store.loadMeta(v.meta);
      const slicer = new Slicer();
      const lines = v.rows.split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (lines[i] === '') continue;
        const f = lines[i].split('\t');
        const entry = f.length === 3 ? toEntry(f[0], f[1], Number(f[2])) : undefined;
        if (entry) store.load(entry);
        else report.skipped++;
        if ((i & 0x3ff) === 0) await slicer.maybeYield();
      }
      if (report.skipped) report.warnings.push(`${report.skipped} invalid rows skipped in context key '${this.key}'`);
    }
    this.store = store;
    store.onChange = () => this.record();
    report.records = store.size;
    return report;
  }

  /** Marks the state dirty; the whole value is saved after the debounce time. */
  record(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.ops.enqueue(() => this.save());
    }, this.debounce);
  }

  private async save(): Promise<void> {
    const store = this.store;
    if (!this.dirty || !store) return;
    this.dirty = false;
    try {
      const { ids, codes, seen } = store.view();
      const meta = store.meta;
      const slicer = new Slicer();
      const parts: string[] = [];
      let count = 0;
      for (let i = 0; i < ids.length; i += CHUNK) {
        const end = Math.min(i + CHUNK, ids.length);
        let text = '';
        for (let j = i; j < end; j++) {
          const id = ids[j];
          if (id === undefined) continue;
          text += id + '\t' + EVSE_STATUSES[codes[j]!] + '\t' + seen[j] + '\n';
          count++;
        }
        parts.push(text);
        if (!this.closed) await slicer.maybeYield();
      }
      const value = { format: CONTEXT_FORMAT, version: 1, savedAt: Date.now(), count, meta, rows: parts.join('') };
      await this.options.context.set(this.key, value);
      this.stats.saves++;
      this.ops.succeeded();
    } catch (err) {
      this.dirty = true;
      if (!this.closed) this.record();
      throw err;
    }
  }

  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return this.ops.enqueue(() => this.save());
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.store) this.store.onChange = undefined;
    this.closing = this.ops.enqueue(() => this.save()).catch((err) => this.ops.report(err));
    return this.closing;
  }

  async destroy(): Promise<void> {
    this.dirty = false;
    await this.close();
    await this.options.context.set(this.key, undefined);
  }
}
