import type { JobRecord } from '../jobs';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import type { ToolReply } from './tool';

/** Unknown, expired and another client's job all get this one answer. */
export function unknownJob(): ToolsealError {
  return new ToolsealError(ErrorCode.UnknownJob, 'unknown job');
}

/** A job's state as a poll_job / cancel_job reply: the job's status, result and error. */
export function jobReply(job: JobRecord): ToolReply {
  const status = job.state === 'accepted' ? 'running' : job.state;
  return {
    status,
    result: job.state === 'done' ? (job.result ?? {}) : null,
    error: job.state === 'error' ? (job.error ?? 'job failed') : null,
  };
}
