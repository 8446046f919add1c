// Exact energy arithmetic: meter readings become integer Wh (bigint), kWh are written from those integers, so a CDR
// never carries binary floating-point drift (0.1 + 0.2) and ConsumedEnergy is exactly MeterValueEnd - MeterValueStart.

import { describeValue as show } from '../oicp/describe';
import { fail } from './errors';

const DECIMAL = /^([+-]?)([0-9]+)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;
const DECIMAL_FRACTION_ONLY = /^([+-]?)\.([0-9]+)(?:[eE]([+-]?[0-9]+))?$/;
/**
 * Largest meter reading: 999,999,999,999.999 kWh. Up to 15 significant digits a JSON number written from its decimal
 * text reads back as exactly that text, so the kWh numbers in the body are the exact decimals.
 */
export const MAX_WH = 10n ** 15n - 1n;

export type EnergyUnit = 'Wh' | 'kWh';

/** value * 10^exponent as an exact rational: digits (bigint) and a power of ten. */
function decimalOf(value: unknown, field: string): { digits: bigint; exp: number } {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(field, `${field} ${show(value)} is not a finite number`);
    text = String(value); // shortest text that reads back as this number, e.g. 12.345 -> '12.345'
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return fail(field, `${field} is ${show(value)}, not a number`);
  }
  let m = DECIMAL.exec(text);
  let sign: string, int: string, frac: string, e: string | undefined;
  if (m) {
    [, sign, int, frac = '', e] = m;
  } else {
    m = DECIMAL_FRACTION_ONLY.exec(text);
    if (!m) return fail(field, `${field} ${show(value)} is not a decimal number`);
    [, sign, frac, e] = m;
    int = '0';
  }
  const exp = (e === undefined ? 0 : Number(e)) - frac.length;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 40) fail(field, `${field} ${show(value)} is out of range`);
  const digits = BigInt(int + frac);
  return { digits: sign === '-' ? -digits : digits, exp };
}

/**
 * A meter reading in integer Wh. `unit` is OCPP's unit ('Wh' default, or 'kWh'); `multiplier` is OCPP 2.0.1's
 * power of ten. Readings finer than 1 Wh are rounded half up to the Wh (OICP carries kWh with 3 decimals).
 */
export function toWh(value: unknown, field: string, unit: unknown = 'Wh', multiplier: unknown = 0): bigint {
  let shift: number;
  if (unit === undefined || unit === null || unit === 'Wh') shift = 0;
  else if (unit === 'kWh') shift = 3;
  else return fail(field, `${field} has unit ${show(unit)}; an energy reading must be in Wh or kWh`);
  if (multiplier !== undefined && multiplier !== null) {
    if (typeof multiplier !== 'number' || !Number.isInteger(multiplier) || Math.abs(multiplier) > 9) {
      fail(field, `${field} has multiplier ${show(multiplier)}, not a small integer`);
    }
    shift += multiplier;
  }
  const { digits, exp } = decimalOf(value, field);
  let wh: bigint;
  const p = exp + shift;
  if (p >= 0) wh = digits * 10n ** BigInt(p);
  else {
    const d = 10n ** BigInt(-p);
    const abs = digits < 0n ? -digits : digits;
    const q = (abs + d / 2n) / d;
    wh = digits < 0n ? -q : q;
  }
  if (wh < 0n) fail(field, `${field} ${show(value)} is negative; an energy register never is`);
  if (wh > MAX_WH) fail(field, `${field} ${show(value)} is larger than any meter (at most 999999999999.999 kWh)`);
  return wh;
}

/** Integer Wh as kWh with exactly 3 decimals: 12345n -> '12.345', 5n -> '0.005'. */
export function kwhText(wh: bigint): string {
  const neg = wh < 0n;
  const a = neg ? -wh : wh;
  const text = `${a / 1000n}.${String(a % 1000n).padStart(3, '0')}`;
  return neg ? `-${text}` : text;
}

/** Integer Wh as the kWh number for a JSON body; JSON.stringify writes it as exactly kwhText (without trailing zeros). */
export function kwhNumber(wh: bigint): number {
  return Number(kwhText(wh));
}

/** A kWh value from an OICP body (a number or decimal text) as integer Wh; more than 3 decimals is an error, not rounded. */
export function kwhToWh(value: unknown, field: string): bigint {
  const { digits, exp } = decimalOf(value, field);
  const p = exp + 3;
  let wh: bigint;
  if (p >= 0) wh = digits * 10n ** BigInt(p);
  else {
    const d = 10n ** BigInt(-p);
    if (digits % d !== 0n) fail(field, `${field} ${show(value)} has more than 3 decimals (OICP: Decimal(,3) kWh)`);
    wh = digits / d;
  }
  if (wh < 0n) fail(field, `${field} ${show(value)} is negative`);
  if (wh > MAX_WH) fail(field, `${field} ${show(value)} is out of range (at most 999999999999.999 kWh)`);
  return wh;
}
