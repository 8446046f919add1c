// Timestamps in the charger's own UTC offset (spec 01: "YYYY-MM-DDThh:mm:ssTZD", the offset of the charge point's
// location, needed for time-based tariffs). Chargers mostly report UTC ('Z'), so the session names its place:
// an IANA time zone (right across daylight saving changes) or a fixed offset.

import { describeValue as show } from '../oicp/describe';
import { fail } from './errors';

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;
const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

export interface ChargerZone {
  /** IANA time zone of the charger, e.g. 'Europe/Berlin'. Wins over utcOffset. */
  timeZone?: string;
  /** Fixed offset of the charger, e.g. '+01:00'. */
  utcOffset?: string;
}

function offsetMinutes(text: string, field: string): number {
  const m = OFFSET.exec(text);
  const h = m ? Number(m[2]) : NaN;
  const min = m ? Number(m[3]) : NaN;
  if (!m || h > 14 || min > 59) return fail(field, `${field} offset ${show(text)} is not an offset like +01:00`);
  return (m[1] === '-' ? -1 : 1) * (h * 60 + min);
}

/** Checks a zone once (at deploy): throws naming the bad value. */
export function checkZone(zone: ChargerZone, field = 'timeZone'): void {
  if (zone.timeZone !== undefined && zone.timeZone !== '') {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone.timeZone });
    } catch {
      fail(field, `${field} ${show(zone.timeZone)} is not an IANA time zone (e.g. Europe/Berlin)`);
    }
  }
  if (zone.utcOffset !== undefined && zone.utcOffset !== '') offsetMinutes(zone.utcOffset, 'utcOffset');
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Offset in minutes of an IANA zone at an instant. */
function zoneOffset(timeZone: string, ms: number, field: string): number {
  let f = zoneFormats.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return fail(field, `time zone ${show(timeZone)} is not an IANA time zone (e.g. Europe/Berlin)`);
    }
    zoneFormats.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((local - Math.floor(ms / 1000) * 1000) / 60000);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Formats an instant (ms) in an offset (minutes): '2026-12-07T17:05:09+01:00'. Seconds are truncated, as spec 01 writes them. */
export function formatWithOffset(ms: number, offset: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + offset * 60000);
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
  );
}

/** Parses an ISO 8601 timestamp with a designator; returns the instant and the offset it was written in (null for Z). */
export function parseTimestamp(value: unknown, field: string): { ms: number; offset: number | null } {
  const m = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  if (!m) return fail(field, `${field} ${show(value)} is not an ISO 8601 timestamp with a time zone (e.g. 2026-12-07T17:05:09+01:00)`);
  const ms = Date.parse(value as string);
  const [, y, mo, d, h, mi, s] = m;
  const check = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
  if (Number.isNaN(ms) || check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) {
    return fail(field, `${field} ${show(value)} is not a valid date and time`);
  }
  return { ms, offset: m[8].toUpperCase() === 'Z' ? null : offsetMinutes(m[8], field) };
}

/**
 * A timestamp as OICP wants it: in the charger's zone when the session names one; otherwise in the offset the
 * charger wrote. A bare UTC ('Z') with no zone is an error: OICP needs the local offset, and guessing it bills
 * day and night tariffs wrong.
 */
export function chargerTime(value: unknown, zone: ChargerZone, field: string): { text: string; ms: number } {
  const { ms, offset } = parseTimestamp(value, field);
  let off: number;
  if (zone.timeZone) off = zoneOffset(zone.timeZone, ms, field);
  else if (zone.utcOffset) off = offsetMinutes(zone.utcOffset, 'utcOffset');
  else if (offset !== null) off = offset;
  else {
    return fail(
      field,
      `${field} ${show(value)} is in UTC (Z), but OICP needs the charger's local offset (spec 01): give the session a timeZone (e.g. Europe/Berlin) or utcOffset`,
    );
  }
  return { text: formatWithOffset(ms, off), ms };
}
