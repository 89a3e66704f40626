/**
 * A user's tool schemas compiled ahead of time: the JSON file `toolseal
 * compile` writes (each schema's Ajv standalone code, first-error and
 * every-error, as text), read by `toolseal serve --validators FILE`. A
 * server given one starts without loading Ajv or checking those schemas
 * against their meta-schema (both were done when the file was made); a
 * validator's code is compiled when it is first used.
 *
 * A schema is found in the file by the SHA-256 of its JSON text, so a
 * validator is only ever used for the very schema it was compiled from; a
 * schema changed since is compiled at start as without the file. A file
 * made for another Ajv version or other compile options is not used at all
 * (both cases are logged). The file holds code the server runs, like a
 * tools module: the same trust, the same care.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import ajvOptions from '../protocol/ajvOptions.json';
import { ToolSetError } from './toolSetError';

/** The layout of the file `toolseal compile` writes; a file of another layout is not used. */
export const VALIDATORS_FORMAT = 1;

/** The file `toolseal compile` writes. */
export interface ValidatorsFile {
  toolseal: 'validators';
  format: number;
  note: string;
  /** `toolseal VERSION`. */
  made_by: string;
  /** The --tools paths it was made from. */
  from: string[];
  /** See `validatorsFingerprint`. */
  fingerprint: string;
  /** By `schemaKey`: the CommonJS code (`exports.validate = ...`) of each validator. */
  schemas: Record<string, { first: string; all: string }>;
}

/** One schema's validators, each compiled when first asked for: stopping at the first error, and collecting every error. */
export interface PrecompiledPair {
  readonly first: () => ValidateFunction;
  readonly all: () => ValidateFunction;
}

// The generated code requires Ajv's small run-time helpers and ajv-formats'
// formats; resolved from this package, whatever the user's project holds.
const packageRequire = createRequire(__filename);

/**
 * What a file's validators depend on besides the schemas: Ajv's version and
 * the options tool schemas are compiled with (src/protocol/ajvOptions.json).
 */
export function validatorsFingerprint(): string {
  const { version } = packageRequire('ajv/package.json') as { version: string };
  return createHash('sha256')
    .update(JSON.stringify({ format: VALIDATORS_FORMAT, ajv: version, options: ajvOptions.tools, formats: 'ajv-formats full' }))
    .digest('hex');
}

/**
 * A schema's key in a validators file: the SHA-256 of its JSON text (keys
 * in the order written: reordering a schema's keys makes it a new one);
 * undefined for a value JSON.stringify refuses.
 */
export function schemaKey(schema: object): string | undefined {
  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch {
    return undefined;
  }
  return createHash('sha256').update(text).digest('hex');
}

/** Compiles one validator's standalone code. */
function compiled(code: string): () => ValidateFunction {
  let validate: ValidateFunction | undefined;
  return () => {
    if (validate === undefined) {
      const exports: { validate?: ValidateFunction } = {};
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- Ajv's own way to make a validator from its code.
      new Function('exports', 'require', code)(exports, packageRequire);
      if (typeof exports.validate !== 'function') throw new Error('a validator in the validators file exports no function');
      validate = exports.validate;
    }
    return validate;
  };
}

/** The validators of a file made by `toolseal compile`. */
export class PrecompiledValidators {
  private constructor(
    /** The file, as given. */
    readonly file: string,
    private readonly schemas: ValidatorsFile['schemas'],
    /** Why none of its validators are used (another Ajv version or other options); undefined when they are. */
    readonly stale: string | undefined,
  ) {}

  /**
   * Reads a file made by `toolseal compile`.
   * @throws ToolSetError when it cannot be read or was not made by `toolseal compile`.
   */
  static load(file: string): PrecompiledValidators {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ToolSetError(`validators file ${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    }
    const given = parsed as Partial<ValidatorsFile> | null;
    if (typeof given !== 'object' || given === null || given.toolseal !== 'validators' || typeof given.schemas !== 'object' || given.schemas === null) {
      throw new ToolSetError(`validators file ${file} was not made by toolseal compile`);
    }
    if (given.format !== VALIDATORS_FORMAT || given.fingerprint !== validatorsFingerprint()) {
      return new PrecompiledValidators(file, {}, `it was made by ${String(given.made_by)} for another Ajv version or other compile options`);
    }
    return new PrecompiledValidators(file, given.schemas, undefined);
  }

  /** The validators compiled from exactly this schema, if the file has them. */
  lookup(schema: object): PrecompiledPair | undefined {
    const key = schemaKey(schema);
    const entry = key === undefined || !Object.hasOwn(this.schemas, key) ? undefined : this.schemas[key];
    if (entry === undefined || typeof entry.first !== 'string' || typeof entry.all !== 'string') return undefined;
    return { first: compiled(entry.first), all: compiled(entry.all) };
  }
}
