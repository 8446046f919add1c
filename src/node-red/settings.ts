import { EVSE_ID_MAX_LENGTH, EVSE_ID_PATTERN, OPERATOR_ID_PATTERN, OPERATOR_ID_MAX_LENGTH, OPERATOR_NAME_MAX_LENGTH } from '../oicp/ids';
import { EVSE_STATUSES } from '../oicp/schemas';
import { DEFAULT_MAPPING } from '../ocpp/mapper';
import { TEMPLATE_PLACEHOLDERS } from '../ocpp/template';
import { LIMITS, numberProblem, type NumberLimit } from './limits';
import {
  ACCESSIBILITY,
  ACCESSIBILITY_LOCATIONS,
  AUTHENTICATION_MODES,
  CALIBRATION_LAW_DATA_AVAILABILITY,
  DYNAMIC_INFO_AVAILABLE,
  ENERGY_TYPES,
  PAYMENT_OPTIONS,
  VALUE_ADDED_SERVICES,
} from '../oicp/evse-data-enums';
import { HOTLINE_PHONE_PATTERN } from '../oicp/evse-data-normalise';

/** The OpenAPI enums the data node's dialog offers for its defaults, taken from the runtime's own lists. */
export function evseDataChoices() {
  return {
    AuthenticationModes: [...AUTHENTICATION_MODES] as string[],
    PaymentOptions: [...PAYMENT_OPTIONS] as string[],
    ValueAddedServices: [...VALUE_ADDED_SERVICES] as string[],
    Accessibility: [...ACCESSIBILITY] as string[],
    AccessibilityLocation: [...ACCESSIBILITY_LOCATIONS] as string[],
    CalibrationLawDataAvailability: [...CALIBRATION_LAW_DATA_AVAILABILITY] as string[],
    DynamicInfoAvailable: [...DYNAMIC_INFO_AVAILABLE] as string[],
    EnergyTypes: [...ENERGY_TYPES] as string[],
    hotlinePhonePattern: HOTLINE_PHONE_PATTERN.source,
  };
}
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
 * The dialogs' number validator as source text, `function (RED) -> function (limit) -> validate(v, opt)`, built
 * around numberProblem's own source, so every dialog runs the runtime's check and no copy of it. A dialog makes it
 * with `new Function("return " + RED.settings.<type>NumberValidator)()(RED)`; a missing limit accepts all.
 */
export const NUMBER_VALIDATOR_SOURCE = `(function (numberProblem) {
    return function (RED) {
        return function (limit) {
            return function (v, opt) {
                var p = limit ? numberProblem(v, limit) : undefined;
                return !p || RED._("node-red-contrib-oicp/oicp-hubject-config:oicp-hubject-config." + p.key, p.values);
            };
        };
    };
})(${numberProblem.toString()})`;

/**
 * Node settings per node type. Node-RED requires each name to start with the node type in camelCase; the editor
 * reads them as RED.settings.<name>.
 */
export const NODE_SETTINGS = {
  'oicp-hubject-config': {
    oicpHubjectConfigIdRules: exported(idRules()),
    oicpHubjectConfigLimits: exported(limits('timeout', 'rateLimit', 'dataRateLimit', 'retryBase', 'retryMax', 'maxRecords', 'holdMaxHours', 'maxBodyMB')),
    oicpHubjectConfigNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
  },
  'oicp-push-evse-status': {
    oicpPushEvseStatusLimits: exported(limits('maxRecords')),
    oicpPushEvseStatusNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
  },
  'oicp-ocpp-status': {
    oicpOcppStatusIdRules: exported(idRules()),
    oicpOcppStatusDefaultMapping: exported({ ...DEFAULT_MAPPING } as Record<string, string>),
    oicpOcppStatusEvseStatuses: exported([...EVSE_STATUSES] as string[]),
    oicpOcppStatusTemplatePlaceholders: exported([...TEMPLATE_PLACEHOLDERS] as string[]),
  },
  'oicp-push-evse-data': {
    oicpPushEvseDataLimits: exported(limits('minRatio')),
    oicpPushEvseDataNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
    oicpPushEvseDataChoices: exported(evseDataChoices()),
  },
  'oicp-full-load': {
    oicpFullLoadLimits: exported(limits('onStartDelay', 'staleDays', 'minRatio')),
    oicpFullLoadNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
  },
  'oicp-authorize': {
    oicpAuthorizeLimits: exported(limits('authorizeTimeout')),
    oicpAuthorizeNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
  },
} as const;
