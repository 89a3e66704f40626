import type { JobManager } from '../jobs';
import type { JsonObject, ResponseStatus } from '../protocol/wire';

/** What a tool's handler can see of the server and the call. */
export interface ToolContext {
  /** The authenticated caller. */
  readonly clientId: string;
  /** The call's request_id. */
  readonly requestId: string;
  readonly serverId: string;
  /** 16 hex chars identifying the server key without revealing it. */
  readonly fingerprint: string;
  readonly jobs: JobManager;
  /** How often a client should poll a job when notifications stop. */
  readonly pollIntervalMs: number;
  /** Every registered tool, for list_tools. */
  readonly catalog: () => readonly ToolDescriptor[];
}

/** What a handler answers: the response's status, result and error. */
export interface ToolReply {
  status: ResponseStatus;
  result: JsonObject | null;
  error?: string | null;
}

/**
 * One tool, declared in one place. Its schemas are the files
 * `schemas/tools/<name>.input.schema.json` and `.output.schema.json`;
 * `Args` is the type generated from the input schema, and the handler only
 * ever sees args that passed it.
 */
export interface ToolDefinition<Args = JsonObject> {
  readonly name: string;
  /** Told to LLMs: say what the tool does and when to use it. */
  readonly description: string;
  /** The tool starts a job and answers `accepted` with a job id. */
  readonly async?: boolean;
  run(args: Args, context: ToolContext): Promise<ToolReply> | ToolReply;
}

/** A tool as listed to callers and LLM runtimes. */
export interface ToolDescriptor {
  name: string;
  description: string;
  input_schema: JsonObject;
  output_schema: JsonObject;
  async: boolean;
}

/** Declares a tool with its argument type checked against the handler. */
export function defineTool<Args>(definition: ToolDefinition<Args>): ToolDefinition<Args> {
  return definition;
}

/** A plain successful reply. */
export function ok(result: JsonObject): ToolReply {
  return { status: 'ok', result, error: null };
}
