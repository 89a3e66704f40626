import { DEFAULT_JOB_LIMITS } from '../jobs/jobLedger';

/** Every limit and timing of a server, with the protocol's defaults. */
export interface ServerSettings {
  /** Allowed |server time - ts_ms|, ms (`--max-skew-ms`). Replay entries live twice this. */
  maxSkewMs: number;
  /** Longest accepted line, bytes (`--max-message-bytes`). */
  maxMessageBytes: number;
  /** How long finished jobs stay pollable, ms (`--job-ttl-ms`). */
  jobTtlMs: number;
  /** Jobs running at once (`--max-jobs`). */
  maxJobs: number;
  /** Jobs running at once per client (`--max-jobs-per-client`). */
  maxJobsPerClient: number;
  /** Jobs kept, running or finished within the TTL (`--max-job-records`); finished ones are evicted oldest first past it. */
  maxJobRecords: number;
  /** The same per client (`--max-job-records-per-client`). */
  maxJobRecordsPerClient: number;
  /** Estimated bytes in memory kept by jobs: arguments while running, results once done (`--max-job-bytes`). */
  maxJobBytes: number;
  /** The same per client (`--max-job-bytes-per-client`). */
  maxJobBytesPerClient: number;
  /** On stdin EOF, how long running jobs may finish before they are cancelled, ms (`--drain-ms`). */
  drainMs: number;
  /** Replay-cache entries held at most; past it calls are refused with -32013 (`--max-replay-entries`). */
  maxReplayEntries: number;
  /** Replay-cache entries one client may hold (`--max-replay-entries-per-client`). */
  maxReplayEntriesPerClient: number;
  /** Suggested job polling interval handed out with job ids, ms. */
  pollIntervalMs: number;
  /** Nesting allowed anywhere in a call's params, the params object being level 1 (`--max-depth`). */
  maxDepth: number;
}

export const DEFAULT_SETTINGS: Readonly<ServerSettings> = Object.freeze({
  maxSkewMs: 300_000,
  maxMessageBytes: 1024 * 1024,
  jobTtlMs: 600_000,
  maxJobs: 10_000,
  ...DEFAULT_JOB_LIMITS,
  drainMs: 25_000,
  maxReplayEntries: 1_000_000,
  maxReplayEntriesPerClient: 250_000,
  pollIntervalMs: 1_000,
  maxDepth: 64,
});

/** How long SIGTERM/SIGINT may take from signal to exit. */
export const SHUTDOWN_BUDGET_MS = 2_000;
