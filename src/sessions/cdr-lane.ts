// The CDR lane (eRoamingChargeDetailRecord V2.2): one CDR per request, strictly one in flight, never merged, 350 a
// minute, retried for as long as it takes on transient faults; a CDR leaves the outbox only on 000 (or on a 022 to a
// CDR that may already be at Hubject, see CdrMarks). Exactly once is kept by the marks below, on the journal engine.

import type { ActionType } from '../oicp/schemas';
import type { CallResult } from '../oicp/client';
import type { LanePolicy } from '../push/queue';
import { Journal, type JournalIo, type JournalLoadReport } from '../journal';
import { RollingWindow } from '../push/window';
import type { ChargeDetailRecord } from './cdr';
import { isObj } from './errors';

/** What the CDR lane queues: the record as it is sent, and when it entered (for the time to 000). */
export interface CdrItem {
  SessionID: string;
  record: ChargeDetailRecord;
  /** Epoch ms when the node took the CDR in. */
  at: number;
}

/**
 * The ActionType a CDR is queued with. A CDR has none on the wire; 'update' with insertMissing off makes the generic
 * rejection plan fail a refused CDR as it is, never re-sent as another action.
 */
export const CDR_ACTION: ActionType = 'update';

/** Spec 02 / acceptable use policy: 350 eRoamingChargeDetailRecord a minute. */
export const CDR_RATE_PER_MINUTE = 350;

export const cdrPolicy: LanePolicy<CdrItem> = {
  operation: 'chargeDetailRecord',
  key: null,
  id: (i) => i.SessionID,
  idName: 'SessionID',
  bundle: 1,
  body: (_action, items) => items[0]!.record,
  rejection: { updateAsInsert: 'insertMissing' },
  ratePerMinute: CDR_RATE_PER_MINUTE,
};

/**
 * A SessionID's CDR state: queued (in the outbox), sending (a request started and got no definite answer yet), acked
 * (Hubject answered 000, or 022 to a possible repeat), dead (refused for good; a new CDR for it may come).
 */
export type CdrState = 'queued' | 'sending' | 'acked' | 'dead';
export interface CdrMark {
  s: CdrState;
  /** An earlier request for this SessionID may have reached Hubject without an answer (timeout, reset, restart). */
  maybeSent?: boolean;
  /** Acknowledged as a repeat (Result false, 022): to reconcile with Hubject's records. */
  reconcile?: boolean;
  /** ISO time of the last change. */
  t: string;
}

function decodeMark(raw: unknown): CdrMark | undefined {
  return isObj(raw) && typeof raw.s === 'string' && ['queued', 'sending', 'acked', 'dead'].includes(raw.s) ? (raw as unknown as CdrMark) : undefined;
}

/** A 022 answer: Hubject "accepts only one CDR per SessionID" (spec 02); assumed to be its answer to a second one. */
export function isAlreadyStored(r: CallResult): boolean {
  const ack = r.answer as { Result?: unknown } | undefined;
  return r.statusCode?.Code === '022' && (ack?.Result === false || ack?.Result === undefined) && (r.httpStatus ?? 200) < 300;
}

/** No definite answer: the request may have reached Hubject (timeout, reset, a gateway that gave up). */
function indefinite(r: CallResult): boolean {
  return r.httpStatus === undefined || r.httpStatus === 502 || r.httpStatus === 504;
}

export type CdrCallResult = CallResult & { reconcile?: boolean };

/** Kept beyond the rolling minute before the next request leaves, for clocks and rounding. */
export const WIRE_MARGIN_MS = 50;

/**
 * The queue's limiter counts a request when it starts; a CDR's request leaves only after the "sending" mark is synced,
 * and may then open a new TLS connection. Hubject counts arrivals, somewhere between the request leaving and its
 * answer. This second gate counts answers: a request leaves only when fewer than the limit were answered in the last
 * minute, so no two arrivals the limit apart can fall into one of Hubject's minutes (B7 saw one 429 without it).
 */
class WireGate {
  private readonly answered = new RollingWindow(60_000);
  constructor(private readonly limit: number) {}
  async pass(signal: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      const n = this.answered.count(now);
      if (n < this.limit || signal.aborted) return;
      const wait = this.answered.at(n - this.limit)! + 60_000 + WIRE_MARGIN_MS - now;
      if (wait <= 0) return;
      await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
    }
  }
  answeredNow(): void {
    this.answered.add(Date.now());
  }
}

/**
 * The CDR lane's own journal of marks per SessionID (<dir>/cdr-marks.jsonl). Its own, not the session store, because a
 * complete CDR given directly may have no session there, and the marks change around every request, where the
 * session store has no business. The acked marks are kept: they are what refuses a second CDR.
 */
export class CdrMarks {
  readonly journal: Journal<CdrMark> | undefined;
  private readonly memory = new Map<string, CdrMark>();
  report: JournalLoadReport | undefined;

  constructor(o: { dir?: string; io?: JournalIo } = {}) {
    if (o.dir)
      this.journal = new Journal<CdrMark>({
        snapshot: `${o.dir.replace(/\/+$/, '')}/cdr-marks.jsonl`,
        format: 'oicp-cdr-marks',
        decode: decodeMark,
        io: o.io,
        compactMinLines: 1000,
      });
  }

  load(): JournalLoadReport | undefined {
    if (!this.journal) return undefined;
    this.report = this.journal.load();
    for (const [k, v] of this.journal.entries()) this.memory.set(k, v);
    return this.report;
  }

  get(sessionId: string): CdrMark | undefined {
    return this.memory.get(sessionId);
  }

  entries(): IterableIterator<[string, CdrMark]> {
    return this.memory.entries();
  }

  private set(sessionId: string, m: CdrMark): void {
    this.memory.set(sessionId, m);
    this.journal?.set(sessionId, m);
  }

  /** Why a new CDR for this SessionID is refused, or undefined when it may be queued. */
  refusal(sessionId: string): 'acked' | 'pending' | undefined {
    const m = this.memory.get(sessionId);
    if (!m) return undefined;
    if (m.s === 'acked') return 'acked';
    if (m.s === 'queued' || m.s === 'sending') return 'pending';
    return undefined;
  }

  /** A CDR joined the outbox (durable with flush()). */
  queued(sessionId: string): void {
    const prev = this.memory.get(sessionId);
    this.set(sessionId, { s: 'queued', ...(prev?.maybeSent ? { maybeSent: true } : {}), t: new Date().toISOString() });
  }

  /**
   * After a restart: marks of CDRs that never reached the outbox (cut between the mark and the outbox write, so their
   * input never got done()) are dropped, so the CDR can be given again. `pending` holds the SessionIDs in the outbox
   * and the dead letters.
   */
  forgetMissing(pending: Set<string>): number {
    let n = 0;
    for (const [id, m] of [...this.memory]) {
      if ((m.s === 'queued' || m.s === 'sending') && !pending.has(id)) {
        this.memory.delete(id);
        this.journal?.delete(id);
        n++;
      }
    }
    return n;
  }

  /**
   * The lane's transport around the call: the mark says "sending" (durable) before the request leaves, and "acked"
   * (durable) before the answer reaches the queue, which only then takes the CDR out of the outbox. A 022 to a CDR
   * that may have reached Hubject before is taken as delivered and flagged for reconciliation (an assumption).
   */
  transport(call: (body: ChargeDetailRecord, signal: AbortSignal) => Promise<CallResult>, ratePerMinute = CDR_RATE_PER_MINUTE) {
    const gate = new WireGate(ratePerMinute);
    return async (body: ChargeDetailRecord, signal: AbortSignal): Promise<CdrCallResult> => {
      const id = body.SessionID;
      const prev = this.memory.get(id);
      const maybeSent = !!prev && (prev.maybeSent === true || prev.s === 'sending');
      this.set(id, { s: 'sending', ...(maybeSent ? { maybeSent } : {}), t: new Date().toISOString() });
      await this.flush();
      await gate.pass(signal);
      let r: CallResult;
      try {
        r = await call(body, signal);
      } finally {
        gate.answeredNow();
      }
      if (signal.aborted) return r; // stopped: the mark stays "sending", so the next try knows it may be a repeat
      if (r.class === 'success') {
        this.set(id, { s: 'acked', t: new Date().toISOString() });
        await this.flush();
        return r;
      }
      if (maybeSent && isAlreadyStored(r)) {
        this.set(id, { s: 'acked', maybeSent: true, reconcile: true, t: new Date().toISOString() });
        await this.flush();
        return { ...r, class: 'success', reason: `${r.reason} (taken as delivered: an earlier request may have stored it)`, reconcile: true };
      }
      if (r.class === 'data') this.set(id, { s: 'dead', ...(maybeSent || indefinite(r) ? { maybeSent: true } : {}), t: new Date().toISOString() });
      else if (!indefinite(r)) this.set(id, { s: 'queued', ...(maybeSent ? { maybeSent } : {}), t: new Date().toISOString() });
      // indefinite: stays "sending", so the next try counts as a possible repeat
      return r;
    };
  }

  async flush(): Promise<void> {
    await this.journal?.flush();
  }

  async close(): Promise<void> {
    await this.journal?.close();
  }
}
