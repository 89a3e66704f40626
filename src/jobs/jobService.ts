/**
 * What the server, its protocol tools and its front ends ask of jobs. The
 * in-process `JobManager` is one; with `--state` a shared one runs jobs on
 * BullMQ workers and keeps their records in Redis.
 */
import type { JobUpdate, JobWork } from './jobChanges';
import type { JobLimits } from './jobLedger';
import type { JobRecord } from './jobStore';

/** What every job service is built with: its limits, its clock, and where its updates go. */
export interface JobServiceSettings {
  /** How many jobs of this process may be accepted or running at once. */
  maxJobs: number;
  /** Bounds on what jobs hold per client and in all; defaults to DEFAULT_JOB_LIMITS. */
  limits?: Partial<JobLimits>;
  /** How long a finished job stays pollable. */
  ttlMs: number;
  /** Nesting allowed in a job's result (--max-depth); defaults to MAX_DEPTH. */
  maxDepth?: number;
  /** The clock, in Unix ms; defaults to `Date.now`. */
  now?: () => number;
  /** Called once per update, synchronously and in seq order (the server signs and sends it); may throw. */
  onUpdate: (update: JobUpdate) => void;
  /** Told about failures the service survives (a throwing `onUpdate`, a failing store write), e.g. to log them. */
  onError?: (error: unknown) => void;
}

/** A job to start. */
export interface JobStart {
  ownerClientId: string;
  requestId: string;
  tool: string;
  /** The call's arguments (valid against the tool's input schema): what a worker in another process runs the tool with. */
  args: Record<string, unknown>;
  /** The job's body, when it runs in this process. */
  work: JobWork;
  /** What the work holds while it runs (its arguments), estimated bytes; see estimateRetainedBytes. */
  heldBytes?: number;
  /** See JobRecord.origin. */
  origin?: string;
}

export interface JobService {
  /** Jobs of this process that are accepted or running (for a shared service: the ones started here). */
  readonly runningCount: number;
  /** Accepts a job and resolves to its `accepted` record; rejects with JobLimitError past a limit. */
  start(params: JobStart): Promise<JobRecord>;
  /** The job's record, or undefined when it is unknown, expired or owned by another client. */
  get(jobId: string, ownerClientId: string): Promise<JobRecord | undefined>;
  /** Cancels the job unless it has finished; resolves to its record, undefined as for `get`. */
  cancel(jobId: string, ownerClientId: string): Promise<JobRecord | undefined>;
  /** The server is stopping: cancels what this process must not leave running. */
  cancelAll(): Promise<void>;
  /** Resolves once no job of this process is accepted or running. */
  whenIdle(): Promise<void>;
  /** While true (the output is stalled) only a job's latest progress report waits to be sent. */
  holdProgress(hold: boolean): void;
  /** Stops housekeeping; running jobs go on. */
  close(): void;
}
