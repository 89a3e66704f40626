/**
 * Validators compiled ahead of time (`toolseal compile`, read with
 * `--validators`): they answer exactly what the schemas compiled at start
 * answer, are used only for the schemas they were made from, and a file
 * that does not fit is reported, never trusted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { createLogger } from '../../src/server/logger';
import { protocolToolsForListing } from '../../src/tools/builtin';
import { precompileValidators } from '../../src/tools/precompile';
import { PrecompiledValidators } from '../../src/tools/precompiled';
import { ToolRegistry } from '../../src/tools/registry';
import { ToolSchemaCompiler, ToolSetError } from '../../src/tools/schemaCompiler';
import { defineTool, type JsonSchemaObject } from '../../src/tools/tool';

const SCHEMAS: Record<string, JsonSchemaObject> = {
  record: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'kind'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      kind: { enum: ['a', 'b'] },
      email: { type: 'string', format: 'email' },
      tags: { type: 'array', items: { type: 'string', maxLength: 3 }, uniqueItems: true },
      at: { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'number', minimum: 0 }], items: false },
      nested: { $ref: '#/$defs/point' },
    },
    $defs: { point: { type: 'object', required: ['x'], properties: { x: { type: 'number' } } } },
  },
  legacy: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { items: { type: 'array', items: [{ type: 'string' }], additionalItems: false }, when: { type: 'string', format: 'date-time' } },
    required: ['items'],
  },
  open: { type: 'object', properties: { n: { type: 'integer', multipleOf: 3 } }, patternProperties: { '^x-': { type: 'boolean' } } },
};

const VALUES: unknown[] = [
  { id: '0f8fad5b-d9cb-469f-a165-70867728950e', kind: 'a' },
  { id: 'nope', kind: 'c', email: 'x', tags: ['abcd', 'abcd'], at: [1.5, -1, 3], nested: {} },
  { items: ['x'] },
  { items: ['x', 'y'], when: 'yesterday' },
  { n: 4, 'x-flag': 'no' },
  { n: 9, 'x-flag': true },
  [],
  'text',
  null,
];

function tools() {
  return Object.entries(SCHEMAS).map(([name, schema]) =>
    defineTool({ name, description: `the ${name} tool`, inputSchema: schema, outputSchema: { type: 'object' }, run: () => ({}) }),
  );
}

function withLog(): { logger: ReturnType<typeof createLogger>; lines: any[] } {
  const lines: any[] = [];
  return { logger: createLogger('debug', (line) => lines.push(JSON.parse(line))), lines };
}

let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-validators-'));
  file = path.join(dir, 'tools.validators');
  const registry = new ToolRegistry({ protocol: protocolToolsForListing(), tools: tools() }, createLogger('error'));
  const made = precompileValidators(registry, ['tools.js'], () => undefined);
  // Three input schemas; the three output schemas are the same JSON, kept once.
  expect(made.schemas).toBe(4);
  fs.writeFileSync(file, made.bytes);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('PrecompiledValidators', () => {
  it('answers every value as the schema compiled at start does, first error and every error', () => {
    const { logger, lines } = withLog();
    const ahead = new ToolSchemaCompiler(logger, PrecompiledValidators.load(file));
    const atStart = new ToolSchemaCompiler(createLogger('error'));
    const pairs = Object.entries(SCHEMAS).map(([name, schema]) => [ahead.prepare(schema, name), atStart.compile(schema, name)] as const);
    ahead.reportMissing();
    expect(lines.filter((line) => line.event?.startsWith('tool_validators'))).toEqual([]);
    const agree = (value: unknown): void => {
      for (const [precompiled, compiled] of pairs) {
        expect(precompiled.check(value)).toEqual(compiled.check(value));
        expect(precompiled.checkAll(value)).toEqual(compiled.checkAll(value));
      }
    };
    for (const value of VALUES) agree(value);
    fc.assert(fc.property(fc.jsonValue(), (value) => agree(value)), { numRuns: 300 });
  });

  it('uses a validator only for the schema it was made from, and says which schemas it did not hold', () => {
    const { logger, lines } = withLog();
    const compiler = new ToolSchemaCompiler(logger, PrecompiledValidators.load(file));
    const changed = { ...SCHEMAS.open, properties: { n: { type: 'integer', multipleOf: 5 } } };
    const schema = compiler.prepare(changed, 'tool open: inputSchema');
    compiler.prepare(SCHEMAS.record!, 'tool record: inputSchema');
    compiler.reportMissing();
    expect(schema.check({ n: 9 })[0]?.message).toBe('must be multiple of 5');
    expect(schema.check({ n: 10 })).toEqual([]);
    const missing = lines.filter((line) => line.event === 'tool_validators_missing');
    expect(missing).toHaveLength(1);
    expect(missing[0].message).toMatch(/^1 schema\(s\) not in the file, compiled here .*: tool open: inputSchema$/);
  });

  it('does not use a file made for another Ajv version or other options, and says so', () => {
    const stale = path.join(dir, 'stale.validators');
    const [header, ...code] = fs.readFileSync(file, 'utf8').split('\n');
    fs.writeFileSync(stale, [JSON.stringify({ ...JSON.parse(header!), fingerprint: '0'.repeat(64) }), ...code].join('\n'));
    const validators = PrecompiledValidators.load(stale);
    expect(validators.stale).toMatch(/another Ajv version or other compile options/);
    const { logger, lines } = withLog();
    const compiler = new ToolSchemaCompiler(logger, validators);
    const record = compiler.prepare(SCHEMAS.record!, 'tool record: inputSchema');
    compiler.reportMissing();
    expect(record.check({ id: 'nope', kind: 'a' })[0]?.path).toBe('/id');
    expect(lines.map((line) => line.event).filter((event) => event?.startsWith('tool_validators'))).toEqual(['tool_validators_stale']);
  });

  it('refuses a file it cannot read or that toolseal compile did not make', () => {
    const notOurs = path.join(dir, 'other.validators');
    const refusal = new ToolSetError(`validators file ${notOurs} was not made by toolseal compile`);
    for (const text of [`${JSON.stringify({ schemas: {} })}\n`, '{\n', '', 'x'.repeat(200_000)]) {
      fs.writeFileSync(notOurs, text);
      expect(() => PrecompiledValidators.load(notOurs)).toThrow(refusal);
    }
    expect(() => PrecompiledValidators.load(path.join(dir, 'missing.validators'))).toThrow(/^validators file .*missing\.validators cannot be read: .*ENOENT: no such file/);
  });

  it('compiles a validator from the file only when it is first used, and only if its code is intact', () => {
    const copy = path.join(dir, 'copy.validators');
    fs.copyFileSync(file, copy);
    const validators = PrecompiledValidators.load(copy);
    const record = validators.lookup(SCHEMAS.record!)!;
    const open = validators.lookup(SCHEMAS.open!)!;
    expect(record.first()({ id: '0f8fad5b-d9cb-469f-a165-70867728950e', kind: 'a' })).toBe(true);
    // Code changed under the open file after start: refused, not run.
    const text = fs.readFileSync(copy, 'utf8');
    fs.writeFileSync(copy, text.replace(/multipleOf/g, 'multipleOX'));
    expect(() => open.first()).toThrow(`validators file ${copy} changed or was cut short since it was read at start`);
    // A validator compiled before the change keeps working.
    expect(record.first()({ id: 'nope', kind: 'a' })).toBe(false);
  });
});
