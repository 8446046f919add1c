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
}

export function authorizeSeries(): AuthorizeSeries[] {
  return [...series.values()];
}
