// The simulator's own check of eRoamingPushEvseData records, written from cpo-2.3-openapi.yaml (EvseDataRecord) and
// spec 03 (EvseDataRecordType), apart from the client's normaliser: a bug there must show here as a 400, not pass.
// It checks the record as sent and changes nothing. test/simulator-evse-data-check.test.js compares it with the
// OpenAPI file.

/** A rule for one value. Strings: `max`/`min` are lengths (the OpenAPI writes them as maximum/minimum). */
export type Rule =
  | { type: 'string'; enum?: readonly string[]; pattern?: RegExp; max?: number; min?: number }
  | { type: 'integer' | 'number'; max?: number; min?: number }
  | { type: 'boolean' }
  | { type: 'array'; items: Rule; minItems?: number; maxItems?: number }
  | { type: 'object'; props: Record<string, Rule>; required?: readonly string[]; check?: (v: Record<string, unknown>) => Issue[] };

export interface Issue {
  /** Path inside the record, e.g. Address.Country or Plugs[0]. */
  field: string;
  reason: string;
}

const str = (o: Omit<Extract<Rule, { type: 'string' }>, 'type'> = {}): Rule => ({ type: 'string', ...o });
const list = (items: Rule, minItems?: number): Rule => ({ type: 'array', items, ...(minItems !== undefined ? { minItems } : {}) });
const obj = (props: Record<string, Rule>, required: readonly string[] = [], check?: (v: Record<string, unknown>) => Issue[]): Rule => ({
  type: 'object',
  props,
  required,
  ...(check ? { check } : {}),
});

// Patterns as the OpenAPI states them.
const EVSE_ID = /^(([A-Za-z]{2}\*?[A-Za-z0-9]{3}\*?E[A-Za-z0-9*]{1,30})|(\+?[0-9]{1,3}\*[0-9]{3}\*[0-9*]{1,32}))$/;
const POOL_ID = /([A-Za-z]{2}\*?[A-Za-z0-9]{3}\*?P[A-Za-z0-9*]{1,30})/;
const OPERATOR_ID = /^(([A-Za-z]{2}\*?[A-Za-z0-9]{3})|(\+?[0-9]{1,3}\*[0-9]{3}))$/;
const LANG = /^[a-z]{2,3}(?:-[A-Z]{2,3}(?:-[a-zA-Z]{4})?)?(?:-x-[a-zA-Z0-9]{1,8})?$/;
const GOOGLE = /^-?1?\d{1,2}\.\d{1,6}\s*,?\s*-?1?\d{1,2}\.\d{1,6}$/;
const DECIMAL = /^-?1?\d{1,2}\.\d{1,6}$/;
const DMS = /^-?1?\d{1,2}°[ ]?\d{1,2}'[ ]?\d{1,2}\.\d+''$/;
const PHONE = /^\+[0-9]{5,15}$/;
const TIME = /[0-9]{2}:[0-9]{2}/;
const TIME_ZONE = /[U][T][C][+,-][0-9][0-9][:][0-9][0-9]/;

export const PLUGS = [
  'Small Paddle Inductive',
  'Large Paddle Inductive',
  'AVCON Connector',
  'Tesla Connector',
  'NEMA 5-20',
  'Type E French Standard',
  'Type F Schuko',
  'Type G British Standard',
  'Type J Swiss Standard',
  'Type 1 Connector (Cable Attached)',
  'Type 2 Outlet',
  'Type 2 Connector (Cable Attached)',
  'Type 3 Outlet',
  'IEC 60309 Single Phase',
  'IEC 60309 Three Phase',
  'CCS Combo 2 Plug (Cable Attached)',
  'CCS Combo 1 Plug (Cable Attached)',
  'CHAdeMO',
] as const;

const infoText = obj({ lang: str({ pattern: LANG }), value: str({ max: 150 }) }, ['lang', 'value']);

/** Spec 03, GeoCoordinatesType: one of the three formats MUST be given, and only one makes sense. */
function oneFormat(v: Record<string, unknown>): Issue[] {
  const given = ['Google', 'DecimalDegree', 'DegreeMinuteSeconds'].filter((k) => v[k] !== undefined);
  if (given.length === 1) return [];
  return [
    { field: '', reason: given.length ? `gives ${given.join(' and ')}: give exactly one format` : 'needs one of Google, DecimalDegree, DegreeMinuteSeconds' },
  ];
}

const geo = obj(
  {
    Google: obj({ Coordinates: str({ pattern: GOOGLE }) }, ['Coordinates']),
    DecimalDegree: obj({ Longitude: str({ pattern: DECIMAL }), Latitude: str({ pattern: DECIMAL }) }, ['Longitude', 'Latitude']),
    DegreeMinuteSeconds: obj({ Longitude: str({ pattern: DMS }), Latitude: str({ pattern: DMS }) }, ['Longitude', 'Latitude']),
  },
  [],
  oneFormat,
);

/** Spec 03: OpeningTimes is mandatory when the station is not open around the clock. */
function openingTimes(v: Record<string, unknown>): Issue[] {
  if (v.IsOpen24Hours === false && (!Array.isArray(v.OpeningTimes) || v.OpeningTimes.length === 0)) {
    return [{ field: 'OpeningTimes', reason: 'is required when IsOpen24Hours is false' }];
  }
  return [];
}

/** EvseDataRecord (OpenAPI components.schemas.EvseDataRecord, spec 03 EvseDataRecordType). */
export const EVSE_DATA_RECORD: Extract<Rule, { type: 'object' }> = {
  type: 'object',
  required: [
    'EvseID',
    'ChargingStationNames',
    'Address',
    'GeoCoordinates',
    'Plugs',
    'ChargingFacilities',
    'RenewableEnergy',
    'CalibrationLawDataAvailability',
    'AuthenticationModes',
    'PaymentOptions',
    'ValueAddedServices',
    'Accessibility',
    'HotlinePhoneNumber',
    'IsOpen24Hours',
    'IsHubjectCompatible',
    'DynamicInfoAvailable',
  ],
  check: openingTimes,
  props: {
    deltaType: str({ enum: ['update', 'insert', 'delete'] }),
    lastUpdate: str(),
    EvseID: str({ pattern: EVSE_ID }),
    ChargingPoolID: str({ pattern: POOL_ID }),
    // The OpenAPI spells it ChargingStationId, Hubject's examples ChargingStationID.
    ChargingStationId: str({ max: 50 }),
    ChargingStationID: str({ max: 50 }),
    ChargingStationNames: list(infoText, 1),
    HardwareManufacturer: str({ max: 50 }),
    ChargingStationImage: str({ max: 200 }),
    SubOperatorName: str({ max: 100 }),
    Address: obj(
      {
        // ISO 3166-1 alpha-3 (spec 03, ISOCountryCodeType); the OpenAPI only says 3 characters.
        Country: str({ min: 3, max: 3, pattern: /^[A-Z]{3}$/ }),
        City: str({ min: 1, max: 50 }),
        Street: str({ min: 2, max: 100 }),
        PostalCode: str({ max: 10 }),
        HouseNum: str({ max: 10 }),
        Floor: str({ max: 5 }),
        Region: str({ max: 50 }),
        ParkingFacility: { type: 'boolean' },
        ParkingSpot: str({ max: 5 }),
        TimeZone: str({ pattern: TIME_ZONE }),
      },
      ['Country', 'City', 'Street', 'PostalCode', 'HouseNum'],
    ),
    GeoCoordinates: geo,
    Plugs: list(str({ enum: PLUGS }), 1),
    DynamicPowerLevel: { type: 'boolean' },
    ChargingFacilities: list(
      obj(
        {
          PowerType: str({ enum: ['AC_1_PHASE', 'AC_3_PHASE', 'DC'] }),
          Voltage: { type: 'integer', min: 0, max: 999 },
          Amperage: { type: 'integer', min: 0, max: 99 },
          Power: { type: 'integer', min: 0, max: 999 },
          ChargingModes: list(str({ enum: ['Mode_1', 'Mode_2', 'Mode_3', 'Mode_4', 'CHAdeMO'] })),
        },
        ['PowerType', 'Power'],
      ),
      1,
    ),
    RenewableEnergy: { type: 'boolean' },
    EnergySource: list(
      obj({
        Energy: str({ enum: ['Solar', 'Wind', 'HydroPower', 'GeothermalEnergy', 'Biomass', 'Coal', 'NuclearEnergy', 'Petroleum', 'NaturalGas'] }),
        Percentage: { type: 'integer', min: 0, max: 99 },
      }),
    ),
    EnvironmentalImpact: obj({ CO2Emission: { type: 'number', max: 99999 }, NuclearWaste: { type: 'number', max: 99999 } }),
    CalibrationLawDataAvailability: str({ enum: ['Local', 'External', 'Not Available'] }),
    AuthenticationModes: list(str({ enum: ['NFC RFID Classic', 'NFC RFID DESFire', 'PnC', 'REMOTE', 'Direct Payment', 'No Authentication Required'] }), 1),
    MaxCapacity: { type: 'integer' },
    PaymentOptions: list(str({ enum: ['No Payment', 'Direct', 'Contract'] }), 1),
    ValueAddedServices: list(
      str({
        enum: [
          'Reservation',
          'DynamicPricing',
          'ParkingSensors',
          'MaximumPowerCharging',
          'PredictiveChargePointUsage',
          'ChargingPlans',
          'RoofProvided',
          'None',
        ],
      }),
      1,
    ),
    Accessibility: str({ enum: ['Free publicly accessible', 'Restricted access', 'Paying publicly accessible', 'Test Station'] }),
    AccessibilityLocation: str({ enum: ['OnStreet', 'ParkingLot', 'ParkingGarage', 'UndergroundParkingGarage'] }),
    HotlinePhoneNumber: str({ pattern: PHONE }),
    AdditionalInfo: list(infoText),
    ChargingStationLocationReference: list(infoText),
    GeoChargingPointEntrance: geo,
    IsOpen24Hours: { type: 'boolean' },
    OpeningTimes: list(
      obj(
        {
          Period: list(obj({ begin: str({ pattern: TIME }), end: str({ pattern: TIME }) }, ['begin', 'end'])),
          on: str({ enum: ['Everyday', 'Workdays', 'Weekend', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] }),
        },
        ['Period', 'on'],
      ),
    ),
    HubOperatorID: str({ pattern: OPERATOR_ID }),
    ClearinghouseID: str({ max: 20 }),
    IsHubjectCompatible: { type: 'boolean' },
    DynamicInfoAvailable: str({ enum: ['true', 'false', 'auto'] }),
  },
};

/** What the simulator holds of a record: the record as sent, once it passed the check. */
export interface EvseDataRecord {
  EvseID: string;
  ChargingStationNames?: Array<{ lang: string; value: string }>;
  Address?: { Country?: string; City?: string; Street?: string; PostalCode?: string; HouseNum?: string };
  Plugs?: string[];
  ChargingFacilities?: Array<{ Power?: number }>;
  [field: string]: unknown;
}

const join = (base: string, key: string) => (base && key ? `${base}.${key}` : base || key);

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Every issue of a value against a rule; path is where the value sits. */
export function checkValue(rule: Rule, v: unknown, path: string, out: Issue[] = []): Issue[] {
  switch (rule.type) {
    case 'string': {
      if (typeof v !== 'string') return push(out, path, `must be a string, not ${typeOf(v)}`);
      if (rule.enum && !rule.enum.includes(v)) return push(out, path, `must be one of ${rule.enum.join(', ')}`);
      if (rule.min !== undefined && v.length < rule.min) push(out, path, `must have at least ${rule.min} characters`);
      if (rule.max !== undefined && v.length > rule.max) push(out, path, `must have at most ${rule.max} characters`);
      if (rule.pattern && !rule.pattern.test(v)) push(out, path, `must match "${rule.pattern.source}"`);
      return out;
    }
    case 'integer':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return push(out, path, `must be a number, not ${typeOf(v)}`);
      if (rule.type === 'integer' && !Number.isInteger(v)) return push(out, path, 'must be a whole number');
      if (rule.min !== undefined && v < rule.min) push(out, path, `must be at least ${rule.min}`);
      if (rule.max !== undefined && v > rule.max) push(out, path, `must be at most ${rule.max}`);
      return out;
    }
    case 'boolean':
      return typeof v === 'boolean' ? out : push(out, path, `must be true or false, not ${typeOf(v)}`);
    case 'array': {
      if (!Array.isArray(v)) return push(out, path, `must be a list, not ${typeOf(v)}`);
      if (rule.minItems !== undefined && v.length < rule.minItems)
        push(out, path, `must have at least ${rule.minItems} entr${rule.minItems === 1 ? 'y' : 'ies'}`);
      if (rule.maxItems !== undefined && v.length > rule.maxItems) push(out, path, `must have at most ${rule.maxItems} entries`);
      v.forEach((x, i) => checkValue(rule.items, x, `${path}[${i}]`, out));
      return out;
    }
    case 'object': {
      if (typeOf(v) !== 'object') return push(out, path, `must be an object, not ${typeOf(v)}`);
      const o = v as Record<string, unknown>;
      for (const k of rule.required ?? []) if (o[k] === undefined || o[k] === null) push(out, join(path, k), 'is required');
      for (const [k, x] of Object.entries(o)) {
        if (x === undefined || (x === null && !(rule.required ?? []).includes(k))) continue;
        const r = rule.props[k];
        if (!r) push(out, join(path, k), 'is not a field of this type');
        else checkValue(r, x, join(path, k), out);
      }
      for (const i of rule.check?.(o) ?? []) out.push({ field: join(path, i.field), reason: i.reason });
      return out;
    }
  }
}

function push(out: Issue[], field: string, reason: string): Issue[] {
  out.push({ field, reason });
  return out;
}

/** The issues of one EvseDataRecord as sent; none means Hubject would take it. */
export function checkEvseDataRecord(record: unknown): Issue[] {
  return checkValue(EVSE_DATA_RECORD, record, '');
}

/** OperatorEvseData.OperatorName: required, at most 100 characters (OpenAPI), and not blank (spec 03: M). */
export function checkOperatorName(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'is required';
  if (v.trim() === '') return 'must not be empty';
  if (v.length > 100) return 'must have at most 100 characters';
  return undefined;
}
