import { randomBytes, randomUUID } from 'node:crypto';
import { resolveCredentials } from '../../src/client/credentials';
import { signEnvelope, verifyErrorAnswer, verifyJobStatus, verifyResponse } from '../../src/client/envelopes';
import { HmacKey } from '../../src/protocol/hmacKey';
import { KeyringError } from '../../src/protocol/keyring';
import { SchemaRegistry } from '../../src/protocol/schemas';
import { sign, verifySigned } from '../../src/protocol/signing';
import { toWireJobStatus, toWireResponse } from '../../src/protocol/wire';

const schemas = new SchemaRegistry();
const clientKey = new HmacKey(randomBytes(32));
const serverKey = new HmacKey(randomBytes(32));

describe('signEnvelope', () => {
  it('signs a fresh envelope that verifies and passes the envelope schema', () => {
    const envelope = signEnvelope(clientKey, { clientId: 'c', serverId: 's', tool: 'batch_sum', args: { numbers: [1] } });
    expect(schemas.envelope.check(envelope)).toEqual([]);
    expect(verifySigned([clientKey], envelope)).toBe(true);
    const again = signEnvelope(clientKey, { clientId: 'c', serverId: 's', tool: 'batch_sum', args: { numbers: [1] } });
    expect(again.request_id).not.toBe(envelope.request_id);
    expect(again.nonce).not.toBe(envelope.nonce);
  });

  it('leaves args out entirely when undefined', () => {
    const envelope = signEnvelope(clientKey, { clientId: 'c', serverId: 's', tool: 'server_identity' });
    expect(Object.hasOwn(envelope, 'args')).toBe(false);
    expect(verifySigned([clientKey], envelope)).toBe(true);
  });

  it('takes given ids and timestamp', () => {
    const envelope = signEnvelope(clientKey, { clientId: 'c', serverId: 's', tool: 't', requestId: 'r-1', nonce: 'nonce-123', tsMs: 42 });
    expect(envelope).toMatchObject({ request_id: 'r-1', nonce: 'nonce-123', ts_ms: 42 });
  });

  it('refuses args the server could never verify', () => {
    expect(() => signEnvelope(clientKey, { clientId: 'c', serverId: 's', tool: 't', args: { x: Infinity } })).toThrow(/\/args\/x must be a finite number/);
    expect(() => signEnvelope(clientKey, { clientId: 'c', serverId: 's', tool: 't', args: { x: undefined } })).toThrow();
    let deep: object = {};
    for (let i = 0; i < 70; i++) deep = { a: deep };
    expect(() => signEnvelope(clientKey, { clientId: 'c', serverId: 's', tool: 't', args: deep })).toThrow(/deeper/);
  });
});

describe('verifyResponse', () => {
  const requestId = randomUUID();
  const good = () =>
    sign(serverKey, toWireResponse({ requestId, serverId: 's', tsMs: Date.now(), ok: true, status: 'ok', result: { a: 1 }, error: null }));
  const expected = { serverKey, serverId: 's', requestId, schemas };

  it('accepts a good response and gives both views', () => {
    const response = good();
    const verified = verifyResponse(response, expected);
    expect(verified.ok).toBe(true);
    if (verified.ok) {
      expect(verified.value).toMatchObject({ requestId, serverId: 's', ok: true, status: 'ok', result: { a: 1 }, error: null });
      expect(verified.value.wire).toBe(response);
    }
  });

  it.each([
    ['schema', () => ({ ...good(), extra: 1 })],
    ['schema', () => null],
    ['signature', () => ({ ...good(), result: { a: 2 } })],
    ['signature', () => sign(clientKey, toWireResponse({ requestId, serverId: 's', tsMs: 1, ok: true, status: 'ok', result: null, error: null }))],
    ['request-id', () => sign(serverKey, toWireResponse({ requestId: 'other', serverId: 's', tsMs: 1, ok: true, status: 'ok', result: null, error: null }))],
    ['server-id', () => sign(serverKey, toWireResponse({ requestId, serverId: 'other', tsMs: 1, ok: true, status: 'ok', result: null, error: null }))],
  ])('fails with reason %s', (reason, make) => {
    const verified = verifyResponse(make(), expected);
    expect(verified.ok).toBe(false);
    if (!verified.ok) expect(verified.failure.reason).toBe(reason);
  });

  it('refuses to canonicalize a hostile nesting depth', () => {
    let deep: object = {};
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const verified = verifyResponse({ ...good(), result: deep }, expected);
    expect(verified.ok).toBe(false);
    if (!verified.ok) expect(verified.failure.reason).toBe('malformed');
  });
});

describe('verifyResponse against the clock', () => {
  const requestId = randomUUID();
  const dated = (tsMs: number) => sign(serverKey, toWireResponse({ requestId, serverId: 's', tsMs, ok: true, status: 'ok', result: null, error: null }));

  it('accepts ts_ms up to maxSkewMs either side of the client clock, 300000 ms by default', () => {
    const nowMs = 1_800_000_000_000;
    for (const tsMs of [nowMs - 300_000, nowMs + 300_000]) expect(verifyResponse(dated(tsMs), { serverKey, serverId: 's', requestId, nowMs, schemas }).ok).toBe(true);
    for (const tsMs of [nowMs - 300_001, nowMs + 300_001]) {
      const verified = verifyResponse(dated(tsMs), { serverKey, serverId: 's', requestId, nowMs, schemas });
      expect(!verified.ok && verified.failure.reason).toBe('stale');
    }
    const narrow = verifyResponse(dated(nowMs - 1_001), { serverKey, serverId: 's', requestId, nowMs, maxSkewMs: 1_000, schemas });
    expect(!narrow.ok && narrow.failure.reason).toBe('stale');
  });
});

describe('verifyErrorAnswer', () => {
  const requestId = randomUUID();
  const expected = { serverKey, serverId: 's', requestId, schemas };
  const signedError = (fields: { ok?: boolean; status?: 'error' | 'ok'; error?: string | null } = {}) =>
    sign(serverKey, toWireResponse({ requestId, serverId: 's', tsMs: Date.now(), ok: false, status: 'error', result: null, error: 'invalid arguments: /x must be number', ...fields }));

  it('verifies a post-authentication error by its signed response and takes the message from it', () => {
    const answer = verifyErrorAnswer({ code: -32011, message: 'whatever was sent', data: { errors: [], response: signedError() } }, expected);
    expect(answer.ok && answer.value).toMatchObject({ code: -32011, message: 'invalid arguments: /x must be number', verified: true });
    // -32013 and -32603 are verified the same way when they carry a signed response.
    const limit = verifyErrorAnswer({ code: -32013, message: 'x', data: { response: signedError({ error: 'limit exceeded' }) } }, expected);
    expect(limit.ok && limit.value).toMatchObject({ message: 'limit exceeded', verified: true });
  });

  it.each([-32010, -32011, -32012, -32014])('refuses %i without a signed response', (code) => {
    const answer = verifyErrorAnswer({ code, message: 'forged', data: { detail: 'forged' } }, expected);
    expect(!answer.ok && answer.failure.reason).toBe('unsigned');
  });

  it.each([-32700, -32600, -32601, -32602, -32001, -32002, -32003, -32004, -32013, -32603])('passes %i without a signed response as unverified', (code) => {
    const answer = verifyErrorAnswer({ code, message: 'text', data: { x: 1 } }, expected);
    expect(answer.ok && answer.value).toEqual({ code, message: 'text', data: { x: 1 }, verified: false });
  });

  it('refuses a signed response that is not an error, or that comes with a code answered before authentication', () => {
    const success = verifyErrorAnswer({ code: -32014, message: 'x', data: { response: signedError({ ok: true, status: 'ok', error: null }) } }, expected);
    expect(!success.ok && success.failure.reason).toBe('error-code');
    const relabelled = verifyErrorAnswer({ code: -32001, message: 'x', data: { response: signedError() } }, expected);
    expect(!relabelled.ok && relabelled.failure.reason).toBe('error-code');
  });

  it('refuses a data.response that does not verify, whatever the code', () => {
    const forged = { ...signedError(), error: 'forged' };
    for (const code of [-32014, -32001]) {
      const answer = verifyErrorAnswer({ code, message: 'x', data: { response: forged } }, expected);
      expect(!answer.ok && answer.failure.reason).toBe('signature');
    }
  });
});

describe('verifyJobStatus', () => {
  const status = (clientId: string, serverId = 's') =>
    sign(serverKey, toWireJobStatus({ jobId: 'j', requestId: 'r', clientId, serverId, tsMs: 1, seq: 1, status: 'running', progress: 0.5 }));
  const expected = { serverKey, serverId: 's', clientId: 'me', schemas };

  it('accepts a status for our client', () => {
    const verified = verifyJobStatus(status('me'), expected);
    expect(verified.ok && verified.value).toMatchObject({ jobId: 'j', seq: 1, progress: 0.5 });
  });

  it("refuses another client's status and another server's", () => {
    const other = verifyJobStatus(status('you'), expected);
    expect(!other.ok && other.failure.reason).toBe('client-id');
    const server = verifyJobStatus(status('me', 'x'), expected);
    expect(!server.ok && server.failure.reason).toBe('server-id');
  });
});

describe('resolveCredentials', () => {
  const document = {
    server: { id: 'srv', secret: `hex:${'11'.repeat(32)}` },
    clients: { first: { secrets: [`hex:${'22'.repeat(32)}`] }, second: { secrets: [`base64:${Buffer.alloc(32, 3).toString('base64')}`] } },
  };

  it("defaults to the keyring's first client", () => {
    expect(resolveCredentials({ keyring: document }, schemas)).toMatchObject({ clientId: 'first', serverId: 'srv' });
    expect(resolveCredentials({ keyring: document, clientId: 'second' }, schemas).clientId).toBe('second');
  });

  it('refuses an unknown client, a short secret and a bad keyring', () => {
    expect(() => resolveCredentials({ keyring: document, clientId: 'nobody' }, schemas)).toThrow(KeyringError);
    expect(() => resolveCredentials({ clientId: 'a', clientSecret: 'short', serverId: 's', serverSecret: new Uint8Array(32) }, schemas)).toThrow(/at least 16 bytes/);
    expect(() => resolveCredentials({ clientId: 'a', clientSecret: new Uint8Array(8), serverId: 's', serverSecret: new Uint8Array(32) }, schemas)).toThrow(/at least 16 bytes/);
    expect(() => resolveCredentials({ keyring: { server: { id: 's', secret: 'x' }, clients: {} } }, schemas)).toThrow(KeyringError);
    expect(() => resolveCredentials({ keysFile: '/nonexistent/keys.json' }, schemas)).toThrow(/cannot read keyring file/);
  });

  it("refuses a client secret equal to the server's, in any form, without showing it", () => {
    const secret = `hex:${'44'.repeat(32)}`;
    const sameBytes = new Uint8Array(32).fill(0x44);
    for (const clientSecret of [secret, sameBytes]) {
      const attempt = () => resolveCredentials({ clientId: 'a', clientSecret, serverId: 's', serverSecret: secret }, schemas);
      expect(attempt).toThrow(KeyringError);
      expect(attempt).toThrow(/clientSecret is the server's secret/);
      expect(attempt).not.toThrow(/44/);
    }
    const shared = { ...document, clients: { first: { secrets: [document.server.secret] } } };
    expect(() => resolveCredentials({ keyring: shared }, schemas)).toThrow(/has the server's secret/);
  });
});
