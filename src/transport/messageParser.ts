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
 * Records the text of a signed request's params or response's result (see
 * withReceivedText) when the line is spelled the way NewlineMessageWriter
 * writes one: `{"jsonrpc":"2.0","id":…,"method":"…","params":…}` (no id
 * for a notification) or `{"jsonrpc":"2.0","id":…,"result":…}`. The parsed
 * line is valid JSON, so once those members are found spelled so, what
 * lies between them and the line's last `}` is the body's text, unless the
 * line holds more members after it, which a reader of the recorded text
 * must allow for (canonicalText.ts reads exactly one object). Only constant
 * comparisons: no text is built.
 */
function recordBodyText(text: string, message: Message): void {
  const m = message as { id?: unknown; method?: unknown; params?: unknown; result?: unknown };
  const method = m.method;
  const body = typeof method === 'string' ? m.params : m.result;
  // Only a signed body (one with a `signature`) is ever checked against its text.
  if (!isObject(body) || typeof body.signature !== 'string' || text.charCodeAt(text.length - 1) !== CLOSE_BRACE || !text.startsWith(VERSION_MEMBER)) return;
  let at = VERSION_MEMBER.length;
  if (m.id !== undefined) {
    if (!text.startsWith(ID_NAME, at)) return;
    at = idTextEnd(text, at + ID_NAME.length, m.id);
    if (at < 0) return;
  }
  if (typeof method === 'string') {
    if (!text.startsWith(METHOD_NAME, at) || !text.startsWith(method, (at += METHOD_NAME.length)) || !text.startsWith(PARAMS_NAME, (at += method.length))) return;
    at += PARAMS_NAME.length;
  } else {
    if (!text.startsWith(RESULT_NAME, at)) return;
    at += RESULT_NAME.length;
  }
  withReceivedText(body, text.slice(at, -1));
}

const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const VERSION_MEMBER = '{"jsonrpc":"2.0"';
const ID_NAME = ',"id":';
/** Up to the method's first character, and from its closing quote on. */
const METHOD_NAME = ',"method":"';
const PARAMS_NAME = '","params":';
const RESULT_NAME = ',"result":';

/** Where the text of `id` (a number, or a string written without escapes) that starts at `at` ends; -1 when it is spelled otherwise. */
function idTextEnd(text: string, at: number, id: unknown): number {
  if (typeof id === 'string') {
    return text.charCodeAt(at) === QUOTE && text.startsWith(id, at + 1) && text.charCodeAt(at + 1 + id.length) === QUOTE ? at + 2 + id.length : -1;
  }
  if (typeof id !== 'number') return -1;
  // A number token: digits, sign, point, exponent.
  let end = at;
  for (let c = text.charCodeAt(end); (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45; c = text.charCodeAt(++end));
  return end > at ? end : -1;
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
