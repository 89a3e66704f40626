import type { CancelJobInput, CancelJobOutput } from '../../generated/schemas';
import { defineTool, type Tool } from '../tool';
import { toolSchemaFile } from './schemaFiles';
import { jobReply, unknownJob } from '../jobReply';
import type { ProtocolServices } from './services';

export function cancelJobTool(server: ProtocolServices): Tool<CancelJobInput, CancelJobOutput> {
  return defineTool<CancelJobInput, CancelJobOutput>({
    name: 'cancel_job',
    description:
      'Cancels a running job started by the same client and answers status cancelled. ' +
      "Idempotent: on a job that already finished it answers that job's final status.",
    inputSchema: toolSchemaFile('cancel_job', 'input'),
    outputSchema: toolSchemaFile('cancel_job', 'output'),
    annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false },
    run: async ({ job_id }, ctx) => {
      const job = await server.jobs.cancel(job_id, ctx.clientId);
      if (!job) throw unknownJob();
      return jobReply(job);
    },
  });
}
