import { makeTestKeys } from '../support/keys';
import { ServerProcess, type JsonRpcMessage } from '../support/serverProcess';

/**
 * One client's flood must answer that client -32013 and leave the others
 * room, with the default settings: job slots, what jobs keep in memory, and
 * (with a small share set on the command line) the replay cache.
 */
describe('limits shared fairly between clients', () => {
  const keys = makeTestKeys();
  const servers: ServerProcess[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      expect(server.violations).toEqual([]);
    }
  });

  function serve(args: string[] = []): ServerProcess {
    const server = new ServerProcess(keys, args);
    servers.push(server);
    return server;
  }

  /** Sends `count` calls from `clientId` at once and resolves with their answers. */
  async function burst(server: ServerProcess, clientId: string, count: number, args: Record<string, unknown>): Promise<JsonRpcMessage[]> {
    const ids = Array.from({ length: count }, (_, i) => `${clientId}-${Date.now()}-${i}-${Math.random()}`);
    server.write(ids.map((id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'call', params: server.envelope('start_long_task', args, { clientId }) }) + '\n').join(''));
    // One scan of the new messages per wake-up (thousands of job notifications arrive meanwhile).
    const wanted = new Map<unknown, JsonRpcMessage | undefined>(ids.map((id) => [id, undefined]));
    let found = 0;
    let cursor = 0;
    const scan = (): boolean => {
      for (; cursor < server.messages.length; cursor++) {
        const m = server.messages[cursor]!;
        if (m.method === undefined && wanted.has(m.id) && wanted.get(m.id) === undefined) {
          wanted.set(m.id, m);
          found++;
        }
      }
      return found === ids.length;
    };
    await server.waitFor(scan, 60_000);
    return ids.map((id) => wanted.get(id)!);
  }

  it('with defaults, a client that starts jobs until it is refused leaves room for another client', async () => {
    const server = serve();
    let accepted = 0;
    let refused: JsonRpcMessage | undefined;
    while (refused === undefined && accepted <= 10_000) {
      const answers = await burst(server, 'alice', 500, { seconds: 20 });
      accepted += answers.filter((m) => m.result?.status === 'accepted').length;
      refused = answers.find((m) => m.error !== undefined);
    }
    expect(refused?.error).toMatchObject({ code: -32013, message: expect.stringMatching(/per client/) });
    expect(accepted).toBeLessThan(10_000);
    const bob = await server.call('start_long_task', { seconds: 20 }, { clientId: 'bob' });
    expect(bob.result?.status).toBe('accepted');
  }, 120_000);

  it('with defaults, jobs keeping large parsed payloads are refused -32013 per client instead of growing memory', async () => {
    const server = serve();
    // About 600 KB on the wire, many times that once parsed.
    const payload = { items: Array.from({ length: 200_000 }, () => ({})) };
    const answers: JsonRpcMessage[] = [];
    for (let i = 0; i < 12 && !answers.some((m) => m.error); i++) answers.push(...(await burst(server, 'alice', 1, { seconds: 20, payload })));
    const refused = answers.find((m) => m.error);
    expect(refused?.error).toMatchObject({ code: -32013, message: expect.stringMatching(/bytes per client/) });
    expect(refused?.error?.data.response).toMatchObject({ ok: false, status: 'error' });
    const [bob] = await burst(server, 'bob', 1, { seconds: 20, payload });
    expect(bob!.result?.status).toBe('accepted');
  }, 120_000);

  it("gives each client its share of the replay cache (--max-replay-entries-per-client)", async () => {
    const server = serve(['--max-replay-entries-per-client', '3']);
    for (let i = 0; i < 3; i++) expect((await server.call('server_identity')).result?.ok).toBe(true);
    const refused = await server.call('server_identity');
    expect(refused.error).toMatchObject({ code: -32013, message: expect.stringMatching(/replay cache/) });
    expect((await server.call('server_identity', undefined, { clientId: 'bob' })).result?.ok).toBe(true);
  });
});
