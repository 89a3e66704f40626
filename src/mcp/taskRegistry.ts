/**
 * MCP tasks mapped onto jobs: a task-augmented `tools/call` of an async tool
 * starts a job, and the job id is the task id. The JobManager stays the one
 * source of a job's state and owner; the registry only remembers which jobs
 * are tasks (for `tasks/list`), their progress tokens, and who is waiting
 * for their end (`tasks/result`).
 */
import { FALLBACK_ERROR_MESSAGE, isFinished, isTerminal, type FinishedJobFields, type JobService, type JobRecord, type JobUpdate } from '../jobs';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import type { JsonObject } from '../protocol/wire';
import { RELATED_TASK_META_KEY } from './constants';
import type { JobOutcome } from './callResults';
import { ProgressStream } from './progress';
import type { McpTask, McpTaskStatus, ProgressParams, ProgressToken } from './types';

/** What a task answer is built from: a job record, or what is known of it at its end. */
export type TaskSource = Pick<JobRecord, 'jobId' | 'progress' | 'createdMs'> &
  (
    | { state: 'accepted' | 'running' }
    | (FinishedJobFields & { state: 'done' | 'cancelled' })
    | (FinishedJobFields & { state: 'error'; error: string })
  );

export interface TaskTimings {
  /** How long finished jobs stay (`--job-ttl-ms`). */
  jobTtlMs: number;
  /** Suggested polling interval. */
  pollIntervalMs: number;
}

const TASK_STATUS: Readonly<Record<JobRecord['state'], McpTaskStatus>> = {
  accepted: 'working',
  running: 'working',
  done: 'completed',
  error: 'failed',
  cancelled: 'cancelled',
};

function statusMessage(job: TaskSource): string {
  switch (job.state) {
    case 'accepted':
      return 'accepted';
    case 'running':
      return `running (${Math.round((job.progress ?? 0) * 1000) / 10}%)`;
    case 'done':
      return 'done';
    case 'error':
      return job.error;
    case 'cancelled':
      return 'cancelled';
  }
}

/**
 * A job as an MCP task. `ttl` counts from creation, as MCP's does: while the
 * job runs it is the job TTL (a finished job is kept that long after its
 * end, so at least that long after its start), afterwards the exact time
 * the job is kept. `lastUpdatedAt` is the last change of MCP status: the
 * task's creation while it is working, the job's end afterwards.
 */
export function toMcpTask(job: TaskSource, timings: TaskTimings): McpTask {
  return {
    taskId: job.jobId,
    status: TASK_STATUS[job.state],
    statusMessage: statusMessage(job),
    createdAt: new Date(job.createdMs).toISOString(),
    lastUpdatedAt: new Date('finishedMs' in job ? job.finishedMs : job.createdMs).toISOString(),
    ttl: 'expiresMs' in job ? job.expiresMs - job.createdMs : timings.jobTtlMs,
    pollInterval: timings.pollIntervalMs,
  };
}

/** The one answer for a task that is unknown, expired or another client's. */
export function taskNotFound(): ToolsealError {
  return new ToolsealError(ErrorCode.InvalidParams, 'task not found');
}

interface TaskEntry {
  readonly taskId: string;
  readonly ownerClientId: string;
  readonly createdMs: number;
  /** Creation order, for `tasks/list` cursors. */
  readonly seq: number;
  progress: ProgressStream | undefined;
  /** Set at the job's end: when the job (and so the entry) is forgotten. */
  expiresMs: number | undefined;
}

/** What a job update means for MCP: notifications to send. */
export interface TaskNotifications {
  progress?: ProgressParams;
  /** The task at its end, for `notifications/tasks/status`. */
  status?: McpTask;
}

export interface TaskRegistryOptions extends TaskTimings {
  jobs: JobService;
  now?: () => number;
  /** Tasks per `tasks/list` page (default 50). */
  pageSize?: number;
}

const SWEEP_INTERVAL_MS = 1000;

export class TaskRegistry {
  private readonly jobs: JobService;
  private readonly timings: TaskTimings;
  private readonly now: () => number;
  private readonly pageSize: number;
  private readonly entries = new Map<string, TaskEntry>();
  private readonly waiters = new Map<string, Array<(outcome: JobOutcome) => void>>();
  private seq = 0;
  private lastSweepMs = -Infinity;

  constructor(options: TaskRegistryOptions) {
    this.jobs = options.jobs;
    this.timings = { jobTtlMs: options.jobTtlMs, pollIntervalMs: options.pollIntervalMs };
    this.now = options.now ?? Date.now;
    this.pageSize = options.pageSize ?? 50;
  }

  /** How many tasks are remembered. */
  get size(): number {
    return this.entries.size;
  }

  /** Makes a just-started job a task; progress goes to `progressToken` until the job ends. */
  add(record: JobRecord, progressToken: ProgressToken | undefined): McpTask {
    this.sweep();
    const meta = { [RELATED_TASK_META_KEY]: { taskId: record.jobId } };
    this.entries.set(record.jobId, {
      taskId: record.jobId,
      ownerClientId: record.ownerClientId,
      createdMs: record.createdMs,
      seq: ++this.seq,
      progress: progressToken === undefined ? undefined : new ProgressStream(progressToken, meta),
      expiresMs: undefined,
    });
    return this.toTask(record);
  }

  toTask(job: TaskSource): McpTask {
    return toMcpTask(job, this.timings);
  }

  /** The task's job, if `clientId` may see it; otherwise throws the one not-found error. */
  async get(taskId: string, clientId: string): Promise<JobRecord> {
    const entry = this.entries.get(taskId);
    if (entry === undefined || entry.ownerClientId !== clientId) throw taskNotFound();
    const record = await this.jobs.get(taskId, clientId);
    if (record === undefined) {
      this.entries.delete(taskId);
      throw taskNotFound();
    }
    return record;
  }

  /**
   * Resolves with how the task's job ended, once it has (`tasks/result`
   * blocks on this). Rejects with `cancel`'s reason if it aborts first.
   */
  async outcome(taskId: string, clientId: string, cancel?: AbortSignal): Promise<JobOutcome> {
    await this.get(taskId, clientId);
    // Waiting first, then reading: an end between the two cannot be missed.
    let resolveEnd!: (outcome: JobOutcome) => void;
    let rejectEnd!: (reason: unknown) => void;
    const ended = new Promise<JobOutcome>((resolve, reject) => {
      resolveEnd = resolve;
      rejectEnd = reject;
    });
    const list = this.waiters.get(taskId) ?? [];
    list.push(resolveEnd);
    this.waiters.set(taskId, list);
    if (cancel !== undefined) {
      const stop = (): void => {
        this.dropWaiter(taskId, resolveEnd);
        rejectEnd(cancel.reason);
      };
      if (cancel.aborted) stop();
      else cancel.addEventListener('abort', stop, { once: true });
      void ended.then(
        () => cancel.removeEventListener('abort', stop),
        () => undefined,
      );
    }
    const record = await this.jobs.get(taskId, clientId);
    if (record === undefined) {
      this.dropWaiter(taskId, resolveEnd);
      throw taskNotFound();
    }
    if (isFinished(record)) {
      this.dropWaiter(taskId, resolveEnd);
      return { state: record.state, result: record.state === 'done' ? record.result : undefined, error: record.state === 'error' ? record.error : undefined };
    }
    return ended;
  }

  /** Cancels the task's job (MCP refuses to cancel a finished task); resolves with the cancelled job. */
  async cancel(taskId: string, clientId: string): Promise<JobRecord> {
    const before = await this.get(taskId, clientId);
    if (isTerminal(before.state)) throw alreadyFinished(before);
    const after = await this.jobs.cancel(taskId, clientId);
    if (after === undefined) throw taskNotFound();
    // It may have ended on its own meanwhile.
    if (after.state !== 'cancelled') throw alreadyFinished(after);
    return after;
  }

  /** A page of `clientId`'s tasks, oldest first; the cursor is opaque to clients. */
  async list(clientId: string, cursor: string | undefined): Promise<{ tasks: McpTask[]; nextCursor?: string }> {
    this.sweep();
    let after = 0;
    if (cursor !== undefined) {
      if (!/^[0-9]{1,15}$/.test(cursor) || Number(cursor) > this.seq) {
        throw new ToolsealError(ErrorCode.InvalidParams, 'invalid cursor');
      }
      after = Number(cursor);
    }
    const tasks: McpTask[] = [];
    let last: TaskEntry | undefined;
    let more = false;
    for (const entry of [...this.entries.values()]) {
      if (entry.seq <= after || entry.ownerClientId !== clientId) continue;
      if (tasks.length === this.pageSize) {
        more = true;
        break;
      }
      const record = await this.jobs.get(entry.taskId, clientId);
      if (record === undefined) {
        this.entries.delete(entry.taskId);
        continue;
      }
      tasks.push(this.toTask(record));
      last = entry;
    }
    return more && last !== undefined ? { tasks, nextCursor: String(last.seq) } : { tasks };
  }

  /** A job update: the notifications it means for MCP, if the job is a task; wakes `tasks/result` at its end. */
  onJobUpdate(update: JobUpdate): TaskNotifications {
    const entry = this.entries.get(update.jobId);
    if (entry === undefined) return {};
    const notifications: TaskNotifications = {};
    const progress = entry.progress?.next(update);
    if (progress !== undefined) notifications.progress = progress;
    if (!isTerminal(update.state)) return notifications;

    // The job's own end and expiry, so that this notification, tasks/get
    // and tasks/list tell the same lastUpdatedAt and ttl.
    const finishedMs = update.finishedMs ?? this.now();
    entry.progress = undefined;
    entry.expiresMs = update.expiresMs ?? finishedMs + this.timings.jobTtlMs;
    const ended = { jobId: entry.taskId, progress: update.progress, createdMs: entry.createdMs, finishedMs, expiresMs: entry.expiresMs };
    notifications.status = this.toTask(
      update.state === 'error' ? { ...ended, state: 'error', error: update.error ?? FALLBACK_ERROR_MESSAGE } : { ...ended, state: update.state },
    );
    const waiters = this.waiters.get(update.jobId) ?? [];
    this.waiters.delete(update.jobId);
    const outcome: JobOutcome = { state: update.state, result: update.result as JsonObject | undefined, error: update.error };
    for (const resolve of waiters) resolve(outcome);
    return notifications;
  }

  private dropWaiter(taskId: string, waiter: (outcome: JobOutcome) => void): void {
    const list = (this.waiters.get(taskId) ?? []).filter((w) => w !== waiter);
    if (list.length > 0) this.waiters.set(taskId, list);
    else this.waiters.delete(taskId);
  }

  /** Forgets tasks whose jobs have expired; at most once a second. */
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweepMs < SWEEP_INTERVAL_MS) return;
    this.lastSweepMs = now;
    for (const [taskId, entry] of this.entries) {
      if (entry.expiresMs !== undefined && entry.expiresMs <= now) this.entries.delete(taskId);
    }
  }
}

function alreadyFinished(job: JobRecord): ToolsealError {
  return new ToolsealError(ErrorCode.InvalidParams, `cannot cancel task: already in terminal status '${TASK_STATUS[job.state]}'`);
}
