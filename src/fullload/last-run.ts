// What came of a full load node's last fullLoad, for the operations view: sent, guarded or failed, then Hubject's
// answer when the push node's output is wired back. No Node-RED.
import type { FullLoadOutcome } from './aggregator';

export interface LastRun {
  at: number;
  count?: number;
  result: 'sent' | 'guarded' | 'failed' | 'acknowledged' | 'rejected';
  reason?: string;
  answer?: { at: number; code?: string; httpStatus?: number; description?: string };
}

export class LastFullLoad {
  last: LastRun | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** A build ended: sent or guarded (a stopped one changes nothing). */
  built(outcome: FullLoadOutcome): void {
    if ('sent' in outcome) this.last = { at: this.now(), count: outcome.sent.fullLoad.count, result: 'sent' };
    else if ('guarded' in outcome) this.last = { at: this.now(), result: 'guarded', reason: outcome.guarded.reason };
  }

  failed(err: Error): void {
    this.last = { at: this.now(), result: 'failed', reason: err.message };
  }

  /** Hubject's answer to the last sent fullLoad (the push node's msg.oicp); ignored after a guarded or failed one. */
  answered(o: Record<string, unknown>): void {
    const last = this.last;
    if (!last || last.result === 'guarded' || last.result === 'failed') return;
    const code = typeof o.statusCode === 'string' ? o.statusCode : undefined;
    this.last = {
      ...last,
      count: typeof o.records === 'number' ? o.records : last.count,
      result: code === '000' ? 'acknowledged' : 'rejected',
      answer: {
        at: this.now(),
        code,
        httpStatus: typeof o.httpStatus === 'number' ? o.httpStatus : undefined,
        description: typeof o.description === 'string' && o.description ? o.description : undefined,
      },
    };
  }

  /** The short text "fullLoad now" in the sidebar answers with. */
  text(): string {
    return this.last?.result === 'guarded' ? `guarded: ${this.last.reason}` : (this.last?.result ?? 'done');
  }
}
