/**
 * Property tests for canonical JSON and envelope signing, plus RFC 8785's
 * own published examples (test/fixtures/rfc8785/). Every property runs a
 * bounded number of times from a fixed seed, so a failure reproduces.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { canonicalize as jsonCanonicalize } from 'json-canonicalize';
import { canonicalize, canonicalizeInspected, checkJsonValue, inspectJsonValue, MAX_DEPTH } from '../../src/protocol/canonical';
import { NO_ISSUES, SchemaRegistry } from '../../src/protocol/schemas';
import { HmacKey } from '../../src/protocol/hmacKey';
import { signatureProblem, signedTextOf, signingInput, sign, signInPlace, verifySigned, withoutSignature, type SignedMessageSchema } from '../../src/protocol/signing';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'rfc8785');
const fixtureText = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const fixtureJson = <T>(name: string): T => JSON.parse(fixtureText(name)) as T;

/** Fixed seeds and bounded runs: the whole file takes about a second. */
const RUNS = { seed: 8785, numRuns: 300 } as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

describe('RFC 8785 published examples', () => {
  it('section 3.2.2 sample canonicalizes to the exact bytes of section 3.2.4', () => {
    const input = JSON.parse(fixtureText('sample-3.2.2.input.json'));
    const expectedHex = fixtureText('sample-3.2.4.utf8.hex').trim().split(/\s+/).join('');
    const canonical = canonicalize(input);
    expect(Buffer.from(canonical, 'utf8').toString('hex')).toBe(expectedHex);
    expect(canonical).toBe(fixtureText('sample-3.2.2.canonical.json'));
    expect(checkJsonValue(input)).toBeUndefined();
  });

  it('section 3.2.2.2 string escaping: only quote, backslash and controls are escaped, controls in lowercase hex', () => {
    const { input, canonical } = fixtureJson<{ input: string; canonical: string }>('string-escaping.json');
    expect(canonicalize(JSON.parse(input))).toBe(canonical);
  });

  it('section 3.2.3 sorts property names by UTF-16 code units', () => {
    const input = JSON.parse(fixtureText('sorting-3.2.3.input.json')) as Record<string, string>;
    const order = fixtureJson<string[]>('sorting-3.2.3.expected-order.json');
    const canonical = canonicalize(input);
    // Read the order off the text: a JS object would list the key "1" first whatever the text says.
    const positions = order.map((v) => canonical.indexOf(JSON.stringify(v)));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // The whole text: keys written as is (U+0080 and the emoji unescaped), only \r escaped.
    const keyOf = new Map(Object.entries(input).map(([k, v]) => [v, k]));
    const expected = `{${order.map((v) => `${JSON.stringify(keyOf.get(v))}:${JSON.stringify(v)}`).join(',')}}`;
    expect(canonical).toBe(expected);
    expect(canonical.startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')).toBe(true);
  });

  describe('Appendix B number serialization samples', () => {
    const { samples } = fixtureJson<{ samples: Array<{ ieee754: string; json: string | null; comment: string }> }>('numbers-appendix-b.json');
    const fromBits = (hex: string): number => Buffer.from(hex, 'hex').readDoubleBE(0);

    it.each(samples.filter((s) => s.json !== null).map((s) => [s.ieee754, s.json!] as const))('%s -> %s', (bits, json) => {
      const value = fromBits(bits);
      expect(checkJsonValue(value)).toBeUndefined();
      expect(canonicalize(value)).toBe(json);
      expect(canonicalize({ n: [value] })).toBe(`{"n":[${json}]}`);
      // The text reads back as the same double (minus zero reads back as zero).
      expect(JSON.parse(json)).toBe(Object.is(value, -0) ? 0 : value);
    });

    it.each(samples.filter((s) => s.json === null).map((s) => [s.ieee754, s.comment] as const))('%s (%s) is refused', (bits) => {
      const value = fromBits(bits);
      expect(checkJsonValue({ n: value })).toEqual({ path: '/n', message: 'must be a finite number' });
      expect(() => canonicalize(value)).toThrow();
    });
  });
});

// ---------------------------------------------------------------------------
// Arbitraries

/** Strings of whole graphemes: always well-formed UTF-16 (no lone surrogates). */
const text = (maxLength = 12) => fc.string({ unit: 'grapheme', maxLength });

/** Any finite double, -0, subnormals and extremes included. */
const finiteDouble = fc.double({ noNaN: true, noDefaultInfinity: true });

/** A JSON value that passes checkJsonValue (the server would accept it). */
const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' }) as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: finiteDouble },
  { weight: 1, arbitrary: fc.constantFrom<Json>(-0, 0, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, '__proto__', JSON.parse('{"__proto__":{"a":-0}}')) },
);

/** Tool args: an object of JSON values, with awkward keys now and then. */
const args = fc.dictionary(fc.oneof(text(), fc.constantFrom('__proto__', 'constructor', 'toString', '')), jsonValue, { maxKeys: 6 });

/** An unsigned envelope as a client builds it; `args` absent about a third of the time. */
const unsignedEnvelope = fc.record(
  {
    v: fc.constant('mcp/0.1'),
    request_id: text(40).filter((s) => s.length > 0),
    ts_ms: fc.maxSafeNat(),
    client_id: text(20).filter((s) => s.length > 0),
    server_id: text(20).filter((s) => s.length > 0),
    tool: text(20).filter((s) => s.length > 0),
    args,
    nonce: text(40),
  },
  { requiredKeys: ['v', 'request_id', 'ts_ms', 'client_id', 'server_id', 'tool', 'nonce'] },
);

const secret = fc.uint8Array({ minLength: 16, maxLength: 100 });

/** What the wire does to a message: JSON text and back. */
const overTheWire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The same value with every object's keys in reverse insertion order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) {
    Object.defineProperty(out, key, { value: reverseKeys((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// A copy of `value` with `JSON.parse` semantics: `__proto__` stays an own key.
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('sign / verify properties', () => {
  it('a signed envelope verifies after JSON.stringify / JSON.parse, under its key (also among rotated keys)', () => {
    fc.assert(
      fc.property(secret, secret, unsignedEnvelope, (secretBytes, otherBytes, unsigned) => {
        const key = new HmacKey(secretBytes);
        const signed = sign(key, unsigned);
        const received = overTheWire(signed);
        expect(verifySigned([key], received)).toBe(true);
        expect(verifySigned([new HmacKey(otherBytes), key], received)).toBe(true);
        // The canonical form does not care about the JSON round trip (-0 -> 0, key order).
        expect(signingInput(withoutSignature(received))).toBe(signingInput(unsigned));
      }),
      RUNS,
    );
  });

  /** One change to a signed envelope, as an attacker or a broken proxy would make it. */
  type Mutation =
    | { kind: 'change'; field: number; value: Json }
    | { kind: 'add'; name: string; value: Json }
    | { kind: 'remove'; field: number }
    | { kind: 'nested'; route: number[]; value: Json }
    | { kind: 'signature'; position: number; char: string };

  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('change' as const), field: fc.nat(), value: jsonValue }),
    fc.record({ kind: fc.constant('add' as const), name: fc.oneof(text(), fc.constantFrom('__proto__', 'constructor', 'extra', 'args')), value: jsonValue }),
    fc.record({ kind: fc.constant('remove' as const), field: fc.nat() }),
    fc.record({ kind: fc.constant('nested' as const), route: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), value: jsonValue }),
    fc.record({
      kind: fc.constant('signature' as const),
      position: fc.integer({ min: 0, max: 63 }),
      char: fc.constantFrom(...'0123456789abcdefABCDEFgxz '.split('')),
    }),
  );

  /** Applies `m` to a copy of `signed`; undefined when it does not apply (nothing to remove, same value). */
  function mutate(signed: Record<string, unknown>, m: Mutation): Record<string, unknown> | undefined {
    const copy = clone(signed);
    const fields = Object.keys(copy).filter((k) => k !== 'signature');
    switch (m.kind) {
      case 'change':
        copy[fields[m.field % fields.length]!] = m.value;
        return copy;
      case 'add':
        if (m.name === 'signature' || Object.hasOwn(copy, m.name)) return undefined;
        // defineProperty, so that "__proto__" becomes an own key as JSON.parse would make it.
        Object.defineProperty(copy, m.name, { value: m.value, enumerable: true, writable: true, configurable: true });
        return copy;
      case 'remove':
        delete copy[fields[m.field % fields.length]!];
        return copy;
      case 'nested': {
        if (copy.args === undefined) return undefined;
        // Walk down into args by the route, then replace the node reached.
        let parent: Record<string, unknown> | unknown[] = copy;
        let key: string | number = 'args';
        for (const step of m.route) {
          const node = (parent as Record<string, unknown>)[key as string];
          if (node === null || typeof node !== 'object') break;
          const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
          if (keys.length === 0) break;
          parent = node as Record<string, unknown>;
          key = keys[step % keys.length]!;
        }
        (parent as Record<string, unknown>)[key as string] = m.value;
        return copy;
      }
      case 'signature': {
        const sig = copy.signature as string;
        if (sig[m.position] === m.char) return undefined;
        copy.signature = sig.slice(0, m.position) + m.char + sig.slice(m.position + 1);
        return copy;
      }
    }
  }

  it('any single mutation of a signed envelope is rejected by verifySigned', () => {
    fc.assert(
      fc.property(secret, unsignedEnvelope, mutation, (secretBytes, unsigned, m) => {
        const key = new HmacKey(secretBytes);
        const signed = overTheWire(sign(key, unsigned)) as unknown as Record<string, unknown>;
        const mutated = mutate(signed, m);
        fc.pre(mutated !== undefined);
        if (m.kind !== 'signature') {
          // A "change" to a value with the same canonical form (0 for -0, say) is no change.
          fc.pre(canonicalize(withoutSignature(mutated as { signature: string })) !== canonicalize(withoutSignature(signed as { signature: string })));
        }
        expect(verifySigned([key], mutated as { signature: string })).toBe(false);
      }),
      { ...RUNS, numRuns: 600 },
    );
  });

  /** A received message with its signature where a signer may put it: last (as signInPlace), in its sorted place, or first. */
  const placedSignature = (signed: Record<string, unknown>, where: 'last' | 'sorted' | 'first'): Record<string, unknown> => {
    const { signature, ...rest } = signed;
    const members = Object.entries(rest);
    if (where === 'last') members.push(['signature', signature]);
    else if (where === 'first') members.unshift(['signature', signature]);
    else members.push(['signature', signature]), members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const out: Record<string, unknown> = {};
    for (const [name, value] of members) Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    return overTheWire(out);
  };

  /** A signed message's schema that passes any object. */
  const ANY_OBJECT: SignedMessageSchema = { check: () => NO_ISSUES, checkBeforeSignature: () => NO_ISSUES, unsignedMembers: undefined };

  /** signedTextOf then signatureProblem, as a receiver checks a message: whether both pass. */
  const verifiedReceived = (keys: readonly HmacKey[], message: unknown, schema: SignedMessageSchema = ANY_OBJECT): boolean => {
    const text = signedTextOf(message, schema, MAX_DEPTH);
    return typeof text === 'string' && signatureProblem(keys, message as { signature: string }, text, schema) === undefined;
  };

  it('signedTextOf and signatureProblem accept what verifySigned accepts and refuse what it refuses, wherever the signature stands', () => {
    fc.assert(
      fc.property(secret, unsignedEnvelope, mutation, fc.constantFrom('last' as const, 'sorted' as const, 'first' as const), fc.boolean(), (secretBytes, unsigned, m, where, reversed) => {
        const key = new HmacKey(secretBytes);
        const source = reversed ? (reverseKeys(unsigned) as typeof unsigned) : unsigned;
        const signed = placedSignature(sign(key, source) as unknown as Record<string, unknown>, where);
        expect(typeof inspectJsonValue(signed)).toBe('string');
        expect(verifiedReceived([key], signed)).toBe(true);
        const mutated = mutate(signed, m);
        fc.pre(mutated !== undefined);
        fc.pre(typeof inspectJsonValue(mutated) === 'string');
        expect(verifiedReceived([key], mutated)).toBe(verifySigned([key], mutated as { signature: string }));
      }),
      { ...RUNS, numRuns: 600 },
    );
  });

  it("with the envelope schema (its copy of the members, its check before the signature), a receiver's check agrees with verifySigned on every envelope the schema passes", () => {
    const schemas = new SchemaRegistry();
    const members = schemas.envelope.unsignedMembers;
    expect(members).toBeDefined();
    fc.assert(
      fc.property(secret, unsignedEnvelope, mutation, fc.constantFrom('last' as const, 'sorted' as const, 'first' as const), fc.boolean(), (secretBytes, unsigned, m, where, reversed) => {
        fc.pre([...unsigned.nonce].length >= 8);
        const key = new HmacKey(secretBytes);
        const source = reversed ? (reverseKeys(unsigned) as typeof unsigned) : unsigned;
        const signed = placedSignature(sign(key, source) as unknown as Record<string, unknown>, where);
        expect(schemas.envelope.check(signed)).toEqual([]);
        expect(verifiedReceived([key], signed, schemas.envelope)).toBe(true);
        const mutated = mutate(signed, m);
        fc.pre(mutated !== undefined);
        // What reaches the signature check: canonicalizable and passed by the schema (no member added).
        fc.pre(typeof inspectJsonValue(mutated) === 'string' && schemas.envelope.check(mutated).length === 0);
        expect(verifiedReceived([key], mutated, schemas.envelope)).toBe(verifySigned([key], mutated as { signature: string }));
      }),
      { ...RUNS, numRuns: 600 },
    );
  });

  it("each signed message schema's copy lists exactly the members the schema allows but `signature`, in RFC 8785 order", () => {
    const schemas = new SchemaRegistry();
    for (const name of ['envelope', 'response', 'jobStatus'] as const) {
      const properties = Object.keys((schemas[name].schema as { properties: Record<string, unknown> }).properties);
      const every = Object.fromEntries(properties.map((p) => [p, `value of ${p}`]));
      const copied = schemas[name].unsignedMembers!(every);
      const expected = properties.filter((p) => p !== 'signature').sort();
      expect(Object.keys(copied)).toEqual(expected);
      expect(JSON.stringify(copied)).toBe(canonicalize(withoutSignature(every as { signature: string })));
    }
    // Compiled at run time (another schema directory, say), a schema has no copy: the generic path serves.
    expect(new SchemaRegistry(undefined, { compileAtRuntime: true }).envelope.unsignedMembers).toBeUndefined();
  });

  it('a receiver refuses a signature whose characters only match the MAC in their low byte', () => {
    const key = new HmacKey(Buffer.from('k'.repeat(32)));
    const signed = overTheWire(signInPlace(key, { a: 1, v: 'two' }));
    expect(inspectJsonValue(signed)).toBe('signature-last');
    expect(verifiedReceived([key], signed)).toBe(true);
    // U+0130 is 0x30 ('0') in its low byte, U+0161 is 0x61 ('a'): as Latin-1 bytes they would compare equal.
    const digit = signed.signature.search(/[0a]/);
    const forged = signed.signature.slice(0, digit) + (signed.signature[digit] === '0' ? '\u0130' : '\u0161') + signed.signature.slice(digit + 1);
    expect(verifiedReceived([key], { ...signed, signature: forged })).toBe(false);
    expect(verifiedReceived([key], { ...signed, signature: signed.signature.slice(1) })).toBe(false);
  });
});

describe('canonical form properties', () => {
  it('accepts every well-formed JSON value; the canonical form is stable under parsing, key order and the wire', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        expect(checkJsonValue(value)).toBeUndefined();
        const canonical = canonicalize(value);
        expect(canonicalize(JSON.parse(canonical))).toBe(canonical);
        expect(canonicalize(reverseKeys(value))).toBe(canonical);
        expect(canonicalize(overTheWire(value))).toBe(canonical);
      }),
      RUNS,
    );
  });

  // canonicalize writes a tree whose keys are already sorted with JSON.stringify
  // and hands any other to json-canonicalize: both paths must give its bytes.
  it('writes exactly what json-canonicalize writes, whether or not the keys are already in order', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const expected = jsonCanonicalize(value);
        expect(canonicalize(value)).toBe(expected);
        expect(canonicalize(reverseKeys(value))).toBe(expected);
        // Parsed from canonical text, every object is in order: the JSON.stringify path.
        expect(canonicalize(JSON.parse(expected))).toBe(expected);
      }),
      { ...RUNS, numRuns: 1000 },
    );
  });

  it('inspectJsonValue finds the key order canonicalize needs: canonical only where JSON.stringify writes the canonical text', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const expected = jsonCanonicalize(value);
        for (const variant of [value, reverseKeys(value), JSON.parse(expected) as unknown]) {
          const order = inspectJsonValue(variant);
          expect(typeof order).toBe('string');
          expect(canonicalizeInspected(variant, order as 'canonical')).toBe(expected);
        }
        // Parsed from canonical text, every object is in order.
        const parsed = JSON.parse(expected) as unknown;
        expect(inspectJsonValue(parsed)).toBe('canonical');
      }),
      { ...RUNS, numRuns: 1000 },
    );
  });

  it('agrees with json-canonicalize on the trees where JSON.stringify would differ', () => {
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const boxed = { a: Object('text') as unknown, b: Object(2) as unknown };
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: [true] });
    const cases: unknown[] = [
      { '9': 1, '10': 2, a: 3 }, // integer-like keys come first, in numeric order
      { b: 1, a: undefined }, // undefined members are left out by both
      { a: [undefined, 1] }, // an undefined item is null
      { a: sparse }, // a hole
      boxed,
      nullProto,
      { a: new Date(0) }, // toJSON on the prototype
      { a: new Map([['k', 1]]) },
      { z: { y: { x: [{ b: 1, a: 2 }] } } },
      { a: -0, b: 1e21, c: 5e-324, d: '\u2028\u0007"' },
    ];
    for (const value of cases) {
      expect(canonicalize(value)).toBe(jsonCanonicalize(value));
    }
  });

  /** A string with one lone surrogate spliced between two well-formed parts. */
  const loneSurrogateString = fc
    .tuple(text(), fc.integer({ min: 0xd800, max: 0xdfff }), text())
    .map(([before, unit, after]) => before + String.fromCharCode(unit) + after);

  /** A value checkJsonValue must refuse. */
  const poison = fc.oneof(
    fc.record({ kind: fc.constant('value' as const), value: fc.oneof(loneSurrogateString, fc.constantFrom<unknown>(NaN, Infinity, -Infinity)) }),
    fc.record({ kind: fc.constant('key' as const), key: loneSurrogateString }),
  );

  /** Every object and array in `value` (pre-order), so poison can go anywhere. */
  function containers(value: unknown, out: Array<Record<string, unknown> | unknown[]> = []): Array<Record<string, unknown> | unknown[]> {
    if (value !== null && typeof value === 'object') {
      out.push(value as Record<string, unknown>);
      for (const child of Object.values(value)) containers(child, out);
    }
    return out;
  }

  it('refuses a lone surrogate (in a string or a key) or a non-finite number anywhere in a value', () => {
    fc.assert(
      fc.property(jsonValue, poison, fc.nat(), (value, bad, where) => {
        const root = { wrapped: clone(value) };
        const targets = containers(root);
        const target = targets[where % targets.length]!;
        if (bad.kind === 'value') {
          if (Array.isArray(target)) target.push(bad.value);
          else target['\u0000poison'] = bad.value;
        } else {
          if (Array.isArray(target)) target.push({ [bad.key]: 1 });
          else target[bad.key] = 1;
        }
        const expected =
          bad.kind === 'key' ? 'keys must not contain a lone surrogate' : typeof bad.value === 'number' ? 'must be a finite number' : 'must not contain a lone surrogate';
        expect(checkJsonValue(root)?.message).toBe(expected);
        expect(inspectJsonValue(root)).toEqual(checkJsonValue(root));
      }),
      RUNS,
    );
  });

  it('refuses lone surrogates that arrive as JSON escapes on the wire', () => {
    const cases: Array<[string, { path: string; message: string }]> = [
      ['"\\ud800"', { path: '/', message: 'must not contain a lone surrogate' }],
      ['"a\\udc00b"', { path: '/', message: 'must not contain a lone surrogate' }],
      ['"\\ude00\\ud83d"', { path: '/', message: 'must not contain a lone surrogate' }],
      ['{"\\udbff":1}', { path: '/', message: 'keys must not contain a lone surrogate' }],
      ['["ok", "\\ud83d"]', { path: '/1', message: 'must not contain a lone surrogate' }],
    ];
    for (const [text, issue] of cases) expect({ text, issue: checkJsonValue(JSON.parse(text)) }).toEqual({ text, issue });
    expect(checkJsonValue(JSON.parse('"\\ud83d\\ude00"'))).toBeUndefined();
  });
});
