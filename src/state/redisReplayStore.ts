/**
 * The replay window shared by every process of a server_id: one atomic
 * `SET key 1 NX PX ttl` per (server_id, client_id, nonce). A nonce recorded
 * by any process is refused by all. ioredis's auto-pipelining sends the
 * checks of pipelined calls in one round trip.
 */
import type { Redis } from 'ioredis';
import type { ReplayStore, ReplayVerdict } from '../server/replayStore';
import { isOutOfMemory, asStateError, whenReady } from './redisConnection';
import type { StateKeys } from './stateKeys';

export class RedisReplayStore implements ReplayStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: StateKeys,
  ) {}

  /**
   * `fresh` when the pair was not seen (now kept through `expiresMs`,
   * included), `replayed` when it was, `full` when Redis is out of memory
   * (its `maxmemory`, under `noeviction`). Rejects with -32015 when Redis
   * cannot be reached: the call is refused, never let through unchecked.
   */
  remember(clientId: string, nonce: string, expiresMs: number, nowMs: number): Promise<ReplayVerdict> {
    // PX is the time to live from now: +1 keeps the entry through expiresMs itself.
    const ttlMs = Math.max(1, Math.ceil(expiresMs - nowMs) + 1);
    const key = this.keys.replay(clientId, nonce);
    const set = (): Promise<ReplayVerdict> => this.redis.set(key, '1', 'PX', ttlMs, 'NX').then((reply) => (reply === 'OK' ? 'fresh' : 'replayed'));
    const verdict = this.redis.status === 'ready' ? set() : whenReady(this.redis).then(set);
    return verdict.catch((err: unknown) => {
      if (isOutOfMemory(err)) return 'full';
      throw asStateError(err);
    });
  }

  /** Entries of this server in Redis (a scan: for tests and diagnostics, not the call path). */
  async size(): Promise<number> {
    const pattern = `${this.keys.replay('', '').replace(/0::$/, '')}*`;
    let count = 0;
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      count += found.length;
    } while (cursor !== '0');
    return count;
  }
}
