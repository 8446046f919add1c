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
  /** The action to report for them (the update an insert fallback came from). */
  failAction: ActionType;
  /** Set when the records fail because the bundle was found refused as a whole. */
  systematic?: boolean;
  /** Said after the answer's reason for every failed record (a refused fullLoad held back whole). */
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

function halves<T>(items: T[], action: ActionType): Attempt<T>[] {
  const mid = Math.ceil(items.length / 2);
  return [
    { action, items: items.slice(0, mid), bisect: true },
    { action, items: items.slice(mid), bisect: true },
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
  const { action, items } = attempt;
  const n = items.length;
  const reported: ActionType = attempt.fromUpdate ? 'update' : action;
  // The ActionType each record really needs is found again from update, as it was queued.
  const base: ActionType = attempt.fromUpdate ? 'update' : action;
  const fallback = insertMissing && action === 'update' && answer.code === '022' && answer.httpStatus !== 400;
  const named = answer.named.filter((i) => i >= 0 && i < n);

  if (named.length) {
    const isNamed = new Set(named);
    const bad = items.filter((_, i) => isNamed.has(i));
    const rest = items.filter((_, i) => !isNamed.has(i));
    const again: Attempt<T>[] = rest.length ? [{ action, items: rest, fromUpdate: attempt.fromUpdate, bisect: attempt.bisect }] : [];
    // A smaller fullLoad deletes at Hubject whatever it leaves out: it goes only if it passes the guard.
    if (action === 'fullLoad' && opts.fullLoadRest && rest.length && !opts.fullLoadRest(rest.length, bad.length)) {
      const note = `fullLoad held back: Hubject refused ${bad.length} of its ${n} records, and a fullLoad of the other ${rest.length} would delete too many EVSEs at Hubject; fix the refused records and send the fullLoad again`;
      return { fail: items, failAction: action, resend: [], note };
    }
    if (fallback)
      return {
        fail: [],
        failAction: reported,
        resend: [{ action: 'insert', items: bad, fromUpdate: true, bisect: attempt.bisect, probe: attempt.probe }, ...again],
      };
    if (attempt.probe && n === 1) return probeRefused(attempt.probe, items, answer, reported);
    return { fail: bad, failAction: reported, resend: again };
  }
  if (action === 'fullLoad') return { fail: items, failAction: action, resend: [] }; // a second chunk would wipe the first
  if (fallback)
    return { fail: [], failAction: reported, resend: [{ action: 'insert', items, fromUpdate: true, bisect: attempt.bisect, probe: attempt.probe }] };
  if (n === 1) {
    if (attempt.probe) return probeRefused(attempt.probe, items, answer, reported);
    return { fail: items, failAction: reported, resend: [] };
  }
  if (attempt.probe?.confirming) {
    if (answerKey(answer) === attempt.probe.key) return { fail: items, failAction: reported, systematic: true, resend: [] };
    return { fail: [], failAction: reported, resend: halves(items, base) };
  }
  if (attempt.bisect || n <= PROBES) return { fail: [], failAction: reported, resend: halves(items, base) };
  const at = probePositions(n);
  const isProbe = new Set(at);
  const probes = at.map((i) => items[i]!);
  const probe: ProbeState<T> = { key: answerKey(answer), next: probes.slice(1), rest: items.filter((_, i) => !isProbe.has(i)), refused: 0 };
  return { fail: [], failAction: reported, resend: [{ action: base, items: [probes[0]!], probe }] };
}

/** A probe's record was refused for good. */
function probeRefused<T>(probe: ProbeState<T>, items: T[], answer: Answer, reported: ActionType): Plan<T> {
  const same = answerKey(answer) === probe.key;
  if (same && probe.next.length) {
    const next: ProbeState<T> = { ...probe, next: probe.next.slice(1), refused: probe.refused + 1 };
    return { fail: items, failAction: reported, resend: [{ action: reported, items: [probe.next[0]!], probe: next }] };
  }
  if (same && probe.confirming) return { fail: items, failAction: reported, systematic: true, resend: [] };
  if (same) {
    // Every probe refused alike. The rest goes once more as a whole: accepted, nothing good was lost; refused with the
    // same code, the refusal is systematic and the rest fails without a request per record.
    if (!probe.rest.length) return { fail: items, failAction: reported, resend: [] };
    const last: ProbeState<T> = { key: probe.key, next: [], rest: [], refused: probe.refused + 1, confirming: true };
    return { fail: items, failAction: reported, resend: [{ action: reported, items: probe.rest, probe: last }] };
  }
  // Refused for another reason than the bundle: nothing systematic shown; the rest goes again and is bisected if refused.
  const rest = [...probe.next, ...probe.rest];
  return { fail: items, failAction: reported, resend: rest.length ? [{ action: reported, items: rest, bisect: true }] : [] };
}

/** A probe landed: some records are good. What is left of its bundle goes on by bisection. */
export function afterProbeSuccess<T>(probe: ProbeState<T>, action: ActionType): Attempt<T>[] {
  const rest = [...probe.next, ...probe.rest];
  if (!rest.length) return [];
  // No probe refused yet: the bad records are among the rest, so sending it whole would be refused again.
  if (probe.refused === 0 && rest.length > 1) return halves(rest, action);
  return [{ action, items: rest, bisect: true }];
}
