/**
 * Everything `--state redis://...` adds to a process: the connections, the
 * shared replay store, the shared job service and, unless turned off, a
 * worker. Loaded only when `--state` is given (src/state/index.ts is
 * required lazily), so the in-memory default never loads Redis code.
 */
import { randomUUID } from 'node:crypto';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobService, JobServiceSettings } from '../jobs/jobService';
import type { Logger } from '../server/logger';
import type { ReplayStore } from '../server/replayStore';
import type { ToolRegistry } from '../tools/registry';
import { DEFAULT_STALLED_MS, DEFAULT_WORKER_CONCURRENCY } from './defaults';
import { JobWorker } from './jobWorker';
import { errorText, openCommandConnection, openSubscriberConnection, throttledWarn } from './redisConnection';
import { RedisJobStore } from './redisJobStore';
import { RedisReplayStore } from './redisReplayStore';
import { SharedJobService } from './sharedJobs';
import { KEY_PREFIX, stateKeys, type StateKeys } from './stateKeys';
import { parseStateUrl, type StateLocation } from './stateUrl';

/** How a process uses the shared state. */
export interface SharedStateOptions {
  /** `redis://HOST:PORT/DB`, or one parsed with parseStateUrl. */
  url: string | StateLocation;
  serverId: string;
  logger: Logger;
}

/** The worker a process runs. */
export interface WorkerOptions {
  tools: ToolRegistry;
  /** Jobs run at once (default 32). */
  concurrency?: number;
  /** BullMQ's lock duration and stalled-check interval, ms (default 10000). */
  stalledMs?: number;
  /** Nesting allowed in tool output. */
  maxDepth: number;
}

export class SharedState {
  /** This process, as the records name it (`n`, `s`). */
  readonly processId = randomUUID();
  readonly location: StateLocation;
  readonly keys: StateKeys;
  readonly replayStore: ReplayStore;
  readonly jobStore: RedisJobStore;
  private readonly command: Redis;
  private readonly subscriber: Redis;
  private queue: Queue | undefined;
  private worker: JobWorker | undefined;
  private readonly logger: Logger;

  /** Opens the connections (in the background: a Redis that is not there yet is waited for, calls answer -32015 meanwhile). */
  constructor(options: SharedStateOptions) {
    this.location = typeof options.url === 'string' ? parseStateUrl(options.url) : options.url;
    this.keys = stateKeys(options.serverId);
    this.logger = options.logger;
    this.command = openCommandConnection(this.location, 'toolseal', options.logger);
    this.subscriber = openSubscriberConnection(this.location, 'toolseal-sub', options.logger);
    this.replayStore = new RedisReplayStore(this.command, this.keys);
    this.jobStore = new RedisJobStore(this.command, this.keys);
  }

  /** The job service of a server on this state. */
  jobService(options: JobServiceSettings): JobService {
    return new SharedJobService({
      ...options,
      processId: this.processId,
      keys: this.keys,
      store: this.jobStore,
      queue: this.jobQueue(),
      command: this.command,
      subscriber: this.subscriber,
      logger: this.logger,
      worker: () => this.worker,
    });
  }

  /** Starts this process's worker. */
  startWorker(options: WorkerOptions): JobWorker {
    if (this.worker !== undefined) throw new Error('a worker is already running');
    this.worker = new JobWorker({
      location: this.location,
      keys: this.keys,
      store: this.jobStore,
      subscriber: this.subscriber,
      tools: options.tools,
      logger: this.logger,
      concurrency: options.concurrency ?? DEFAULT_WORKER_CONCURRENCY,
      stalledMs: options.stalledMs ?? DEFAULT_STALLED_MS,
      maxDepth: options.maxDepth,
    });
    return this.worker;
  }

  /** Stops the worker (its running jobs cancelled), then closes every connection. */
  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close().catch(() => undefined);
    for (const redis of [this.subscriber, this.command]) {
      try {
        redis.disconnect();
      } catch (err) {
        this.logger.debug('state_close', { error: errorText(err) });
      }
    }
  }

  /** The BullMQ queue jobs are put on; it shares the command connection, so adding a job fails fast while Redis is away. */
  private jobQueue(): Queue {
    if (this.queue === undefined) {
      this.queue = new Queue(this.keys.queue, { connection: this.command as unknown as ConnectionOptions, prefix: KEY_PREFIX });
      const warnError = throttledWarn(this.logger, 'queue_error');
      this.queue.on('error', (err) => warnError({ error: errorText(err) }));
    }
    return this.queue;
  }
}
