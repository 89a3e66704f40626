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
   * The NonceTable owner index of each client id seen. Only authenticated
   * client ids get here (the pipeline checks the signature first), so it is
   * as long as the keyring (plus `mcp:unsigned`).
   */
  private readonly owners = new Map<string, number>();

  /**
   * @param maxEntries live entries held at most; past it calls are refused (`full`).
   * @param maxEntriesPerClient live entries one client may hold (default: `maxEntries`).
   */
  constructor(maxEntries: number, maxEntriesPerClient = maxEntries) {
    this.table = new NonceTable(maxEntries, undefined, Math.min(maxEntries, maxEntriesPerClient));
  }

  /** Answers at once: no promise. */
  remember(clientId: string, nonce: string, expiresMs: number, nowMs: number): ReplayVerdict {
    // The length prefix keeps ("a", "bc") and ("ab", "c") apart.
    // Hex output keeps the digest on the JS heap (a Buffer per call would be external memory).
    const digest = hash('sha256', `${this.hashKey}${clientId.length}:${clientId}${nonce}`, 'hex');
    const word = (i: number) => parseInt(digest.slice(i * 8, i * 8 + 8), 16);
    let owner = this.owners.get(clientId);
    if (owner === undefined) this.owners.set(clientId, (owner = this.owners.size));
    return this.table.add(word(0), word(1), expiresMs, nowMs, owner);
  }

  /** Live entries of one client. */
  sizeOf(clientId: string): number {
    const owner = this.owners.get(clientId);
    return owner === undefined ? 0 : this.table.sizeOf(owner);
  }

  async size(): Promise<number> {
    return this.table.size;
  }
}
