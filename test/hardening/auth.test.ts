/**
 * Authentication under load: replays of many valid calls are all caught, and
 * floods of calls that fail authentication (or the server, freshness checks)
 * leave nothing behind in the replay cache.
 */
import { MemoryReplayStore } from '../../src/server/replayStore';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { ServerProcess } from '../support/serverProcess';
import { InProcessServer, signEnvelope, until, writeWithBackpressure } from './harness';

jest.setTimeout(120_000);

const CALLS = Number(process.env.TOOLSEAL_AUTH_CALLS ?? 10_000);

let keys: TestKeys;
beforeAll(() => {
  keys = makeTestKeys();
});

describe('replays under load (spawned server)', () => {
  it(`answers ${CALLS} distinct valid calls, then -32003 to every one of the same ${CALLS} lines sent again`, async () => {
    const server = new ServerProcess(keys);
    try {
      const lines = Array.from({ length: CALLS }, (_, i) =>
        JSON.stringify({ jsonrpc: '2.0', id: i, method: 'call', params: server.envelope('batch_sum', { numbers: [i, 0.5] }) }) + '\n',
      );
      const answers = () => server.messages.filter((m) => typeof m.id === 'number');

      expect((await writeWithBackpressure(server.child.stdin, lines)).written).toBe(CALLS);
      await until(() => answers().length >= CALLS, 'the first answers', 60_000);
      expect(answers().every((m) => m.result?.ok === true)).toBe(true);

      // The very same bytes again: every one is a replay, whatever its JSON-RPC id.
      expect((await writeWithBackpressure(server.child.stdin, lines)).written).toBe(CALLS);
      await until(() => answers().length >= 2 * CALLS, 'the replay answers', 60_000);
      server.end();
      expect(await server.exited).toEqual({ code: 0, signal: null });

      const byId = new Map<number, any[]>();
      for (const m of answers()) byId.set(m.id as number, [...(byId.get(m.id as number) ?? []), m]);
      expect(byId.size).toBe(CALLS);
      for (const [i, [first, replay]] of byId) {
        expect(first.result.result).toEqual({ count: 2, total: i + 0.5 });
        expect(replay.error).toEqual({ code: -32003, message: 'replayed nonce' });
      }
      expect(server.violations).toEqual([]);
    } finally {
      server.kill();
    }
  });

  it('a replay sent right behind its original (under a new JSON-RPC id) loses: exactly one of each pair succeeds', async () => {
    const server = new ServerProcess(keys);
    try {
      const pairs = 1_000;
      const lines: string[] = [];
      for (let i = 0; i < pairs; i++) {
        const envelope = server.envelope('server_identity');
        lines.push(JSON.stringify({ jsonrpc: '2.0', id: `a-${i}`, method: 'call', params: envelope }) + '\n');
        lines.push(JSON.stringify({ jsonrpc: '2.0', id: `b-${i}`, method: 'call', params: envelope }) + '\n');
      }
      await writeWithBackpressure(server.child.stdin, lines);
      server.end();
      expect(await server.exited).toEqual({ code: 0, signal: null });
      for (let i = 0; i < pairs; i++) {
        const pair = server.messages.filter((m) => m.id === `a-${i}` || m.id === `b-${i}`);
        expect(pair).toHaveLength(2);
        expect(pair.filter((m) => m.result?.ok === true)).toHaveLength(1);
        expect(pair.filter((m) => m.error?.code === -32003)).toHaveLength(1);
      }
    } finally {
      server.kill();
    }
  });
});

describe('floods that fail authentication do not grow the replay cache (in process)', () => {
  /** Sends `count` calls built by `make` and resolves with their answers. */
  async function flood(server: InProcessServer, count: number, make: (i: number) => Record<string, unknown>): Promise<any[]> {
    const before = server.messages.length;
    for (let i = 0; i < count; i++) server.send({ jsonrpc: '2.0', id: `flood-${before}-${i}`, method: 'call', params: make(i) });
    await until(() => server.messages.length >= before + count, `${count} answers`, 60_000);
    return server.messages.slice(before);
  }

  it(`${CALLS} calls with bad signatures, unknown clients, wrong server ids or stale timestamps leave the cache empty`, async () => {
    const replay = new MemoryReplayStore(1_000_000);
    const server = new InProcessServer(keys, { replayStore: replay });
    try {
      const forged = await flood(server, CALLS, (i) => {
        const envelope = signEnvelope(keys, 'server_identity');
        const signature = envelope.signature as string;
        // Flip one hex digit, at a different place each time.
        const at = i % 64;
        envelope.signature = signature.slice(0, at) + (signature[at] === '0' ? '1' : '0') + signature.slice(at + 1);
        return envelope;
      });
      expect(forged.every((m) => m.error?.code === -32001)).toBe(true);
      expect(await replay.size()).toBe(0);

      const wrongKey = await flood(server, 1_000, () => signEnvelope(keys, 'server_identity', undefined, { secret: keys.clients.bob![0] }));
      const unknownClient = await flood(server, 1_000, () => signEnvelope(keys, 'server_identity', undefined, { clientId: 'alice', fields: { client_id: 'mallory' } }));
      expect([...wrongKey, ...unknownClient].every((m) => m.error?.code === -32001)).toBe(true);
      expect(await replay.size()).toBe(0);

      // Steps 3 and 4 fail after the signature passed: the nonce is still not recorded (docs/protocol.md section 7).
      const wrongServer = await flood(server, 1_000, () => signEnvelope(keys, 'server_identity', undefined, { fields: { server_id: 'another-server' } }));
      const stale = await flood(server, 1_000, () => signEnvelope(keys, 'server_identity', undefined, { fields: { ts_ms: Date.now() - 3_600_000 } }));
      expect(wrongServer.every((m) => m.error?.code === -32004)).toBe(true);
      expect(stale.every((m) => m.error?.code === -32002)).toBe(true);
      expect(await replay.size()).toBe(0);

      // Only calls that pass steps 1-4 are remembered, whatever happens after (here: an unknown tool).
      const valid = await flood(server, 100, (i) => signEnvelope(keys, i % 2 === 0 ? 'server_identity' : 'no_such_tool', {}));
      expect(valid.filter((m) => m.result?.ok === true)).toHaveLength(50);
      expect(valid.filter((m) => m.error?.code === -32010)).toHaveLength(50);
      expect(await replay.size()).toBe(100);
    } finally {
      await server.close();
    }
  });
});
