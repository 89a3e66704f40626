import { timingSafeEqual } from 'node:crypto';
import { canonicalize, canonicalizeInspected, inspectJsonValue, type KeyOrder } from './canonical';
import type { ValidationIssue } from './errors';
import { takeReceivedText, withJsonText } from '../transport/jsonText';
import { receivedBodyStart } from '../transport/messageParser';
import { isCanonicalObjectText } from './canonicalText';
import type { HmacKey } from './hmacKey';
import type { CompiledSchema, UnsignedMembers } from './schemas';

/** Anything that carries a `signature` field on the wire. */
export interface Signed {
  signature: string;
}

/** The canonical bytes a signature covers: RFC 8785 JSON of the object without `signature`. */
export function signingInput(unsigned: object): string {
  return canonicalize(unsigned);
}

/** The object without its `signature`, every other field exactly as it is. */
export function withoutSignature<T extends Signed>(signed: T): Omit<T, 'signature'> {
  const { signature: _signature, ...rest } = signed;
  return rest;
}

/** Signs `unsigned` with `key`: returns a copy with `signature` added. */
export function sign<T extends object>(key: HmacKey, unsigned: T): T & Signed {
  return { ...unsigned, signature: key.macHex(signingInput(unsigned)) };
}

/**
 * Signs an object the caller has just built and owns, to be sent: adds
 * `signature` to it (no copy) and attaches its JSON text (see
 * transport/jsonText.ts), the canonical text just signed with the signature
 * member appended, so the writer sends the bytes it signed without
 * serializing the object again. The object must not change afterwards.
 */
export function signInPlace<T extends object>(key: HmacKey, unsigned: T, order?: KeyOrder): T & Signed {
  // `order`, when the caller knows it, spares canonicalize a pass over the tree.
  const canonical = order === undefined ? signingInput(unsigned) : canonicalizeInspected(unsigned, order);
  const signature = key.macHex(canonical);
  // A canonical object's text ends with its closing brace; an empty one is "{}".
  const text = canonical === '{}' ? `{"signature":"${signature}"}` : `${canonical.slice(0, -1)},"signature":"${signature}"}`;
  return withJsonText(Object.assign(unsigned, { signature }), text);
}

const SIGNATURE = /^[0-9a-f]{64}$/;
// The hex digests are compared as bytes in these two buffers, written over
// on every check: a Buffer-valued digest costs more than the MAC itself.
const expectedHex = Buffer.alloc(64);
const receivedHex = Buffer.alloc(64);

/**
 * Whether `signature` (lowercase hex) is a valid HMAC of `unsigned` under any
 * of `keys`. The canonical form is computed once; every key is tried and each
 * comparison is constant-time, so timing reveals neither which key matched
 * nor how much of the signature was right.
 */
export function verify(keys: readonly HmacKey[], unsigned: object, signature: string): boolean {
  if (!SIGNATURE.test(signature)) return false;
  return macMatches(keys, signingInput(unsigned), signature);
}

/** Verifies a signed object as received: its signature over all its other fields. */
export function verifySigned<T extends Signed>(keys: readonly HmacKey[], signed: T): boolean {
  return verify(keys, withoutSignature(signed), signed.signature);
}

/** Why a received signed message was refused, by the step that refused it. */
export type SignedMessageProblem =
  /** Not canonicalizable, or nested too deeply (inspectJsonValue's issue). */
  | { readonly step: 'json'; readonly issue: ValidationIssue }
  | { readonly step: 'schema'; readonly issues: readonly ValidationIssue[] }
  /** Not the HMAC of the message under any of the keys. */
  | { readonly step: 'signature' };

/** What signedTextOf and signatureProblem need of a signed message's schema (a CompiledSchema). */
export type SignedMessageSchema = Pick<CompiledSchema, 'check' | 'checkBeforeSignature' | 'unsignedMembers'>;

const BAD_SIGNATURE: SignedMessageProblem = Object.freeze({ step: 'signature' });

/**
 * The checks of a received signed message that come before its signature,
 * in the protocol's order: its JSON (nested at most `maxDepth` deep, and
 * canonicalizable: inspectJsonValue), then its schema, all of it but the
 * signature's pattern (checkBeforeSignature: a signature that matches is
 * 64 lowercase hex digits, and signatureProblem checks the pattern of one
 * that does not). Returns the text the signature must be the HMAC of (the
 * message's RFC 8785 form without its signature), or the problem.
 *
 * That text is, first choice, the bytes received, when the framing marked
 * the message with its line and those bytes are canonical
 * (receivedCanonicalText); the scan that shows it also shows what
 * inspectJsonValue would check, and that pass is skipped. Otherwise the
 * text is written without walking the tree again: from the schema's copy of
 * the members the signature covers (CompiledSchema.unsignedMembers) when
 * the message is in order, or in order but for a last signature (KeyOrder
 * `canonical` or `signature-last`); else from a copy without the signature.
 */
export function signedTextOf(message: unknown, schema: SignedMessageSchema, maxDepth: number): string | SignedMessageProblem {
  const received = receivedCanonicalText(message, maxDepth);
  // A text the scan passed is in order, its signature last, and passes what inspectJsonValue checks.
  const order = received === undefined ? inspectJsonValue(message, maxDepth) : 'signature-last';
  if (typeof order !== 'string') return { step: 'json', issue: order };
  const issues = schema.checkBeforeSignature(message);
  if (issues.length > 0) return { step: 'schema', issues };
  return received ?? unsignedText(message as Signed, order, schema.unsignedMembers);
}

/**
 * Whether the signature of `message` (which signedTextOf passed, returning
 * `text`) is the HMAC of `text` under any of `keys`: undefined when it is;
 * otherwise the schema's issues when the signature is not even of the
 * pattern signedTextOf left out, else the signature problem. Every key is
 * tried and each comparison is constant-time, so timing reveals neither
 * which key matched nor how much of the signature was right.
 */
export function signatureProblem(keys: readonly HmacKey[], message: Signed, text: string, schema: SignedMessageSchema): SignedMessageProblem | undefined {
  if (macMatches(keys, text, message.signature)) return undefined;
  const issues = schema.check(message);
  return issues.length > 0 ? { step: 'schema', issues } : BAD_SIGNATURE;
}

/** The canonical text of `signed` without its signature, from the parsed value (see signedTextOf). */
function unsignedText(signed: Signed, order: KeyOrder, unsignedMembers: UnsignedMembers | undefined): string {
  // 'canonical' and 'signature-last' both mean every nested object is in order.
  if (unsignedMembers !== undefined && order !== 'other') return JSON.stringify(unsignedMembers(signed as unknown as Record<string, unknown>));
  // Leaving the signature out keeps the others in their order: in order, once a last signature is gone.
  return canonicalizeInspected(withoutSignature(signed), order === 'other' ? 'other' : 'canonical');
}

/**
 * The text `message` was received as, without its signature, when that is
 * canonical already, nested at most `maxDepth` deep and free of `toJSON`
 * members (see canonicalText.ts): a message whose signature (64 characters)
 * came last, as signInPlace writes one, from a peer that sent its text as
 * signed. The bytes signed are then the bytes received, and serializing the
 * message again is skipped.
 */
function receivedCanonicalText(message: unknown, maxDepth: number): string | undefined {
  const line = takeReceivedText(message);
  if (line === undefined) return undefined;
  const signature = (message as { signature?: unknown }).signature;
  if (typeof signature !== 'string' || signature.length !== 64) return undefined;
  const start = receivedBodyStart(line);
  if (start < 0) return undefined;
  // The body runs to the line's closing brace; `,"signature":"<64 characters>"}` closes it.
  const bodyEnd = line.length - 1;
  const end = bodyEnd - SIGNATURE_MEMBER_LENGTH - 2;
  const valueAt = end + 1 + SIGNATURE_NAME.length;
  if (
    end <= start ||
    line.charCodeAt(end) !== 0x2c ||
    !line.startsWith(SIGNATURE_NAME, end + 1) ||
    !line.startsWith(signature, valueAt) ||
    line.charCodeAt(valueAt + 64) !== 0x22 ||
    line.charCodeAt(valueAt + 65) !== 0x7d
  ) {
    return undefined;
  }
  return isCanonicalObjectText(line, start, end, maxDepth) ? `${line.slice(start, end)}}` : undefined;
}

/** The start of the signature member, up to its value's first digit. */
const SIGNATURE_NAME = '"signature":"';
/** `"signature":"` + 64 characters + `"`. */
const SIGNATURE_MEMBER_LENGTH = SIGNATURE_NAME.length + 64 + 1;

/** Whether `signature` is the HMAC of `input` under any of `keys`; every key is tried, each in constant time. */
function macMatches(keys: readonly HmacKey[], input: string, signature: string): boolean {
  if (signature.length !== 64) return false;
  receivedHex.write(signature, 'latin1');
  let matched = false;
  let matchedHex = '';
  for (const key of keys) {
    const expected = key.macHex(input);
    expectedHex.write(expected, 'latin1');
    if (timingSafeEqual(expectedHex, receivedHex)) {
      matched = true;
      matchedHex = expected;
    }
  }
  // Latin-1 keeps only the low byte of each character: bytes that matched
  // must also have come from the very same text (the MAC's hex digits).
  return matched && matchedHex === signature;
}
