// Requests waiting for the flow's answer. Each has a watchdog: not answered by its deadline, it is answered
// false/501 and logged; an answer after that (or for an unknown id) is dropped with a warning.
import type { Acknowledgement } from './acknowledgement';

export interface Pending<T> {
  id: string;
  data: T;
  /** Answers Hubject; called once. */
  settle(ack: Acknowledgement): void | Promise<void>;
  timer: NodeJS.Timeout;
  consumer: object | undefined;
}

export class PendingTable<T> {
  private readonly items = new Map<string, Pending<T>>();
  private seq = 0;

  constructor(private readonly onTimeout: (p: Pending<T>) => void) {}

  get size(): number {
    return this.items.size;
  }

  add(data: T, deadlineMs: number, settle: (ack: Acknowledgement) => void | Promise<void>, consumer?: object): Pending<T> {
    const id = `${Date.now().toString(36)}-${(++this.seq).toString(36)}`;
    const p: Pending<T> = {
      id,
      data,
      settle,
      consumer,
      timer: setTimeout(() => {
        if (this.items.delete(id)) this.onTimeout(p);
      }, deadlineMs),
    };
    this.items.set(id, p);
    return p;
  }

  /** Takes a request out (its answer is being sent); undefined when it was answered, timed out or never was. */
  take(id: string): Pending<T> | undefined {
    const p = this.items.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.items.delete(id);
    return p;
  }

  /** Every request of one consumer (all when none is given), taken out. */
  takeAll(consumer?: object): Array<Pending<T>> {
    const out: Array<Pending<T>> = [];
    for (const p of this.items.values()) if (consumer === undefined || p.consumer === consumer) out.push(p);
    for (const p of out) this.take(p.id);
    return out;
  }
}
