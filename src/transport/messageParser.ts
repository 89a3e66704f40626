/**
 * Turns one framed line into a JSON-RPC 2.0 message, or into the rejection
 * the peer should be answered with. Pure: no I/O, no state.
 */
import type { Message } from 'vscode-jsonrpc';
import { findDuplicateKey, markDuplicateKey, quoteKey } from './duplicateKeys';
import { withReceivedText } from './jsonText';

/** JSON-RPC error codes the framing layer answers with by itself. */
export const FramingErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
} as const;

/** A line that is not a usable message, and how to answer it. */
export interface RejectedLine {
  readonly code: number;
  readonly message: string;
  /** The offending object's id when it had a usable one, else null. */
  readonly id: string | number | null;
}

export type ParsedLine =
  | { readonly kind: 'message'; readonly message: Message }
  | ({ readonly kind: 'rejected' } & RejectedLine);

// `fatal` makes malformed UTF-8 an error instead of silently becoming U+FFFD,
// so the bytes that were signed are the bytes that get verified.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes, parses and validates one line (without its terminator). */
export function parseLine(bytes: Uint8Array): ParsedLine {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return reject(FramingErrorCode.ParseError, 'Parse error: invalid UTF-8', null);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The engine's message quotes the input back; keep answers short and
    // never reflect attacker-controlled text.
    return reject(FramingErrorCode.ParseError, 'Parse error: invalid JSON', null);
  }
  const parsed = validateMessage(value);
  return parsed.kind === 'message' ? withDuplicateKeysChecked(text, parsed) : parsed;
}

/**
 * A message whose text repeats a key (see duplicateKeys.ts). In its params
 * the method's handler refuses it (a `call` with -32602): the params are
 * marked with the duplicate. Anywhere else the line is an Invalid Request.
 */
function withDuplicateKeysChecked(text: string, parsed: ParsedLine & { kind: 'message' }): ParsedLine {
  const duplicate = findDuplicateKey(text, parsed.message);
  if (duplicate === undefined) {
    recordBodyText(text, parsed.message);
    return parsed;
  }
  const message = parsed.message as unknown as Record<string, unknown>;
  const params = message.params;
  if (typeof params === 'object' && params !== null && (duplicate.path === '/params' || duplicate.path.startsWith('/params/'))) {
    markDuplicateKey(params, { path: duplicate.path.slice('/params'.length), key: duplicate.key });
    return parsed;
  }
  const id = duplicate.path === '' && duplicate.key === 'id' ? null : echoableId(message);
  return invalid(`duplicate key ${quoteKey(duplicate.key)}`, id);
}

/**
 * Marks a signed request's params or response's result (an object with a
 * `signature`) with the line it was parsed from (see withReceivedText), for
 * a signature check over the bytes received (receivedBodyStart). Nothing is
 * looked at here: a message never checked costs one store.
 */
function recordBodyText(text: string, message: Message): void {
  const m = message as { method?: unknown; params?: unknown; result?: unknown };
  const body = typeof m.method === 'string' ? m.params : m.result;
  if (isObject(body) && typeof body.signature === 'string') withReceivedText(body, text);
}

/**
 * Where the body (params or result) of a received line starts, when the
 * line is spelled the way NewlineMessageWriter writes one:
 * `{"jsonrpc":"2.0","id":…,"method":"…","params":…}` (no id for a
 * notification) or `{"jsonrpc":"2.0","id":…,"result":…}`, the id a number
 * or a string without escapes, the method without escapes. The line was
 * parsed, so it is valid JSON and those members are what they look like:
 * the body's text runs from there to the line's last `}` (unless more
 * members follow it, which a reader of the body's text must allow for:
 * canonicalText.ts reads exactly one object). -1 for any other spelling.
 */
export function receivedBodyStart(line: string): number {
  if (line.charCodeAt(line.length - 1) !== CLOSE_BRACE || !line.startsWith(VERSION_MEMBER)) return -1;
  let at = VERSION_MEMBER.length;
  if (line.startsWith(ID_NAME, at)) {
    at = idTextEnd(line, at + ID_NAME.length);
    if (at < 0) return -1;
    if (line.startsWith(RESULT_NAME, at)) return at + RESULT_NAME.length;
  }
  if (!line.startsWith(METHOD_NAME, at)) return -1;
  const close = plainStringEnd(line, at + METHOD_NAME.length - 1);
  return close > 0 && line.startsWith(PARAMS_NAME, close) ? close + PARAMS_NAME.length : -1;
}

const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const VERSION_MEMBER = '{"jsonrpc":"2.0"';
const ID_NAME = ',"id":';
/** Up to the method's opening quote included, and from its closing quote on. */
const METHOD_NAME = ',"method":"';
const PARAMS_NAME = '","params":';
const RESULT_NAME = ',"result":';

/** Where the id's text that starts at `at` ends: a number token, or a string without escapes; -1 otherwise. */
function idTextEnd(line: string, at: number): number {
  if (line.charCodeAt(at) === QUOTE) {
    const close = plainStringEnd(line, at);
    return close < 0 ? -1 : close + 1;
  }
  // A number token: digits, sign, point, exponent.
  let end = at;
  for (let c = line.charCodeAt(end); (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45; c = line.charCodeAt(++end));
  return end > at ? end : -1;
}

/** The index of the quote closing the string whose opening quote is at `open`, when it holds no escape; -1 otherwise. */
function plainStringEnd(line: string, open: number): number {
  // Read up to the quote only (an id or a method name): searching the line for a backslash would read it all.
  for (let at = open + 1; at < line.length; at++) {
    const c = line.charCodeAt(at);
    if (c === QUOTE) return at;
    if (c === BACKSLASH) return -1;
  }
  return -1;
}

/** Checks that an already-parsed JSON value is a single JSON-RPC 2.0 message. */
export function validateMessage(value: unknown): ParsedLine {
  if (Array.isArray(value)) {
    return invalid('batches are not supported', null);
  }
  if (!isObject(value)) {
    return invalid('not a JSON object', null);
  }
  const id = echoableId(value);
  if (value.jsonrpc !== '2.0') {
    return invalid('jsonrpc must be "2.0"', id);
  }
  const reason = Object.hasOwn(value, 'method') ? requestProblem(value) : responseProblem(value);
  if (reason !== undefined) {
    return invalid(reason, id);
  }
  return { kind: 'message', message: value as unknown as Message };
}

/** Why a request or notification is malformed, or undefined when it is fine. */
function requestProblem(value: Record<string, unknown>): string | undefined {
  if (typeof value.method !== 'string') {
    return 'method must be a string';
  }
  if (Object.hasOwn(value, 'id') && typeof value.id !== 'string' && !Number.isSafeInteger(value.id)) {
    return 'id must be a string or an integer';
  }
  if (Object.hasOwn(value, 'params') && !isObject(value.params) && !Array.isArray(value.params)) {
    return 'params must be an object or an array';
  }
  return undefined;
}

/** Why a response is malformed, or undefined when it is fine. */
function responseProblem(value: Record<string, unknown>): string | undefined {
  const hasResult = Object.hasOwn(value, 'result');
  const hasError = Object.hasOwn(value, 'error');
  if (!hasResult && !hasError) {
    return 'method is missing';
  }
  if (!Object.hasOwn(value, 'id')) {
    return 'a response needs an id';
  }
  if (value.id !== null && typeof value.id !== 'string' && !isFiniteNumber(value.id)) {
    return 'id must be a string, a number or null';
  }
  if (hasResult && hasError) {
    return 'a response has either result or error, not both';
  }
  if (hasError && !isErrorObject(value.error)) {
    return 'error must be an object with an integer code and a string message';
  }
  return undefined;
}

function isErrorObject(value: unknown): boolean {
  return isObject(value) && Number.isSafeInteger(value.code) && typeof value.message === 'string';
}

/** The id to put in the error answer: only one the peer could correlate. */
function echoableId(value: Record<string, unknown>): string | number | null {
  const id = value.id;
  return typeof id === 'string' || isFiniteNumber(id) ? id : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  // JSON.parse turns 1e400 into Infinity, which would serialize back as null.
  return typeof value === 'number' && Number.isFinite(value);
}

function invalid(reason: string, id: string | number | null): ParsedLine {
  return reject(FramingErrorCode.InvalidRequest, `Invalid Request: ${reason}`, id);
}

function reject(code: number, message: string, id: string | number | null): ParsedLine {
  return { kind: 'rejected', code, message, id };
}
