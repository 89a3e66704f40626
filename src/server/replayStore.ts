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
   * seen (and is now recorded until `expiresMs`), `replayed` when it was,
   * `full` when the store cannot take another entry (the caller must refuse
   * the call: forgetting an unexpired entry would let it be replayed).
   * A store that answers at once (in memory) may return the verdict itself.
   */
  remember(clientId: string, nonce: string, expiresMs: number, nowMs: number): Eventually<ReplayVerdict>;
  /** Number of entries currently held. */
  size(): Promise<number>;
}

/**
 * An in-memory ReplayStore. A pair is kept as a 64-bit fingerprint (a hash
 * keyed with a secret drawn at start-up, so nobody can aim two pairs at one
 * fingerprint) in a NonceTable: about 20 bytes per live entry, dropped as it
 * expires, with no timers.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly table: NonceTable;
  private readonly hashKey = randomBytes(16).toString('hex');

  /** @param maxEntries live entries held at most; past it calls are refused (`full`). */
  constructor(maxEntries: number) {
    this.table = new NonceTable(maxEntries);
  }

  /** Answers at once: no promise. */
  remember(clientId: string, nonce: string, expiresMs: number, nowMs: number): ReplayVerdict {
    // The length prefix keeps ("a", "bc") and ("ab", "c") apart.
    // Hex output keeps the digest on the JS heap (a Buffer per call would be external memory).
    const digest = hash('sha256', `${this.hashKey}${clientId.length}:${clientId}${nonce}`, 'hex');
    const word = (i: number) => parseInt(digest.slice(i * 8, i * 8 + 8), 16);
    return this.table.add(word(0), word(1), expiresMs, nowMs);
  }

  async size(): Promise<number> {
    return this.table.size;
  }
}
