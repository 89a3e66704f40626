/**
 * The validators compiled at build time (scripts/generate-validators.js,
 * Ajv standalone code in src/generated/) answer exactly as the same schemas
 * compiled by Ajv at run time with the same options: the same verdict and
 * the same `errors` (so the same `data.errors`), on values made from each
 * schema, valid and invalid. Fixed seed, bounded runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import * as builtinFirst from '../../src/generated/builtinToolValidators';
import * as builtinAll from '../../src/generated/builtinToolValidatorsAll';
import * as meta from '../../src/generated/metaSchemaValidators';
import * as protocol from '../../src/generated/protocolValidators';
import { PROTOCOL_AJV_OPTIONS, SCHEMA_DIR, SchemaRegistry } from '../../src/protocol/schemas';
import { TOOL_AJV_OPTIONS } from '../../src/tools/schemaCompiler';

const RUNS = { seed: 8785, numRuns: 300 } as const;

type Schema = Record<string, any>;
const readSchema = (file: string): Schema => JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8'));

/** Values shaped by `schema`, every part of which may instead be anything at all. */
function valueFor(schema: Schema | boolean | undefined, depth = 0): fc.Arbitrary<unknown> {
  const anything = fc.anything({ maxDepth: 2, maxKeys: 3 });
  if (typeof schema !== 'object' || schema === null || depth > 4) return anything;
  const typed: Array<fc.Arbitrary<unknown>> = [];
  if ('const' in schema) typed.push(fc.constant(schema.const));
  if (Array.isArray(schema.enum)) typed.push(fc.constantFrom(...schema.enum));
  const types: string[] = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : [];
  for (const type of types) {
    if (type === 'object') {
      const properties: Record<string, Schema> = schema.properties ?? {};
      const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
      const record = fc.record(Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, valueFor(s, depth + 1)])), { requiredKeys: [] });
      const extra = fc.option(fc.tuple(fc.constantFrom('extra', 'alice', 'x'), additional ? valueFor(additional, depth + 1) : anything), { nil: undefined });
      typed.push(fc.tuple(record, extra).map(([r, e]) => (e ? { ...r, [e[0]]: e[1] } : r)));
      if (Object.keys(properties).length > 0) {
        // Every property present, so that later keywords are reached too.
        typed.push(fc.record(Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, valueFor(s, depth + 1)]))));
      }
    } else if (type === 'array') {
      typed.push(fc.array(valueFor(schema.items, depth + 1), { maxLength: 4 }));
    } else if (type === 'string') {
      typed.push(fc.string({ maxLength: 10 }), fc.string({ minLength: 120, maxLength: 140 }), fc.stringMatching(/^[0-9a-f]{64}$/), fc.constantFrom('', 'hex:00', 'mcp/0.1'));
    } else if (type === 'integer') {
      typed.push(fc.integer(), fc.constantFrom(-1, 0, 1, 2 ** 53, 1.5));
    } else if (type === 'number') {
      typed.push(fc.double(), fc.constantFrom(-0.5, 0, 1, 2));
    } else if (type === 'boolean') {
      typed.push(fc.boolean());
    } else if (type === 'null') {
      typed.push(fc.constant(null));
    }
  }
  if (typed.length === 0) return anything;
  return fc.oneof({ arbitrary: fc.oneof(...typed), weight: 5 }, { arbitrary: anything, weight: 1 });
}

/** Whether the two validators give the same verdict and the same errors on `value`. */
function agree(built: ValidateFunction, runtime: ValidateFunction, value: unknown): void {
  const a = built(value);
  const b = runtime(value);
  expect({ valid: a, errors: a ? null : built.errors }).toEqual({ valid: b, errors: b ? null : runtime.errors });
}

describe('validators compiled at build time', () => {
  describe('the protocol messages', () => {
    const ajv = new Ajv({ ...PROTOCOL_AJV_OPTIONS });
    const cases: Array<[string, string]> = [
      ['envelope', 'envelope.schema.json'],
      ['response', 'response.schema.json'],
      ['jobStatus', 'job-status.schema.json'],
      ['keyring', 'keyring.schema.json'],
    ];
    it.each(cases)('%s agrees with the runtime compilation of %s', (name, file) => {
      const schema = readSchema(file);
      const runtime = ajv.compile(schema);
      const built = (protocol as Record<string, unknown>)[name] as ValidateFunction;
      fc.assert(fc.property(valueFor(schema), (value) => agree(built, runtime, value)), RUNS);
    });

    it.each(cases.slice(0, 3))("%s's checks before the signature are its checks but the signature's pattern (which a signature equal to its MAC has)", (name, file) => {
      const schema = readSchema(file);
      expect(schema.properties.signature.pattern).toBe('^[0-9a-f]{64}$');
      const full = (protocol as Record<string, unknown>)[name] as ValidateFunction;
      const before = (protocol as Record<string, unknown>)[`${name}BeforeSignature`] as ValidateFunction;
      fc.assert(
        fc.property(valueFor(schema), (value) => {
          if (full(value)) {
            expect(before(value)).toBe(true);
          } else if (before(value)) {
            // Passed but for the pattern: the full check fails there and nowhere else.
            expect(full.errors).toEqual([expect.objectContaining({ instancePath: '/signature', keyword: 'pattern' })]);
          } else {
            expect(before.errors).toEqual(full.errors);
          }
        }),
        RUNS,
      );
    });

    it('SchemaRegistry checks an envelope before its signature with those, and with the full schema afterwards', () => {
      const envelope = { v: 'mcp/0.1', request_id: 'r', ts_ms: 1, client_id: 'c', server_id: 's', tool: 't', nonce: '12345678', signature: 'A'.repeat(64) };
      const registry = new SchemaRegistry();
      expect(registry.envelope.checkBeforeSignature(envelope)).toEqual([]);
      expect(registry.envelope.check(envelope)).toEqual([{ path: '/signature', message: 'must match pattern "^[0-9a-f]{64}$"' }]);
      // Compiled at run time, there is nothing ahead to defer to: the full schema both times.
      expect(new SchemaRegistry(SCHEMA_DIR, { compileAtRuntime: true }).envelope.checkBeforeSignature(envelope)).toEqual(registry.envelope.check(envelope));
    });

    it('count string lengths in code points near every bound, surrogate pairs included (the count is skipped only when the code units settle it)', () => {
      const schema = readSchema('envelope.schema.json');
      const runtime = new Ajv({ ...PROTOCOL_AJV_OPTIONS }).compile(schema);
      // Strings of 0 to 140 code points, each an ASCII letter or a character outside the BMP (two code units).
      const text = fc.array(fc.constantFrom('a', '\u{1F600}', '\u{10FFFF}'), { maxLength: 140 }).map((chars) => chars.join(''));
      const envelope = fc.record({ v: fc.constant('mcp/0.1'), request_id: text, ts_ms: fc.constant(1), client_id: text, server_id: text, tool: text, nonce: text, signature: fc.constant('0'.repeat(64)) });
      for (const built of [protocol.envelope, protocol.envelopeBeforeSignature] as ValidateFunction[]) {
        fc.assert(fc.property(envelope, (value) => agree(built, runtime, value)), { ...RUNS, numRuns: 1000 });
        // At the bounds exactly: 8 and 128 code points pass, 7 and 129 do not, however many code units they take.
        for (const [points, valid] of [[7, false], [8, true], [128, true], [129, false]] as const) {
          for (const wide of [0, 1, points]) {
            const nonce = '\u{1F600}'.repeat(wide) + 'a'.repeat(points - wide);
            const value = { v: 'mcp/0.1', request_id: 'r', ts_ms: 1, client_id: 'c', server_id: 's', tool: 't', nonce, signature: '0'.repeat(64) };
            expect(built(value)).toBe(valid);
          }
        }
      }
    });

    it('SchemaRegistry answers the same data.errors either way', () => {
      const prebuilt = new SchemaRegistry();
      const compiled = new SchemaRegistry(SCHEMA_DIR, { compileAtRuntime: true });
      const schema = readSchema('envelope.schema.json');
      fc.assert(fc.property(valueFor(schema), (value) => expect(prebuilt.envelope.check(value)).toEqual(compiled.envelope.check(value))), RUNS);
    });
  });

  describe("the built-in tools' schemas", () => {
    const files = fs.readdirSync(path.join(SCHEMA_DIR, 'tools')).filter((f) => f.endsWith('.schema.json'));
    const first = new Ajv({ ...TOOL_AJV_OPTIONS, allErrors: false, logger: false });
    const all = new Ajv({ ...TOOL_AJV_OPTIONS, allErrors: true, logger: false });
    addFormats(first);
    addFormats(all);
    it.each(files)('%s: first-error and every-error validators agree with the runtime compilation', (file) => {
      const schema = readSchema(`tools/${file}`);
      const name = file.replace(/\.schema\.json$/, '').replace('.', '_');
      const builtFirst = (builtinFirst as Record<string, unknown>)[name] as ValidateFunction;
      const builtAll = (builtinAll as Record<string, unknown>)[name] as ValidateFunction;
      const runtimeFirst = first.compile(schema);
      const runtimeAll = all.compile(schema);
      fc.assert(
        fc.property(valueFor(schema), (value) => {
          agree(builtFirst, runtimeFirst, value);
          agree(builtAll, runtimeAll, value);
        }),
        RUNS,
      );
    });
  });

  describe('the meta-schemas', () => {
    /** Tool schemas: well-formed ones from the built-in files, and mutations of them. */
    const schemaValues = (): fc.Arbitrary<unknown> => {
      const samples = fs.readdirSync(path.join(SCHEMA_DIR, 'tools')).map((f) => {
        const { $schema: _s, $id: _i, ...rest } = readSchema(`tools/${f}`);
        return rest;
      });
      const keyword = fc.constantFrom('type', 'minimum', 'maxLength', 'items', 'required', 'enum', 'properties', 'pattern', 'format', 'additionalProperties', '$ref', 'prefixItems', 'const');
      const mutated = fc.tuple(fc.constantFrom(...samples), keyword, fc.anything({ maxDepth: 2, maxKeys: 3 })).map(([s, k, v]) => ({ ...s, [k]: v }));
      const nested = fc.tuple(fc.constantFrom(...samples), keyword, fc.anything({ maxDepth: 1, maxKeys: 2 })).map(([s, k, v]) => ({ ...s, properties: { a: { [k]: v } } }));
      return fc.oneof(fc.constantFrom(...samples), mutated, nested, fc.anything({ maxDepth: 2, maxKeys: 3 }));
    };
    const cases: Array<[string, () => Ajv]> = [
      ['draft2020', () => new Ajv2020({ ...TOOL_AJV_OPTIONS, logger: false })],
      ['draft07', () => new Ajv({ ...TOOL_AJV_OPTIONS, logger: false })],
    ];
    it.each(cases)("%s answers as Ajv's validateSchema", (name, make) => {
      const ajv = make();
      addFormats(ajv);
      const built = (meta as Record<string, unknown>)[name] as ValidateFunction;
      fc.assert(
        fc.property(schemaValues(), (schema) => {
          if (typeof schema !== 'object' || schema === null) return;
          const runtime = ajv.validateSchema(schema);
          const a = built(schema);
          expect({ valid: a, errors: a ? null : built.errors }).toEqual({ valid: runtime, errors: runtime ? null : ajv.errors });
        }),
        RUNS,
      );
    });
  });
});
