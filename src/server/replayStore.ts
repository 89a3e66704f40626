import { hash, randomBytes } from 'node:crypto';
import type { Eventually } from '../protocol/eventually';
import { NonceTable } from './nonceTable';

/** What recording a (client_id, nonce) pair found. */
export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

/**
 * Remembers which (client_id, nonce) pairs were seen, until they can no
 * longer pass the freshness check. Asynchronous so a shared store can
 * implement it and several server processes can share one replay window.
 */
export interface ReplayStore {
  /**
   * Records the pair unless it is already known: `fresh` when it was not
   * seen (and is now recorded through `expiresMs`, that instant included),
   * `replayed` when it was, `full` when the store cannot take another entry
   * for this client (the caller must refuse the call: forgetting an
   * unexpired entry would let it be replayed).
   * A store that answers at once (in memory) may return the verdict itself.
   */
  remember(clientId: string, nonce: string, expiresMs: number, nowMs: number): Eventually<ReplayVerdict>;
  /** Number of entries currently held. */
  size(): Promise<number>;
}

/**
 * An in-memory ReplayStore. A pair is kept as a 64-bit fingerprint (a hash
 * keyed with a secret drawn at start-up, so nobody can aim two pairs at one
 * fingerprint) in a NonceTable: about 24 bytes per live entry, dropped as it
 * expires, with no timers. Each client may hold at most its share of the
 * entries, so one client's flood fills its share, not the table.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly table: NonceTable;
  private readonly hashKey = randomBytes(16).toString('hex');
  /**
   * Per client id seen: its NonceTable owner index, and the text its
   * nonces are hashed after. Only authenticated client ids get here (the
   * pipeline checks the signature first), so it is as long as the keyring
   * (plus `mcp:unsigned`).
   */
  private readonly owners = new Map<string, { index: number; prefix: string }>();

  /**
   * @param maxEntries live entries held at most; past it calls are refused (`full`).
   * @param maxEntriesPerClient live entries one client may hold (default: `maxEntries`).
   */
  constructor(maxEntries: number, maxEntriesPerClient = maxEntries) {
    this.table = new NonceTable(maxEntries, undefined, Math.min(maxEntries, maxEntriesPerClient));
  }

  /** Answers at once: no promise. */
  remember(clientId: string, nonce: string, expiresMs: number, nowMs: number): ReplayVerdict {
    let owner = this.owners.get(clientId);
    if (owner === undefined) {
      // The length prefix keeps ("a", "bc") and ("ab", "c") apart.
      owner = { index: this.owners.size, prefix: `${this.hashKey}${clientId.length}:${clientId}` };
      this.owners.set(clientId, owner);
    }
    // 'binary' (Latin-1) output: one character per digest byte, on the JS heap (a Buffer per call would be external memory).
    const digest = hash('sha256', owner.prefix + nonce, 'binary');
    return this.table.add(word(digest, 0), word(digest, 4), expiresMs, nowMs, owner.index);
  }

  /** Live entries of one client. */
  sizeOf(clientId: string): number {
    const owner = this.owners.get(clientId);
    return owner === undefined ? 0 : this.table.sizeOf(owner.index);
  }

  async size(): Promise<number> {
    return this.table.size;
  }
}

/** The 32-bit word of a Latin-1 digest at byte `at`, little-endian. */
function word(digest: string, at: number): number {
  return (digest.charCodeAt(at) | (digest.charCodeAt(at + 1) << 8) | (digest.charCodeAt(at + 2) << 16) | (digest.charCodeAt(at + 3) << 24)) >>> 0;
}
