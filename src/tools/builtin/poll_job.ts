import type { PollJobInput } from '../../generated/schemas';
import { defineTool } from '../tool';
import { jobReply, unknownJob } from '../jobReply';

export default defineTool<PollJobInput>({
  name: 'poll_job',
  description:
    "Returns a job's status (running, done, error or cancelled) and, once done, its result. " +
    'Only the client that started a job can see it; finished jobs stay pollable for a while (the job TTL).',
  run: async ({ job_id }, ctx) => {
    const job = await ctx.jobs.get(job_id, ctx.clientId);
    if (!job) throw unknownJob();
    return jobReply(job);
  },
});
