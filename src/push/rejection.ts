// What to do when Hubject refuses a batch for good (a data fault): which records fail, which go again and how.
// Pure: no timers, no I/O; the queue applies the plan. Design, in request counts (n records, one bad):
// - the answer names records (400 FaultBody fieldReference ...evseStatusRecord[7]..., or EvseIDs in AdditionalInfo):
//   fail those, send the rest again in one request;
// - it names nothing: probe up to PROBES single records taken from different parts of the bundle. All refused with
//   the bundle's code: the rest is sent once more as a whole; refused again with that code, the refusal is judged
//   systematic (operator, contract, platform) and the whole bundle fails with its reason, at 2 + PROBES requests
//   instead of a request per record. A probe that lands means some records are good: the rest is bisected, which
//   finds one bad record in about 2·log2(n) requests and never drops a good one.
// - an update refused with 022 goes again as insert when insertMissing is on (never on 018, 019, HTTP 400 or other);
//   if the insert is refused too, its answer is the reason.
// - an insert refused with 022 (Hubject already holds the EVSE) goes again once as update: the named records, or the
//   whole request when none are named. Each fallback happens once: an update from an insert never goes back to insert.
import type { ActionType } from '../oicp/schemas';

/** Single records probed before a bundle that names nothing is judged refused as a whole. */
export const PROBES = 3;

export interface ProbeState<T> {
  /** Code (or HTTP status) the whole bundle was refused with. */
  key: string;
  /** Probes still to send, one record each. */
  next: T[];
  /** Records of the bundle that are not probes. */
  rest: T[];
  /** Probes refused so far. */
  refused: number;
  /** Every probe was refused alike: this attempt sends the rest once, as the last check before the verdict. */
  confirming?: boolean;
}

export interface Attempt<T> {
  action: ActionType;
  items: T[];
  /** An update sent as insert after Hubject did not know the EVSE (insertMissing). */
  fromUpdate?: boolean;
  /** An insert sent as update after Hubject answered 022: it already holds the EVSE. */
  fromInsert?: boolean;
  /** Requests already spent on these records before this attempt (the refused try a fallback came from). */
  prior?: number;
  /** Part of a bisection: split again when refused, no more probing. */
  bisect?: boolean;
  /** This single record probes a refused bundle. */
  probe?: ProbeState<T>;
}

export interface Answer {
  /** OICP StatusCode.Code, if the answer had one. */
  code?: string;
  httpStatus?: number;
  /** Positions in the attempt that the answer names as bad. */
  named: number[];
}

export interface Plan<T> {
  /** Records that fail with this answer's reason. */
  fail: T[];
  /** Hubject answered 022 to an insert of these records: it holds their data even though they fail. */
  exists?: boolean;
  /** The action to report for them (the update an insert fallback came from). */
  failAction: ActionType;
  /** Set when the records fail because the bundle was found refused as a whole. */
  systematic?: boolean;
  /** Said after the answer's reason for every failed record (a refused fullLoad guarded whole). */
  note?: string;
  /** Attempts to send next, in this order, before anything else queued. */
  resend: Attempt<T>[];
}

export function answerKey(a: Pick<Answer, 'code' | 'httpStatus'>): string {
  return a.code ?? `HTTP ${a.httpStatus ?? '?'}`;
}

/** Positions named by a 400 FaultBody's fieldReference, e.g. operatorEvseStatus.evseStatusRecord[7].evseStatus. */
export function positionsFromFieldReferences(refs: ReadonlyArray<{ fieldReference?: string | null }> | undefined, size: number): number[] {
  const out = new Set<number>();
  for (const r of refs ?? []) {
    const m = /evse(?:Status|Data)Record\[(\d+)\]/i.exec(r.fieldReference ?? '');
    if (m) {
      const i = Number(m[1]);
      if (i < size) out.add(i);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** Up to PROBES positions spread over the bundle (the middle of each part). */
export function probePositions(size: number, probes = PROBES): number[] {
  const k = Math.min(probes, size);
  const out: number[] = [];
  for (let j = 0; j < k; j++) out.push(Math.floor(((2 * j + 1) * size) / (2 * k)));
  return out;
}

function halves<T>(items: T[], action: ActionType, fromInsert?: boolean): Attempt<T>[] {
  const mid = Math.ceil(items.length / 2);
  const flag = fromInsert ? { fromInsert } : {};
  return [
    { action, items: items.slice(0, mid), bisect: true, ...flag },
    { action, items: items.slice(mid), bisect: true, ...flag },
  ];
}

export interface RejectionOptions {
  /**
   * Whether a refused fullLoad may go again without the records Hubject named: true when `rest` records pass the
   * fullLoad guard against what Hubject holds. Without it the rest goes again (the status lane).
   */
  fullLoadRest?: (rest: number, refused: number) => boolean;
}

/** The plan for a batch Hubject refused for good. */
export function planRejection<T>(attempt: Attempt<T>, answer: Answer, insertMissing: boolean, opts: RejectionOptions = {}): Plan<T> {
  const plan = planRefused(attempt, answer, insertMissing, opts);
  const spent = (attempt.prior ?? 0) + 1;
  for (const a of plan.resend) if ((a.fromUpdate && !attempt.fromUpdate) || (a.fromInsert && !attempt.fromInsert)) a.prior = spent;
  if (attempt.fromInsert && plan.fail.length) plan.exists = true;
  return plan;
}

function planRefused<T>(attempt: Attempt<T>, answer: Answer, insertMissing: boolean, opts: RejectionOptions): Plan<T> {
  const { action, items } = attempt;
  const n = items.length;
  const reported: ActionType = attempt.fromUpdate ? 'update' : attempt.fromInsert ? 'insert' : action;
  // The ActionType each record really needs is found again from update, as it was queued; records Hubject said it
  // holds (an insert answered 022) stay updates and fall back no more.
  const base: ActionType = attempt.fromUpdate ? 'update' : action;
  const fi = attempt.fromInsert;
  const is022 = answer.code === '022' && answer.httpStatus !== 400;
  const toInsert = insertMissing && action === 'update' && !attempt.fromInsert && is022;
  const toUpdate = action === 'insert' && !attempt.fromUpdate && is022;
  const fallback: ActionType | undefined = toInsert ? 'insert' : toUpdate ? 'update' : undefined;
  const flags = (a: ActionType) => (a === 'insert' ? { fromUpdate: true } : { fromInsert: true });
  const named = answer.named.filter((i) => i >= 0 && i < n);

  if (named.length) {
    const isNamed = new Set(named);
    const bad = items.filter((_, i) => isNamed.has(i));
    const rest = items.filter((_, i) => !isNamed.has(i));
    const again: Attempt<T>[] = rest.length
      ? [{ action, items: rest, fromUpdate: attempt.fromUpdate, fromInsert: attempt.fromInsert, bisect: attempt.bisect, prior: attempt.prior }]
      : [];
    // A smaller fullLoad deletes at Hubject whatever it leaves out: it goes only if it passes the guard.
    if (action === 'fullLoad' && opts.fullLoadRest && rest.length && !opts.fullLoadRest(rest.length, bad.length)) {
      const note = `fullLoad guarded: Hubject refused ${bad.length} of its ${n} records, and a fullLoad of the other ${rest.length} would delete too many EVSEs at Hubject; fix the refused records and send the fullLoad again`;
      return { fail: items, failAction: action, resend: [], note };
    }
    if (fallback)
      return {
        fail: [],
        failAction: reported,
        resend: [{ action: fallback, items: bad, ...flags(fallback), bisect: attempt.bisect, probe: attempt.probe }, ...again],
      };
    if (attempt.probe && n === 1) return probeRefused(attempt.probe, items, answer, reported, fi);
    return { fail: bad, failAction: reported, resend: again };
  }
  if (action === 'fullLoad') return { fail: items, failAction: action, resend: [] }; // a second chunk would wipe the first
  if (fallback)
    return { fail: [], failAction: reported, resend: [{ action: fallback, items, ...flags(fallback), bisect: attempt.bisect, probe: attempt.probe }] };
  if (n === 1) {
    if (attempt.probe) return probeRefused(attempt.probe, items, answer, reported, fi);
    return { fail: items, failAction: reported, resend: [] };
  }
  if (attempt.probe?.confirming) {
    if (answerKey(answer) === attempt.probe.key) return { fail: items, failAction: reported, systematic: true, resend: [] };
    return { fail: [], failAction: reported, resend: halves(items, base, fi) };
  }
  if (attempt.bisect || n <= PROBES) return { fail: [], failAction: reported, resend: halves(items, base, fi) };
  const at = probePositions(n);
  const isProbe = new Set(at);
  const probes = at.map((i) => items[i]!);
  const probe: ProbeState<T> = { key: answerKey(answer), next: probes.slice(1), rest: items.filter((_, i) => !isProbe.has(i)), refused: 0 };
  return { fail: [], failAction: reported, resend: [{ action: base, items: [probes[0]!], probe, ...(fi ? { fromInsert: fi } : {}) }] };
}

/** A probe's record was refused for good. */
function probeRefused<T>(probe: ProbeState<T>, items: T[], answer: Answer, reported: ActionType, fromInsert?: boolean): Plan<T> {
  // Records Hubject said it holds go on as updates.
  const send: ActionType = fromInsert ? 'update' : reported;
  const flag = fromInsert ? { fromInsert } : {};
  const same = answerKey(answer) === probe.key;
  if (same && probe.next.length) {
    const next: ProbeState<T> = { ...probe, next: probe.next.slice(1), refused: probe.refused + 1 };
    return { fail: items, failAction: reported, resend: [{ action: send, items: [probe.next[0]!], probe: next, ...flag }] };
  }
  if (same && probe.confirming) return { fail: items, failAction: reported, systematic: true, resend: [] };
  if (same) {
    // Every probe refused alike. The rest goes once more as a whole: accepted, nothing good was lost; refused with the
    // same code, the refusal is systematic and the rest fails without a request per record.
    if (!probe.rest.length) return { fail: items, failAction: reported, resend: [] };
    const last: ProbeState<T> = { key: probe.key, next: [], rest: [], refused: probe.refused + 1, confirming: true };
    return { fail: items, failAction: reported, resend: [{ action: send, items: probe.rest, probe: last, ...flag }] };
  }
  // Refused for another reason than the bundle: nothing systematic shown; the rest goes again and is bisected if refused.
  const rest = [...probe.next, ...probe.rest];
  return { fail: items, failAction: reported, resend: rest.length ? [{ action: send, items: rest, bisect: true, ...flag }] : [] };
}

/** A probe landed: some records are good. What is left of its bundle goes on by bisection. */
export function afterProbeSuccess<T>(probe: ProbeState<T>, action: ActionType): Attempt<T>[] {
  const rest = [...probe.next, ...probe.rest];
  if (!rest.length) return [];
  // No probe refused yet: the bad records are among the rest, so sending it whole would be refused again.
  if (probe.refused === 0 && rest.length > 1) return halves(rest, action);
  return [{ action, items: rest, bisect: true }];
}

/** Refused records a message lists by name before it gives only the count (the full list is on the error). */
export const LISTED_REJECTIONS = 50;

/**
 * One text for a list of refused records: the count and the first up front (a status line shows that much), then
 * the others, up to LISTED_REJECTIONS. `where` names a record's place in the input (record 3, CSV row 4).
 */
export function rejectedText(list: ReadonlyArray<{ id?: string; action?: string; reason: string; where?: string }>, lead: string): string {
  const name = (r: (typeof list)[number]) => `${r.id ? `EvseID ${r.id}` : 'a record'}${r.where ? ` (${r.where})` : ''}`;
  const one = (r: (typeof list)[number]) => `${r.action ? `${r.action} of ` : ''}${name(r)}: ${r.reason}`;
  const first = list[0]!;
  if (list.length === 1) return `${lead} ${one(first)}`;
  // Records refused for the first one's reason are named once, not with the reason again (a refused fullLoad).
  const same = (r: (typeof list)[number]) => r.reason === first.reason && r.action === first.action;
  const alike = list.slice(1, LISTED_REJECTIONS).filter(same).map(name);
  const others = list
    .slice(1, LISTED_REJECTIONS)
    .filter((r) => !same(r))
    .map(one);
  const rest = list.length - 1 - alike.length - others.length;
  return (
    `${lead} ${list.length} records, first ${one(first)}` +
    (alike.length ? `; the same for ${alike.join(', ')}` : '') +
    (others.length ? `; then ${others.join('; ')}` : '') +
    (rest > 0 ? `; and ${rest} more (error.cause.rejected has them all)` : '')
  );
}

/**
 * The CSV line of each input record, where the input came from Node-RED's CSV node (it sets msg.columns): a message
 * per row carries msg.parts.index, an array is one record per data row. One header line is counted, as msg.columns
 * says the file had one. Undefined for other inputs: their position is all there is.
 */
export function csvRows(msg: { columns?: unknown; parts?: { index?: unknown } }): ((position: number) => number) | undefined {
  if (typeof msg.columns !== 'string' || msg.columns === '') return undefined;
  const first = typeof msg.parts?.index === 'number' ? msg.parts.index : 0;
  return (position) => first + position + 1; // position is 1-based; +1 for the header line
}

/** Validation rejections of one input: each with its CSV row where there is one, and one text listing them all. */
export function listRejected<R extends { index: number; message: string }>(
  rejected: readonly R[],
  msg: { columns?: unknown; parts?: { index?: unknown } },
): { records: Array<R & { row?: number }>; text: string } {
  const row = csvRows(msg);
  const records = rejected.map((r) => (row ? { ...r, row: row(r.index), message: `${r.message} (CSV row ${row(r.index)})` } : { ...r }));
  const shown = records.slice(0, LISTED_REJECTIONS).map((r) => r.message);
  const rest = records.length - shown.length;
  return { records, text: shown.join('; ') + (rest > 0 ? `; and ${rest} more (error.cause.rejected has them all)` : '') };
}
