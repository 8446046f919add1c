import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { idRules, parseOperatorId, OPERATOR_NAME_MAX_LENGTH } from './oicp/ids';
import { certOperatorId, clientCertificateProblem } from './oicp/certificate';
import { ENVIRONMENTS, HubjectClient, type Environment, type TlsOptions } from './oicp/client';
import { acquireGate, acquireQueue, outboxPath } from './push/registry';
import { GATE_MODES, type GateMode, type StatusGate } from './push/gate';
import { laneStats } from './ops/stats';
import { outboxSizeProbe } from './ops/outbox-size';
import type { LanePolicy, PushQueue } from './push/queue';
import { statusPolicy } from './push/status-lane';
import { dataPolicy, type DataItem } from './evse-data/lane';
import type { EvseStatusRecord } from './oicp/schemas';
import { operatorNameError, serialiseDataRequest, type DataRequest } from './evse-data';
import { acquireOperatorEvseData, type OperatorEvseData } from './evse-data/operator';
import {
  HUBJECT_CONFIG_TYPE,
  LIMITS,
  NUMBER_VALIDATOR_SOURCE,
  exported,
  limits,
  splitOperatorIds,
  editorNumber,
  optionalEditorBoolean,
  optionalEditorNumber,
  translator,
  type HubjectConfig,
  type HubjectConfigNode,
} from './node-red';
import { CERT_WARN_DAYS, DAY_MS, certificateValidTo } from './node-red/certificate';
import { lendToTests } from './node-red/test-hooks';
import { SessionStore } from './sessions/store';
import { CdrMarks, cdrPolicy, CDR_RATE_PER_MINUTE, type CdrItem } from './sessions/cdr-lane';

interface ConfigDef extends NodeDef {
  environment?: string;
  url?: string;
  operatorId?: string;
  subOperatorIds?: string;
  operatorName?: string;
  tls?: string;
  timeout?: string | number;
  rateLimit?: string | number;
  dataRateLimit?: string | number;
  maxBodyMB?: string | number;
  retryBase?: string | number;
  retryMax?: string | number;
  maxRecords?: string | number;
  insertMissing?: boolean | string;
  statusGate?: string;
  holdMaxHours?: string | number;
  /** CDRs a minute (default 350, Hubject's limit); not in the dialog: for the simulator and benchmarks. */
  cdrRateLimit?: string | number;
  /** 2 or more: saved by a dialog that shows a missing setting as the runtime's default (see insertMissingOf). */
  editorRevision?: string | number;
}

/**
 * The config's insertMissing. Dialogs before editor revision 2 showed a missing insertMissing unchecked and saved
 * false on Update; a push status node of the same config still saying true is then what the author set.
 */
function insertMissingOf(def: ConfigDef, pushSays: boolean[]): { value: boolean | undefined; migrated: boolean } {
  const own = optionalEditorBoolean(def.insertMissing);
  if (own === false && !(Number(def.editorRevision) >= 2) && pushSays.includes(true)) return { value: true, migrated: true };
  return { value: own, migrated: false };
}

/** The tls-config node's runtime side, as far as it is used here. */
interface TlsConfigNode extends Node {
  valid?: boolean;
  addTLSOptions(opts: TlsOptions): void;
}

/** The dialog's node settings (RED.settings.<name>): the id rules, its number limits and the runtime's number check. */
const SETTINGS = {
  oicpHubjectConfigIdRules: exported(idRules()),
  oicpHubjectConfigLimits: exported(limits('timeout', 'rateLimit', 'dataRateLimit', 'retryBase', 'retryMax', 'maxRecords', 'holdMaxHours', 'maxBodyMB')),
  oicpHubjectConfigNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
};

export = function (RED: NodeAPI) {
  const t = translator(RED, HUBJECT_CONFIG_TYPE);

  function HubjectConfigNode(this: HubjectConfigNode, def: ConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this;

    // ---- parse the config ----
    const environment = (['qa', 'production', 'custom'].includes(def.environment ?? '') ? def.environment : 'qa') as Environment;
    const envLabel = environment === 'production' ? 'PRODUCTION' : environment === 'qa' ? 'QA' : 'CUSTOM';
    const baseUrl = environment === 'custom' ? String(def.url ?? '').trim() : ENVIRONMENTS[environment];
    const operatorName = typeof def.operatorName === 'string' && def.operatorName.trim() ? def.operatorName.trim() : undefined;
    const errors: string[] = [];
    const warnings: string[] = [];
    let caution: string | undefined;

    const op = parseOperatorId(def.operatorId);
    if (!op.ok) errors.push(op.error);
    const subs: string[] = [];
    for (const raw of splitOperatorIds(def.subOperatorIds)) {
      const sub = parseOperatorId(raw);
      if (!sub.ok) errors.push(t('errors.subOperator', { error: sub.error }));
      else if (sub.value !== (op.ok ? op.value : '') && !subs.includes(sub.value)) subs.push(sub.value);
    }
    if (operatorName && operatorName.length > OPERATOR_NAME_MAX_LENGTH) {
      errors.push(t('errors.operatorName', { max: OPERATOR_NAME_MAX_LENGTH }));
    }
    if (environment === 'custom' && !/^https?:\/\/[^\s/]+/i.test(baseUrl)) errors.push(t('errors.url', { url: baseUrl }));

    const tlsNode = def.tls ? (RED.nodes.getNode(def.tls) as TlsConfigNode | null) : null;
    const tls: TlsOptions = {};
    if (def.tls && !tlsNode) errors.push(t('errors.tlsMissing'));
    else if (tlsNode && tlsNode.valid === false) errors.push(t('errors.tlsInvalid'));
    else if (tlsNode) tlsNode.addTLSOptions(tls);
    if (environment !== 'custom') {
      if (!tlsNode) errors.push(t('errors.tlsNone', { env: envLabel }));
      // A tls-config with only a CA would connect, then fail every handshake at Hubject and retry for ever.
      else if (tlsNode.valid !== false && (!tls.cert || !tls.key)) errors.push(t('errors.noClientCert', { env: envLabel }));
    }
    if (tls.rejectUnauthorized === false) {
      warnings.push(t('warnings.verifyOff'));
      // Shown next to the push node's counters for as long as it is so, not only once at deploy.
      caution = t('status.verifyOff');
    }
    const gateMode: GateMode = GATE_MODES.includes(def.statusGate as GateMode) ? (def.statusGate as GateMode) : 'auto';
    if (def.statusGate !== undefined && def.statusGate !== '' && gateMode !== def.statusGate)
      warnings.push(t('warnings.statusGate', { value: String(def.statusGate) }));
    const dataRate = editorNumber(def.dataRateLimit, LIMITS.dataRateLimit);
    if (dataRate > LIMITS.dataRateLimit.default) warnings.push(t('warnings.dataRateLimit', { value: dataRate }));
    const certOp = certOperatorId(tls.cert);
    if (op.ok && certOp && certOp !== op.value) warnings.push(t('warnings.certOperator', { cert: certOp, operator: op.value }));
    const pushSays: boolean[] = [];
    RED.nodes.eachNode((n: NodeDef & { hubject?: string; insertMissing?: unknown }) => {
      const v = n.type === 'oicp-push-evse-status' && n.hubject === node.id ? optionalEditorBoolean(n.insertMissing) : undefined;
      if (v !== undefined) pushSays.push(v);
    });
    const insertMissing = insertMissingOf(def, pushSays);
    if (insertMissing.migrated) warnings.push(t('warnings.insertMissingMigrated'));

    // ---- build the core ----
    let queue: PushQueue<EvseStatusRecord> | null = null;
    let gate: StatusGate | null = null;
    let dataQueue: PushQueue<DataItem> | null = null;
    let makeDataQueue: (() => PushQueue<DataItem>) | null = null;
    let evseData: OperatorEvseData | null = null;
    let makeEvseData: (() => OperatorEvseData) | null = null;
    const dataConfigError = operatorNameError(operatorName);
    let client: HubjectClient | undefined = undefined;
    // Locally known problems block sending but not queueing, so a fix and redeploy loses nothing.
    let blocked = clientCertificateProblem(tls.cert);
    const listeners = new Set<() => void>();
    // ---- roaming sessions (issue 22): the session store and the authorization calls ----
    let sessions: SessionStore | null = null;
    let makeSessions: (() => SessionStore) | null = null;
    // ---- the CDR lane (issue 22): made when the first push cdr node asks, with its exactly-once marks ----
    let cdrQueue: PushQueue<CdrItem> | null = null;
    let makeCdrQueue: (() => PushQueue<CdrItem>) | null = null;
    let cdrMarks: CdrMarks | null = null;
    const configError = errors.length ? errors.join('; ') : undefined;
    const hubject: HubjectConfig = {
      environment,
      envLabel,
      baseUrl,
      operatorName,
      configError,
      warnings,
      caution,
      operatorId: op.ok ? op.value : undefined,
      operatorIds: op.ok ? [op.value, ...subs] : [],
      maxRecords: optionalEditorNumber(def.maxRecords, LIMITS.maxRecords),
      insertMissing: insertMissing.value,
      lane: ((operation: 'status' | 'data' | 'chargeDetailRecord') => {
        if (operation === 'status') return queue;
        if (operation === 'chargeDetailRecord') {
          if (!cdrQueue && makeCdrQueue) cdrQueue = makeCdrQueue();
          return cdrQueue;
        }
        if (!dataQueue && makeDataQueue && !dataConfigError) dataQueue = makeDataQueue();
        return dataQueue;
      }) as HubjectConfig['lane'],
      get gate() {
        return gate;
      },
      dataConfigError,
      maxBodyBytes: editorNumber(def.maxBodyMB, LIMITS.maxBodyMB) * 1_000_000,
      evseData: () => {
        if (!evseData && makeEvseData && !dataConfigError) evseData = makeEvseData();
        return evseData;
      },
      blocked: () => blocked,
      cdrMarks: () => {
        hubject.lane('chargeDetailRecord');
        return cdrMarks;
      },
      sessions: () => {
        if (!sessions && makeSessions) sessions = makeSessions();
        return sessions;
      },
      authorize: async (operation, body, ms) => {
        if (!client || !op.ok) return { class: 'config', reason: configError ?? 'no Hubject configuration', durationMs: 0 };
        if (blocked) return { class: 'config', reason: blocked, durationMs: 0 };
        const signal = AbortSignal.timeout(ms);
        const r = await client.call(operation, op.value, body, signal);
        return signal.aborted && r.httpStatus === undefined ? { ...r, timedOut: true } : r;
      },
      onChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    node.hubject = hubject;
    // The fault suites wrap the client (test-only, see node-red/test-hooks); nodes use node.hubject only.
    lendToTests(node, { client: () => client });

    if (configError || !op.ok) {
      node.error(t('log.prefix', { text: configError ?? '' }));
      return;
    }
    for (const w of warnings) node.warn(t('log.prefix', { text: w }));

    const timeoutMs = editorNumber(def.timeout, LIMITS.timeout) * 1000;
    client = new HubjectClient({ baseUrl, operatorId: op.value, tls, timeoutMs });
    const c = client;
    const userDir: string | undefined = RED.settings?.userDir;
    // ---- the lanes: one per operation, each with its policy, rate and outbox; the ops view observes each ----
    const openLane = <T>(policy: LanePolicy<T>, ratePerMinute: number, maxRecords: number | undefined): PushQueue<T> => {
      const l = acquireQueue<T>(op.value, baseUrl, userDir, {
        policy,
        operatorName,
        requestTimeoutMs: timeoutMs,
        ratePerMinute,
        maxRecords,
        backoffBaseMs: editorNumber(def.retryBase, LIMITS.retryBase) * 1000,
        backoffMaxMs: editorNumber(def.retryMax, LIMITS.retryMax) * 1000,
      });
      const observer = laneStats({ operator: op.value, operation: policy.operation, environment, url: baseUrl });
      observer.source = l.source(userDir ? outboxSizeProbe(outboxPath(userDir, op.value, baseUrl, policy.operation)) : undefined);
      l.observe(observer);
      return l;
    };
    queue = openLane(statusPolicy, editorNumber(def.rateLimit, LIMITS.rateLimit), undefined);
    // The operator's queue settings; a push node still carrying its own applies them only when these are unset.
    queue.configure({ maxRecords: hubject.maxRecords, insertMissing: hubject.insertMissing });
    const q = queue;
    const g = acquireGate(op.value, baseUrl, userDir, { mode: gateMode, holdMaxHours: editorNumber(def.holdMaxHours, LIMITS.holdMaxHours) });
    gate = g;

    // The operator's EVSE data store, shared by its data nodes; per-node stores of earlier versions are merged into it.
    makeEvseData = () => {
      const oicpDir = userDir ? path.join(userDir, 'oicp') : undefined;
      const migrate: string[] = [];
      if (oicpDir)
        RED.nodes.eachNode((n: NodeDef & { hubject?: string }) => {
          if (n.type === 'oicp-push-evse-data' && n.hubject === node.id)
            migrate.push(path.join(oicpDir, `evse-data-${String(n.id).replace(/[^A-Za-z0-9._-]/g, '_')}`));
        });
      const existing = migrate.filter((d) => fs.existsSync(d));
      return acquireOperatorEvseData({
        dir: oicpDir ? path.join(oicpDir, 'evse-data', path.basename(outboxPath(userDir!, op.value, baseUrl), '.json')) : undefined,
        migrate: existing,
        operatorId: op.value,
        gate: g,
        minRatio: LIMITS.minRatio.default,
        log: { log: (x) => node.log(x), warn: (x) => node.warn(x), error: (x) => node.error(x) },
      });
    };
    // The data lane: its own queue, outbox and rate, made when the first data node asks (most flows push status only).
    makeDataQueue = () => {
      const dq = openLane(dataPolicy, editorNumber(def.dataRateLimit, LIMITS.dataRateLimit), hubject.maxRecords ?? LIMITS.maxRecords.default);
      // Answers are acknowledged into the store: the lane sends once the store is read, never into an unread one.
      const data = hubject.evseData()!;
      data.attachQueue(dq);
      void data.ready.then(() => {
        if (!blocked && makeDataQueue) dq.start((body: DataRequest, signal: AbortSignal) => c.call('data', op.value, () => serialiseDataRequest(body), signal));
      });
      return dq;
    };

    // The operator's session store: sessions and the last OCPP transactionId, one directory per operator.
    makeSessions = () => {
      const dir = userDir ? path.join(userDir, 'oicp', 'sessions', path.basename(outboxPath(userDir, op.value, baseUrl), '.json')) : undefined;
      const store = new SessionStore({ dir });
      const report = store.load();
      for (const w of report?.warnings ?? []) node.warn(t('log.prefix', { text: w }));
      return store;
    };

    // The CDR lane: one CDR per request, never merged, its own outbox and dead letters; the marks keep it exactly once.
    const sessionsDir = () => (userDir ? path.join(userDir, 'oicp', 'sessions', path.basename(outboxPath(userDir, op.value, baseUrl), '.json')) : undefined);
    makeCdrQueue = () => {
      const marks = new CdrMarks({ dir: sessionsDir() });
      for (const w of marks.load()?.warnings ?? []) node.warn(t('log.prefix', { text: w }));
      const given = Number(def.cdrRateLimit);
      const rate = Number.isInteger(given) && given > 0 ? given : CDR_RATE_PER_MINUTE;
      const cq = openLane(cdrPolicy, rate, 1);
      // A refused CDR fails as it is: never re-sent as another ActionType.
      cq.configure({ insertMissing: false });
      const known = cq.pendingKeys(['update', 'insert', 'delete', 'fullLoad']);
      for (const l of cq.deadLetters?.list() ?? []) known.add(l.key);
      marks.forgetMissing(known);
      cdrMarks = marks;
      if (!blocked) cq.start(marks.transport((body, signal) => c.call('chargeDetailRecord', op.value, body, signal), rate));
      return cq;
    };

    // ---- wire: send, and check the client certificate daily ----
    if (blocked) node.error(t('log.prefix', { text: blocked }));
    else q.start((body, signal) => c.call('status', op.value, body, signal));
    // After the queue starts: statuses released at once (data acknowledged before a restart) go out.
    g.attach(q);

    const checkCertificate = () => {
      const problem = clientCertificateProblem(tls.cert);
      if (problem && !blocked) {
        // Expired while running: hold changes locally, as at deploy.
        blocked = problem;
        q.stop();
        dataQueue?.stop();
        cdrQueue?.stop();
        node.error(t('log.prefix', { text: problem }));
        for (const l of listeners) l();
        return;
      }
      const until = certificateValidTo(tls.cert);
      const days = until ? Math.floor((until.getTime() - Date.now()) / DAY_MS) : undefined;
      if (!problem && days !== undefined && days < CERT_WARN_DAYS) {
        node.warn(t('log.prefix', { text: t('warnings.certExpires', { days, date: until!.toISOString().slice(0, 10) }) }));
      }
    };
    checkCertificate();
    const daily = setInterval(checkCertificate, DAY_MS);
    daily.unref?.();

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(daily);
      listeners.clear();
      g.stop();
      q.stop();
      dataQueue?.stop();
      cdrQueue?.stop();
      makeDataQueue = null;
      makeCdrQueue = null;
      makeEvseData = null;
      makeSessions = null;
      // destroy, not close: a hung request must not hold the close past 1 s. The store writes what is acknowledged.
      Promise.all([c.destroy(), evseData?.close(), sessions?.close(), cdrMarks?.close()]).then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType(HUBJECT_CONFIG_TYPE, HubjectConfigNode, { settings: SETTINGS });
};
