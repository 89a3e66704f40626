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
import type { RegisteredTool } from './registry';
import { declaresDraft07 } from './schemaCompiler';
import type { ToolAnnotations, ToolDescriptor } from './tool';

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

/** Model Context Protocol tool, as the MCP front end's `tools/list` lists it. */
export interface McpTool {
  name: string;
  title?: string;
  description: string;
  inputSchema: ObjectSchema;
  outputSchema?: ObjectSchema;
  execution?: { taskSupport: 'forbidden' | 'optional' | 'required' };
  annotations?: ToolAnnotations;
}

/** What a tool declares beyond its descriptor that MCP lists. */
export interface McpToolExtras {
  title?: string;
  annotations?: ToolAnnotations;
  /** The `$schema` its input and output schemas declare, as written (descriptors leave it out). */
  declaredDrafts?: { input?: unknown; output?: unknown };
}

export interface McpListingOptions {
  /** The negotiated MCP revision has the tasks utility: job tools say `taskSupport: "optional"` (default true). */
  tasks?: boolean;
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

/** Keywords that describe a schema without constraining anything. */
const ANNOTATION_KEYWORDS = new Set(['title', 'description', '$comment', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly']);

/**
 * True for `{"type": "object"}` plus annotations: a schema any object meets.
 * Ours are the output schemas of poll_job and cancel_job, whose result is
 * another call's (the job's own) result.
 */
export function isOpenObjectSchema(schema: JsonObject): boolean {
  return Object.keys(schema).every((key) => ANNOTATION_KEYWORDS.has(key) || (key === 'type' && schema.type === 'object'));
}

/**
 * Whether MCP clients are told the tool's output schema. MCP makes a server
 * that advertises one return `structuredContent` valid against it in every
 * successful result, and SDK clients reject a result without it. So it is
 * left out for:
 * - async tools (start_long_task): a plain call answers the job handle
 *   (`{job_id, poll_interval_ms}`), but a task-augmented call's result is
 *   the job's own result, which the schema does not describe;
 * - open-object schemas (poll_job, cancel_job): their result is null while
 *   a job runs, was cancelled or failed, and there is nothing to put in
 *   `structuredContent` then. Such a schema constrains nothing MCP does not
 *   already require of `structuredContent` (an object), so nothing is lost.
 * Every other tool answers a non-null result valid against its schema (the
 * pipeline checks it), so its schema is advertised as it is.
 */
export function advertisesOutputSchema(descriptor: ToolDescriptor): boolean {
  return !descriptor.async && !isOpenObjectSchema(descriptor.output_schema);
}

/**
 * A listed schema as MCP reads it. MCP 2025-11-25 takes a schema without
 * `$schema` as draft 2020-12, so a draft-07 schema keeps its `$schema`
 * (first, as written); a 2020-12 one needs none.
 */
export function mcpSchema(listed: JsonObject, declared: unknown): ObjectSchema {
  return objectSchema(declaresDraft07(declared) ? { $schema: declared, ...listed } : listed);
}

/**
 * `{name, title?, description, inputSchema, outputSchema?, execution?,
 * annotations?}`: one tool as the MCP front end's `tools/list` lists it
 * (see advertisesOutputSchema for when the output schema is left out).
 */
export function toMcpTool(descriptor: ToolDescriptor, options: McpListingOptions = {}, extras: McpToolExtras = {}): McpTool {
  const tool: McpTool = {
    name: descriptor.name,
    ...(extras.title === undefined ? {} : { title: extras.title }),
    description: descriptor.description,
    inputSchema: mcpSchema(descriptor.input_schema, extras.declaredDrafts?.input),
  };
  if (advertisesOutputSchema(descriptor)) tool.outputSchema = mcpSchema(descriptor.output_schema, extras.declaredDrafts?.output);
  // Async tools start a job, which is a task when the call asks for one.
  if (options.tasks !== false && descriptor.async) tool.execution = { taskSupport: 'optional' };
  if (extras.annotations !== undefined) tool.annotations = { ...extras.annotations };
  return tool;
}

/** A registered tool as MCP lists it, with what it declares beyond its descriptor (title, annotations, draft). */
export function toMcpListing(entry: RegisteredTool, options: McpListingOptions = {}): McpTool {
  const declaredDrafts = { input: entry.input.schema.$schema, output: entry.output.schema.$schema };
  return toMcpTool(entry.descriptor, options, { title: entry.tool.title, annotations: entry.tool.annotations, declaredDrafts });
}

const FORMATTERS: { readonly [F in ToolFormat]: (tool: ToolDescriptor) => FormattedTools[F] } = {
  'json-schema': toJsonSchemaTool,
  openai: toOpenAiTool,
  'openai-responses': toOpenAiResponsesTool,
  anthropic: toAnthropicTool,
  mcp: (tool) => toMcpTool(tool),
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
