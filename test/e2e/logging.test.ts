/**
 * What an operator reads on stderr: one line per call at debug, every
 * refused call at info, and never a secret, a signature or argument values.
 */
import { makeTestKeys, type TestKeys } from '../support/keys';
import { ServerProcess } from '../support/serverProcess';

type LogLine = Record<string, unknown> & { level: string; event: string };

let keys: TestKeys;

beforeAll(() => {
  keys = makeTestKeys();
});

/** The JSON log lines of stderr (start-up lines in other formats are skipped). */
function logLines(server: ServerProcess): LogLine[] {
  return server.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Every secret and signature of the run, and an argument value, must be absent from stderr. */
function expectNothingSecret(server: ServerProcess, signatures: string[], argValues: string[]): void {
  const secrets = [keys.serverSecret, ...Object.values(keys.clients).flat()].map((s) => s.replace(/^hex:/, ''));
  for (const needle of [...secrets, ...signatures, ...argValues]) expect(server.stderr).not.toContain(needle);
}

describe('--log-level debug', () => {
  it('writes one line per call: client, tool, request_id, outcome code, duration', async () => {
    const server = new ServerProcess(keys, ['--log-level', 'debug']);
    const ok = server.envelope('batch_sum', { numbers: [4242.4242, 1] });
    const okReply = await server.request('call', ok);
    expect(okReply.result?.ok).toBe(true);
    const bad = server.envelope('batch_sum', { numbers: 'not-numbers-7777' } as never);
    expect((await server.request('call', bad)).error?.code).toBe(-32011);
    server.end();
    expect(await server.exited).toEqual({ code: 0, signal: null });

    const calls = logLines(server).filter((line) => line.event === 'call');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ level: 'debug', client_id: 'alice', tool: 'batch_sum', request_id: ok.request_id, code: 0 });
    expect(calls[1]).toMatchObject({ level: 'debug', client_id: 'alice', tool: 'batch_sum', request_id: bad.request_id, code: -32011 });
    for (const line of calls) expect(typeof line.duration_ms).toBe('number');
    expectNothingSecret(server, [ok.signature as string, bad.signature as string], ['4242.4242', 'not-numbers-7777']);
  });

  it('writes the same line for an MCP tools/call, marked via mcp', async () => {
    const server = new ServerProcess(keys, ['--log-level', 'debug']);
    await server.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'log-test', version: '1' } });
    const args = { numbers: [5151.5] };
    const signed = server.envelope('batch_sum', args);
    const reply = await server.request('tools/call', { name: 'batch_sum', arguments: args, _meta: { 'toolseal/envelope': signed } });
    expect(reply.result.structuredContent).toEqual({ count: 1, total: 5151.5 });
    server.end();
    await server.exited;
    const calls = logLines(server).filter((line) => line.event === 'call');
    expect(calls).toEqual([expect.objectContaining({ level: 'debug', client_id: 'alice', tool: 'batch_sum', request_id: signed.request_id, code: 0, via: 'mcp' })]);
    expectNothingSecret(server, [signed.signature as string], ['5151.5']);
  });
});

describe('--log-level info', () => {
  it('logs every refused call with its request_id, client and reason, and no per-call line', async () => {
    const server = new ServerProcess(keys, ['--log-level', 'info']);
    const sent: Array<Record<string, unknown>> = [];
    const send = async (envelope: Record<string, unknown>) => {
      sent.push(envelope);
      return server.request('call', envelope);
    };
    const args = { numbers: [31337.5] };
    // Bad signature: signed with bob's secret as alice.
    expect((await send(server.envelope('batch_sum', args, { secret: keys.clients.bob![0] }))).error?.code).toBe(-32001);
    expect((await send(server.envelope('batch_sum', args, { clientId: 'nobody' }))).error?.code).toBe(-32001);
    expect((await send(server.envelope('batch_sum', args, { fields: { ts_ms: Date.now() - 3_600_000 } }))).error?.code).toBe(-32002);
    expect((await send(server.envelope('batch_sum', args, { fields: { server_id: 'another-server' } }))).error?.code).toBe(-32004);
    const once = server.envelope('batch_sum', args);
    expect((await send(once)).result?.ok).toBe(true);
    expect((await send(once)).error?.code).toBe(-32003);
    server.end();
    expect(await server.exited).toEqual({ code: 0, signal: null });

    const refused = logLines(server).filter((line) => line.event === 'call_refused');
    expect(refused.map((line) => [line.level, line.reason, line.client_id, line.request_id])).toEqual([
      ['info', 'bad_signature', 'alice', sent[0]!.request_id],
      ['info', 'unknown_client', 'nobody', sent[1]!.request_id],
      ['info', 'stale', 'alice', sent[2]!.request_id],
      ['info', 'wrong_server', 'alice', sent[3]!.request_id],
      ['info', 'replay', 'alice', once.request_id],
    ]);
    expect(logLines(server).filter((line) => line.event === 'call')).toEqual([]);
    expectNothingSecret(server, sent.map((e) => e.signature as string), ['31337.5']);
  });
});

describe('--log-level warn (the default)', () => {
  it('says nothing about calls, refused or not', async () => {
    const server = new ServerProcess(keys);
    expect((await server.call('server_identity')).result?.ok).toBe(true);
    expect((await server.call('server_identity', undefined, { clientId: 'nobody' })).error?.code).toBe(-32001);
    server.end();
    await server.exited;
    expect(logLines(server).filter((line) => line.event === 'call' || line.event === 'call_refused')).toEqual([]);
  });
});
