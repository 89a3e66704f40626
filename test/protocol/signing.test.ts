import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalize } from '../../src/protocol/canonical';
import { HmacKey } from '../../src/protocol/hmacKey';
import { decodeSecret } from '../../src/protocol/keyring';
import { sign, signInPlace, signingInput, verify, verifySigned, withoutSignature } from '../../src/protocol/signing';
import { toWireEnvelope, toWireJobStatus, toWireResponse } from '../../src/protocol/wire';
import { jsonTextOf } from '../../src/transport';

interface Vector {
  description: string;
  secret: string;
  unsigned: Record<string, unknown>;
  canonical: string;
  signature: string;
}

const vectors = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'signing-vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors;

describe('known-answer signing vectors', () => {
  it.each(vectors.map((v) => [v.description, v] as const))('%s', (_description, vector) => {
    const key = new HmacKey(decodeSecret(vector.secret, 'vector'));
    expect(canonicalize(vector.unsigned)).toBe(vector.canonical);
    expect(sign(key, vector.unsigned).signature).toBe(vector.signature);
    expect(verify([key], vector.unsigned, vector.signature)).toBe(true);
  });
});

describe('HmacKey', () => {
  it.each([0, 1, 16, 63, 64, 65, 200])('matches createHmac for a %i-byte key', (length) => {
    const secret = randomBytes(length);
    const key = new HmacKey(secret);
    for (const message of ['', 'a', 'x'.repeat(1000), 'é☃😀']) {
      expect(key.macHex(message)).toBe(createHmac('sha256', secret).update(message).digest('hex'));
    }
  });

  it('gives the same answer when used many times (its prepared state is copied, not consumed)', () => {
    const key = new HmacKey(Buffer.from('a-secret-of-sixteen+'));
    expect(key.macHex('m')).toBe(key.macHex('m'));
  });
});

describe('sign / verify', () => {
  const key = new HmacKey(Buffer.from('client-secret-0123456789'));
  const other = new HmacKey(Buffer.from('another-secret-0123456789'));
  const unsigned = { v: 'mcp/0.1', tool: 'batch_sum', args: { numbers: [1, 2, 3] } };

  it('round-trips and accepts any of several keys (rotation)', () => {
    const signed = sign(key, unsigned);
    expect(verifySigned([key], signed)).toBe(true);
    expect(verifySigned([other, key], signed)).toBe(true);
    expect(verifySigned([other], signed)).toBe(false);
  });

  it('does not depend on key order in the object', () => {
    const signed = sign(key, unsigned);
    const reordered = { args: { numbers: [1, 2, 3] }, tool: 'batch_sum', v: 'mcp/0.1', signature: signed.signature };
    expect(verifySigned([key], reordered)).toBe(true);
  });

  it('rejects a changed field, an added field, a removed field and a changed signature', () => {
    const signed = sign(key, unsigned);
    expect(verifySigned([key], { ...signed, tool: 'list_tools' })).toBe(false);
    expect(verifySigned([key], { ...signed, extra: 1 })).toBe(false);
    const { args: _args, ...withoutArgs } = signed;
    expect(verifySigned([key], withoutArgs)).toBe(false);
    const flipped = signed.signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(verifySigned([key], { ...signed, signature: flipped })).toBe(false);
  });

  it('treats an absent args and args: {} as different messages', () => {
    const signed = sign(key, { v: 'mcp/0.1', tool: 'server_identity' });
    expect(verifySigned([key], { ...signed, args: {} })).toBe(false);
  });

  it('rejects signatures that are not 64 lowercase hex chars without throwing', () => {
    const signed = sign(key, unsigned);
    expect(verify([key], unsigned, signed.signature.toUpperCase())).toBe(false);
    expect(verify([key], unsigned, signed.signature.slice(1))).toBe(false);
    expect(verify([key], unsigned, '')).toBe(false);
  });

  it('withoutSignature keeps every other field as it is', () => {
    expect(withoutSignature({ a: 1, signature: 'x', b: { c: 2 } })).toEqual({ a: 1, b: { c: 2 } });
  });
  it('signInPlace attaches the text it signed, which reads back as the signed object', () => {
    const fresh = { v: 'mcp/0.1', tool: 'batch_sum', args: { numbers: [1, 2.5, -0] } };
    const signed = signInPlace(key, fresh);
    expect(signed).toBe(fresh);
    const text = jsonTextOf(signed)!;
    expect(JSON.parse(text)).toEqual({ ...unsigned, args: { numbers: [1, 2.5, 0] }, signature: signed.signature });
    expect(text).toBe(`${signingInput(withoutSignature(signed)).slice(0, -1)},"signature":"${signed.signature}"}`);
    expect(verifySigned([key], JSON.parse(text))).toBe(true);
    expect(jsonTextOf(signInPlace(key, {}))).toBe(`{"signature":"${sign(key, {}).signature}"}`);
  });
});

describe('wire objects', () => {
  // canonicalize writes an object whose keys are in RFC 8785 order with JSON.stringify, its fast path.
  it('are built with their keys in canonical order, optional members included', () => {
    const call = { requestId: 'r', tsMs: 1, clientId: 'c', serverId: 's', tool: 't', nonce: 'n-123456' };
    const built = [
      toWireEnvelope(call),
      toWireEnvelope({ ...call, args: { a: 1 } }),
      toWireResponse({ requestId: 'r', serverId: 's', tsMs: 1, ok: true, status: 'ok', result: { x: 1 }, error: null }),
      toWireJobStatus({ jobId: 'j', requestId: 'r', clientId: 'c', serverId: 's', tsMs: 1, seq: 1, status: 'running' }),
      toWireJobStatus({ jobId: 'j', requestId: 'r', clientId: 'c', serverId: 's', tsMs: 1, seq: 3, status: 'error', progress: 1, result: {}, error: 'e' }),
    ];
    for (const wire of built) {
      expect(Object.keys(wire)).toEqual(Object.keys(wire).sort());
      expect(JSON.stringify(wire)).toBe(canonicalize(wire));
    }
  });
});
