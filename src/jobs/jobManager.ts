/**
 * Runs jobs, moves them through their states and reports every move.
 *
 * The manager knows nothing of signing, JSON-RPC or the wire's field names:
 * it hands each update to `onUpdate` and the server turns it into a signed
 * `job/status` notification.
 */
import { randomUUID } from 'node:crypto';
import { MAX_DEPTH } from '../protocol/canonical';
import { ActiveJob } from './activeJob';
import { acceptedRecord, applyJobChange, doneChange, errorMessage, JobLimitError, NOT_AN_OBJECT_MESSAGE, updateOf, type JobChange, type JobContext, type JobUpdate, type JobWork } from './jobChanges';
import { DEFAULT_JOB_LIMITS, JOB_RECORD_BYTES, JobLedger } from './jobLedger';
import { expiryOf, isFinished, isTerminal, type JobRecord, type JobStore } from './jobStore';
import type { JobService, JobServiceSettings, JobStart } from './jobService';
import { estimateRetainedBytes } from './retainedSize';

export interface JobManagerOptions extends JobServiceSettings {
  store: JobStore;
  /** How often expired jobs are deleted; defaults to the TTL, within [1 s, 60 s]. */
  sweepIntervalMs?: number;
}

const MIN_DEFAULT_SWEEP_MS = 1_000;
const MAX_DEFAULT_SWEEP_MS = 60_000;
const TOO_LARGE_MESSAGE = 'job result too large to keep';

/** Starts, tracks, cancels and expires jobs. */
export class JobManager implements JobService {
  private readonly store: JobStore;
  private readonly maxJobs: number;
  private readonly ttlMs: number;
  private readonly maxDepth: number;
  private readonly now: () => number;
  private readonly onUpdate: (update: JobUpdate) => void;
  private readonly onError: (error: unknown) => void;

  /** Jobs of this process that are accepted or running. */
  private readonly active = new Map<string, ActiveJob>();
  /** Starts whose record is being created: they hold a slot already. */
  private readonly registrations = new Set<Promise<unknown>>();
  private idleWaiters: Array<() => void> = [];
  private readonly ledger: JobLedger;
  /** Set while progress reports are held back (the output is stalled). */
  private holdingProgress = false;
  private readonly held = new Set<ActiveJob>();
  private readonly sweepTimer: NodeJS.Timeout;
  private sweeping = false;

  constructor(options: JobManagerOptions) {
    if (!Number.isSafeInteger(options.maxJobs) || options.maxJobs < 1) {
      throw new RangeError(`maxJobs must be a positive integer, got ${options.maxJobs}`);
    }
    if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0) {
      throw new RangeError(`ttlMs must be a finite number >= 0, got ${options.ttlMs}`);
    }
    const sweepIntervalMs =
      options.sweepIntervalMs ??
      Math.min(Math.max(options.ttlMs, MIN_DEFAULT_SWEEP_MS), MAX_DEFAULT_SWEEP_MS);
    if (!Number.isFinite(sweepIntervalMs) || sweepIntervalMs <= 0) {
      throw new RangeError(`sweepIntervalMs must be a positive number, got ${sweepIntervalMs}`);
    }
    this.store = options.store;
    this.maxJobs = options.maxJobs;
    this.ttlMs = options.ttlMs;
    this.maxDepth = options.maxDepth ?? MAX_DEPTH;
    this.now = options.now ?? Date.now;
    this.onUpdate = options.onUpdate;
    this.onError = options.onError ?? (() => undefined);
    this.ledger = new JobLedger({ ...DEFAULT_JOB_LIMITS, ...options.limits }, (jobId) => this.forgetEvicted(jobId));
    this.sweepTimer = setInterval(() => void this.sweep(), sweepIntervalMs);
    // Expiry is housekeeping: it must not keep the process alive.
    this.sweepTimer.unref();
  }

  /** Jobs of this process that are accepted or running. */
  get runningCount(): number {
    return this.active.size + this.registrations.size;
  }

  /**
   * Accepts a job and resolves to its `accepted` record. The `running`
   * update and the work itself start on a later macrotask, so the caller
   * can answer the start call before the first update goes out.
   *
   * @throws JobLimitError when `maxJobs` jobs are already accepted or
   * running, or a limit on what jobs hold (per client or in all) leaves no
   * room even once finished jobs are evicted, oldest first.
   */
  async start(params: Omit<JobStart, 'args'> & Partial<Pick<JobStart, 'args'>>): Promise<JobRecord> {
    // Checked and reserved synchronously, so concurrent starts cannot overshoot.
    if (this.runningCount >= this.maxJobs) {
      throw new JobLimitError(`too many jobs: the limit is ${this.maxJobs} running at once`);
    }
    const jobId = randomUUID();
    const refusal = this.ledger.admit(jobId, params.ownerClientId, JOB_RECORD_BYTES + (params.heldBytes ?? 0), this.now());
    if (refusal !== undefined) {
      throw new JobLimitError(refusal);
    }
    const record = acceptedRecord(jobId, params, this.now());
    const job = new ActiveJob(record);
    const registration = Promise.resolve()
      .then(() => this.store.create(record))
      .then(() => {
        // Handing the slot from the registration to the job in one step.
        this.registrations.delete(registration);
        this.active.set(record.jobId, job);
        setImmediate(() => void this.begin(job, params.work));
      });
    this.registrations.add(registration);
    try {
      await registration;
    } catch (error) {
      this.registrations.delete(registration);
      this.ledger.forget(jobId);
      this.resolveIdleWaitersIfIdle();
      throw error;
    }
    return structuredClone(record);
  }

  /**
   * The job's record, or undefined when it is unknown, expired or owned by
   * another client (callers answer all three alike).
   */
  async get(jobId: string, ownerClientId: string): Promise<JobRecord | undefined> {
    const job = this.active.get(jobId);
    const record = job !== undefined ? job.record : await this.store.get(jobId);
    if (record === undefined || record.ownerClientId !== ownerClientId || this.isExpired(record)) {
      return undefined;
    }
    return structuredClone(record);
  }

  /**
   * Cancels the job if it is accepted or running here (its signal fires and
   * a `cancelled` update is sent) and resolves to its record. A job that has
   * already finished is returned unchanged. Undefined as for `get`.
   */
  async cancel(jobId: string, ownerClientId: string): Promise<JobRecord | undefined> {
    const job = this.active.get(jobId);
    if (job === undefined) {
      // Finished (or, with a shared store, running in another process, which
      // cannot be cancelled from here): answered as it is.
      return this.get(jobId, ownerClientId);
    }
    if (job.record.ownerClientId !== ownerClientId) {
      return undefined;
    }
    await this.cancelJob(job);
    return structuredClone(job.record);
  }

  /** Cancels every job accepted or running in this process. */
  async cancelAll(): Promise<void> {
    // Starts in flight become active jobs first, so they are cancelled too.
    await Promise.allSettled([...this.registrations]);
    await Promise.all([...this.active.values()].map((job) => this.cancelJob(job)));
  }

  /** Resolves once no job of this process is accepted or running. */
  whenIdle(): Promise<void> {
    if (this.runningCount === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * While `hold` is true (the output is stalled), progress reports are not
   * sent: each job keeps only its latest one, sent once `hold` is false
   * again (or dropped if the job ends first). Transitions that end a job are
   * never held, so what waits for the output stays bounded by the job limits.
   */
  holdProgress(hold: boolean): void {
    if (hold === this.holdingProgress) return;
    this.holdingProgress = hold;
    if (hold) return;
    const jobs = [...this.held];
    this.held.clear();
    for (const job of jobs) {
      const change = job.heldProgress;
      job.heldProgress = undefined;
      if (change !== undefined) void job.enqueue(() => this.transition(job, change));
    }
  }

  /** Stops the expiry sweep. Running jobs go on; `cancelAll` stops them. */
  close(): void {
    clearInterval(this.sweepTimer);
  }

  /** Reports a survived failure; a throwing `onError` is survived too. */
  private reportFailure(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // nothing left to tell
    }
  }

  private isExpired(record: JobRecord): boolean {
    const expiresMs = expiryOf(record);
    return expiresMs !== undefined && expiresMs <= this.now();
  }

  private async begin(job: ActiveJob, work: JobWork): Promise<void> {
    const started = await job.enqueue(() => this.transition(job, { state: 'running', progress: 0 }));
    if (!started) {
      return; // cancelled while accepted: the work never runs
    }
    const ctx: JobContext = {
      jobId: job.record.jobId,
      signal: job.controller.signal,
      reportProgress: (fraction, message) => this.reportProgress(job, fraction, message),
    };
    let outcome: Promise<Record<string, unknown>>;
    try {
      outcome = Promise.resolve(work(ctx));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      (result) => this.settle(job, () => doneChange(result, this.maxDepth)),
      (error: unknown) => this.settle(job, () => ({ state: 'error', error: errorMessage(error) })),
    );
  }

  private reportProgress(job: ActiveJob, fraction: number, message?: string): void {
    if (typeof fraction !== 'number' || Number.isNaN(fraction) || isTerminal(job.record.state)) {
      return;
    }
    const progress = Math.min(1, Math.max(0, fraction));
    // After the end the state machine refuses it; nothing to do with the answer.
    const change: JobChange = { state: 'running', progress };
    if (typeof message === 'string') change.message = message;
    if (this.holdingProgress) {
      job.heldProgress = change;
      this.held.add(job);
      return;
    }
    void job.enqueue(() => this.transition(job, change));
  }

  /** Ends the job with the work's outcome, unless it was cancelled meanwhile. */
  private settle(job: ActiveJob, outcome: () => JobChange): void {
    let change: JobChange;
    if (job.controller.signal.aborted) {
      change = { state: 'cancelled' };
    } else {
      try {
        change = outcome();
      } catch {
        // a result that cannot be copied, e.g. one holding a function
        change = { state: 'error', error: NOT_AN_OBJECT_MESSAGE };
      }
      if (change.state === 'done') change = this.keepResult(job, change);
    }
    void job.enqueue(() => this.transition(job, change));
  }

  /**
   * Makes room for a result about to be kept (evicting finished jobs if need
   * be); one that does not fit ends the job in `error` instead, so what jobs
   * keep stays within the limits and the job still ends visibly.
   */
  private keepResult(job: ActiveJob, change: JobChange & { state: 'done' }): JobChange {
    const bytes = JOB_RECORD_BYTES + estimateRetainedBytes(change.result);
    const refusal = this.ledger.reserve(job.record.jobId, bytes);
    if (refusal !== undefined) {
      return { state: 'error', error: `${TOO_LARGE_MESSAGE}: ${refusal.replace(/^jobs hold too much: /, '')}` };
    }
    job.keptBytes = bytes;
    return change;
  }

  /** A finished job evicted to make room: its record goes, and it polls as unknown. */
  private forgetEvicted(jobId: string): void {
    this.store.delete(jobId).catch((error: unknown) => this.reportFailure(error));
  }

  private async cancelJob(job: ActiveJob): Promise<void> {
    // Queued before the abort so that it comes before whatever the work does
    // when its signal fires.
    const cancelled = job.enqueue(() => this.transition(job, { state: 'cancelled' }));
    if (!isTerminal(job.record.state)) {
      job.controller.abort();
    }
    await cancelled;
  }

  /**
   * Applies one change: stores the new record, then hands out its update.
   * Resolves to whether the state machine allowed it. Never rejects.
   */
  private async transition(job: ActiveJob, change: JobChange): Promise<boolean> {
    const next = applyJobChange(job.record, change, this.now(), this.ttlMs);
    if (next === undefined) {
      return false;
    }
    job.record = next;
    try {
      await this.store.update(next);
    } catch (error) {
      // The update still goes out: a terminal update is always sent, and the
      // in-process record answers polls while the job is active.
      this.reportFailure(error);
    }
    this.emit(next, change.state === 'running' ? change.message : undefined);
    if (isFinished(next)) {
      const kept = next.state === 'done' ? job.keptBytes : JOB_RECORD_BYTES + (next.state === 'error' ? next.error.length : 0);
      this.ledger.finish(next.jobId, kept, next.expiresMs);
      job.heldProgress = undefined;
      this.held.delete(job);
      this.active.delete(next.jobId);
      this.resolveIdleWaitersIfIdle();
    }
    return true;
  }

  private emit(record: JobRecord, message: string | undefined): void {
    const update = updateOf(record, message);
    if (update === undefined) return;
    try {
      this.onUpdate(update);
    } catch (error) {
      this.reportFailure(error);
    }
  }

  private resolveIdleWaitersIfIdle(): void {
    if (this.runningCount !== 0 || this.idleWaiters.length === 0) {
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) {
      resolve();
    }
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) {
      return;
    }
    this.sweeping = true;
    try {
      this.ledger.expire(this.now());
      await this.store.deleteExpired(this.now());
    } catch (error) {
      this.reportFailure(error);
    } finally {
      this.sweeping = false;
    }
  }
}
