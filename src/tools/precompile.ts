/**
 * `toolseal compile`'s work: the validators of a tool set's schemas as one
 * file of Ajv standalone code, for `toolseal serve --validators`
 * (read by src/tools/precompiled.ts). Every schema is compiled with the
 * options and formats the server would use, once stopping at the first
 * error and once collecting every error.
 */
import { createHash } from 'node:crypto';
import type Ajv from 'ajv';
import type { Options } from 'ajv';
import { packageVersion } from '../version';
import { schemaKey, validatorsFingerprint, VALIDATORS_FORMAT, type CodeRange, type ValidatorsHeader } from './precompiled';
import type { ToolRegistry } from './registry';
import { draftOf, isBuiltinSchema, TOOL_AJV_OPTIONS, ToolSetError } from './schemaCompiler';
import type { JsonSchemaObject } from './tool';

/** One schema to compile, and the tool it belongs to. */
interface Entry {
  key: string;
  schema: JsonSchemaObject;
  where: string;
}

/** What `precompileValidators` made. */
export interface PrecompiledFile {
  /** The file's contents. */
  bytes: Buffer;
  /** How many distinct schemas it holds. */
  schemas: number;
}

/**
 * The validators of every user tool's schemas in `registry` (the protocol
 * and example tools' are compiled at build time already).
 * @param sources named in the module's header (the --tools paths).
 * @param warn told of Ajv's warnings (unknown keywords and the like).
 * @throws ToolSetError for a schema that is not JSON or cannot be compiled.
 */
export function precompileValidators(registry: ToolRegistry, sources: readonly string[], warn: (message: string) => void): PrecompiledFile {
  const byDraft = new Map<'2020-12' | 'draft-07', Map<string, Entry>>();
  for (const descriptor of registry.list()) {
    const registered = registry.get(descriptor.name)!;
    if (registered.protocol) continue;
    for (const [side, compiled] of [['inputSchema', registered.input], ['outputSchema', registered.output]] as const) {
      if (isBuiltinSchema(compiled.schema)) continue;
      const where = `tool ${registered.name}: ${side}`;
      const key = schemaKey(compiled.schema);
      if (key === undefined) throw new ToolSetError(`${where} is not JSON (it cannot be written to a validators file)`);
      const draft = draftOf(compiled.schema, where);
      const entries = byDraft.get(draft) ?? new Map<string, Entry>();
      byDraft.set(draft, entries);
      if (!entries.has(key)) entries.set(key, { key, schema: compiled.schema, where });
    }
  }

  // A header line (JSON: what the file is, and where each validator's code
  // is), then the code. A server reads the header at start and a
  // validator's code when its tool is first called (see precompiled.ts).
  const body: Buffer[] = [];
  let offset = 0;
  const place = (code: string): CodeRange => {
    const bytes = Buffer.from(`${code}\n`, 'utf8');
    body.push(bytes);
    const range: CodeRange = [offset, bytes.length - 1, createHash('sha256').update(bytes.subarray(0, -1)).digest('hex')];
    offset += bytes.length;
    return range;
  };
  const schemas: ValidatorsHeader['schemas'] = {};
  for (const [draft, entries] of byDraft) {
    const list = [...entries.values()];
    const first = standalone(draft, false, list, warn);
    const all = standalone(draft, true, list, warn);
    list.forEach((entry, i) => (schemas[entry.key] = { first: place(first[i]!), all: place(all[i]!) }));
  }
  const header: ValidatorsHeader = {
    toolseal: 'validators',
    format: VALIDATORS_FORMAT,
    note: "The validators of tools' JSON Schemas compiled ahead of time (Ajv standalone code), for toolseal serve --validators. Do not edit: run toolseal compile again after changing a schema.",
    made_by: `toolseal ${packageVersion()}`,
    from: [...sources],
    fingerprint: validatorsFingerprint(),
    schemas,
  };
  return { bytes: Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), ...body]), schemas: Object.keys(schemas).length };
}

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The standalone code (CommonJS: `exports.validate = ...`) of each of
 * `entries`, compiled for one draft, first-error or every-error, in order.
 */
function standalone(draft: '2020-12' | 'draft-07', allErrors: boolean, entries: readonly Entry[], warn: (message: string) => void): string[] {
  let current = '';
  const report = (...args: unknown[]): void => warn(`${current}: ${args.map(String).join(' ')}`);
  const options: Options = {
    ...TOOL_AJV_OPTIONS,
    allErrors,
    // Ahead of time, the optimizer's passes cost nothing at start and shrink the code.
    code: { ...TOOL_AJV_OPTIONS.code, source: true, esm: false, optimize: true },
    logger: { log: () => undefined, warn: allErrors ? () => undefined : report, error: report },
  };
  const ajv: Ajv = draft === '2020-12' ? new (require('ajv/dist/2020') as typeof import('ajv/dist/2020')).default(options) : new (require('ajv') as typeof import('ajv')).default(options);
  (require('ajv-formats') as typeof import('ajv-formats')).default(ajv);
  const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
  for (const entry of entries) {
    current = entry.where;
    try {
      ajv.addSchema(entry.schema, `toolseal:${entry.key}`);
    } catch (err) {
      throw new ToolSetError(`${entry.where} cannot be compiled: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return entries.map((entry) => {
    current = entry.where;
    try {
      return standaloneCode(ajv, { validate: `toolseal:${entry.key}` });
    } catch (err) {
      throw new ToolSetError(`${entry.where} cannot be compiled: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}
/* eslint-enable @typescript-eslint/no-require-imports */
