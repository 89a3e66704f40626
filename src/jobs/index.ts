export {
  canTransition,
  isTerminal,
  MemoryJobStore,
  type JobRecord,
  type JobState,
  type JobStore,
  type TerminalJobState,
} from './jobStore';
export {
  applyJobChange,
  JobLimitError,
  JobManager,
  type JobChange,
  type JobContext,
  type JobManagerOptions,
  type JobUpdate,
  type JobWork,
} from './jobManager';
export type { JobService, JobStart } from './jobService';
export { DEFAULT_JOB_LIMITS, type JobLimits } from './jobLedger';
export { estimateRetainedBytes } from './retainedSize';
export { longTaskWork, type LongTaskParams } from './longTask';
