import { timingSafeEqual } from 'node:crypto';
import { canonicalize } from './canonical';
import { withJsonText } from '../transport/jsonText';
import type { HmacKey } from './hmacKey';

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
export function signInPlace<T extends object>(key: HmacKey, unsigned: T): T & Signed {
  const canonical = signingInput(unsigned);
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
  receivedHex.write(signature, 'latin1');
  const input = signingInput(unsigned);
  let matched = false;
  for (const key of keys) {
    expectedHex.write(key.macHex(input), 'latin1');
    if (timingSafeEqual(expectedHex, receivedHex)) matched = true;
  }
  return matched;
}

/** Verifies a signed object as received: its signature over all its other fields. */
export function verifySigned<T extends Signed>(keys: readonly HmacKey[], signed: T): boolean {
  return verify(keys, withoutSignature(signed), signed.signature);
}
