// A mutual-TLS HTTPS listener: the client certificate is checked in the handshake (requestCert, rejectUnauthorized),
// slow clients are cut off (handshake, headers and whole-request timeouts), and every request has an answer deadline.
import * as https from 'node:https';
import type * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { errorAnswer } from './errors';
import { sendJson } from './json';
import { clientIdentity, type ClientIdentity } from './peer';
import { pathnameOf, type Router } from './routes';
import { readBody, readJson } from './body';

export type Pem = string | Buffer;

export interface ServerTls {
  /** Trust anchor(s) for client certificates. */
  ca: Pem | Pem[];
  cert: Pem;
  key: Pem;
  passphrase?: string;
}

/** What a route handler gets. */
export interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  pathname: string;
  /** The client certificate's identity. */
  client: ClientIdentity;
  /** The body within the server's limit (413 beyond it). */
  body(): Promise<Buffer>;
  /** The body as JSON (400 when it does not parse). */
  json(): Promise<unknown>;
  /** Answers with JSON; false when an answer was already sent or the client is gone. */
  send(status: number, body: unknown, headers?: Record<string, string>): boolean;
}

export interface MtlsServerOptions {
  tls: ServerTls;
  router: Router<RequestContext>;
  /** Default true. false lets clients without a certificate through (their identity says so); a foreign CA is still refused. */
  requireClientCert?: boolean;
  /** Largest request body; default 64 kB. */
  maxBodyBytes?: number;
  /** A TLS handshake not done within this is dropped; default 10 s. */
  handshakeTimeoutMs?: number;
  /** Request headers not complete within this: the connection is closed (408); default 10 s. */
  headersTimeoutMs?: number;
  /** The whole request not received within this: 408; default 60 s; 0 disables. */
  requestTimeoutMs?: number;
  /** How often the two timeouts above are checked; default 1 s. */
  checkIntervalMs?: number;
  /** A handler that has not answered within this gets `onDeadline` (default 503); default none. */
  deadlineMs?: number;
  onDeadline?: (ctx: RequestContext) => void;
  /**
   * Which trusted client certificates may call (e.g. Hubject's subject only); others get 403 before any route is
   * looked at. Default: every certificate the CA signed.
   */
  acceptClient?: (client: ClientIdentity) => boolean;
  /** Called for every request before routing: the place for logging and headers. */
  onRequest?: (ctx: RequestContext) => void;
  /** Answers an error thrown by a handler; default: errorAnswer. */
  onError?: (err: unknown, ctx: RequestContext) => void;
  /** Called for requests no route matched (404) or whose method is wrong (405) instead of the default answer. */
  onUnrouted?: (ctx: RequestContext, status: 404 | 405, message: string, headers: Record<string, string>) => void | Promise<void>;
  keepAliveTimeoutMs?: number;
}

export class MtlsServer {
  readonly https: https.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly maxBodyBytes: number;

  constructor(private readonly opts: MtlsServerOptions) {
    this.maxBodyBytes = opts.maxBodyBytes ?? 64 * 1024;
    this.https = https.createServer(
      {
        ca: opts.tls.ca,
        cert: opts.tls.cert,
        key: opts.tls.key,
        passphrase: opts.tls.passphrase,
        requestCert: true,
        rejectUnauthorized: opts.requireClientCert !== false,
        handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000,
        headersTimeout: opts.headersTimeoutMs ?? 10_000,
        requestTimeout: opts.requestTimeoutMs ?? 60_000,
        connectionsCheckingInterval: opts.checkIntervalMs ?? 1000,
        keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5000,
      },
      (req, res) => this.onRequest(req, res),
    );
    // Refused handshakes (no certificate, another CA) are the expected outcome, not errors of the server.
    this.https.on('tlsClientError', () => undefined);
    this.https.on('connection', (s: Socket) => this.track(s));
  }

  /** Hands over a TCP connection accepted elsewhere (a front that decides per connection). */
  accept(socket: Socket): void {
    this.https.emit('connection', socket);
  }

  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.https.once('error', onError);
      this.https.listen(port, host, () => {
        this.https.off('error', onError);
        resolve((this.https.address() as AddressInfo).port);
      });
    });
  }

  get port(): number {
    const a = this.https.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  /** Open connections, for those that must drop them (a refused certificate, a stop). */
  get connections(): ReadonlySet<Socket> {
    return this.sockets;
  }

  /** Stops listening and drops every open connection, hung requests included. */
  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return new Promise((resolve) => {
      if (this.https.listening) this.https.close(() => resolve());
      else resolve();
      for (const s of this.sockets) s.destroy();
    });
  }

  private track(s: Socket): void {
    if (this.sockets.has(s)) return;
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const limit = this.maxBodyBytes;
    const ctx: RequestContext = {
      req,
      res,
      pathname: pathnameOf(req),
      client: clientIdentity(req.socket as TLSSocket),
      body: () => readBody(req, limit),
      json: () => readJson(req, limit),
      send: (status, body, headers) => sendJson(res, status, body, headers),
    };
    if (this.opts.deadlineMs !== undefined) this.startDeadline(ctx, this.opts.deadlineMs);
    this.opts.onRequest?.(ctx);
    if (this.opts.acceptClient && !this.opts.acceptClient(ctx.client)) {
      ctx.send(403, { message: 'client certificate not accepted' });
      return;
    }
    this.dispatch(ctx).catch((err: unknown) => this.fail(err, ctx));
  }

  private async dispatch(ctx: RequestContext): Promise<void> {
    const r = this.opts.router.resolve(ctx.req.method ?? 'GET', ctx.pathname);
    if ('handler' in r) return r.handler(ctx, r.params);
    const status = r.status as 404 | 405;
    if (this.opts.onUnrouted) return this.opts.onUnrouted(ctx, status, r.message, r.headers);
    ctx.send(status, { message: r.message }, r.headers);
  }

  private fail(err: unknown, ctx: RequestContext): void {
    if (this.opts.onError) return this.opts.onError(err, ctx);
    answerError(err, ctx);
  }

  private startDeadline(ctx: RequestContext, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (ctx.res.headersSent || ctx.res.destroyed) return;
      if (this.opts.onDeadline) this.opts.onDeadline(ctx);
      else ctx.send(503, { message: `no answer within ${ms} ms` });
    }, ms);
    this.timers.add(t);
    ctx.res.once('close', () => {
      clearTimeout(t);
      this.timers.delete(t);
    });
  }
}

/**
 * The default error answer. A refused body (413) closes the connection once answered, so the rest of it is never
 * read; an internal error shows no detail.
 */
export function answerError(err: unknown, ctx: Pick<RequestContext, 'req' | 'res' | 'send'>): void {
  const a = errorAnswer(err);
  if (a.close) {
    if (ctx.res.headersSent || ctx.res.destroyed) {
      ctx.req.socket.destroy();
      return;
    }
    ctx.res.once('finish', () => ctx.req.socket.destroy());
    ctx.send(a.status, a.body, { Connection: 'close', ...a.headers });
    return;
  }
  ctx.send(a.status, a.body, a.headers);
}
