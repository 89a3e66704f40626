/**
 * Tool definitions in the shapes LLM tool-calling runtimes expect, from our
 * own descriptor (the `list_tools` shape). Pure functions: descriptor in,
 * plain JSON out, so the CLI, the client helpers and the MCP front end share
 * one mapping. Each shape is written so that it assigns, without a cast, to
 * the official SDK's type (the test suite type-checks that against the
 * `openai` and `@anthropic-ai/sdk` packages).
 */
import type { JsonObject } from '../protocol/wire';
import { PROTOCOL_TOOL_NAMES } from './builtin';
import type { ToolDescriptor } from './tool';

/** The formats `toolseal tools --format` and formatTools know. */
export const TOOL_FORMATS = ['json-schema', 'openai', 'openai-responses', 'anthropic', 'mcp'] as const;
export type ToolFormat = (typeof TOOL_FORMATS)[number];

/** The formats meant for a model, which leave out the protocol tools unless asked. */
export const MODEL_TOOL_FORMATS: readonly ToolFormat[] = ['openai', 'openai-responses', 'anthropic'];

/** An input schema as the model APIs want it: an object schema. */
export interface ObjectSchema {
  type: 'object';
  [keyword: string]: unknown;
}

/** OpenAI Chat Completions function tool (`ChatCompletionFunctionTool`). */
export interface OpenAiTool {
  type: 'function';
  function: { name: string; description: string; parameters: ObjectSchema };
}

/** OpenAI Responses API function tool (`FunctionTool`); `strict` is false, since strict mode restricts the schema. */
export interface OpenAiResponsesTool {
  type: 'function';
  name: string;
  description: string;
  parameters: ObjectSchema;
  strict: false;
}

/** Anthropic Messages API tool (`Tool`). */
export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: ObjectSchema;
}

/** Model Context Protocol tool (as listed by `tools/list`). */
export interface McpTool {
  name: string;
  description: string;
  inputSchema: ObjectSchema;
  outputSchema: ObjectSchema;
}

/** What each format turns a descriptor into. */
export interface FormattedTools {
  'json-schema': ToolDescriptor;
  openai: OpenAiTool;
  'openai-responses': OpenAiResponsesTool;
  anthropic: AnthropicTool;
  mcp: McpTool;
}

export interface FormatToolsOptions {
  /**
   * List server_identity, list_tools, poll_job and cancel_job in the model
   * formats too. They are for the host (ToolClient drives jobs itself), so a
   * model is not shown them by default. The json-schema and mcp formats list
   * every tool they are given.
   */
  includeProtocolTools?: boolean;
}

/** Whether `value` names a known format. */
export function isToolFormat(value: string): value is ToolFormat {
  return (TOOL_FORMATS as readonly string[]).includes(value);
}

/**
 * What a model is told about a tool: its description, and for a job that
 * the call returns only when the job has ended (the model APIs have no
 * field for it, and a model may want to know that a tool takes a while).
 */
export function modelDescription(tool: ToolDescriptor): string {
  return tool.async ? `${tool.description} (Runs as a background job: the call returns when the job ends.)` : tool.description;
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
  return { type: 'function', function: { name: tool.name, description: modelDescription(tool), parameters: objectSchema(tool.input_schema) } };
}

/** `{type: "function", name, description, parameters, strict: false}`. */
export function toOpenAiResponsesTool(tool: ToolDescriptor): OpenAiResponsesTool {
  return { type: 'function', name: tool.name, description: modelDescription(tool), parameters: objectSchema(tool.input_schema), strict: false };
}

/** `{name, description, input_schema}`. */
export function toAnthropicTool(tool: ToolDescriptor): AnthropicTool {
  return { name: tool.name, description: modelDescription(tool), input_schema: objectSchema(tool.input_schema) };
}

/** `{name, description, inputSchema, outputSchema}`. */
export function toMcpTool(tool: ToolDescriptor): McpTool {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: objectSchema(tool.input_schema),
    outputSchema: objectSchema(tool.output_schema),
  };
}

const FORMATTERS: { readonly [F in ToolFormat]: (tool: ToolDescriptor) => FormattedTools[F] } = {
  'json-schema': toJsonSchemaTool,
  openai: toOpenAiTool,
  'openai-responses': toOpenAiResponsesTool,
  anthropic: toAnthropicTool,
  mcp: toMcpTool,
};

/**
 * Every tool in `format`, typed for that format (`formatTools(tools,
 * 'openai')` is an `OpenAiTool[]`, which assigns to the openai package's
 * `ChatCompletionTool[]`). The model formats leave out the protocol tools
 * unless `includeProtocolTools`.
 */
export function formatTools<F extends ToolFormat>(tools: readonly ToolDescriptor[], format: F, options: FormatToolsOptions = {}): Array<FormattedTools[F]> {
  const formatter: (tool: ToolDescriptor) => FormattedTools[F] = FORMATTERS[format];
  const forModel = MODEL_TOOL_FORMATS.includes(format) && options.includeProtocolTools !== true;
  return (forModel ? tools.filter((tool) => !PROTOCOL_TOOL_NAMES.includes(tool.name)) : tools).map((tool) => formatter(tool));
}

/**
 * A copy of a tool schema typed as the object schema it is: every tool's
 * schemas were checked to be `type: "object"` when the tool was registered,
 * and descriptors come from list_tools, whose answers are verified.
 */
function objectSchema(schema: JsonObject): ObjectSchema {
  return { ...structuredClone(schema), type: 'object' };
}
