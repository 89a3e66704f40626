/**
 * The length of a string in code points, as JSON Schema's `minLength` and
 * `maxLength` count it: Ajv's own `ucs2length`, which reads the string one
 * code unit at a time, called only for a string that holds a high
 * surrogate. Any other string has as many code points as code units, which
 * a native search finds several times faster than that loop. The build
 * points the validators it generates (scripts/generate-validators.js) here,
 * and calls it only when a string's length in code units does not settle a
 * check (a long string against a `maxLength`, say).
 */
import ajvUcs2length from 'ajv/dist/runtime/ucs2length';

const HIGH_SURROGATE = /[\uD800-\uDBFF]/;

export function ucs2length(text: string): number {
  return HIGH_SURROGATE.test(text) ? ajvUcs2length(text) : text.length;
}
