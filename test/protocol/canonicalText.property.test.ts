/**
 * isCanonicalObjectText says a received text is its own RFC 8785 form only
 * when it is (soundness: a signature is then checked over those bytes), and
 * says so for the texts signers actually send (else it saves nothing).
 */
import fc from 'fast-check';
import { canonicalize as jcs } from 'json-canonicalize';
import { isCanonicalObjectText } from '../../src/protocol/canonicalText';
import { HmacKey } from '../../src/protocol/hmacKey';
import { signatureProblem, signedTextOf, signInPlace, verifySigned, type SignedMessageSchema } from '../../src/protocol/signing';
import { inspectJsonValue, MAX_DEPTH } from '../../src/protocol/canonical';
import { NO_ISSUES } from '../../src/protocol/schemas';
import { jsonTextOf } from '../../src/transport/jsonText';
import { parseLine } from '../../src/transport/messageParser';

const RUNS = { seed: 8785, numRuns: 400 } as const;

/** A signed message's schema that passes any object. */
const ANY_OBJECT: SignedMessageSchema = { check: () => NO_ISSUES, checkBeforeSignature: () => NO_ISSUES, unsignedMembers: undefined };

/** The whole text of an object: the scan's `end` is just before its closing brace. */
const accepts = (text: string): boolean => isCanonicalObjectText(text, 0, text.length - 1, NO_LIMIT);

/** No nesting limit. */
const NO_LIMIT = Number.POSITIVE_INFINITY;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('a', 'b', 'A', '1', '10', '9', '__proto__', 'é', '\u{1F600}', 'a b', 'x"y', 'line\nbreak'));
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n / 100),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -0, 1e-6, 1e-7, 0.000001234, 1e21, 1e20, 123456789012345, 1234567890123456, 0.1, 0.30000000000000004, 5e-324),
);
const string = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('plain', 'quote"d', 'back\\slash', 'tab\t', '\u2028', 'ünï', '\u{1F600}', '/'));
const { value: jsonValue } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    string,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));
const jsonObject = fc.dictionary(key, jsonValue, { maxKeys: 6 });

/** Other spellings of a number that read back as the same double. */
function numberSpellings(n: number): string[] {
  const shortest = JSON.stringify(n);
  const candidates = [shortest, n.toExponential(), n.toExponential().toUpperCase(), n.toExponential().replace('e+', 'e'), `${shortest}.0`, shortest.includes('.') ? `${shortest}0` : shortest, n.toFixed(2), n.toPrecision(17), Object.is(n, -0) ? '-0' : shortest];
  return candidates.filter((s) => {
    try {
      return Object.is(JSON.parse(s), n);
    } catch {
      return false;
    }
  });
}

/** Writes `value` as valid JSON, choosing among spellings with `pick` (whitespace, escapes, number forms, key order). */
function spell(value: Json, pick: () => number): string {
  const space = (): string => ['', '', '', ' ', '\n', '\t '][pick() % 6]!;
  const str = (s: string): string => {
    const plain = JSON.stringify(s);
    switch (pick() % 4) {
      case 0:
        return `"${[...s].map((c) => (c.length === 1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('')}"`;
      case 1:
        return plain.replace(/\//g, '\\/');
      default:
        return plain;
    }
  };
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    const options = numberSpellings(value);
    return options[pick() % options.length]!;
  }
  if (typeof value === 'string') return str(value);
  if (Array.isArray(value)) return `[${space()}${value.map((v) => `${spell(v, pick)}${space()}`).join(`,${space()}`)}]`;
  const keys = Object.keys(value);
  if (pick() % 3 === 0) keys.reverse();
  return `{${space()}${keys.map((k) => `${str(k)}${space()}:${space()}${spell(value[k]!, pick)}`).join(`,${space()}`)}${space()}}`;
}

describe('isCanonicalObjectText', () => {
  it('is sound: whatever spelling of an object it accepts is exactly that object\'s RFC 8785 text', () => {
    fc.assert(
      fc.property(jsonObject, fc.array(fc.nat(), { minLength: 1, maxLength: 64 }), (value, choices) => {
        let at = 0;
        const pick = (): number => choices[at++ % choices.length]!;
        const text = spell(value, pick);
        if (accepts(text)) expect(text).toBe(jcs(JSON.parse(text)));
      }),
      { ...RUNS, numRuns: 3000 },
    );
  });

  it("is sound on RFC 8785 texts too: when it accepts one, it is that text's value's canonical form", () => {
    fc.assert(
      fc.property(jsonObject, (value) => {
        const text = jcs(value);
        if (accepts(text)) expect(jcs(JSON.parse(text))).toBe(text);
      }),
      RUNS,
    );
  });

  it('accepts the canonical text of what signers send: ids, plain strings, integers, decimals, nesting', () => {
    fc.assert(
      fc.property(
        fc.record({
          client_id: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
          nonce: fc.uuid(),
          ts_ms: fc.integer({ min: 0, max: 2 ** 45 }),
          args: fc.record({
            numbers: fc.array(fc.integer({ min: -1e8, max: 1e8 }).map((n) => n / 100), { maxLength: 50 }),
            label: fc.stringMatching(/^[ -!#-[\]-~]{0,30}$/),
            nested: fc.record({ flag: fc.boolean(), none: fc.constant(null), list: fc.array(fc.integer(), { maxLength: 5 }) }),
          }),
        }),
        (value) => {
          expect(accepts(jcs(value))).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it.each([
    ['whitespace outside strings', '{"a": 1}'],
    ['a newline between members', '{"a":1,\n"b":2}'],
    ['an escape, even a canonical one', '{"a":"x\\ny"}'],
    ['a needless escape', '{"a":"\\u0041"}'],
    ['keys out of order', '{"b":1,"a":2}'],
    ['keys out of order in a nested object', '{"a":{"y":1,"x":2}}'],
    ['an array index key written after a longer one it sorts before', '{"9":1,"10":2}'],
    ['a repeated key', '{"a":1,"a":2}'],
    ['a trailing zero', '{"a":1.50}'],
    ['a decimal point with zeros only', '{"a":1.0}'],
    ['an exponent', '{"a":1e2}'],
    ['an exponent ECMAScript would write', '{"a":1e+21}'],
    ['negative zero', '{"a":-0}'],
    ['a number too small for fixed notation', '{"a":0.0000001}'],
    ['sixteen digits', '{"a":1234567890123456}'],
    ['two values', '{"a":1}{"b":2}'],
    ['an array at the top', '[1,2]'],
  ])('refuses %s', (_, text) => {
    expect(accepts(text)).toBe(false);
  });

  it.each([
    ['an empty object', '{}'],
    ['sorted keys, numbers of every accepted kind', '{"a":0,"b":-1.5,"c":0.000001,"d":123456789012345,"e":0.1234567890123}'],
    ['nested arrays and objects', '{"a":[[],{},[{"x":null,"y":true}],false],"b":"text with spaces: and, commas}"}'],
    ['keys sorted by UTF-16 code units', '{"10":1,"9":2,"A":3,"a":4,"é":5}'],
  ])('accepts %s', (_, text) => {
    expect(accepts(text)).toBe(true);
    expect(text).toBe(jcs(JSON.parse(text)));
  });

  it('reads from `start`, and only up to `end`: the member after it is left out, and what precedes it must close there', () => {
    expect(isCanonicalObjectText('xx{"a":1,"b":2}', 2, '{"a":1,"b":2'.length + 2, NO_LIMIT)).toBe(true);
    expect(isCanonicalObjectText('x {"a":1}', 1, 8, NO_LIMIT)).toBe(false);
    const text = '{"a":1,"signature":"x"}';
    expect(isCanonicalObjectText(text, 0, text.indexOf(',"signature"'), NO_LIMIT)).toBe(true);
    expect(isCanonicalObjectText('{"b":1,"a":"x"}', 0, '{"b":1'.length, NO_LIMIT)).toBe(true);
    expect(isCanonicalObjectText('{"a":{"b":1},"c":2}', 0, '{"a":{"b":1}'.length, NO_LIMIT)).toBe(true);
    // A cut inside a nested object leaves it open: not one object.
    expect(isCanonicalObjectText('{"a":{"b":1,"c":2}}', 0, '{"a":{"b":1'.length, NO_LIMIT)).toBe(false);
  });

  it('leaves to inspectJsonValue every text nested deeper than `maxDepth`, and every text with a `toJSON` member', () => {
    const nested = '{"a":[{"b":[1]}],"c":2}';
    const scan = (text: string, maxDepth: number): boolean => isCanonicalObjectText(text, 0, text.length - 1, maxDepth);
    expect(scan(nested, 4)).toBe(true);
    expect(scan(nested, 3)).toBe(false);
    expect(scan('{}', 1)).toBe(true);
    expect(scan('{}', 0)).toBe(false);
    expect(scan('{"toJSON":null}', NO_LIMIT)).toBe(false);
    expect(scan('{"a":[{"toJSON":1}]}', NO_LIMIT)).toBe(false);
    // Only that very name: longer, shorter and differently cased names pass.
    expect(scan('{"toJSON2":1,"toJSOn":1,"toJso":1}', NO_LIMIT)).toBe(true);
    expect(scan('{"a":"toJSON"}', NO_LIMIT)).toBe(true);
  });

  it("passes only texts whose parsed value inspectJsonValue passes with the same depth, so a receiver may skip that pass", () => {
    const deep = fc.letrec<{ value: Json }>((tie) => ({
      value: fc.oneof({ depthSize: 'medium' }, fc.integer(), fc.constantFrom('toJSON', 'x'), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b', 'toJSON'), tie('value'), { maxKeys: 3 })),
    })).value;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'toJSON'), deep, { maxKeys: 3 }), fc.integer({ min: 0, max: 6 }), (value, maxDepth) => {
        const text = jcs(value);
        const passed = isCanonicalObjectText(text, 0, text.length - 1, maxDepth);
        if (passed) expect(typeof inspectJsonValue(JSON.parse(text), maxDepth)).toBe('string');
        // And the only texts it leaves are those: nothing is lost for texts that fit and hold no toJSON.
        if (!passed && !text.includes('"toJSON":')) expect(typeof inspectJsonValue(JSON.parse(text), maxDepth)).not.toBe('string');
      }),
      { ...RUNS, numRuns: 2000 },
    );
  });
});

describe('signatures checked over the received text', () => {
  const key = new HmacKey(Buffer.from('k'.repeat(32)));

  /** A signed message as a request line carries it, parsed by the framing (which records the params' text). */
  const received = (paramsText: string): { signature: string } => {
    const parsed = parseLine(Buffer.from(`{"jsonrpc":"2.0","id":7,"method":"call","params":${paramsText}}`));
    if (parsed.kind !== 'message') throw new Error(parsed.message);
    return (parsed.message as unknown as { params: { signature: string } }).params;
  };
  const verified = (message: { signature: string }): boolean => {
    const text = signedTextOf(message, ANY_OBJECT, MAX_DEPTH);
    return typeof text === 'string' && signatureProblem([key], message, text, ANY_OBJECT) === undefined;
  };

  it('agrees with verifySigned for every spelling of a signed message, whoever wrote its text', () => {
    fc.assert(
      fc.property(jsonObject, fc.array(fc.nat(), { minLength: 1, maxLength: 64 }), fc.boolean(), (value, choices, signSpelling) => {
        fc.pre(!Object.hasOwn(value, 'signature'));
        const order = inspectJsonValue(value);
        fc.pre(typeof order === 'string');
        let at = 0;
        const pick = (): number => choices[at++ % choices.length]!;
        const spelled = spell(value, pick);
        // Signed over its RFC 8785 text (as the protocol says), or, wrongly, over the spelling as sent.
        const signature = key.macHex(signSpelling ? spelled : jcs(value));
        const text = Object.keys(value).length === 0 ? `{"signature":"${signature}"}` : `${spelled.slice(0, -1)},"signature":"${signature}"}`;
        const message = received(text);
        expect(verified(message)).toBe(verifySigned([key], message));
      }),
      { ...RUNS, numRuns: 1500 },
    );
  });

  it('reads no further than the body: a member after the params cannot lend it a signature', () => {
    const unsigned = '{"a":1}';
    const signature = key.macHex(unsigned);
    // The params carry a wrong signature; a member after them ends the line with the right one.
    const wrong = '0'.repeat(64);
    const line = `{"jsonrpc":"2.0","id":7,"method":"call","params":{"a":1,"signature":"${wrong}"},"x":{"a":1,"signature":"${signature}"}}`;
    const parsed = parseLine(Buffer.from(line));
    if (parsed.kind !== 'message') throw new Error(parsed.message);
    const params = (parsed.message as unknown as { params: { signature: string } }).params;
    expect(verified(params)).toBe(false);
    // The same with the params' own signature right: verified, over the canonical text.
    const good = parseLine(Buffer.from(`{"jsonrpc":"2.0","id":7,"method":"call","params":{"a":1,"signature":"${signature}"},"x":{"a":1,"signature":"${wrong}"}}`));
    if (good.kind !== 'message') throw new Error(good.message);
    expect(verified((good.message as unknown as { params: { signature: string } }).params)).toBe(true);
  });

  it('accepts a message sent as signInPlace wrote it, and refuses one signed over a non-canonical text', () => {
    const signed = signInPlace(key, { args: { numbers: [1.5, 2, 3] }, client_id: 'c', nonce: 'n-12345678', tool: 'batch_sum', v: 'mcp/0.1' });
    const text = jsonTextOf(signed)!;
    const message = received(text);
    expect(isCanonicalObjectText(text, 0, text.length - 80, NO_LIMIT)).toBe(true);
    expect(verified(message)).toBe(true);
    // The same members, signed over their text with the keys out of order and sent that way.
    const unsorted = '{"v":"mcp/0.1","tool":"batch_sum","nonce":"n-12345678","client_id":"c","args":{"numbers":[1.5,2,3]}}';
    const forged = received(`${unsorted.slice(0, -1)},"signature":"${key.macHex(unsorted)}"}`);
    expect(verified(forged)).toBe(false);
    // Signed over a spelling with a needless exponent: not the canonical text either.
    const exponent = `${text.slice(0, -80)}}`.replace('[1.5,2,3]', '[1.5,2e0,3]');
    expect(verified(received(`${exponent.slice(0, -1)},"signature":"${key.macHex(exponent)}"}`))).toBe(false);
  });
});
