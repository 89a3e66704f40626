import { PassThrough } from 'node:stream';
import { createMessageConnection, RAL, type MessageConnection } from 'vscode-jsonrpc/node';
import { installBurstDispatch, NewlineMessageReader, NewlineMessageWriter, uninstallBurstDispatch } from '../../src/transport';

/**
 * A server connection whose `echo` handler records, for each request, the
 * event-loop turn it ran in (a ticker counts turns with setImmediate), and
 * a client connection to it.
 */
function echoPair() {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createMessageConnection(new NewlineMessageReader(toServer, { maxLineBytes: 1 << 20 }), new NewlineMessageWriter(toClient));
  const client = createMessageConnection(new NewlineMessageReader(toClient, { maxLineBytes: 1 << 20 }), new NewlineMessageWriter(toServer));
  let turn = 0;
  let ticker: NodeJS.Immediate | undefined;
  const tick = () => {
    turn++;
    ticker = setImmediate(tick);
  };
  const handled: Array<{ n: number; turn: number }> = [];
  server.onRequest('echo', (n: number) => {
    handled.push({ n, turn });
    return n;
  });
  server.listen();
  client.listen();
  return {
    client,
    handled,
    /** Sends `count` requests in one write, as a pipe would deliver them. */
    async sendBurst(count: number): Promise<number[]> {
      tick();
      const answers = Array.from({ length: count }, (_, n) => (client as MessageConnection).sendRequest<number>('echo', n));
      const answered = await Promise.all(answers);
      clearImmediate(ticker);
      return answered;
    },
    dispose() {
      server.dispose();
      client.dispose();
    },
  };
}

/** How many requests were handled in each turn, in order. */
function perTurn(handled: Array<{ turn: number }>): number[] {
  const counts = new Map<number, number>();
  for (const { turn } of handled) counts.set(turn, (counts.get(turn) ?? 0) + 1);
  return [...counts.values()];
}

describe('installBurstDispatch', () => {
  afterEach(() => uninstallBurstDispatch());

  it("without it, vscode-jsonrpc handles one queued message per event-loop turn", async () => {
    const pair = echoPair();
    expect(await pair.sendBurst(20)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(perTurn(pair.handled).every((count) => count === 1)).toBe(true);
    pair.dispose();
  });

  it('handles queued messages back to back, in order, at most maxBurst (+1 after a yield) per turn', async () => {
    installBurstDispatch({ maxBurst: 8 });
    const pair = echoPair();
    expect(await pair.sendBurst(100)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect(pair.handled.map((h) => h.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    const counts = perTurn(pair.handled);
    // Bursts, not one per turn: a regression to per-turn dispatch (or a
    // vscode-jsonrpc that stops scheduling through RAL) fails here.
    expect(counts.length).toBeLessThan(20);
    // Other work (the ticker) still gets a turn between bursts.
    expect(counts.length).toBeGreaterThanOrEqual(Math.ceil(100 / 9));
    expect(Math.max(...counts)).toBeLessThanOrEqual(9);
    pair.dispose();
  });

  it('maxBurst 0 keeps one message per turn, and uninstall restores vscode-jsonrpc\'s own scheduling', async () => {
    const own = RAL().timer.setImmediate;
    installBurstDispatch({ maxBurst: 4 });
    expect(RAL().timer.setImmediate).not.toBe(own);
    installBurstDispatch({ maxBurst: 0 });
    expect(RAL().timer.setImmediate).toBe(own);
    const pair = echoPair();
    await pair.sendBurst(10);
    expect(perTurn(pair.handled).every((count) => count === 1)).toBe(true);
    pair.dispose();
    installBurstDispatch();
    uninstallBurstDispatch();
    expect(RAL().timer.setImmediate).toBe(own);
  });

  it('rejects a negative or fractional maxBurst', () => {
    expect(() => installBurstDispatch({ maxBurst: -1 })).toThrow(RangeError);
    expect(() => installBurstDispatch({ maxBurst: 1.5 })).toThrow(RangeError);
  });

  it('a disposed (cancelled) callback does not run', async () => {
    installBurstDispatch();
    const ran: string[] = [];
    RAL().timer.setImmediate(() => ran.push('kept'));
    RAL().timer.setImmediate(() => ran.push('disposed')).dispose();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(['kept']);
  });
});
