import type { JsonObject } from '../protocol/wire';
import type { Logger } from '../server/logger';
import type { PrecompiledValidators } from './precompiled';
import { ToolSchemaCompiler, ToolSetError, type ToolSchema } from './schemaCompiler';
import type { Tool, ToolDescriptor } from './tool';

/** What a tool name may be: MCP's and the LLM runtimes' common ground. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
/** Longest `timeoutMs` a tool may set (what a Node timer can wait). */
export const MAX_TOOL_TIMEOUT_MS = 2_147_483_647;

/** A tool with its compiled schemas, ready to dispatch. */
export interface RegisteredTool {
  readonly name: string;
  readonly tool: Tool;
  readonly input: ToolSchema;
  readonly output: ToolSchema;
  readonly descriptor: ToolDescriptor;
  /** A protocol tool (server_identity, list_tools, poll_job, cancel_job): every client may call it. */
  readonly protocol: boolean;
}

/** The tools a server offers. */
export interface ToolSet {
  /** Served to every client, whatever its keyring entry says. */
  protocol: readonly Tool[];
  /** The rest: the user's tools (and the examples, when asked for). */
  tools: readonly Tool[];
  /** Validators made by `toolseal compile` for these tools' schemas (see PrecompiledValidators). */
  validators?: PrecompiledValidators;
}

/**
 * The tools of a server, each checked and its schemas compiled once, when
 * the server is built. A bad tool set is refused as a whole, with a
 * ToolSetError naming the tool and what is wrong with it.
 */
export class ToolRegistry {
  private readonly byName = new Map<string, RegisteredTool>();
  private readonly descriptors: ToolDescriptor[] = [];

  constructor(toolSet: ToolSet, logger: Logger) {
    const compiler = new ToolSchemaCompiler(logger, toolSet.validators);
    const add = (tool: Tool, protocol: boolean, index: number): void => {
      const registered = register(tool, protocol, index, compiler);
      const existing = this.byName.get(registered.name);
      if (existing !== undefined) {
        const why = existing.protocol ? ': that name belongs to a protocol tool' : '';
        throw new ToolSetError(`tool ${registered.name} is defined twice${why}`);
      }
      this.byName.set(registered.name, registered);
      this.descriptors.push(registered.descriptor);
    };
    toolSet.protocol.forEach((tool, i) => add(tool, true, i));
    toolSet.tools.forEach((tool, i) => add(tool, false, i));
    compiler.reportMissing();
  }

  /** A tool by name; a Map lookup, so names like `__proto__` are simply unknown. */
  get(name: string): RegisteredTool | undefined {
    return this.byName.get(name);
  }

  /** Every tool's descriptor, in a stable order (protocol tools first). */
  list(): readonly ToolDescriptor[] {
    return this.descriptors;
  }

  /** The descriptors of the tools a client may call: the protocol tools and those in `allowed` (all when undefined). */
  listAllowed(allowed: ReadonlySet<string> | undefined): readonly ToolDescriptor[] {
    if (allowed === undefined) return this.descriptors;
    return this.descriptors.filter((d) => this.byName.get(d.name)!.protocol || allowed.has(d.name));
  }

  /** Whether a client with this allowlist (undefined: no list) may call `tool`. */
  static allows(tool: RegisteredTool, allowed: ReadonlySet<string> | undefined): boolean {
    return allowed === undefined || tool.protocol || allowed.has(tool.name);
  }
}

/** Checks one tool and compiles its schemas. */
function register(tool: Tool, protocol: boolean, index: number, compiler: ToolSchemaCompiler): RegisteredTool {
  if (typeof tool !== 'object' || tool === null) throw new ToolSetError(`tools[${index}] is not a tool (make one with defineTool)`);
  const name: unknown = tool.name;
  if (typeof name !== 'string' || !TOOL_NAME_PATTERN.test(name)) {
    throw new ToolSetError(`tools[${index}] has the name ${JSON.stringify(name)}: a name must match ${TOOL_NAME_PATTERN.source}`);
  }
  const where = `tool ${name}`;
  if (typeof tool.description !== 'string' || tool.description.trim() === '') {
    throw new ToolSetError(`${where}: description must be a non-empty string`);
  }
  if (typeof tool.run !== 'function') throw new ToolSetError(`${where}: run must be a function`);
  if (tool.title !== undefined && typeof tool.title !== 'string') throw new ToolSetError(`${where}: title must be a string`);
  if (tool.job !== undefined && typeof tool.job !== 'boolean') throw new ToolSetError(`${where}: job must be true or false`);
  if (tool.timeoutMs !== undefined && !(Number.isInteger(tool.timeoutMs) && tool.timeoutMs >= 1 && tool.timeoutMs <= MAX_TOOL_TIMEOUT_MS)) {
    throw new ToolSetError(`${where}: timeoutMs must be a whole number of ms from 1 to ${MAX_TOOL_TIMEOUT_MS}`);
  }
  if (tool.safeToRetry !== undefined && typeof tool.safeToRetry !== 'boolean') {
    throw new ToolSetError(`${where}: safeToRetry must be true or false`);
  }
  if (tool.annotations !== undefined && (typeof tool.annotations !== 'object' || tool.annotations === null || Array.isArray(tool.annotations))) {
    throw new ToolSetError(`${where}: annotations must be an object`);
  }
  const input = compiler.prepare(tool.inputSchema, `${where}: inputSchema`);
  const output = compiler.prepare(tool.outputSchema, `${where}: outputSchema`);
  const descriptor: ToolDescriptor = {
    name,
    description: tool.description,
    input_schema: listedSchema(input.schema),
    output_schema: listedSchema(output.schema),
    async: tool.job === true,
  };
  return { name, tool, input, output, descriptor, protocol };
}

/** A schema as handed to callers: a copy, without `$schema`/`$id`, which only mean something where it was written. */
function listedSchema(schema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return structuredClone(rest);
}
