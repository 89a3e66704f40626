import type { PollJobInput, PollJobOutput } from '../../generated/schemas';
import { defineTool, type Tool } from '../tool';
import { toolSchemaFile } from './schemaFiles';
import { jobReply, unknownJob } from '../jobReply';
import type { ProtocolServices } from './services';

export function pollJobTool(server: ProtocolServices): Tool<PollJobInput, PollJobOutput> {
  return defineTool<PollJobInput, PollJobOutput>({
    name: 'poll_job',
    description:
      "Returns a job's status (running, done, error or cancelled) and, once done, its result. " +
      'Only the client that started a job can see it; finished jobs stay pollable for a while (the job TTL).',
    inputSchema: toolSchemaFile('poll_job', 'input'),
    outputSchema: toolSchemaFile('poll_job', 'output'),
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async ({ job_id }, ctx) => {
      const job = await server.jobs.get(job_id, ctx.clientId);
      if (!job) throw unknownJob();
      return jobReply(job);
    },
  });
}
