// The layout the full load and EVSE data stores had before the journal engine, found once for their migration:
// `snapshot.jsonl` (a header line, then rows) and `journal-<seq>.jsonl` files, a new one per process start.
import * as fs from 'node:fs';
import * as path from 'node:path';

const SNAPSHOT = 'snapshot.jsonl';
const JOURNAL = /^journal-(\d+)\.jsonl$/;

export interface LegacyLayout {
  /** The snapshot's path, when there is one. */
  snapshot: string | undefined;
  /** The journal files, oldest first. */
  journals: Array<{ file: string; seq: number }>;
}

/** The old files in dir, or undefined when there are none (or dir cannot be read). */
export function findLegacyLayout(dir: string): LegacyLayout | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  const journals = names
    .map((n) => JOURNAL.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: path.join(dir, m[0]), seq: Number(m[1]) }))
    .sort((a, b) => a.seq - b.seq);
  const snapshot = names.includes(SNAPSHOT) ? path.join(dir, SNAPSHOT) : undefined;
  return snapshot || journals.length ? { snapshot, journals } : undefined;
}
