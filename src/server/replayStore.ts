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
   */
  remember(clientId: string, nonce: string, expiresMs: number, nowMs: number): Promise<ReplayVerdict>;
  /** Number of entries currently held. */
  size(): Promise<number>;
}

/**
 * An in-memory ReplayStore. Entries are kept in insertion order, which is
 * expiry order (every entry lives the same 2 x max-skew), so expired entries
 * are dropped from the front in amortised O(1) per call, with no timers.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly entries = new Map<string, number>();

  /** @param maxEntries entries held at most before new calls are refused. */
  constructor(private readonly maxEntries: number) {}

  async remember(clientId: string, nonce: string, expiresMs: number, nowMs: number): Promise<ReplayVerdict> {
    return this.rememberSync(clientId, nonce, expiresMs, nowMs);
  }

  /** The same as remember, for callers that want no promise on the hot path. */
  rememberSync(clientId: string, nonce: string, expiresMs: number, nowMs: number): ReplayVerdict {
    this.dropExpired(nowMs);
    // The length prefix keeps ("a", "bc") and ("ab", "c") apart.
    const key = `${clientId.length}:${clientId}${nonce}`;
    const known = this.entries.get(key);
    if (known !== undefined && known > nowMs) return 'replayed';
    if (known === undefined && this.entries.size >= this.maxEntries) return 'full';
    this.entries.delete(key);
    this.entries.set(key, expiresMs);
    return 'fresh';
  }

  async size(): Promise<number> {
    return this.entries.size;
  }

  private dropExpired(nowMs: number): void {
    for (const [key, expiresMs] of this.entries) {
      if (expiresMs > nowMs) return;
      this.entries.delete(key);
    }
  }
}
