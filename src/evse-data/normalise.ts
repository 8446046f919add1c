// Validation and normalisation of one EvseDataRecord (eRoamingPushEvseData 2.3). Hand-written checks: one pass
// builds the record in the schema's field order, so JSON.stringify of two equal records gives equal text.
import { EVSE_ID_PATTERN, EVSE_ID_MAX_LENGTH, OPERATOR_ID_PATTERN } from '../oicp/ids';
import {
  ACCESSIBILITY,
  ACCESSIBILITY_LOCATIONS,
  AUTHENTICATION_MODES,
  CALIBRATION_LAW_DATA_AVAILABILITY,
  CHARGING_MODES,
  COUNTRY_ALPHA2_TO_ALPHA3,
  COUNTRY_ALPHA3,
  DYNAMIC_INFO_AVAILABLE,
  ENERGY_TYPES,
  LENGTH_LIMITS,
  OCPP_CONNECTOR_TO_PLUG,
  OPENING_DAYS,
  PAYMENT_OPTIONS,
  PLUG_TYPES,
  POWER_TYPES,
  VALUE_ADDED_SERVICES,
  type Accessibility,
  type AccessibilityLocation,
  type AuthenticationMode,
  type CalibrationLawDataAvailability,
  type ChargingMode,
  type DynamicInfoAvailable,
  type EnergyType,
  type OpeningDay,
  type PaymentOption,
  type PlugType,
  type PowerType,
  type ValueAddedService,
} from './enums';

export interface InfoText {
  lang: string;
  value: string;
}
export type GeoCoordinates =
  | { Google: { Coordinates: string } }
  | { DecimalDegree: { Latitude: string; Longitude: string } }
  | { DegreeMinuteSeconds: { Latitude: string; Longitude: string } };
export interface Address {
  Country: string;
  City: string;
  Street: string;
  PostalCode: string;
  HouseNum: string;
  Floor?: string;
  Region?: string;
  ParkingFacility?: boolean;
  ParkingSpot?: string;
  TimeZone?: string;
}
export interface ChargingFacility {
  PowerType: PowerType;
  Voltage?: number;
  Amperage?: number;
  Power: number;
  ChargingModes?: ChargingMode[];
}
export interface EnergySource {
  Energy?: EnergyType;
  Percentage?: number;
}
export interface EnvironmentalImpact {
  CO2Emission?: number;
  NuclearWaste?: number;
}
export interface OpeningTimes {
  Period: { begin: string; end: string }[];
  on: OpeningDay;
}
/** An EvseDataRecord as sent: normalised and valid. */
export interface EvseDataRecord {
  EvseID: string;
  ChargingPoolID?: string;
  ChargingStationID?: string;
  ChargingStationNames: InfoText[];
  HardwareManufacturer?: string;
  ChargingStationImage?: string;
  SubOperatorName?: string;
  Address: Address;
  GeoCoordinates: GeoCoordinates;
  Plugs: PlugType[];
  DynamicPowerLevel?: boolean;
  ChargingFacilities: ChargingFacility[];
  RenewableEnergy: boolean;
  EnergySource?: EnergySource[];
  EnvironmentalImpact?: EnvironmentalImpact;
  CalibrationLawDataAvailability: CalibrationLawDataAvailability;
  AuthenticationModes: AuthenticationMode[];
  MaxCapacity?: number;
  PaymentOptions: PaymentOption[];
  ValueAddedServices: ValueAddedService[];
  Accessibility: Accessibility;
  AccessibilityLocation?: AccessibilityLocation;
  HotlinePhoneNumber: string;
  AdditionalInfo?: InfoText[];
  ChargingStationLocationReference?: InfoText[];
  GeoChargingPointEntrance?: GeoCoordinates;
  IsOpen24Hours: boolean;
  OpeningTimes?: OpeningTimes[];
  HubOperatorID?: string;
  ClearinghouseID?: string;
  IsHubjectCompatible: boolean;
  DynamicInfoAvailable: DynamicInfoAvailable;
}

/** Fields a `defaults` object may give; each is used for a record that does not have it. */
export const DEFAULTABLE_FIELDS = [
  'HotlinePhoneNumber',
  'AuthenticationModes',
  'PaymentOptions',
  'ValueAddedServices',
  'Accessibility',
  'AccessibilityLocation',
  'CalibrationLawDataAvailability',
  'RenewableEnergy',
  'IsOpen24Hours',
  'IsHubjectCompatible',
  'DynamicInfoAvailable',
] as const;
export type DefaultableField = (typeof DEFAULTABLE_FIELDS)[number];
export type EvseDataDefaults = Partial<Record<DefaultableField, unknown>>;

/** The record fields in the schema's order (ChargingStationID as Hubject's examples spell it). */
export const RECORD_FIELDS = [
  'EvseID',
  'ChargingPoolID',
  'ChargingStationID',
  'ChargingStationNames',
  'HardwareManufacturer',
  'ChargingStationImage',
  'SubOperatorName',
  'Address',
  'GeoCoordinates',
  'Plugs',
  'DynamicPowerLevel',
  'ChargingFacilities',
  'RenewableEnergy',
  'EnergySource',
  'EnvironmentalImpact',
  'CalibrationLawDataAvailability',
  'AuthenticationModes',
  'MaxCapacity',
  'PaymentOptions',
  'ValueAddedServices',
  'Accessibility',
  'AccessibilityLocation',
  'HotlinePhoneNumber',
  'AdditionalInfo',
  'ChargingStationLocationReference',
  'GeoChargingPointEntrance',
  'IsOpen24Hours',
  'OpeningTimes',
  'HubOperatorID',
  'ClearinghouseID',
  'IsHubjectCompatible',
  'DynamicInfoAvailable',
] as const;

/** One failed rule: the field (a path such as `ChargingFacilities[0].Power`) and what is wrong, with the fix. */
export interface FieldIssue {
  field: string;
  reason: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Patterns (anchored; the schema leaves some unanchored, which would let anything around a match through).

export const HOTLINE_PHONE_PATTERN = /^\+[0-9]{5,15}$/;
export const LANGUAGE_CODE_PATTERN = /^[a-z]{2,3}(?:-[A-Z]{2,3}(?:-[a-zA-Z]{4})?)?(?:-x-[a-zA-Z0-9]{1,8})?$/;
export const TIME_ZONE_PATTERN = /^UTC[+-]([0-9]{2}):([0-9]{2})$/;
export const CHARGING_POOL_ID_PATTERN = /^[A-Za-z]{2}\*?[A-Za-z0-9]{3}\*?P[A-Za-z0-9*]{1,30}$/;
export const GOOGLE_COORDINATES_PATTERN = /^-?1?\d{1,2}\.\d{1,6}\s*,?\s*-?1?\d{1,2}\.\d{1,6}$/;
export const DECIMAL_DEGREE_PATTERN = /^-?1?\d{1,2}\.\d{1,6}$/;
export const DEGREE_MINUTE_SECONDS_PATTERN = /^(-?)(1?\d{1,2})°[ ]?(\d{1,2})'[ ]?(\d{1,2}\.\d+)''$/;
export const OPENING_TIME_PATTERN = /^([0-9]{2}):([0-9]{2})$/;

const PLUG_SET: ReadonlySet<string> = new Set(PLUG_TYPES);
const NUMERIC_TEXT = /^-?\d+(\.\d+)?$/;

class Ctx {
  issues: FieldIssue[] = [];
  warnings: string[] = [];
  fail(field: string, reason: string): undefined {
    this.issues.push({ field, reason });
    return undefined;
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** null counts as absent: Hubject's own answers carry null for absent optional fields. */
const absent = (v: unknown): boolean => v === undefined || v === null;

function suggest(key: string, known: readonly string[]): string {
  const k = key.toLowerCase();
  const hit = known.find((n) => n.toLowerCase() === k) || known.find((n) => n.toLowerCase().startsWith(k.slice(0, 5)));
  return hit ? ` (did you mean ${hit}?)` : '';
}

function unknownKeys(ctx: Ctx, obj: Record<string, unknown>, known: readonly string[], at: string): void {
  for (const key in obj) {
    if (!known.includes(key))
      ctx.fail(at ? `${at}.${key}` : key, `is not a field of ${at || 'EvseDataRecord'}${suggest(key, known)}; remove it or fix its name`);
  }
}

function text(ctx: Ctx, v: unknown, field: string, o: { required?: boolean; min?: number; max?: number; numbers?: boolean }): string | undefined {
  if (absent(v)) return o.required ? ctx.fail(field, 'is missing') : undefined;
  let s: string;
  if (typeof v === 'string') s = v.trim();
  else if (o.numbers && typeof v === 'number' && Number.isFinite(v)) s = String(v);
  else return ctx.fail(field, `must be text, got ${show(v)}`);
  if (s === '' && !o.required) return undefined;
  if (o.min !== undefined && s.length < o.min) return ctx.fail(field, `${show(s)} is shorter than ${o.min} characters`);
  if (o.max !== undefined && s.length > o.max) {
    return ctx.fail(field, `${show(s)} has ${s.length} characters, more than the ${o.max} allowed; shorten it (nothing is cut off for you)`);
  }
  return s;
}

function bool(ctx: Ctx, v: unknown, field: string, required: boolean): boolean | undefined {
  if (absent(v)) return required ? ctx.fail(field, 'is missing (true or false)') : undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return ctx.fail(field, `must be true or false, got ${show(v)}`);
}

function oneOf<T extends string>(ctx: Ctx, v: unknown, field: string, allowed: readonly T[], required: boolean): T | undefined {
  if (absent(v) || v === '') return required ? ctx.fail(field, `is missing (one of ${allowed.join(', ')})`) : undefined;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  return ctx.fail(field, `${show(v)} is not one of ${allowed.join(', ')}`);
}

function integer(ctx: Ctx, v: unknown, field: string, min: number, max: number, required: boolean, unit = ''): number | undefined {
  if (absent(v) || v === '') return required ? ctx.fail(field, `is missing (a whole number ${min}-${max}${unit})`) : undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && NUMERIC_TEXT.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) return ctx.fail(field, `must be a whole number ${min}-${max}${unit}, got ${show(v)}`);
  if (!Number.isInteger(n)) return ctx.fail(field, `${n} is not a whole number; OICP allows only integers here (${min}-${max}${unit})`);
  if (n < min || n > max) return ctx.fail(field, `${n} is outside ${min}-${max}${unit}`);
  return n;
}

function decimal(ctx: Ctx, v: unknown, field: string, min: number, max: number): number | undefined {
  if (absent(v) || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && NUMERIC_TEXT.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) return ctx.fail(field, `must be a number ${min}-${max}, got ${show(v)}`);
  if (n < min || n > max) return ctx.fail(field, `${n} is outside ${min}-${max}`);
  return n;
}

/** A list of enum values; a single value counts as a list of one; repeats are dropped. */
function enumList<T extends string>(ctx: Ctx, v: unknown, field: string, allowed: readonly T[], required: boolean): T[] | undefined {
  if (absent(v)) return required ? ctx.fail(field, `is missing (a list of ${allowed.join(', ')})`) : undefined;
  const items = Array.isArray(v) ? v : [v];
  if (items.length === 0) return required ? ctx.fail(field, `must not be empty (one or more of ${allowed.join(', ')})`) : [];
  const out: T[] = [];
  let ok = true;
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) {
      ctx.fail(`${field}[${i}]`, `${show(x)} is not one of ${allowed.join(', ')}`);
      ok = false;
    } else if (!out.includes(x as T)) out.push(x as T);
  }
  return ok ? out : undefined;
}

function infoTexts(ctx: Ctx, v: unknown, field: string, required: boolean): InfoText[] | undefined {
  if (absent(v)) return required ? ctx.fail(field, 'is missing (a list of {lang, value})') : undefined;
  if (!Array.isArray(v)) return ctx.fail(field, `must be a list of {lang, value}, got ${show(v)}`);
  if (v.length === 0) return required ? ctx.fail(field, 'must not be empty (at least one {lang, value})') : undefined;
  const out: InfoText[] = [];
  let ok = true;
  for (let i = 0; i < v.length; i++) {
    const at = `${field}[${i}]`;
    const x = v[i];
    if (!isObject(x)) {
      ctx.fail(at, `must be {lang, value}, got ${show(x)}`);
      ok = false;
      continue;
    }
    const before = ctx.issues.length;
    unknownKeys(ctx, x, ['lang', 'value'], at);
    const lang = typeof x.lang === 'string' ? x.lang.trim() : x.lang;
    if (absent(lang)) ctx.fail(`${at}.lang`, 'is missing (a language code such as en or de)');
    else if (typeof lang !== 'string' || !LANGUAGE_CODE_PATTERN.test(lang)) {
      ctx.fail(`${at}.lang`, `${show(lang)} is not an ISO 639 language code (lower case, e.g. en, de, de-DE)`);
    }
    const value = text(ctx, x.value, `${at}.value`, { required: true, min: 1, max: LENGTH_LIMITS.InfoTextValue });
    if (ctx.issues.length > before) ok = false;
    else out.push({ lang: lang as string, value: value as string });
  }
  return ok ? out : undefined;
}

function readNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC_TEXT.test(v.trim())) return Number(v);
  return NaN;
}

function checkRange(ctx: Ctx, field: string, lat: number, lon: number): boolean {
  if (!(lat >= -90 && lat <= 90)) {
    ctx.fail(field, `latitude ${lat} is outside -90 to 90${lon >= -90 && lon <= 90 && Math.abs(lat) <= 180 ? ' (latitude and longitude swapped?)' : ''}`);
    return false;
  }
  if (!(lon >= -180 && lon <= 180)) {
    ctx.fail(field, `longitude ${lon} is outside -180 to 180`);
    return false;
  }
  return true;
}

const LAT_KEYS = ['lat', 'Latitude', 'latitude'];
const LON_KEYS = ['lon', 'lng', 'Longitude', 'longitude'];
const GEO_KEYS = ['Google', 'DecimalDegree', 'DegreeMinuteSeconds'];

function geo(ctx: Ctx, v: unknown, field: string, required: boolean): GeoCoordinates | undefined {
  if (absent(v)) return required ? ctx.fail(field, 'is missing (e.g. {"Google": {"Coordinates": "52.520008 13.404954"}} or {lat, lon})') : undefined;
  if (!isObject(v)) return ctx.fail(field, `must be an object, got ${show(v)}`);
  const latKey = LAT_KEYS.find((k) => !absent(v[k]));
  const lonKey = LON_KEYS.find((k) => !absent(v[k]));
  if (latKey || lonKey) {
    // Numbers (or numeric text): written as one Google string with 6 decimals, no locale.
    const formats = GEO_KEYS.filter((k) => !absent(v[k]));
    if (formats.length) return ctx.fail(field, `gives both ${latKey || lonKey} and ${formats.join(', ')}; give exactly one format`);
    unknownKeys(ctx, v, [latKey || 'lat', lonKey || 'lon'], field);
    if (!latKey || !lonKey) return ctx.fail(field, `needs both a latitude and a longitude (got only ${latKey || lonKey})`);
    const lat = readNumber(v[latKey]);
    const lon = readNumber(v[lonKey]);
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) {
      return ctx.fail(field, `${latKey}/${lonKey} must be numbers with a decimal point, got ${show(v[latKey])} and ${show(v[lonKey])}`);
    }
    if (!checkRange(ctx, field, lat, lon)) return undefined;
    return { Google: { Coordinates: `${lat.toFixed(6)} ${lon.toFixed(6)}` } };
  }
  const formats = GEO_KEYS.filter((k) => !absent(v[k]));
  unknownKeys(ctx, v, GEO_KEYS, field);
  if (formats.length !== 1) {
    return ctx.fail(
      field,
      formats.length === 0
        ? 'needs exactly one of Google, DecimalDegree, DegreeMinuteSeconds (or numeric {lat, lon})'
        : `gives ${formats.length} formats (${formats.join(', ')}); OICP needs exactly one`,
    );
  }
  const f = formats[0]!;
  const inner = v[f];
  const at = `${field}.${f}`;
  if (!isObject(inner)) return ctx.fail(at, `must be an object, got ${show(inner)}`);
  if (f === 'Google') {
    unknownKeys(ctx, inner, ['Coordinates'], at);
    const c = typeof inner.Coordinates === 'string' ? inner.Coordinates.trim() : inner.Coordinates;
    if (typeof c !== 'string' || !GOOGLE_COORDINATES_PATTERN.test(c)) {
      return ctx.fail(`${at}.Coordinates`, `${show(c)} is not "latitude longitude" with a decimal point and at most 6 decimals (e.g. "52.520008 13.404954")`);
    }
    const [lat, lon] = c.split(/\s*,\s*|\s+/).map(Number);
    if (!checkRange(ctx, `${at}.Coordinates`, lat!, lon!)) return undefined;
    return { Google: { Coordinates: c } };
  }
  unknownKeys(ctx, inner, ['Latitude', 'Longitude'], at);
  if (f === 'DecimalDegree') {
    const parts: string[] = [];
    for (const k of ['Latitude', 'Longitude']) {
      const x = inner[k];
      if (typeof x === 'number' && Number.isFinite(x)) parts.push(x.toFixed(6));
      else if (typeof x === 'string' && DECIMAL_DEGREE_PATTERN.test(x.trim())) parts.push(x.trim());
      else return ctx.fail(`${at}.${k}`, `${show(x)} is not a decimal degree with a decimal point and at most 6 decimals (e.g. "13.404954")`);
    }
    if (!checkRange(ctx, at, Number(parts[0]), Number(parts[1]))) return undefined;
    return { DecimalDegree: { Latitude: parts[0]!, Longitude: parts[1]! } };
  }
  const vals: number[] = [];
  const strs: string[] = [];
  for (const k of ['Latitude', 'Longitude']) {
    const x = typeof inner[k] === 'string' ? (inner[k] as string).trim() : inner[k];
    const m = typeof x === 'string' ? DEGREE_MINUTE_SECONDS_PATTERN.exec(x) : null;
    if (!m) return ctx.fail(`${at}.${k}`, `${show(x)} is not degrees, minutes and seconds such as 9°21'39.32''`);
    const min = Number(m[3]);
    const sec = Number(m[4]);
    if (min >= 60 || sec >= 60) return ctx.fail(`${at}.${k}`, `${show(x)} has minutes or seconds of 60 or more`);
    vals.push((m[1] ? -1 : 1) * (Number(m[2]) + min / 60 + sec / 3600));
    strs.push(x as string);
  }
  if (!checkRange(ctx, at, vals[0]!, vals[1]!)) return undefined;
  return { DegreeMinuteSeconds: { Latitude: strs[0]!, Longitude: strs[1]! } };
}

/** `0049 (30) 123-456` and `+49 (0)30 123456` to `+4930123456`. Numbers without a country code are an error. */
export function normalisePhoneNumber(v: string): string {
  let s = v.trim();
  if (/^(\+|00)/.test(s)) s = s.replace(/\(0\)/g, '');
  s = s.replace(/[\s\-()./]/g, '');
  if (s.startsWith('00')) s = '+' + s.slice(2);
  return s;
}

/** ISO 3166-1 alpha-2 or alpha-3 (any case) to alpha-3; undefined when it is neither. */
export function normaliseCountry(v: string): string | undefined {
  const s = v.trim().toUpperCase();
  if (s.length === 2) return COUNTRY_ALPHA2_TO_ALPHA3.get(s);
  if (s.length === 3 && COUNTRY_ALPHA3.has(s)) return s;
  return undefined;
}

/** An OICP plug type, or an OCPP ConnectorEnumType mapped to one. */
export function normalisePlug(v: string): { plug: PlugType } | { error: string } {
  if (PLUG_SET.has(v)) return { plug: v as PlugType };
  if (Object.prototype.hasOwnProperty.call(OCPP_CONNECTOR_TO_PLUG, v)) {
    const plug = OCPP_CONNECTOR_TO_PLUG[v];
    if (plug) return { plug };
    return { error: `OCPP connector type ${show(v)} has no OICP plug type; give the OICP plug type (one of ${PLUG_TYPES.join(', ')})` };
  }
  return { error: `${show(v)} is neither an OICP plug type (${PLUG_TYPES.join(', ')}) nor an OCPP ConnectorEnumType` };
}

function address(ctx: Ctx, v: unknown): Address | undefined {
  const field = 'Address';
  if (absent(v)) return ctx.fail(field, 'is missing ({Country, City, Street, PostalCode, HouseNum})');
  if (!isObject(v)) return ctx.fail(field, `must be an object, got ${show(v)}`);
  const before = ctx.issues.length;
  unknownKeys(ctx, v, ['Country', 'City', 'Street', 'PostalCode', 'HouseNum', 'Floor', 'Region', 'ParkingFacility', 'ParkingSpot', 'TimeZone'], field);
  let Country: string | undefined;
  if (absent(v.Country) || v.Country === '') ctx.fail('Address.Country', 'is missing (ISO 3166 alpha-3 such as DEU, or alpha-2 such as DE)');
  else if (typeof v.Country !== 'string') ctx.fail('Address.Country', `must be text, got ${show(v.Country)}`);
  else {
    Country = normaliseCountry(v.Country);
    if (!Country) ctx.fail('Address.Country', `${show(v.Country)} is not an ISO 3166-1 country code (alpha-3 such as DEU, or alpha-2 such as DE)`);
  }
  const City = text(ctx, v.City, 'Address.City', { required: true, min: 1, max: LENGTH_LIMITS.City });
  const Street = text(ctx, v.Street, 'Address.Street', { required: true, min: 2, max: LENGTH_LIMITS.Street });
  const PostalCode = text(ctx, v.PostalCode, 'Address.PostalCode', { required: true, max: LENGTH_LIMITS.PostalCode, numbers: true });
  if (typeof v.PostalCode === 'number') {
    ctx.warnings.push(`Address.PostalCode came as the number ${v.PostalCode}; a number loses leading zeros, so give postal codes as text`);
  }
  const HouseNum = text(ctx, v.HouseNum, 'Address.HouseNum', { required: true, max: LENGTH_LIMITS.HouseNum, numbers: true });
  const Floor = text(ctx, v.Floor, 'Address.Floor', { max: LENGTH_LIMITS.Floor, numbers: true });
  const Region = text(ctx, v.Region, 'Address.Region', { max: LENGTH_LIMITS.Region });
  const ParkingFacility = bool(ctx, v.ParkingFacility, 'Address.ParkingFacility', false);
  const ParkingSpot = text(ctx, v.ParkingSpot, 'Address.ParkingSpot', { max: LENGTH_LIMITS.ParkingSpot, numbers: true });
  let TimeZone: string | undefined;
  if (!absent(v.TimeZone) && v.TimeZone !== '') {
    const tz = typeof v.TimeZone === 'string' ? v.TimeZone.trim() : '';
    const m = TIME_ZONE_PATTERN.exec(tz);
    if (!m || Number(m[1]) > 14 || Number(m[2]) > 59) ctx.fail('Address.TimeZone', `${show(v.TimeZone)} is not a UTC offset such as UTC+01:00 or UTC-05:00`);
    else TimeZone = tz;
  }
  if (ctx.issues.length > before) return undefined;
  const a: Address = { Country: Country!, City: City!, Street: Street!, PostalCode: PostalCode ?? '', HouseNum: HouseNum ?? '' };
  if (Floor !== undefined) a.Floor = Floor;
  if (Region !== undefined) a.Region = Region;
  if (ParkingFacility !== undefined) a.ParkingFacility = ParkingFacility;
  if (ParkingSpot !== undefined) a.ParkingSpot = ParkingSpot;
  if (TimeZone !== undefined) a.TimeZone = TimeZone;
  return a;
}

function plugs(ctx: Ctx, v: unknown): PlugType[] | undefined {
  if (absent(v)) return ctx.fail('Plugs', 'is missing (a list of plug types, e.g. ["Type 2 Outlet"])');
  const items = Array.isArray(v) ? v : [v];
  if (items.length === 0) return ctx.fail('Plugs', 'must not be empty (one or more plug types)');
  const out: PlugType[] = [];
  let ok = true;
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    const r = typeof x === 'string' ? normalisePlug(x.trim()) : { error: `must be a plug type, got ${show(x)}` };
    if ('error' in r) {
      ctx.fail(`Plugs[${i}]`, r.error);
      ok = false;
    } else if (!out.includes(r.plug)) out.push(r.plug);
  }
  return ok ? out : undefined;
}

function facilities(ctx: Ctx, v: unknown): ChargingFacility[] | undefined {
  const field = 'ChargingFacilities';
  if (absent(v)) return ctx.fail(field, 'is missing (a list of {PowerType, Power})');
  if (!Array.isArray(v)) return ctx.fail(field, `must be a list of {PowerType, Power}, got ${show(v)}`);
  if (v.length === 0) return ctx.fail(field, 'must not be empty (at least one {PowerType, Power})');
  const out: ChargingFacility[] = [];
  const before = ctx.issues.length;
  for (let i = 0; i < v.length; i++) {
    const at = `${field}[${i}]`;
    const x = v[i];
    if (!isObject(x)) {
      ctx.fail(at, `must be {PowerType, Power}, got ${show(x)}`);
      continue;
    }
    unknownKeys(ctx, x, ['PowerType', 'Voltage', 'Amperage', 'Power', 'ChargingModes'], at);
    const PowerType = oneOf(ctx, x.PowerType, `${at}.PowerType`, POWER_TYPES, true);
    const Voltage = integer(ctx, x.Voltage, `${at}.Voltage`, 0, 999, false, ' V');
    // The schema's Amperage has at most 2 digits: a DC charger's 125 A cannot be said; Power says what matters.
    const amps = readNumber(x.Amperage);
    let Amperage: number | undefined;
    if (Number.isFinite(amps) && amps > 99)
      ctx.fail(`${at}.Amperage`, `${amps} A is more than the 99 A the schema allows: omit Amperage (Power gives the charging power)`);
    else Amperage = integer(ctx, x.Amperage, `${at}.Amperage`, 0, 99, false, ' A');
    let Power: number | undefined;
    const p = readNumber(x.Power);
    if (Number.isFinite(p) && p > 999) {
      ctx.fail(`${at}.Power`, `${p} is more than 999 kW: this looks like watts (${p} W is ${p / 1000} kW); OICP wants whole kW`);
    } else if (Number.isFinite(p) && p >= 0 && !Number.isInteger(p)) {
      ctx.fail(`${at}.Power`, `${p} kW is not a whole number, and the schema takes whole kW only: send ${Math.max(1, Math.round(p))} (rounded)`);
    } else Power = integer(ctx, x.Power, `${at}.Power`, 0, 999, true, ' kW');
    const ChargingModes = enumList(ctx, x.ChargingModes, `${at}.ChargingModes`, CHARGING_MODES, false);
    if (PowerType === undefined || Power === undefined) continue;
    // Schema order: PowerType, Voltage, Amperage, Power, ChargingModes.
    const f = { PowerType } as ChargingFacility;
    if (Voltage !== undefined) f.Voltage = Voltage;
    if (Amperage !== undefined) f.Amperage = Amperage;
    f.Power = Power;
    if (ChargingModes !== undefined) f.ChargingModes = ChargingModes;
    out.push(f);
  }
  return ctx.issues.length > before ? undefined : out;
}

function energySources(ctx: Ctx, v: unknown): EnergySource[] | undefined {
  const field = 'EnergySource';
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) return ctx.fail(field, `must be a list of {Energy, Percentage}, got ${show(v)}`);
  const out: EnergySource[] = [];
  const before = ctx.issues.length;
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const at = `${field}[${i}]`;
    const x = v[i];
    if (!isObject(x)) {
      ctx.fail(at, `must be {Energy, Percentage}, got ${show(x)}`);
      continue;
    }
    unknownKeys(ctx, x, ['Energy', 'Percentage'], at);
    const Energy = oneOf(ctx, x.Energy, `${at}.Energy`, ENERGY_TYPES, false);
    const Percentage = integer(ctx, x.Percentage, `${at}.Percentage`, 0, 99, false, ' %');
    const e: EnergySource = {};
    if (Energy !== undefined) e.Energy = Energy;
    if (Percentage !== undefined) {
      e.Percentage = Percentage;
      sum += Percentage;
    }
    out.push(e);
  }
  if (sum > 100) ctx.warnings.push(`EnergySource percentages add up to ${sum} %, more than 100 %`);
  return ctx.issues.length > before ? undefined : out;
}

function environmentalImpact(ctx: Ctx, v: unknown): EnvironmentalImpact | undefined {
  if (absent(v)) return undefined;
  if (!isObject(v)) return ctx.fail('EnvironmentalImpact', `must be {CO2Emission, NuclearWaste}, got ${show(v)}`);
  unknownKeys(ctx, v, ['CO2Emission', 'NuclearWaste'], 'EnvironmentalImpact');
  const CO2Emission = decimal(ctx, v.CO2Emission, 'EnvironmentalImpact.CO2Emission', 0, 99999);
  const NuclearWaste = decimal(ctx, v.NuclearWaste, 'EnvironmentalImpact.NuclearWaste', 0, 99999);
  const e: EnvironmentalImpact = {};
  if (CO2Emission !== undefined) e.CO2Emission = CO2Emission;
  if (NuclearWaste !== undefined) e.NuclearWaste = NuclearWaste;
  return e;
}

function openingTimes(ctx: Ctx, v: unknown): OpeningTimes[] | undefined {
  const field = 'OpeningTimes';
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) return ctx.fail(field, `must be a list of {Period, on}, got ${show(v)}`);
  const out: OpeningTimes[] = [];
  const before = ctx.issues.length;
  for (let i = 0; i < v.length; i++) {
    const at = `${field}[${i}]`;
    const x = v[i];
    if (!isObject(x)) {
      ctx.fail(at, `must be {Period, on}, got ${show(x)}`);
      continue;
    }
    unknownKeys(ctx, x, ['Period', 'on'], at);
    const on = oneOf(ctx, x.on, `${at}.on`, OPENING_DAYS, true);
    const periods: { begin: string; end: string }[] = [];
    const pv = x.Period;
    if (absent(pv)) ctx.fail(`${at}.Period`, 'is missing (a list of {begin, end} in HH:MM)');
    else if (!Array.isArray(pv) || pv.length === 0) ctx.fail(`${at}.Period`, 'must be a non-empty list of {begin, end} in HH:MM');
    else {
      for (let j = 0; j < pv.length; j++) {
        const p = pv[j];
        const pat = `${at}.Period[${j}]`;
        if (!isObject(p)) {
          ctx.fail(pat, `must be {begin, end}, got ${show(p)}`);
          continue;
        }
        unknownKeys(ctx, p, ['begin', 'end'], pat);
        const begin = time(ctx, p.begin, `${pat}.begin`, false);
        const end = time(ctx, p.end, `${pat}.end`, true);
        if (begin !== undefined && end !== undefined) periods.push({ begin, end });
      }
    }
    if (on !== undefined) out.push({ Period: periods, on });
  }
  return ctx.issues.length > before ? undefined : out;
}

function time(ctx: Ctx, v: unknown, field: string, isEnd: boolean): string | undefined {
  const s = typeof v === 'string' ? v.trim() : v;
  const m = typeof s === 'string' ? OPENING_TIME_PATTERN.exec(s) : null;
  const ok = m && ((Number(m[1]) <= 23 && Number(m[2]) <= 59) || (isEnd && s === '24:00'));
  if (!ok) return ctx.fail(field, `${show(v)} is not a time of day in HH:MM (00:00-23:59${isEnd ? ', or 24:00' : ''})`);
  return s as string;
}

export interface NormaliseOptions {
  /** Does this EvseID belong to the operator or one of its sub-operators? */
  belongs?: (evseId: string) => boolean;
  /** Operator(s) named in the error when it does not. */
  operatorLabel?: string;
  defaults?: EvseDataDefaults;
}

export interface NormaliseResult {
  record?: EvseDataRecord;
  /** The EvseID as given (for messages), when there was one. */
  EvseID?: string;
  issues: FieldIssue[];
  warnings: string[];
}

const KNOWN_INPUT_FIELDS: readonly string[] = [...RECORD_FIELDS, 'ChargingStationId', 'deltaType', 'lastUpdate'];

/** Validates one record and returns it normalised (see the list in evse-data.ts), or the rules it breaks. */
export function normaliseEvseDataRecord(input: unknown, opts: NormaliseOptions = {}): NormaliseResult {
  const ctx = new Ctx();
  if (!isObject(input)) {
    ctx.fail('EvseDataRecord', `must be an object with OICP field names, got ${show(input)}`);
    return { issues: ctx.issues, warnings: ctx.warnings };
  }
  const d = opts.defaults;
  const get = (k: string): unknown => {
    const v = input[k];
    return absent(v) && d && (d as Record<string, unknown>)[k] !== undefined ? (d as Record<string, unknown>)[k] : v;
  };
  unknownKeys(ctx, input, KNOWN_INPUT_FIELDS, '');

  // EvseID: upper case, pattern, namespace.
  let EvseID: string | undefined;
  const rawId = input.EvseID;
  if (absent(rawId) || rawId === '') ctx.fail('EvseID', 'is missing');
  else if (typeof rawId !== 'string') ctx.fail('EvseID', `must be text, got ${show(rawId)}`);
  else {
    const id = rawId.trim().toUpperCase();
    if (id.length > EVSE_ID_MAX_LENGTH || !EVSE_ID_PATTERN.test(id))
      ctx.fail('EvseID', `${show(rawId)} does not match the OICP EvseID pattern (e.g. DE*ABC*E123456)`);
    else if (opts.belongs && !opts.belongs(id)) {
      ctx.fail('EvseID', `${show(id)} does not belong to ${opts.operatorLabel || 'the operator'}; Hubject would refuse the whole request with 018`);
    } else EvseID = id;
  }
  const idForMessages = typeof rawId === 'string' ? rawId.trim().toUpperCase() : undefined;

  let ChargingPoolID: string | undefined;
  if (!absent(input.ChargingPoolID) && input.ChargingPoolID !== '') {
    const p = typeof input.ChargingPoolID === 'string' ? input.ChargingPoolID.trim() : '';
    if (!CHARGING_POOL_ID_PATTERN.test(p)) ctx.fail('ChargingPoolID', `${show(input.ChargingPoolID)} does not match the pool id pattern (e.g. DE*ABC*P1234)`);
    else ChargingPoolID = p;
  }

  // The station id: either spelling in, ChargingStationID (Hubject's examples) out.
  const sidA = input.ChargingStationID;
  const sidB = input.ChargingStationId;
  let ChargingStationID: string | undefined;
  if (!absent(sidA) && !absent(sidB) && String(sidA).trim() !== String(sidB).trim()) {
    ctx.fail('ChargingStationID', `ChargingStationID ${show(sidA)} and ChargingStationId ${show(sidB)} differ; give the station id once`);
  } else ChargingStationID = text(ctx, absent(sidA) ? sidB : sidA, 'ChargingStationID', { max: LENGTH_LIMITS.ChargingStationID, numbers: true });

  const ChargingStationNames = infoTexts(ctx, input.ChargingStationNames, 'ChargingStationNames', true);
  const HardwareManufacturer = text(ctx, input.HardwareManufacturer, 'HardwareManufacturer', { max: LENGTH_LIMITS.HardwareManufacturer });
  const ChargingStationImage = text(ctx, input.ChargingStationImage, 'ChargingStationImage', { max: LENGTH_LIMITS.ChargingStationImage });
  const SubOperatorName = text(ctx, input.SubOperatorName, 'SubOperatorName', { max: LENGTH_LIMITS.SubOperatorName });
  const addr = address(ctx, input.Address);
  const GeoCoordinates = geo(ctx, input.GeoCoordinates, 'GeoCoordinates', true);
  if (GeoCoordinates && 'Google' in GeoCoordinates && /^-?0\.0+\s*,?\s*-?0\.0+$/.test(GeoCoordinates.Google.Coordinates)) {
    ctx.warnings.push('GeoCoordinates are 0, 0 (in the Atlantic): probably missing coordinates');
  }
  const Plugs = plugs(ctx, input.Plugs);
  const DynamicPowerLevel = bool(ctx, input.DynamicPowerLevel, 'DynamicPowerLevel', false);
  const ChargingFacilities = facilities(ctx, input.ChargingFacilities);
  const RenewableEnergy = bool(ctx, get('RenewableEnergy'), 'RenewableEnergy', true);
  const EnergySource = energySources(ctx, input.EnergySource);
  const EnvImpact = environmentalImpact(ctx, input.EnvironmentalImpact);
  const Calibration = oneOf(ctx, get('CalibrationLawDataAvailability'), 'CalibrationLawDataAvailability', CALIBRATION_LAW_DATA_AVAILABILITY, true);
  const AuthenticationModes = enumList(ctx, get('AuthenticationModes'), 'AuthenticationModes', AUTHENTICATION_MODES, true);
  let MaxCapacity: number | undefined;
  if (!absent(input.MaxCapacity) && input.MaxCapacity !== '') {
    const n = readNumber(input.MaxCapacity);
    if (!Number.isInteger(n) || n < 0) ctx.fail('MaxCapacity', `${show(input.MaxCapacity)} is not a whole number of kWh`);
    else MaxCapacity = n;
  }
  const PaymentOptions = enumList(ctx, get('PaymentOptions'), 'PaymentOptions', PAYMENT_OPTIONS, true);
  if (PaymentOptions && PaymentOptions.length > 1 && PaymentOptions.includes('No Payment')) {
    ctx.fail('PaymentOptions', `"No Payment" cannot be combined with another payment option (got ${PaymentOptions.join(', ')})`);
  }
  const ValueAddedServices = enumList(ctx, get('ValueAddedServices'), 'ValueAddedServices', VALUE_ADDED_SERVICES, true);
  if (ValueAddedServices && ValueAddedServices.length > 1 && ValueAddedServices.includes('None')) {
    ctx.warnings.push(`ValueAddedServices lists "None" together with ${ValueAddedServices.filter((s) => s !== 'None').join(', ')}`);
  }
  const Access = oneOf(ctx, get('Accessibility'), 'Accessibility', ACCESSIBILITY, true);
  const AccessLocation = oneOf(ctx, get('AccessibilityLocation'), 'AccessibilityLocation', ACCESSIBILITY_LOCATIONS, false);
  let HotlinePhoneNumber: string | undefined;
  const phone = get('HotlinePhoneNumber');
  if (absent(phone) || phone === '') ctx.fail('HotlinePhoneNumber', 'is missing (an international number such as +4930123456; there is no built-in hotline)');
  else if (typeof phone !== 'string') ctx.fail('HotlinePhoneNumber', `must be text such as "+4930123456", got ${show(phone)}`);
  else {
    const p = normalisePhoneNumber(phone);
    if (!HOTLINE_PHONE_PATTERN.test(p)) {
      ctx.fail('HotlinePhoneNumber', `${show(phone)} is not an international number: "+" or "00", country code, then 5-15 digits in all (e.g. +4930123456)`);
    } else HotlinePhoneNumber = p;
  }
  const AdditionalInfo = infoTexts(ctx, input.AdditionalInfo, 'AdditionalInfo', false);
  const LocationReference = infoTexts(ctx, input.ChargingStationLocationReference, 'ChargingStationLocationReference', false);
  const Entrance = geo(ctx, input.GeoChargingPointEntrance, 'GeoChargingPointEntrance', false);
  const IsOpen24Hours = bool(ctx, get('IsOpen24Hours'), 'IsOpen24Hours', true);
  const Opening = openingTimes(ctx, input.OpeningTimes);
  if (IsOpen24Hours === false && !absent(input.OpeningTimes) && Opening && Opening.length === 0) {
    ctx.fail('OpeningTimes', 'is empty, but IsOpen24Hours is false: list when the EVSE is open');
  } else if (IsOpen24Hours === false && absent(input.OpeningTimes)) {
    ctx.fail('OpeningTimes', 'is missing, but IsOpen24Hours is false: list when the EVSE is open, or set IsOpen24Hours to true');
  }
  let HubOperatorID: string | undefined;
  if (!absent(input.HubOperatorID) && input.HubOperatorID !== '') {
    const h = typeof input.HubOperatorID === 'string' ? input.HubOperatorID.trim().toUpperCase() : '';
    if (!OPERATOR_ID_PATTERN.test(h)) ctx.fail('HubOperatorID', `${show(input.HubOperatorID)} does not match the OperatorID pattern (e.g. DE*ABC)`);
    else HubOperatorID = h;
  }
  const ClearinghouseID = text(ctx, input.ClearinghouseID, 'ClearinghouseID', { max: LENGTH_LIMITS.ClearinghouseID });
  const IsHubjectCompatible = bool(ctx, get('IsHubjectCompatible'), 'IsHubjectCompatible', true);
  let DynamicInfoAvailable: DynamicInfoAvailable | undefined;
  const dyn = get('DynamicInfoAvailable');
  if (typeof dyn === 'boolean') DynamicInfoAvailable = dyn ? 'true' : 'false';
  else DynamicInfoAvailable = oneOf(ctx, typeof dyn === 'string' ? dyn.trim().toLowerCase() : dyn, 'DynamicInfoAvailable', DYNAMIC_INFO_AVAILABLE, true);

  if (ctx.issues.length > 0) return { EvseID: idForMessages, issues: ctx.issues, warnings: ctx.warnings };

  const r = { EvseID } as EvseDataRecord;
  if (ChargingPoolID !== undefined) r.ChargingPoolID = ChargingPoolID;
  if (ChargingStationID !== undefined) r.ChargingStationID = ChargingStationID;
  r.ChargingStationNames = ChargingStationNames!;
  if (HardwareManufacturer !== undefined) r.HardwareManufacturer = HardwareManufacturer;
  if (ChargingStationImage !== undefined) r.ChargingStationImage = ChargingStationImage;
  if (SubOperatorName !== undefined) r.SubOperatorName = SubOperatorName;
  r.Address = addr!;
  r.GeoCoordinates = GeoCoordinates!;
  r.Plugs = Plugs!;
  if (DynamicPowerLevel !== undefined) r.DynamicPowerLevel = DynamicPowerLevel;
  r.ChargingFacilities = ChargingFacilities!;
  r.RenewableEnergy = RenewableEnergy!;
  if (EnergySource !== undefined) r.EnergySource = EnergySource;
  if (EnvImpact !== undefined) r.EnvironmentalImpact = EnvImpact;
  r.CalibrationLawDataAvailability = Calibration!;
  r.AuthenticationModes = AuthenticationModes!;
  if (MaxCapacity !== undefined) r.MaxCapacity = MaxCapacity;
  r.PaymentOptions = PaymentOptions!;
  r.ValueAddedServices = ValueAddedServices!;
  r.Accessibility = Access!;
  if (AccessLocation !== undefined) r.AccessibilityLocation = AccessLocation;
  r.HotlinePhoneNumber = HotlinePhoneNumber!;
  if (AdditionalInfo !== undefined) r.AdditionalInfo = AdditionalInfo;
  if (LocationReference !== undefined) r.ChargingStationLocationReference = LocationReference;
  if (Entrance !== undefined) r.GeoChargingPointEntrance = Entrance;
  r.IsOpen24Hours = IsOpen24Hours!;
  if (Opening !== undefined) r.OpeningTimes = Opening;
  if (HubOperatorID !== undefined) r.HubOperatorID = HubOperatorID;
  if (ClearinghouseID !== undefined) r.ClearinghouseID = ClearinghouseID;
  r.IsHubjectCompatible = IsHubjectCompatible!;
  r.DynamicInfoAvailable = DynamicInfoAvailable!;
  return { record: r, EvseID, issues: [], warnings: ctx.warnings };
}

/** Checks a `defaults` object (node configuration): unknown fields and values that would fail in every record. */
export function validateDefaults(defaults: unknown): FieldIssue[] {
  if (absent(defaults)) return [];
  if (!isObject(defaults)) return [{ field: 'defaults', reason: `must be an object, got ${show(defaults)}` }];
  const ctx = new Ctx();
  unknownKeys(ctx, defaults, DEFAULTABLE_FIELDS, 'defaults');
  const v = defaults;
  if (!absent(v.HotlinePhoneNumber)) {
    if (typeof v.HotlinePhoneNumber !== 'string' || !HOTLINE_PHONE_PATTERN.test(normalisePhoneNumber(v.HotlinePhoneNumber))) {
      ctx.fail('defaults.HotlinePhoneNumber', `${show(v.HotlinePhoneNumber)} is not an international number (e.g. +4930123456)`);
    }
  }
  enumList(ctx, v.AuthenticationModes, 'defaults.AuthenticationModes', AUTHENTICATION_MODES, false);
  const pay = enumList(ctx, v.PaymentOptions, 'defaults.PaymentOptions', PAYMENT_OPTIONS, false);
  if (pay && pay.length > 1 && pay.includes('No Payment')) ctx.fail('defaults.PaymentOptions', '"No Payment" cannot be combined with another payment option');
  enumList(ctx, v.ValueAddedServices, 'defaults.ValueAddedServices', VALUE_ADDED_SERVICES, false);
  oneOf(ctx, v.Accessibility, 'defaults.Accessibility', ACCESSIBILITY, false);
  oneOf(ctx, v.AccessibilityLocation, 'defaults.AccessibilityLocation', ACCESSIBILITY_LOCATIONS, false);
  oneOf(ctx, v.CalibrationLawDataAvailability, 'defaults.CalibrationLawDataAvailability', CALIBRATION_LAW_DATA_AVAILABILITY, false);
  bool(ctx, v.RenewableEnergy, 'defaults.RenewableEnergy', false);
  bool(ctx, v.IsOpen24Hours, 'defaults.IsOpen24Hours', false);
  bool(ctx, v.IsHubjectCompatible, 'defaults.IsHubjectCompatible', false);
  if (typeof v.DynamicInfoAvailable !== 'boolean') oneOf(ctx, v.DynamicInfoAvailable, 'defaults.DynamicInfoAvailable', DYNAMIC_INFO_AVAILABLE, false);
  return ctx.issues;
}

/** Deep equality of JSON values; object key order does not matter, array order does. */
export function recordsEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!recordsEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let na = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    na++;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !recordsEqual(ao[k], bo[k])) return false;
  }
  let nb = 0;
  for (const k in bo) if (bo[k] !== undefined) nb++;
  return na === nb;
}
