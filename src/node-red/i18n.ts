import * as fs from 'fs';
import * as path from 'path';
import type { NodeAPI } from 'node-red';

/** Values put into a message's __name__ placeholders (Node-RED's i18next syntax). */
export type MessageValues = Record<string, string | number>;
export type Translate = (key: string, values?: MessageValues) => string;

const LOCALES = path.join(__dirname, '..', 'locales');
// The catalogue namespace Node-RED gives a node file: "<module>/<type>".
const MODULE: string = (() => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { name: string }).name;
  } catch {
    return 'node-red-contrib-oicp';
  }
})();

/** Messages every node shares live in the config node's catalogue under "kit". */
export const KIT_TYPE = 'oicp-hubject-config';

const catalogues = new Map<string, Record<string, unknown>>();

/** A node file's catalogue in one language, read from nodes/locales (undefined when there is none). */
export function catalogue(lang: string, type: string): Record<string, unknown> | undefined {
  const key = `${lang}/${type}`;
  if (!catalogues.has(key)) {
    try {
      catalogues.set(key, JSON.parse(fs.readFileSync(path.join(LOCALES, lang, `${type}.json`), 'utf8')) as Record<string, unknown>);
    } catch {
      return undefined;
    }
  }
  return catalogues.get(key);
}

function lookup(cat: Record<string, unknown> | undefined, key: string): string | undefined {
  let v: unknown = cat;
  for (const part of key.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return typeof v === 'string' ? v : undefined;
}

export function interpolate(text: string, values?: MessageValues): string {
  if (!values) return text;
  return text.replace(/__([A-Za-z0-9_]+?)__/g, (all, name: string) => (name in values ? String(values[name]) : all));
}

/** A message from a catalogue file directly, for runtimes whose RED._ knows no catalogue (the test helper's). */
export function message(lang: string, type: string, key: string, values?: MessageValues): string | undefined {
  const text = lookup(catalogue(lang, type), key) ?? (lang !== 'en-US' ? lookup(catalogue('en-US', type), key) : undefined);
  return text === undefined ? undefined : interpolate(text, values);
}

/**
 * Translation for one node type: t('status.ready') is RED._('<type>.status.ready'), and t('kit.x') a shared message.
 * When the runtime answers with the key itself (no catalogue loaded), the en-US text is used, so the user never
 * sees a bare key.
 */
export function translator(RED: Pick<NodeAPI, '_'>, type: string): Translate {
  return (key, values) => {
    const shared = key.startsWith('kit.');
    const owner = shared ? KIT_TYPE : type;
    const full = `${owner}.${key}`;
    const id = shared ? `${MODULE}/${KIT_TYPE}:${full}` : full;
    let text: string | undefined;
    try {
      text = RED._(id, values);
    } catch {
      text = undefined;
    }
    if (typeof text !== 'string' || text === id || text === full || text.endsWith(`:${full}`) || text === key) {
      text = message('en-US', owner, full, values) ?? full;
    }
    return text;
  };
}
