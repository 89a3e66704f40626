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

/**
 * The line a received object was parsed from (see messageParser.ts): a
 * signed request's params, a signed response's result. Only a signature
 * check reads it (over the bytes that came in, when they are canonical:
 * protocol/canonicalText.ts); nothing sends it.
 */
const RECEIVED_TEXT = Symbol('toolseal.receivedText');

type WithReceivedText = { [RECEIVED_TEXT]?: string };

/** Marks `value` as parsed from the line `text`. Returns `value`. */
export function withReceivedText<T extends object>(value: T, text: string): T {
  (value as WithReceivedText)[RECEIVED_TEXT] = text;
  return value;
}

/**
 * The line `value` was parsed from, if the framing recorded it; taken once
 * (the mark is cleared, so a message handed on afterwards, such as a
 * verified response's `wire`, holds no copy of its line).
 */
export function takeReceivedText(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const text = (value as WithReceivedText)[RECEIVED_TEXT];
  // Set to undefined rather than deleted: a delete would slow every later access to the object.
  if (text !== undefined) (value as WithReceivedText)[RECEIVED_TEXT] = undefined;
  return text;
}
