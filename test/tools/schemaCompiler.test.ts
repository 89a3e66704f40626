import { createLogger } from '../../src/server/logger';
import { deferrable } from '../../src/tools/deferredCompile';
import { MAX_REPORTED_ISSUES, MAX_VALUES_FOR_ALL_ISSUES, ToolSchemaCompiler, ToolSetError } from '../../src/tools/schemaCompiler';

function compilerWithLog(): { compiler: ToolSchemaCompiler; lines: any[] } {
  const lines: any[] = [];
  return { compiler: new ToolSchemaCompiler(createLogger('debug', (line) => lines.push(JSON.parse(line)))), lines };
}

describe('ToolSchemaCompiler', () => {
  it('compiles draft 2020-12 by default and draft-07 by $schema, side by side', () => {
    const { compiler } = compilerWithLog();
    const tuple = compiler.compile({ type: 'object', properties: { at: { type: 'array', prefixItems: [{ type: 'integer' }], items: false } } }, 'a');
    expect(tuple.check({ at: [1] })).toEqual([]);
    expect(tuple.check({ at: [1, 2] })[0]?.path).toBe('/at');
    expect(tuple.check({ at: ['x'] })[0]?.path).toBe('/at/0');
    const legacy = compiler.compile(
      { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { at: { type: 'array', items: [{ type: 'integer' }], additionalItems: false } } },
      'b',
    );
    expect(legacy.check({ at: [1] })).toEqual([]);
    expect(legacy.check({ at: [1, 2] })[0]?.path).toBe('/at');
  });

  it('checks formats', () => {
    const { compiler } = compilerWithLog();
    const schema = compiler.compile({ type: 'object', properties: { u: { type: 'string', format: 'uri' }, d: { type: 'string', format: 'date-time' } } }, 'f');
    expect(schema.check({ u: 'https://example.com', d: '2026-12-02T10:00:00Z' })).toEqual([]);
    expect(schema.checkAll({ u: 'nope', d: 'yesterday' }).map((i) => i.path)).toEqual(['/u', '/d']);
  });

  it('refuses what cannot be served, naming the place', () => {
    const { compiler } = compilerWithLog();
    const refused = (schema: unknown) => {
      try {
        compiler.compile(schema, 'tool t: inputSchema');
      } catch (err) {
        expect(err).toBeInstanceOf(ToolSetError);
        return (err as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused([])).toBe('tool t: inputSchema must be a JSON Schema object');
    expect(refused({ type: 'string' })).toBe('tool t: inputSchema must be an object schema: /type must be "object"');
    expect(refused({ type: 'object', properties: { a: { type: 'integer', maximum: 'ten' } } })).toBe(
      'tool t: inputSchema is not a valid JSON Schema at /properties/a/maximum: must be number',
    );
    expect(refused({ $schema: 'https://json-schema.org/draft/2019-09/schema', type: 'object' })).toMatch(/at \/\$schema: draft 2020-12 \(the default\) and draft-07 are supported/);
    expect(refused({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } })).toMatch(/^tool t: inputSchema cannot be compiled: .*missing/);
  });

  it('lists every issue up to the cap; a value of more than the value limit gets its first issue only', () => {
    const { compiler } = compilerWithLog();
    const schema = compiler.compile({ type: 'object', properties: { xs: { type: 'array', items: { type: 'integer' } } } }, 'c');
    const many = { xs: Array.from({ length: 50 }, () => 'x') };
    expect(schema.check(many)).toHaveLength(1);
    const all = schema.checkAll(many);
    expect(all).toHaveLength(MAX_REPORTED_ISSUES);
    expect(all[19]).toEqual({ path: '/xs/19', message: 'must be integer' });
    const huge = { xs: Array.from({ length: MAX_VALUES_FOR_ALL_ISSUES }, () => 'x') };
    expect(schema.checkAll(huge)).toEqual([{ path: '/xs/0', message: 'must be integer' }]);
  });

  it('allows unknown keywords and logs each once per schema', () => {
    const { compiler, lines } = compilerWithLog();
    compiler.compile({ type: 'object', 'x-ui': 'wide', properties: { a: { type: 'string', 'x-ui': 'big' } } }, 'tool u: inputSchema');
    const warnings = lines.filter((l) => l.event === 'tool_schema_warning');
    expect(warnings).toEqual([{ ts: expect.any(String), level: 'warn', event: 'tool_schema_warning', schema: 'tool u: inputSchema', message: 'strict mode: unknown keyword: "x-ui"' }]);
  });

  describe('prepare (the registry\'s way: compiled on first use when nothing can go wrong later)', () => {
    const refused = (compiler: ToolSchemaCompiler, schema: unknown): string => {
      try {
        compiler.prepare(schema, 'tool t: inputSchema');
      } catch (err) {
        expect(err).toBeInstanceOf(ToolSetError);
        return (err as Error).message;
      }
      throw new Error('not refused');
    };

    it('refuses at once everything compile refuses, with the same message', () => {
      const { compiler } = compilerWithLog();
      const bad: unknown[] = [
        [],
        { type: 'string' },
        { type: 'object', properties: { a: { type: 'integer', maximum: 'ten' } } },
        { $schema: 'https://json-schema.org/draft/2019-09/schema', type: 'object' },
        { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } },
        { type: 'object', properties: { a: { type: 'string', format: 'no-such-format' } } },
        { type: 'object', properties: { a: { type: 'string', pattern: '(' } } },
        { type: 'object', patternProperties: { '[': { type: 'string' } } },
      ];
      for (const schema of bad) {
        let expected = '';
        try {
          compilerWithLog().compiler.compile(schema, 'tool t: inputSchema');
        } catch (err) {
          expected = (err as Error).message;
        }
        expect(expected).not.toBe('');
        expect(refused(compiler, schema)).toBe(expected);
      }
    });

    it('logs unknown keywords at once, as compile does', () => {
      const { compiler, lines } = compilerWithLog();
      compiler.prepare({ type: 'object', 'x-ui': 'wide' }, 'tool u: inputSchema');
      expect(lines.filter((l) => l.event === 'tool_schema_warning').map((l) => l.message)).toEqual(['strict mode: unknown keyword: "x-ui"']);
    });

    it('checks values like compile, draft 2020-12 and draft-07, with formats and references', () => {
      const { compiler } = compilerWithLog();
      const schema = {
        type: 'object',
        required: ['at'],
        properties: { at: { $ref: '#/$defs/when' }, tags: { type: 'array', items: { type: 'string' }, maxItems: 2 }, n: { enum: [1, 2] } },
        $defs: { when: { type: 'string', format: 'date-time' } },
      };
      expect(deferrable(schema, () => true)).toBe(true);
      const prepared = compiler.prepare(schema, 'p');
      const compiled = compilerWithLog().compiler.compile(schema, 'c');
      for (const value of [{ at: '2026-12-02T10:00:00Z' }, { at: 'yesterday' }, { at: '2026-12-02T10:00:00Z', tags: ['a', 'b', 'c'], n: 3 }, {}]) {
        expect(prepared.check(value)).toEqual(compiled.check(value));
        expect(prepared.checkAll(value)).toEqual(compiled.checkAll(value));
      }
      const legacy = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { at: { type: 'array', items: [{ type: 'integer' }], additionalItems: false } } };
      expect(deferrable(legacy, () => true)).toBe(true);
      expect(compiler.prepare(legacy, 'l').check({ at: [1, 2] })[0]?.path).toBe('/at');
    });

    it('leaves to start-up (compiles at once) what it cannot vouch for', () => {
      const known = (): boolean => true;
      expect(deferrable({ type: 'object', 'x-ui': 1 }, known)).toBe(false);
      expect(deferrable({ type: 'object', $id: 'urn:x' }, known)).toBe(false);
      expect(deferrable({ type: 'object', properties: { a: { $ref: 'other.json' } } }, known)).toBe(false);
      expect(deferrable({ type: 'object', properties: { a: { $ref: '#/properties' } } }, known)).toBe(false);
      expect(deferrable({ type: 'object', properties: { a: { $ref: '#' } } }, known)).toBe(true);
      expect(deferrable({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { a: { $ref: '#', description: 'x' } } }, known)).toBe(false);
      expect(deferrable({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', dependentRequired: {} }, known)).toBe(false);
      expect(deferrable({ type: 'object', properties: { a: { format: 'x' } } }, () => false)).toBe(false);
    });
  });
});

