import { Agent, buildConnector, request } from 'undici';
import type { ConnectionOptions } from 'node:tls';
import type { Readable } from 'node:stream';
import { FaultBodySchema, StatusOnlySchema, type Acknowledgement, type StatusCode } from './schemas';
import { pushRequestBody } from './body';
import { bodyTooLargeReason, classifyAnswer, classifyError, classifyHttpStatus, parseRetryAfter, type FaultClass } from './codes';
import { OPERATIONS, classifyAcknowledgement, describeCode, operationUrl, type AuthorizationStatus, type Operation } from './operations';

export { excerpt, type Operation } from './operations';

export const ENVIRONMENTS = {
  qa: 'https://service-qa.hubject.com/api/oicp',
  production: 'https://service.hubject.com/api/oicp',
} as const;
export type Environment = keyof typeof ENVIRONMENTS | 'custom';

export interface TlsOptions {
  cert?: string | Buffer;
  key?: string | Buffer;
  ca?: string | Buffer | Array<string | Buffer>;
  passphrase?: string;
  /** PKCS#12 bundle (Node-RED 5's tls-config can hold one instead of cert and key). */
  pfx?: string | Buffer;
  /** undefined means verify: TLS verification is only off when explicitly false. */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface ClientOptions {
  baseUrl: string;
  operatorId: string;
  tls?: TlsOptions;
  /** Request timeout (headers and body) for a small body, ms; larger bodies get more (see effectiveTimeoutMs). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface CallResult {
  class: FaultClass;
  /** Human readable reason, safe to show in a status or error (never contains key material). */
  reason: string;
  httpStatus?: number;
  /** The answer when it is an Acknowledgement. */
  ack?: Acknowledgement;
  /** The answer as the operation's response schema read it (an Acknowledgement, an AuthorizationStart, ...). */
  answer?: unknown;
  /** AuthorizeStart/Stop: the decision. NotAuthorized with a business code (102, 106, 200, 210, 300, 310, 320) comes with class 'success': no fault. */
  authorization?: AuthorizationStatus;
  statusCode?: StatusCode;
  validationErrors?: Array<{ fieldReference?: string | null; errorMessage?: string | null }>;
  processId?: string;
  retryAfterMs?: number;
  durationMs: number;
  errorCode?: string;
  /** The timeout this request had (effectiveTimeoutMs): after a timeout, Hubject may still work on it for as long. */
  timeoutMs?: number;
  /** Set on a 2xx answer that could not be read with the operation's response schema: the start of its body. */
  unreadable?: string;
}
/** The result of a push (status or data). */
export type PushResult = CallResult;

/** Extra time per byte of request body: 1 s per 100 kB, so a 100,000-record fullLoad (about 6 MB) gets 60 s more. */
export const TIMEOUT_MS_PER_100KB = 1000;

/** Effective request timeout: the configured timeout plus 1 s per 100 kB of request body. */
export function effectiveTimeoutMs(timeoutMs: number, bodyBytes: number): number {
  return timeoutMs + Math.ceil((Math.max(0, bodyBytes) * TIMEOUT_MS_PER_100KB) / 100_000);
}

/** Error codes of a refusal that the server sent as a TLS alert (under TLS 1.3 after the handshake). */
function isTlsAlert(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'));
}

/**
 * A request body the caller encoded itself: the lane policy's body builder (the EVSE data body is streamed in pieces
 * by its own domain). contentLength sizes the timeout and is sent, so the body is not chunk-encoded.
 */
export type EncodedBody =
  | { body: string | Iterable<string> | Iterable<Buffer>; contentLength?: number }
  /** A body in pieces made while undici writes them, with its byte length (the EVSE data serialiser's form). */
  | { chunks: Iterable<string> | Iterable<Buffer>; contentLength: number };

/** What call() sends: a JSON value, or a function that encodes the body when the request starts. */
export type CallBody = object | (() => EncodedBody | Promise<EncodedBody>);

/** The eRoamingPushEvseStatus URL of an operator. */
export function pushStatusUrl(baseUrl: string, operatorId: string): string {
  return operationUrl(baseUrl, 'status', operatorId);
}

/** The eRoamingPushEvseData URL of an operator. */
export function pushDataUrl(baseUrl: string, operatorId: string): string {
  return operationUrl(baseUrl, 'data', operatorId);
}

/** A JSON value as a request body; a status push of many records in pieces (see pushRequestBody). */
function encodeJson(operation: Operation, body: object): EncodedBody {
  if (operation === 'status' && isStatusBody(body)) return pushRequestBody(body);
  return { body: JSON.stringify(body) };
}

function isStatusBody(b: object): b is Parameters<typeof pushRequestBody>[0] {
  const s = (b as { OperatorEvseStatus?: { EvseStatusRecord?: unknown } }).OperatorEvseStatus;
  return !!s && Array.isArray(s.EvseStatusRecord);
}

/** Operations whose calls do not queue behind each other, and how many connections they may open at most. */
const PARALLEL_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>(['authorizeStart', 'authorizeStop']);
export const AUTHORIZE_CONNECTIONS = 64;

/** Mutual-TLS connections to one Hubject environment: one connection per operation, so no lane waits behind another. */
export class HubjectClient {
  /** The eRoamingPushEvseStatus URL of the configured operator. */
  readonly url: string;
  private readonly agents = new Map<Operation, Agent>();
  private readonly makeAgent: (connections?: number) => Agent;
  private readonly timeoutMs: number;
  /** First TLS alert of the latest socket: undici reports a TLS 1.3 refusal only as "other side closed". */
  private tlsAlert: { error: Error & { code: string }; at: number } | null = null;

  constructor(readonly options: ClientOptions) {
    this.url = pushStatusUrl(options.baseUrl, options.operatorId);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const t = options.tls ?? {};
    const connect: ConnectionOptions = {
      cert: t.cert,
      key: t.key,
      ca: t.ca,
      passphrase: t.passphrase,
      pfx: t.pfx,
      rejectUnauthorized: t.rejectUnauthorized !== false,
      timeout: options.connectTimeoutMs ?? Math.min(this.timeoutMs, 10_000),
    };
    if (t.servername) connect.servername = t.servername;
    const base = buildConnector(connect as buildConnector.BuildOptions);
    const connector: buildConnector.connector = (opts, callback) =>
      base(opts, (err, socket) => {
        if (socket) {
          socket.on('error', (e: unknown) => {
            if (isTlsAlert(e)) this.tlsAlert ??= { error: e, at: performance.now() };
          });
        }
        // undici's typings want (err, null) | (null, socket); pass through what the connector gave.
        (callback as (e: Error | null, s: unknown) => void)(err, socket);
      });
    this.makeAgent = (connections = 1) =>
      new Agent({
        connect: connector,
        keepAliveTimeout: 30_000,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        connections,
        pipelining: 1,
      });
    // Built at once for status, as before; the others when first used (most flows push status only).
    this.agentFor('status');
  }

  /** The operation's own connection, built the same way for every operation. */
  private agentFor(operation: Operation): Agent {
    let a = this.agents.get(operation);
    if (!a) {
      // Authorizations run side by side: each charger waits on its own, and one connection would queue a burst of
      // them behind each other until their short timeout (B6). The lanes keep one request in flight.
      a = this.makeAgent(PARALLEL_OPERATIONS.has(operation) ? AUTHORIZE_CONNECTIONS : 1);
      this.agents.set(operation, a);
    }
    return a;
  }

  /**
   * One OICP request: POST the body to the operation's path for operatorId, on the operation's connection, and
   * classify the answer with the operation's rule. Never throws: network and TLS errors are classified too.
   */
  call(operation: Operation, operatorId: string, body: CallBody, signal?: AbortSignal): Promise<CallResult> {
    const spec = OPERATIONS[operation];
    if (!spec) return Promise.resolve({ class: 'config', reason: `unknown OICP operation ${String(operation)}`, durationMs: 0 });
    const url = operationUrl(this.options.baseUrl, operation, operatorId);
    const encode = typeof body === 'function' ? (body as () => EncodedBody | Promise<EncodedBody>) : () => encodeJson(operation, body);
    return this.post(url, this.agentFor(operation), encode, spec.classify, signal);
  }

  /** One POST: timeout growth with the body size and TLS alert handling for every operation. */
  private async post(
    url: string,
    agent: Agent,
    makeBody: () => EncodedBody | Promise<EncodedBody>,
    classify: (json: unknown, text: string) => ReturnType<typeof classifyAcknowledgement>,
    signal?: AbortSignal,
  ): Promise<CallResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let res;
    let timeoutMs = this.timeoutMs;
    let bytes: number | undefined;
    this.tlsAlert = null;
    try {
      const payload = await makeBody();
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (payload.contentLength !== undefined) headers['content-length'] = String(payload.contentLength);
      const raw = 'chunks' in payload ? payload.chunks : payload.body;
      bytes = payload.contentLength ?? (typeof raw === 'string' ? Buffer.byteLength(raw) : 0);
      timeoutMs = effectiveTimeoutMs(this.timeoutMs, bytes);
      // undici documents Iterable bodies (docs/api/Dispatcher.md) but its request() typings leave them out.
      const requestBody = raw as string | Readable;
      res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers,
        body: requestBody,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      const c = classifyError(this.takeTlsAlert() ?? err);
      return { class: c.class, reason: c.reason, errorCode: c.code, durationMs: elapsed(), timeoutMs };
    }
    const processId = headerValue(res.headers['process-id']);
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      const c = classifyError(err);
      return { class: c.class, reason: c.reason, errorCode: c.code, httpStatus: res.statusCode, processId, durationMs: elapsed(), timeoutMs };
    }
    const result = interpretAnswer(classify, res.statusCode, text, res.headers['retry-after'], processId, elapsed());
    result.timeoutMs = timeoutMs;
    if (res.statusCode === 413) Object.assign(result, { class: 'config', reason: bodyTooLargeReason(bytes) });
    return result;
  }

  /** The TLS alert the socket received during this request, if any (set from the connector's error listener). */
  private takeTlsAlert(): Error | undefined {
    const a = this.tlsAlert;
    this.tlsAlert = null;
    return a?.error;
  }

  close(): Promise<void> {
    const close = (a: Agent) =>
      a
        .close()
        .catch(() => a.destroy())
        .catch(() => undefined);
    return Promise.all([...this.agents.values()].map(close)).then(() => undefined);
  }

  destroy(): Promise<void> {
    return Promise.all([...this.agents.values()].map((a) => a.destroy().catch(() => undefined))).then(() => undefined);
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An Acknowledgement answer (every push) as a classified result. Exported for tests. */
export function interpretResponse(
  httpStatus: number,
  text: string,
  retryAfter: string | string[] | undefined,
  processId: string | undefined,
  durationMs: number,
): CallResult {
  return interpretAnswer(classifyAcknowledgement, httpStatus, text, retryAfter, processId, durationMs);
}

/** An HTTP status and body as a classified result: 2xx by the operation's classify, the rest alike for all operations. */
export function interpretAnswer(
  classify: (json: unknown, text: string) => ReturnType<typeof classifyAcknowledgement>,
  httpStatus: number,
  text: string,
  retryAfter: string | string[] | undefined,
  processId: string | undefined,
  durationMs: number,
): CallResult {
  const json = safeJson(text);
  const base = { httpStatus, processId, durationMs };
  if (httpStatus >= 200 && httpStatus < 300) {
    const c = classify(json, text);
    const out: CallResult = { ...base, class: c.class, reason: c.unreadable ? `HTTP ${httpStatus} with an ${c.reason}` : c.reason };
    if (c.statusCode) out.statusCode = c.statusCode;
    if (c.answer !== undefined) out.answer = c.answer;
    if (c.authorization) out.authorization = c.authorization;
    if (c.unreadable !== undefined) out.unreadable = c.unreadable;
    if (classify === classifyAcknowledgement && c.answer !== undefined) out.ack = c.answer as Acknowledgement;
    return out;
  }
  const http = classifyHttpStatus(httpStatus);
  const result: CallResult = { ...base, class: http.class, reason: http.reason };
  if (httpStatus === 429 || httpStatus === 503) result.retryAfterMs = parseRetryAfter(retryAfter);
  const status = StatusOnlySchema.safeParse(json);
  if (status.success) {
    const sc = status.data.StatusCode;
    result.statusCode = sc;
    result.class = classifyAnswer(httpStatus, sc.Code);
    result.reason = `HTTP ${httpStatus} ${describeCode(sc)}`;
  } else if (httpStatus === 400) {
    const fault = FaultBodySchema.safeParse(json);
    if (fault.success) {
      result.validationErrors = fault.data.validationErrors ?? undefined;
      const first = result.validationErrors?.[0];
      result.reason =
        `HTTP 400 ${fault.data.message ?? 'validation failed'}` + (first ? `: ${first.fieldReference ?? ''} ${first.errorMessage ?? ''}`.trimEnd() : '');
    }
  }
  return result;
}
