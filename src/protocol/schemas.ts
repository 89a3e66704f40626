import * as fs from 'node:fs';
import * as path from 'node:path';
import type Ajv from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import * as precompiled from '../generated/protocolValidators';
import * as signedMembers from '../generated/signedMembers';
import { packagePath } from '../packagePath';
import ajvOptions from './ajvOptions.json';
import type { ValidationIssue } from './errors';

/** Where the checked-in schema files live, for the built package and for the sources alike. */
export const SCHEMA_DIR = packagePath('schemas');

/** A JSON Schema document as loaded from disk. */
export type JsonSchema = Record<string, unknown>;

/** A compiled schema: the raw document (for tool definitions) and its validator. */
export interface CompiledSchema {
  readonly schema: JsonSchema;
  /** Returns the problems found, or NO_ISSUES when the value is valid. */
  check(value: unknown): readonly ValidationIssue[];
  /**
   * `check` but for the `signature` member's pattern, for a signed message's
   * schema compiled at build time whose signature has the pattern of 64
   * lowercase hex digits: a signature equal to its MAC has it, so the
   * pattern is checked only for one that is not (see signatureProblem).
   * `check` otherwise.
   */
  checkBeforeSignature(value: unknown): readonly ValidationIssue[];
  /**
   * For a signed message's schema compiled at build time: copies the members
   * its signature covers out of a message this schema passed, into a new
   * object in RFC 8785 key order (see verifyInspected). Undefined otherwise.
   */
  readonly unsignedMembers?: UnsignedMembers;
}

/** Copies a checked signed message's members but `signature`, in RFC 8785 key order. */
export type UnsignedMembers = (message: Record<string, unknown>) => object;

/** What a check of a valid value returns: one shared empty list, so the fast path of every call allocates nothing. */
export const NO_ISSUES: readonly ValidationIssue[] = Object.freeze([]);

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

/** A validator as a CompiledSchema; the schema document is read from `file` when asked for. */
function compiledFrom(validate: ValidateFunction, file: string, document?: JsonSchema, signed?: SignedParts): CompiledSchema {
  let schema = document;
  const check = (value: unknown): readonly ValidationIssue[] => (validate(value) ? NO_ISSUES : toIssues(validate.errors));
  const before = signed?.validateBeforeSignature;
  return {
    unsignedMembers: signed?.unsignedMembers,
    get schema(): JsonSchema {
      schema ??= readJson(file);
      return schema;
    },
    check,
    checkBeforeSignature: before === undefined ? check : (value: unknown) => (before(value) ? NO_ISSUES : toIssues(before.errors)),
  };
}

/** What the build generated for a signed message's schema besides its validator. */
interface SignedParts {
  readonly unsignedMembers: UnsignedMembers;
  /** The schema without the signature's pattern, when that is what a MAC matches (see CompiledSchema.checkBeforeSignature). */
  readonly validateBeforeSignature: ValidateFunction | undefined;
}

/** The schema files of the protocol's messages, by the registry's names. */
const PROTOCOL_FILES = {
  envelope: 'envelope.schema.json',
  response: 'response.schema.json',
  jobStatus: 'job-status.schema.json',
  keyring: 'keyring.schema.json',
} as const;

/** The Ajv options of the protocol's schemas, at build time and at run time alike. */
export const PROTOCOL_AJV_OPTIONS: Readonly<Options> = ajvOptions.protocol as Options;

/**
 * The protocol's own message schemas in `schemas/` (envelope, response,
 * job status, keyring). Their validators are compiled at build time
 * (scripts/generate-validators.js writes Ajv standalone code to
 * src/generated/protocolValidators.ts), so a server starts without
 * loading Ajv for them; they are compiled here at run time only for
 * another schema directory, or when asked to (the tests compare the two).
 * Tool schemas are the tools' own, compiled with the tool set
 * (tools/schemaCompiler.ts).
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
   * @param options.checkAgainstMetaSchema compile at run time and also
   *   validate each schema against the JSON Schema meta-schema (the test
   *   suite does; the build checks the files it compiles the same way).
   * @param options.compileAtRuntime compile with Ajv now instead of using
   *   the validators compiled at build time.
   */
  constructor(schemaDir: string = SCHEMA_DIR, options: { checkAgainstMetaSchema?: boolean; compileAtRuntime?: boolean } = {}) {
    const file = (name: keyof typeof PROTOCOL_FILES): string => path.join(schemaDir, PROTOCOL_FILES[name]);
    if (schemaDir === SCHEMA_DIR && options.checkAgainstMetaSchema !== true && options.compileAtRuntime !== true) {
      const built = precompiled as unknown as Record<keyof typeof PROTOCOL_FILES, ValidateFunction> & Partial<Record<`${keyof typeof signedMembers}BeforeSignature`, ValidateFunction>>;
      // The member copies and the checks before a signature were generated from these very files, with the validators.
      const signed = (name: keyof typeof signedMembers): SignedParts => ({ unsignedMembers: signedMembers[name], validateBeforeSignature: built[`${name}BeforeSignature`] });
      this.envelope = compiledFrom(built.envelope, file('envelope'), undefined, signed('envelope'));
      this.response = compiledFrom(built.response, file('response'), undefined, signed('response'));
      this.jobStatus = compiledFrom(built.jobStatus, file('jobStatus'), undefined, signed('jobStatus'));
      this.keyring = compiledFrom(built.keyring, file('keyring'));
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const AjvClass = (require('ajv') as typeof import('ajv')).default;
    const ajv: Ajv = new AjvClass({ ...PROTOCOL_AJV_OPTIONS, validateSchema: options.checkAgainstMetaSchema === true });
    const compile = (name: keyof typeof PROTOCOL_FILES): CompiledSchema => {
      const document = readJson(file(name));
      return compiledFrom(ajv.compile(document), file(name), document);
    };
    this.envelope = compile('envelope');
    this.response = compile('response');
    this.jobStatus = compile('jobStatus');
    this.keyring = compile('keyring');
  }
}
