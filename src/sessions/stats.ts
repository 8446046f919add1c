// Authorization counters for /oicp/metrics (oicp_authorize_total, oicp_authorize_duration_seconds): per operator
// and outcome, kept in the process so the metrics read them at scrape time.

export const AUTHORIZE_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] as const;

/** authorized, notAuthorized, fallback (Hubject could not be asked), refused (another HTTP error). */
export type AuthorizeOutcome = 'authorized' | 'notAuthorized' | 'fallback' | 'refused';

export interface AuthorizeSeries {
  operator: string;
  operation: 'authorizeStart' | 'authorizeStop';
  outcome: AuthorizeOutcome;
  count: number;
  sum: number;
  buckets: number[];
}

const series = new Map<string, AuthorizeSeries>();

/** The last call of an operator and its calls per second over the last minute, for the sidebar's roaming card. */
export interface AuthorizeActivity {
  last?: { at: number; operation: AuthorizeSeries['operation']; outcome: AuthorizeOutcome; seconds: number };
  secIds: Float64Array;
  secCounts: Uint32Array;
}
const activity = new Map<string, AuthorizeActivity>();

function noteActivity(operator: string, operation: AuthorizeSeries['operation'], outcome: AuthorizeOutcome, seconds: number, now: number): void {
  let a = activity.get(operator);
  if (!a) {
    a = { secIds: new Float64Array(60).fill(-1), secCounts: new Uint32Array(60) };
    activity.set(operator, a);
  }
  a.last = { at: now, operation, outcome, seconds };
  const sec = Math.floor(now / 1000);
  const i = sec % 60;
  if (a.secIds[i] !== sec) {
    a.secIds[i] = sec;
    a.secCounts[i] = 0;
  }
  a.secCounts[i]!++;
}

/** Operators with authorization calls since start. */
export function authorizeOperators(): string[] {
  return [...activity.keys()];
}

/** An operator's last call and its calls in the minute before now. */
export function authorizeActivity(operator: string, now: number): { last?: AuthorizeActivity['last']; lastMinute: number } {
  const a = activity.get(operator);
  if (!a) return { lastMinute: 0 };
  const sec = Math.floor(now / 1000);
  let n = 0;
  for (let i = 0; i < 60; i++) if (a.secIds[i]! > sec - 60 && a.secIds[i]! <= sec) n += a.secCounts[i]!;
  return { last: a.last, lastMinute: n };
}

export function recordAuthorize(operator: string, operation: AuthorizeSeries['operation'], outcome: AuthorizeOutcome, seconds: number): void {
  const key = `${operator}|${operation}|${outcome}`;
  let s = series.get(key);
  if (!s) {
    s = { operator, operation, outcome, count: 0, sum: 0, buckets: AUTHORIZE_BUCKETS_S.map(() => 0) };
    series.set(key, s);
  }
  s.count++;
  s.sum += seconds;
  const i = AUTHORIZE_BUCKETS_S.findIndex((le) => seconds <= le);
  if (i >= 0) s.buckets[i]!++;
  noteActivity(operator, operation, outcome, seconds, Date.now());
}

export function authorizeSeries(): AuthorizeSeries[] {
  return [...series.values()];
}
