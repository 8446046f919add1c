// The CPO's remote start/stop endpoint: Hubject calls
//   POST {prefix}/api/oicp/charging/v21/providers/{ProviderID}/authorize-remote/start|stop
// The request is checked (schema, ProviderID path vs body, EVSE and session lookups), handed to the flow, and
// answered with the flow's answer, or false/501 at the watchdog's deadline. No Node-RED import.
import { HttpError, Router, type RequestContext } from '../oicp/server';
import { evseKey } from '../oicp/ids';
import type { SessionRecord, SessionStore } from '../sessions/store';
import { acknowledgement, type Acknowledgement } from './acknowledgement';
import { readFlowAnswer, type FlowAnswer } from './answer';
import type { EvseLocation, EvseLocator } from './evse';
import { remoteStartRequest, remoteStopRequest, type OcppRequest, type OcppVersion } from './ocpp';
import { PendingTable, type Pending } from './pending';
import { checkRemoteRequest, type RemoteAction, type RemoteRequest, type RemoteStart } from './schemas';

export const REMOTE_PATH = '/api/oicp/charging/v21/providers/{ProviderID}/authorize-remote/{start|stop}';
export const DEFAULT_DEADLINE_MS = 8000;
/** Assumption: a 1.6 charger starts its transaction within 3 minutes of the RemoteStartTransaction. */
export const DEFAULT_LINK_WINDOW_MS = 180_000;

/** What the operator's EVSE data store says about an EvseID. */
export interface EvseDataView {
  /** How many EVSEs the store holds (0: the CPO pushes data with another tool). */
  size: number;
  isAcknowledged(evseId: string): boolean;
  get?(evseId: string): unknown;
}

/** One request handed to the flow (remote-in's message). */
export interface RemoteCall {
  id: string;
  action: RemoteAction;
  request: RemoteRequest;
  providerId: string;
  /** The OCPP request for the charger, when the EVSE and (for a stop) the transaction are known. */
  ocpp?: OcppRequest;
  evse: { EvseID: string; record?: unknown } & EvseLocation;
  session?: SessionRecord;
  client?: string;
  receivedAt: number;
}

export type RemoteConsumer = (call: RemoteCall) => void;

export interface RemoteLog {
  info(text: string): void;
  warn(text: string): void;
}

export interface RemoteEndpointOptions {
  /** Path before /api/oicp (the URL registered in Hubject's portal may have one); '' by default. */
  prefix?: string;
  deadlineMs?: number;
  ocppVersion?: OcppVersion;
  locate?: EvseLocator;
  evseData?: () => EvseDataView | null | undefined;
  sessions?: () => SessionStore | null | undefined;
  log?: RemoteLog;
  now?: () => number;
  /** Each answer with its time, for the status line and the ops view. */
  onAnswer?: (action: RemoteAction, ack: Acknowledgement, ms: number) => void;
}

interface Waiting {
  call: RemoteCall;
  started: number;
}

export function remoteRoute(prefix = ''): RegExp {
  const p = prefix.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${p}/api/oicp/charging/v21/providers/([^/]+)/authorize-remote/(start|stop)$`);
}

export class RemoteEndpoint {
  readonly router = new Router<RequestContext>();
  private readonly pending: PendingTable<Waiting>;
  private consumer: { fn: RemoteConsumer; key: object } | undefined;
  private readonly deadlineMs: number;
  private readonly log: RemoteLog;
  private readonly now: () => number;
  answered = { start: 0, stop: 0, timedOut: 0, late: 0 };
  /** Answers on their way out (a session write, then the bytes): a close waits for them. */
  private readonly finishing = new Set<Promise<void>>();

  constructor(private readonly opts: RemoteEndpointOptions = {}) {
    this.deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.log = opts.log ?? { info: () => undefined, warn: () => undefined };
    this.now = opts.now ?? Date.now;
    this.pending = new PendingTable<Waiting>((p) => {
      this.answered.timedOut++;
      this.log.warn(`remote ${p.data.call.action} ${p.data.call.request.SessionID}: no answer from the flow within ${this.deadlineMs} ms, answered false/501`);
      void this.track(this.finish(p, { result: false, code: '501', additionalInfo: `no answer from the charger within ${this.deadlineMs} ms` }));
    });
    this.router.post(remoteRoute(opts.prefix), (ctx, params) => this.handle(ctx, params));
  }

  /** The flow's remote-in; a second one replaces the first. Returns the detach function (answers its waiting requests false). */
  attach(fn: RemoteConsumer): () => void {
    const key = {};
    this.consumer = { fn, key };
    return () => {
      if (this.consumer?.key === key) this.consumer = undefined;
      for (const p of this.pending.takeAll(key)) void this.track(this.finish(p, { result: false, code: '501', additionalInfo: 'the flow was redeployed' }));
    };
  }

  get attached(): boolean {
    return this.consumer !== undefined;
  }
  get waiting(): number {
    return this.pending.size;
  }

  /**
   * The flow's answer to a request. 'late' when the request was answered already (the watchdog): the answer is
   * dropped with a warning. Throws AnswerError for an answer that says neither yes nor no.
   */
  async answer(id: string, payload: unknown, code?: unknown): Promise<'sent' | 'late'> {
    const a = readFlowAnswer(payload, code);
    const p = this.pending.take(id);
    if (!p) {
      this.answered.late++;
      this.log.warn(`remote answer for request ${id} dropped: it was answered already (deadline ${this.deadlineMs} ms) or is unknown`);
      return 'late';
    }
    await this.track(this.finish(p, a));
    return 'sent';
  }

  /** Answers every waiting request false (the endpoint closes); resolves once every answer is sent. */
  async drain(reason: string): Promise<void> {
    for (const p of this.pending.takeAll()) void this.track(this.finish(p, { result: false, code: '501', additionalInfo: reason }));
    await Promise.all([...this.finishing]);
  }

  private track(p: Promise<void>): Promise<void> {
    const t = p.finally(() => this.finishing.delete(t));
    this.finishing.add(t);
    return t;
  }

  private async finish(p: Pending<Waiting>, a: FlowAnswer): Promise<void> {
    const { call } = p.data;
    const r = call.request;
    const store = this.opts.sessions?.();
    try {
      if (call.action === 'start' && store) {
        const s = store.get(r.SessionID);
        // The charger's transaction may already have linked it (it can come before the flow's answer). Not waited
        // for: the store holds it at once, and an 'accepted' lost to a crash still links as 'pending'.
        if (s && s.remote !== 'linked')
          void store
            .put({ ...s, remote: a.result ? 'accepted' : 'refused', ...(a.result ? {} : { stoppedAt: new Date(this.now()).toISOString() }) })
            .catch((e: Error) => this.log.warn(`remote start ${r.SessionID}: session store write failed: ${e.message}`));
      }
    } catch (e) {
      this.log.warn(`remote start ${r.SessionID}: session store write failed: ${(e as Error).message}`);
    }
    const ack = acknowledgement(a.result, a.code, a.additionalInfo, r);
    await p.settle(ack);
    this.answered[call.action]++;
    this.opts.onAnswer?.(call.action, ack, this.now() - p.data.started);
  }

  private async handle(ctx: RequestContext, params: string[]): Promise<void> {
    const started = this.now();
    const action = params[1] as RemoteAction;
    let pathProvider: string;
    try {
      pathProvider = decodeURIComponent(params[0]!);
    } catch {
      throw new HttpError(400, 'bad ProviderID in the path', acknowledgement(false, '022', 'ProviderID in the path is not URL-encoded correctly'));
    }
    let body: unknown;
    try {
      body = await ctx.json();
    } catch (e) {
      if (e instanceof HttpError && e.status === 400) throw new HttpError(400, e.message, acknowledgement(false, '022', `body: ${e.message}`));
      throw e;
    }
    const checked = checkRemoteRequest(action, body);
    if (!checked.ok) throw new HttpError(400, 'schema', acknowledgement(false, '022', `${checked.field}: ${checked.problem}`));
    const req = checked.value;
    if (req.ProviderID.toUpperCase() !== pathProvider.toUpperCase()) {
      throw new HttpError(400, 'ProviderID', acknowledgement(false, '022', `ProviderID: ${req.ProviderID} in the body, ${pathProvider} in the path`, req));
    }
    // Resolves once the answer left (or the client is gone), so a close never cuts an answer off.
    const send = (ack: Acknowledgement): Promise<void> =>
      new Promise((resolve) => {
        if (!ctx.send(200, ack)) return resolve();
        ctx.res.once('finish', () => resolve());
        ctx.res.once('close', () => resolve());
      });
    const refuse = (code: '603' | '400' | '501', info: string) => {
      const ack = acknowledgement(false, code, info, req);
      void send(ack);
      this.opts.onAnswer?.(action, ack, this.now() - started);
    };

    const data = this.opts.evseData?.() ?? null;
    const holdsData = !!data && data.size > 0;
    if (holdsData && !data.isAcknowledged(req.EvseID)) return refuse('603', `EVSE ${req.EvseID} is not in the operator's EVSE data`);
    const store = this.opts.sessions?.() ?? null;
    let session = action === 'stop' ? store?.get(req.SessionID) : undefined;
    if (action === 'stop' && !session && holdsData) return refuse('400', `no session ${req.SessionID}`);
    if (action === 'stop' && session && evseKey(session.EvseID ?? req.EvseID) !== evseKey(req.EvseID)) {
      return refuse('400', `session ${req.SessionID} is on ${session.EvseID}, not ${req.EvseID}`);
    }
    const consumer = this.consumer;
    if (!consumer) return refuse('501', 'no flow to start the charger (remote-in not deployed)');

    const where = this.opts.locate?.(req.EvseID) ?? {};
    const version = this.opts.ocppVersion ?? '1.6';
    let ocpp: OcppRequest | undefined;
    if (action === 'start') {
      const remoteStartId = store?.nextRemoteStartId() ?? 1;
      ocpp = remoteStartRequest(version, req as RemoteStart, where, remoteStartId);
      if (store) {
        const start = req as RemoteStart;
        session = {
          SessionID: start.SessionID,
          ProviderID: start.ProviderID,
          EvseID: start.EvseID,
          Identification: start.Identification as SessionRecord['Identification'],
          sessionStart: new Date(started).toISOString(),
          remote: 'pending',
          remoteStartAt: started,
        };
        if (version === '2.0.1') session.remoteStartId = remoteStartId;
        if (where.chargeBoxId !== undefined) session.chargeBoxId = where.chargeBoxId;
        if (where.connectorId !== undefined) session.connectorId = where.connectorId;
        for (const k of ['CPOPartnerSessionID', 'EMPPartnerSessionID', 'PartnerProductID'] as const) if (start[k]) session[k] = start[k];
        // Durable before the charger is asked, so its transaction always finds Hubject's SessionID.
        await store.put(session);
      }
    } else {
      ocpp = remoteStopRequest(version, session?.transactionId, session?.chargeBoxId ?? where.chargeBoxId);
    }
    const call: RemoteCall = {
      id: '',
      action,
      request: req,
      providerId: pathProvider,
      evse: { EvseID: req.EvseID, ...where, ...(data?.get ? { record: data.get(req.EvseID) } : {}) },
      client: ctx.client.subject,
      receivedAt: started,
    };
    if (ocpp) call.ocpp = ocpp;
    if (session) call.session = session;
    const p = this.pending.add({ call, started }, this.deadlineMs, send, consumer.key);
    call.id = p.id;
    // Hubject gone before the answer: nothing to do but keep the table small.
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) this.pending.take(p.id);
    });
    try {
      consumer.fn(call);
    } catch (e) {
      this.pending.take(p.id);
      throw e;
    }
  }
}
