/** The code-point count the generated validators use is Ajv's own, for every string. */
import fc from 'fast-check';
import ajvUcs2length from 'ajv/dist/runtime/ucs2length';
import { ucs2length } from '../../src/protocol/ucs2length';
import { SchemaRegistry } from '../../src/protocol/schemas';

describe('ucs2length', () => {
  it("counts as Ajv's ucs2length does, surrogate pairs and lone surrogates included", () => {
    const unit = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('\uD800', '\uDC00', '\uD83D\uDE00', 'a\uD800b', '\uDBFF\uDFFF'));
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 5 }).map((parts) => parts.join('')), (text) => {
        expect(ucs2length(text)).toBe(ajvUcs2length(text));
      }),
      { seed: 2, numRuns: 2000 },
    );
  });

  it('is what the envelope schema counts: 128 emoji are 128 characters, 129 are too many', () => {
    const schemas = new SchemaRegistry();
    const envelope = (requestId: string): Record<string, unknown> => ({
      v: 'mcp/0.1',
      request_id: requestId,
      ts_ms: 1,
      client_id: 'c',
      server_id: 's',
      tool: 't',
      nonce: 'n-12345678',
      signature: '0'.repeat(64),
    });
    expect(schemas.envelope.check(envelope('\u{1F600}'.repeat(128)))).toEqual([]);
    expect(schemas.envelope.check(envelope('\u{1F600}'.repeat(129)))[0]?.path).toBe('/request_id');
  });
});
