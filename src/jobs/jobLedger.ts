/**
 * What jobs hold, per client and in all: how many are live (accepted or
 * running), how many are kept (live or finished and still pollable) and how
 * many bytes they keep (estimated retained size, see retainedSize.ts).
 *
 * Pure bookkeeping: the manager asks before it accepts work and is told
 * which finished jobs to forget to make room. Finished jobs go oldest first;
 * live jobs are never evicted: when only live ones stand in the way, the
 * answer is no.
 */

/** The bounds on what jobs hold; every one is a positive integer. */
export interface JobLimits {
  /** Jobs accepted or running at once, per client. */
  maxJobsPerClient: number;
  /** Jobs kept (live or finished and pollable), in all. */
  maxJobRecords: number;
  /** Jobs kept, per client. */
  maxJobRecordsPerClient: number;
  /** Estimated bytes kept by jobs (their arguments while live, their result once done), in all. */
  maxJobBytes: number;
  /** The same, per client. */
  maxJobBytesPerClient: number;
}

/**
 * The defaults: one client may take a quarter of the default 10,000 job
 * slots, and a quarter of what jobs may keep, so a flood from one client
 * leaves room for the others.
 */
export const DEFAULT_JOB_LIMITS: Readonly<JobLimits> = Object.freeze({
  maxJobsPerClient: 2_500,
  maxJobRecords: 100_000,
  maxJobRecordsPerClient: 25_000,
  maxJobBytes: 256 * 1024 * 1024,
  maxJobBytesPerClient: 64 * 1024 * 1024,
});

/** What a job's record costs besides its arguments or result (ids, times, bookkeeping), bytes. */
export const JOB_RECORD_BYTES = 1024;

/** A job's line in the ledger. */
interface Entry {
  jobId: string;
  tally: ClientTally;
  bytes: number;
  /** Set once the job is over: it may then be evicted, and it expires. */
  expiresMs: number | undefined;
  /** Evicted, expired or forgotten: its queue entries are stale. */
  gone: boolean;
}

/** A FIFO of finished entries, stale ones skipped as they come up. */
class FinishedQueue {
  private items: Entry[] = [];
  private head = 0;

  push(entry: Entry): void {
    this.items.push(entry);
  }

  /** The oldest entry still kept, or undefined. */
  peek(): Entry | undefined {
    while (this.head < this.items.length && this.items[this.head]!.gone) this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }
}

class ClientTally {
  constructor(readonly clientId: string) {}
  live = 0;
  kept = 0;
  bytes = 0;
  readonly finished = new FinishedQueue();
}

/** Why a job cannot be accepted: a sentence for the -32013 answer. */
export type Refusal = string;

export class JobLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly tallies = new Map<string, ClientTally>();
  private readonly finished = new FinishedQueue();
  private kept = 0;
  private bytes = 0;

  constructor(
    private readonly limits: JobLimits,
    /** Told the id of each finished job evicted to make room, to delete its record. */
    private readonly onEvict: (jobId: string) => void,
  ) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }

  /** Live jobs of a client. */
  liveOf(clientId: string): number {
    return this.tallies.get(clientId)?.live ?? 0;
  }

  /** Jobs kept by a client, live or finished. */
  keptOf(clientId: string): number {
    return this.tallies.get(clientId)?.kept ?? 0;
  }

  /** Estimated bytes kept by a client's jobs. */
  bytesOf(clientId: string): number {
    return this.tallies.get(clientId)?.bytes ?? 0;
  }

  /**
   * Takes a live job of `clientId` holding `bytes`, evicting finished jobs
   * (the client's own first for its share, the oldest of all for the total)
   * when that makes room; else changes nothing but those evictions and
   * answers why not.
   */
  admit(jobId: string, clientId: string, bytes: number, nowMs: number): Refusal | undefined {
    this.expire(nowMs);
    const tally = this.tallyOf(clientId);
    if (tally.live >= this.limits.maxJobsPerClient) {
      return `too many jobs: the limit is ${this.limits.maxJobsPerClient} running at once per client`;
    }
    const refusal = this.makeRoom(tally, 1, bytes);
    if (refusal !== undefined) return refusal;
    const entry: Entry = { jobId, tally, bytes, expiresMs: undefined, gone: false };
    this.entries.set(jobId, entry);
    tally.live++;
    this.charge(tally, 1, bytes);
    return undefined;
  }

  /**
   * Grows a live job's charge to `bytes` (its result, about to be kept),
   * evicting finished jobs as `admit` does; answers why not when it cannot.
   */
  reserve(jobId: string, bytes: number): Refusal | undefined {
    const entry = this.entries.get(jobId);
    if (entry === undefined || entry.gone) return undefined;
    const more = bytes - entry.bytes;
    if (more > 0) {
      const refusal = this.makeRoom(entry.tally, 0, more);
      if (refusal !== undefined) return refusal;
    }
    this.charge(entry.tally, 0, more);
    entry.bytes = bytes;
    return undefined;
  }

  /** The job is over: it now keeps `bytes` until `expiresMs`, and may be evicted. */
  finish(jobId: string, bytes: number, expiresMs: number): void {
    const entry = this.entries.get(jobId);
    if (entry === undefined || entry.gone || entry.expiresMs !== undefined) return;
    this.charge(entry.tally, 0, bytes - entry.bytes);
    entry.bytes = bytes;
    entry.expiresMs = expiresMs;
    entry.tally.live--;
    entry.tally.finished.push(entry);
    this.finished.push(entry);
  }

  /** Drops a job that never became one (its record could not be created). */
  forget(jobId: string): void {
    const entry = this.entries.get(jobId);
    if (entry === undefined) return;
    if (entry.expiresMs === undefined) entry.tally.live--;
    this.remove(entry);
  }

  /** Drops finished jobs whose time is up; they are finished in expiry order (one TTL for all). */
  expire(nowMs: number): void {
    for (let entry = this.finished.peek(); entry !== undefined && entry.expiresMs! <= nowMs; entry = this.finished.peek()) {
      this.remove(entry);
    }
  }

  private makeRoom(tally: ClientTally, count: number, bytes: number): Refusal | undefined {
    const limits = this.limits;
    while (tally.kept + count > limits.maxJobRecordsPerClient || tally.bytes + bytes > limits.maxJobBytesPerClient) {
      const oldest = tally.finished.peek();
      if (oldest === undefined) {
        return tally.kept + count > limits.maxJobRecordsPerClient
          ? `too many jobs kept: the limit is ${limits.maxJobRecordsPerClient} per client, running or finished within the job TTL`
          : `jobs hold too much: the limit is ${limits.maxJobBytesPerClient} bytes per client (estimated in memory)`;
      }
      this.evict(oldest);
    }
    while (this.kept + count > limits.maxJobRecords || this.bytes + bytes > limits.maxJobBytes) {
      const oldest = this.finished.peek();
      if (oldest === undefined) {
        return this.kept + count > limits.maxJobRecords
          ? `too many jobs kept: the limit is ${limits.maxJobRecords}, running or finished within the job TTL`
          : `jobs hold too much: the limit is ${limits.maxJobBytes} bytes in all (estimated in memory)`;
      }
      this.evict(oldest);
    }
    return undefined;
  }

  private evict(entry: Entry): void {
    this.remove(entry);
    this.onEvict(entry.jobId);
  }

  private remove(entry: Entry): void {
    if (entry.gone) return;
    entry.gone = true;
    this.entries.delete(entry.jobId);
    this.charge(entry.tally, -1, -entry.bytes);
    if (entry.tally.kept === 0) this.tallies.delete(entry.tally.clientId);
  }

  private charge(tally: ClientTally, count: number, bytes: number): void {
    tally.kept += count;
    tally.bytes += bytes;
    this.kept += count;
    this.bytes += bytes;
  }

  private tallyOf(clientId: string): ClientTally {
    let tally = this.tallies.get(clientId);
    if (tally === undefined) this.tallies.set(clientId, (tally = new ClientTally(clientId)));
    return tally;
  }
}
