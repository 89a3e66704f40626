import type { ListToolsInput } from '../../generated/schemas';
import { defineTool, ok } from '../tool';

export default defineTool<ListToolsInput>({
  name: 'list_tools',
  description:
    'Lists every tool of this server with its description and the JSON Schemas of its input and output, ' +
    'ready to hand to an LLM tool-calling runtime.',
  run: (_args, ctx) => ok({ tools: ctx.catalog() }),
});
