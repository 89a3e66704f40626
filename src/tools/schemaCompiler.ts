/**
 * Compiles the JSON Schemas of tools, as users write them: draft 2020-12
 * (the default, as in MCP) or draft-07 (by `$schema`) side by side, with
 * `format` validated by ajv-formats. Each schema is checked against its
 * meta-schema when the tool set is built, and compiled once.
 *
 * What a start-up pays for: the built-in tools' schemas are compiled at
 * build time (scripts/generate-validators.js), so a server with only those
 * never loads Ajv. A user's schema is compiled when the tool set is built
 * (`compile`) or, for the tool registry, on its first use (`prepare`) when
 * the checks made at start are known to find every problem the compilation
 * would (see `deferrable`). The every-error validator, needed only to
 * answer a value the first-error one refused, is always compiled on first use.
 */
import type Ajv from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import * as builtinFirst from '../generated/builtinToolValidators';
import { ErrorCode, ToolsealError, type ValidationIssue } from '../protocol/errors';
import ajvOptions from '../protocol/ajvOptions.json';
import { NO_ISSUES, toIssues } from '../protocol/schemas';
import type { Logger } from '../server/logger';
import { deferrable } from './deferredCompile';
import { declaresDraft07 } from './drafts';
import type { PrecompiledValidators } from './precompiled';
import { ToolSetError } from './toolSetError';
import type { JsonSchemaObject } from './tool';

export { declaresDraft07 } from './drafts';

/** Most argument issues listed in one answer (`data.errors`). */
export const MAX_REPORTED_ISSUES = 20;
/**
 * Arguments with more JSON values than this get their first issue only: an
 * all-errors pass over a huge invalid array would make one error object per
 * item, which a caller must not be able to make the server do.
 */
export const MAX_VALUES_FOR_ALL_ISSUES = 10_000;

const DRAFT_2020_12 = /^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

export { ToolSetError } from './toolSetError';

/** A compiled tool schema. */
export interface ToolSchema {
  /** The schema as the tool gave it. */
  readonly schema: JsonSchemaObject;
  /** The first problem found, or NO_ISSUES when the value is valid (the fast path of every call). */
  check(value: unknown): readonly ValidationIssue[];
  /**
   * Every problem (at most MAX_REPORTED_ISSUES), for answering a value
   * `check` refused; only the first for a value of more than
   * MAX_VALUES_FOR_ALL_ISSUES JSON values.
   */
  checkAll(value: unknown): ValidationIssue[];
}

type Draft = '2020-12' | 'draft-07';

interface DraftValidators {
  /** Stops at the first error: what every call runs. */
  readonly first: Ajv;
  /** Collects every error: run only on values `first` refused; made on first use. */
  all(): Ajv;
}

/** A validator compiled when it is first needed; a compilation that fails keeps failing the same way. */
type ValidatorSource = () => ValidateFunction;

function once(compile: ValidatorSource): ValidatorSource {
  let validate: ValidateFunction | undefined;
  return () => (validate ??= compile());
}

/**
 * The built-in tools' schemas (schemas/tools/) with the name of their
 * validators in the modules generated at build time. Filled by
 * `precompiledSchema`; keyed by the schema object itself, so that only
 * the very documents that were compiled are matched.
 */
const PRECOMPILED = new WeakMap<object, string>();

/**
 * Marks `schema` (a built-in tool's schema file, as required) as compiled at
 * build time under `name` (its file name without `.schema.json`, `.` as `_`:
 * `batch_sum_input`). Returns the schema.
 */
export function precompiledSchema<T extends object>(schema: T, name: string): T {
  if (typeof (builtinFirst as Record<string, unknown>)[name] !== 'function') throw new Error(`no validator was compiled at build time for ${name}`);
  PRECOMPILED.set(schema, name);
  return schema;
}

/** Whether `schema` is a built-in tool's schema file, compiled at build time. */
export function isBuiltinSchema(schema: object): boolean {
  return PRECOMPILED.has(schema);
}

/* eslint-disable @typescript-eslint/no-require-imports */
/** The every-error validators of the built-in tools, loaded with the first value one of them must explain. */
function builtinAll(name: string): ValidateFunction {
  const all = require('../generated/builtinToolValidatorsAll') as Record<string, ValidateFunction>;
  return all[name]!;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Ajv runs with options that never modify the data (no defaults, no
 * coercion, no removal) and `$data` off (src/protocol/ajvOptions.json, which
 * the build uses too). Unknown keywords are not an error (schemas from
 * generators carry their own) but are logged at start-up, so a misspelt
 * keyword does not go unnoticed.
 */
export const TOOL_AJV_OPTIONS: Readonly<Options> = ajvOptions.tools as Options;

function toolAjvOptions(allErrors: boolean, report: (level: 'warn' | 'error', message: string) => void): Options {
  return {
    ...TOOL_AJV_OPTIONS,
    allErrors,
    logger: {
      log: () => undefined,
      warn: (...args: unknown[]) => report('warn', args.map(String).join(' ')),
      error: (...args: unknown[]) => report('error', args.map(String).join(' ')),
    },
  };
}

/** The draft `schema` declares by `$schema` (2020-12 when it declares none). */
export function draftOf(schema: JsonSchemaObject, where: string): Draft {
  const declared = schema.$schema;
  if (declared === undefined || (typeof declared === 'string' && DRAFT_2020_12.test(declared))) return '2020-12';
  if (declaresDraft07(declared)) return 'draft-07';
  throw new ToolSetError(`${where} has $schema ${JSON.stringify(declared)} at /$schema: draft 2020-12 (the default) and draft-07 are supported`);
}

/* eslint-disable @typescript-eslint/no-require-imports */
/** The meta-schema validator of a draft, compiled at build time (src/generated/metaSchemaValidators.ts). */
function metaSchemaValidator(draft: Draft): ValidateFunction {
  const meta = require('../generated/metaSchemaValidators') as Record<'draft2020' | 'draft07', ValidateFunction>;
  return draft === '2020-12' ? meta.draft2020 : meta.draft07;
}

/** Whether ajv-formats (as added to every tool Ajv instance) knows the format `name`. */
function isKnownFormat(name: string): boolean {
  const { fullFormats } = require('ajv-formats/dist/formats') as typeof import('ajv-formats/dist/formats');
  return Object.hasOwn(fullFormats, name);
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** Compiles tool schemas; one instance per tool set. */
export class ToolSchemaCompiler {
  private readonly drafts = new Map<Draft, DraftValidators>();
  /** What is being compiled, for Ajv's warnings. */
  private current = '';
  /** Warnings already logged: each schema is compiled by more than one Ajv instance, and a keyword may recur. */
  private readonly reported = new Set<string>();

  /** Schemas that `precompiled` was given for and does not hold (reported by `reportMissing`). */
  private readonly missing: string[] = [];

  /** `precompiled`: validators made by `toolseal compile`, used for the schemas they were made from. */
  constructor(
    private readonly logger: Logger,
    private readonly precompiled?: PrecompiledValidators,
  ) {
    if (precompiled?.stale !== undefined) {
      logger.warn('tool_validators_stale', { file: precompiled.file, message: `not used: ${precompiled.stale}; run toolseal compile again` });
    }
  }

  /** Logs, once, the schemas the validators file did not hold (changed since it was made), which were compiled here. */
  reportMissing(): void {
    if (this.missing.length === 0 || this.precompiled === undefined || this.precompiled.stale !== undefined) return;
    const shown = this.missing.slice(0, 5).join('; ');
    const more = this.missing.length > 5 ? ` and ${this.missing.length - 5} more` : '';
    this.logger.warn('tool_validators_missing', {
      file: this.precompiled.file,
      message: `${this.missing.length} schema(s) not in the file, compiled here (changed since toolseal compile?): ${shown}${more}`,
    });
  }

  /** Logs one of Ajv's warnings about the schema being compiled, once per schema and message. */
  private report(level: 'warn' | 'error', message: string): void {
    const key = `${this.current}\u0000${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    if (level === 'warn') this.logger.warn('tool_schema_warning', { schema: this.current, message });
    else this.logger.error('tool_schema_error', { schema: this.current, message });
  }

  /**
   * Checks and compiles one schema. `where` names it in errors, e.g.
   * `tool word_count: inputSchema`.
   * @throws ToolSetError when it is not an object schema, fails its
   *   meta-schema (the message has the JSON pointer) or cannot be compiled.
   */
  compile(schema: unknown, where: string): ToolSchema {
    return this.build(schema, where, false);
  }

  /**
   * Like `compile`, except that a schema whose compilation cannot fail once
   * the checks made here have passed (see `deferrable`) is compiled on its
   * first use: a server with many tools starts without compiling the schemas
   * of tools nobody has called yet. Every schema `compile` would refuse is
   * refused here too, with the same message.
   */
  prepare(schema: unknown, where: string): ToolSchema {
    return this.build(schema, where, true);
  }

  private build(schema: unknown, where: string, defer: boolean): ToolSchema {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new ToolSetError(`${where} must be a JSON Schema object`);
    }
    const document = schema as JsonSchemaObject;
    if (document.type !== 'object') {
      throw new ToolSetError(`${where} must be an object schema: /type must be "object"`);
    }
    const builtin = PRECOMPILED.get(document);
    if (builtin !== undefined) {
      const first = (builtinFirst as unknown as Record<string, ValidateFunction>)[builtin]!;
      return toolSchema(document, () => first, once(() => builtinAll(builtin)));
    }
    if (this.precompiled !== undefined) {
      const given = this.precompiled.lookup(document);
      // Checked against its meta-schema and compiled when the file was made.
      if (given !== undefined) return toolSchema(document, this.failingAsInternal(given.first, where), this.failingAsInternal(given.all, where));
      this.missing.push(where);
    }
    const draft = draftOf(document, where);
    // The meta-schema check, compiled at build time (Ajv's validateSchema, without compiling a meta-schema here).
    const meta = metaSchemaValidator(draft);
    if (!meta(document)) {
      const first = (meta.errors ?? [])[0];
      const pointer = first?.instancePath || '/';
      throw new ToolSetError(`${where} is not a valid JSON Schema at ${pointer}: ${first?.message ?? 'invalid'}`);
    }
    const compileWith = (allErrors: boolean) => (): ValidateFunction => {
      const validators = this.validatorsFor(draft);
      this.current = where;
      try {
        return (allErrors ? validators.all() : validators.first).compile(document);
      } catch (err) {
        throw new ToolSetError(`${where} cannot be compiled: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.current = '';
      }
    };
    const all = once(compileWith(true));
    if (defer && deferrable(document, isKnownFormat)) {
      return toolSchema(document, once(this.failingAsInternal(compileWith(false), where)), all);
    }
    const first = compileWith(false)();
    return toolSchema(document, () => first, all);
  }

  /**
   * A deferred compilation that fails anyway (which `deferrable` rules out)
   * is logged and answers the call -32603, not a ToolSetError, since the
   * server is running by then.
   */
  private failingAsInternal(compile: ValidatorSource, where: string): ValidatorSource {
    return () => {
      try {
        return compile();
      } catch (err) {
        this.logger.error('tool_schema_error', { schema: where, message: err instanceof Error ? err.message : String(err) });
        throw new ToolsealError(ErrorCode.InternalError, 'Internal error');
      }
    };
  }

  /** The Ajv instances of a draft, made (and Ajv loaded) for the first schema of that draft compiled here. */
  private validatorsFor(draft: Draft): DraftValidators {
    let validators = this.drafts.get(draft);
    if (validators === undefined) {
      // Ajv's 2020-12 and draft-07 vocabularies cannot share one instance.
      // Ajv is loaded here, for the first schema that was not compiled at build time.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const make = (allErrors: boolean): Ajv => {
        const options = toolAjvOptions(allErrors, (level, message) => this.report(level, message));
        const ajv: Ajv = draft === '2020-12' ? new (require('ajv/dist/2020') as typeof import('ajv/dist/2020')).default(options) : new (require('ajv') as typeof import('ajv')).default(options);
        (require('ajv-formats') as typeof import('ajv-formats')).default(ajv);
        return ajv;
      };
      /* eslint-enable @typescript-eslint/no-require-imports */
      let all: Ajv | undefined;
      validators = { first: make(false), all: () => (all ??= make(true)) };
      this.drafts.set(draft, validators);
    }
    return validators;
  }
}

/** A ToolSchema over its two validators, each made when first needed. */
function toolSchema(schema: JsonSchemaObject, first: ValidatorSource, all: ValidatorSource): ToolSchema {
  return {
    schema,
    check: (value) => {
      const validate = first();
      return validate(value) ? NO_ISSUES : toIssues(validate.errors);
    },
    checkAll: (value) => {
      if (countValues(value, MAX_VALUES_FOR_ALL_ISSUES) > MAX_VALUES_FOR_ALL_ISSUES) {
        const validate = first();
        return validate(value) ? [] : toIssues(validate.errors);
      }
      const validate = all();
      return validate(value) ? [] : toIssues(capped(validate.errors));
    },
  };
}

function capped(errors: readonly ErrorObject[] | null | undefined): ErrorObject[] {
  return (errors ?? []).slice(0, MAX_REPORTED_ISSUES);
}

/** How many JSON values `value` holds, counting up to just past `limit`. */
function countValues(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const next = stack.pop();
    count++;
    if (typeof next === 'object' && next !== null) {
      for (const child of Array.isArray(next) ? next : Object.values(next)) stack.push(child);
    }
  }
  return count;
}
