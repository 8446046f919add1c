import { RollingWindow } from './window';

/** After a 429: half the limit for this long, then back to the full limit gradually over SLOW_RAMP_MS. */
export const SLOW_HOLD_MS = 5 * 60_000;
export const SLOW_RAMP_MS = 5 * 60_000;

/**
 * Rolling-window limiter: at most `limit` starts in any `windowMs`, lowered for a while after Hubject answered 429
 * (its acceptable use policy asks clients to slow down, not to come back at full rate with the first success).
 * Memory is O(limit).
 */
export class RollingRateLimiter {
  private readonly starts: RollingWindow;
  private slowSince = -Infinity;

  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
  ) {
    if (!(limit >= 1)) throw new Error('rate limit must be at least 1');
    this.starts = new RollingWindow(windowMs);
  }

  /** Hubject answered 429: half the limit for SLOW_HOLD_MS, then a linear ramp back over SLOW_RAMP_MS. */
  slowDown(now: number): void {
    this.slowSince = now;
  }

  /** Starts allowed per window right now. */
  cap(now: number): number {
    const half = Math.max(1, Math.floor(this.limit / 2));
    const t = now - this.slowSince;
    if (t < SLOW_HOLD_MS) return half;
    if (t < SLOW_HOLD_MS + SLOW_RAMP_MS) return Math.max(half, Math.floor(half + ((this.limit - half) * (t - SLOW_HOLD_MS)) / SLOW_RAMP_MS));
    return this.limit;
  }

  /** Milliseconds to wait before the next start is allowed (0 = now). */
  waitMs(now: number): number {
    const size = this.starts.count(now);
    const cap = this.cap(now);
    if (size < cap) return 0;
    // The start that has to leave the window before the count is below the cap again.
    return Math.max(1, this.starts.at(size - cap)! + this.windowMs - now);
  }

  record(now: number): void {
    this.starts.add(now);
  }

  /** Starts within the current window. */
  size(): number {
    return this.starts.size;
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
