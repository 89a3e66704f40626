import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * An HMAC-SHA256 key, imported once as a KeyObject: each MAC then skips
 * turning raw bytes into a key again, which is much of what an HMAC over a
 * short message costs. The secret bytes are not kept anywhere else.
 */
export class HmacKey {
  private readonly key: KeyObject;

  constructor(secret: Uint8Array) {
    this.key = createSecretKey(Buffer.from(secret));
  }

  /** Whether `other` holds the same secret (compared without exposing it). */
  sameSecretAs(other: HmacKey): boolean {
    return this.key.equals(other.key);
  }

  /** HMAC-SHA256 of `message` (a string is taken as UTF-8), raw bytes. */
  mac(message: string | Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(message).digest();
  }

  /** HMAC-SHA256 of `message`, lowercase hex. */
  macHex(message: string | Uint8Array): string {
    return createHmac('sha256', this.key).update(message).digest('hex');
  }
}
