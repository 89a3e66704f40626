/**
 * Tool definitions in the shapes LLM tool-calling runtimes expect, from our
 * own descriptor (the `list_tools` shape). Pure functions: descriptor in,
 * plain JSON out, so the CLI and the MCP front end share one mapping.
 */
import type { JsonObject } from '../protocol/wire';
import type { ToolDescriptor } from './tool';

/** The formats `toolseal tools --format` knows. */
export const TOOL_FORMATS = ['json-schema', 'openai', 'anthropic', 'mcp'] as const;
export type ToolFormat = (typeof TOOL_FORMATS)[number];

/** OpenAI Chat Completions / Responses function tool. */
export interface OpenAiTool {
  type: 'function';
  function: { name: string; description: string; parameters: JsonObject };
}

/** Anthropic Messages API tool. */
export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: JsonObject;
}

/** Model Context Protocol tool (as listed by `tools/list`). */
export interface McpTool {
  name: string;
  description: string;
  inputSchema: JsonObject;
  outputSchema: JsonObject;
}

/** Whether `value` names a known format. */
export function isToolFormat(value: string): value is ToolFormat {
  return (TOOL_FORMATS as readonly string[]).includes(value);
}

/** Our own shape, `{name, description, input_schema, output_schema, async}`, as a fresh copy. */
export function toJsonSchemaTool(tool: ToolDescriptor): ToolDescriptor {
  return {
    name: tool.name,
    description: tool.description,
    input_schema: structuredClone(tool.input_schema),
    output_schema: structuredClone(tool.output_schema),
    async: tool.async,
  };
}

/** `{type: "function", function: {name, description, parameters}}`. */
export function toOpenAiTool(tool: ToolDescriptor): OpenAiTool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: structuredClone(tool.input_schema) } };
}

/** `{name, description, input_schema}`. */
export function toAnthropicTool(tool: ToolDescriptor): AnthropicTool {
  return { name: tool.name, description: tool.description, input_schema: structuredClone(tool.input_schema) };
}

/** `{name, description, inputSchema, outputSchema}`. */
export function toMcpTool(tool: ToolDescriptor): McpTool {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: structuredClone(tool.input_schema),
    outputSchema: structuredClone(tool.output_schema),
  };
}

/** Every tool in `format`. */
export function formatTools(tools: readonly ToolDescriptor[], format: ToolFormat): Array<ToolDescriptor | OpenAiTool | AnthropicTool | McpTool> {
  switch (format) {
    case 'json-schema':
      return tools.map(toJsonSchemaTool);
    case 'openai':
      return tools.map(toOpenAiTool);
    case 'anthropic':
      return tools.map(toAnthropicTool);
    case 'mcp':
      return tools.map(toMcpTool);
  }
}
