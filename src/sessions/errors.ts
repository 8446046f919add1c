// One error type for the sessions core: it names the OICP or OCPP field that made the input unusable.

export class SessionInputError extends Error {
  /** The field at fault, e.g. 'Identification', 'MeterValueEnd', 'SignedMeteringValues[2]'. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'SessionInputError';
    this.field = field;
  }
}

export function fail(field: string, message: string): never {
  throw new SessionInputError(field, message);
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
