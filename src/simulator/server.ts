// A local stand-in for Hubject's OICP 2.3 EVSE status and data services, for tests, benchmarks and demos.
//
// Two servers:
// - the OICP API on the package's mutual-TLS server foundation (src/oicp/server: requestCert + rejectUnauthorized,
//   the demo CA as trust anchor), so a client certificate from another CA fails in the handshake, as with the real
//   Hubject. Its routes come from the client's operation table, one per push operation, plus the EMP pulls;
// - the admin page and admin API (admin-api.ts) on a second, plain-HTTP server bound to the same host (loopback by
//   default), because a browser has no client certificate. It has no authentication: keep it on loopback.
//
// No Node-RED import here: the simulator is plain TypeScript.

import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { codeInfo } from '../oicp/codes';
import { OPERATOR_ID_PATTERN } from '../oicp/ids';
import { matchOperationPath, type Operation } from '../oicp/operations';
import { HttpError, MtlsServer, Router, answerError, clientIdentity, readBody, sendJson, type RequestContext } from '../oicp/server';
import type { ActionType, EvseStatus, EvseStatusRecord } from '../oicp/schemas';
import { HubjectModel, STATUS_017, ackBody, faultBody, opKeyOf, sameText, type EvseState, type Verdict } from './model';
import { type AdminView, type AdminEvseData, type AdminSession } from './admin-page';
import { adminHandler } from './admin-api';
import { RemoteCaller } from './remote-call';
import type { EvseDataRecord } from './evse-data-check';
import type { CertPaths } from './certs';
import { TlsRefusal } from './tls-refusal';
import { RollingWindow } from '../push/window';
import { FaultBook, type ActiveFault, type Fault } from './faults';
import { PULL_PATH, answerPull } from './pull';
import { AuthorizeBook } from './authorize';
import { CdrBook } from './cdr';

export type { EvseState } from './model';
export { FaultSchema, type Fault, type ActiveFault } from './faults';

/** The operation of a push: status and data are separate lanes at Hubject, so overlaps and rates count per operation. */
export type PushOperation = Operation;

export type PemInput = string | Buffer;

/** TLS material given directly as PEM text instead of CertPaths. */
export interface SimulatorTlsMaterial {
  ca: PemInput | PemInput[];
  cert: PemInput;
  key: PemInput;
}

export interface SimulatorOptions {
  certs: CertPaths | SimulatorTlsMaterial;
  /** The CPO's remote start/stop endpoint URL (as registered in Hubject's portal), for the remote start button. */
  cpoUrl?: string;
  /** The EvseID the page's remote start field starts with (the demo's remote-start charger). */
  cpoEvseId?: string;
  /** OICP API port; 0 (default) picks a free port. */
  port?: number;
  /** Bind address of both servers; default 127.0.0.1. */
  host?: string;
  /** Admin page/API port (plain HTTP); 0 (default) picks a free port, false disables the admin server. */
  adminPort?: number | false;
  /** Constant latency added to every OICP request (benchmarks use 50 ms). */
  latencyMs?: number;
  /** eRoamingPushEvseStatus calls allowed per OperatorID in any rolling 60 s (Hubject AUP: 2000). 0 or Infinity disables. */
  rateLimitPerMinute?: number;
  /**
   * Default true: the TLS handshake rejects clients without a certificate from the demo CA.
   * false: clients without a certificate are let through and their pushes skip the certificate check
   * (the URL/body OperatorID comparison still applies); a certificate from another CA still gets 017.
   */
  requireClientCert?: boolean;
  /** Size of the request log ring buffer; default 1000. */
  requestLogSize?: number;
  /** Largest accepted request body; default 64 MiB (a status fullLoad of 100,000 EVSEs is about 6 MB, a data fullLoad of 20,000 about 25 MB). */
  maxBodyBytes?: number;
  /** Called with every parsed push body before it is judged: tests validate what clients send. */
  onPush?: (body: unknown, urlOperatorId: string, operation: PushOperation) => void;
  /** eRoamingPushEvseData calls allowed per OperatorID in any rolling 60 s; default: no limit. */
  dataRateLimitPerMinute?: number;
  /** eRoamingChargeDetailRecord calls allowed per OperatorID in any rolling 60 s; default 350 (Hubject's limit). */
  cdrRateLimitPerMinute?: number;
  /** Refuse status (018) for EVSEs without EVSE data; default off (also switched by POST /admin/require-data). */
  requireData?: boolean;
  /**
   * Called when a push succeeded, right after its records were applied to the state (before the answer is sent):
   * benchmarks timestamp here when Hubject starts holding a status.
   */
  onApplied?: (operatorId: string, records: EvseStatusRecord[], now: number, action: ActionType) => void;
}

export interface OperatorStats {
  /** OperatorID as first seen in a URL. */
  operatorId: string;
  pushes: number;
  /** Push requests whose handling overlapped with another in-flight push of the same operator (each counted once). */
  overlaps: number;
  maxInFlight: number;
  inFlight: number;
  rateLimited: number;
}

export interface SimulatorStats {
  /** Every request to the OICP API (push, pull, unknown paths). */
  requests: number;
  pushes: number;
  pulls: number;
  /** Sum over operators. */
  overlaps: number;
  /** Largest number of concurrent pushes of any single operator. */
  maxInFlight: number;
  /** HTTP 429 answers from the rate limiter (injected 429 faults are only in byStatus). */
  rateLimited: number;
  faultsApplied: number;
  /** Answers per HTTP status; requests dropped by a reset or hang fault have no status and are not counted here. */
  byStatus: Record<number, number>;
  /** Keyed by operator identity (operatorKey). */
  byOperator: Record<string, OperatorStats>;
}

export interface RequestLogEntry {
  startedAt: number;
  endedAt?: number;
  kind: 'push' | 'pull' | 'other';
  method: string;
  path: string;
  /** OperatorID from the push URL (decoded), or ProviderID for pulls. */
  operatorId?: string;
  action?: string;
  records?: number;
  /** 0 when the request got no answer (reset, hang, client gave up). */
  httpStatus?: number;
  /** OICP StatusCode.Code when the answer carried one. */
  code?: string;
  processId: string;
  /** status or data (eRoamingPushEvseData) for pushes. */
  operation?: PushOperation;
  overlapped?: boolean;
  fault?: Fault['kind'];
  note?: string;
}

interface Ctx {
  entry: RequestLogEntry;
  overlapped: boolean;
  left: boolean;
}

class RingBuffer<T> {
  private items: T[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  push(item: T): void {
    if (this.items.length < this.size) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.size;
  }
  toArray(): T[] {
    return this.items.length < this.size ? this.items.slice() : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
  clear(): void {
    this.items = [];
    this.next = 0;
  }
}

/** Pulls the EvseIDs out of a body that may not validate, for fault matching and the log. */
function looseRecords(body: unknown): { action?: string; evseIds: string[] } {
  const b = body as { ActionType?: unknown; OperatorEvseStatus?: { EvseStatusRecord?: unknown }; OperatorEvseData?: { EvseDataRecord?: unknown } } | null;
  const recs =
    b && typeof b === 'object' && b.OperatorEvseStatus && Array.isArray(b.OperatorEvseStatus.EvseStatusRecord)
      ? b.OperatorEvseStatus.EvseStatusRecord
      : b && typeof b === 'object' && b.OperatorEvseData && Array.isArray(b.OperatorEvseData.EvseDataRecord)
        ? b.OperatorEvseData.EvseDataRecord
        : [];
  const evseIds: string[] = [];
  for (const r of recs as unknown[]) {
    const id = r && typeof r === 'object' ? (r as { EvseID?: unknown }).EvseID : undefined;
    if (typeof id === 'string') evseIds.push(id);
  }
  return { action: b && typeof b === 'object' && typeof b.ActionType === 'string' ? b.ActionType : undefined, evseIds };
}

/** What the admin page shows of an EVSE's data: name, address, plugs, power. */
function dataSummary(r: EvseDataRecord): AdminEvseData {
  const a = r.Address;
  const name = r.ChargingStationNames?.[0]?.value ?? '';
  const address = a ? `${a.Street ?? ''} ${a.HouseNum ?? ''}, ${a.PostalCode ?? ''} ${a.City ?? ''}, ${a.Country ?? ''}`.replace(/\s+/g, ' ').trim() : '';
  const power = Math.max(0, ...(r.ChargingFacilities ?? []).map((f) => Number(f.Power) || 0));
  return { name, address, plugs: [...(r.Plugs ?? [])], powerKw: power };
}

const WINDOW_MS = 60_000;
const laneKey = (opKey: string, operation: PushOperation) => (operation === 'status' ? opKey : `${opKey}|${operation}`);
/** The push operations the simulator answers, each on its own route. */
const PUSH_OPERATIONS: readonly PushOperation[] = ['status', 'data'];

function readPem(v: PemInput): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v);
}

function isCertPaths(c: CertPaths | SimulatorTlsMaterial): c is CertPaths {
  return typeof (c as CertPaths).caCert === 'string';
}

/** A route matcher for one operation's path: its raw {operatorID}. */
function operationRoute(operation: Operation): (pathname: string) => string[] | null {
  return (pathname) => {
    const m = matchOperationPath(operation, pathname);
    return m === null ? null : [m];
  };
}

/** What a simulator request carries beside the foundation's context: its log entry. */
interface SimContext extends RequestContext {
  entry: RequestLogEntry;
}

export class HubjectSimulator {
  readonly host: string;
  private readonly requestedPort: number;
  private readonly requestedAdminPort: number | false;
  private readonly rateLimit: number;
  private readonly dataRateLimit: number;
  private readonly cdrRateLimit: number;
  private readonly requireClientCert: boolean;
  private latency: number;
  onPush?: (body: unknown, urlOperatorId: string, operation: PushOperation) => void;
  onApplied?: (operatorId: string, records: EvseStatusRecord[], now: number, action: ActionType) => void;

  private readonly api: MtlsServer;
  private readonly admin?: http.Server;
  private readonly apiSockets = new Set<Socket>();
  private readonly adminSockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly exchanges = new WeakMap<http.ServerResponse, { entry: RequestLogEntry; onReply?: () => void }>();
  private boundPort = 0;
  private boundAdminPort = 0;
  private started = false;
  private refusing = false;
  private readonly front: net.Server;
  private readonly refusal: TlsRefusal;

  /** Hubject's rules and the EVSE status and data it holds. */
  readonly model = new HubjectModel();
  /** AuthorizeStart/Stop: the answer per token (admin API), the sessions it created. */
  readonly authorization = new AuthorizeBook();
  /** Hubject calling the CPO: remote start/stop (issue 23). */
  readonly remote: RemoteCaller;
  /** eRoamingChargeDetailRecord: one CDR per SessionID. */
  readonly cdrs = new CdrBook();
  private readonly faultBook = new FaultBook();

  private counters = { requests: 0, pushes: 0, pulls: 0 };
  private byStatus: Record<number, number> = {};
  private opStats = new Map<string, OperatorStats>();
  private inFlight = new Map<string, Set<Ctx>>();
  private admitted = new Map<string, RollingWindow>(); // rate limiter: pushes let through
  private arrivals = new Map<string, RollingWindow>(); // every push that arrived, for peakPerMinute
  private allArrivals = new RollingWindow(WINDOW_MS);
  private log: RingBuffer<RequestLogEntry>;

  constructor(opts: SimulatorOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.remote = new RemoteCaller(isCertPaths(opts.certs) ? opts.certs : undefined, (r) => {
      // Hubject holds the session it asked the CPO to start: its CDR (and an AuthorizeStop) refer to it.
      const s = this.authorization.sessions.get(r.SessionID);
      if (r.action === 'stop') {
        if (s && s.stoppedAt === undefined) s.stoppedAt = r.at;
        return;
      }
      const OperatorID = r.EvseID.split('*').slice(0, 2).join('*').toUpperCase();
      this.authorization.sessions.set(r.SessionID, {
        SessionID: r.SessionID,
        OperatorID,
        EvseID: r.EvseID,
        token: r.token,
        ProviderID: r.ProviderID,
        startedAt: r.at,
      });
    });
    if (opts.cpoUrl) this.remote.target = opts.cpoUrl;
    if (opts.cpoEvseId) this.remote.evseId = opts.cpoEvseId;
    this.requestedPort = opts.port ?? 0;
    this.requestedAdminPort = opts.adminPort ?? 0;
    this.latency = Math.max(0, opts.latencyMs ?? 0);
    const rl = opts.rateLimitPerMinute ?? 2000;
    this.rateLimit = rl > 0 && Number.isFinite(rl) ? rl : Infinity;
    const drl = opts.dataRateLimitPerMinute ?? Infinity;
    this.dataRateLimit = drl > 0 && Number.isFinite(drl) ? drl : Infinity;
    const crl = opts.cdrRateLimitPerMinute ?? 350;
    this.cdrRateLimit = crl > 0 && Number.isFinite(crl) ? crl : Infinity;
    this.model.requireData = opts.requireData === true;
    this.requireClientCert = opts.requireClientCert ?? true;
    this.onPush = opts.onPush;
    this.onApplied = opts.onApplied;
    this.log = new RingBuffer(Math.max(1, opts.requestLogSize ?? 1000));

    const c = opts.certs;
    const tls = isCertPaths(c)
      ? { ca: fs.readFileSync(c.caCert), cert: fs.readFileSync(c.serverCert), key: fs.readFileSync(c.serverKey) }
      : { ca: Array.isArray(c.ca) ? c.ca.map(readPem) : readPem(c.ca), cert: readPem(c.cert), key: readPem(c.key) };
    this.refusal = new TlsRefusal(tls.cert, tls.key);

    const router = new Router<RequestContext>();
    for (const operation of PUSH_OPERATIONS)
      router.post(operationRoute(operation), (ctx, [id]) => this.withOperatorId(ctx, id!, (op) => this.handlePush(ctx as SimContext, op, operation)));
    for (const operation of ['authorizeStart', 'authorizeStop'] as const)
      router.post(operationRoute(operation), (ctx, [id]) => this.withOperatorId(ctx, id!, (op) => this.handleAuthorize(ctx as SimContext, op, operation)));
    router.post(operationRoute('chargeDetailRecord'), (ctx, [id]) => this.withOperatorId(ctx, id!, (op) => this.handleCdr(ctx as SimContext, op)));
    router.post(PULL_PATH, (ctx, [id, op]) => this.withOperatorId(ctx, id!, (provider) => this.handlePull(ctx as SimContext, provider, op!)));
    this.api = new MtlsServer({
      tls,
      router,
      requireClientCert: this.requireClientCert,
      maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024 * 1024,
      // Node's own defaults: a 100,000-EVSE fullLoad from a slow client must still arrive.
      handshakeTimeoutMs: 120_000,
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 300_000,
      // No deadline: the hang fault never answers, on purpose.
      onRequest: (ctx) => this.onApiRequest(ctx as SimContext),
      onUnrouted: (ctx, status, _message, headers) => this.unrouted(ctx as SimContext, status, headers),
      onError: (err, ctx) => this.failed(err, ctx as SimContext),
    });
    // The port belongs to a plain TCP server that hands each connection to the TLS server, or, while a
    // refuse-certificate fault is active, to an endpoint that refuses the client certificate.
    this.front = net.createServer((s: Socket) => {
      this.track(this.apiSockets, s);
      if (this.faultBook.takeCertificateRefusal()) this.refusal.pipe(s);
      else this.api.accept(s);
    });
    if (this.requestedAdminPort !== false) {
      this.admin = http.createServer(adminHandler(this));
      this.admin.on('connection', (s: Socket) => this.track(this.adminSockets, s));
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts both servers; resolves with the OICP base URL, e.g. https://127.0.0.1:8443/api/oicp. */
  async start(): Promise<string> {
    if (this.started) return this.url;
    await this.listen(this.front, this.requestedPort);
    this.boundPort = (this.front.address() as AddressInfo).port;
    if (this.admin && this.requestedAdminPort !== false) {
      try {
        await this.listen(this.admin, this.requestedAdminPort);
      } catch (err) {
        await this.closeServer(this.front, this.apiSockets);
        throw err;
      }
      this.boundAdminPort = (this.admin.address() as AddressInfo).port;
    }
    this.started = true;
    this.refusing = false;
    return this.url;
  }

  /** Closes both servers and every open connection at once, including hung requests. */
  async stop(): Promise<void> {
    this.started = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.refusal.stop();
    await Promise.all([
      this.closeServer(this.front, this.apiSockets),
      this.api.close(),
      this.admin ? this.closeServer(this.admin, this.adminSockets) : Promise.resolve(),
    ]);
  }

  /**
   * true: stops listening and drops open connections, so clients get ECONNREFUSED (Hubject unreachable);
   * false: listens again on the same port.
   */
  async refuseConnections(on: boolean): Promise<void> {
    if (!this.started) throw new Error('HubjectSimulator is not started');
    if (on && !this.refusing) {
      this.refusing = true;
      await this.closeServer(this.front, this.apiSockets);
    } else if (!on && this.refusing) {
      await this.listen(this.front, this.boundPort);
      this.refusing = false;
    }
  }

  get refusingConnections(): boolean {
    return this.refusing;
  }

  get port(): number {
    return this.boundPort;
  }

  /** OICP base URL (append /evsepush/v21/...). Empty before start(). */
  get url(): string {
    return this.boundPort ? `https://${this.urlHost()}:${this.boundPort}/api/oicp` : '';
  }

  get adminPort(): number {
    return this.boundAdminPort;
  }

  /** Admin page URL (plain HTTP). Empty before start() or when disabled. */
  get adminUrl(): string {
    return this.boundAdminPort ? `http://${this.urlHost()}:${this.boundAdminPort}/` : '';
  }

  get latencyMs(): number {
    return this.latency;
  }

  /** Constant latency added to every OICP request. */
  setLatency(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error('setLatency: ms must be a number >= 0');
    this.latency = ms;
  }

  private urlHost(): string {
    return this.host.includes(':') ? `[${this.host}]` : this.host;
  }

  private listen(server: net.Server, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(port, this.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
  }

  private closeServer(server: net.Server, sockets: Set<Socket>): Promise<void> {
    return new Promise((resolve) => {
      if (!server.listening) {
        for (const s of sockets) s.destroy();
        resolve();
        return;
      }
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  }

  private track(set: Set<Socket>, s: Socket): void {
    set.add(s);
    s.on('close', () => set.delete(s));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  // ---------------------------------------------------------------- faults

  /** Adds a fault; returns its id. Throws on an invalid fault. Several faults may be active: latency faults add up, then the first other matching fault applies. */
  injectFault(f: Fault): number {
    const { id, fault } = this.faultBook.inject(f);
    if (fault.kind === 'refuse-certificate') for (const sock of this.apiSockets) sock.destroy();
    return id;
  }

  clearFaults(): void {
    this.faultBook.clear();
  }

  /** Active faults (expired and used-up ones are dropped). */
  get faults(): ActiveFault[] {
    return this.faultBook.active();
  }

  // ---------------------------------------------------------------- sub-operators

  /** The sub-operators Hubject has on file for a hub operator (by identity), as set. */
  subOperators(operatorId: string): string[] {
    return this.model.subOperators(operatorId);
  }

  /** Sets the sub-operators of a hub operator: their EVSEs are then the hub's to push (no 018). An empty list clears them. */
  setSubOperators(operatorId: string, subOperatorIds: string[]): void {
    const bad = [operatorId, ...subOperatorIds].filter((o) => !OPERATOR_ID_PATTERN.test(o));
    if (bad.length) throw new Error(`setSubOperators: not an OperatorID: ${bad.join(', ')}`);
    this.model.setSubOperators(operatorId, subOperatorIds);
  }

  /** Every hub operator's sub-operators, keyed by the hub's OperatorID as set. */
  allSubOperators(): Record<string, string[]> {
    return this.model.allSubOperators();
  }

  // ---------------------------------------------------------------- state

  /** The EVSE status Hubject holds for an operator (looked up by identity), keyed by the EvseID as last sent. */
  getState(operatorId: string): Map<string, EvseState> {
    return this.model.getState(operatorId);
  }

  /** Status of one EVSE (by identity), or undefined if Hubject has no record. */
  getStatus(operatorId: string, evseId: string): EvseStatus | undefined {
    return this.model.getStatus(operatorId, evseId);
  }

  /** OperatorIDs (as last sent) that have state. */
  getOperators(): string[] {
    return this.model.getOperators();
  }

  /** Puts records into the state directly, as if a successful insert/update had arrived (for test setup). */
  seedState(operatorId: string, records: EvseStatusRecord[]): void {
    this.model.seed(operatorId, records, Date.now());
  }

  clearState(): void {
    this.model.clear();
  }

  // ---------------------------------------------------------------- stats

  get stats(): SimulatorStats {
    const byOperator: Record<string, OperatorStats> = {};
    let overlaps = 0;
    let maxInFlight = 0;
    let rateLimited = 0;
    for (const [k, s] of this.opStats) {
      byOperator[k] = { ...s, inFlight: this.inFlight.get(k)?.size ?? 0 };
      overlaps += s.overlaps;
      rateLimited += s.rateLimited;
      maxInFlight = Math.max(maxInFlight, s.maxInFlight);
    }
    return { ...this.counters, faultsApplied: this.faultBook.applied, overlaps, maxInFlight, rateLimited, byStatus: { ...this.byStatus }, byOperator };
  }

  /** Request log, oldest first (a copy; bounded by requestLogSize). */
  get requestLog(): RequestLogEntry[] {
    return this.log.toArray().map((e) => ({ ...e }));
  }

  /** Largest number of push requests that arrived within any rolling 60 s, for one operator (by identity) or all together. */
  peakPerMinute(operatorId?: string, operation: PushOperation = 'status'): number {
    if (operatorId === undefined) return this.allArrivals.peak;
    return this.arrivals.get(laneKey(opKeyOf(operatorId), operation))?.peak ?? 0;
  }

  /** EVSE data held for an operator (what eRoamingPushEvseData stored), keyed by EvseID. */
  getData(operatorId: string): Map<string, EvseDataRecord> {
    return this.model.getData(operatorId);
  }

  /** Whether status for EVSEs without data is refused with 018. */
  get requireData(): boolean {
    return this.model.requireData;
  }
  setRequireData(on: boolean): void {
    this.model.requireData = on;
  }

  /** Zeroes counters, the request log, peak and rate-limit windows. State and faults stay. */
  resetStats(): void {
    this.counters = { requests: 0, pushes: 0, pulls: 0 };
    this.faultBook.applied = 0;
    this.byStatus = {};
    this.opStats.clear();
    this.admitted.clear();
    this.arrivals.clear();
    this.allArrivals = new RollingWindow(WINDOW_MS);
    this.log.clear();
    // Requests still in flight keep being tracked; re-register their operators so leaving them stays consistent.
    for (const [k, set] of this.inFlight) {
      const first = set.values().next().value;
      if (first) this.statsFor(k, first.entry.operatorId ?? k).maxInFlight = set.size;
    }
  }

  private statsFor(opKey: string, operatorId: string): OperatorStats {
    let s = this.opStats.get(opKey);
    if (!s) {
      s = { operatorId, pushes: 0, overlaps: 0, maxInFlight: 0, inFlight: 0, rateLimited: 0 };
      this.opStats.set(opKey, s);
    }
    return s;
  }

  private window(map: Map<string, RollingWindow>, key: string): RollingWindow {
    let w = map.get(key);
    if (!w) {
      w = new RollingWindow(WINDOW_MS);
      map.set(key, w);
    }
    return w;
  }

  private enterInFlight(opKey: string, ctx: Ctx, s: OperatorStats): void {
    let set = this.inFlight.get(opKey);
    if (!set) {
      set = new Set();
      this.inFlight.set(opKey, set);
    }
    if (set.size > 0) {
      const mark = (c: Ctx): void => {
        if (c.overlapped) return;
        c.overlapped = true;
        c.entry.overlapped = true;
        s.overlaps++;
      };
      for (const other of set) mark(other);
      mark(ctx);
    }
    set.add(ctx);
    s.maxInFlight = Math.max(s.maxInFlight, set.size);
  }

  private leaveInFlight(opKey: string, ctx: Ctx): void {
    if (ctx.left) return;
    ctx.left = true;
    const set = this.inFlight.get(opKey);
    if (!set) return;
    set.delete(ctx);
    if (set.size === 0) this.inFlight.delete(opKey);
  }

  /** Rate limiter: undefined when admitted, else the Retry-After in seconds. */
  private rateCheck(opKey: string, now: number, limit = this.rateLimit): number | undefined {
    if (!Number.isFinite(limit)) return undefined;
    const w = this.window(this.admitted, opKey);
    if (w.count(now) >= limit) {
      const oldest = w.oldest() ?? now;
      return Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
    }
    w.add(now);
    return undefined;
  }

  // ---------------------------------------------------------------- OICP API

  /** Every request: a log entry, a Process-ID, and an entry closed with status 0 when the client leaves unanswered. */
  private onApiRequest(ctx: SimContext): void {
    const { res } = ctx;
    this.counters.requests++;
    const processId = randomUUID();
    const entry: RequestLogEntry = { startedAt: Date.now(), kind: 'other', method: ctx.req.method ?? '', path: ctx.pathname, processId };
    ctx.entry = entry;
    this.log.push(entry);
    res.setHeader('Process-ID', processId);
    this.exchanges.set(res, { entry });
    res.on('close', () => {
      if (entry.endedAt === undefined) {
        entry.endedAt = Date.now();
        entry.httpStatus = 0;
      }
    });
    // Every answer goes through send(), so the log and counters see it.
    ctx.send = (status, body, headers) => this.send(res, status, body, headers);
  }

  /** 404 after the usual latency, as a slow gateway would; 405 at once. */
  private async unrouted(ctx: SimContext, status: 404 | 405, headers: Record<string, string>): Promise<void> {
    if (status === 405) {
      ctx.send(405, { message: 'Only POST is supported' }, headers);
      return;
    }
    await this.sleep(this.latency);
    ctx.send(404, { message: `No OICP operation at ${ctx.pathname}` });
  }

  private failed(err: unknown, ctx: SimContext): void {
    if (err instanceof HttpError) {
      ctx.entry.note = err.message;
      answerError(err, ctx);
      return;
    }
    ctx.entry.note = 'simulator error';
    ctx.send(500, { message: 'simulator internal error' });
  }

  private withOperatorId(ctx: RequestContext, raw: string, then: (id: string) => Promise<void>): Promise<void> {
    let id: string;
    try {
      id = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, 'malformed percent-encoding in the URL');
    }
    return then(id);
  }

  /**
   * Every OICP answer goes through here, so log, byStatus and the in-flight set are updated before the client
   * can see the answer (a client's next request must not count as overlapping with one it already has an answer to).
   */
  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): boolean {
    if (res.headersSent || res.destroyed) return false;
    const x = this.exchanges.get(res);
    if (x) {
      x.entry.endedAt = Date.now();
      x.entry.httpStatus = status;
      x.onReply?.();
    }
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    return sendJson(res, status, body, headers);
  }

  /** OperatorID of the TLS client certificate; undefined without certificate, null for a certificate the CA did not sign. */
  private clientOperatorId(socket: TLSSocket): string | undefined | null {
    const id = clientIdentity(socket);
    if (!id.authorized) return id.presented ? null : undefined;
    return id.subject;
  }

  private async handlePush(ctx: SimContext, urlOperatorId: string, operation: PushOperation): Promise<void> {
    const { req, res, entry } = ctx;
    const now = Date.now();
    // Status and data are separate lanes: in-flight overlaps, rate windows and statistics count per operation.
    const opKey = laneKey(opKeyOf(urlOperatorId), operation);
    entry.operation = operation;
    entry.kind = 'push';
    entry.operatorId = urlOperatorId;
    this.counters.pushes++;
    const s = this.statsFor(opKey, urlOperatorId);
    s.pushes++;
    this.window(this.arrivals, opKey).add(now);
    this.allArrivals.add(now);
    const inflight: Ctx = { entry, overlapped: false, left: false };
    this.enterInFlight(opKey, inflight, s);
    const leave = (): void => this.leaveInFlight(opKey, inflight);
    res.on('close', leave);
    const x = this.exchanges.get(res);
    if (x) x.onReply = leave;
    const retryAfter = this.rateCheck(opKey, now, operation === 'data' ? this.dataRateLimit : this.rateLimit);

    const raw = await ctx.body();
    let json: unknown;
    let jsonError: string | undefined;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      jsonError = err instanceof Error ? err.message : 'malformed JSON';
    }
    if (jsonError === undefined && this.onPush) this.onPush(json, urlOperatorId, operation);
    const loose = looseRecords(json);
    entry.action = loose.action;
    entry.records = loose.evseIds.length;

    if (retryAfter !== undefined) {
      s.rateLimited++;
      entry.note = 'rate limit';
      await this.sleep(this.latency);
      this.send(
        res,
        429,
        {
          message:
            operation === 'data'
              ? `Too Many Requests: more than ${this.dataRateLimit} eRoamingPushEvseData calls of this operator within 60 s`
              : `Too Many Requests: more than ${this.rateLimit} eRoamingPushEvseStatus calls of this operator within 60 s`,
        },
        { 'Retry-After': String(retryAfter) },
      );
      return;
    }

    // Matched by lane key, as before the split: a fault scoped by operatorId only hits status pushes.
    const { latencyMs, fault } = this.faultBook.take(opKey, loose.evseIds, now);
    const delay = this.latency + latencyMs;
    if (delay > 0) await this.sleep(delay);
    if (res.destroyed) return; // the client gave up while we were "processing"
    if (fault) {
      entry.fault = fault.kind;
      if (this.applyFault(req, res, entry, fault)) return;
    }

    // 017: the OperatorID in the URL must be the one in the client certificate, compared as text.
    const certOp = this.clientOperatorId(req.socket as TLSSocket);
    if (certOp === null || (certOp === undefined && this.requireClientCert) || (typeof certOp === 'string' && !sameText(certOp, urlOperatorId))) {
      entry.code = '017';
      entry.note = certOp ? `URL OperatorID ${urlOperatorId} differs from certificate ${certOp}` : 'no usable client certificate';
      this.send(res, 401, { StatusCode: STATUS_017 });
      return;
    }

    if (operation === 'data') this.answer(res, entry, this.model.pushData(json, jsonError, urlOperatorId, Date.now()));
    else this.answer(res, entry, this.model.push(json, jsonError, urlOperatorId, Date.now()));
  }

  /** eRoamingAuthorizeStart/Stop: latency (the simulator's, the book's, the token's, latency faults), faults, 017, then the book's answer. */
  private async handleAuthorize(ctx: SimContext, urlOperatorId: string, operation: 'authorizeStart' | 'authorizeStop'): Promise<void> {
    const { req, res, entry } = ctx;
    entry.operatorId = urlOperatorId;
    entry.note = operation;
    this.authorization.received[operation]++;
    const raw = await ctx.body();
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      this.send(res, 400, { message: 'malformed JSON' });
      return;
    }
    const evseId = (json as { EvseID?: unknown } | null)?.EvseID;
    const { latencyMs, fault } = this.faultBook.take(`${opKeyOf(urlOperatorId)}|${operation}`, typeof evseId === 'string' ? [evseId] : [], Date.now());
    const delay = this.latency + latencyMs + this.authorization.delayFor(json);
    if (delay > 0) await this.sleep(delay);
    if (res.destroyed) return;
    if (fault) {
      entry.fault = fault.kind;
      if (this.applyFault(req, res, entry, fault)) return;
    }
    const certOp = this.clientOperatorId(req.socket as TLSSocket);
    if (certOp === null || (certOp === undefined && this.requireClientCert) || (typeof certOp === 'string' && !sameText(certOp, urlOperatorId))) {
      entry.code = '017';
      this.send(res, 401, { StatusCode: STATUS_017 });
      return;
    }
    const a = this.authorization.answer(operation, json, urlOperatorId);
    if (a.code) entry.code = a.code;
    this.send(res, a.httpStatus, a.body);
  }

  /**
   * eRoamingChargeDetailRecord: one in flight counted per operator, the CDR rate limit (429), latency, faults (503
   * storm, reset, hang... unscoped ones and those naming the EvseID), 017, then the book's answer.
   */
  private async handleCdr(ctx: SimContext, urlOperatorId: string): Promise<void> {
    const { req, res, entry } = ctx;
    const now = Date.now();
    const opKey = `${opKeyOf(urlOperatorId)}|chargeDetailRecord`;
    entry.operation = 'chargeDetailRecord';
    entry.kind = 'push';
    entry.operatorId = urlOperatorId;
    const s = this.statsFor(opKey, urlOperatorId);
    s.pushes++;
    const inflight: Ctx = { entry, overlapped: false, left: false };
    this.enterInFlight(opKey, inflight, s);
    const leave = (): void => this.leaveInFlight(opKey, inflight);
    res.on('close', leave);
    const x = this.exchanges.get(res);
    if (x) x.onReply = leave;
    const retryAfter = this.rateCheck(opKey, now, this.cdrRateLimit);
    const raw = await ctx.body();
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      this.send(res, 400, faultBody([{ fieldReference: '', errorMessage: `malformed JSON: ${err instanceof Error ? err.message : 'parse error'}` }]));
      return;
    }
    const evseId = (json as { EvseID?: unknown } | null)?.EvseID;
    entry.records = 1;
    entry.note = typeof (json as { SessionID?: unknown } | null)?.SessionID === 'string' ? `SessionID ${(json as { SessionID: string }).SessionID}` : undefined;
    if (retryAfter !== undefined) {
      s.rateLimited++;
      await this.sleep(this.latency);
      this.send(
        res,
        429,
        { message: `Too Many Requests: more than ${this.cdrRateLimit} eRoamingChargeDetailRecord calls of this operator within 60 s` },
        {
          'Retry-After': String(retryAfter),
        },
      );
      return;
    }
    const { latencyMs, fault } = this.faultBook.take(opKey, typeof evseId === 'string' ? [evseId] : [], now);
    const delay = this.latency + latencyMs;
    if (fault) {
      if (delay > 0) await this.sleep(delay);
      if (res.destroyed) return;
      entry.fault = fault.kind;
      if (this.applyFault(req, res, entry, fault)) return;
    }
    const certOp = this.clientOperatorId(req.socket as TLSSocket);
    if (certOp === null || (certOp === undefined && this.requireClientCert) || (typeof certOp === 'string' && !sameText(certOp, urlOperatorId))) {
      entry.code = '017';
      this.send(res, 401, { StatusCode: STATUS_017 });
      return;
    }
    // Stored first, answered after the latency: a client that times out meanwhile leaves a CDR Hubject holds, as a
    // lost answer would (the case the client's exactly-once marks are for).
    const a = this.cdrs.answer(json, urlOperatorId, this.authorization.sessions);
    if (a.code) entry.code = a.code;
    if (!fault && delay > 0) await this.sleep(delay);
    this.send(res, a.httpStatus, a.body);
  }

  /** Sends the model's verdict; a push it applied is reported to onApplied first. */
  private answer(res: http.ServerResponse, entry: RequestLogEntry, v: Verdict): void {
    if (v.code) entry.code = v.code;
    if (v.note) entry.note = v.note;
    if (v.applied && this.onApplied) this.onApplied(v.applied.operatorId, v.applied.records, Date.now(), v.applied.action);
    this.send(res, v.httpStatus, v.body);
  }

  /** Applies a non-latency fault; true when the request is done with. */
  private applyFault(req: http.IncomingMessage, res: http.ServerResponse, entry: RequestLogEntry, fault: Fault): boolean {
    switch (fault.kind) {
      case 'latency':
      case 'refuse-certificate':
        return false;
      case 'reset':
        req.socket.destroy();
        return true;
      case 'hang':
        // Never answer: the socket stays open until the client times out or stop() drops it.
        return true;
      case 'result':
        this.ack(res, entry, fault.result === undefined ? false : fault.result, fault.code, fault.additionalInfo ?? null, fault.description);
        return true;
      case 'http': {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
        let body = fault.body;
        if (body === undefined && fault.code !== undefined) {
          entry.code = fault.code;
          body = { StatusCode: { Code: fault.code, Description: codeInfo(fault.code).description, AdditionalInfo: null } };
        } else if (body === undefined && fault.index !== undefined && fault.status === 400) {
          const ref =
            entry.operation === 'data'
              ? `operatorEvseData.evseDataRecord[${fault.index}].address.country`
              : `operatorEvseStatus.evseStatusRecord[${fault.index}].evseStatus`;
          body = faultBody([{ fieldReference: ref, errorMessage: 'invalid value (simulated)' }]);
        }
        if (body === undefined) {
          if (fault.status === 401) body = { StatusCode: STATUS_017 };
          else if (fault.status === 404) body = { StatusCode: { Code: '300', Description: 'Partner not found', AdditionalInfo: null } };
          else if (fault.status === 200)
            body = {
              Result: true,
              StatusCode: { Code: '000', Description: null, AdditionalInfo: null },
              SessionID: null,
              CPOPartnerSessionID: null,
              EMPPartnerSessionID: null,
            };
          else body = { message: `${http.STATUS_CODES[fault.status] ?? 'HTTP ' + fault.status} (simulated)` };
        }
        this.send(res, fault.status, body, headers);
        return true;
      }
    }
  }

  private ack(
    res: http.ServerResponse,
    entry: RequestLogEntry,
    result: boolean | null,
    code: string,
    additionalInfo: string | null,
    description?: string,
  ): void {
    entry.code = code;
    if (additionalInfo) entry.note = additionalInfo;
    this.send(res, 200, ackBody(result, code, additionalInfo, description));
  }

  private async handlePull(ctx: SimContext, providerId: string, op: string): Promise<void> {
    const { req, res, entry } = ctx;
    entry.kind = 'pull';
    entry.operatorId = providerId;
    this.counters.pulls++;
    const raw = await readBody(req, 1024 * 1024);
    if (this.latency > 0) await this.sleep(this.latency);
    if (res.destroyed) return;
    // Pulls accept any client certificate the demo CA signed (the TLS layer checked that); only a foreign one is refused.
    if (this.clientOperatorId(req.socket as TLSSocket) === null) {
      entry.code = '017';
      this.send(res, 401, { StatusCode: STATUS_017 });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      this.send(res, 400, faultBody([{ fieldReference: '', errorMessage: `malformed JSON: ${err instanceof Error ? err.message : 'parse error'}` }]));
      return;
    }
    const a = answerPull(this.model, json, op);
    entry.action = a.variant;
    if (a.records !== undefined) entry.records = a.records;
    if (a.code) entry.code = a.code;
    this.send(res, a.status, a.body);
  }

  // ---------------------------------------------------------------- admin view

  /** Sessions and their CDRs, newest first (at most 50): the admin page's table and GET /admin/cdrs. */
  sessionRows(limit = 50): AdminSession[] {
    const rows: AdminSession[] = [];
    const seen = new Set<string>();
    for (const sess of this.authorization.sessions.values()) {
      const c = this.cdrs.cdrs.get(sess.SessionID);
      seen.add(sess.SessionID);
      rows.push({
        SessionID: sess.SessionID,
        OperatorID: sess.OperatorID,
        EvseID: sess.EvseID ?? c?.EvseID,
        token: sess.token,
        startedAt: sess.startedAt,
        stoppedAt: sess.stoppedAt,
        ...(c ? { cdr: { ConsumedEnergy: c.ConsumedEnergy, SessionStart: c.SessionStart, SessionEnd: c.SessionEnd, receivedAt: c.receivedAt } } : {}),
      });
    }
    for (const c of this.cdrs.cdrs.values()) {
      if (seen.has(c.SessionID)) continue;
      rows.push({
        SessionID: c.SessionID,
        OperatorID: c.OperatorID,
        EvseID: c.EvseID,
        startedAt: c.receivedAt,
        cdr: { ConsumedEnergy: c.ConsumedEnergy, SessionStart: c.SessionStart, SessionEnd: c.SessionEnd, receivedAt: c.receivedAt },
      });
    }
    return rows.sort((a, b) => (b.cdr?.receivedAt ?? b.startedAt) - (a.cdr?.receivedAt ?? a.startedAt)).slice(0, limit);
  }

  /** What GET /admin/state returns and the admin page shows. */
  adminView(logLines = 50): AdminView {
    const s = this.stats;
    return {
      url: this.url,
      counters: {
        requests: s.requests,
        pushes: s.pushes,
        overlaps: s.overlaps,
        maxInFlight: s.maxInFlight,
        rateLimited: s.rateLimited,
        http429: s.byStatus[429] ?? 0,
      },
      latencyMs: this.latency,
      refusingConnections: this.refusing,
      requireData: this.requireData,
      faults: this.faults.map((f) => ({ id: f.id, ...f.fault, remaining: f.remaining, until: f.until, hits: f.hits })),
      sessions: this.sessionRows(),
      operators: [...this.model.state.entries()].map(([k, st]) => {
        // Status and data side by side: an EVSE with only one of them is listed too.
        const data = this.model.data.get(k) ?? new Map();
        const keys = new Set([...st.evses.keys(), ...data.keys()]);
        return {
          OperatorID: st.OperatorID,
          ...(st.OperatorName !== undefined ? { OperatorName: st.OperatorName } : {}),
          evses: [...keys]
            .map((key) => {
              const e = st.evses.get(key);
              const d = data.get(key);
              return {
                EvseID: e?.EvseID ?? d!.EvseID,
                EvseStatus: e?.EvseStatus,
                updatedAt: e?.updatedAt ?? d!.updatedAt,
                ...(d ? { data: dataSummary(d.record) } : {}),
              };
            })
            .sort((a, b) => a.EvseID.localeCompare(b.EvseID)),
        };
      }),
      log: this.log
        .toArray()
        .slice(-logLines)
        .map((e) => ({ ...e })),
    };
  }
}
