import type { JobRecord } from '../jobs';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import { statusReply, type StatusReply } from './tool';

/** Unknown, expired and another client's job all get this one answer. */
export function unknownJob(): ToolsealError {
  return new ToolsealError(ErrorCode.UnknownJob, 'unknown job');
}

/** A job's state as a poll_job / cancel_job reply: the job's status, result and error. */
export function jobReply(job: JobRecord): StatusReply {
  const status = job.state === 'accepted' ? 'running' : job.state;
  return statusReply(status, job.state === 'done' ? job.result : null, job.state === 'error' ? job.error : null);
}
