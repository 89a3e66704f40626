/**
 * Whether a JSON text as received is already its own RFC 8785 canonical
 * form, so that a signature can be checked over the bytes that came in
 * instead of over the value serialized again. Serializing is most of what
 * verifying a large message costs (10,000 decimals take JSON.stringify
 * about a millisecond); reading the text once costs a fraction of that.
 *
 * The answer is conservative: `true` only for texts whose canonical form is
 * certain from their spelling alone; `false` means "not shown", and the
 * caller canonicalizes the parsed value as before. A text passes when it
 * has, outside its strings, no whitespace; no backslash anywhere (an escape
 * may or may not be the canonical one); every object's keys in strictly
 * increasing UTF-16 order (so no duplicates either); and every number
 * spelled as ECMAScript writes its double: an integer, or a decimal whose
 * last digit is not 0, with at most 15 digits in all (any such decimal is
 * the shortest one that reads back as its double), no exponent, no `-0`,
 * and at most five zeros after `0.` (smaller numbers are written with an
 * exponent). Strings need nothing more: JSON.stringify writes a string
 * without escapes as it is, and a text decoded from UTF-8 holds no lone
 * surrogates.
 *
 * The text must be valid JSON (it was parsed): the scan does not check the
 * grammar, only the spelling.
 *
 * A text that passes also passes what inspectJsonValue checks of the value
 * parsed from it, so that a receiver may skip that pass: it nests at most
 * `maxDepth` containers deep (the object itself is level 1), and no object
 * has a member named `toJSON` (inspectJsonValue refuses one that is not
 * null; the scan, reading no values, leaves every such text to it). Numbers
 * are finite and strings well-formed in any text parsed from UTF-8 without
 * escapes.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const LETTER_E = 0x65;
const CAPITAL_E = 0x45;
/** The first letters of `true`, `null` and `false`. */
const LETTER_T = 0x74;
const LETTER_N = 0x6e;
const LETTER_F = 0x66;

/** Digits a decimal may have for its spelling to be its double's shortest one. */
const MAX_DIGITS = 15;
/** Zeros after `0.` that ECMAScript still writes without an exponent (1e-6 is `0.000001`). */
const MAX_LEADING_FRACTION_ZEROS = 5;

/**
 * Whether `text.slice(start, end)` followed by a `}` (the closing brace of
 * an object whose last member, from `end` on, is left out) is a JSON object
 * in RFC 8785 canonical form, as far as its spelling shows, nested at most
 * `maxDepth` deep and without a `toJSON` member (see above).
 * `text.slice(start, end) + '}'` must be valid JSON.
 */
export function isCanonicalObjectText(text: string, start: number, end: number, maxDepth: number): boolean {
  if (end <= start || text.charCodeAt(start) !== OPEN_OBJECT) return false;
  const backslash = text.indexOf('\\', start);
  if (backslash !== -1 && backslash < end) return false;
  /**
   * Per open container: where the text of the last key of an object starts
   * (NO_KEY before the first), or IN_ARRAY; and where that key ends. Kept
   * as positions, so that no key is copied out of the text.
   */
  const keyStarts: number[] = [];
  const keyEnds: number[] = [];
  let depth = 0;
  let expectingKey = false;
  let i = start;
  while (i <= end) {
    const c = i < end ? text.charCodeAt(i) : CLOSE_OBJECT; // the virtual closing brace
    if ((c >= ZERO && c <= NINE) || c === MINUS) {
      // Numbers, the bulk of a large message, are read here without a call.
      const numberStart = i;
      const negative = c === MINUS;
      if (negative) i++;
      const zeroInteger = text.charCodeAt(i) === ZERO;
      if (zeroInteger) i++;
      else while (i < end && isDigit(text.charCodeAt(i))) i++;
      let digits = i - numberStart - (negative ? 1 : 0);
      let next = i < end ? text.charCodeAt(i) : CLOSE_OBJECT;
      if (next === DOT) {
        const fractionStart = ++i;
        while (i < end && isDigit(text.charCodeAt(i))) i++;
        if (text.charCodeAt(i - 1) === ZERO) return false;
        if (zeroInteger && i - fractionStart > MAX_LEADING_FRACTION_ZEROS && leadingZeros(text, fractionStart) > MAX_LEADING_FRACTION_ZEROS) return false;
        digits += i - fractionStart;
        next = i < end ? text.charCodeAt(i) : CLOSE_OBJECT;
      } else if (negative && zeroInteger) {
        return false; // -0 is written 0
      }
      if (digits > MAX_DIGITS || next === LETTER_E || next === CAPITAL_E) return false;
      continue;
    }
    switch (c) {
      case QUOTE: {
        // No backslash before `end`: the next quote closes the string.
        const close = text.indexOf('"', i + 1);
        if (close === -1 || close >= end) return false;
        if (expectingKey) {
          const previous = keyStarts[depth - 1]!;
          if (previous !== NO_KEY && !textLess(text, previous, keyEnds[depth - 1]!, i + 1, close)) return false;
          if (close - i - 1 === TO_JSON.length && text.startsWith(TO_JSON, i + 1)) return false;
          keyStarts[depth - 1] = i + 1;
          keyEnds[depth - 1] = close;
          expectingKey = false;
        }
        i = close + 1;
        continue;
      }
      case COMMA:
        expectingKey = keyStarts[depth - 1] !== IN_ARRAY;
        break;
      case COLON:
        break;
      case OPEN_OBJECT:
        if (depth >= maxDepth) return false;
        keyStarts[depth++] = NO_KEY;
        expectingKey = true;
        break;
      case OPEN_ARRAY:
        if (depth >= maxDepth) return false;
        keyStarts[depth++] = IN_ARRAY;
        expectingKey = false;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        depth--;
        expectingKey = false;
        // One value: the outer object closes at the very end, and only there.
        if (depth === 0) return i === end;
        break;
      case LETTER_T:
      case LETTER_N:
        i += 3; // true, null
        break;
      case LETTER_F:
        i += 4; // false
        break;
      default:
        return false; // whitespace
    }
    i++;
  }
  return false;
}

const NO_KEY = -1;
/** A member name left to inspectJsonValue (see above). */
const TO_JSON = 'toJSON';
const IN_ARRAY = -2;

/** Whether text[aStart, aEnd) sorts strictly before text[bStart, bEnd), by UTF-16 code units (as `<` compares strings). */
function textLess(text: string, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const common = aLength < bLength ? aLength : bLength;
  for (let k = 0; k < common; k++) {
    const a = text.charCodeAt(aStart + k);
    const b = text.charCodeAt(bStart + k);
    if (a !== b) return a < b;
  }
  return aLength < bLength;
}

/** How many zeros the text has from `at` on. */
function leadingZeros(text: string, at: number): number {
  let zeros = 0;
  while (text.charCodeAt(at + zeros) === ZERO) zeros++;
  return zeros;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}
