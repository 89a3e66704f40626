import { timingSafeEqual } from 'node:crypto';
import { canonicalize, canonicalizeInspected, type KeyOrder } from './canonical';
import { takeReceivedText, withJsonText } from '../transport/jsonText';
import { receivedBodyStart } from '../transport/messageParser';
import { isCanonicalObjectText } from './canonicalText';
import type { HmacKey } from './hmacKey';
import type { UnsignedMembers } from './schemas';

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

/**
 * verifySigned of a received message already checked by inspectJsonValue
 * (which found `order`) and by its schema (which holds `signature` to 64
 * lowercase hex digits). The text the signature is checked over is, first
 * choice, the bytes received, when the framing marked the message with its
 * line and those bytes are canonical (receivedCanonicalText); otherwise it
 * is written without walking the tree again: from `unsignedMembers`, the
 * schema's copy of the members the signature covers (see CompiledSchema),
 * whenever every nested object is in order, whatever the order of the
 * message's own members; else from a copy without the signature.
 */
export function verifyInspected(keys: readonly HmacKey[], signed: Signed, order: KeyOrder, unsignedMembers?: UnsignedMembers): boolean {
  return macMatches(keys, unsignedText(signed, order, unsignedMembers), signed.signature);
}

/** The canonical text of `signed` without its signature (64 hex digits). */
function unsignedText(signed: Signed, order: KeyOrder, unsignedMembers: UnsignedMembers | undefined): string {
  const received = receivedCanonicalText(signed);
  if (received !== undefined) return received;
  // 'canonical' and 'signature-last' both mean every nested object is in order.
  if (unsignedMembers !== undefined && order !== 'other') return JSON.stringify(unsignedMembers(signed as unknown as Record<string, unknown>));
  // Leaving the signature out keeps the others in their order: in order, once a last signature is gone.
  return canonicalizeInspected(withoutSignature(signed), order === 'other' ? 'other' : 'canonical');
}

/**
 * The text `signed` was received as, without its signature, when that is
 * canonical already (see canonicalText.ts): a message whose signature came
 * last, as signInPlace writes one, from a peer that sent its text as
 * signed. The bytes signed are then the bytes received, and serializing the
 * message again is skipped.
 */
function receivedCanonicalText(signed: Signed): string | undefined {
  const line = takeReceivedText(signed);
  if (line === undefined) return undefined;
  const start = receivedBodyStart(line);
  if (start < 0) return undefined;
  // The body runs to the line's closing brace; `,"signature":"<64 hex digits>"}` closes it.
  const bodyEnd = line.length - 1;
  const end = bodyEnd - SIGNATURE_MEMBER_LENGTH - 2;
  const valueAt = end + 1 + SIGNATURE_NAME.length;
  if (
    end <= start ||
    line.charCodeAt(end) !== 0x2c ||
    !line.startsWith(SIGNATURE_NAME, end + 1) ||
    !line.startsWith(signed.signature, valueAt) ||
    line.charCodeAt(valueAt + 64) !== 0x22 ||
    line.charCodeAt(valueAt + 65) !== 0x7d
  ) {
    return undefined;
  }
  return isCanonicalObjectText(line, start, end) ? `${line.slice(start, end)}}` : undefined;
}

/** The start of the signature member, up to its value's first digit. */
const SIGNATURE_NAME = '"signature":"';
/** `"signature":"` + 64 hex digits + `"`. */
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
