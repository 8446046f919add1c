import { EVSE_ID_MAX_LENGTH, EVSE_ID_PATTERN, OPERATOR_ID_PATTERN, OPERATOR_ID_MAX_LENGTH, OPERATOR_NAME_MAX_LENGTH } from '../oicp/ids';
import { EVSE_STATUSES } from '../oicp/schemas';
import { DEFAULT_MAPPING } from '../ocpp/mapper';
import { TEMPLATE_PLACEHOLDERS } from '../ocpp/template';
import { LIMITS, type NumberLimit } from './limits';
import type { NodeSetting } from 'node-red';

/** The OICP id rules the editor checks with, taken from the runtime's own (RED.settings.<name> in the editor). */
export function idRules() {
  return {
    operatorIdPattern: OPERATOR_ID_PATTERN.source,
    operatorIdMaxLength: OPERATOR_ID_MAX_LENGTH,
    operatorNameMaxLength: OPERATOR_NAME_MAX_LENGTH,
    evseIdPattern: EVSE_ID_PATTERN.source,
    evseIdMaxLength: EVSE_ID_MAX_LENGTH,
  };
}

export type IdRules = ReturnType<typeof idRules>;

const exported = <T>(value: T): NodeSetting<T> => ({ value, exportable: true });

function limits<K extends keyof typeof LIMITS>(...names: K[]): Record<K, NumberLimit> {
  const out = {} as Record<K, NumberLimit>;
  for (const n of names) out[n] = LIMITS[n];
  return out;
}

/**
 * Node settings per node type. Node-RED requires each name to start with the node type in camelCase; the editor
 * reads them as RED.settings.<name>.
 */
export const NODE_SETTINGS = {
  'oicp-hubject-config': {
    oicpHubjectConfigIdRules: exported(idRules()),
    oicpHubjectConfigLimits: exported(limits('timeout', 'rateLimit', 'retryBase', 'retryMax', 'maxRecords', 'holdMaxHours')),
  },
  'oicp-push-evse-status': {
    oicpPushEvseStatusLimits: exported(limits('maxRecords')),
  },
  'oicp-ocpp-status': {
    oicpOcppStatusIdRules: exported(idRules()),
    oicpOcppStatusDefaultMapping: exported({ ...DEFAULT_MAPPING } as Record<string, string>),
    oicpOcppStatusEvseStatuses: exported([...EVSE_STATUSES] as string[]),
    oicpOcppStatusTemplatePlaceholders: exported([...TEMPLATE_PLACEHOLDERS] as string[]),
  },
  'oicp-full-load': {
    oicpFullLoadLimits: exported(limits('onStartDelay', 'staleDays', 'minRatio')),
  },
} as const;
