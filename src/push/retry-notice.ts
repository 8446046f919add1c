// When a lane's transient faults are worth a log line: the status only names the code ("retrying in 8 s
// (UND_ERR_SOCKET)"); once a fault persists, its readable reason is logged once per distinct reason until a request
// gets a final answer again.
export class RetryNotice {
  private failing = 0;
  private said = '';
  constructor(private readonly after = 3) {}

  /** A request got a final answer (success or refusal): the count starts again. */
  answered(): void {
    this.failing = 0;
    this.said = '';
  }

  /** A retry with this reason: true when it should be logged now. */
  retry(reason: string, speaks = true): boolean {
    this.failing++;
    if (this.failing < this.after || reason === this.said || !speaks) return false;
    this.said = reason;
    return true;
  }
}

/**
 * One node's inputs in order: a small input is taken at once when none waits; a large one (validated and queued in
 * slices) runs later, and the inputs after it wait behind it.
 */
export class InputOrder {
  private chain: Promise<void> | null = null;
  private chained = 0;

  get waiting(): boolean {
    return this.chain !== null;
  }

  /** run must not reject: it fails its own input (a rejection would stop the ones behind it). */
  later(run: () => Promise<void>): void {
    this.chained++;
    this.chain = (this.chain ?? Promise.resolve()).then(async () => {
      try {
        await run();
      } finally {
        if (--this.chained === 0) this.chain = null;
      }
    });
  }
}
