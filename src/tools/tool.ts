import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { JsonObject, ResponseStatus } from '../protocol/wire';
import type { Logger } from '../server/logger';

/** A JSON Schema document as a tool hands it over: a plain object (from a literal, a JSON file, a generator). */
export type JsonSchemaObject = { readonly [keyword: string]: unknown };

/** Hints about a tool's behaviour for hosts and models (MCP's tool annotations); advisory, never enforced. */
export interface ToolAnnotations {
  readonly title?: string;
  /** The tool does not change its environment. */
  readonly readOnlyHint?: boolean;
  /** The tool may make changes that cannot be undone. */
  readonly destructiveHint?: boolean;
  /** Calling it again with the same arguments has no further effect. */
  readonly idempotentHint?: boolean;
  /** The tool reaches outside the host (the web, other systems). */
  readonly openWorldHint?: boolean;
}

/** Structured logging for a tool: one JSON line on stderr per event, tagged with the tool, client and request. */
export type ToolLogger = Logger;

/** What a tool's `run` sees of the call it serves. */
export interface ToolContext {
  /** The authenticated caller. */
  readonly clientId: string;
  /** The call's request_id. */
  readonly requestId: string;
  /**
   * Aborted when the call is cancelled (a job's cancel_job), when the tool's
   * `timeoutMs` passes, or when the server shuts down. Long work should
   * watch it and stop.
   */
  readonly signal: AbortSignal;
  /** Writes to the server log (stderr), at the server's log level. */
  readonly log: ToolLogger;
  /**
   * A job's progress, a fraction in [0, 1] (clamped), pushed as a signed
   * `running` job/status notification and, to MCP hosts, as progress with
   * `message`. Does nothing for a tool that is not a job.
   */
  progress(fraction: number, message?: string): void;
}

/** What `run` may answer: the result object, or (for tools that report on jobs) a reply with its own status. */
export type ToolOutcome<Out> = Out | StatusReply;

/** Everything a tool is declared with. */
export interface ToolSpec<In, Out> {
  /** Unique within a server; `^[a-zA-Z0-9_-]{1,64}$`. */
  readonly name: string;
  /** A human-readable name for UIs (MCP `title`). */
  readonly title?: string;
  /** Told to models: say what the tool does and when to use it. */
  readonly description: string;
  /** JSON Schema of the arguments (`type: "object"`); draft 2020-12 unless `$schema` says draft-07. */
  readonly inputSchema: JsonSchemaObject;
  /** JSON Schema of the result (`type: "object"`); for a job, of the job's final result. */
  readonly outputSchema: JsonSchemaObject;
  /**
   * The tool's work: the arguments (already valid against `inputSchema`)
   * in, the result out (checked against `outputSchema` before it is signed).
   * Throw a ToolsealError to answer with its code; anything else thrown
   * answers -32014 with the first line of its message.
   */
  run(args: In, ctx: ToolContext): ToolOutcome<Out> | PromiseLike<ToolOutcome<Out>>;
  /**
   * The call answers `accepted` with a job id at once and `run` is the job's
   * body: its result ends the job `done`, a throw ends it `error`.
   */
  readonly job?: boolean;
  /** Past this many ms `ctx.signal` is aborted and the call fails with -32014 (a job ends in `error`). */
  readonly timeoutMs?: number;
  /**
   * For a job with shared state (`--state`): when the worker running it
   * stops (killed, its host lost), the job runs again from the start on
   * another worker, once, instead of ending in `error`. Only for work that
   * may safely be done twice.
   */
  readonly safeToRetry?: boolean;
  readonly annotations?: ToolAnnotations;
}

/** Marks tool objects, across copies of this package too (a CLI and a user's module may load different ones). */
export const TOOL_MARK: unique symbol = Symbol.for('toolseal.tool') as never;

const STATUS_REPLY_MARK: unique symbol = Symbol.for('toolseal.statusReply') as never;

/** A tool, as `defineTool` makes it: the spec, frozen and marked. */
export interface Tool<In = any, Out = any> extends ToolSpec<In, Out> {
  readonly [TOOL_MARK]: true;
}

/** A tool spec whose argument and result types are inferred from its schemas (written inline or `as const`). */
export interface InferredToolSpec<I extends JSONSchema, O extends JSONSchema, In, Out> {
  readonly name: string;
  readonly title?: string;
  readonly description: string;
  readonly inputSchema: I;
  readonly outputSchema: O;
  run(args: NoInfer<In>, ctx: ToolContext): ToolOutcome<NoInfer<Out>> | PromiseLike<ToolOutcome<NoInfer<Out>>>;
  readonly job?: boolean;
  readonly timeoutMs?: number;
  readonly safeToRetry?: boolean;
  readonly annotations?: ToolAnnotations;
}

/**
 * The type a schema describes. A schema typed only as JSONSchema (not a
 * literal) describes `unknown`; this also spares the compiler FromSchema of
 * the whole JSONSchema type, which it may instantiate while reporting an
 * error in a call of the explicit overload.
 */
export type SchemaType<S extends JSONSchema> = JSONSchema extends S ? unknown : FromSchema<S>;

/**
 * Declares a tool. With schemas written inline (or `as const`), the types
 * of `run`'s arguments and of its result are inferred from them; with
 * schemas from files, name the types: `defineTool<Args, Result>({...})`.
 * Nothing is checked here: the server checks a whole tool set when it
 * starts, and refuses a bad one naming the tool and the place.
 */
// The first overload infers the types from the schemas: In and Out are the
// schemas' types as defaults and never inferred from `run` (NoInfer), so a
// result that does not fit the output schema is a compile error (computing
// them as defaults also keeps FromSchema within the compiler's depth limit).
// Its required third type parameter, never named by callers, means that
// `defineTool<In, Out>(...)` with two type arguments skips it for the
// second overload, whose In and Out cannot be inferred at all.
export function defineTool<const I extends JSONSchema, const O extends JSONSchema, FromSchemas extends 'schemas', In = SchemaType<I>, Out = SchemaType<O>>(
  spec: InferredToolSpec<I, O, In, Out>,
): Tool<In, Out>;
export function defineTool<In = never, Out = never>(spec: ToolSpec<NoInfer<In>, NoInfer<Out>>): Tool<In, Out>;
export function defineTool(spec: ToolSpec<unknown, unknown>): Tool {
  return Object.freeze({ ...spec, [TOOL_MARK]: true as const });
}

/** Whether `value` was made by `defineTool` (of any copy of this package). */
export function isTool(value: unknown): value is Tool {
  return typeof value === 'object' && value !== null && (value as { [TOOL_MARK]?: unknown })[TOOL_MARK] === true;
}

/**
 * A reply with a status of its own instead of `ok`, for tools that report
 * on jobs (poll_job answers the job's `running`, `done`, `error` or
 * `cancelled`). `result` may then be null; when it is not, it is checked
 * against the output schema like any result.
 */
export class StatusReply {
  /** Recognised across copies of this package, like TOOL_MARK. */
  readonly [STATUS_REPLY_MARK] = true;

  constructor(
    readonly status: ResponseStatus,
    readonly result: JsonObject | null,
    readonly error: string | null = null,
  ) {}
}

/** Whether a tool answered a StatusReply (of any copy of this package). */
export function isStatusReply(value: unknown): value is StatusReply {
  return typeof value === 'object' && value !== null && (value as { [STATUS_REPLY_MARK]?: unknown })[STATUS_REPLY_MARK] === true;
}

/** A reply with its own status; see StatusReply. */
export function statusReply(status: ResponseStatus, result: JsonObject | null, error: string | null = null): StatusReply {
  return new StatusReply(status, result, error);
}

/** A tool as listed to callers and LLM runtimes (the `list_tools` shape). */
export interface ToolDescriptor {
  name: string;
  description: string;
  input_schema: JsonObject;
  output_schema: JsonObject;
  async: boolean;
}
