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
export { longTaskWork, type LongTaskParams } from './longTask';
