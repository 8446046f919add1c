import { operatorList, operatorMatcher, type Operators } from '../oicp/ids';
import { EVSE_STATUSES, type EvseStatus } from '../oicp/schemas';
import { viewOfEntries, type EvseEntry, type StatusStore, type StoreView } from './store';

export const DAY_MS = 86_400_000;

export interface BuildOptions {
  now: number | Date;
  /** EVSEs not seen for this many days are left out; 0 or absent: never. */
  staleDays?: number;
  allowEmpty?: boolean;
  force?: boolean;
  /** Guard: stop a list smaller than minRatio x lastSuccessfulCount; 0 turns the guard off. */
  minRatio?: number;
  lastSuccessfulCount?: number;
  /**
   * Own OperatorID, or it followed by its sub-operators'. Records outside their namespaces are left out (Hubject
   * would refuse the whole request with 018).
   */
  operatorId?: Operators;
}

export type GuardCode = 'empty' | 'collapsed';

export interface FullLoadRecord {
  EvseID: string;
  EvseStatus: EvseStatus;
}

export interface FullLoadResult {
  /** Sorted by EvseID (code-unit order). Present even when guarded, for inspection. */
  records: FullLoadRecord[];
  count: number;
  staleDropped: string[];
  foreignDropped: string[];
  /** Human-readable reason when a guard holds the fullLoad back. */
  guarded?: string;
  guardCode?: GuardCode;
}

type Source = StatusStore | Iterable<EvseEntry>;

function viewOf(source: Source): StoreView {
  // A copy: the store may change while an async build is in progress.
  if (typeof (source as StatusStore).view === 'function') return (source as StatusStore).view();
  return viewOfEntries(Array.from(source as Iterable<EvseEntry>));
}

const byEvseId = (a: { EvseID: string }, b: { EvseID: string }): number => (a.EvseID < b.EvseID ? -1 : a.EvseID > b.EvseID ? 1 : 0);

const RUN = 2048;
const STEP = 8192;

/** Bottom-up merge sort that yields between slices, so 100,000 items never block the event loop for long. */
function* sortInSlices<T>(arr: T[], cmp: (a: T, b: T) => number): Generator<void, T[], void> {
  const n = arr.length;
  if (n <= RUN) return arr.sort(cmp);
  for (let i = 0; i < n; i += RUN) {
    const run = arr.slice(i, i + RUN).sort(cmp);
    for (let j = 0; j < run.length; j++) arr[i + j] = run[j];
    yield;
  }
  let src = arr;
  let dst: T[] = new Array(n);
  let ops = 0;
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        dst[k++] = cmp(src[j], src[i]) < 0 ? src[j++] : src[i++];
        if (++ops >= STEP) {
          ops = 0;
          yield;
        }
      }
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    const t = src;
    src = dst;
    dst = t;
    yield;
  }
  return src;
}

function* buildSteps(source: Source, opts: BuildOptions): Generator<void, FullLoadResult, void> {
  const now = typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const staleDays = opts.staleDays && opts.staleDays > 0 ? opts.staleDays : 0;
  const cutoff = staleDays ? now - staleDays * DAY_MS : -Infinity;
  const { ids, codes, seen } = viewOf(source);
  const belongs = operatorList(opts.operatorId).length ? operatorMatcher(opts.operatorId!) : undefined;
  const records: FullLoadRecord[] = new Array(ids.length);
  let count = 0;
  const staleDropped: string[] = [];
  const foreignDropped: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === undefined) continue;
    if (seen[i]! < cutoff) staleDropped.push(id);
    else if (belongs && !belongs(id)) foreignDropped.push(id);
    else records[count++] = { EvseID: id, EvseStatus: EVSE_STATUSES[codes[i]!]! };
    if ((i & 0x3fff) === 0x3fff) yield;
  }
  records.length = count;
  const sorted = yield* sortInSlices(records, byEvseId);
  staleDropped.sort();
  foreignDropped.sort();
  const result: FullLoadResult = { records: sorted, count: sorted.length, staleDropped, foreignDropped };
  const guard = checkGuards(result.count, opts);
  if (guard) {
    result.guarded = guard.reason;
    result.guardCode = guard.code;
  }
  return result;
}

/** The safety guards. Returns why the list must be guarded, or undefined to send it. */
export function checkGuards(count: number, opts: BuildOptions): { code: GuardCode; reason: string } | undefined {
  if (opts.force) return undefined;
  if (count === 0 && !opts.allowEmpty) {
    return {
      code: 'empty',
      reason:
        'the list is empty and a fullLoad with no records would delete every EVSE of the operator at Hubject (set allowEmpty or msg.force = true to send it anyway)',
    };
  }
  const ratio = opts.minRatio ?? 0;
  const last = opts.lastSuccessfulCount ?? 0;
  if (ratio > 0 && last > 0 && count < ratio * last) {
    return {
      code: 'collapsed',
      reason: `the list has ${count} EVSEs, fewer than ${ratio} x ${last} of the last successful fullLoad (send msg.force = true to send it anyway)`,
    };
  }
  return undefined;
}

/** Builds the fullLoad synchronously (for tests and small sets). */
export function buildFullLoad(source: Source, opts: BuildOptions): FullLoadResult {
  const gen = buildSteps(source, opts);
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

export interface SliceOptions {
  /** Longest synchronous stretch before yielding to the event loop. */
  sliceMs?: number;
  /** Checked between slices; a true value aborts with an error. */
  aborted?: () => boolean;
}

/** Same result as buildFullLoad, computed in slices of at most ~sliceMs with setImmediate in between. */
export async function buildFullLoadAsync(source: Source, opts: BuildOptions, slice: SliceOptions = {}): Promise<FullLoadResult> {
  const budget = slice.sliceMs ?? 15;
  const gen = buildSteps(source, opts);
  let started = Date.now();
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
    if (Date.now() - started >= budget) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (slice.aborted && slice.aborted()) throw new Error('fullLoad build aborted');
      started = Date.now();
    }
  }
}
