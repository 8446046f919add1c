/** Rolling-window limiter: at most `limit` starts in any `windowMs`. Memory is O(limit). */
export class RollingRateLimiter {
  private readonly starts: number[] = [];
  private head = 0;

  constructor(readonly limit: number, readonly windowMs = 60_000) {
    if (!(limit >= 1)) throw new Error('rate limit must be at least 1');
  }

  /** Milliseconds to wait before the next start is allowed (0 = now). */
  waitMs(now: number): number {
    this.prune(now);
    if (this.size() < this.limit) return 0;
    return this.starts[this.head]! + this.windowMs - now;
  }

  record(now: number): void {
    this.starts.push(now);
  }

  /** Starts within the current window. */
  size(): number {
    return this.starts.length - this.head;
  }

  private prune(now: number): void {
    while (this.head < this.starts.length && this.starts[this.head]! <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.starts.length) {
      this.starts.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** Exponential backoff with full jitter (AWS style), honouring a server's Retry-After. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random, retryAfterMs?: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const jitter = Math.floor(random() * ceiling);
  const backoff = Math.min(maxMs, Math.max(jitter, Math.min(baseMs, ceiling) / 10));
  // The server's Retry-After wins over our own ceiling (bounded to an hour against absurd values).
  return Math.max(backoff, Math.min(retryAfterMs ?? 0, 3_600_000));
}
