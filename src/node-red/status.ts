import type { Node, NodeMessageInFlow, NodeStatus } from 'node-red';

/** Longest status text shown under a node; longer ones end in an ellipsis (the full text goes to the log). */
export const STATUS_MAX_CHARS = 120;
/** How long an input's error stays red under the node before its normal status comes back. */
export const FLASH_MS = 3000;
/** Status goes to every open editor: at most one normal update per this many ms. */
export const STATUS_THROTTLE_MS = 250;
/** While a countdown is shown, the status is redrawn this often. */
export const TICK_MS = 1000;

export type StatusFill = NonNullable<NodeStatus['fill']>;
export type StatusShape = NonNullable<NodeStatus['shape']>;
export interface Status {
  fill: StatusFill;
  shape: StatusShape;
  text: string;
  /** Counters after the text (' · 3 queued'): kept whole when the text is shortened. */
  tail?: string;
}

/** The one truncation rule: at most STATUS_MAX_CHARS, the text shortened with an ellipsis, the tail kept. */
export function truncate(text: string, tail = '', max = STATUS_MAX_CHARS): string {
  const room = Math.max(8, max - tail.length);
  return (text.length > room ? text.slice(0, room - 1) + '\u2026' : text) + tail;
}

export interface StatusViewOptions {
  /** The node's normal status, asked again at each redraw; null leaves the status as it is. */
  base: () => Status | null;
  /** Whether the status shows a countdown right now (then it is redrawn every second). */
  ticking?: () => boolean;
  throttleMs?: number;
}

/**
 * One node's status line: a normal status redrawn at most every throttleMs, an error flashed red for FLASH_MS,
 * one truncation rule, and a one-second tick while a countdown is shown.
 */
export class StatusView {
  private throttle: NodeJS.Timeout | undefined;
  private flashTimer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private lastShown = 0;
  private closed = false;
  private readonly throttleMs: number;

  constructor(
    private readonly node: { status(s: NodeStatus): void },
    private readonly opts: StatusViewOptions,
  ) {
    this.throttleMs = opts.throttleMs ?? STATUS_THROTTLE_MS;
  }

  get flashing(): boolean {
    return this.flashTimer !== undefined;
  }

  /** Draws the normal status now (unless an error is being flashed). */
  show(): void {
    if (this.closed || this.flashTimer) return;
    this.lastShown = Date.now();
    const s = this.opts.base();
    if (!s) return;
    this.node.status({ fill: s.fill, shape: s.shape, text: truncate(s.text, s.tail) });
    this.armTick();
  }

  /** Draws the normal status soon: at most once per throttle interval, however often called. */
  refresh(): void {
    if (this.closed || this.throttle || this.flashTimer) return;
    const wait = this.throttleMs - (Date.now() - this.lastShown);
    if (wait <= 0) return this.show();
    this.throttle = setTimeout(() => {
      this.throttle = undefined;
      this.show();
    }, wait);
  }

  /** Shows an error in red for FLASH_MS, then the normal status again. */
  flash(text: string): void {
    if (this.closed) return;
    this.node.status({ fill: 'red', shape: 'ring', text: truncate(text) });
    if (this.flashTimer) clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => {
      this.flashTimer = undefined;
      this.show();
    }, FLASH_MS);
  }

  private armTick(): void {
    if (this.ticker || !this.opts.ticking?.()) return;
    this.ticker = setTimeout(() => {
      this.ticker = undefined;
      this.show();
    }, TICK_MS);
  }

  close(): void {
    this.closed = true;
    for (const t of [this.throttle, this.flashTimer, this.ticker]) if (t) clearTimeout(t);
    this.throttle = this.flashTimer = this.ticker = undefined;
  }
}

export type Done = (err?: Error) => void;

/** The one way from an error to a failed input: red flash under the node and done(err) for Catch nodes. */
export function failInput(view: StatusView, done: Done, err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  view.flash(e.message);
  done(e);
  return e;
}

/** A node whose setup cannot work: every input fails with the reason, and close only stops the view. */
export function refuseInputs(node: Node, view: StatusView, reason: string): void {
  node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: Done) => failInput(view, done, new Error(reason)));
  node.on('close', (done: () => void) => {
    view.close();
    done();
  });
}
