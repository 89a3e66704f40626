/**
 * A user's tool schemas compiled ahead of time: the file `toolseal compile`
 * writes (a JSON header line, then each schema's Ajv standalone code,
 * first-error and every-error), read by `toolseal serve --validators FILE`.
 * A server given one starts without loading Ajv or checking those schemas
 * against their meta-schema (both were done when the file was made); it
 * reads the header at start, and a validator's code when it is first used.
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

/** Where a validator's code is in the file: byte offset after the header line, byte length, SHA-256 of those bytes. */
export type CodeRange = [offset: number, length: number, sha256: string];

/**
 * The first line of the file `toolseal compile` writes (JSON). The code of
 * each validator follows it, CommonJS text (`exports.validate = ...`) at
 * the ranges given here.
 */
export interface ValidatorsHeader {
  toolseal: 'validators';
  format: number;
  note: string;
  /** `toolseal VERSION`. */
  made_by: string;
  /** The --tools paths it was made from. */
  from: string[];
  /** See `validatorsFingerprint`. */
  fingerprint: string;
  /** By `schemaKey`. */
  schemas: Record<string, { first: CodeRange; all: CodeRange }>;
}

/** The most a header line may take (about 300 bytes per schema). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

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

/**
 * The open file and where its code starts. The descriptor stays open for
 * the life of the process: the file may be replaced (toolseal compile
 * renames a new one over it) without a server reading a mix of both, and
 * each piece of code is checked against its SHA-256 before it is compiled.
 */
interface CodeSource {
  fd: number;
  bodyStart: number;
}

/** Compiles one validator's standalone code when first asked for. */
function compiled(source: CodeSource, [offset, length, sha256]: CodeRange, file: string): () => ValidateFunction {
  let validate: ValidateFunction | undefined;
  return () => {
    if (validate === undefined) {
      const bytes = Buffer.alloc(length);
      const read = fs.readSync(source.fd, bytes, 0, length, source.bodyStart + offset);
      if (read !== length || createHash('sha256').update(bytes).digest('hex') !== sha256) {
        throw new Error(`validators file ${file} changed or was cut short since it was read at start`);
      }
      const exports: { validate?: ValidateFunction } = {};
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- Ajv's own way to make a validator from its code.
      new Function('exports', 'require', bytes.toString('utf8'))(exports, packageRequire);
      if (typeof exports.validate !== 'function') throw new Error(`a validator in validators file ${file} exports no function`);
      validate = exports.validate;
    }
    return validate;
  };
}

/** Reads the header line; the descriptor is positioned nowhere (reads give offsets). */
function readHeader(fd: number): { header: unknown; bodyStart: number } {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(64 * 1024);
    const read = fs.readSync(fd, chunk, 0, chunk.length, total);
    const end = chunk.subarray(0, read).indexOf(0x0a);
    if (end !== -1) {
      chunks.push(chunk.subarray(0, end));
      const text = Buffer.concat(chunks).toString('utf8');
      return { header: JSON.parse(text), bodyStart: total + end + 1 };
    }
    if (read === 0 || total + read > MAX_HEADER_BYTES) throw new Error('no header line');
    chunks.push(chunk.subarray(0, read));
    total += read;
  }
}

function isRange(value: unknown): value is CodeRange {
  return Array.isArray(value) && value.length === 3 && Number.isSafeInteger(value[0]) && value[0] >= 0 && Number.isSafeInteger(value[1]) && value[1] >= 0 && typeof value[2] === 'string';
}

/** The validators of a file made by `toolseal compile`. */
export class PrecompiledValidators {
  private constructor(
    /** The file, as given. */
    readonly file: string,
    private readonly source: CodeSource | undefined,
    private readonly schemas: ValidatorsHeader['schemas'],
    /** Why none of its validators are used (another Ajv version or other options); undefined when they are. */
    readonly stale: string | undefined,
  ) {}

  /**
   * Reads the header of a file made by `toolseal compile` (the code of each
   * validator is read when it is first needed).
   * @throws ToolSetError when it cannot be read or was not made by `toolseal compile`.
   */
  static load(file: string): PrecompiledValidators {
    let fd: number;
    let header: unknown;
    let bodyStart: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw new ToolSetError(`validators file ${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      ({ header, bodyStart } = readHeader(fd));
    } catch {
      fs.closeSync(fd);
      throw new ToolSetError(`validators file ${file} was not made by toolseal compile`);
    }
    const given = header as Partial<ValidatorsHeader> | null;
    if (typeof given !== 'object' || given === null || given.toolseal !== 'validators' || typeof given.schemas !== 'object' || given.schemas === null) {
      fs.closeSync(fd);
      throw new ToolSetError(`validators file ${file} was not made by toolseal compile`);
    }
    if (given.format !== VALIDATORS_FORMAT || given.fingerprint !== validatorsFingerprint()) {
      fs.closeSync(fd);
      return new PrecompiledValidators(file, undefined, {}, `it was made by ${String(given.made_by)} for another Ajv version or other compile options`);
    }
    return new PrecompiledValidators(file, { fd, bodyStart }, given.schemas, undefined);
  }

  /** The validators compiled from exactly this schema, if the file has them. */
  lookup(schema: object): PrecompiledPair | undefined {
    const key = schemaKey(schema);
    const entry = key === undefined || !Object.hasOwn(this.schemas, key) ? undefined : this.schemas[key];
    if (entry === undefined || this.source === undefined || !isRange(entry.first) || !isRange(entry.all)) return undefined;
    return { first: compiled(this.source, entry.first, this.file), all: compiled(this.source, entry.all, this.file) };
  }
}
