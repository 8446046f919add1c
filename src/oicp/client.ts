import { Agent, request } from 'undici';
import type { ConnectionOptions } from 'node:tls';
import type { Readable } from 'node:stream';
import {
  AcknowledgementSchema, FaultBodySchema, StatusOnlySchema,
  type Acknowledgement, type PushEvseStatusRequest, type StatusCode,
} from './schemas';
import { pushRequestBody } from './body';
import { classifyError, classifyHttpStatus, codeInfo, parseRetryAfter, type FaultClass } from './codes';

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
  /** Whole-request timeout (headers and body), ms. */
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
}

export function pushStatusUrl(baseUrl: string, operatorId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/evsepush/v21/operators/${encodeURIComponent(operatorId).replace(/\*/g, '%2A')}/status-records`;
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
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(readonly options: ClientOptions) {
    this.url = pushStatusUrl(options.baseUrl, options.operatorId);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const t = options.tls ?? {};
    const connect: ConnectionOptions = {
      cert: t.cert, key: t.key, ca: t.ca, passphrase: t.passphrase, pfx: t.pfx,
      rejectUnauthorized: t.rejectUnauthorized !== false,
      timeout: options.connectTimeoutMs ?? Math.min(this.timeoutMs, 10_000),
    };
    if (t.servername) connect.servername = t.servername;
    this.agent = new Agent({
      connect,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connections: 1,
      pipelining: 1,
    });
  }

  async pushEvseStatus(body: PushEvseStatusRequest, signal?: AbortSignal): Promise<PushResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let res;
    try {
      const payload = pushRequestBody(body);
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (payload.contentLength !== undefined) headers['content-length'] = String(payload.contentLength);
      // undici documents Iterable bodies (docs/api/Dispatcher.md) but its request() typings leave them out.
      const requestBody = payload.body as string | Readable;
      res = await request(this.url, { method: 'POST', dispatcher: this.agent, headers, body: requestBody, signal });
    } catch (err) {
      const c = classifyError(err);
      return { class: c.class, reason: c.reason, errorCode: c.code, durationMs: elapsed() };
    }
    const processId = headerValue(res.headers['process-id']);
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      const c = classifyError(err);
      return { class: c.class, reason: c.reason, errorCode: c.code, httpStatus: res.statusCode, processId, durationMs: elapsed() };
    }
    return interpretResponse(res.statusCode, text, res.headers['retry-after'], processId, elapsed());
  }

  close(): Promise<void> {
    return this.agent.close().catch(() => this.agent.destroy()).catch(() => undefined);
  }

  destroy(): Promise<void> {
    return this.agent.destroy().catch(() => undefined);
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function safeJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return undefined; }
}

/** Turns an HTTP status and body into a classified result. Exported for tests. */
export function interpretResponse(
  httpStatus: number, text: string, retryAfter: string | string[] | undefined, processId: string | undefined, durationMs: number,
): PushResult {
  const json = safeJson(text);
  const base = { httpStatus, processId, durationMs };
  if (httpStatus >= 200 && httpStatus < 300) {
    const ack = AcknowledgementSchema.safeParse(json);
    if (!ack.success) {
      return { ...base, class: 'transient', reason: `HTTP ${httpStatus} with an unreadable acknowledgement` };
    }
    const sc = ack.data.StatusCode;
    const info = codeInfo(sc.Code);
    if (ack.data.Result && sc.Code === '000') {
      return { ...base, class: 'success', reason: '000 success', ack: ack.data, statusCode: sc };
    }
    // Result:false with 000 is contradictory; treat as a data rejection so it is reported, not lost.
    const cls: FaultClass = info.class === 'success' ? 'data' : info.class;
    return { ...base, class: cls, reason: describeCode(sc), ack: ack.data, statusCode: sc };
  }
  const http = classifyHttpStatus(httpStatus);
  const result: PushResult = { ...base, class: http.class, reason: http.reason };
  if (httpStatus === 429 || httpStatus === 503) result.retryAfterMs = parseRetryAfter(retryAfter);
  const status = StatusOnlySchema.safeParse(json);
  if (status.success) {
    const sc = status.data.StatusCode;
    result.statusCode = sc;
    const info = codeInfo(sc.Code);
    // The OICP code is more specific than the HTTP status (401 + 017, 404 + 300).
    if (info.class !== 'success') result.class = info.class;
    result.reason = `HTTP ${httpStatus} ${describeCode(sc)}`;
  } else if (httpStatus === 400) {
    const fault = FaultBodySchema.safeParse(json);
    if (fault.success) {
      result.validationErrors = fault.data.validationErrors ?? undefined;
      const first = result.validationErrors?.[0];
      result.reason = `HTTP 400 ${fault.data.message ?? 'validation failed'}` +
        (first ? `: ${first.fieldReference ?? ''} ${first.errorMessage ?? ''}`.trimEnd() : '');
    }
  }
  return result;
}
