/**
 * Timestamps within a rolling window (60 s for Hubject's rate limit), in a growable ring: the push queue's limiter
 * and the simulator's rate limit and peak count both use it. Timestamps must be added in order.
 */
export class RollingWindow {
  private buf = new Float64Array(64);
  private head = 0;
  private len = 0;
  /** Largest count ever held. */
  peak = 0;

  constructor(readonly windowMs = 60_000) {}

  /** Drops timestamps at or before now - windowMs. */
  prune(now: number): void {
    while (this.len > 0 && this.buf[this.head]! <= now - this.windowMs) {
      this.head = (this.head + 1) % this.buf.length;
      this.len--;
    }
  }

  /** Timestamps within the window ending now. */
  count(now: number): number {
    this.prune(now);
    return this.len;
  }

  /** Count as of the last prune. */
  get size(): number {
    return this.len;
  }

  /** The i-th oldest timestamp held (0 = oldest). */
  at(i: number): number | undefined {
    return i >= 0 && i < this.len ? this.buf[(this.head + i) % this.buf.length] : undefined;
  }

  oldest(): number | undefined {
    return this.at(0);
  }

  add(now: number): void {
    this.prune(now);
    if (this.len === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) % this.buf.length]!;
      this.buf = next;
      this.head = 0;
    }
    this.buf[(this.head + this.len) % this.buf.length] = now;
    this.len++;
    if (this.len > this.peak) this.peak = this.len;
  }
}
