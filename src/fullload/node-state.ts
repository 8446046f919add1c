// What the full load node shows and how it stops, without Node-RED: its status from the store's state, the context
// store as promises, and the messages that came in during a restore that ended with the node.
import { nextRunText, parseSchedule, Scheduler, type Schedule } from './schedule';
import type { ContextAccess } from './context-backend';
import { handOver } from './handoff';

export type Say = (key: string, values?: Record<string, string | number>) => string;

/** A node status as the kit shows it (fill, shape, text and a tail kept whole). */
export interface FullLoadStatus {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'ring' | 'dot';
  text: string;
  tail?: string;
}

export interface FullLoadState {
  closing: boolean;
  ready: boolean;
  setupError: string | undefined;
  /** The config node's error: records are still collected, but no fullLoad can reach Hubject until it is fixed. */
  configError: string | undefined;
  size: number;
  restoreError: string | undefined;
  guarded: string | undefined;
  next: Date | undefined;
  scheduleProblem: string | undefined;
}

/** The node's status: restoring, a setup or config error, not restored, guarded, or the EVSE count and next run. */
export function fullLoadStatus(s: FullLoadState, say: Say, now = Date.now()): FullLoadStatus | null {
  if (s.closing) return null;
  if (!s.ready) return { fill: 'blue', shape: 'ring', text: say('status.restoring') };
  if (s.setupError) return { fill: 'red', shape: 'ring', text: s.setupError };
  if (s.configError) return { fill: 'red', shape: 'ring', text: say('kit.errors.config', { error: s.configError }) };
  const count = say(s.size === 1 ? 'status.evse' : 'status.evses', { count: s.size.toLocaleString('en-US') });
  const next = s.next ? say('status.next', { at: nextRunText(s.next, now) }) : s.scheduleProblem ? say('status.invalidTime') : say('status.noSchedule');
  if (s.restoreError) return { fill: 'red', shape: 'ring', text: say('status.notRestored'), tail: ` · ${count}` };
  if (s.guarded) return { fill: 'yellow', shape: 'ring', text: say('status.guarded', { reason: s.guarded }), tail: ` · ${count} · ${next}` };
  return { fill: 'green', shape: 'dot', text: count, tail: ` · ${next}` };
}

/** The daily time setting: its schedule, none when empty, or why it cannot be read. */
export function readSchedule(time: string): { schedule?: Schedule; problem?: string } {
  if (!time) return {};
  try {
    return { schedule: parseSchedule(time) };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

/** Node-RED's callback context (get/set with a store name) as the promises the context backend reads. */
export interface CallbackContext {
  get(key: string, store: string, cb: (err: Error | null | undefined, value: unknown) => void): void;
  set(key: string, value: unknown, store: string, cb: (err: Error | null | undefined) => void): void;
}
export function contextAccess(ctx: CallbackContext, store: string | undefined): ContextAccess {
  return {
    get: (key) => new Promise((resolve, reject) => ctx.get(key, store!, (err, v) => (err ? reject(err) : resolve(v)))),
    set: (key, value) => new Promise((resolve, reject) => ctx.set(key, value, store!, (err) => (err ? reject(err) : resolve()))),
  };
}

/**
 * Messages that arrived during the restore of a node now stopping: a quick redeploy must not lose them, so the
 * restore may finish (for at most waitMs) and they are applied; when it fails or hangs they are refused.
 */
export async function settleLate<M>(late: M[], restored: () => Promise<boolean>, waitMs: number, apply: (m: M) => void, refuse: (m: M) => void): Promise<void> {
  if (!late.length) return;
  let wait: ReturnType<typeof setTimeout> | undefined;
  const ok = await Promise.race([
    restored(),
    new Promise<boolean>((resolve) => {
      wait = setTimeout(() => resolve(false), waitMs);
    }),
  ]);
  if (wait) clearTimeout(wait);
  for (const m of late) (ok ? apply : refuse)(m);
}

/** The node's runs besides input: the daily schedule and the one after start; stopped together at close. */
export class FullLoadTimers {
  private scheduler: Scheduler | undefined;
  private startTimer: ReturnType<typeof setTimeout> | undefined;

  start(o: { schedule?: Schedule; onStartDelayMs?: number; run: (trigger: 'schedule' | 'start') => void; onError: (err: Error) => void }): void {
    if (o.schedule) {
      this.scheduler = new Scheduler({ schedule: o.schedule, run: () => o.run('schedule'), onError: o.onError });
      this.scheduler.start();
    }
    if (o.onStartDelayMs !== undefined) {
      this.startTimer = setTimeout(() => {
        this.startTimer = undefined;
        o.run('start');
      }, o.onStartDelayMs);
    }
  }

  /** The next scheduled run, if any. */
  get next(): Date | undefined {
    return this.scheduler?.next ?? undefined;
  }

  stop(): void {
    this.scheduler?.stop();
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = undefined;
  }
}

/** A count over the store, made again only when its size changed or it is older than maxAgeMs (the walk costs). */
export class Recount<V> {
  private counted: { at: number; size: number; value: V } | undefined;
  constructor(
    private readonly size: () => number,
    private readonly count: (now: number) => V,
    private readonly maxAgeMs = 30_000,
  ) {}

  get(now: number): V {
    const size = this.size();
    if (!this.counted || this.counted.size !== size || now - this.counted.at > this.maxAgeMs) this.counted = { at: now, size, value: this.count(now) };
    return this.counted.value;
  }
}

export interface StopOptions<M> {
  /** The node's hand-over key: a redeployed instance restores only after this one finished closing. */
  key: string;
  late: M[];
  restored: () => Promise<boolean>;
  waitMs: number;
  apply: (m: M) => void;
  refuse: (m: M) => void;
  close: () => Promise<void>;
  onError: (err: Error) => void;
  /** Close must not hold up a deploy (the journal is written every 250 ms anyway): done after this at the latest. */
  budgetMs: number;
}

/** Settles the late messages, closes the store and hands over to the next instance; resolves within the budget. */
export function stopFullLoad<M>(o: StopOptions<M>): Promise<void> {
  const work = (async () => {
    await settleLate(o.late, o.restored, o.waitMs, o.apply, o.refuse);
    await o.close();
  })().catch(o.onError);
  handOver(o.key, work);
  let budget: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    budget = setTimeout(resolve, o.budgetMs);
  });
  return Promise.race([work, timeout]).then(() => {
    if (budget) clearTimeout(budget);
  });
}
