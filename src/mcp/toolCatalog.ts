/**
 * `tools/list`: our tool descriptors as MCP tools. The schemas are the ones
 * in schemas/ (as the ToolRegistry hands them out); which output schemas are
 * advertised is decided here.
 */
import type { JsonObject } from '../protocol/wire';
import { declaresDraft07 } from '../tools/schemaCompiler';
import type { ToolAnnotations, ToolDescriptor } from '../tools/tool';
import type { McpTool } from './types';

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

/** What a tool declares beyond its descriptor that MCP lists. */
export interface McpToolExtras {
  title?: string;
  annotations?: ToolAnnotations;
  /** The `$schema` its input and output schemas declare, as written (descriptors leave it out). */
  declaredDrafts?: { input?: unknown; output?: unknown };
}

/**
 * A listed schema as MCP reads it. MCP 2025-11-25 takes a schema without
 * `$schema` as draft 2020-12, so a draft-07 schema keeps its `$schema`
 * (first, as written); a 2020-12 one needs none.
 */
export function mcpSchema(listed: JsonObject, declared: unknown): JsonObject {
  return declaresDraft07(declared) ? { $schema: declared, ...listed } : listed;
}

/** One tool as `tools/list` lists it. `tasks`: the negotiated revision has the tasks utility. */
export function toMcpTool(descriptor: ToolDescriptor, options: { tasks: boolean }, extras: McpToolExtras = {}): McpTool {
  const tool: McpTool = {
    name: descriptor.name,
    ...(extras.title === undefined ? {} : { title: extras.title }),
    description: descriptor.description,
    inputSchema: mcpSchema(descriptor.input_schema, extras.declaredDrafts?.input),
  };
  if (advertisesOutputSchema(descriptor)) tool.outputSchema = mcpSchema(descriptor.output_schema, extras.declaredDrafts?.output);
  // Async tools start a job, which is a task when the call asks for one.
  if (options.tasks && descriptor.async) tool.execution = { taskSupport: 'optional' };
  if (extras.annotations !== undefined) tool.annotations = { ...extras.annotations };
  return tool;
}
