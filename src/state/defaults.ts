/** Defaults of the shared-state options, readable without loading any Redis code (for `--help`). */

/** Jobs one worker runs at once (`--worker-concurrency`). */
export const DEFAULT_WORKER_CONCURRENCY = 32;
/**
 * BullMQ's lock duration and stalled-check interval, ms (`--stalled-ms`). A
 * job whose worker died ends within about 3 x this (30 s by default), as long
 * as another worker of the server_id runs.
 */
export const DEFAULT_STALLED_MS = 10_000;
