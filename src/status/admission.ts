// One push node's side of the status gate: what it queues of an input, and, per status fullLoad it queued while the
// gate was on, how many EVSEs that fullLoad left out (named in its acknowledgement's output). No Node-RED.
import type { ActionType, EvseStatusRecord } from '../oicp/schemas';
import type { Owner } from '../push/queue';
import type { StatusGate } from './gate';

/** What the node says of a fullLoad the gate shrank (warnings). */
export interface AdmissionNotes {
  leftOut(left: number, total: number): void;
  /** Not sent: fewer than minRatio x its records passed. */
  shrunk(pass: number, total: number, minRatio: number): void;
}

/** How many fullLoads a node remembers until their answers come. */
const REMEMBERED = 100;

export class GateAdmission {
  private readonly fullLoads: Array<{ records: number; left: number }> = [];

  constructor(
    private readonly gate: () => StatusGate | null,
    private readonly minRatio: number,
    private readonly notes: AdmissionNotes,
  ) {}

  /** What the gate lets through, to queue; null when nothing is to be queued (all held: the owner waits for the gate). */
  admit(action: ActionType, records: EvseStatusRecord[], owner: Owner, force = false): EvseStatusRecord[] | null {
    const g = this.gate();
    if (!g) return records;
    const pass = g.admit(action, records, owner);
    if (action === 'fullLoad' && g.active) {
      const left = records.length - pass.length;
      this.fullLoads.push({ records: pass.length, left });
      if (this.fullLoads.length > REMEMBERED) this.fullLoads.shift();
      if (left > 0) this.notes.leftOut(left, records.length);
      // An empty fullLoad would delete every status of the operator at Hubject, a shrunk one most of them: neither
      // is sent (the statuses left out wait in the gate); msg.force sends a shrunk one.
      const shrunk = pass.length > 0 && pass.length < this.minRatio * records.length && !force;
      if (left > 0 && (pass.length === 0 || shrunk)) {
        if (shrunk) this.notes.shrunk(pass.length, records.length, this.minRatio);
        this.fullLoads.pop();
        owner.settle?.();
        owner.settle = null;
        return null;
      }
    }
    if (pass.length === 0 && records.length > 0) return null;
    return pass;
  }

  /** How many EVSEs the acknowledged fullLoad of `records` records left out; older ones not answered are dropped. */
  leftOut(records: number): number | undefined {
    const i = this.fullLoads.findIndex((f) => f.records === records);
    if (i < 0) return undefined;
    return this.fullLoads.splice(0, i + 1)[i]!.left;
  }
}
