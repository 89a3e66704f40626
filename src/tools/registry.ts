import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JsonObject } from '../protocol/wire';
import type { SchemaRegistry, ToolSchemas } from '../protocol/schemas';
import type { ToolDefinition, ToolDescriptor } from './tool';

/** A tool with its compiled schemas, ready to dispatch. */
export interface RegisteredTool {
  readonly definition: ToolDefinition<unknown>;
  readonly schemas: ToolSchemas;
  readonly descriptor: ToolDescriptor;
}

/** Where the built-in tools live: one module per tool, each default-exporting its definition. */
export const BUILTIN_TOOL_DIR = path.join(__dirname, 'builtin');

/**
 * Loads every tool module in `dir`. A tool is one source file there plus its
 * two schema files; nothing else has to name it.
 */
export function loadToolModules(dir: string = BUILTIN_TOOL_DIR): ToolDefinition<unknown>[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => (f.endsWith('.js') || f.endsWith('.ts')) && !f.endsWith('.d.ts'))
    .sort();
  return files.map((file) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, file)) as { default?: ToolDefinition<unknown> };
    if (!mod.default || typeof mod.default.run !== 'function') {
      throw new Error(`tool module ${file} does not default-export a tool definition`);
    }
    return mod.default;
  });
}

/** The tools a server offers, each checked against its schema files at start-up. */
export class ToolRegistry {
  private readonly tools = new Map<string, RegisteredTool>();
  private readonly descriptors: ToolDescriptor[] = [];

  constructor(schemas: SchemaRegistry, definitions: readonly ToolDefinition<unknown>[]) {
    for (const definition of definitions) {
      if (this.tools.has(definition.name)) throw new Error(`tool ${definition.name} is defined twice`);
      const toolSchemas = schemas.tool(definition.name);
      if (!toolSchemas) {
        throw new Error(`tool ${definition.name} has no schemas/tools/${definition.name}.input.schema.json`);
      }
      const descriptor: ToolDescriptor = {
        name: definition.name,
        description: definition.description,
        input_schema: stripSchemaIds(toolSchemas.input.schema),
        output_schema: stripSchemaIds(toolSchemas.output.schema),
        async: definition.async === true,
      };
      this.tools.set(definition.name, { definition, schemas: toolSchemas, descriptor });
      this.descriptors.push(descriptor);
    }
  }

  /** A tool by name; a Map lookup, so names like `__proto__` are simply unknown. */
  get(name: string): RegisteredTool | undefined {
    return this.tools.get(name);
  }

  /** Every tool's descriptor, in a stable order. */
  list(): readonly ToolDescriptor[] {
    return this.descriptors;
  }
}

/** A schema as handed to callers: without `$schema`/`$id`, which only mean something in schemas/. */
function stripSchemaIds(schema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return structuredClone(rest);
}
