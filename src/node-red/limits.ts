/**
 * Limits of the numbers a user types into the nodes' dialogs. The runtime parses with them and the editor validates
 * with the same table (exported to it as a node setting), so a value the editor accepts is the value that runs.
 */
export interface NumberLimit {
  readonly min: number;
  readonly max: number;
  readonly default: number;
  readonly integer?: boolean;
}

export const LIMITS = {
  // Config node (one operator's queue and client).
  timeout: { min: 1, max: 600, default: 30 },
  rateLimit: { min: 1, max: 100_000, default: 2000, integer: true },
  // eRoamingPushEvseData requests per rolling minute (Hubject's acceptable use policy allows fewer than for status).
  dataRateLimit: { min: 1, max: 100_000, default: 375, integer: true },
  // Largest data fullLoad body sent, in MB: Hubject publishes no limit, so this is an assumption (docs/hubject-answers.md).
  maxBodyMB: { min: 1, max: 1000, default: 20 },
  retryBase: { min: 0.01, max: 3600, default: 1 },
  retryMax: { min: 0.1, max: 86_400, default: 300 },
  // Hubject takes one request at a time; a bundle larger than this is split anyway.
  maxRecords: { min: 1, max: 10_000, default: 500, integer: true },
  // Status gate: how long a status waits for its EVSE's data before its input fails.
  holdMaxHours: { min: 0.1, max: 720, default: 24 },
  // Full load node.
  onStartDelay: { min: 0, max: 86_400, default: 30 },
  staleDays: { min: 0, max: 36_500, default: 7 },
  minRatio: { min: 0, max: 1, default: 0.5 },
  // Authorize node: seconds the charger waits for Hubject's answer before the fallback answers (never retried).
  authorizeTimeout: { min: 0.5, max: 60, default: 5 },
} as const satisfies Record<string, NumberLimit>;

export type LimitName = keyof typeof LIMITS;

/** True when the editor's text is empty (the field was left blank: the default applies). */
export function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/**
 * An editor number, parsed on numberProblem's verdict: a number it accepts runs as typed, blank gives the default.
 * What it refuses still runs (old or hand-edited flows): not a number gives the default, out of range is clamped,
 * integers are floored. Flows are JSON and hand-edited flows carry strings, so '5' counts as 5.
 */
export function editorNumber(v: unknown, limit: NumberLimit): number {
  const text = v === undefined || v === null ? '' : String(v).trim();
  if (text === '') return limit.default;
  const problem = numberProblem(v, limit);
  if (!problem) return Number(text);
  if (problem.key === 'kit.validate.number') return limit.default;
  const clamped = Math.min(limit.max, Math.max(limit.min, Number(text)));
  return limit.integer ? Math.floor(clamped) : clamped;
}

/** An editor number that may be left unset (undefined when blank). */
export function optionalEditorNumber(v: unknown, limit: NumberLimit): number | undefined {
  return isBlank(v) ? undefined : editorNumber(v, limit);
}

/** An editor checkbox: true/'true' and false/'false' (hand-edited flows); anything else gives the default. */
export function editorBoolean(v: unknown, fallback: boolean): boolean {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return fallback;
}

/** An editor checkbox that may be left unset, as for a setting another node may supply. */
export function optionalEditorBoolean(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

export interface NumberProblem {
  /** A key of the Hubject config node's catalogue ("kit.validate.*"), which every dialog shares. */
  key: 'kit.validate.number' | 'kit.validate.range' | 'kit.validate.integer';
  values: { min: number; max: number };
}

/**
 * The one check of a number typed into a dialog: undefined when it runs as typed (or is blank: then the default
 * applies), else why not. The runtime parses with it (editorNumber) and every dialog validates with it: its source
 * goes to the editor as a node setting (settings.ts), so it must stay self-contained, with no imports and nothing
 * a browser lacks. Only plain decimals count ('1e3' too, not '0x10' or '1,5').
 */
export function numberProblem(v: unknown, limit: NumberLimit): NumberProblem | undefined {
  const text = v === undefined || v === null ? '' : String(v).trim();
  if (text === '') return undefined;
  const values = { min: limit.min, max: limit.max };
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n)) return { key: 'kit.validate.number', values };
  if (n < limit.min || n > limit.max) return { key: 'kit.validate.range', values };
  if (limit.integer && Math.floor(n) !== n) return { key: 'kit.validate.integer', values };
  return undefined;
}
