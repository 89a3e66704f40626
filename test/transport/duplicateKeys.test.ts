import fc from 'fast-check';
import { duplicateKeyIn, findDuplicateKey } from '../../src/transport/duplicateKeys';
import { parseLine } from '../../src/transport/messageParser';

const find = (text: string) => findDuplicateKey(text, JSON.parse(text));

describe('findDuplicateKey', () => {
  it.each([
    ['{"a":1,"a":2}', { path: '', key: 'a' }],
    ['{"a":1,"b":{"c":[{"d":1,"e":2,"d":3}]}}', { path: '/b/c/0', key: 'd' }],
    ['{"x":1,"\\u0078":1}', { path: '', key: 'x' }],
    ['{"a/b":{"k":1,"k":1}}', { path: '/a~1b', key: 'k' }],
    ['[1,{"q":"a:b","q":"\\"c\\":"}]', { path: '/1', key: 'q' }],
    ['{"s":"\\\\","s":1}', { path: '', key: 's' }],
    // An escaped colon in a string must not make up for the duplicate's colon.
    ['{"a":1,"a":1,"b":"\\u003a"}', { path: '', key: 'a' }],
    ['{"a":1,"a":1,"b\\u003a":2}', { path: '', key: 'a' }],
  ])('finds the duplicate in %s', (text, expected) => {
    expect(find(text)).toEqual(expected);
  });

  it.each([
    ['{}'],
    ['{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}]}'],
    ['{"a":"x:y","b":"\\":\\"","c":["::",":"]}'],
    ['[1,2,3,"a","b"]'],
    ['{"__proto__":1,"constructor":{"__proto__":2}}'],
    ['"just a string: with colons"'],
  ])('finds none in %s', (text) => {
    expect(find(text)).toBeUndefined();
  });

  it('agrees with a key-by-key reading on random JSON, with and without a repeated member', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), fc.jsonValue(), (value, key, extra) => {
        const text = JSON.stringify(value);
        expect(find(text)).toBeUndefined();
        // Repeat a member in the outermost object, if there is one.
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
          const body = text.slice(1);
          const doubled = `{${JSON.stringify(key)}:${JSON.stringify(extra)},${JSON.stringify(key)}:${JSON.stringify(extra)}${body === '}' ? '' : ','}${body}`;
          expect(find(doubled)).toEqual({ path: '', key });
        }
      }),
    );
  });
});

describe('parseLine and duplicate keys', () => {
  const parse = (text: string) => parseLine(Buffer.from(text, 'utf8'));

  it('marks the params of a message holding a duplicate, leaving the message as it is', () => {
    const parsed = parse('{"jsonrpc":"2.0","id":1,"method":"call","params":{"a":{"b":1,"b":2}}}');
    expect(parsed.kind === 'message' && JSON.stringify(parsed.message)).toBe('{"jsonrpc":"2.0","id":1,"method":"call","params":{"a":{"b":2}}}');
    expect(parsed.kind === 'message' && duplicateKeyIn((parsed.message as { params?: unknown }).params)).toEqual({ path: '/a', key: 'b' });
  });

  it('leaves params without duplicates unmarked', () => {
    const parsed = parse('{"jsonrpc":"2.0","id":1,"method":"call","params":{"a":{"b":1},"b":2}}');
    expect(parsed.kind === 'message' && duplicateKeyIn((parsed.message as { params?: unknown }).params)).toBeUndefined();
  });

  it('rejects a duplicate outside params as an Invalid Request', () => {
    expect(parse('{"jsonrpc":"2.0","id":1,"method":"call","method":"x"}')).toEqual({
      kind: 'rejected',
      code: -32600,
      message: 'Invalid Request: duplicate key "method"',
      id: 1,
    });
    expect(parse('{"jsonrpc":"2.0","id":1,"id":2,"method":"call"}')).toMatchObject({ kind: 'rejected', code: -32600, id: null });
    expect(parse('{"jsonrpc":"2.0","id":1,"result":{"a":1,"a":1}}')).toMatchObject({ kind: 'rejected', code: -32600, id: 1 });
  });
});
