import { formatTools, isToolFormat, toAnthropicTool, toMcpTool, toOpenAiTool } from '../../src/tools/formats';
import type { ToolDescriptor } from '../../src/tools/tool';

const descriptor: ToolDescriptor = {
  name: 'echo',
  description: 'Echoes.',
  input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false },
  output_schema: { type: 'object' },
  async: false,
};

describe('tool formats', () => {
  it('maps a descriptor to each runtime shape', () => {
    expect(toOpenAiTool(descriptor)).toEqual({ type: 'function', function: { name: 'echo', description: 'Echoes.', parameters: descriptor.input_schema } });
    expect(toAnthropicTool(descriptor)).toEqual({ name: 'echo', description: 'Echoes.', input_schema: descriptor.input_schema });
    expect(toMcpTool(descriptor)).toEqual({ name: 'echo', description: 'Echoes.', inputSchema: descriptor.input_schema, outputSchema: descriptor.output_schema });
    expect(formatTools([descriptor], 'json-schema')).toEqual([descriptor]);
  });

  it('copies the schemas, so a caller that edits them does not edit the registry', () => {
    const mcp = toMcpTool(descriptor);
    (mcp.inputSchema as { type: string }).type = 'changed';
    expect(descriptor.input_schema.type).toBe('object');
  });

  it('knows its formats', () => {
    expect(['json-schema', 'openai', 'anthropic', 'mcp'].every(isToolFormat)).toBe(true);
    expect(isToolFormat('yaml')).toBe(false);
  });
});
