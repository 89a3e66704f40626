import { FramingErrorCode, parseLine, receivedBodyStart, type ParsedLine } from '../../src/transport/messageParser';

const parse = (text: string): ParsedLine => parseLine(Buffer.from(text, 'utf8'));

describe('parseLine', () => {
  describe('accepts', () => {
    it.each([
      ['a request with an integer id', '{"jsonrpc":"2.0","id":1,"method":"call","params":{"a":1}}'],
      ['a request with a string id', '{"jsonrpc":"2.0","id":"r-1","method":"call","params":[1,2]}'],
      ['a request without params', '{"jsonrpc":"2.0","id":0,"method":"call"}'],
      ['a notification', '{"jsonrpc":"2.0","method":"job/status","params":{"seq":1}}'],
      ['a result response', '{"jsonrpc":"2.0","id":7,"result":{"ok":true}}'],
      ['a null result response', '{"jsonrpc":"2.0","id":"x","result":null}'],
      ['an error response', '{"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"no","data":{"x":1}}}'],
      ['an error response with a null id', '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}'],
      ['non-ASCII text', '{"jsonrpc":"2.0","method":"note","params":["\u{1F600} é"]}'],
      ['surrounding whitespace', '  {"jsonrpc":"2.0","method":"m"}\t'],
    ])('%s', (_name, text) => {
      expect(parse(text)).toEqual({ kind: 'message', message: JSON.parse(text) });
    });
  });

  describe('rejects with -32700 and id null', () => {
    it('invalid UTF-8', () => {
      const bytes = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
      expect(parseLine(bytes)).toEqual({
        kind: 'rejected',
        code: FramingErrorCode.ParseError,
        message: 'Parse error: invalid UTF-8',
        id: null,
      });
    });

    it('a truncated 4-byte character', () => {
      const bytes = Buffer.from('"\u{1F600}"', 'utf8').subarray(0, 4);
      expect(parseLine(bytes)).toMatchObject({ kind: 'rejected', code: -32700, id: null });
    });

    it.each([['not json'], ['{"jsonrpc":"2.0","id":1'], ['{"a":1}}'], ["{'a':1}"], ['NaN']])('%s', (text) => {
      const parsed = parse(text);
      expect(parsed).toEqual({ kind: 'rejected', code: -32700, message: 'Parse error: invalid JSON', id: null });
    });

    it('without echoing the input back', () => {
      const parsed = parse('{"secret-token-xyz" oops}');
      expect(parsed.kind === 'rejected' && parsed.message).not.toContain('secret');
    });
  });

  describe('rejects with -32600', () => {
    it.each([
      ['a batch', '[{"jsonrpc":"2.0","id":1,"method":"call"}]', 'batches are not supported', null],
      ['an empty batch', '[]', 'batches are not supported', null],
      ['a number', '42', 'not a JSON object', null],
      ['a string', '"call"', 'not a JSON object', null],
      ['null', 'null', 'not a JSON object', null],
      ['true', 'true', 'not a JSON object', null],
      ['a missing jsonrpc', '{"id":1,"method":"call"}', 'jsonrpc must be "2.0"', 1],
      ['a wrong jsonrpc', '{"jsonrpc":"1.0","id":"a","method":"call"}', 'jsonrpc must be "2.0"', 'a'],
      ['a numeric jsonrpc', '{"jsonrpc":2.0,"id":3,"method":"call"}', 'jsonrpc must be "2.0"', 3],
      ['a non-string method', '{"jsonrpc":"2.0","id":2,"method":5}', 'method must be a string', 2],
      ['a null method', '{"jsonrpc":"2.0","id":2,"method":null}', 'method must be a string', 2],
      ['a fractional request id', '{"jsonrpc":"2.0","id":1.5,"method":"call"}', 'id must be a string or an integer', 1.5],
      ['a null request id', '{"jsonrpc":"2.0","id":null,"method":"call"}', 'id must be a string or an integer', null],
      ['an object request id', '{"jsonrpc":"2.0","id":{"a":1},"method":"call"}', 'id must be a string or an integer', null],
      ['an unsafe integer id', '{"jsonrpc":"2.0","id":1e300,"method":"call"}', 'id must be a string or an integer', 1e300],
      ['an infinite id', '{"jsonrpc":"2.0","id":1e400,"method":"call"}', 'id must be a string or an integer', null],
      ['string params', '{"jsonrpc":"2.0","id":4,"method":"call","params":"x"}', 'params must be an object or an array', 4],
      ['null params', '{"jsonrpc":"2.0","id":4,"method":"call","params":null}', 'params must be an object or an array', 4],
      ['an object without method or result', '{"jsonrpc":"2.0","id":5}', 'method is missing', 5],
      ['an empty object', '{}', 'jsonrpc must be "2.0"', null],
      ['a response without id', '{"jsonrpc":"2.0","result":1}', 'a response needs an id', null],
      ['a response with a boolean id', '{"jsonrpc":"2.0","id":true,"result":1}', 'id must be a string, a number or null', null],
      ['a response with result and error', '{"jsonrpc":"2.0","id":6,"result":1,"error":{"code":1,"message":"m"}}', 'a response has either result or error, not both', 6],
      ['a null error', '{"jsonrpc":"2.0","id":6,"error":null}', 'error must be an object with an integer code and a string message', 6],
      ['an error without code', '{"jsonrpc":"2.0","id":6,"error":{"message":"m"}}', 'error must be an object with an integer code and a string message', 6],
      ['a fractional error code', '{"jsonrpc":"2.0","id":6,"error":{"code":1.5,"message":"m"}}', 'error must be an object with an integer code and a string message', 6],
      ['a non-string error message', '{"jsonrpc":"2.0","id":"e","error":{"code":1,"message":7}}', 'error must be an object with an integer code and a string message', 'e'],
    ])('%s', (_name, text, reason, id) => {
      expect(parse(text)).toEqual({
        kind: 'rejected',
        code: FramingErrorCode.InvalidRequest,
        message: `Invalid Request: ${reason}`,
        id,
      });
    });
  });

  it('treats an inherited-looking "__proto__" key as plain data', () => {
    const parsed = parse('{"jsonrpc":"2.0","__proto__":{"method":"x"},"id":1}');
    expect(parsed).toMatchObject({ kind: 'rejected', code: -32600, message: 'Invalid Request: method is missing', id: 1 });
  });

  it('exposes the standard codes', () => {
    expect(FramingErrorCode).toEqual({ ParseError: -32700, InvalidRequest: -32600 });
  });
});

describe('receivedBodyStart', () => {
  it.each([
    ['a request with an integer id', '{"jsonrpc":"2.0","id":12,"method":"call","params":', '{"a":1}'],
    ['a request with a string id', '{"jsonrpc":"2.0","id":"r-1","method":"call","params":', '{"a":1}'],
    ['a notification', '{"jsonrpc":"2.0","method":"job/status","params":', '{"seq":1}'],
    ['a response', '{"jsonrpc":"2.0","id":7,"result":', '{"ok":true}'],
    ['a response to a string id', '{"jsonrpc":"2.0","id":"x","result":', '{}'],
  ])('finds the body of %s spelled as the writer spells it', (_, head, body) => {
    const line = `${head}${body}}`;
    expect(JSON.parse(line)).toBeDefined();
    expect(receivedBodyStart(line)).toBe(head.length);
    expect(line.slice(receivedBodyStart(line), -1)).toBe(body);
  });

  it.each([
    ['whitespace', '{ "jsonrpc":"2.0","id":1,"method":"call","params":{}}'],
    ['members in another order', '{"id":1,"jsonrpc":"2.0","method":"call","params":{}}'],
    ['an escaped method', '{"jsonrpc":"2.0","id":1,"method":"c\\u0061ll","params":{}}'],
    ['an id with an escape', '{"jsonrpc":"2.0","id":"a\\"b","method":"call","params":{}}'],
    ['a member between method and params', '{"jsonrpc":"2.0","id":1,"method":"call","x":0,"params":{}}'],
    ['no body', '{"jsonrpc":"2.0","id":1,"method":"call"}'],
    ['an error response', '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"}}'],
  ])('finds none in a line with %s', (_, line) => {
    expect(JSON.parse(line)).toBeDefined();
    expect(receivedBodyStart(line)).toBe(-1);
  });
});
