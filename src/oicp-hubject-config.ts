import type { Node, NodeAPI, NodeDef } from 'node-red';
import { idRules } from './oicp/ids';
import { clientCertificateProblem } from './oicp/certificate';
import { HubjectClient, type TlsOptions } from './oicp/client';
import { insertMissingOf, readHubjectSettings, type HubjectSettings } from './hubject/config';
import { OperatorLanes } from './hubject/operator';
import { operatorNameError } from './evse-data';
import {
  HUBJECT_CONFIG_TYPE,
  LIMITS,
  NUMBER_VALIDATOR_SOURCE,
  exported,
  limits,
  editorNumber,
  optionalEditorBoolean,
  optionalEditorNumber,
  translator,
  type HubjectConfig,
  type HubjectConfigNode,
} from './node-red';
import { DAY_MS } from './node-red/certificate';
import { lendToTests } from './node-red/test-hooks';

interface ConfigDef extends NodeDef, HubjectSettings {
  tls?: string;
  timeout?: string | number;
  rateLimit?: string | number;
  dataRateLimit?: string | number;
  maxBodyMB?: string | number;
  retryBase?: string | number;
  retryMax?: string | number;
  maxRecords?: string | number;
  insertMissing?: boolean | string;
  holdMaxHours?: string | number;
  /** CDRs a minute (default 350, Hubject's limit); not in the dialog: for the simulator and benchmarks. */
  cdrRateLimit?: string | number;
  /** 2 or more: saved by a dialog that shows a missing setting as the runtime's default (see insertMissingOf). */
  editorRevision?: string | number;
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
    const tlsNode = def.tls ? (RED.nodes.getNode(def.tls) as TlsConfigNode | null) : null;
    const tls: TlsOptions = {};
    if (tlsNode && tlsNode.valid !== false) tlsNode.addTLSOptions(tls);
    const tlsSetting = { named: !!def.tls, found: !!tlsNode, valid: tlsNode?.valid !== false, options: tls };
    const dataRate = { value: editorNumber(def.dataRateLimit, LIMITS.dataRateLimit), warnAbove: LIMITS.dataRateLimit.default };
    const setup = readHubjectSettings(def, tlsSetting, dataRate, t);
    const { environment, envLabel, baseUrl, operatorName, errors, warnings, caution, gateMode } = setup;
    const pushSays: boolean[] = [];
    RED.nodes.eachNode((n: NodeDef & { hubject?: string; insertMissing?: unknown }) => {
      const v = n.type === 'oicp-push-evse-status' && n.hubject === node.id ? optionalEditorBoolean(n.insertMissing) : undefined;
      if (v !== undefined) pushSays.push(v);
    });
    const insertMissing = insertMissingOf(optionalEditorBoolean(def.insertMissing), def.editorRevision, pushSays);
    if (insertMissing.migrated) warnings.push(t('warnings.insertMissingMigrated'));

    // ---- build the core: the operator's lanes and stores (src/hubject/operator.ts) ----
    let core: OperatorLanes | null = null;
    const dataConfigError = operatorNameError(operatorName);
    const listeners = new Set<() => void>();
    const configError = errors.length ? errors.join('; ') : undefined;
    const hubject: HubjectConfig = {
      environment,
      envLabel,
      baseUrl,
      operatorName,
      configError,
      warnings,
      caution,
      operatorId: setup.operatorId,
      operatorIds: setup.operatorIds,
      maxRecords: optionalEditorNumber(def.maxRecords, LIMITS.maxRecords),
      insertMissing: insertMissing.value,
      lane: ((operation: 'status' | 'data' | 'chargeDetailRecord') => core?.lane(operation) ?? null) as HubjectConfig['lane'],
      get gate() {
        return core?.gate ?? null;
      },
      dataConfigError,
      maxBodyBytes: editorNumber(def.maxBodyMB, LIMITS.maxBodyMB) * 1_000_000,
      evseData: () => core?.evseData() ?? null,
      // Locally known problems block sending but not queueing, so a fix and redeploy loses nothing.
      blocked: () => (core ? core.blocked : clientCertificateProblem(tls.cert)),
      cdrMarks: () => core?.cdrMarks() ?? null,
      sessions: () => core?.sessions() ?? null,
      authorize: async (operation, body, ms) =>
        core ? core.authorize(operation, body, ms) : { class: 'config', reason: configError ?? 'no Hubject configuration', durationMs: 0 },
      onChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    node.hubject = hubject;
    let client: HubjectClient | undefined = undefined;
    // The fault suites wrap the client (test-only, see node-red/test-hooks); nodes use node.hubject only.
    lendToTests(node, { client: () => client });

    if (configError || !setup.operatorId) {
      node.error(t('log.prefix', { text: configError ?? '' }));
      return;
    }
    for (const w of warnings) node.warn(t('log.prefix', { text: w }));

    const timeoutMs = editorNumber(def.timeout, LIMITS.timeout) * 1000;
    client = new HubjectClient({ baseUrl, operatorId: setup.operatorId, tls, timeoutMs });
    const blocked = clientCertificateProblem(tls.cert);
    if (blocked) node.error(t('log.prefix', { text: blocked }));
    const lanes = new OperatorLanes({
      client,
      operatorId: setup.operatorId,
      operatorName,
      environment,
      baseUrl,
      userDir: RED.settings?.userDir,
      blocked,
      dataConfigError,
      timeoutMs,
      backoffBaseMs: editorNumber(def.retryBase, LIMITS.retryBase) * 1000,
      backoffMaxMs: editorNumber(def.retryMax, LIMITS.retryMax) * 1000,
      statusRate: editorNumber(def.rateLimit, LIMITS.rateLimit),
      dataRate: editorNumber(def.dataRateLimit, LIMITS.dataRateLimit),
      cdrRate: def.cdrRateLimit,
      maxRecords: hubject.maxRecords,
      dataMaxRecords: LIMITS.maxRecords.default,
      insertMissing: hubject.insertMissing,
      gateMode,
      holdMaxHours: editorNumber(def.holdMaxHours, LIMITS.holdMaxHours),
      minRatio: LIMITS.minRatio.default,
      dataNodeIds: () => {
        const ids: string[] = [];
        RED.nodes.eachNode((n: NodeDef & { hubject?: string }) => {
          if (n.type === 'oicp-push-evse-data' && n.hubject === node.id) ids.push(n.id);
        });
        return ids;
      },
      log: { log: (x) => node.log(x), warn: (x) => node.warn(x), error: (x) => node.error(x) },
      warn: (text) => node.warn(t('log.prefix', { text })),
    });
    core = lanes;

    // ---- wire: check the client certificate daily ----
    const checkCertificate = () => {
      const found = lanes.checkCertificate(tls.cert);
      if (found.problem) {
        node.error(t('log.prefix', { text: found.problem }));
        for (const l of listeners) l();
      } else if (found.expires) node.warn(t('log.prefix', { text: t('warnings.certExpires', found.expires) }));
    };
    checkCertificate();
    const daily = setInterval(checkCertificate, DAY_MS);
    daily.unref?.();

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(daily);
      listeners.clear();
      lanes.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType(HUBJECT_CONFIG_TYPE, HubjectConfigNode, { settings: SETTINGS });
};
