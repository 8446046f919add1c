import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Bytes of an outbox file and its fullLoad list files (`<file>.list-*.json`), read from disk at most every
 * cacheMs: the outbox module need not report sizes, and a scrape a second costs one readdir.
 */
export function outboxSizeProbe(file: string, cacheMs = 2000, now: () => number = Date.now): () => number {
  let at = -Infinity;
  let bytes = 0;
  return () => {
    const t = now();
    if (t - at < cacheMs) return bytes;
    at = t;
    bytes = 0;
    const dir = path.dirname(file);
    const base = path.basename(file);
    // The journal engine's files beside the old name: <name>.jsonl (snapshot) and <name>.journal.
    const stem = base.replace(/\.json$/, '');
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return bytes; // no outbox written yet
    }
    for (const name of names) {
      if (name !== base && name !== `${stem}.jsonl` && name !== `${stem}.journal` && !name.startsWith(`${base}.list-`)) continue;
      try {
        bytes += fs.statSync(path.join(dir, name)).size;
      } catch {
        // removed between readdir and stat
      }
    }
    return bytes;
  };
}
