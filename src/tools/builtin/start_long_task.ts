import type { StartLongTaskInput, StartLongTaskOutput } from '../../generated/schemas';
import { longTaskWork } from '../../jobs/longTask';
import { defineTool } from '../tool';
import { toolSchemaFile } from './schemaFiles';

/** An example job tool: waits, reporting progress, then ends with the caller's payload. */
export const startLongTask = defineTool<StartLongTaskInput, StartLongTaskOutput>({
  name: 'start_long_task',
  description:
    'Starts a background job that runs for `seconds` (1-20) and then finishes with `payload` as its result. ' +
    'Answers at once with a job_id; progress and the result arrive as job/status notifications, ' +
    'or use poll_job and cancel_job.',
  inputSchema: toolSchemaFile('start_long_task', 'input'),
  outputSchema: toolSchemaFile('start_long_task', 'output'),
  job: true,
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: ({ seconds, payload }, ctx) =>
    longTaskWork({ seconds, payload: payload ?? {} })({ signal: ctx.signal, reportProgress: (fraction) => ctx.progress(fraction) }),
});
