// Node-RED node 'oicp-authorize': a charger's Authorize/StartTransaction/TransactionEvent (or a plain
// {Identification, EvseID}) in, Hubject's eRoamingAuthorizeStart/Stop answer and the charger's answer out.
// A thin adapter: the bodies and answers come from ./sessions, the call and the session store from the config node.

import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import {
  buildAuthorizeStart,
  buildAuthorizeStop,
  compileLocalList,
  decideAuthorization,
  evseNumberOf,
  mayStopLocally,
  linkReusedSession,
  ocppInt,
  readChargerRequest,
  readTransactionStart,
  reusableSession,
  type AuthorizeRequest,
  type AuthorizeStartBody,
  type AuthorizationDecision,
  type AuthorizationOutcome,
  type AuthorizeOptions,
  type ChargerRequest,
  type TransactionLink,
} from './sessions';
import type { SessionRecord, SessionStore } from './sessions/store';
import { recordAuthorize, type AuthorizeOutcome } from './sessions/stats';
import type { CallResult } from './oicp/client';
import { linkedSession, remoteStartFor } from './remote/link';
import {
  LIMITS,
  NUMBER_VALIDATOR_SOURCE,
  exported,
  limits,
  StatusView,
  editorNumber,
  failInput,
  linkedHubject,
  refuseInputs,
  translator,
  type Done,
  type HubjectConfig,
  type Status,
} from './node-red';

const TYPE = 'oicp-authorize';
// The editor's settings: the runtime's timeout limit and its one number check.
const SETTINGS = {
  oicpAuthorizeLimits: exported(limits('authorizeTimeout')),
  oicpAuthorizeNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
};
const ACTIONS = ['start', 'stop'] as const;
type Action = (typeof ACTIONS)[number];

interface AuthorizeDef extends NodeDef {
  hubject?: string;
  action?: string;
  timeout?: string | number;
  localList?: string;
  evseIdTemplate?: string;
  partnerProductId?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What happened to the call, in the terms of decideAuthorization. */
function outcomeOf(r: CallResult & { timedOut?: boolean }): AuthorizationOutcome {
  if (r.timedOut || r.errorCode === 'TIMEOUT') return { kind: 'timeout' };
  if (r.httpStatus === undefined) return { kind: 'unreachable', error: r.reason };
  if (r.httpStatus >= 200 && r.httpStatus < 300) return { kind: 'answer', body: r.answer ?? null };
  return { kind: 'http', status: r.httpStatus };
}

function metricOutcome(d: AuthorizationDecision): AuthorizeOutcome {
  if (d.source === 'hubject') return d.authorized ? 'authorized' : 'notAuthorized';
  return d.source;
}

/** The session a stop names: msg.SessionID or payload.SessionID, a 1.6 transactionId, or a 2.0.1 transactionInfo.transactionId. */
function sessionOf(msg: Obj, req: ChargerRequest | undefined, store: SessionStore): SessionRecord | undefined {
  const p = isObj(msg.payload) ? msg.payload : {};
  const sid = typeof msg.SessionID === 'string' ? msg.SessionID : typeof p.SessionID === 'string' ? p.SessionID : undefined;
  if (sid !== undefined) {
    const s = store.get(sid);
    if (!s) throw new Error(`no session ${sid} in the session store`);
    return s;
  }
  if (!req) return undefined;
  if (req.family === 1 && req.data.transactionId !== undefined) {
    const id = ocppInt(req.data.transactionId, `${req.command}.transactionId`)!;
    const s = store.byTransactionId(id);
    if (!s) throw new Error(`${req.command}.transactionId ${id} belongs to no session in the session store`);
    return s;
  }
  const info = req.data.transactionInfo;
  if (isObj(info) && info.transactionId !== undefined) {
    const s = store.byTransactionId(String(info.transactionId));
    if (!s) throw new Error(`${req.command}.transactionInfo.transactionId ${String(info.transactionId)} belongs to no session in the session store`);
    return s;
  }
  if (req.chargeBoxId !== undefined) {
    const n = evseNumberOf(req);
    if (n !== undefined) return store.openOnConnector(req.chargeBoxId, n);
  }
  return undefined;
}

/** A transaction's start: 1.6 StartTransaction, or a 2.0.1 TransactionEvent with an idToken (not Ended). */
function isTransaction(r: ChargerRequest): boolean {
  return r.command === 'StartTransaction' || r.command === 'TransactionEvent';
}

/** Meter start in Wh: 1.6 meterStart; 2.0.1 the Started event's register value, if any (else push cdr names MeterValueStart). */
function meterStartOf(r: ChargerRequest, msg: unknown): number | undefined {
  if (r.command === 'StartTransaction') return ocppInt(r.data.meterStart, 'StartTransaction.meterStart');
  if (r.command !== 'TransactionEvent' || r.data.eventType !== 'Started') return undefined;
  try {
    return Number(readTransactionStart(msg).meterStart);
  } catch {
    return undefined;
  }
}

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function OicpAuthorizeNode(this: Node, def: AuthorizeDef) {
    RED.nodes.createNode(this, def);
    const node = this;

    // ---- parse the config ----
    let configError: string | undefined;
    let hubject: HubjectConfig | undefined;
    let localList: ReadonlySet<string> = new Set();
    const defaultAction: Action = (ACTIONS as readonly string[]).includes(def.action ?? '') ? (def.action as Action) : 'start';
    const timeoutMs = editorNumber(def.timeout, LIMITS.authorizeTimeout) * 1000;
    try {
      const link = linkedHubject(RED, def.hubject);
      if (!link.hubject) throw new Error(t(link.problem === 'none' ? 'errors.noHubject' : 'kit.errors.configMissing'));
      if (link.hubject.configError) throw new Error(t('kit.errors.config', { error: link.hubject.configError }));
      if (!link.hubject.operatorId) throw new Error(t('kit.errors.noOperator'));
      hubject = link.hubject;
      localList = compileLocalList(def.localList);
    } catch (e) {
      configError = t('errors.config', { error: (e as Error).message });
    }
    const options: AuthorizeOptions = {
      OperatorID: hubject?.operatorId ?? '',
      subOperators: hubject?.operatorIds.slice(1),
      evseIdTemplate: def.evseIdTemplate || undefined,
      PartnerProductID: def.partnerProductId || undefined,
    };

    // ---- status: the last decision ----
    let last: Status | undefined;
    const view = new StatusView(node, {
      base: (): Status => {
        if (configError !== undefined) return { fill: 'red', shape: 'dot', text: t('status.configError') };
        return last ?? { fill: 'grey', shape: 'ring', text: t('status.none') };
      },
    });
    view.show();
    if (configError !== undefined || !hubject) {
      node.error(configError);
      refuseInputs(node, view, configError ?? '');
      return;
    }
    const h = hubject;

    function show(action: Action, d: AuthorizationDecision): void {
      const status = d.ocpp.idTagInfo ? (d.ocpp.idTagInfo as Obj).status : (d.ocpp.idTokenInfo as Obj).status;
      const values = { action, status: String(status), reason: d.reason };
      if (d.source === 'fallback') last = { fill: 'yellow', shape: 'ring', text: t('status.fallback', values) };
      else if (d.source === 'refused') last = { fill: 'red', shape: 'ring', text: t('status.refused', values) };
      else if (d.authorized) last = { fill: 'green', shape: 'dot', text: t('status.authorized', values) };
      else last = { fill: 'blue', shape: 'ring', text: t('status.notAuthorized', values) };
      view.refresh();
    }

    async function call(operation: 'authorizeStart' | 'authorizeStop', body: object): Promise<AuthorizationOutcome> {
      return outcomeOf(await h.authorize(operation, body, timeoutMs));
    }

    async function start(msg: NodeMessageInFlow, store: SessionStore): Promise<{ d: AuthorizationDecision; session?: SessionRecord; reused?: boolean }> {
      const linked = await linkRemoteStart(msg, store);
      if (linked) return linked;
      const req = buildAuthorizeStart(msg, options);
      const r = req.request;
      const reused = await reuseAuthorization(req, msg, store);
      if (reused) return reused;
      const started = performance.now();
      const outcome = await call('authorizeStart', req.body);
      // OCPP 1.6 StartTransaction.conf requires a transactionId whatever the answer: the counter is durable first.
      const transactionId = r?.command === 'StartTransaction' ? await store.assignTransactionId() : undefined;
      const d = decideAuthorization(outcome, { family: req.family, transactionId, localList, identification: req.body.Identification });
      let session: SessionRecord | undefined;
      if (d.source === 'hubject' && d.authorized && d.answer?.SessionID) {
        const a = d.answer;
        const data = r?.data ?? {};
        const info = isObj(data.transactionInfo) ? data.transactionInfo : undefined;
        session = {
          SessionID: a.SessionID!,
          Identification: req.body.Identification,
          sessionStart: typeof data.timestamp === 'string' ? data.timestamp : new Date().toISOString(),
          authorizedAt: Date.now(),
          authorizeStatusCode: a.StatusCode,
        };
        if (a.ProviderID) session.ProviderID = a.ProviderID;
        if (req.body.EvseID) session.EvseID = req.body.EvseID;
        if (r?.chargeBoxId !== undefined) session.chargeBoxId = r.chargeBoxId;
        const n = r ? evseNumberOf(r) : undefined;
        if (n !== undefined) session.connectorId = n;
        if (transactionId !== undefined) session.transactionId = transactionId;
        else if (info && info.transactionId !== undefined) session.transactionId = String(info.transactionId);
        const cpo = a.CPOPartnerSessionID ?? req.body.CPOPartnerSessionID;
        if (cpo) session.CPOPartnerSessionID = cpo;
        const emp = a.EMPPartnerSessionID ?? req.body.EMPPartnerSessionID;
        if (emp) session.EMPPartnerSessionID = emp;
        if (req.body.PartnerProductID) session.PartnerProductID = req.body.PartnerProductID;
        if (a.AuthorizationStopIdentifications?.length) session.AuthorizationStopIdentifications = a.AuthorizationStopIdentifications;
        if (r && isTransaction(r)) {
          const m = meterStartOf(r, msg);
          if (m !== undefined) session.meterStart = m;
          if (r.command === 'StartTransaction' || m !== undefined) session.chargingStart = session.sessionStart;
        }
        await store.put(session);
      }
      recordAuthorize(h.operatorId!, 'authorizeStart', metricOutcome(d), (performance.now() - started) / 1000);
      return { d, session };
    }

    // ---- a transaction after an Authorize with the same card takes that authorization's session ----
    async function reuseAuthorization(
      req: AuthorizeRequest<AuthorizeStartBody>,
      msg: NodeMessageInFlow,
      store: SessionStore,
    ): Promise<{ d: AuthorizationDecision; session: SessionRecord; reused: true } | undefined> {
      const r = req.request;
      if (!r || !isTransaction(r)) return undefined;
      const now = Date.now();
      const connectorId = evseNumberOf(r);
      const found = reusableSession(store.values(), { chargeBoxId: r.chargeBoxId, connectorId, Identification: req.body.Identification, now });
      if (!found) return undefined;
      const info = isObj(r.data.transactionInfo) ? r.data.transactionInfo : undefined;
      const link: TransactionLink = {};
      if (req.body.EvseID !== undefined) link.EvseID = req.body.EvseID;
      if (connectorId !== undefined) link.connectorId = connectorId;
      if (info && info.transactionId !== undefined) link.transactionId = String(info.transactionId);
      const m = meterStartOf(r, msg);
      if (m !== undefined) link.meterStart = m;
      if (typeof r.data.timestamp === 'string') link.chargingStart = r.data.timestamp;
      let session = linkReusedSession(found, link, now);
      // No await before the store holds the link: a second transaction with the same card cannot take it too.
      let transactionId: number | undefined;
      if (r.command === 'StartTransaction') {
        transactionId = await store.assignTransactionId(found.SessionID, session);
        session = store.get(found.SessionID)!;
      } else await store.put(session);
      const answer = {
        AuthorizationStatus: 'Authorized',
        SessionID: session.SessionID,
        ProviderID: session.ProviderID,
        StatusCode: session.authorizeStatusCode ?? { Code: '000' },
        CPOPartnerSessionID: session.CPOPartnerSessionID,
        EMPPartnerSessionID: session.EMPPartnerSessionID,
      };
      const d = decideAuthorization({ kind: 'answer', body: answer }, { family: req.family, transactionId, localList, identification: session.Identification });
      return { d, session, reused: true };
    }

    // ---- remote start (issue 23): the transaction that follows Hubject's remote start takes its SessionID ----
    async function linkRemoteStart(msg: NodeMessageInFlow, store: SessionStore): Promise<{ d: AuthorizationDecision; session: SessionRecord } | undefined> {
      let charger: ChargerRequest | undefined;
      try {
        charger = readChargerRequest(msg);
      } catch {
        return undefined;
      }
      const waiting = remoteStartFor(store, charger);
      if (!waiting || !charger) return undefined;
      let session = linkedSession(waiting, charger, msg);
      let transactionId: number | undefined;
      if (charger.command === 'StartTransaction') {
        transactionId = await store.assignTransactionId(waiting.SessionID, session);
        session = store.get(waiting.SessionID)!;
      } else await store.put(session);
      // Hubject authorized this session when it asked for the remote start: no AuthorizeStart for it.
      const answer = { AuthorizationStatus: 'Authorized', SessionID: session.SessionID, ProviderID: session.ProviderID, StatusCode: { Code: '000' } };
      const d = decideAuthorization(
        { kind: 'answer', body: answer },
        { family: charger.family, transactionId, localList, identification: session.Identification },
      );
      return { d: { ...d, reason: 'remote start' }, session };
    }

    async function stop(msg: NodeMessageInFlow, store: SessionStore): Promise<{ d: AuthorizationDecision; session?: SessionRecord }> {
      const m = msg as unknown as Obj;
      const p = isObj(m.payload) ? m.payload : undefined;
      // A plain stop may name only the SessionID; then the session's own token stops it.
      const plainSessionOnly = m.ocpp === undefined && p?.Identification === undefined && typeof (p?.SessionID ?? m.SessionID) === 'string';
      const charger = plainSessionOnly || (p && p.Identification !== undefined) ? undefined : readChargerRequest(msg);
      const session = sessionOf(m, charger, store);
      if (!session) throw new Error(t('errors.noSession'));
      const req = buildAuthorizeStop(plainSessionOnly ? undefined : msg, session, options);
      const started = performance.now();
      const outcome = await call('authorizeStop', req.body);
      let d = decideAuthorization(outcome, { family: req.family, localList, identification: req.body.Identification });
      // The token that started the session, or one Hubject listed in AuthorizationStopIdentifications, may stop it
      // even when Hubject says no or cannot be asked (spec 02).
      if (!d.authorized && d.source !== 'refused' && mayStopLocally(session, req.body.Identification)) {
        d = { ...d, authorized: true, status16: 'Accepted', status201: 'Accepted', ocpp: withStatus(d.ocpp) };
      }
      if (d.authorized) await store.put({ ...session, stoppedAt: new Date().toISOString() });
      recordAuthorize(h.operatorId!, 'authorizeStop', metricOutcome(d), (performance.now() - started) / 1000);
      return { d, session };
    }

    // ---- wire ----
    node.on('input', function (msg: NodeMessageInFlow, send: (m: Array<NodeMessage | null>) => void, done: Done) {
      const run = async () => {
        const raw = (msg as unknown as Obj).action ?? defaultAction;
        const action = typeof raw === 'string' ? raw.toLowerCase() : raw;
        if (action !== 'start' && action !== 'stop') throw new Error(t('errors.action', { action: String(raw) }));
        const store = h.sessions();
        if (!store) throw new Error(t('kit.errors.config', { error: h.configError ?? 'no session store' }));
        // The second output keeps the incoming message's routing fields (node-red-contrib-ocpp's server response node).
        const reply = RED.util.cloneMessage(msg) as NodeMessage;
        const { d, session, reused }: { d: AuthorizationDecision; session?: SessionRecord; reused?: boolean } =
          action === 'start' ? await start(msg, store) : await stop(msg, store);
        const out = msg as unknown as Obj;
        const a = d.answer;
        out.payload = {
          AuthorizationStatus: d.authorized ? 'Authorized' : 'NotAuthorized',
          SessionID: a?.SessionID ?? session?.SessionID ?? null,
          ProviderID: a?.ProviderID ?? null,
          StatusCode: a?.StatusCode ?? null,
          source: d.source,
          reason: d.reason,
        };
        out.ocpp = d.ocpp;
        if (session) out.session = session;
        // Hubject's stored answer to the Authorize: no AuthorizeStart was sent for this transaction.
        if (reused) out.oicp = { ...(isObj(out.oicp) ? out.oicp : {}), reused: true };
        reply.payload = d.ocpp;
        show(action, d);
        send([msg, reply]);
        done();
      };
      run().catch((e: unknown) => failInput(view, done, e));
    });

    node.on('close', function (_removed: boolean, done: () => void) {
      view.close();
      done();
    });
  }

  /** The charger's answer with its status Accepted (a stop the medium may make itself). */
  function withStatus(ocpp: Obj): Obj {
    const o: Obj = { ...ocpp };
    if (o.idTagInfo) o.idTagInfo = { ...(o.idTagInfo as Obj), status: 'Accepted' };
    if (o.idTokenInfo) o.idTokenInfo = { ...(o.idTokenInfo as Obj), status: 'Accepted' };
    return o;
  }

  RED.nodes.registerType(TYPE, OicpAuthorizeNode, { settings: SETTINGS });
};
