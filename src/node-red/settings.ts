import type { NodeSetting } from 'node-red';
import { LIMITS, numberProblem, type LimitName, type NumberLimit } from './limits';

/**
 * The mechanism only: each adapter builds its own node settings (its limits, its domain's rules) and hands them to
 * registerType. Node-RED requires each name to start with the node type in camelCase; the editor reads them as
 * RED.settings.<name>. The kit imports no domain.
 */
export const exported = <T>(value: T): NodeSetting<T> => ({ value, exportable: true });

/** The named rows of LIMITS, for a dialog's `<type>Limits` setting. */
export function limits<K extends LimitName>(...names: K[]): Record<K, NumberLimit> {
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
