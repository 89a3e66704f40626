import type { StartLongTaskInput } from '../../generated/schemas';
import { JobLimitError, longTaskWork } from '../../jobs';
import { ErrorCode, ToolsealError } from '../../protocol/errors';
import { defineTool } from '../tool';

export default defineTool<StartLongTaskInput>({
  name: 'start_long_task',
  description:
    'Starts a background job that runs for `seconds` (1-20) and then finishes with `payload` as its result. ' +
    'Answers at once with a job_id; progress and the result arrive as job/status notifications, ' +
    'or use poll_job and cancel_job.',
  async: true,
  run: async ({ seconds, payload }, ctx) => {
    try {
      const job = await ctx.jobs.start({
        ownerClientId: ctx.clientId,
        requestId: ctx.requestId,
        tool: 'start_long_task',
        work: longTaskWork({ seconds, payload: payload ?? {} }),
      });
      return { status: 'accepted', result: { job_id: job.jobId, poll_interval_ms: ctx.pollIntervalMs }, error: null };
    } catch (err) {
      if (err instanceof JobLimitError) throw new ToolsealError(ErrorCode.LimitExceeded, err.message);
      throw err;
    }
  },
});
