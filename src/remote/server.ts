// The listener of the remote endpoint: mutual TLS on the server foundation, or, behind a TLS-terminating proxy,
// plain HTTP on loopback only with the verified client subject from a header the proxy sets.
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MtlsServer, answerError, pathnameOf, readBody, readJson, sendJson, type ClientIdentity, type RequestContext, type ServerTls } from '../oicp/server';
import type { RemoteEndpoint } from './endpoint';

/**
 * Assumption (spec silent, confirm at onboarding): the CN of the client certificate Hubject calls with is its
 * service host name, per environment.
 */
export const HUBJECT_CLIENT_SUBJECTS = { qa: ['service-qa.hubject.com'], production: ['service.hubject.com'] } as const;

export interface RemoteServerOptions {
  endpoint: RemoteEndpoint;
  host: string;
  port: number;
  /** Accepted client certificate subjects (CN), compared without regard to case; empty accepts every one the CA signed. */
  subjects: readonly string[];
  mode: 'mtls' | 'proxy';
  tls?: ServerTls;
  /** Proxy mode: the header carrying the verified client subject (e.g. x-ssl-client-s-dn-cn). */
  subjectHeader?: string;
  /** Watchdog and a bit: a request never waits longer than this for its answer. */
  deadlineMs?: number;
  maxBodyBytes?: number;
}

export const MAX_BODY_BYTES = 64 * 1024;

/** Whether an address is loopback (proxy mode binds nowhere else). */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Why these options cannot work (shown red at deploy), or undefined. */
export function remoteServerProblem(o: Pick<RemoteServerOptions, 'mode' | 'host' | 'tls' | 'subjectHeader' | 'port'>): string | undefined {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) return `port ${o.port} is not a TCP port`;
  if (o.mode === 'proxy') {
    if (!isLoopback(o.host)) return `proxy mode serves plain HTTP and binds to loopback only, not ${o.host}`;
    if (!o.subjectHeader) return 'proxy mode needs the header that carries the verified client subject';
    return undefined;
  }
  if (!o.tls || !o.tls.cert || !o.tls.key) return 'the TLS configuration has no server certificate and key';
  if (!o.tls.ca || (Array.isArray(o.tls.ca) && !o.tls.ca.length))
    return "the TLS configuration has no CA certificate (Hubject's CA, the trust anchor for its client certificate)";
  return undefined;
}

export interface RemoteServer {
  listen(): Promise<number>;
  close(): Promise<void>;
  readonly port: number;
}

function acceptor(subjects: readonly string[]): (c: ClientIdentity) => boolean {
  const set = new Set(subjects.map((s) => s.trim().toLowerCase()).filter((s) => s));
  return (c) => c.authorized && (set.size === 0 || (c.subject !== undefined && set.has(c.subject.toLowerCase())));
}

export function createRemoteServer(o: RemoteServerOptions): RemoteServer {
  const problem = remoteServerProblem(o);
  if (problem) throw new Error(problem);
  const accept = acceptor(o.subjects);
  const deadlineMs = o.deadlineMs;
  const onDeadline = (ctx: RequestContext) => ctx.send(200, { Result: false, StatusCode: { Code: '501', Description: 'Communication to EVSE failed.' } });
  if (o.mode === 'mtls') {
    const s = new MtlsServer({
      tls: o.tls!,
      router: o.endpoint.router,
      acceptClient: accept,
      maxBodyBytes: o.maxBodyBytes ?? MAX_BODY_BYTES,
      deadlineMs,
      onDeadline,
      // Slow clients are cut off early: Hubject sends a small body at once.
      headersTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
    });
    return {
      listen: () => s.listen(o.port, o.host),
      close: () => s.close(),
      get port() {
        return s.port;
      },
    };
  }
  return proxyServer(o, accept, onDeadline);
}

function proxyServer(o: RemoteServerOptions, accept: (c: ClientIdentity) => boolean, onDeadline: (ctx: RequestContext) => void): RemoteServer {
  const limit = o.maxBodyBytes ?? MAX_BODY_BYTES;
  const header = o.subjectHeader!.toLowerCase();
  const sockets = new Set<Socket>();
  const server = http.createServer({ headersTimeout: 5000, requestTimeout: 10_000, connectionsCheckingInterval: 1000 }, (req, res) => {
    const raw = req.headers[header];
    const subject = Array.isArray(raw) ? raw[0] : raw;
    const ctx: RequestContext = {
      req,
      res,
      pathname: pathnameOf(req),
      client: { authorized: !!subject, presented: !!subject, subject: subject?.trim() },
      body: () => readBody(req, limit),
      json: () => readJson(req, limit),
      send: (status, body, headers) => sendJson(res, status, body, headers),
    };
    if (o.deadlineMs !== undefined) {
      const t = setTimeout(() => !res.headersSent && onDeadline(ctx), o.deadlineMs);
      res.once('close', () => clearTimeout(t));
    }
    if (!accept(ctx.client)) {
      ctx.send(403, { message: 'client certificate subject not accepted' });
      return;
    }
    const r = o.endpoint.router.resolve(req.method ?? 'GET', ctx.pathname);
    if (!('handler' in r)) {
      answerError(r, ctx);
      return;
    }
    Promise.resolve()
      .then(() => r.handler(ctx, r.params))
      .catch((e: unknown) => answerError(e, ctx));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (server.listening) server.close(() => resolve());
        else resolve();
        for (const s of sockets) s.destroy();
      }),
    get port() {
      const a = server.address();
      return a && typeof a === 'object' ? a.port : 0;
    },
  };
}
