import { precompiledSchema } from '../schemaCompiler';
import type { JsonSchemaObject } from '../tool';

/**
 * A built-in tool's schema, from its file `schemas/tools/<tool>.<side>.schema.json`,
 * marked as compiled at build time (scripts/generate-validators.js): the
 * tool registry uses those validators instead of compiling the file.
 */
export function toolSchemaFile(tool: string, side: 'input' | 'output'): JsonSchemaObject {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const schema = require(`../../../schemas/tools/${tool}.${side}.schema.json`) as JsonSchemaObject;
  return precompiledSchema(schema, `${tool}_${side}`);
}
