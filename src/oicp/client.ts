import { Agent, buildConnector, request } from 'undici';
import type { ConnectionOptions } from 'node:tls';
import type { Readable } from 'node:stream';
import { AcknowledgementSchema, FaultBodySchema, StatusOnlySchema, type Acknowledgement, type PushEvseStatusRequest, type StatusCode } from './schemas';
import { pushRequestBody } from './body';
import { serialiseDataRequest, type DataRequest } from './evse-data';
import { STATUS_CODES, bodyTooLargeReason, classifyAnswer, classifyError, classifyHttpStatus, codeInfo, parseRetryAfter, type FaultClass } from './codes';

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

export interface PushResult {
  class: FaultClass;
  /** Human readable reason, safe to show in a status or error (never contains key material). */
  reason: string;
  httpStatus?: number;
  ack?: Acknowledgement;
  statusCode?: StatusCode;
  validationErrors?: Array<{ fieldReference?: string | null; errorMessage?: string | null }>;
  processId?: string;
  retryAfterMs?: number;
  durationMs: number;
  errorCode?: string;
  /** The timeout this request had (effectiveTimeoutMs): after a timeout, Hubject may still work on it for as long. */
  timeoutMs?: number;
  /** Set on a 2xx answer that could not be read as an acknowledgement: the start of its body. */
  unreadable?: string;
}

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

interface PostBody {
  body: string | Iterable<string> | Iterable<Buffer>;
  contentLength?: number;
  /** Bytes of the body, for the timeout. */
  bytes: number;
}

export function pushStatusUrl(baseUrl: string, operatorId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/evsepush/v21/operators/${encodeURIComponent(operatorId).replace(/\*/g, '%2A')}/status-records`;
}

export function pushDataUrl(baseUrl: string, operatorId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/evsepush/v23/operators/${encodeURIComponent(operatorId).replace(/\*/g, '%2A')}/data-records`;
}

function describeCode(sc: StatusCode): string {
  const info = codeInfo(sc.Code);
  const parts = [`${sc.Code} ${sc.Description || info.description}`];
  if (sc.AdditionalInfo) parts.push(sc.AdditionalInfo);
  if (info.hint) parts.push(info.hint);
  return parts.join(': ');
}

/** One mutual-TLS connection pool to one Hubject environment for one operator. */
export class HubjectClient {
  readonly url: string;
  readonly dataUrl: string;
  private readonly agent: Agent;
  private readonly makeAgent: () => Agent;
  private dataAgentValue: Agent | undefined;
  private readonly timeoutMs: number;
  /** First TLS alert of the latest socket: undici reports a TLS 1.3 refusal only as "other side closed". */
  private tlsAlert: { error: Error & { code: string }; at: number } | null = null;

  constructor(readonly options: ClientOptions) {
    this.url = pushStatusUrl(options.baseUrl, options.operatorId);
    this.dataUrl = pushDataUrl(options.baseUrl, options.operatorId);
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
    this.makeAgent = () =>
      new Agent({
        connect: connector,
        keepAliveTimeout: 30_000,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        connections: 1,
        pipelining: 1,
      });
    this.agent = this.makeAgent();
  }

  /** The data lane's own connection: one connection per lane, so a data request never waits behind a status request. */
  private get dataAgent(): Agent {
    return (this.dataAgentValue ??= this.makeAgent());
  }

  pushEvseStatus(body: PushEvseStatusRequest, signal?: AbortSignal): Promise<PushResult> {
    return this.post(
      this.url,
      this.agent,
      () => {
        const payload = pushRequestBody(body);
        const bytes = payload.contentLength ?? (typeof payload.body === 'string' ? Buffer.byteLength(payload.body) : 0);
        return { body: payload.body, contentLength: payload.contentLength, bytes };
      },
      signal,
    );
  }

  /** eRoamingPushEvseData 2.3: the body streamed from serialiseDataRequest's pieces, with its Content-Length. */
  pushEvseData(req: DataRequest, signal?: AbortSignal): Promise<PushResult> {
    return this.post(
      this.dataUrl,
      this.dataAgent,
      async () => {
        const s = await serialiseDataRequest(req);
        return { body: s.chunks, contentLength: s.contentLength, bytes: s.contentLength };
      },
      signal,
    );
  }

  /** One POST: same answer classification, timeout growth with the body size and TLS alert handling for every operation. */
  private async post(url: string, agent: Agent, makeBody: () => PostBody | Promise<PostBody>, signal?: AbortSignal): Promise<PushResult> {
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
      bytes = payload.bytes;
      timeoutMs = effectiveTimeoutMs(this.timeoutMs, payload.bytes);
      // undici documents Iterable bodies (docs/api/Dispatcher.md) but its request() typings leave them out.
      const requestBody = payload.body as string | Readable;
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
    const result = interpretResponse(res.statusCode, text, res.headers['retry-after'], processId, elapsed());
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
    return Promise.all([close(this.agent), this.dataAgentValue && close(this.dataAgentValue)]).then(() => undefined);
  }

  destroy(): Promise<void> {
    return Promise.all([this.agent.destroy().catch(() => undefined), this.dataAgentValue?.destroy().catch(() => undefined)]).then(() => undefined);
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

/** The start of a body for a status or log line, on one line. */
export function excerpt(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one || '(empty body)';
}

/** Turns an HTTP status and body into a classified result. Exported for tests. */
export function interpretResponse(
  httpStatus: number,
  text: string,
  retryAfter: string | string[] | undefined,
  processId: string | undefined,
  durationMs: number,
): PushResult {
  const json = safeJson(text);
  const base = { httpStatus, processId, durationMs };
  if (httpStatus >= 200 && httpStatus < 300) {
    const status = StatusOnlySchema.safeParse(json);
    if (!status.success) {
      return { ...base, class: 'transient', reason: `HTTP ${httpStatus} with an unreadable acknowledgement: ${excerpt(text)}`, unreadable: excerpt(text) };
    }
    const sc = status.data.StatusCode;
    const parsed = AcknowledgementSchema.safeParse(json);
    const ack = parsed.success ? parsed.data : undefined;
    // 000 is success even when Result is missing or null; Result:false with 000 is contradictory and reported.
    if (sc.Code === '000' && ack?.Result !== false) {
      return { ...base, class: 'success', reason: '000 success', ack: ack ?? { Result: true, StatusCode: sc }, statusCode: sc };
    }
    const known = sc.Code in STATUS_CODES;
    // A refusal with a code missing from the table is retried, never dropped as a data fault.
    const cls: FaultClass = !known ? 'transient' : codeInfo(sc.Code).class === 'success' ? 'data' : codeInfo(sc.Code).class;
    return { ...base, class: cls, reason: describeCode(sc), ack, statusCode: sc };
  }
  const http = classifyHttpStatus(httpStatus);
  const result: PushResult = { ...base, class: http.class, reason: http.reason };
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
