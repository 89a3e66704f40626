import type { BatchSumInput, BatchSumOutput } from '../../generated/schemas';
import { ErrorCode, ToolsealError } from '../../protocol/errors';
import { exactSum } from '../exactSum';
import { defineTool } from '../tool';
import { toolSchemaFile } from './schemaFiles';

/** An example tool: exact summation. */
export const batchSum = defineTool<BatchSumInput, BatchSumOutput>({
  name: 'batch_sum',
  description:
    'Adds 1 to 100000 numbers exactly: the total is the correctly rounded sum (like Python math.fsum), ' +
    'so [1e16, 1, -1e16] sums to 1 and ten 0.1s to 1. Returns the count and the total.',
  inputSchema: toolSchemaFile('batch_sum', 'input'),
  outputSchema: toolSchemaFile('batch_sum', 'output'),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  run: ({ numbers }) => {
    const total = exactSum(numbers);
    if (!Number.isFinite(total)) {
      throw new ToolsealError(ErrorCode.InvalidArguments, 'invalid arguments', {
        errors: [{ path: '/numbers', message: 'the sum is not a finite number' }],
      });
    }
    return { count: numbers.length, total };
  },
});
