/**
 * Which Job gets each verified `job/status` notification, and what happens
 * to notifications of jobs no Job tracks yet (a `call` whose answer is
 * handed to `trackJob` later): they are held, a bounded number, until one
 * claims them.
 */
import type { ToolsealError } from '../protocol/errors';
import type { JobStatusUpdate } from './envelopes';
import type { JobSink } from './job';

/** Job notifications held for jobs nobody tracks (yet), at most. */
export const MAX_UNTRACKED_STATUSES = 4_096;

export class JobRouter {
  private readonly sinks = new Map<string, Set<JobSink>>();
  private readonly untracked = new Map<string, JobStatusUpdate[]>();
  private untrackedCount = 0;
  private lostError: ToolsealError | undefined;

  /** Hands a verified notification to the jobs tracking it, or holds it. */
  route(update: JobStatusUpdate): void {
    const sinks = this.sinks.get(update.jobId);
    if (sinks) {
      for (const sink of [...sinks]) sink.status(update);
    } else {
      this.hold(update);
    }
  }

  /**
   * Routes the job's notifications to `sink`, starting with any held for
   * it. Returns the function that detaches it. Once the connection is lost,
   * the sink is told so at once.
   */
  attach(jobId: string, sink: JobSink): () => void {
    if (this.lostError) {
      sink.lost(this.lostError);
      return () => undefined;
    }
    let sinks = this.sinks.get(jobId);
    if (!sinks) this.sinks.set(jobId, (sinks = new Set()));
    sinks.add(sink);
    const held = this.untracked.get(jobId);
    if (held) {
      this.untracked.delete(jobId);
      this.untrackedCount -= held.length;
      for (const update of held) sink.status(update);
    }
    return () => {
      const current = this.sinks.get(jobId);
      if (current?.delete(sink) && current.size === 0) this.sinks.delete(jobId);
    };
  }

  /** The connection is gone: every tracked job learns it, held notifications are dropped. */
  lose(error: ToolsealError): void {
    this.lostError = error;
    for (const sinks of [...this.sinks.values()]) for (const sink of [...sinks]) sink.lost(error);
    this.sinks.clear();
    this.untracked.clear();
    this.untrackedCount = 0;
  }

  /** Keeps a notification for a job no Job tracks yet; the oldest jobs' are dropped past the bound. */
  private hold(update: JobStatusUpdate): void {
    const held = this.untracked.get(update.jobId);
    if (held) held.push(update);
    else this.untracked.set(update.jobId, [update]);
    this.untrackedCount++;
    while (this.untrackedCount > MAX_UNTRACKED_STATUSES) {
      const [oldest, statuses] = this.untracked.entries().next().value as [string, JobStatusUpdate[]];
      this.untracked.delete(oldest);
      this.untrackedCount -= statuses.length;
    }
  }
}
