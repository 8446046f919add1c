// From an EvseID back to the charger and connector, by the EvseID template the charger side uses
// (`DE*ABC*E{chargeBoxId}*{connectorId}`). The station comes back cleaned (upper case, '*' for other characters),
// as the template wrote it.
import { compileEvseIdTemplate } from '../ocpp/template';
import { evseKey } from '../oicp/ids';

export interface EvseLocation {
  /** The station id as the template wrote it (cleaned). */
  chargeBoxId?: string;
  /** OCPP 1.6 connectorId / 2.0.1 evseId. */
  connectorId?: number;
}

export type EvseLocator = (evseId: string) => EvseLocation | undefined;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The reverse of an EvseID template; throws like compileEvseIdTemplate for a bad one. */
export function evseLocator(template: string): EvseLocator {
  const compiled = compileEvseIdTemplate(template);
  // Render with markers, then turn the markers into groups: the template's own parser decides what is a placeholder.
  const S = '\u0001';
  const N = '\u0002';
  const marked = compiled.render(S, N);
  let order: Array<'station' | 'number'> = [];
  const parts: string[] = [];
  let cur = '';
  for (const ch of marked) {
    if (ch === S || ch === N) {
      parts.push(cur, ch);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const source = parts
    .map((part) => {
      if (part === S) {
        order.push('station');
        return '([A-Z0-9*]+?)';
      }
      if (part === N) {
        order.push('number');
        return '([0-9]+)';
      }
      return escape(part.toUpperCase());
    })
    .join('');
  const re = new RegExp(`^${source}$`);
  order = [...order];
  return (evseId) => {
    const m = re.exec(evseId.toUpperCase());
    // Optional '*' spelled or not: try the key form against the template's key form too.
    const mm = m ?? new RegExp(`^${source.replace(/\\\*/g, '\\*?')}$`).exec(evseId.toUpperCase());
    if (!mm) return undefined;
    const out: EvseLocation = {};
    order.forEach((kind, i) => {
      const v = mm[i + 1]!;
      if (kind === 'station') out.chargeBoxId = v;
      else out.connectorId = Number(v);
    });
    return out;
  };
}

export { evseKey };
