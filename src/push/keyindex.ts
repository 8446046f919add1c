/**
 * A fixed-size hash index from string keys to array positions, kept in one Int32Array.
 * Used to find duplicate EvseIDs in a large fullLoad: a Map would hold 100,000 key strings and table
 * entries on the V8 heap for as long as the list is queued, this holds 4 bytes per slot off the heap.
 * The keys themselves are not stored; the caller says whether the record at a position has the key.
 */
export class KeyIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private count = 0;

  /** capacity: the most positions that will be added. */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Position stored under `key`, or -1. `hasKey(pos)` tells whether the record at pos has this key. */
  find(key: string, hasKey: (pos: number) => boolean): number {
    for (let i = hash(key) & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v === 0) return -1;
      if (hasKey(v - 1)) return v - 1;
    }
  }

  /** Stores pos under key (which must not be present yet). */
  add(key: string, pos: number): void {
    if (++this.count > this.mask) throw new Error('KeyIndex is full');
    let i = hash(key) & this.mask;
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = pos + 1;
  }
}

/** FNV-1a over UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
