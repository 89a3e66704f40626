/**
 * The boundaries of the signed text, at the line level: what a line with
 * duplicate keys or a non-canonical number spelling means to the server.
 */
import { randomUUID } from 'node:crypto';
import { canonicalize } from '../../src/protocol/canonical';
import { HmacKey } from '../../src/protocol/hmacKey';
import { decodeSecret } from '../../src/protocol/keyring';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { failTestsOnProtocolViolations, ServerProcess, type JsonRpcMessage } from '../support/serverProcess';

let keys: TestKeys;
let server: ServerProcess;

beforeAll(() => {
  keys = makeTestKeys();
  server = new ServerProcess(keys);
});

failTestsOnProtocolViolations(() => server);

afterAll(() => server?.kill());

/** Sends `method` with `params` as a line, after `edit` rewrote its JSON text; resolves with the answer. */
async function sendEdited(method: string, params: unknown, edit: (line: string) => string): Promise<JsonRpcMessage> {
  const id = randomUUID();
  const line = JSON.stringify({ jsonrpc: '2.0', id, method, params });
  const edited = edit(line);
  expect(edited).not.toBe(line);
  server.write(edited + '\n');
  return server.waitFor((m) => m.id === id && m.method === undefined);
}

/** Replaces the one occurrence of `from` in `text`. */
function replaceOnce(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

describe('duplicate keys in a call are refused (I-JSON, RFC 7493)', () => {
  it('a second "tool" member: -32602 naming the key, though the last one carries a valid signature', async () => {
    const envelope = server.envelope('server_identity');
    const reply = await sendEdited('call', envelope, (line) => replaceOnce(line, '"tool":', '"tool":"batch_sum","tool":'));
    expect(reply.error?.code).toBe(-32602);
    expect(reply.error?.data.errors).toEqual([{ path: '/', message: 'duplicate key "tool"' }]);
  });

  it('a second "signature" member', async () => {
    const envelope = server.envelope('server_identity');
    const reply = await sendEdited('call', envelope, (line) => replaceOnce(line, '"signature":', `"signature":"${'0'.repeat(64)}","signature":`));
    expect(reply.error?.code).toBe(-32602);
    expect(reply.error?.data.errors).toEqual([{ path: '/', message: 'duplicate key "signature"' }]);
  });

  it('a duplicate deep in args, spelled differently (an escape): the path points at the object holding it', async () => {
    const envelope = server.envelope('batch_sum', { numbers: [1, 2], opts: { a: { x: 1 } } });
    const reply = await sendEdited('call', envelope, (line) => replaceOnce(line, '"x":1', '"x":1,"\\u0078":1'));
    expect(reply.error?.code).toBe(-32602);
    expect(reply.error?.data.errors).toEqual([{ path: '/args/opts/a', message: 'duplicate key "x"' }]);
  });

  it('a duplicate top-level member of the message: -32600', async () => {
    const envelope = server.envelope('server_identity');
    const reply = await sendEdited('call', envelope, (line) => replaceOnce(line, '"method":', '"method":"nothing","method":'));
    expect(reply.error).toEqual({ code: -32600, message: 'Invalid Request: duplicate key "method"' });
  });

  it('the same keys in sibling objects and colons inside strings are fine', async () => {
    const reply = await server.call('list_tools', {});
    expect(reply.result?.ok).toBe(true);
    const quoted = await server.call('server_identity', undefined, { fields: { nonce: `a":"b\\":1,"c":{"d":"${randomUUID()}` } });
    expect(quoted.result?.ok).toBe(true);
  });

  it('the server keeps serving', async () => {
    expect((await server.call('server_identity')).result?.ok).toBe(true);
  });
});

describe('numbers keep RFC 8785 double semantics', () => {
  it('9007199254740993 is read as the double 9007199254740992 and verifies as it', async () => {
    // A signer that canonicalizes with doubles writes 9007199254740992; the
    // line spells the integer exactly. Both are the same double.
    const envelope = server.envelope('batch_sum', { numbers: [9007199254740992, 1] });
    const reply = await sendEdited('call', envelope, (line) => replaceOnce(line, '9007199254740992', '9007199254740993'));
    expect(reply.result?.ok).toBe(true);
    expect(reply.result.result.total).toBe(9007199254740992 + 1);
  });

  it('1E30 verifies as 1e+30, its canonical spelling', async () => {
    const envelope = server.envelope('batch_sum', { numbers: [1e30] });
    const reply = await sendEdited('call', envelope, (line) => replaceOnce(line, '1e+30', '1E30'));
    expect(reply.result?.ok).toBe(true);
    expect(reply.result.result.total).toBe(1e30);
  });

  it('a signer that kept the big integer exact gets -32001', async () => {
    // It signed the bytes "9007199254740993", which is not what RFC 8785 makes of that value.
    const envelope = server.envelope('batch_sum', { numbers: [9007199254740992] });
    const { signature: _dropped, ...unsigned } = envelope;
    const exactText = replaceOnce(canonicalize(unsigned), '9007199254740992', '9007199254740993');
    const signature = new HmacKey(decodeSecret(keys.clients.alice![0]!, 'alice')).macHex(exactText);
    const reply = await sendEdited('call', { ...unsigned, signature }, (line) => replaceOnce(line, '9007199254740992', '9007199254740993'));
    expect(reply.error?.code).toBe(-32001);
  });
});

describe('a call sent as its signer wrote it (canonical text, signature last) gets every check of any other spelling', () => {
  const alice = (): HmacKey => new HmacKey(decodeSecret(keys.clients.alice![0]!, 'alice'));

  /** Sends the envelope with these members as a signer writes it: RFC 8785 text, then the signature (the MAC of that text unless given). */
  async function sendCanonical(members: Record<string, unknown>, signatureOf: (mac: string) => string = (mac) => mac): Promise<JsonRpcMessage> {
    const unsigned = { v: 'mcp/0.1', request_id: randomUUID(), ts_ms: Date.now(), client_id: 'alice', server_id: keys.serverId, nonce: randomUUID(), ...members };
    const text = canonicalize(unsigned);
    const id = randomUUID();
    server.write(`{"jsonrpc":"2.0","id":"${id}","method":"call","params":${text.slice(0, -1)},"signature":"${signatureOf(alice().macHex(text))}"}}\n`);
    return server.waitFor((m) => m.id === id && m.method === undefined);
  }

  /** `levels` objects nested in one another, the outermost included. */
  const nested = (levels: number): Record<string, unknown> => {
    let value: Record<string, unknown> = {};
    for (let i = 1; i < levels; i++) value = { a: value };
    return value;
  };

  it('answered', async () => {
    const reply = await sendCanonical({ tool: 'batch_sum', args: { numbers: [1.5, 2] } });
    expect(reply.result?.result).toEqual({ count: 2, total: 3.5 });
  });

  it('a signature that is the MAC in upper case: -32602 for its pattern, as for any spelling', async () => {
    const reply = await sendCanonical({ tool: 'server_identity' }, (mac) => mac.toUpperCase());
    expect(reply.error?.code).toBe(-32602);
    expect(reply.error?.data.errors).toEqual([{ path: '/signature', message: 'must match pattern "^[0-9a-f]{64}$"' }]);
  });

  it('a wrong signature of the right pattern: -32001', async () => {
    const reply = await sendCanonical({ tool: 'server_identity' }, (mac) => (mac[0] === '0' ? '1' : '0') + mac.slice(1));
    expect(reply.error?.code).toBe(-32001);
  });

  it('a toJSON member, signed: -32602, as inspectJsonValue finds it', async () => {
    const reply = await sendCanonical({ tool: 'batch_sum', args: { numbers: [1], toJSON: 1 } });
    expect(reply.error?.code).toBe(-32602);
    expect(reply.error?.data.errors).toEqual([{ path: '/args/toJSON', message: 'a member named toJSON must be null: it cannot be canonicalized portably' }]);
  });

  it('nesting: 64 levels reach the tool (which refuses the extra member), 65 are -32602', async () => {
    // params 1, args 2, extra 3..64.
    const atLimit = await sendCanonical({ tool: 'batch_sum', args: { numbers: [1], extra: nested(62) } });
    expect(atLimit.error?.code).toBe(-32011);
    const tooDeep = await sendCanonical({ tool: 'batch_sum', args: { numbers: [1], extra: nested(63) } });
    expect(tooDeep.error?.code).toBe(-32602);
    expect(tooDeep.error?.data.errors[0].message).toMatch(/deeper than 64/);
  });
});

// Last: it closes the server the other tests share.
it('exits 0 when its input ends', async () => {
  expect(await server.close()).toEqual({ code: 0, signal: null });
});
