/**
 * Runs jobs, moves them through their states and reports every move.
 *
 * The manager knows nothing of signing, JSON-RPC or the wire's field names:
 * it hands each update to `onUpdate` and the server turns it into a signed
 * `job/status` notification.
 */
import { randomUUID } from 'node:crypto';

import { checkJsonValue } from '../protocol/canonical';

import { DEFAULT_JOB_LIMITS, JOB_RECORD_BYTES, JobLedger, type JobLimits } from './jobLedger';
import { canTransition, isTerminal, type JobRecord, type JobState, type JobStore } from './jobStore';
import type { JobService, JobStart } from './jobService';
import { estimateRetainedBytes } from './retainedSize';

/** An update sent for a job: one per transition and per progress report. */
export interface JobUpdate {
  jobId: string;
  /** The request id of the call that started the job. */
  requestId: string;
  ownerClientId: string;
  /** 1, 2, 3, ... per job, in the order updates are handed to `onUpdate`. */
  seq: number;
  state: Exclude<JobState, 'accepted'>;
  /** In [0, 1]. */
  progress?: number;
  /** Set on `done`. */
  result?: Record<string, unknown>;
  /** Set on `error`. */
  error?: string;
  /** What the work said with a progress report, if anything (for MCP progress; not part of job/status). */
  message?: string;
  /** Set on terminal updates: when the job ended and when it will be forgotten (the record's). */
  finishedMs?: number;
  expiresMs?: number;
  /** The record's `origin`. */
  origin?: string;
}

/** What a job's work gets to cooperate with the manager. */
export interface JobContext {
  jobId: string;
  /** Fires when the job is cancelled; the work should stop at once. */
  signal: AbortSignal;
  /** Reports progress, with an optional message; clamped to [0, 1], ignored once the job is over. */
  reportProgress(fraction: number, message?: string): void;
}

/** The work of a job: its result, or a rejection whose message becomes the job's error. */
export type JobWork = (ctx: JobContext) => Promise<Record<string, unknown>>;

export interface JobManagerOptions {
  store: JobStore;
  /** How many jobs of this process may be accepted or running at once. */
  maxJobs: number;
  /** Bounds on what jobs hold per client and in all; defaults to DEFAULT_JOB_LIMITS. */
  limits?: Partial<JobLimits>;
  /** How long a finished job stays pollable. */
  ttlMs: number;
  /** The clock, in Unix ms; defaults to `Date.now`. */
  now?: () => number;
  /** Called once per update, synchronously and in seq order; may throw. */
  onUpdate: (update: JobUpdate) => void;
  /** How often expired jobs are deleted; defaults to the TTL, within [1 s, 60 s]. */
  sweepIntervalMs?: number;
  /**
   * Told about failures the manager survives (a throwing `onUpdate`, a
   * failing store write or sweep), e.g. to log them. Defaults to ignoring them.
   */
  onError?: (error: unknown) => void;
}

/** Thrown by `start` when a job limit (see `JobManagerOptions`) leaves no room; the message says which. */
export class JobLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobLimitError';
  }
}

/** A move of the state machine, with what the new state carries. */
export type JobChange =
  | { state: 'running'; progress: number; message?: string }
  | { state: 'done'; result: Record<string, unknown> }
  | { state: 'error'; error: string }
  | { state: 'cancelled' };

/**
 * The record after `change`, or undefined when the state machine does not
 * allow it (e.g. anything after a terminal state). Pure.
 */
export function applyJobChange(
  record: JobRecord,
  change: JobChange,
  nowMs: number,
  ttlMs: number,
): JobRecord | undefined {
  if (!canTransition(record.state, change.state)) {
    return undefined;
  }
  const next: JobRecord = { ...record, state: change.state, seq: record.seq + 1 };
  switch (change.state) {
    case 'running':
      next.progress = change.progress;
      return next;
    case 'done':
      next.progress = 1;
      next.result = change.result;
      break;
    case 'error':
      next.error = change.error;
      break;
    case 'cancelled':
      break;
  }
  next.finishedMs = nowMs;
  next.expiresMs = nowMs + ttlMs;
  return next;
}

const MIN_DEFAULT_SWEEP_MS = 1_000;
const MAX_DEFAULT_SWEEP_MS = 60_000;
const FALLBACK_ERROR_MESSAGE = 'job failed';
const NOT_AN_OBJECT_MESSAGE = 'job result is not a plain object';
const NOT_JSON_MESSAGE = 'job result is not valid JSON';
const TOO_LARGE_MESSAGE = 'job result too large to keep';

/** The in-process side of a job that is accepted or running here. */
class ActiveJob {
  readonly controller = new AbortController();
  /** Serialises the job's transitions, so seq order is update order. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The latest progress report held back while updates are held (see `holdProgress`). */
  heldProgress: JobChange | undefined;
  /** What the job keeps once over, bytes (see JobLedger). */
  keptBytes = JOB_RECORD_BYTES;

  constructor(public record: JobRecord) {}

  /** Runs `step` after every step queued before it. `step` must not reject. */
  enqueue<T>(step: () => Promise<T>): Promise<T> {
    const run = this.tail.then(step);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** Starts, tracks, cancels and expires jobs. */
export class JobManager implements JobService {
  private readonly store: JobStore;
  private readonly maxJobs: number;
  private readonly ttlMs: number;
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
    const record: JobRecord = {
      jobId,
      ownerClientId: params.ownerClientId,
      requestId: params.requestId,
      tool: params.tool,
      state: 'accepted',
      seq: 0,
      createdMs: this.now(),
    };
    if (params.origin !== undefined) record.origin = params.origin;
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
    return record.expiresMs !== undefined && record.expiresMs <= this.now();
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
      (result) => this.settle(job, () => doneChange(result)),
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
    if (isTerminal(next.state)) {
      const kept = next.state === 'done' ? job.keptBytes : JOB_RECORD_BYTES + (next.error?.length ?? 0);
      this.ledger.finish(next.jobId, kept, next.expiresMs!);
      job.heldProgress = undefined;
      this.held.delete(job);
      this.active.delete(next.jobId);
      this.resolveIdleWaitersIfIdle();
    }
    return true;
  }

  private emit(record: JobRecord, message: string | undefined): void {
    if (record.state === 'accepted') {
      return; // never an update: `accepted` is the start call's answer
    }
    const update: JobUpdate = {
      jobId: record.jobId,
      requestId: record.requestId,
      ownerClientId: record.ownerClientId,
      seq: record.seq,
      state: record.state,
    };
    if (record.progress !== undefined) update.progress = record.progress;
    if (record.result !== undefined) update.result = structuredClone(record.result);
    if (record.error !== undefined) update.error = record.error;
    if (message !== undefined) update.message = message;
    if (record.finishedMs !== undefined) {
      update.finishedMs = record.finishedMs;
      update.expiresMs = record.expiresMs;
    }
    if (record.origin !== undefined) update.origin = record.origin;
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

/** `done` with a copy of the work's result, or `error` if it is not a plain JSON object. */
function doneChange(result: unknown): JobChange {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    return { state: 'error', error: NOT_AN_OBJECT_MESSAGE };
  }
  const copy = structuredClone(result as Record<string, unknown>);
  // The result goes out signed in a `done` notification: one JSON cannot carry
  // (NaN, a BigInt, a lone surrogate, hostile nesting) could not be signed, and
  // the job's terminal notification would be lost. The job fails instead.
  if (checkJsonValue(copy) !== undefined) {
    return { state: 'error', error: NOT_JSON_MESSAGE };
  }
  return { state: 'done', result: copy };
}

/** The message of what a job's work threw; never its stack. */
function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message !== '') {
    return error.message;
  }
  if (typeof error === 'string' && error !== '') {
    return error;
  }
  return FALLBACK_ERROR_MESSAGE;
}
