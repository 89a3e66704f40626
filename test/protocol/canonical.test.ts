import { canonicalize, checkJsonValue, MAX_DEPTH } from '../../src/protocol/canonical';

function nested(depth: number): unknown {
  let value: unknown = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

describe('checkJsonValue', () => {
  it('accepts exactly 64 levels and refuses 65', () => {
    expect(checkJsonValue(nested(MAX_DEPTH))).toBeUndefined();
    const issue = checkJsonValue(nested(MAX_DEPTH + 1));
    expect(issue?.message).toMatch(/deeper than 64/);
    expect(issue?.path).toBe('/a'.repeat(MAX_DEPTH));
  });

  it('counts arrays as levels too', () => {
    let value: unknown = [];
    for (let i = 1; i < MAX_DEPTH + 1; i++) value = [value];
    expect(checkJsonValue(value)).toEqual({ path: '/0'.repeat(MAX_DEPTH), message: `must not nest deeper than ${MAX_DEPTH} levels` });
  });

  it('stops at the limit on hostile nesting instead of walking it all', () => {
    const deep: unknown[] = [];
    let cursor = deep;
    for (let i = 0; i < 200_000; i++) {
      const next: unknown[] = [];
      cursor.push(next);
      cursor = next;
    }
    expect(checkJsonValue({ deep })).toEqual({ path: `/deep${'/0'.repeat(MAX_DEPTH - 1)}`, message: `must not nest deeper than ${MAX_DEPTH} levels` });
  });

  it('refuses non-finite numbers and lone surrogates, in values and keys, with a JSON Pointer', () => {
    expect(checkJsonValue({ a: [1, Infinity] })).toEqual({ path: '/a/1', message: 'must be a finite number' });
    expect(checkJsonValue({ a: NaN })?.path).toBe('/a');
    expect(checkJsonValue({ s: 'x\uD800y' })?.message).toMatch(/lone surrogate/);
    expect(checkJsonValue({ s: '\uDC00' })).toEqual({ path: '/s', message: 'must not contain a lone surrogate' });
    expect(checkJsonValue({ ['k\uD800']: 1 })?.message).toMatch(/keys/);
    expect(checkJsonValue({ 'a/b~c': [1, -Infinity] })?.path).toBe('/a~1b~0c/1');
  });

  it('accepts well-formed surrogate pairs, -0 and ordinary JSON', () => {
    expect(checkJsonValue({ s: '😀', n: -0, t: true, z: null, arr: [1.5, 'x'] })).toBeUndefined();
  });
});

describe('canonicalize', () => {
  it('produces RFC 8785 output: sorted keys, shortest numbers, minimal escapes', () => {
    expect(canonicalize({ b: 1, a: [1e21, 0.1, -0, 1e-7], c: '\u2028\n"é' })).toBe('{"a":[1e+21,0.1,0,1e-7],"b":1,"c":"\u2028\\n\\"é"}');
  });

  it('keeps __proto__ as an ordinary key', () => {
    const value = JSON.parse('{"__proto__":{"x":1},"a":2}');
    expect(canonicalize(value)).toBe('{"__proto__":{"x":1},"a":2}');
  });
});

describe('toJSON members', () => {
  it('refuses a non-null toJSON member, which json-canonicalize would serialize unsorted', () => {
    const value = JSON.parse('{"args":{"b":1,"toJSON":1,"a":2}}');
    expect(checkJsonValue(value)).toEqual({ path: '/args/toJSON', message: expect.stringMatching(/toJSON/) });
  });

  it('accepts a null toJSON member, which canonicalizes normally', () => {
    const value = JSON.parse('{"b":1,"toJSON":null,"a":2}');
    expect(checkJsonValue(value)).toBeUndefined();
    expect(canonicalize(value)).toBe('{"a":2,"b":1,"toJSON":null}');
  });
});
