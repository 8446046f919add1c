// The Hubject config node's settings, read and checked without Node-RED: environment, OperatorIDs, TLS, the gate
// mode and what the config node warns of. Texts come from the caller's catalogue (`say`).
import { parseOperatorId, OPERATOR_NAME_MAX_LENGTH } from '../oicp/ids';
import { certOperatorId } from '../oicp/certificate';
import { ENVIRONMENTS, type Environment, type TlsOptions } from '../oicp/client';
import { GATE_MODES, type GateMode } from '../status/gate';

export type Say = (key: string, values?: Record<string, string | number>) => string;

/** The settings as the dialog saves them (strings, mostly). */
export interface HubjectSettings {
  environment?: string;
  url?: string;
  operatorId?: string;
  subOperatorIds?: string;
  operatorName?: string;
  statusGate?: string;
}

/** What the tls-config node gave: whether one is named, found and valid, and the options it added. */
export interface TlsSetting {
  named: boolean;
  found: boolean;
  valid: boolean;
  options: TlsOptions;
}

export interface HubjectSetup {
  environment: Environment;
  /** QA, PRODUCTION or CUSTOM, shown in statuses. */
  envLabel: string;
  baseUrl: string;
  operatorId: string | undefined;
  /** The own OperatorID first, then the sub-operators; empty when the own one is invalid. */
  operatorIds: string[];
  operatorName: string | undefined;
  gateMode: GateMode;
  /** Why nothing can be sent (all of them); empty when the configuration can work. */
  errors: string[];
  warnings: string[];
  /** A standing caveat shown beside a push node's counters (TLS verification off). */
  caution: string | undefined;
}

/** OperatorIDs written one after another, separated by commas, semicolons or spaces. */
const splitIds = (text: unknown): string[] => (typeof text === 'string' ? text.split(/[\s,;]+/).filter((s) => s !== '') : []);

/** `dataRate`: the data lane's rate and the default it warns above. */
export function readHubjectSettings(def: HubjectSettings, tls: TlsSetting, dataRate: { value: number; warnAbove: number }, say: Say): HubjectSetup {
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
  for (const raw of splitIds(def.subOperatorIds)) {
    const sub = parseOperatorId(raw);
    if (!sub.ok) errors.push(say('errors.subOperator', { error: sub.error }));
    else if (sub.value !== (op.ok ? op.value : '') && !subs.includes(sub.value)) subs.push(sub.value);
  }
  if (operatorName && operatorName.length > OPERATOR_NAME_MAX_LENGTH) errors.push(say('errors.operatorName', { max: OPERATOR_NAME_MAX_LENGTH }));
  if (environment === 'custom' && !/^https?:\/\/[^\s/]+/i.test(baseUrl)) errors.push(say('errors.url', { url: baseUrl }));

  const o = tls.options;
  if (tls.named && !tls.found) errors.push(say('errors.tlsMissing'));
  else if (tls.found && !tls.valid) errors.push(say('errors.tlsInvalid'));
  if (environment !== 'custom') {
    if (!tls.found) errors.push(say('errors.tlsNone', { env: envLabel }));
    // A tls-config with only a CA would connect, then fail every handshake at Hubject and retry for ever.
    else if (tls.valid && (!o.cert || !o.key)) errors.push(say('errors.noClientCert', { env: envLabel }));
  }
  if (o.rejectUnauthorized === false) {
    warnings.push(say('warnings.verifyOff'));
    // Shown next to the push node's counters for as long as it is so, not only once at deploy.
    caution = say('status.verifyOff');
  }
  const gateMode: GateMode = GATE_MODES.includes(def.statusGate as GateMode) ? (def.statusGate as GateMode) : 'auto';
  if (def.statusGate !== undefined && def.statusGate !== '' && gateMode !== def.statusGate)
    warnings.push(say('warnings.statusGate', { value: String(def.statusGate) }));
  if (dataRate.value > dataRate.warnAbove) warnings.push(say('warnings.dataRateLimit', { value: dataRate.value }));
  const certOp = certOperatorId(o.cert);
  if (op.ok && certOp && certOp !== op.value) warnings.push(say('warnings.certOperator', { cert: certOp, operator: op.value }));
  return {
    environment,
    envLabel,
    baseUrl,
    operatorId: op.ok ? op.value : undefined,
    operatorIds: op.ok ? [op.value, ...subs] : [],
    operatorName,
    gateMode,
    errors,
    warnings,
    caution,
  };
}

/**
 * The config's insertMissing. Dialogs before editor revision 2 showed a missing insertMissing unchecked and saved
 * false on Update; a push status node of the same config still saying true is then what the author set.
 */
export function insertMissingOf(own: boolean | undefined, editorRevision: unknown, pushSays: boolean[]): { value: boolean | undefined; migrated: boolean } {
  if (own === false && !(Number(editorRevision) >= 2) && pushSays.includes(true)) return { value: true, migrated: true };
  return { value: own, migrated: false };
}
