import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { ValidationIssue } from './errors';

/** Where the checked-in schema files live, for the built package and for the sources alike. */
export const SCHEMA_DIR = path.resolve(__dirname, '..', '..', 'schemas');

/** A JSON Schema document as loaded from disk. */
export type JsonSchema = Record<string, unknown>;

/** A compiled schema: the raw document (for tool definitions) and its validator. */
export interface CompiledSchema {
  readonly schema: JsonSchema;
  /** Returns the problems found, or an empty list when the value is valid. */
  check(value: unknown): ValidationIssue[];
}

/** Turns Ajv's structured errors into `{path, message}` pairs for `data.errors`. */
export function toIssues(errors: readonly ErrorObject[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((e) => {
    let message = e.message ?? 'is invalid';
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') message += `: '${String(params.additionalProperty)}'`;
    else if (e.keyword === 'required') message = `must have required property '${String(params.missingProperty)}'`;
    else if (e.keyword === 'const') message += `: ${JSON.stringify(params.allowedValue)}`;
    else if (e.keyword === 'enum') message += `: ${JSON.stringify(params.allowedValues)}`;
    return { path: e.instancePath || '/', message };
  });
}

function readJson(file: string): JsonSchema {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as JsonSchema;
}

function compiled(ajv: Ajv, schema: JsonSchema): CompiledSchema {
  const validate: ValidateFunction = ajv.compile(schema);
  return {
    schema,
    check(value: unknown): ValidationIssue[] {
      return validate(value) ? [] : toIssues(validate.errors);
    },
  };
}

/**
 * The protocol's own message schemas in `schemas/` (envelope, response,
 * job status, keyring), compiled once at start-up. Tool schemas are the
 * tools' own, compiled with the tool set (tools/schemaCompiler.ts).
 * Ajv runs with options that never modify the data (no defaults, no coercion,
 * no removal), `$data` off and `allErrors` off: the envelope is checked before
 * its signature is, so validation must leave it exactly as received, and a
 * hostile value must not make validation do unbounded work.
 */
export class SchemaRegistry {
  readonly envelope: CompiledSchema;
  readonly response: CompiledSchema;
  readonly jobStatus: CompiledSchema;
  readonly keyring: CompiledSchema;

  /**
   * @param options.checkAgainstMetaSchema also validate each schema against
   *   the JSON Schema meta-schema (the test suite does; at start-up it would
   *   cost a third of the compile time for files that do not change, and
   *   strict mode still refuses unknown keywords).
   */
  constructor(schemaDir: string = SCHEMA_DIR, options: { checkAgainstMetaSchema?: boolean } = {}) {
    const ajv = new Ajv({
      strict: true,
      allErrors: false,
      $data: false,
      useDefaults: false,
      coerceTypes: false,
      removeAdditional: false,
      validateSchema: options.checkAgainstMetaSchema === true,
      // Ajv's pass over the generated code saves nothing measurable on these
      // small schemas at run time and costs about a fifth of the start-up compile.
      code: { optimize: false },
    });
    this.envelope = compiled(ajv, readJson(path.join(schemaDir, 'envelope.schema.json')));
    this.response = compiled(ajv, readJson(path.join(schemaDir, 'response.schema.json')));
    this.jobStatus = compiled(ajv, readJson(path.join(schemaDir, 'job-status.schema.json')));
    this.keyring = compiled(ajv, readJson(path.join(schemaDir, 'keyring.schema.json')));
  }
}
