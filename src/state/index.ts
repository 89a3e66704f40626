/**
 * Shared state on Redis (`--state redis://HOST:PORT/DB`): the replay window
 * and the job table shared by every process of a server_id, jobs run on
 * BullMQ workers. Required only when `--state` is given.
 */
export { SharedState, type SharedStateOptions, type WorkerOptions } from './sharedState';
export { DEFAULT_STALLED_MS, DEFAULT_WORKER_CONCURRENCY } from './defaults';
export { JobWorker, WORKER_LOST_MESSAGE } from './jobWorker';
export { RedisReplayStore } from './redisReplayStore';
export { RedisJobStore } from './redisJobStore';
export { parseStateUrl, StateUrlError, type StateLocation } from './stateUrl';
