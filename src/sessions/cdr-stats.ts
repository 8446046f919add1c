// CDR counters for /oicp/metrics (oicp_cdr_total{outcome}), per operator, read at scrape time.

/**
 * acknowledged: 000; reconciled: a 022 to a possible repeat, taken as delivered; deadLetter: refused for good;
 * duplicate: a second CDR for a SessionID refused locally; invalid: a CDR that could not be built.
 */
export const CDR_OUTCOMES = ['acknowledged', 'reconciled', 'deadLetter', 'duplicate', 'invalid'] as const;
export type CdrOutcome = (typeof CDR_OUTCOMES)[number];

const counts = new Map<string, Record<CdrOutcome, number>>();

export function recordCdr(operator: string, outcome: CdrOutcome, n = 1): void {
  let c = counts.get(operator);
  if (!c) counts.set(operator, (c = Object.fromEntries(CDR_OUTCOMES.map((o) => [o, 0])) as Record<CdrOutcome, number>));
  c[outcome] += n;
}

export function cdrSeries(): Array<{ operator: string; outcome: CdrOutcome; count: number }> {
  const out: Array<{ operator: string; outcome: CdrOutcome; count: number }> = [];
  for (const [operator, c] of counts) for (const o of CDR_OUTCOMES) out.push({ operator, outcome: o, count: c[o] });
  return out;
}
