// Next run of a daily 'HH:MM' or a 5-field cron expression, in a time zone given by an offset function.
// Wall-clock times are handled as "wall ms": the local date and time encoded as if it were UTC.
// Not cronosjs (Node-RED's inject node): it gives the same DST results for an IANA zone, but takes no offset
// function (which the DST tests inject), accepts seconds/years fields and names, and its errors name no field.

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Offset of local time from UTC in minutes (east positive) at the instant utcMs; e.g. 120 for CEST. */
export type OffsetFn = (utcMs: number) => number;

/** The runtime's local time zone (process TZ). */
export const localOffset: OffsetFn = (utcMs) => -new Date(utcMs).getTimezoneOffset();

export interface Schedule {
  readonly source: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly dayStar: boolean;
  readonly weekdayStar: boolean;
}

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let i = lo; i <= hi; i++) out.push(i);
  return out;
}

function parseField(text: string, name: string, min: number, max: number): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`cron ${name} field '${text}': '${part}' is not a number, '*', a range a-b or a step /n`);
    let lo: number;
    let hi: number;
    if (m[1] === '*') {
      lo = min;
      hi = max;
    } else {
      lo = Number(m[2]);
      hi = m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    }
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi) throw new Error(`cron ${name} field '${text}': '${part}' is outside ${min}-${max}`);
    if (step < 1) throw new Error(`cron ${name} field '${text}': step must be at least 1`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return Array.from(out).sort((a, b) => a - b);
}

/** Parses 'HH:MM' or 'minute hour day-of-month month day-of-week'. Throws an Error with a clear message. */
export function parseSchedule(spec: string): Schedule {
  const text = String(spec ?? '').trim();
  const hm = HHMM.exec(text);
  if (hm) {
    return {
      source: text,
      minutes: [Number(hm[2])],
      hours: [Number(hm[1])],
      days: new Set(range(1, 31)),
      months: new Set(range(1, 12)),
      weekdays: new Set(range(0, 6)),
      dayStar: true,
      weekdayStar: true,
    };
  }
  const f = text.split(/\s+/);
  if (f.length !== 5 || text === '') {
    throw new Error(`schedule '${text}' is neither HH:MM (e.g. 03:00) nor a 5-field cron expression (minute hour day month weekday)`);
  }
  const weekdays = parseField(f[4], 'day-of-week', 0, 7).map((d) => (d === 7 ? 0 : d));
  return {
    source: text,
    minutes: parseField(f[0], 'minute', 0, 59),
    hours: parseField(f[1], 'hour', 0, 23),
    days: new Set(parseField(f[2], 'day-of-month', 1, 31)),
    months: new Set(parseField(f[3], 'month', 1, 12)),
    weekdays: new Set(weekdays),
    dayStar: f[2].startsWith('*'),
    weekdayStar: f[4].startsWith('*'),
  };
}

/** Error message for an invalid schedule, or undefined when valid. */
export function scheduleError(spec: string): string | undefined {
  try {
    parseSchedule(spec);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The instant a wall-clock time happens. Ambiguous (fall-back): the first occurrence.
 * Nonexistent (spring-forward gap): the first valid instant after it, i.e. the transition.
 */
export function resolveWallTime(wall: number, offset: OffsetFn = localOffset): number {
  const offsets = new Set([offset(wall - DAY), offset(wall), offset(wall + DAY)]);
  let best: number | undefined;
  for (const o of offsets) {
    const t = wall - o * MINUTE;
    if (offset(t) === o && (best === undefined || t < best)) best = t;
  }
  if (best !== undefined) return best;
  // In a gap: before the transition the wall time lies ahead, after it behind. Find the transition.
  const os = Array.from(offsets);
  let lo = wall - Math.max(...os) * MINUTE; // before the transition
  let hi = wall - Math.min(...os) * MINUTE; // after it
  const before = offset(lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

function dayMatches(s: Schedule, wallDay: number): boolean {
  const d = new Date(wallDay * DAY);
  if (!s.months.has(d.getUTCMonth() + 1)) return false;
  const dom = s.days.has(d.getUTCDate());
  const dow = s.weekdays.has(d.getUTCDay());
  // Vixie cron: when both day fields are restricted, either may match.
  if (!s.dayStar && !s.weekdayStar) return dom || dow;
  return dom && dow;
}

/** The first run strictly after now. Each wall-clock slot runs at most once, also across DST changes. */
export function nextRunAt(now: Date | number, spec: string | Schedule, offset: OffsetFn = localOffset): Date {
  const s = typeof spec === 'string' ? parseSchedule(spec) : spec;
  const nowMs = typeof now === 'number' ? now : now.getTime();
  const wallNow = nowMs + offset(nowMs) * MINUTE;
  const firstDay = Math.floor(wallNow / DAY);
  // 8 years covers Feb 29 combined with a weekday.
  for (let day = firstDay; day < firstDay + 366 * 8; day++) {
    if (!dayMatches(s, day)) continue;
    for (const h of s.hours) {
      for (const m of s.minutes) {
        const wall = day * DAY + h * HOUR + m * MINUTE;
        // Offsets never differ by more than a few hours within a day; skip slots clearly past.
        if (wall < wallNow - 3 * HOUR) continue;
        const t = resolveWallTime(wall, offset);
        if (t > nowMs) return new Date(t);
      }
    }
  }
  throw new Error(`schedule '${s.source}' never runs`);
}

export interface SchedulerOptions {
  schedule: string | Schedule;
  run: (at: Date) => void;
  offset?: OffsetFn;
  /** Longest single setTimeout; the timer is re-armed, so clock changes and long waits are safe. */
  maxTimerMs?: number;
  now?: () => number;
  onError?: (err: Error) => void;
}

/** Runs a callback at every occurrence of a schedule, recomputing the next time after each run. */
export class Scheduler {
  private readonly schedule: Schedule;
  private readonly offset: OffsetFn;
  private readonly maxTimer: number;
  private readonly now: () => number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private nextMs: number | undefined;
  private lastRunFor: number | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.schedule = typeof options.schedule === 'string' ? parseSchedule(options.schedule) : options.schedule;
    this.offset = options.offset ?? localOffset;
    this.maxTimer = options.maxTimerMs ?? HOUR;
    this.now = options.now ?? (() => Date.now());
  }

  get next(): Date | undefined {
    return this.nextMs === undefined ? undefined : new Date(this.nextMs);
  }

  start(): void {
    this.stop();
    this.nextMs = nextRunAt(this.now(), this.schedule, this.offset).getTime();
    this.arm();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextMs = undefined;
  }

  private arm(): void {
    if (this.nextMs === undefined) return;
    const delay = Math.max(0, Math.min(this.nextMs - this.now(), this.maxTimer));
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.nextMs === undefined) return;
    const now = this.now();
    const due = this.nextMs;
    if (now >= due) {
      this.nextMs = nextRunAt(Math.max(now, due), this.schedule, this.offset).getTime();
      if (this.lastRunFor !== due) {
        this.lastRunFor = due;
        this.arm();
        try {
          this.options.run(new Date(due));
        } catch (err) {
          // A throwing callback must not take the process down from a timer.
          if (this.options.onError) this.options.onError(err as Error);
        }
        return;
      }
    } else {
      // Not due (capped timer, or the clock went back): recompute, the slot just run is still skipped.
      this.nextMs = nextRunAt(now, this.schedule, this.offset).getTime();
    }
    this.arm();
  }
}

/** When the next run is, as a node status shows it: HH:MM today or tomorrow, MM-DD HH:MM later. */
export function nextRunText(d: Date, now: number): string {
  const t = String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  if (d.getTime() - now < 86_400_000) return t;
  return `${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${t}`;
}
