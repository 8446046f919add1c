// What is wrong with the state files under <userDir>/oicp, per file, for the nodes' status, the log, the sidebar and
// the metrics. The stores report here; nothing here reads a file.
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { IncompleteMark, Journal, JournalLoadReport, JournalWriteError } from './journal';

export type StateKind = 'gate' | 'outbox' | 'evse-data' | 'fullload' | 'dead-letters';

export interface StateProblem {
  file: string;
  kind: StateKind;
  operatorId?: string;
  operation?: string;
  /** Set when the load found damage. */
  damage?: { recovered: number; lost: number; movedTo: string[]; at: number };
  /** The state is not whole (damage now or on an earlier start, not yet made whole). */
  incomplete: boolean;
  /** Entries lost by all damage since the state was last whole. */
  lostBefore?: number;
  /** Set while writes fail. */
  writeError?: JournalWriteError;
}

export interface StateOwner {
  kind: StateKind;
  operatorId?: string;
  operation?: string;
}

class StateHealth extends EventEmitter {
  readonly problems = new Map<string, StateProblem>();
  /** Failed writes since start, per file kind (oicp_state_write_errors_total). */
  readonly writeErrors = new Map<StateKind, number>();

  private entry(file: string, owner: StateOwner): StateProblem {
    let p = this.problems.get(file);
    if (!p) {
      p = { file, ...owner, incomplete: false };
      this.problems.set(file, p);
    }
    return p;
  }

  /** Wires a journal: its load report and its write errors are reported here under `file`. */
  watch<V>(journal: Journal<V>, file: string, owner: StateOwner): void {
    journal.on('error', (e) => {
      this.writeErrors.set(owner.kind, (this.writeErrors.get(owner.kind) ?? 0) + 1);
      const p = this.entry(file, owner);
      p.writeError = { path: e.path, code: e.code, message: e.message, at: e.at };
      this.changed(p);
    });
    journal.on('recovered', () => {
      const p = this.problems.get(file);
      if (!p?.writeError) return;
      delete p.writeError;
      this.settle(p);
    });
  }

  loaded(file: string, owner: StateOwner, report: JournalLoadReport, mark?: IncompleteMark | null): void {
    if (!report.incomplete && !report.damaged.length) return;
    const p = this.entry(file, owner);
    p.incomplete = report.incomplete;
    if (mark) p.lostBefore = mark.lost;
    if (report.damaged.length)
      p.damage = { recovered: report.recovered, lost: report.lost, movedTo: report.damaged.map((d) => path.basename(d.movedTo ?? d.file)), at: Date.now() };
    this.changed(p);
  }

  /** The owner has the whole state again. */
  complete(file: string): void {
    const p = this.problems.get(file);
    if (!p) return;
    p.incomplete = false;
    delete p.damage;
    this.settle(p);
  }

  /** Problems of one owner (a node shows these). */
  of(match: (p: StateProblem) => boolean): StateProblem[] {
    return [...this.problems.values()].filter(match);
  }

  private settle(p: StateProblem): void {
    if (!p.writeError && !p.incomplete && !p.damage) this.problems.delete(p.file);
    this.changed(p);
  }

  private changed(p: StateProblem): void {
    this.emit('change', p);
  }

  /** Tests: forget everything. */
  reset(): void {
    this.problems.clear();
    this.writeErrors.clear();
  }
}

export const stateHealth = new StateHealth();
stateHealth.setMaxListeners(0);

/** One line for a node's status or the log: the file and what is wrong. */
export function describeProblem(p: StateProblem): string {
  const name = path.basename(p.file);
  if (p.writeError) return `${name} not written (${p.writeError.code}: ${p.writeError.path}): what Hubject acknowledged is not persisted`;
  if (p.damage) return `${name} damaged: ${p.damage.recovered} recovered, ${p.damage.lost} lost; moved aside as ${p.damage.movedTo.join(', ')}`;
  if (p.incomplete) return `${name} is incomplete since damage was found`;
  return name;
}
