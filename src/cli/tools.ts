import { createLogger } from '../server/logger';
import { EXAMPLE_TOOLS, protocolToolsForListing } from '../tools/builtin';
import { formatTools, isToolFormat, toMcpListing, TOOL_FORMATS } from '../tools/formats';
import { loadToolModules } from '../tools/modules';
import { ToolRegistry } from '../tools/registry';
import { ToolSetError } from '../tools/schemaCompiler';
import { parseCommandLine, UsageError, type CommandModule } from './args';
import { flushed } from './output';

export const TOOLS_USAGE = `Usage: toolseal tools [--tools PATH]... [--format FORMAT] [--include-protocol-tools]

Prints every tool's definition (name, description, JSON Schemas) as a JSON
array, in the shape a tool-calling runtime expects. No keyring needed.

Formats:
  json-schema   {name, description, input_schema, output_schema, async}
                (what the list_tools tool answers; the default)
  openai        {type: "function", function: {name, description, parameters}}
                (OpenAI Chat Completions)
  openai-responses
                {type: "function", name, description, parameters, strict}
                (OpenAI Responses API; strict is false)
  anthropic     {name, description, input_schema}
                (the three model formats leave out the protocol tools
                server_identity, list_tools, poll_job and cancel_job, which
                the host uses, unless --include-protocol-tools; a job's
                description says that it runs as a background job)
  mcp           {name, title?, description, inputSchema, outputSchema?,
                execution?, annotations?}, as the MCP front end lists them

Options:
  --tools PATH      the tools of a module or directory, as for toolseal serve
                    (repeatable); without it, the example tools
  --example-tools   list the example tools beside those of --tools
  --format FORMAT   one of ${TOOL_FORMATS.join(', ')}
  --include-protocol-tools
                    list the protocol tools in the model formats too
  -h, --help        this help

Example:
  toolseal tools --format openai > tools.openai.json
`;

/** `toolseal tools`. */
export async function toolsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    format: { type: 'string' },
    tools: { type: 'string', multiple: true },
    'example-tools': { type: 'boolean' },
    'include-protocol-tools': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const format = values.format ?? 'json-schema';
  if (!isToolFormat(format)) throw new UsageError(`--format must be one of ${TOOL_FORMATS.join(', ')}`);
  const toolPaths = values.tools ?? [];
  let registry: ToolRegistry;
  try {
    const tools = await loadToolModules(toolPaths);
    const examples = toolPaths.length === 0 || values['example-tools'] === true ? EXAMPLE_TOOLS : [];
    registry = new ToolRegistry({ protocol: protocolToolsForListing(), tools: [...examples, ...tools] }, createLogger('warn'));
  } catch (err) {
    if (!(err instanceof ToolSetError)) throw err;
    process.stderr.write(`toolseal tools: ${err.message}\n`);
    return 2;
  }
  // mcp: exactly what the MCP front end's tools/list answers, title, annotations and declared drafts included.
  const listed =
    format === 'mcp'
      ? registry.list().map((descriptor) => toMcpListing(registry.get(descriptor.name)!))
      : formatTools(registry.list(), format, { includeProtocolTools: values['include-protocol-tools'] === true });
  process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
  await flushed();
  return 0;
}

/** This command, for the CLI table. */
export const command: CommandModule = { usage: TOOLS_USAGE, run: toolsCommand };
