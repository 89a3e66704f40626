import type { ListToolsInput, ListToolsOutput } from '../../generated/schemas';
import { defineTool, type Tool } from '../tool';
import { toolSchemaFile } from './schemaFiles';
import type { ProtocolServices } from './services';

export function listToolsTool(server: ProtocolServices): Tool<ListToolsInput, ListToolsOutput> {
  return defineTool<ListToolsInput, ListToolsOutput>({
    name: 'list_tools',
    description:
      'Lists every tool the caller may call, with its description and the JSON Schemas of its input and output, ' +
      'ready to hand to an LLM tool-calling runtime.',
    inputSchema: toolSchemaFile('list_tools', 'input'),
    outputSchema: toolSchemaFile('list_tools', 'output'),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    run: (_args, ctx) => ({ tools: [...server.toolsFor(ctx.clientId)] }),
  });
}
