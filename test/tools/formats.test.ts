import { formatTools, isToolFormat, toAnthropicTool, toMcpTool, toOpenAiResponsesTool, toOpenAiTool, TOOL_FORMATS } from '../../src/tools/formats';
import type { ToolDescriptor } from '../../src/tools/tool';

const descriptor: ToolDescriptor = {
  name: 'echo',
  description: 'Echoes.',
  input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false },
  output_schema: { type: 'object', properties: { text: { type: 'string' } } },
  async: false,
};
const job: ToolDescriptor = { ...descriptor, name: 'crawl', description: 'Crawls.', async: true };
const protocolTool: ToolDescriptor = { ...descriptor, name: 'poll_job', description: 'Polls.' };

describe('tool formats', () => {
  it('maps a descriptor to each runtime shape', () => {
    expect(toOpenAiTool(descriptor)).toEqual({ type: 'function', function: { name: 'echo', description: 'Echoes.', parameters: descriptor.input_schema } });
    expect(toOpenAiResponsesTool(descriptor)).toEqual({ type: 'function', name: 'echo', description: 'Echoes.', parameters: descriptor.input_schema, strict: false });
    expect(toAnthropicTool(descriptor)).toEqual({ name: 'echo', description: 'Echoes.', input_schema: descriptor.input_schema });
    expect(toMcpTool(descriptor)).toEqual({ name: 'echo', description: 'Echoes.', inputSchema: descriptor.input_schema, outputSchema: descriptor.output_schema });
    expect(formatTools([descriptor], 'json-schema')).toEqual([descriptor]);
  });

  it('keeps the schema\'s keywords in their order', () => {
    expect(Object.keys(toOpenAiTool(descriptor).function.parameters)).toEqual(Object.keys(descriptor.input_schema));
  });

  it('tells a model that a job runs in the background; the json-schema format keeps the flag', () => {
    const note = 'Crawls. (Runs as a background job: the call returns when the job ends.)';
    expect(toOpenAiTool(job).function.description).toBe(note);
    expect(toOpenAiResponsesTool(job).description).toBe(note);
    expect(toAnthropicTool(job).description).toBe(note);
    expect(formatTools([job], 'json-schema')[0].async).toBe(true);
    expect(toMcpTool(job)).toMatchObject({ description: 'Crawls.', execution: { taskSupport: 'optional' } });
  });

  it('leaves the protocol tools out of the model formats unless asked', () => {
    const all = [descriptor, protocolTool];
    expect(formatTools(all, 'openai').map((tool) => tool.function.name)).toEqual(['echo']);
    expect(formatTools(all, 'openai-responses').map((tool) => tool.name)).toEqual(['echo']);
    expect(formatTools(all, 'anthropic').map((tool) => tool.name)).toEqual(['echo']);
    expect(formatTools(all, 'anthropic', { includeProtocolTools: true }).map((tool) => tool.name)).toEqual(['echo', 'poll_job']);
    expect(formatTools(all, 'mcp').map((tool) => tool.name)).toEqual(['echo', 'poll_job']);
    expect(formatTools(all, 'json-schema').map((tool) => tool.name)).toEqual(['echo', 'poll_job']);
  });

  it('copies the schemas, so a caller that edits them does not edit the registry', () => {
    const mcp = toMcpTool(descriptor);
    (mcp.inputSchema.properties as Record<string, unknown>).text = 'changed';
    expect(descriptor.input_schema.properties).toEqual({ text: { type: 'string' } });
  });

  it('knows its formats', () => {
    expect(TOOL_FORMATS.every(isToolFormat)).toBe(true);
    expect(TOOL_FORMATS).toContain('openai-responses');
    expect(isToolFormat('yaml')).toBe(false);
  });
});
