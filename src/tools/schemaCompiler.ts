/**
 * Compiles the JSON Schemas of tools, as users write them: draft 2020-12
 * (the default, as in MCP) or draft-07 (by `$schema`) side by side, with
 * `format` validated by ajv-formats. Each schema is checked against its
 * meta-schema and compiled once, when the tool set is built.
 */
import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ValidationIssue } from '../protocol/errors';
import { toIssues } from '../protocol/schemas';
import type { Logger } from '../server/logger';
import type { JsonSchemaObject } from './tool';

/** Most argument issues listed in one answer (`data.errors`). */
export const MAX_REPORTED_ISSUES = 20;
/**
 * Arguments with more JSON values than this get their first issue only: an
 * all-errors pass over a huge invalid array would make one error object per
 * item, which a caller must not be able to make the server do.
 */
export const MAX_VALUES_FOR_ALL_ISSUES = 10_000;

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

/** Whether a `$schema` value declares draft-07. */
export function declaresDraft07(declared: unknown): declared is string {
  return typeof declared === 'string' && DRAFT_07.test(declared);
}
const DRAFT_2020_12 = /^https:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

/** A tool set that cannot be served; its message names the tool and the place. */
export class ToolSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolSetError';
  }
}

/** A compiled tool schema. */
export interface ToolSchema {
  /** The schema as the tool gave it. */
  readonly schema: JsonSchemaObject;
  /** The first problem found, or an empty list when the value is valid (the fast path of every call). */
  check(value: unknown): ValidationIssue[];
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
  /** Collects every error: run only on values `first` refused. */
  readonly all: Ajv;
}

/**
 * Ajv runs with options that never modify the data (no defaults, no
 * coercion, no removal) and `$data` off. Unknown keywords are not an error
 * (schemas from generators carry their own) but are logged at start-up, so
 * a misspelt keyword does not go unnoticed.
 */
function ajvOptions(allErrors: boolean, report: (level: 'warn' | 'error', message: string) => void): Options {
  return {
    allErrors,
    strict: false,
    strictSchema: 'log',
    validateSchema: false,
    useDefaults: false,
    coerceTypes: false,
    removeAdditional: false,
    $data: false,
    code: { optimize: false },
    logger: {
      log: () => undefined,
      warn: (...args: unknown[]) => report('warn', args.map(String).join(' ')),
      error: (...args: unknown[]) => report('error', args.map(String).join(' ')),
    },
  };
}

/** Compiles tool schemas; one instance per tool set. */
export class ToolSchemaCompiler {
  private readonly drafts = new Map<Draft, DraftValidators>();
  /** What is being compiled, for Ajv's warnings. */
  private current = '';
  /** Warnings already logged: each schema is compiled by more than one Ajv instance, and a keyword may recur. */
  private readonly reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

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
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new ToolSetError(`${where} must be a JSON Schema object`);
    }
    const document = schema as JsonSchemaObject;
    if (document.type !== 'object') {
      throw new ToolSetError(`${where} must be an object schema: /type must be "object"`);
    }
    const validators = this.validatorsFor(document, where);
    this.current = where;
    if (!validators.first.validateSchema(document)) {
      const first = (validators.first.errors ?? [])[0];
      const pointer = first?.instancePath || '/';
      throw new ToolSetError(`${where} is not a valid JSON Schema at ${pointer}: ${first?.message ?? 'invalid'}`);
    }
    let first: ValidateFunction;
    let all: ValidateFunction;
    try {
      first = validators.first.compile(document);
      all = validators.all.compile(document);
    } catch (err) {
      throw new ToolSetError(`${where} cannot be compiled: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.current = '';
    }
    return {
      schema: document,
      check: (value) => (first(value) ? [] : toIssues(first.errors)),
      checkAll: (value) => {
        if (countValues(value, MAX_VALUES_FOR_ALL_ISSUES) > MAX_VALUES_FOR_ALL_ISSUES) {
          return first(value) ? [] : toIssues(first.errors);
        }
        return all(value) ? [] : toIssues(capped(all.errors));
      },
    };
  }

  private validatorsFor(schema: JsonSchemaObject, where: string): DraftValidators {
    const declared = schema.$schema;
    let draft: Draft;
    if (declared === undefined || (typeof declared === 'string' && DRAFT_2020_12.test(declared))) draft = '2020-12';
    else if (typeof declared === 'string' && DRAFT_07.test(declared)) draft = 'draft-07';
    else {
      throw new ToolSetError(
        `${where} has $schema ${JSON.stringify(declared)} at /$schema: draft 2020-12 (the default) and draft-07 are supported`,
      );
    }
    let validators = this.drafts.get(draft);
    if (validators === undefined) {
      // Ajv's 2020-12 and draft-07 vocabularies cannot share one instance.
      const make = (allErrors: boolean): Ajv => {
        const options = ajvOptions(allErrors, (level, message) => this.report(level, message));
        const ajv = draft === '2020-12' ? new Ajv2020(options) : new Ajv(options);
        addFormats(ajv);
        return ajv;
      };
      validators = { first: make(false), all: make(true) };
      this.drafts.set(draft, validators);
    }
    return validators;
  }
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
