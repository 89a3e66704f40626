import type { CancelJobInput } from '../../generated/schemas';
import { defineTool } from '../tool';
import { jobReply, unknownJob } from '../jobReply';

export default defineTool<CancelJobInput>({
  name: 'cancel_job',
  description:
    'Cancels a running job started by the same client and answers status cancelled. ' +
    'Idempotent: on a job that already finished it answers that job\'s final status.',
  run: async ({ job_id }, ctx) => {
    const job = await ctx.jobs.cancel(job_id, ctx.clientId);
    if (!job) throw unknownJob();
    return jobReply(job);
  },
});
