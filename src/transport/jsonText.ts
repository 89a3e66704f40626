/**
 * A message body that already exists as JSON text. A signer has just
 * written the object as canonical JSON to sign it; attached here, that text
 * goes on the wire as it is, and the writer does not serialize the object a
 * second time (on a call of 10,000 numbers, most of the client's work).
 *
 * The text must be JSON of the object as it stands, and the object must
 * not change afterwards. The mark is a symbol-keyed property, which
 * JSON.stringify, Object.keys and schema validation all ignore.
 */
const JSON_TEXT = Symbol('toolseal.jsonText');

type WithJsonText = { [JSON_TEXT]?: string };

/** Marks `value` as written out already: `text` is its JSON. Returns `value`. */
export function withJsonText<T extends object>(value: T, text: string): T {
  (value as WithJsonText)[JSON_TEXT] = text;
  return value;
}

/** The JSON text attached to `value` with withJsonText, if any. */
export function jsonTextOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? (value as WithJsonText)[JSON_TEXT] : undefined;
}
