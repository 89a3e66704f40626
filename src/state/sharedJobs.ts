/**
 * The serve side of shared jobs. A start call creates the job's record in
 * Redis and puts the job on the BullMQ queue, where a worker on any host
 * takes it. The process reports the updates of the jobs it reports (the
 * record's `n`: set when it starts a job, and when the owner polls or
 * cancels one through it): each arrives on its channel in seq order and is
 * handed to `onUpdate`, which signs and sends the `job/status`.
 *
 * Limits: `maxJobs` and the job ledger (count and bytes, per client and in
 * all) bound what this process starts, as without `--state`; a worker
 * bounds a result by the starting process's per-client bytes.
 */
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_JOB_LIMITS, JOB_RECORD_BYTES, JobLedger, type JobLimits } from '../jobs/jobLedger';
import { acceptedRecord, JobLimitError, updateOf } from '../jobs/jobChanges';
import type { JobService, JobServiceSettings, JobStart } from '../jobs/jobService';
import { expiryOf, isTerminal, type JobRecord } from '../jobs/jobStore';
import { estimateRetainedBytes } from '../jobs/retainedSize';
import type { Logger } from '../server/logger';
import type { JobWorker, QueuedJob } from './jobWorker';
import { asStateError, errorText } from './redisConnection';
import { parseUpdate, type PublishedUpdate, type RedisJobStore } from './redisJobStore';
import type { StateKeys } from './stateKeys';

export interface SharedJobServiceOptions extends JobServiceSettings {
  processId: string;
  keys: StateKeys;
  store: RedisJobStore;
  queue: Queue;
  /** Publishes cancel requests. */
  command: Redis;
  subscriber: Redis;
  logger: Logger;
  /** This process's own worker, if it runs one: stopping the server stops it. */
  worker?: () => JobWorker | undefined;
}

/** How long `cancelAll` waits for the updates of the jobs its own worker cancelled, ms. */
const CANCEL_UPDATES_WAIT_MS = 300;

export class SharedJobService implements JobService {
  private readonly ledger: JobLedger;
  private readonly limits: JobLimits;
  /** Jobs started here and not yet seen to end. */
  private readonly started = new Set<string>();
  private registering = 0;
  /** The seq of the last update sent, per job this process reports (for catching up after a lost connection). */
  private readonly reported = new Map<string, number>();
  private idleWaiters: Array<() => void> = [];
  private holding = false;
  private readonly held = new Map<string, PublishedUpdate>();
  private readonly channel: string;
  private readonly now: () => number;
  private subscriberWasDown = false;

  constructor(private readonly options: SharedJobServiceOptions) {
    if (!Number.isSafeInteger(options.maxJobs) || options.maxJobs < 1) throw new RangeError(`maxJobs must be a positive integer, got ${options.maxJobs}`);
    this.limits = { ...DEFAULT_JOB_LIMITS, ...options.limits };
    this.ledger = new JobLedger(this.limits, (jobId) => {
      options.store.delete(jobId).catch((err: unknown) => this.reportFailure(err));
    });
    this.now = options.now ?? Date.now;
    this.channel = `${options.keys.updatesChannel}${options.processId}`;
    options.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
    // Pub/sub does not keep messages for a subscriber that is away: after a
    // lost connection, catch up from the records.
    options.subscriber.on('error', () => (this.subscriberWasDown = true));
    options.subscriber.on('close', () => (this.subscriberWasDown = true));
    options.subscriber.on('ready', () => {
      if (!this.subscriberWasDown) return;
      this.subscriberWasDown = false;
      void this.catchUp();
    });
    options.subscriber.subscribe(this.channel).catch((err: unknown) => this.reportFailure(err));
  }

  get runningCount(): number {
    return this.started.size + this.registering;
  }

  async start(params: JobStart): Promise<JobRecord> {
    if (this.runningCount >= this.options.maxJobs) throw new JobLimitError(`too many jobs: the limit is ${this.options.maxJobs} running at once`);
    const jobId = randomUUID();
    const refusal = this.ledger.admit(jobId, params.ownerClientId, JOB_RECORD_BYTES + (params.heldBytes ?? 0), this.now());
    if (refusal !== undefined) throw new JobLimitError(refusal);
    const record = acceptedRecord(jobId, params, this.now());
    const queued: QueuedJob = {
      jobId,
      tool: params.tool,
      clientId: params.ownerClientId,
      requestId: params.requestId,
      args: params.args,
      maxResultBytes: this.limits.maxJobBytesPerClient,
    };
    this.registering++;
    try {
      await this.options.store.create(record, this.options.ttlMs, this.options.processId);
      this.reported.set(jobId, 0);
      try {
        await this.options.queue.add('job', queued, { jobId, attempts: 1, removeOnComplete: true, removeOnFail: true });
      } catch (err) {
        this.reported.delete(jobId);
        this.options.store.delete(jobId).catch(() => undefined);
        throw asStateError(err);
      }
    } catch (err) {
      this.ledger.forget(jobId);
      throw err;
    } finally {
      this.registering--;
    }
    this.started.add(jobId);
    return record;
  }

  /** The record; a job still running is reported by this process from now on (the owner's pipe is here). */
  async get(jobId: string, ownerClientId: string): Promise<JobRecord | undefined> {
    const found = await this.options.store.getWithReporter(jobId);
    if (found === undefined) return undefined;
    const { record, reporter } = found;
    if (record.ownerClientId !== ownerClientId || this.isExpired(record)) return undefined;
    if (!isTerminal(record.state) && reporter !== this.options.processId) await this.report(record);
    return record;
  }

  async cancel(jobId: string, ownerClientId: string): Promise<JobRecord | undefined> {
    const record = await this.get(jobId, ownerClientId);
    if (record === undefined || isTerminal(record.state)) return record;
    const outcome = await this.options.store.transition(jobId, { state: 'cancelled' }, this.now());
    // Whichever worker runs it aborts its ctx.signal; one that takes it later skips it.
    this.options.command.publish(this.options.keys.cancelChannel, jobId).catch((err: unknown) => this.reportFailure(err));
    if (outcome === 'gone') return undefined;
    if (outcome === 'refused') return this.get(jobId, ownerClientId); // it ended meanwhile: answered as it ended
    return outcome;
  }

  /**
   * The server is stopping. Jobs run by workers belong to the shared state
   * and go on (pollable, cancellable from any process); the jobs this
   * process's own worker runs are cancelled, their updates sent.
   */
  async cancelAll(): Promise<void> {
    const worker = this.options.worker?.();
    if (worker === undefined) return;
    await worker.close();
    await Promise.race([this.whenIdle(), new Promise((resolve) => setTimeout(resolve, CANCEL_UPDATES_WAIT_MS).unref())]);
  }

  whenIdle(): Promise<void> {
    if (this.runningCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  holdProgress(hold: boolean): void {
    if (hold === this.holding) return;
    this.holding = hold;
    if (hold) return;
    const held = [...this.held.values()];
    this.held.clear();
    for (const update of held) this.deliver(update);
  }

  close(): void {
    this.options.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  /** Makes this process the one that reports the job. */
  private async report(record: JobRecord): Promise<void> {
    if (await this.options.store.claim(record.jobId, this.options.processId)) {
      this.reported.set(record.jobId, Math.max(record.seq, this.reported.get(record.jobId) ?? 0));
    }
  }

  private onMessage(text: string): void {
    const update = parseUpdate(text);
    if (update === undefined) return;
    const { record } = update;
    if (update.reporter !== this.options.processId) {
      // Another process reports it now (the owner polled it there).
      this.reported.delete(record.jobId);
    } else if (this.holding && !isTerminal(record.state)) {
      this.held.set(record.jobId, update);
    } else {
      this.held.delete(record.jobId);
      this.deliver(update);
    }
    if (isTerminal(record.state)) this.ended(record);
  }

  /** Hands an update out unless a later one of the job has been (seq only grows). */
  private deliver({ record, message }: PublishedUpdate): void {
    const last = this.reported.get(record.jobId);
    if (last === undefined || record.seq <= last) return;
    if (isTerminal(record.state)) this.reported.delete(record.jobId);
    else this.reported.set(record.jobId, record.seq);
    const update = updateOf(record, message);
    if (update === undefined) return;
    try {
      this.options.onUpdate(update);
    } catch (err) {
      this.reportFailure(err);
    }
  }

  /** A job started here has ended: its slot is free, what it keeps is counted until it expires. */
  private ended(record: JobRecord): void {
    if (!this.started.delete(record.jobId)) return;
    const kept = record.state === 'done' ? JOB_RECORD_BYTES + estimateRetainedBytes(record.result) : JOB_RECORD_BYTES + (record.state === 'error' ? record.error.length : 0);
    this.ledger.finish(record.jobId, kept, expiryOf(record) ?? this.now());
    if (this.runningCount === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** After the subscriber was away: reads the records of the jobs reported or started here and sends what was missed. */
  private async catchUp(): Promise<void> {
    const ids = new Set([...this.reported.keys(), ...this.started]);
    for (const jobId of ids) {
      try {
        const record = await this.options.store.get(jobId);
        if (record === undefined) {
          this.reported.delete(jobId);
          if (this.started.delete(jobId)) this.ledger.forget(jobId);
          continue;
        }
        if (this.reported.has(jobId)) this.deliver({ reporter: this.options.processId, record });
        if (isTerminal(record.state)) this.ended(record);
      } catch (err) {
        this.reportFailure(err);
        this.subscriberWasDown = true; // try again on the next reconnection
        return;
      }
    }
    this.options.logger.info('job_updates_caught_up', { jobs: ids.size });
  }

  private isExpired(record: JobRecord): boolean {
    const expiresMs = expiryOf(record);
    return expiresMs !== undefined && expiresMs <= this.now();
  }

  private reportFailure(error: unknown): void {
    try {
      (this.options.onError ?? ((e: unknown) => this.options.logger.warn('job_error', { error: errorText(e) })))(error);
    } catch {
      // nothing left to tell
    }
  }
}
