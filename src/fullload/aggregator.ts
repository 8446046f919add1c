import { buildFullLoadAsync, DAY_MS, type FullLoadRecord } from './builder';
import { errorOf, type PersistenceBackend, type RestoreReport } from './persistence';
import { describeValue as describe } from '../oicp/describe';
import { describeOperators, type Operators } from '../oicp/ids';
import { parseDeleteIds, parseStatusRecords } from './records';
import { StatusStore } from './store';

/** What started a fullLoad; it ends up in msg.fullLoad.trigger and in the warnings. */
export type FullLoadTrigger = 'schedule' | 'start' | 'manual';

export interface FullLoadAggregatorOptions {
  /** Where the state is saved; restore() binds it to the store. */
  backend: PersistenceBackend;
  /** Defaults to a new, empty store. */
  store?: StatusStore;
  /** EVSEs not seen for this many days are left out of a fullLoad and forgotten; 0: never. */
  staleDays: number;
  /** Send a fullLoad with no records without msg.force. */
  allowEmpty: boolean;
  /** Collapse guard: stop a list smaller than minRatio x the last successful count; 0: off. */
  minRatio: number;
  /**
   * The operator of the linked Hubject config, read on every use: its OperatorID, or it followed by its
   * sub-operators'. Records of other operators are refused.
   */
  operatorId?: () => Operators | undefined;
  /** restore() reads the saved state only once this settled: the close of the previous instance of the node (see handoff.ts). */
  after?: Promise<unknown>;
  /** Clock, for tests. */
  now?: () => number;
}

/** What an input message did. warnings are for node.warn. */
export type HandleResult =
  /** Records stored (count of them). */
  | { kind: 'stored'; count: number; warnings: string[] }
  /** EVSEs removed with msg.action 'delete' (requested ids; unknown ones are ignored). */
  | { kind: 'deleted'; count: number; warnings: string[] }
  /** A result of the push node wired back. learned: it was the result of a fullLoad and updated the meta. */
  | { kind: 'feedback'; learned: boolean; warnings: string[] }
  /** A request to build a fullLoad now: call fullLoad('manual', force). */
  | { kind: 'trigger'; force: boolean; warnings: string[] }
  /** The message was refused; the state is untouched. */
  | { kind: 'error'; error: string; warnings: string[] };

export interface SentFullLoad {
  /** EvseStatusRecord list, sorted by EvseID. */
  payload: FullLoadRecord[];
  fullLoad: { count: number; staleDropped: string[]; generatedAt: string; trigger: FullLoadTrigger };
}

export interface Guarded {
  /** Full reason, for the warning. */
  reason: string;
  /** A few words, for the node status. */
  short: string;
}

export type FullLoadOutcome =
  | { sent: SentFullLoad; warnings: string[] }
  | { guarded: Guarded; warnings: string[] }
  /** close() was called before or during the build: nothing was sent and the state is unchanged. */
  | { stopped: true; warnings: string[] };

export interface RestoreOutcome {
  /** Undefined when the saved state could not be read. */
  report?: RestoreReport;
  /** For node.warn. */
  warnings: string[];
  /** For node.log. */
  notes: string[];
  /** For node.error: the state could not be restored, fullLoads are guarded unless forced. */
  error?: string;
}

/** Up to max ids, then "and N more". */
export function preview(ids: string[], max = 10): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}

/** The msg a sent fullLoad goes out in: the trigger message when there is one, with action, payload and fullLoad set. */
export function fullLoadMessage<M extends Record<string, unknown>>(
  sent: SentFullLoad,
  msg?: M,
): M & { action: 'fullLoad'; payload: FullLoadRecord[]; fullLoad: SentFullLoad['fullLoad'] } {
  // The trigger message itself is sent on (not a copy), as Node-RED nodes do.
  return Object.assign((msg ?? { topic: 'fullLoad' }) as M, { action: 'fullLoad' as const, payload: sent.payload, fullLoad: sent.fullLoad });
}

const noop = (): void => undefined;

/**
 * The state of the full load node without Node-RED: keeps the latest status of every EVSE,
 * learns from the push node's results, and builds guarded fullLoads one at a time.
 */
export class FullLoadAggregator {
  readonly store: StatusStore;
  readonly backend: PersistenceBackend;
  private readonly options: FullLoadAggregatorOptions;
  private readonly now: () => number;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private restoreFailed: string | undefined;
  private guardedShort: string | undefined;

  constructor(options: FullLoadAggregatorOptions) {
    this.options = options;
    this.backend = options.backend;
    this.store = options.store ?? new StatusStore();
    this.now = options.now ?? (() => Date.now());
  }

  /** EVSEs in the state. */
  get size(): number {
    return this.store.size;
  }

  /** Why the saved state could not be restored, if it could not. */
  get restoreError(): string | undefined {
    return this.restoreFailed;
  }

  /** Short reason the last fullLoad was guarded; undefined once one was sent. */
  get guarded(): string | undefined {
    return this.guardedShort;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private operatorId(): Operators | undefined {
    return this.options.operatorId ? this.options.operatorId() : undefined;
  }

  /** Loads the saved state. Never rejects: a failure is reported and holds fullLoads back unless forced. */
  async restore(): Promise<RestoreOutcome> {
    let report: RestoreReport;
    try {
      await this.options.after?.catch(() => undefined);
      report = await this.backend.restore(this.store);
    } catch (err) {
      this.restoreFailed = errorOf(err).message || 'unknown error';
      return {
        warnings: [],
        notes: [],
        error: `the saved fullLoad state could not be restored: ${(err as Error).message}. fullLoads are guarded unless msg.force = true`,
      };
    }
    const notes = report.truncated ? ['the last journal line was incomplete (the process stopped while writing it) and was skipped'] : [];
    return { report, warnings: report.warnings.slice(), notes };
  }

  /** Routes one input message: records, deletes, push results, or a fullLoad trigger (which the caller runs). */
  handle(msg: Record<string, unknown>): HandleResult {
    // Results of the push node, wired back: checked first, as they carry topic 'fullLoad'.
    const oicp = msg.oicp as Record<string, unknown> | null | undefined;
    if (oicp && typeof oicp === 'object' && typeof oicp.action === 'string') return this.feedback(oicp);
    if (msg.action === 'fullLoad') {
      return error("msg.action 'fullLoad' is the output of a full load node; to trigger a fullLoad send msg.topic = 'fullLoad' or msg.payload = 'fullLoad'");
    }
    if (msg.topic === 'fullLoad' || msg.payload === 'fullLoad') return { kind: 'trigger', force: msg.force === true, warnings: [] };
    if (msg.action === 'delete') {
      const ids = parseDeleteIds(msg.payload);
      if (!ids.ok) return error(ids.error);
      for (const id of ids.value) this.store.delete(id);
      return { kind: 'deleted', count: ids.value.length, warnings: [] };
    }
    if (msg.action !== undefined && msg.action !== 'update' && msg.action !== 'insert') {
      return error(`msg.action ${describe(msg.action)} is not supported: use 'delete' to remove EVSEs, or send records without msg.action`);
    }
    const p = msg.payload;
    if (p === null || typeof p !== 'object') {
      if (typeof msg.topic === 'string' && msg.topic !== '') {
        return error(`unknown control topic '${msg.topic}': msg.topic 'fullLoad' triggers a fullLoad; records go in msg.payload as {EvseID, EvseStatus}`);
      }
      if (typeof p === 'string') return error(`unknown command '${p}': expected 'fullLoad' or records {EvseID, EvseStatus}`);
      return error(`msg.payload must be a record {EvseID, EvseStatus} or an array of them (got ${p === null ? 'null' : typeof p})`);
    }
    const parsed = parseStatusRecords(p, this.operatorId());
    if (!parsed.ok) return error(parsed.error);
    const now = this.now();
    for (const r of parsed.value) this.store.set(r.EvseID, r.EvseStatus, now);
    return { kind: 'stored', count: parsed.value.length, warnings: [] };
  }

  /** A push result (msg.oicp). Once one came back, only fullLoads Hubject accepted move the collapse guard's baseline. */
  private feedback(o: Record<string, unknown>): HandleResult {
    if (o.action !== 'fullLoad') return { kind: 'feedback', learned: false, warnings: [] }; // results of single updates: nothing to learn
    const warnings: string[] = [];
    if (o.statusCode === '000' && typeof o.records === 'number' && Number.isFinite(o.records) && o.records >= 0) {
      this.store.setMeta({ feedback: true, lastSuccessfulCount: o.records });
    } else {
      this.store.setMeta({ feedback: true });
      const code = o.statusCode ?? o.httpStatus ?? o.result ?? 'no status code';
      warnings.push(
        `Hubject did not accept the last fullLoad (${code}${o.description ? ': ' + o.description : ''}); the collapse guard keeps comparing with ${this.store.meta.lastSuccessfulCount ?? 'nothing'}`,
      );
    }
    return { kind: 'feedback', learned: true, warnings };
  }

  /**
   * Builds a fullLoad and applies the guards. Calls run one after another. When it is sent, EVSEs left
   * out as stale are forgotten (unless seen again meanwhile) and, without push feedback, its count
   * becomes the collapse guard's baseline. Rejects when the build fails or is aborted by close().
   */
  fullLoad(trigger: FullLoadTrigger, force = false): Promise<FullLoadOutcome> {
    const run = this.chain.then(() => this.build(trigger, force));
    this.chain = run.then(noop, noop);
    return run;
  }

  private async build(trigger: FullLoadTrigger, force: boolean): Promise<FullLoadOutcome> {
    if (this.closed) return { stopped: true, warnings: [] };
    const { store } = this;
    const staleDays = this.options.staleDays;
    const now = this.now();
    const result = await buildFullLoadAsync(
      store,
      {
        now,
        staleDays,
        allowEmpty: this.options.allowEmpty,
        force,
        minRatio: this.options.minRatio,
        lastSuccessfulCount: store.meta.lastSuccessfulCount,
        operatorId: this.operatorId(),
      },
      { aborted: () => this.closed },
    );
    if (this.closed) return { stopped: true, warnings: [] };
    let reason = result.guarded;
    let short = result.guardCode === 'collapsed' ? 'list collapsed' : result.guardCode === 'empty' ? 'empty list' : '';
    if (!reason && this.restoreFailed && !force) {
      reason = `the saved state could not be restored (${this.restoreFailed}); send msg.force = true to send the ${result.count} EVSEs this node has`;
      short = 'state not restored';
    }
    if (reason) {
      this.guardedShort = short;
      return { guarded: { reason, short }, warnings: [`${trigger} fullLoad guarded: ${reason}`] };
    }
    const warnings: string[] = [];
    if (result.foreignDropped.length) {
      warnings.push(
        `${result.foreignDropped.length} EVSEs outside operator ${describeOperators(this.operatorId() ?? '')} left out of the fullLoad: ${preview(result.foreignDropped)}`,
      );
    }
    if (result.staleDropped.length) {
      warnings.push(
        `${result.staleDropped.length} EVSEs not seen for ${staleDays} days left out of the fullLoad and removed from the state: ${preview(result.staleDropped)}`,
      );
      // They are gone at Hubject with this fullLoad; forget them unless seen again meanwhile.
      const cutoff = now - staleDays * DAY_MS;
      for (const id of result.staleDropped) {
        const e = store.get(id);
        if (e && e.lastSeen < cutoff) store.delete(id);
      }
    }
    store.setMeta(store.meta.feedback ? { lastFullLoadAt: now } : { lastSuccessfulCount: result.count, lastFullLoadAt: now });
    this.guardedShort = undefined;
    // A forced fullLoad is the user's word that this set is whole: damaged state stops holding the next ones back.
    if (force) this.backend.markComplete?.();
    return {
      sent: {
        payload: result.records,
        fullLoad: { count: result.count, staleDropped: result.staleDropped, generatedAt: new Date(now).toISOString(), trigger },
      },
      warnings,
    };
  }

  /** Stops: builds in progress are aborted, later ones are skipped; the backend is closed, or deleted when removed. */
  close(removed = false): Promise<void> {
    this.closed = true;
    return removed ? this.backend.destroy() : this.backend.close();
  }
}

function error(message: string): HandleResult {
  return { kind: 'error', error: message, warnings: [] };
}
