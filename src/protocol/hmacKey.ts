import { createHash, type Hash } from 'node:crypto';

const BLOCK_BYTES = 64; // SHA-256 block size

/**
 * An HMAC-SHA256 key with its inner and outer pad hashes computed once.
 * Each MAC then copies two prepared hash states instead of setting up the key
 * again (RFC 2104, the same bytes as `createHmac('sha256', key)`), which is
 * most of what an HMAC over a short message costs.
 */
export class HmacKey {
  private readonly inner: Hash;
  private readonly outer: Hash;

  constructor(secret: Uint8Array) {
    let key = Buffer.from(secret);
    if (key.length > BLOCK_BYTES) key = createHash('sha256').update(key).digest();
    const ipad = Buffer.alloc(BLOCK_BYTES, 0x36);
    const opad = Buffer.alloc(BLOCK_BYTES, 0x5c);
    for (let i = 0; i < key.length; i++) {
      ipad[i] ^= key[i]!;
      opad[i] ^= key[i]!;
    }
    this.inner = createHash('sha256').update(ipad);
    this.outer = createHash('sha256').update(opad);
    key.fill(0);
  }

  /** HMAC-SHA256 of `message` (a string is taken as UTF-8), raw bytes. */
  mac(message: string | Uint8Array): Buffer {
    const innerDigest = this.inner.copy().update(message).digest();
    return this.outer.copy().update(innerDigest).digest();
  }

  /** HMAC-SHA256 of `message`, lowercase hex. */
  macHex(message: string | Uint8Array): string {
    return this.mac(message).toString('hex');
  }
}
