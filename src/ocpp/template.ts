// EvseID template: `DE*ABC*E{chargeBoxId}*{connectorId}`, compiled once.

import { cleanIdPart, describeOperators, evseBelongsToOperator, operatorList, parseEvseId, type Operators } from '../oicp/ids';

/**
 * Placeholders:
 * - `{chargeBoxId}`: the station id, cleaned as Hubject accepts it (upper case, anything outside [A-Z0-9] becomes '*').
 * - `{connectorId}` and `{evseId}`: the number of the EVSE. In OCPP 1.x that is the connectorId (a connector is an EVSE);
 *   in OCPP 2.x it is the evseId (connectors of one EVSE are merged into one OICP EVSE). Both names work for both versions,
 *   so one template serves a mixed fleet.
 */
export const TEMPLATE_PLACEHOLDERS = ['chargeBoxId', 'connectorId', 'evseId'] as const;

const STATION = 0;
const NUMBER = 1;
type Part = string | typeof STATION | typeof NUMBER;

export interface CompiledTemplate {
  source: string;
  /** Renders the EvseID (not yet validated) from an already cleaned station id and the EVSE number. */
  render(cleanStation: string, evseNumber: number | string): string;
  usesStation: boolean;
  usesNumber: boolean;
}

/** Compiles a template; throws an Error naming the problem when it has an unknown or unclosed placeholder. */
export function compileEvseIdTemplate(template: string): CompiledTemplate {
  const source = template.trim();
  const parts: Part[] = [];
  let usesStation = false;
  let usesNumber = false;
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    if (open < 0) {
      parts.push(source.slice(i));
      break;
    }
    if (open > i) parts.push(source.slice(i, open));
    const close = source.indexOf('}', open);
    if (close < 0) throw new Error(`EvseID template '${source}' has an unclosed '{'`);
    const name = source.slice(open + 1, close).trim();
    const lower = name.toLowerCase();
    if (lower === 'chargeboxid') {
      parts.push(STATION);
      usesStation = true;
    } else if (lower === 'connectorid' || lower === 'evseid') {
      parts.push(NUMBER);
      usesNumber = true;
    } else {
      throw new Error(`EvseID template '${source}' has an unknown placeholder {${name}}; use {chargeBoxId}, {connectorId} or {evseId}`);
    }
    i = close + 1;
  }
  if (parts.some((p) => typeof p === 'string' && p.includes('}'))) {
    throw new Error(`EvseID template '${source}' has a '}' without '{'`);
  }
  // Rendering is a short loop of concatenations over the precompiled parts.
  const n = parts.length;
  const render = (cleanStation: string, evseNumber: number | string): string => {
    let out = '';
    for (let k = 0; k < n; k++) {
      const p = parts[k];
      out += p === STATION ? cleanStation : p === NUMBER ? evseNumber : p;
    }
    return out;
  };
  return { source, render, usesStation, usesNumber };
}

/** Station id used for the sample EvseID: 'CP1', or '1' for a DIN (+49*810*...) template. */
export function sampleStation(template: string): string {
  return /^\s*\+?[0-9]/.test(template) ? '1' : 'CP1';
}

/**
 * Checks a template the way the editor does: compiles it, renders a sample (station 'CP1' or '1', EVSE 1) and validates the
 * sample against the OICP pattern and, when given, the operator. Returns the sample EvseID or throws an Error.
 */
export function checkEvseIdTemplate(template: string, operatorId?: Operators): string {
  const t = compileEvseIdTemplate(template);
  if (!t.usesNumber) {
    throw new Error(`EvseID template '${t.source}' has no {connectorId} or {evseId}, so every connector would get the same EvseID`);
  }
  // DIN EvseIDs are digits only, so a DIN template gets a numeric sample station.
  const sample = t.render(cleanIdPart(sampleStation(t.source)), 1);
  const parsed = parseEvseId(sample);
  if (!parsed.ok) throw new Error(`EvseID template '${t.source}' gives '${sample}', which does not match the OICP pattern`);
  if (operatorList(operatorId).length && !evseBelongsToOperator(parsed.value, operatorId!)) {
    throw new Error(`EvseID template '${t.source}' gives '${parsed.value}', which does not belong to operator ${describeOperators(operatorId!)}`);
  }
  return parsed.value;
}
