// One open-addressing hash index for EVSE tables (the full load store, the push queue's duplicate check).
// It maps keys to array positions and keeps only the positions, 4 bytes a cell in one Int32Array off the V8 heap:
// a Map would keep 100,000 key strings and table entries on the heap, copied by every scavenge.
// The keys stay with the caller, who says how to hash a key and whether the entry at a position has it.

export interface HashIndexKeys<K> {
  /** Hash of a key; keys the caller counts as equal must give equal hashes. */
  hash(key: K): number;
  /** Whether the entry at `pos` has this key. */
  matches(pos: number, key: K): boolean;
  /** Hash of the key at `pos`, to grow the table; undefined: the table keeps its first size. */
  hashAt: ((pos: number) => number) | undefined;
}

const EMPTY = 0;
const DELETED = -1;
const MIN_GROWING_SIZE = 1024;

function powerOfTwoAtLeast(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

export class HashIndex<K> {
  // table[i]: EMPTY, DELETED or pos + 1.
  private table: Int32Array;
  private mask: number;
  private used = 0; // live and deleted cells
  private live = 0;
  private readonly hash: (key: K) => number;
  private readonly matches: (pos: number, key: K) => boolean;

  /** capacity: the most positions expected (the table is sized for them at most half full); name: for errors. */
  constructor(
    private readonly keys: HashIndexKeys<K>,
    capacity = 0,
    private readonly name = 'HashIndex',
  ) {
    this.hash = keys.hash;
    this.matches = keys.matches;
    const size = powerOfTwoAtLeast(Math.max(capacity * 2, keys.hashAt ? MIN_GROWING_SIZE : 16));
    this.table = new Int32Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.live;
  }

  /** Position stored under key, or -1. */
  find(key: K): number {
    const cell = this.cellOf(key);
    return cell < 0 ? -1 : this.table[cell]! - 1;
  }

  /** Stores pos under key, which must not be present yet. */
  add(key: K, pos: number): void {
    // At most half full, counting deleted cells, so probes stay short and always end at an empty cell.
    if ((this.used + 1) * 2 > this.table.length) {
      if (!this.keys.hashAt) {
        if (this.used + 1 > this.mask) throw new Error(`${this.name} is full`);
      } else this.rehash(Math.max(MIN_GROWING_SIZE, powerOfTwoAtLeast((this.live + 1) * 4)));
    }
    const mask = this.mask;
    let i = this.hash(key) & mask;
    while (this.table[i]! > 0) i = (i + 1) & mask;
    if (this.table[i] === EMPTY) this.used++;
    this.table[i] = pos + 1;
    this.live++;
  }

  /** Removes key; returns the position it had, or -1. */
  remove(key: K): number {
    const cell = this.cellOf(key);
    if (cell < 0) return -1;
    const pos = this.table[cell]! - 1;
    this.table[cell] = DELETED;
    this.live--;
    return pos;
  }

  /** Forgets every key. */
  clear(): void {
    this.table = new Int32Array(this.keys.hashAt ? MIN_GROWING_SIZE : this.table.length);
    this.mask = this.table.length - 1;
    this.used = 0;
    this.live = 0;
  }

  private cellOf(key: K): number {
    const table = this.table;
    const mask = this.mask;
    const matches = this.matches;
    for (let i = this.hash(key) & mask; ; i = (i + 1) & mask) {
      const v = table[i]!;
      if (v === EMPTY) return -1;
      if (v > 0 && matches(v - 1, key)) return i;
    }
  }

  private rehash(size: number): void {
    const old = this.table;
    const hashAt = this.keys.hashAt!;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    this.used = 0;
    for (let c = 0; c < old.length; c++) {
      const v = old[c]!;
      if (v <= 0) continue;
      let i = hashAt(v - 1) & this.mask;
      while (this.table[i] !== EMPTY) i = (i + 1) & this.mask;
      this.table[i] = v;
      this.used++;
    }
  }
}

/** FNV-1a over UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A HashIndex over string keys of a fixed number of positions, the key's match decided per lookup: the push queue
 * finds duplicate EvseIDs in a large fullLoad with it, without keeping the key strings.
 */
export class KeyIndex {
  private hasKey: (pos: number) => boolean = () => false;
  private readonly index: HashIndex<string>;

  /** capacity: the most positions that will be added. */
  constructor(capacity: number) {
    // Same property order as every HashIndexKeys, so the index's lookups see one object shape.
    this.index = new HashIndex<string>({ hash: fnv1a, matches: (pos) => this.hasKey(pos), hashAt: undefined }, capacity, 'KeyIndex');
  }

  /** Position stored under `key`, or -1. `hasKey(pos)` tells whether the record at pos has this key. */
  find(key: string, hasKey: (pos: number) => boolean): number {
    this.hasKey = hasKey;
    return this.index.find(key);
  }

  /** Stores pos under key (which must not be present yet). */
  add(key: string, pos: number): void {
    this.index.add(key, pos);
  }
}
