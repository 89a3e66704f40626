/**
 * Names in Redis. Every process of one server_id uses the same names, and
 * servers with other ids (on the same Redis) never meet: everything sits
 * under `toolseal:<hash of the server id>`, a fixed-length name whatever
 * characters the id holds.
 */
import { createHash } from 'node:crypto';

/** BullMQ's key prefix (its queue name follows it). */
export const KEY_PREFIX = 'toolseal';

export interface StateKeys {
  /** The BullMQ queue of this server's jobs (under KEY_PREFIX). */
  readonly queue: string;
  /** The replay entry of a (client_id, nonce) pair. */
  replay(clientId: string, nonce: string): string;
  /** A job's record (a hash: rec, seq, ttl, n, s). */
  job(jobId: string): string;
  /** Where a process hears the updates of the jobs it reports (append its process id). */
  readonly updatesChannel: string;
  /** Where cancel requests go out to every worker. */
  readonly cancelChannel: string;
}

export function stateKeys(serverId: string): StateKeys {
  const id = createHash('sha256').update(serverId).digest('hex').slice(0, 32);
  const base = `${KEY_PREFIX}:${id}`;
  const replay = `${base}:r:`;
  const job = `${base}:j:`;
  return {
    queue: `jobs-${id}`,
    // The length prefix keeps ("a", "bc") and ("ab", "c") apart.
    replay: (clientId, nonce) => `${replay}${clientId.length}:${clientId}:${nonce}`,
    job: (jobId) => `${job}${jobId}`,
    updatesChannel: `${base}:updates:`,
    cancelChannel: `${base}:cancel`,
  };
}
