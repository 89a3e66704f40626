/**
 * Job records and where they are kept.
 *
 * A record is the durable, pollable view of a job. The in-process runtime
 * state (abort controllers, timers) lives in `JobManager`, never here, so a
 * shared store (e.g. Redis) can implement `JobStore` and let several server
 * processes share one job table.
 */

/** Where a job is in its lifecycle. */
export type JobState = 'accepted' | 'running' | 'done' | 'error' | 'cancelled';

/** The states a job never leaves. */
export type TerminalJobState = 'done' | 'error' | 'cancelled';

/**
 * The whole state machine: the states each state may move to. A move to the
 * same state is only `running -> running`, a progress report.
 */
const ALLOWED_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  accepted: ['running', 'cancelled'],
  running: ['running', 'done', 'error', 'cancelled'],
  done: [],
  error: [],
  cancelled: [],
};

/** True when a job in `from` may move to `to`. */
export function canTransition(from: JobState, to: JobState): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

/** True for `done`, `error` and `cancelled`: the job is over. */
export function isTerminal(state: JobState): state is TerminalJobState {
  return ALLOWED_TRANSITIONS[state].length === 0;
}

/** What every job record holds, whatever its state. */
export interface JobRecordFields {
  jobId: string;
  /** The client that started the job; only it may see or cancel it. */
  ownerClientId: string;
  /** The request id of the call that started the job. */
  requestId: string;
  tool: string;
  /** The seq of the last update sent for this job; 0 before any. */
  seq: number;
  /** In [0, 1]. */
  progress?: number;
  createdMs: number;
  /**
   * The front end that started the job, when it reports the job's updates
   * its own way (`"mcp"`: MCP progress and task notifications). Undefined
   * for a job started by `call`, whose updates are `job/status` notifications.
   */
  origin?: string;
}

/** What a finished job's record adds: when it ended, and after which instant it is forgotten. */
export interface FinishedJobFields {
  finishedMs: number;
  expiresMs: number;
}

/**
 * A job as stored and as answered to a poll: its state says what else it
 * holds (a `done` job its result, an `error` job its message, every
 * finished job its end and expiry).
 */
export type JobRecord =
  | (JobRecordFields & { state: 'accepted' | 'running' })
  | (JobRecordFields & FinishedJobFields & { state: 'done'; result: Record<string, unknown> })
  | (JobRecordFields & FinishedJobFields & { state: 'error'; error: string })
  | (JobRecordFields & FinishedJobFields & { state: 'cancelled' });

/** A record of a job that has ended. */
export type FinishedJobRecord = Extract<JobRecord, FinishedJobFields>;

/** Whether the job has ended (its record then says when, and when it is forgotten). */
export function isFinished(record: JobRecord): record is FinishedJobRecord {
  return isTerminal(record.state);
}

/** When a finished job is forgotten; undefined while it is accepted or running. */
export function expiryOf(record: JobRecord): number | undefined {
  return isFinished(record) ? record.expiresMs : undefined;
}

/**
 * The job table. Asynchronous so that a shared, out-of-process store can
 * implement it. Implementations must not hand out references to their own
 * state: what `get` returns and what `create`/`update` receive are the
 * caller's to keep.
 */
export interface JobStore {
  /** Adds a new record; rejects if one with the same `jobId` exists. */
  create(record: JobRecord): Promise<void>;
  /** The record, or undefined if there is none (expiry is the caller's concern). */
  get(jobId: string): Promise<JobRecord | undefined>;
  /** Replaces an existing record; rejects if there is none. */
  update(record: JobRecord): Promise<void>;
  /** Removes a record; a no-op when there is none. */
  delete(jobId: string): Promise<void>;
  /** Removes every record with `expiresMs <= nowMs`; resolves to how many. */
  deleteExpired(nowMs: number): Promise<number>;
}

interface ExpiryEntry {
  jobId: string;
  expiresMs: number;
}

/** Drop the consumed head of the expiry queue once it is this long... */
const COMPACT_MIN_HEAD = 1024;

/**
 * A `JobStore` in this process's memory.
 *
 * Records are copied on the way in and on the way out, so no caller can
 * change stored state by mutating an object. Finished records are also kept
 * in a queue ordered by expiry, so `deleteExpired` looks only at the records
 * that are due (plus stale queue entries of records deleted or replaced
 * since), never at running jobs.
 */
export class MemoryJobStore implements JobStore {
  private readonly records = new Map<string, JobRecord>();
  /** Sorted by `expiresMs`; entries before `head` are consumed. */
  private expiryQueue: ExpiryEntry[] = [];
  private head = 0;

  /** How many records are stored, expired or not. */
  get size(): number {
    return this.records.size;
  }

  async create(record: JobRecord): Promise<void> {
    if (this.records.has(record.jobId)) {
      throw new Error(`job ${record.jobId} already exists`);
    }
    this.put(record, undefined);
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const record = this.records.get(jobId);
    return record === undefined ? undefined : structuredClone(record);
  }

  async update(record: JobRecord): Promise<void> {
    const previous = this.records.get(record.jobId);
    if (previous === undefined) {
      throw new Error(`job ${record.jobId} does not exist`);
    }
    this.put(record, previous);
  }

  async delete(jobId: string): Promise<void> {
    // Its expiry entry, if any, stays queued and is skipped when it comes due.
    this.records.delete(jobId);
  }

  async deleteExpired(nowMs: number): Promise<number> {
    let deleted = 0;
    const queue = this.expiryQueue;
    while (this.head < queue.length && queue[this.head].expiresMs <= nowMs) {
      const { jobId, expiresMs } = queue[this.head];
      this.head += 1;
      // The entry is stale if the record was deleted or replaced by one with
      // another expiry (which has its own entry).
      const current = this.records.get(jobId);
      if (current !== undefined && expiryOf(current) === expiresMs) {
        this.records.delete(jobId);
        deleted += 1;
      }
    }
    if (this.head >= COMPACT_MIN_HEAD && this.head * 2 >= queue.length) {
      this.expiryQueue = queue.slice(this.head);
      this.head = 0;
    }
    return deleted;
  }

  private put(record: JobRecord, previous: JobRecord | undefined): void {
    const copy = structuredClone(record);
    this.records.set(copy.jobId, copy);
    const expiresMs = expiryOf(copy);
    if (expiresMs !== undefined && expiresMs !== (previous && expiryOf(previous))) {
      this.enqueueExpiry({ jobId: copy.jobId, expiresMs });
    }
  }

  /**
   * Finished jobs share one TTL, so they nearly always arrive in expiry order
   * and this is an append. A clock step backwards or a store shared by
   * managers with different TTLs costs a search and an insert instead of
   * breaking the order.
   */
  private enqueueExpiry(entry: ExpiryEntry): void {
    const queue = this.expiryQueue;
    if (queue.length === this.head || queue[queue.length - 1].expiresMs <= entry.expiresMs) {
      queue.push(entry);
      return;
    }
    let low = this.head;
    let high = queue.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (queue[middle].expiresMs <= entry.expiresMs) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    queue.splice(low, 0, entry);
  }
}
