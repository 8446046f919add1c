// The OICP 2.3 operations a CPO sends, as one table: the client, the push lanes, the ops view and the simulator all
// name an operation by its key here. Paths are those of cpo-2.3-openapi.yaml, relative to the /api/oicp base.
import { z } from 'zod';
import { AcknowledgementSchema, PushEvseStatusRequestSchema, StatusCodeSchema, StatusOnlySchema, type StatusCode } from './schemas';
import { STATUS_CODES, codeInfo, type FaultClass } from './codes';

/** The decision in an AuthorizeStart/Stop answer. NotAuthorized is a business outcome: never retried, never a configuration fault. */
export type AuthorizationStatus = (typeof AUTHORIZATION_STATUSES)[number];

/** What classify makes of a 2xx answer. */
export interface Classified {
  class: FaultClass;
  reason: string;
  statusCode?: StatusCode;
  /** The answer as its response schema read it. */
  answer?: unknown;
  authorization?: AuthorizationStatus;
  /** Set when the body could not be read with the response schema: its start. */
  unreadable?: string;
}

export interface OperationSpec {
  /** OICP operation name, as in the OpenAPI's operationId without its version. */
  oicpName: string;
  /** Service version of the path (each OICP service is versioned on its own). */
  version: string;
  /** Path template under the OICP base URL; {operatorID} is filled in, percent-encoded (also '*'). */
  path: string;
  /** The request body's schema where it is a wire type; the EVSE data body is checked by its own domain. */
  requestSchema?: z.ZodType;
  responseSchema: z.ZodType;
  /** A 2xx answer's body (JSON.parse'd, undefined when it was not JSON) and its text. */
  classify(json: unknown, text: string): Classified;
}

/** The start of a body for a status or log line, on one line. */
export function excerpt(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one || '(empty body)';
}

export function describeCode(sc: StatusCode): string {
  const info = codeInfo(sc.Code);
  const parts = [`${sc.Code} ${sc.Description || info.description}`];
  if (sc.AdditionalInfo) parts.push(sc.AdditionalInfo);
  if (info.hint) parts.push(info.hint);
  return parts.join(': ');
}

/** The class of a refusing code: a code missing from the table is retried, never dropped as a data fault. */
function refusalClass(code: string): FaultClass {
  if (!(code in STATUS_CODES)) return 'transient';
  const c = codeInfo(code).class;
  return c === 'success' ? 'data' : c;
}

/** eRoamingAcknowledgement: today's classification of every push answer. */
export function classifyAcknowledgement(json: unknown, text: string): Classified {
  const status = StatusOnlySchema.safeParse(json);
  if (!status.success) return { class: 'transient', reason: `unreadable acknowledgement: ${excerpt(text)}`, unreadable: excerpt(text) };
  const sc = status.data.StatusCode;
  const parsed = AcknowledgementSchema.safeParse(json);
  const ack = parsed.success ? parsed.data : undefined;
  // 000 is success even when Result is missing or null; Result:false with 000 is contradictory and reported.
  if (sc.Code === '000' && ack?.Result !== false)
    return { class: 'success', reason: '000 success', answer: ack ?? { Result: true, StatusCode: sc }, statusCode: sc };
  return { class: refusalClass(sc.Code), reason: describeCode(sc), answer: ack, statusCode: sc };
}

export const AUTHORIZATION_STATUSES = ['Authorized', 'NotAuthorized'] as const;

/** eRoamingAuthorizationStart / eRoamingAuthorizationStop (the answers to AuthorizeStart and AuthorizeStop). */
export const AuthorizationAnswerSchema = z.looseObject({
  AuthorizationStatus: z.enum(AUTHORIZATION_STATUSES),
  StatusCode: StatusCodeSchema,
  SessionID: z.string().nullish(),
  CPOPartnerSessionID: z.string().nullish(),
  EMPPartnerSessionID: z.string().nullish(),
  ProviderID: z.string().nullish(),
  AuthorizationStopIdentifications: z.array(z.unknown()).nullish(),
});
export type AuthorizationAnswer = z.infer<typeof AuthorizationAnswerSchema>;

/**
 * Codes with which Hubject says "not this driver, not here" (spec 03, StatusCodeType): a normal answer for the charger,
 * not a fault of the CPO's set-up, and retrying would not change it.
 */
export const NOT_AUTHORIZED_OUTCOMES: ReadonlySet<string> = new Set(['102', '106', '200', '210', '300', '310', '320']);

export function classifyAuthorization(json: unknown, text: string): Classified {
  const parsed = AuthorizationAnswerSchema.safeParse(json);
  if (!parsed.success) {
    // An Acknowledgement-shaped refusal (e.g. 017) still carries a code worth classifying.
    const status = StatusOnlySchema.safeParse(json);
    if (status.success && status.data.StatusCode.Code !== '000') {
      const sc = status.data.StatusCode;
      return { class: refusalClass(sc.Code), reason: describeCode(sc), statusCode: sc };
    }
    return { class: 'transient', reason: `unreadable authorization answer: ${excerpt(text)}`, unreadable: excerpt(text) };
  }
  const a = parsed.data;
  const sc = a.StatusCode;
  if (a.AuthorizationStatus === 'Authorized')
    return { class: 'success', reason: `Authorized: ${sc.Code}`, answer: a, statusCode: sc, authorization: 'Authorized' };
  if (sc.Code === '000' || NOT_AUTHORIZED_OUTCOMES.has(sc.Code)) {
    const why = sc.Code === '000' ? 'NotAuthorized' : `NotAuthorized: ${sc.Code} ${sc.Description || codeInfo(sc.Code).description}`;
    return { class: 'success', reason: why, answer: a, statusCode: sc, authorization: 'NotAuthorized' };
  }
  // Any other code (017, 001, an unknown one) is a fault like in a push answer.
  return { class: refusalClass(sc.Code), reason: describeCode(sc), answer: a, statusCode: sc, authorization: 'NotAuthorized' };
}

export const OPERATIONS = {
  status: {
    oicpName: 'eRoamingPushEvseStatus',
    version: 'v21',
    path: '/evsepush/v21/operators/{operatorID}/status-records',
    requestSchema: PushEvseStatusRequestSchema,
    responseSchema: AcknowledgementSchema,
    classify: classifyAcknowledgement,
  },
  data: {
    oicpName: 'eRoamingPushEvseData',
    version: 'v23',
    path: '/evsepush/v23/operators/{operatorID}/data-records',
    responseSchema: AcknowledgementSchema,
    classify: classifyAcknowledgement,
  },
  authorizeStart: {
    oicpName: 'eRoamingAuthorizeStart',
    version: 'v21',
    path: '/charging/v21/operators/{operatorID}/authorize/start',
    responseSchema: AuthorizationAnswerSchema,
    classify: classifyAuthorization,
  },
  authorizeStop: {
    oicpName: 'eRoamingAuthorizeStop',
    version: 'v21',
    path: '/charging/v21/operators/{operatorID}/authorize/stop',
    responseSchema: AuthorizationAnswerSchema,
    classify: classifyAuthorization,
  },
  chargeDetailRecord: {
    oicpName: 'eRoamingChargeDetailRecord',
    version: 'v22',
    path: '/cdrmgmt/v22/operators/{operatorID}/charge-detail-record',
    responseSchema: AcknowledgementSchema,
    classify: classifyAcknowledgement,
  },
} as const satisfies Record<string, OperationSpec>;

/** An OICP operation this package sends: the one name the queue, the ops view and the simulator use. */
export type Operation = keyof typeof OPERATIONS;

/** The push operations (one sequential lane per operator each). */
export type PushOperation = Extract<Operation, 'status' | 'data'>;

export function isOperation(v: unknown): v is Operation {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(OPERATIONS, v);
}

export function encodeOperatorId(operatorId: string): string {
  return encodeURIComponent(operatorId).replace(/\*/g, '%2A');
}

/** The operation's URL for one operator under an OICP base URL (…/api/oicp). */
export function operationUrl(baseUrl: string, operation: Operation, operatorId: string): string {
  return baseUrl.replace(/\/+$/, '') + OPERATIONS[operation].path.replace('{operatorID}', encodeOperatorId(operatorId));
}

/**
 * Matches the operation's path under a base path (e.g. /api/oicp): the {operatorID} as sent (still percent-encoded), or null. A trailing
 * slash is accepted, as Hubject's gateway does.
 */
export function matchOperationPath(operation: Operation, pathname: string, basePath = '/api/oicp'): string | null {
  const [before, after] = OPERATIONS[operation].path.split('{operatorID}');
  const prefix = basePath.replace(/\/+$/, '') + before;
  if (!pathname.startsWith(prefix)) return null;
  const rest = pathname.slice(prefix.length);
  const end = rest.endsWith('/') && !after.endsWith('/') ? rest.slice(0, -1) : rest;
  if (!end.endsWith(after)) return null;
  const raw = end.slice(0, end.length - after.length);
  if (!raw || raw.includes('/')) return null;
  return raw;
}
