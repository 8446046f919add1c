// The kit's view of the state files (src/journal/health.ts): the status text and log lines a node shows for the
// files it owns, in the user's language.
import * as path from 'node:path';
import { stateHealth, type StateProblem } from '../journal/health';
import type { Translate } from './i18n';

export type StateMatch = (p: StateProblem) => boolean;

/** The status text for one problem: a failing write first, then damage, then a still incomplete state. */
export function stateText(t: Translate, p: StateProblem): string {
  const file = path.basename(p.file);
  if (p.writeError) return t('kit.state.writeFailed', { file, code: p.writeError.code, path: p.writeError.path });
  if (p.damage) return t('kit.state.damaged', { file, recovered: p.damage.recovered, lost: p.damage.lost, movedTo: p.damage.movedTo.join(', ') });
  return t('kit.state.incomplete', { file, lost: p.lostBefore ?? 0 });
}

/** A yellow status for the first problem of the files a node owns, or null. */
export function stateStatus(t: Translate, match: StateMatch): { fill: 'yellow'; shape: 'ring'; text: string } | null {
  const p = stateHealth.of(match)[0];
  return p ? { fill: 'yellow', shape: 'ring', text: stateText(t, p) } : null;
}

// Damage is logged once per process and file, whichever node sees it first; write failures once per streak.
const logged = new Set<string>();

/**
 * Logs what is wrong with the node's files at error level (damage once per process, a write failure once per
 * streak) and calls onChange when it changes. Returns the unsubscribe function for the node's close handler.
 */
export function watchState(node: { error(m: string): void }, t: Translate, match: StateMatch, onChange: () => void): () => void {
  const log = (p: StateProblem) => {
    if (p.damage && !logged.has(`d:${p.file}:${p.damage.at}`)) {
      logged.add(`d:${p.file}:${p.damage.at}`);
      node.error(t('kit.state.logDamaged', { file: p.file, recovered: p.damage.recovered, lost: p.damage.lost, movedTo: p.damage.movedTo.join(', ') }));
    }
    if (p.writeError && !logged.has(`w:${p.file}:${p.writeError.at}`)) {
      logged.add(`w:${p.file}:${p.writeError.at}`);
      node.error(t('kit.state.logWriteFailed', { file: p.file, code: p.writeError.code, message: p.writeError.message }));
    }
  };
  for (const p of stateHealth.of(match)) log(p);
  const fn = (p: StateProblem) => {
    if (!match(p)) return;
    log(p);
    onChange();
  };
  stateHealth.on('change', fn);
  return () => stateHealth.off('change', fn);
}

/** A lane's status with a problem of the node's own state files in front (yellow, naming it); a red one stays. */
export function withStateProblem<S extends { fill: string; tail?: string }>(
  st: S,
  t: Translate,
  match: StateMatch,
): S | { fill: 'yellow'; shape: 'ring'; text: string; tail?: string } {
  const sp = st.fill !== 'red' ? stateStatus(t, match) : null;
  return sp ? { ...sp, tail: st.tail } : st;
}
