// How error texts show a value the user gave: short, safe and recognisable.

/** Longest string shown in full; longer ones are cut to this length, ending in '...'. */
export const SHOWN_STRING_LENGTH = 40;

/**
 * A bad value, short and safe for an error message: strings in quotes (cut at SHOWN_STRING_LENGTH), numbers and
 * booleans as written, null and undefined by name, anything else by kind ('an array', 'an object'). Never throws
 * (BigInt, cycles, symbols, getters) nor copies a large value.
 */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case 'string': {
      const shown = v.length > SHOWN_STRING_LENGTH ? v.slice(0, SHOWN_STRING_LENGTH - 3) + '...' : v;
      // Control characters (a newline in an id) are escaped so the text stays one readable line.
      // eslint-disable-next-line no-control-regex
      return `'${/[\x00-\x1f\x7f]/.test(shown) ? JSON.stringify(shown).slice(1, -1) : shown}'`;
    }
    case 'number':
    case 'boolean':
      return String(v);
    case 'undefined':
      return 'undefined';
    case 'object':
      if (v === null) return 'null';
      return Array.isArray(v) ? 'an array' : 'an object';
    default:
      return `a ${typeof v}`;
  }
}
