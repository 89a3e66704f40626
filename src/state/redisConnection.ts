/**
 * Connections to the shared state. Every connection's `error` event is
 * handled here (an unhandled one would crash the process) and logged on
 * stderr through the server's logger, once per outage rather than once per
 * reconnection attempt. ioredis reconnects by itself, forever, with a capped
 * back-off, so a server recovers on its own when Redis returns.
 */
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import type { Logger } from '../server/logger';
import type { StateLocation } from './stateUrl';

/** How long a command may wait for a connection that is (re)connecting before the call is refused -32015. */
export const READY_WAIT_MS = 1_000;
/** A command with no reply after this long fails (a hung or paused Redis), ms. */
export const COMMAND_TIMEOUT_MS = 2_000;
/** Reconnection back-off: 100 ms more per attempt, at most this. */
const MAX_RECONNECT_DELAY_MS = 1_000;
/** What a -32015 answer suggests waiting before a retry, ms. */
export const RETRY_AFTER_MS = 1_000;

/** ioredis options for a location; `blocking` for BullMQ's workers and event readers, which wait on Redis. */
export function redisOptions(location: StateLocation, name: string, blocking: boolean): RedisOptions {
  const options: RedisOptions = {
    host: location.host,
    port: location.port,
    db: location.db,
    connectionName: name,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    // A Redis that is not there must not keep a host waiting.
    connectTimeout: 2_000,
    lazyConnect: false,
  };
  if (location.username !== undefined) options.username = location.username;
  if (location.password !== undefined) options.password = location.password;
  if (blocking) {
    // BullMQ's requirement for connections that block (BRPOPLPUSH, XREAD).
    options.maxRetriesPerRequest = null;
  } else {
    // Calls fail fast while Redis is away (answered -32015) instead of queueing
    // to run later, when their caller has long been answered.
    options.enableOfflineQueue = false;
    options.maxRetriesPerRequest = 0;
    options.autoResendUnfulfilledCommands = false;
    options.commandTimeout = COMMAND_TIMEOUT_MS;
    // Calls made in the same turn share one round trip (pipelined calls do not each wait).
    options.enableAutoPipelining = true;
  }
  return options;
}

/**
 * Logs a connection's outages and recoveries at warn: the first error or
 * the loss of a ready connection starts an outage, `ready` ends it. Errors
 * in between are counted, not logged. A connection closed on purpose
 * (`disconnect`) is not an outage.
 */
export function watchConnection(redis: Redis, name: string, logger: Logger): void {
  let down = false;
  let failures = 0;
  const outage = (error: string): void => {
    if (down) return;
    down = true;
    logger.warn('state_unavailable', { connection: name, error });
  };
  redis.on('error', (err: unknown) => {
    failures++;
    outage(errorText(err));
  });
  redis.on('close', () => {
    if (redis.status !== 'end' && !(redis as unknown as { manuallyClosing?: boolean }).manuallyClosing) outage('connection closed');
  });
  redis.on('ready', () => {
    if (!down) return;
    logger.warn('state_recovered', { connection: name, failed_attempts: failures });
    down = false;
    failures = 0;
  });
}

/**
 * Logs an event at warn at most once per `everyMs`, counting the ones in
 * between (BullMQ reports every failed attempt while Redis is away).
 */
export function throttledWarn(logger: Logger, event: string, everyMs = 10_000): (fields: Record<string, unknown>) => void {
  let last = -Infinity;
  let skipped = 0;
  return (fields) => {
    const now = Date.now();
    if (now - last < everyMs) {
      skipped++;
      return;
    }
    last = now;
    logger.warn(event, skipped > 0 ? { ...fields, repeated: skipped } : fields);
    skipped = 0;
  };
}

/** A command connection (replay checks, job records, publishing), watched. */
export function openCommandConnection(location: StateLocation, name: string, logger: Logger): Redis {
  const redis = new Redis(redisOptions(location, name, false));
  watchConnection(redis, name, logger);
  return redis;
}

/** A subscriber connection (job updates, cancel requests); it resubscribes on reconnection. */
export function openSubscriberConnection(location: StateLocation, name: string, logger: Logger): Redis {
  const redis = new Redis({ ...redisOptions(location, name, true), autoResubscribe: true });
  watchConnection(redis, name, logger);
  return redis;
}

/**
 * Resolves once `redis` is ready, at once when it is; rejects with the
 * -32015 error when it is not within `waitMs` (a connection being
 * re-established gets that long; one that is down answers after it).
 */
export function whenReady(redis: Redis, waitMs = READY_WAIT_MS): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(stateUnavailable(new Error(`not connected (${redis.status})`)));
    }, waitMs);
    timer.unref();
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** The -32015 answer for a failure to reach the shared state. Its message says nothing about the deployment. */
export function stateUnavailable(cause: unknown): ToolsealError {
  if (cause instanceof ToolsealError) return cause;
  return new ToolsealError(ErrorCode.StateUnavailable, 'state unavailable: the shared state cannot be reached, try again', {
    retryable: true,
    retry_after_ms: RETRY_AFTER_MS,
  });
}

/** Replies of a Redis that is there but cannot serve now (loading its data, busy with a script, a replica). */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|READONLY|CLUSTERDOWN)\b/;

/**
 * What a failed command becomes: the -32015 answer when Redis could not be
 * reached (or cannot serve now), else the error itself (a reply that points
 * to a fault of ours, answered -32603 and logged).
 */
export function asStateError(err: unknown): unknown {
  if (err instanceof ToolsealError) return err;
  if (err instanceof ReplyError && !TRANSIENT_REPLY.test((err as Error).message)) return err;
  return stateUnavailable(err);
}

/** Redis's answer when it is out of memory under the `noeviction` policy. */
export function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('OOM ');
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
