/**
 * The moves of a job's state machine and what each carries: the updates
 * reported for them, the work that makes them, and the pure function that
 * applies one to a record. Shared by the in-process JobManager and the
 * shared (Redis) job service.
 */
import { checkJsonValue, MAX_DEPTH } from '../protocol/canonical';
import { canTransition, isFinished, type JobRecord, type JobState } from './jobStore';

/** The error text of a job whose work failed without saying why. */
export const FALLBACK_ERROR_MESSAGE = 'job failed';
export const NOT_AN_OBJECT_MESSAGE = 'job result is not a plain object';
const NOT_JSON_MESSAGE = 'job result is not valid JSON';

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
  // Only accepted and running jobs move, and neither holds a result, an error or an end.
  const seq = record.seq + 1;
  const ended = { finishedMs: nowMs, expiresMs: nowMs + ttlMs };
  switch (change.state) {
    case 'running':
      return { ...record, state: 'running', seq, progress: change.progress };
    case 'done':
      return { ...record, state: 'done', seq, progress: 1, result: change.result, ...ended };
    case 'error':
      return { ...record, state: 'error', seq, error: change.error, ...ended };
    case 'cancelled':
      return { ...record, state: 'cancelled', seq, ...ended };
  }
}

/** The record of a job just accepted: seq 0, nothing reported yet. */
export function acceptedRecord(jobId: string, start: Pick<JobRecord, 'ownerClientId' | 'requestId' | 'tool' | 'origin'>, nowMs: number): JobRecord {
  const record: JobRecord = { jobId, ownerClientId: start.ownerClientId, requestId: start.requestId, tool: start.tool, state: 'accepted', seq: 0, createdMs: nowMs };
  if (start.origin !== undefined) record.origin = start.origin;
  return record;
}

/**
 * The update to report for a record just written (none for `accepted`: that
 * is the start call's answer). `message` is what the work said with a
 * progress report.
 */
export function updateOf(record: JobRecord, message?: string): JobUpdate | undefined {
  if (record.state === 'accepted') return undefined;
  const update: JobUpdate = { jobId: record.jobId, requestId: record.requestId, ownerClientId: record.ownerClientId, seq: record.seq, state: record.state };
  if (record.progress !== undefined) update.progress = record.progress;
  if (record.state === 'done') update.result = structuredClone(record.result);
  if (record.state === 'error') update.error = record.error;
  if (message !== undefined) update.message = message;
  if (isFinished(record)) {
    update.finishedMs = record.finishedMs;
    update.expiresMs = record.expiresMs;
  }
  if (record.origin !== undefined) update.origin = record.origin;
  return update;
}

/** `done` with a copy of the work's result, or `error` if it is not a plain JSON object. */
export function doneChange(result: unknown, maxDepth: number = MAX_DEPTH): JobChange {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    return { state: 'error', error: NOT_AN_OBJECT_MESSAGE };
  }
  const copy = structuredClone(result as Record<string, unknown>);
  // The result goes out signed in a `done` notification: one JSON cannot carry
  // (NaN, a BigInt, a lone surrogate, hostile nesting) could not be signed, and
  // the job's terminal notification would be lost. The job fails instead.
  if (checkJsonValue(copy, maxDepth) !== undefined) {
    return { state: 'error', error: NOT_JSON_MESSAGE };
  }
  return { state: 'done', result: copy };
}

/** The message of what a job's work threw; never its stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message !== '') {
    return error.message;
  }
  if (typeof error === 'string' && error !== '') {
    return error;
  }
  return FALLBACK_ERROR_MESSAGE;
}
