// A redeployed node is a new instance with the same id, and it starts as soon as the old one called done() on close.
// The old one may still be saving then (close must not hold up a deploy), or still applying messages that came in
// during its restore. Reading the saved state before that work is done would miss those changes, and the new
// instance's next compaction would delete them from disk. So the new instance restores only once the old one let go.

const closing = new Map<string, Promise<void>>();

/** Registers the closing work of the instance that owns key; a successor's predecessorClosed(key) waits for it. */
export function handOver(key: string, work: Promise<unknown>): void {
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  closing.set(key, settled);
  void settled.then(() => {
    if (closing.get(key) === settled) closing.delete(key);
  });
}

/** Settles when the last instance that owned key has finished closing (at once when there is none). */
export function predecessorClosed(key: string): Promise<void> {
  return closing.get(key) ?? Promise.resolve();
}
