/**
 * A BullMQ worker running the jobs of one server_id, in a `toolseal serve`
 * process (unless `--no-worker`) or a `toolseal worker` process on any host.
 * It runs a job's tool as the server would (its timeout, its output check),
 * writes each transition to the job's record in Redis (which publishes it
 * to the process that reports the job) and aborts `ctx.signal` when any
 * process cancels the job.
 *
 * A worker that dies mid-job leaves its job locked until the lock expires
 * (`stalledMs`); another worker's stalled-job check then puts it back on the
 * queue, and whoever takes it ends it in `error` (or, for a tool with
 * `safeToRetry`, runs it again, once: a second stall fails it). So a job
 * left by a dead worker ends within about 3 x `stalledMs` as long as some
 * worker of the server_id is running.
 */
import { Worker, type ConnectionOptions, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { isTerminal, type JobRecord } from '../jobs/jobStore';
import { errorMessage, type JobChange } from '../jobs/jobChanges';
import { JOB_RECORD_BYTES } from '../jobs/jobLedger';
import { estimateRetainedBytes } from '../jobs/retainedSize';
import type { Logger } from '../server/logger';
import { runJobTool } from '../server/toolRunner';
import { OpenSignals } from '../tools/context';
import type { ToolRegistry } from '../tools/registry';
import { errorText, redisOptions, throttledWarn } from './redisConnection';
import type { RedisJobStore } from './redisJobStore';
import { KEY_PREFIX, type StateKeys } from './stateKeys';
import type { StateLocation } from './stateUrl';

/** What a job carries on the queue: all a worker anywhere needs to run it. */
export interface QueuedJob {
  jobId: string;
  tool: string;
  clientId: string;
  requestId: string;
  args: Record<string, unknown>;
  /** A result whose estimated size is over this ends the job in `error` (the starting server's per-client job bytes). */
  maxResultBytes: number;
}

export interface JobWorkerOptions {
  location: StateLocation;
  keys: StateKeys;
  store: RedisJobStore;
  /** The command connection (publishing nothing here; kept for symmetry with the store). */
  subscriber: Redis;
  tools: ToolRegistry;
  logger: Logger;
  /** Jobs this worker runs at once. */
  concurrency: number;
  /** BullMQ lock duration and stalled-check interval, ms. */
  stalledMs: number;
  /** Nesting allowed in tool output. */
  maxDepth: number;
}


/** The error of a job whose worker stopped while running it. */
export const WORKER_LOST_MESSAGE = 'job failed: the worker running it stopped';
const TOO_LARGE_MESSAGE = 'job result too large to keep';
/** How often, and how many times, a job's final transition is retried while Redis is away. */
const FINAL_WRITE_RETRY_MS = 500;
const FINAL_WRITE_TRIES = 60;
/** How long `close` waits for running jobs to stop after their signals fired, ms. */
const CLOSE_WAIT_MS = 1_000;

export class JobWorker {
  private readonly worker: Worker;
  /** Jobs running here, by job id: cancelling one aborts its controller. */
  private readonly running = new Map<string, AbortController>();
  private readonly scope: { logger: Logger; openSignals: OpenSignals };
  private closing: Promise<void> | undefined;

  constructor(private readonly options: JobWorkerOptions) {
    this.scope = { logger: options.logger, openSignals: new OpenSignals() };
    this.worker = new Worker(options.keys.queue, (job) => this.process(job), {
      connection: redisOptions(options.location, 'toolseal-worker', true) as ConnectionOptions,
      prefix: KEY_PREFIX,
      concurrency: options.concurrency,
      lockDuration: options.stalledMs,
      stalledInterval: options.stalledMs,
      maxStalledCount: 1,
      autorun: true,
    });
    const warnError = throttledWarn(options.logger, 'worker_error');
    this.worker.on('error', (err) => warnError({ error: errorText(err) }));
    // Our processor never throws for a job's own failure: a failed BullMQ job
    // is one that stalled too often (or could not be run at all).
    this.worker.on('failed', (job, err) => {
      if (job === undefined) return;
      const data = job.data as QueuedJob;
      options.logger.warn('job_lost', { job_id: data.jobId, error: err.message });
      void this.finish(data.jobId, { state: 'error', error: WORKER_LOST_MESSAGE });
    });
    this.worker.on('stalled', (jobId) => options.logger.warn('job_stalled', { job_id: jobId }));
    options.subscriber.on('message', (channel: string, message: string) => {
      if (channel === options.keys.cancelChannel) this.running.get(message)?.abort(new Error('job cancelled'));
    });
    options.subscriber.subscribe(options.keys.cancelChannel).catch((err: unknown) => options.logger.warn('worker_subscribe_failed', { error: errorText(err) }));
  }

  /** Jobs running in this worker now. */
  get runningCount(): number {
    return this.running.size;
  }

  /** Resolves once BullMQ's worker is connected and taking jobs. */
  waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  /**
   * Stops taking jobs and cancels the ones running here (each ends
   * `cancelled`, its update sent as always). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = this.worker.close();
      for (const controller of this.running.values()) controller.abort(new Error('worker stopping'));
      const timer = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref());
      await Promise.race([closed, timer]);
      await this.worker.close(true).catch(() => undefined);
    })();
    return this.closing;
  }

  private async process(job: Job): Promise<void> {
    const data = job.data as QueuedJob;
    const { store, tools, logger } = this.options;
    const record = await store.get(data.jobId);
    if (record === undefined || isTerminal(record.state)) return; // cancelled while queued, or expired
    const registered = tools.get(data.tool);
    if (registered === undefined || registered.tool.job !== true) {
      logger.error('job_tool_missing', { job_id: data.jobId, tool: data.tool });
      await this.finish(data.jobId, { state: 'error', error: `job failed: tool ${data.tool} is not served by the worker that took the job` });
      return;
    }
    if (registered.input.check(data.args).length > 0) {
      // Checked by the server that accepted the call; a queue entry that fails it was not written by one.
      logger.error('job_args_invalid', { job_id: data.jobId, tool: data.tool });
      await this.finish(data.jobId, { state: 'error', error: 'job failed: its arguments do not match the input schema' });
      return;
    }
    if (record.state === 'running' && registered.tool.safeToRetry !== true) {
      // It ran before, on a worker that stopped: not safe to start again.
      await this.finish(data.jobId, { state: 'error', error: WORKER_LOST_MESSAGE });
      return;
    }
    const controller = new AbortController();
    // Registered before `running` is written: a cancel published after that write finds it.
    this.running.set(data.jobId, controller);
    try {
      const started = await this.write(data.jobId, { state: 'running', progress: 0 });
      if (started === undefined) return;
      // A progress write refused means the job ended elsewhere (cancelled, its cancel request missed): stop the work.
      const progress = new ProgressWriter((change) =>
        this.write(data.jobId, change).then((written) => {
          if (written === undefined) controller.abort(new Error('job cancelled'));
        }),
      );
      let change: JobChange;
      try {
        const result = await runJobTool(registered, data, { signal: controller.signal, reportProgress: (f, m) => progress.report(f, m) }, { logger, scope: this.scope, maxDepth: this.options.maxDepth });
        change = controller.signal.aborted ? { state: 'cancelled' } : keptResult(result, data.maxResultBytes);
      } catch (err) {
        change = controller.signal.aborted ? { state: 'cancelled' } : { state: 'error', error: errorMessage(err) };
      }
      progress.stop();
      await progress.idle();
      await this.finish(data.jobId, change);
    } finally {
      this.running.delete(data.jobId);
    }
  }

  /** One transition; undefined when the job has ended or is gone (never throws). */
  private async write(jobId: string, change: JobChange): Promise<JobRecord | undefined> {
    try {
      const outcome = await this.options.store.transition(jobId, change, Date.now());
      return typeof outcome === 'string' ? undefined : outcome;
    } catch (err) {
      this.options.logger.warn('job_update_failed', { job_id: jobId, state: change.state, error: errorText(err) });
      throw err;
    }
  }

  /** A job's last transition, retried while Redis is away: a terminal update is always written when it can be. */
  private async finish(jobId: string, change: JobChange): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(jobId, change);
        return;
      } catch {
        if (attempt >= FINAL_WRITE_TRIES) return;
        await new Promise((resolve) => setTimeout(resolve, FINAL_WRITE_RETRY_MS));
      }
    }
  }
}

/** `done`, or `error` when the result is larger than a job may keep. */
function keptResult(result: Record<string, unknown>, maxBytes: number): JobChange {
  const bytes = JOB_RECORD_BYTES + estimateRetainedBytes(result);
  if (bytes > maxBytes) return { state: 'error', error: `${TOO_LARGE_MESSAGE}: the limit is ${maxBytes} bytes per client (estimated in memory)` };
  return { state: 'done', result };
}

/**
 * A job's progress reports, written one at a time: while one is being
 * written only the latest of those that arrive waits, so a chatty tool
 * costs at most one write in flight.
 */
class ProgressWriter {
  private pending: JobChange | undefined;
  private writing: Promise<void> = Promise.resolve();
  private busy = false;
  private stopped = false;

  constructor(private readonly write: (change: JobChange) => Promise<void>) {}

  report(fraction: number, message?: string): void {
    if (this.stopped || typeof fraction !== 'number' || Number.isNaN(fraction)) return;
    const change: JobChange = { state: 'running', progress: Math.min(1, Math.max(0, fraction)) };
    if (typeof message === 'string') change.message = message;
    this.pending = change;
    if (!this.busy) this.writing = this.drain();
  }

  stop(): void {
    this.stopped = true;
    this.pending = undefined;
  }

  idle(): Promise<void> {
    return this.writing;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    while (this.pending !== undefined) {
      const change = this.pending;
      this.pending = undefined;
      await this.write(change).catch(() => undefined);
    }
    this.busy = false;
  }
}

export type { Queue };
