/**
 * Operations counters for the OICP sidebar and /oicp/metrics. No Node-RED import.
 *
 * One LaneStats (the counters of one lane) per operator, environment and operation. The push queue calls its hooks; everything is kept in
 * fixed-size typed-array rings, so the hot path (enqueued, acked) allocates nothing and memory does not grow
 * with traffic. Reading (state(), the metrics) does the summing.
 */
import { stateHealth, type StateProblem } from '../journal/health';
import type { LastRun } from '../fullload/last-run';
import { authorizeActivity, authorizeOperators, authorizeSeries, type AuthorizeOutcome, type AuthorizeSeries } from '../sessions/stats';

export type Outcome = 'success' | 'transient' | 'data' | 'config';
export const OUTCOMES: readonly Outcome[] = ['success', 'transient', 'data', 'config'];
export type { Operation } from '../oicp/operations';
import type { Operation } from '../oicp/operations';
export type Environment = 'qa' | 'production' | 'custom';

/** Upper bounds (seconds) of the Prometheus histogram oicp_push_lag_seconds. */
export const LAG_BUCKETS_S: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Slot width of the lag ring and the history. */
export const SLOT_MS = 10_000;
/** Lag percentiles cover this many slots (5 minutes). */
export const LAG_SLOTS = 30;
/** History for the plots: one sample per slot for 30 minutes. */
export const HISTORY_SLOTS = 180;

// Fine log-spaced buckets for the sidebar's percentiles: 1 ms .. ~2.8 h, each bucket 12 % wide.
const FINE = 140;
const FINE_MIN_MS = 1;
const FINE_RATIO = 1.12;
const LOG_RATIO = Math.log(FINE_RATIO);

/** Index of the fine bucket holding a lag of ms: bucket i covers (MIN*R^(i-1), MIN*R^i]; 0 holds <= 1 ms. */
export function fineBucket(ms: number): number {
  if (!(ms > FINE_MIN_MS)) return 0;
  const i = Math.ceil(Math.log(ms / FINE_MIN_MS) / LOG_RATIO - 1e-9);
  return i >= FINE ? FINE - 1 : i;
}

/** Upper bound (ms) of fine bucket i: a percentile is reported as this bound, so it is never below the true value by more than one bucket. */
export function fineUpper(i: number): number {
  return FINE_MIN_MS * FINE_RATIO ** i;
}

export interface LaneLabels {
  operator: string;
  operation: Operation;
  environment: Environment;
  /** Hubject base URL (QA, production or the custom one). */
  url: string;
}

/** What the queue lends its lane: read at scrape time, and the "retry now" action. */
export interface LaneSource {
  /** Changes waiting (queued plus in flight), counted by the queue itself. */
  pending(): number;
  /** Skip the current backoff and send now. Returns false when nothing was waiting. */
  retryNow?(): boolean;
  /** Outbox size in bytes, when the queue does not report it through outboxBytes(). */
  outboxBytes?(): number;
  /** Records refused for good with no input message waiting (the dead-letter list). */
  deadLetters?(): number;
  /** The newest dead letters, for the sidebar. */
  deadLetterList?(limit: number): DeadLetterView[];
  /** Queues dead letters again (all, or those keys); returns how many. */
  sendDeadLettersAgain?(keys?: string[]): number;
}

/** A dead letter as the sidebar and GET /oicp/state show it. */
export interface DeadLetterView {
  key: string;
  id: string;
  operation: string;
  action: string;
  reason: string;
  code?: string;
  time: string;
}

/** Dead letters the state lists per lane (the count is always complete). */
export const DEAD_LETTERS_LISTED = 20;

export interface RequestEnd {
  class: Outcome;
  httpStatus?: number;
  /** Hubject StatusCode.Code, else the HTTP status or transport error code. */
  code?: string;
  reason?: string;
  records: number;
  now: number;
}

export interface LaneState {
  key: string;
  operator: string;
  operation: Operation;
  environment: Environment;
  url: string;
  pending: number;
  inFlight: number;
  lastAck?: { code: string; at: number };
  lastError?: { code?: string; reason: string; class: Outcome; at: number };
  lastSuccessAt?: number;
  requestsLastMinute: number;
  rateLimit: number;
  count429: number;
  backoffMs: number;
  outboxBytes: number;
  held: number;
  deadLetters: { count: number; items: DeadLetterView[] };
  lag: { p50Ms?: number; p99Ms?: number; samples: number };
  requests: Record<Outcome, number>;
  records: Record<Outcome, number>;
  changesIn: number;
  /** Oldest first; `t` in ms, values per slot (NaN: no lag sample in the window). */
  history: { slotMs: number; t: number[]; pending: number[]; lagP99Ms: number[]; requestsPerMinute: number[] };
}

export class LaneStats {
  readonly key: string;
  readonly labels: LaneLabels;
  source: LaneSource | undefined;

  private pendingGuess = 0;
  private inFlightN = 0;
  private changesInN = 0;
  private lastAckCode: string | undefined;
  private lastAckAt = 0;
  private lastErr: LaneState['lastError'];
  private lastSuccess = 0;
  private n429 = 0;
  private backoffUntil = 0;
  private outbox = 0;
  private heldN = 0;
  rateLimit = 0;

  private readonly reqCounts = new Float64Array(4);
  private readonly recCounts = new Float64Array(4);

  // Requests started, per second, for the last minute.
  private readonly secCounts = new Uint32Array(60);
  private readonly secIds = new Float64Array(60).fill(-1);

  // Lag: fine histogram per 10 s slot for 5 minutes, and the all-time Prometheus buckets.
  private readonly lagSlots = new Uint32Array(LAG_SLOTS * FINE);
  private readonly lagIds = new Float64Array(LAG_SLOTS).fill(-1);
  /** Cumulative-free counts per LAG_BUCKETS_S bucket, the last one is +Inf. */
  readonly promBuckets = new Float64Array(LAG_BUCKETS_S.length + 1);
  promSum = 0;
  promCount = 0;

  // History: one sample per slot.
  private readonly histT = new Float64Array(HISTORY_SLOTS);
  private readonly histPending = new Float64Array(HISTORY_SLOTS);
  private readonly histLag = new Float64Array(HISTORY_SLOTS);
  private readonly histRpm = new Float64Array(HISTORY_SLOTS);
  private histSlot = -1;
  private histLen = 0;
  private readonly scratch = new Uint32Array(FINE);

  constructor(labels: LaneLabels) {
    this.labels = labels;
    this.key = laneKey(labels);
  }

  // ---- hooks the queue calls ----

  /** n changes entered the queue (before coalescing). */
  enqueued(n: number, now: number): void {
    this.changesInN += n;
    this.pendingGuess += n;
    this.tick(now);
  }

  requestStarted(now: number): void {
    this.inFlightN++;
    const sec = Math.floor(now / 1000);
    const i = sec % 60;
    if (this.secIds[i] !== sec) {
      this.secIds[i] = sec;
      this.secCounts[i] = 0;
    }
    this.secCounts[i]!++;
    this.tick(now);
  }

  requestEnded(e: RequestEnd): void {
    if (this.inFlightN > 0) this.inFlightN--;
    const o = OUTCOMES.indexOf(e.class);
    if (o < 0) return;
    this.reqCounts[o]!++;
    this.recCounts[o]! += e.records;
    if (e.httpStatus === 429) this.n429++;
    if (e.class === 'success') {
      this.lastAckCode = e.code ?? '000';
      this.lastAckAt = e.now;
      this.lastSuccess = e.now;
      this.backoffUntil = 0;
      this.pendingGuess = Math.max(0, this.pendingGuess - e.records);
    } else {
      this.lastErr = { code: e.code, reason: e.reason ?? e.class, class: e.class, at: e.now };
      if (e.class === 'data') this.pendingGuess = Math.max(0, this.pendingGuess - e.records);
    }
    this.tick(e.now);
  }

  /** One record acknowledged with 000; enqueuedAt is when its change entered the push node. */
  acked(enqueuedAt: number, now: number): void {
    this.lagSample(now - enqueuedAt, now);
  }

  /** acked() for times[from, to), e.g. a batch's enqueue times. */
  ackedMany(times: ArrayLike<number>, from: number, to: number, now: number): void {
    for (let i = from; i < to; i++) this.lagSample(now - times[i]!, now);
  }

  /** The batch form the queue uses: n records acknowledged, with their enqueue times (an array) or one time for all. */
  ackedBatch(at: ArrayLike<number> | number, n: number, now: number): void {
    if (typeof at === 'number') this.lagSamples(now - at, n, now);
    else for (let i = 0; i < n; i++) this.lagSample(now - at[i]!, now);
  }

  /** A retry is armed for ms; 0 clears it. */
  backoff(ms: number, now: number): void {
    this.backoffUntil = ms > 0 ? now + ms : 0;
  }

  outboxBytes(n: number): void {
    this.outbox = n;
  }

  /** Statuses the gate holds until Hubject has acknowledged their EVSE's data. */
  held(n: number): void {
    this.heldN = n;
  }

  // ---- reading ----

  pending(): number {
    return this.source ? this.source.pending() : this.pendingGuess;
  }

  inFlight(): number {
    return this.inFlightN;
  }

  backoffMs(now: number): number {
    return this.backoffUntil > now ? this.backoffUntil - now : 0;
  }

  outboxSize(): number {
    return this.source?.outboxBytes ? this.source.outboxBytes() : this.outbox;
  }

  lastSuccessAt(): number {
    return this.lastSuccess;
  }

  requestsTotal(o: Outcome): number {
    return this.reqCounts[OUTCOMES.indexOf(o)]!;
  }

  recordsTotal(o: Outcome): number {
    return this.recCounts[OUTCOMES.indexOf(o)]!;
  }

  requestsLastMinute(now: number): number {
    const sec = Math.floor(now / 1000);
    let n = 0;
    for (let i = 0; i < 60; i++) if (this.secIds[i]! > sec - 60 && this.secIds[i]! <= sec) n += this.secCounts[i]!;
    return n;
  }

  /** Percentile q (0..1] of the lag over the last 5 minutes, in ms (a bucket's upper bound); undefined without samples. */
  lagPercentile(q: number, now: number): number | undefined {
    const merged = this.mergeLag(now);
    return percentileOf(merged, this.mergedTotal, q);
  }

  private mergedTotal = 0;
  private mergeLag(now: number): Uint32Array {
    const slot = Math.floor(now / SLOT_MS);
    const m = this.scratch;
    m.fill(0);
    let total = 0;
    for (let s = 0; s < LAG_SLOTS; s++) {
      const id = this.lagIds[s]!;
      if (id <= slot - LAG_SLOTS || id > slot) continue;
      const base = s * FINE;
      for (let b = 0; b < FINE; b++) {
        const c = this.lagSlots[base + b]!;
        if (c) {
          m[b]! += c;
          total += c;
        }
      }
    }
    this.mergedTotal = total;
    return m;
  }

  state(now: number): LaneState {
    this.tick(now);
    // The newest slot shows the latest reading, not the one at its start (reads are rare, hooks are not).
    const cur = this.histSlot % HISTORY_SLOTS;
    this.histPending[cur] = this.pending();
    this.histRpm[cur] = this.requestsLastMinute(now);
    this.histLag[cur] = this.lagPercentile(0.99, now) ?? NaN;
    const merged = this.mergeLag(now);
    const samples = this.mergedTotal;
    const counts = (a: Float64Array) => ({ success: a[0]!, transient: a[1]!, data: a[2]!, config: a[3]! });
    const t: number[] = [];
    const pending: number[] = [];
    const lag: number[] = [];
    const rpm: number[] = [];
    for (let k = this.histLen - 1; k >= 0; k--) {
      const i = (((this.histSlot - k) % HISTORY_SLOTS) + HISTORY_SLOTS) % HISTORY_SLOTS;
      t.push(this.histT[i]!);
      pending.push(this.histPending[i]!);
      lag.push(this.histLag[i]!);
      rpm.push(this.histRpm[i]!);
    }
    return {
      key: this.key,
      ...this.labels,
      pending: this.pending(),
      inFlight: this.inFlightN,
      lastAck: this.lastAckCode !== undefined ? { code: this.lastAckCode, at: this.lastAckAt } : undefined,
      lastError: this.lastErr,
      lastSuccessAt: this.lastSuccess || undefined,
      requestsLastMinute: this.requestsLastMinute(now),
      rateLimit: this.rateLimit,
      count429: this.n429,
      backoffMs: this.backoffMs(now),
      outboxBytes: this.outboxSize(),
      held: this.heldN,
      deadLetters: {
        count: this.source?.deadLetters?.() ?? 0,
        items: this.source?.deadLetterList?.(DEAD_LETTERS_LISTED) ?? [],
      },
      lag: { p50Ms: percentileOf(merged, samples, 0.5), p99Ms: percentileOf(merged, samples, 0.99), samples },
      requests: counts(this.reqCounts),
      records: counts(this.recCounts),
      changesIn: this.changesInN,
      history: { slotMs: SLOT_MS, t, pending, lagP99Ms: lag.map((x) => (Number.isNaN(x) ? null : x)) as number[], requestsPerMinute: rpm },
    };
  }

  private lagSample(ms: number, now: number): void {
    this.lagSamples(ms, 1, now);
  }

  private lagSamples(ms: number, n: number, now: number): void {
    if (!(ms >= 0)) ms = 0;
    const slot = Math.floor(now / SLOT_MS);
    const s = slot % LAG_SLOTS;
    if (this.lagIds[s] !== slot) {
      this.lagIds[s] = slot;
      this.lagSlots.fill(0, s * FINE, s * FINE + FINE);
    }
    this.lagSlots[s * FINE + fineBucket(ms)]! += n;
    const sec = ms / 1000;
    let b = 0;
    while (b < LAG_BUCKETS_S.length && sec > LAG_BUCKETS_S[b]!) b++;
    this.promBuckets[b]! += n;
    this.promSum += sec * n;
    this.promCount += n;
  }

  /** Writes history samples for every slot boundary passed since the last call (at most HISTORY_SLOTS). */
  tick(now: number): void {
    const slot = Math.floor(now / SLOT_MS);
    if (slot <= this.histSlot) return;
    const from = this.histSlot < 0 ? slot : Math.max(this.histSlot + 1, slot - HISTORY_SLOTS + 1);
    const pending = this.pending();
    const rpm = this.requestsLastMinute(now);
    const p99 = this.lagPercentile(0.99, now);
    for (let sl = from; sl <= slot; sl++) {
      const i = sl % HISTORY_SLOTS;
      this.histT[i] = sl * SLOT_MS;
      this.histPending[i] = pending;
      this.histLag[i] = p99 ?? NaN;
      this.histRpm[i] = rpm;
      if (this.histLen < HISTORY_SLOTS) this.histLen++;
    }
    this.histSlot = slot;
  }
}

/** Percentile from a fine histogram: the upper bound of the bucket holding the ceil(q*total)-th sample. */
export function percentileOf(hist: ArrayLike<number>, total: number, q: number): number | undefined {
  if (!total) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b]!;
    if (seen >= rank) return fineUpper(b);
  }
  return fineUpper(hist.length - 1);
}

export function laneKey(l: Pick<LaneLabels, 'operator' | 'operation' | 'url'>): string {
  return `${l.operator}|${l.url.replace(/\/+$/, '')}|${l.operation}`;
}

// ---- full load nodes ----

export interface FullLoadSnapshot {
  /** EVSE counts by OICP EvseStatus. */
  byStatus: Record<string, number>;
  total: number;
  /** EVSEs not reported for longer than the node's stale limit. */
  stale: number;
  /** Epoch ms of the next scheduled fullLoad. */
  nextAt?: number;
  /**
   * The last fullLoad: when, how many records, and what came of it. 'acknowledged' / 'rejected' once the push node's
   * output, wired back to the full load node, brought Hubject's answer (then in `answer`).
   */
  last?: LastRun;
}

export interface FullLoadSource {
  name?: string;
  /** The Hubject config this node is linked to (to match it to a lane's environment). */
  operator?: string;
  environment?: Environment;
  snapshot(now: number): FullLoadSnapshot;
  /** A fullLoad through the node's normal guards; resolves with a short outcome text. */
  fullLoadNow(): Promise<string>;
}

/**
 * Counts EVSEs by status and staleness from a StatusStore view (ids/codes/seen rows; an undefined id is a free slot).
 * statuses: EVSE_STATUSES in code order. staleMs <= 0: nothing is stale.
 */
export function countStatuses(
  view: { ids: ArrayLike<string | undefined>; codes: ArrayLike<number>; seen: ArrayLike<number> },
  statuses: readonly string[],
  staleMs: number,
  now: number,
): Pick<FullLoadSnapshot, 'byStatus' | 'total' | 'stale'> {
  const counts = new Uint32Array(statuses.length);
  let total = 0;
  let stale = 0;
  for (let i = 0; i < view.ids.length; i++) {
    if (view.ids[i] === undefined) continue;
    total++;
    counts[view.codes[i]!]!++;
    if (staleMs > 0 && now - view.seen[i]! > staleMs) stale++;
  }
  const byStatus: Record<string, number> = {};
  statuses.forEach((s, i) => (byStatus[s] = counts[i]!));
  return { byStatus, total, stale };
}

// ---- registry the endpoints read ----

const lanes = new Map<string, LaneStats>();
const fullLoads = new Map<string, FullLoadSource>();

/** The counters of an operator's lane for one environment and operation: created once, kept across redeploys like the queue. */
export function laneStats(labels: LaneLabels): LaneStats {
  const key = laneKey(labels);
  let l = lanes.get(key);
  if (!l) {
    l = new LaneStats(labels);
    lanes.set(key, l);
  } else if (l.labels.environment !== labels.environment) {
    (l.labels as LaneLabels).environment = labels.environment;
  }
  return l;
}

export function allLaneStats(): LaneStats[] {
  return [...lanes.values()];
}

export function findLaneStats(key: string): LaneStats | undefined {
  return lanes.get(key);
}

export function dropLaneStats(key: string): void {
  lanes.delete(key);
}

/** A full load node announces itself; returns the function that takes it back (call it on close). */
export function registerFullLoad(nodeId: string, source: FullLoadSource): () => void {
  fullLoads.set(nodeId, source);
  return () => {
    if (fullLoads.get(nodeId) === source) fullLoads.delete(nodeId);
  };
}

export function allFullLoads(): Array<[string, FullLoadSource]> {
  return [...fullLoads.entries()];
}

export function findFullLoad(nodeId: string): FullLoadSource | undefined {
  return fullLoads.get(nodeId);
}

/** For tests. */
export function resetStats(): void {
  lanes.clear();
  fullLoads.clear();
}

export interface OpsState {
  /** State files under <userDir>/oicp that are damaged, incomplete or cannot be written (src/journal/health.ts). */
  stateFiles?: StateProblem[];
  at: number;
  lanes: LaneState[];
  fullLoads: Array<FullLoadSnapshot & { id: string; name?: string; operator?: string; environment?: Environment; error?: string }>;
  roaming: RoamingState[];
  /** The CPO endpoints for remote start/stop (issue 23): the URL to register in Hubject's portal and whether it serves. */
  remoteEndpoints?: RemoteEndpointState[];
}

/** The CDR operation: its lane is a generic one, so the card reads its stats and dead letters like any lane's. */
export const CDR_OPERATION: Operation = 'chargeDetailRecord';

/** The sidebar's roaming card of one operator: authorizations, and the CDR lanes (one per environment in use). */
export interface RoamingState {
  operator: string;
  authorize: {
    last?: { at: number; operation: AuthorizeSeries['operation']; outcome: AuthorizeOutcome; ms: number };
    lastMinute: number;
    outcomes: Record<AuthorizeOutcome, number>;
  };
  cdr: Array<{
    key: string;
    environment: Environment;
    url: string;
    pending: number;
    inFlight: number;
    deadLetters: { count: number; items: DeadLetterView[] };
  }>;
}

/** One card per operator that authorized since start or has a CDR lane. */
export function roamingState(now: number, laneStates?: LaneState[]): RoamingState[] {
  const ops = new Set(authorizeOperators());
  const cdrLanes = (laneStates ?? [...lanes.values()].map((l) => l.state(now))).filter((l) => l.operation === CDR_OPERATION);
  for (const l of cdrLanes) ops.add(l.operator);
  const series = authorizeSeries();
  return [...ops].sort().map((operator) => {
    const outcomes: Record<AuthorizeOutcome, number> = { authorized: 0, notAuthorized: 0, fallback: 0, refused: 0 };
    for (const s of series) if (s.operator === operator) outcomes[s.outcome] += s.count;
    const a = authorizeActivity(operator, now);
    return {
      operator,
      authorize: {
        last: a.last && { at: a.last.at, operation: a.last.operation, outcome: a.last.outcome, ms: Math.round(a.last.seconds * 1000) },
        lastMinute: a.lastMinute,
        outcomes,
      },
      cdr: cdrLanes
        .filter((l) => l.operator === operator)
        .map((l) => ({ key: l.key, environment: l.environment, url: l.url, pending: l.pending, inFlight: l.inFlight, deadLetters: l.deadLetters })),
    };
  });
}

// ---- remote start/stop endpoints (issue 23) ----
export interface RemoteEndpointState {
  id: string;
  url: string;
  operator?: string;
  listening: boolean;
  problem?: string;
  answered?: { start: number; stop: number; timedOut: number; late: number };
}
const remoteEndpoints = new Map<string, () => RemoteEndpointState>();
/** The config node oicp-cpo-endpoint reports here; returns the unregister function. */
export function registerRemoteEndpoint(id: string, read: () => RemoteEndpointState): () => void {
  remoteEndpoints.set(id, read);
  return () => {
    if (remoteEndpoints.get(id) === read) remoteEndpoints.delete(id);
  };
}

/** Everything the sidebar shows. */
export function opsState(now: number): OpsState {
  const out: OpsState = { at: now, lanes: [], fullLoads: [], roaming: [] };
  for (const l of lanes.values()) out.lanes.push(l.state(now));
  out.roaming = roamingState(now, out.lanes);
  out.stateFiles = [...stateHealth.problems.values()].map((p) => ({ ...p }));
  if (remoteEndpoints.size) out.remoteEndpoints = [...remoteEndpoints.values()].map((read) => read());
  for (const [id, src] of fullLoads) {
    try {
      out.fullLoads.push({ id, name: src.name, operator: src.operator, environment: src.environment, ...src.snapshot(now) });
    } catch (err) {
      out.fullLoads.push({ id, name: src.name, byStatus: {}, total: 0, stale: 0, error: (err as Error).message });
    }
  }
  return out;
}
