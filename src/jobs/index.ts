export {
  canTransition,
  expiryOf,
  isFinished,
  isTerminal,
  MemoryJobStore,
  type FinishedJobFields,
  type FinishedJobRecord,
  type JobRecord,
  type JobRecordFields,
  type JobState,
  type JobStore,
  type TerminalJobState,
} from './jobStore';
export {
  applyJobChange,
  FALLBACK_ERROR_MESSAGE,
  JobLimitError,
  type JobChange,
  type JobContext,
  type JobUpdate,
  type JobWork,
} from './jobChanges';
export { JobManager, type JobManagerOptions } from './jobManager';
export type { JobService, JobServiceSettings, JobStart } from './jobService';
export { DEFAULT_JOB_LIMITS, type JobLimits } from './jobLedger';
export { estimateRetainedBytes } from './retainedSize';
export { longTaskWork, type LongTaskParams } from './longTask';
