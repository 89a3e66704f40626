import type { CommandModule } from './main';
import { SchemaRegistry } from '../protocol/schemas';
import { formatTools, isToolFormat, TOOL_FORMATS } from '../tools/formats';
import { loadToolModules, ToolRegistry } from '../tools/registry';
import { parseCommandLine, UsageError } from './args';
import { flushed } from './output';

export const TOOLS_USAGE = `Usage: toolseal tools [--format FORMAT]

Prints every tool's definition (name, description, JSON Schemas) as a JSON
array, in the shape a tool-calling runtime expects. No keyring needed.

Formats:
  json-schema   {name, description, input_schema, output_schema, async}
                (what the list_tools tool answers; the default)
  openai        {type: "function", function: {name, description, parameters}}
  anthropic     {name, description, input_schema}
  mcp           {name, description, inputSchema, outputSchema}

Options:
  --format FORMAT   one of ${TOOL_FORMATS.join(', ')}
  -h, --help        this help

Example:
  toolseal tools --format openai > tools.openai.json
`;

/** `toolseal tools`. */
export async function toolsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    format: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const format = values.format ?? 'json-schema';
  if (!isToolFormat(format)) throw new UsageError(`--format must be one of ${TOOL_FORMATS.join(', ')}`);
  const registry = new ToolRegistry(new SchemaRegistry(), loadToolModules());
  process.stdout.write(`${JSON.stringify(formatTools(registry.list(), format), null, 2)}\n`);
  await flushed();
  return 0;
}

/** This command, for the CLI table. */
export const command: CommandModule = { usage: TOOLS_USAGE, run: toolsCommand };
