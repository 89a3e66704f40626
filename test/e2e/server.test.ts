import { makeTestKeys, type TestKeys } from '../support/keys';
import { failTestsOnProtocolViolations, ServerProcess } from '../support/serverProcess';

let keys: TestKeys;
let server: ServerProcess;

beforeAll(() => {
  keys = makeTestKeys();
  server = new ServerProcess(keys);
});

failTestsOnProtocolViolations(() => server);

afterAll(() => server?.kill());

describe('tools', () => {
  it('server_identity answers a signed ok with a keyed 16-hex fingerprint and the capabilities', async () => {
    const reply = await server.call('server_identity');
    const response = reply.result;
    expect(response).toMatchObject({ v: 'mcp/0.1', ok: true, status: 'ok', server_id: keys.serverId, error: null });
    expect(response.result.server_id).toBe(keys.serverId);
    expect(response.result.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(keys.serverSecret).not.toContain(response.result.fingerprint);
    expect(response.result.capabilities).toEqual({ async: true, stateless: true, notifications: true, protocol: 'mcp/0.1' });
  });

  it('list_tools lists all six tools with their schemas', async () => {
    const { result } = await server.call('list_tools', {});
    const names = result.result.tools.map((t: { name: string }) => t.name).sort();
    expect(names).toEqual(['batch_sum', 'cancel_job', 'list_tools', 'poll_job', 'server_identity', 'start_long_task']);
    const sum = result.result.tools.find((t: { name: string }) => t.name === 'batch_sum');
    expect(sum.input_schema).toMatchObject({ type: 'object', additionalProperties: false, required: ['numbers'] });
    expect(sum.async).toBe(false);
    expect(result.result.tools.find((t: { name: string }) => t.name === 'start_long_task').async).toBe(true);
  });

  it('batch_sum returns the correctly rounded sum', async () => {
    expect((await server.call('batch_sum', { numbers: [1, 2, 3] })).result.result).toEqual({ count: 3, total: 6 });
    expect((await server.call('batch_sum', { numbers: [1e16, 1, -1e16] })).result.result.total).toBe(1);
    expect((await server.call('batch_sum', { numbers: Array(10).fill(0.1) })).result.result.total).toBe(1);
  });

  it('batch_sum with a non-finite sum is -32011 with a signed error response', async () => {
    const reply = await server.call('batch_sum', { numbers: [1.7976931348623157e308, 1.7976931348623157e308] });
    expect(reply.error?.code).toBe(-32011);
    expect(reply.error?.data.errors).toEqual([{ path: '/numbers', message: 'the sum is not a finite number' }]);
    expect(reply.error?.data.response).toMatchObject({ ok: false, status: 'error', result: null });
  });

  it('accepts a call signed with a client\'s second (rotated) secret', async () => {
    const reply = await server.call('server_identity', undefined, { secret: keys.clients.alice![1] });
    expect(reply.result.ok).toBe(true);
  });
});

describe('errors in the order of docs/protocol.md section 6', () => {
  it('-32602 for params that are not a valid envelope, with data.errors', async () => {
    const reply = await server.request('call', { v: 'mcp/0.1' });
    expect(reply.error).toEqual({ code: -32602, message: 'Invalid params', data: { errors: [{ path: '/', message: "must have required property 'request_id'" }] } });
    const extra = await server.request('call', { ...server.envelope('server_identity'), extra: 1 });
    expect(extra.error).toEqual({ code: -32602, message: 'Invalid params', data: { errors: [{ path: '/', message: "must NOT have additional properties: 'extra'" }] } });
    expect((await server.request('call', [1, 2])).error).toEqual({ code: -32602, message: 'Invalid params', data: { errors: [{ path: '/', message: 'must be object' }] } });
  });

  it('-32602 for params nested deeper than 64 levels', async () => {
    let deep: unknown = {};
    for (let i = 0; i < 70; i++) deep = { a: deep };
    const reply = await server.request('call', { ...server.envelope('batch_sum'), args: deep });
    expect(reply.error?.code).toBe(-32602);
    expect(reply.error?.data.errors).toEqual([{ path: `/args${'/a'.repeat(63)}`, message: 'must not nest deeper than 64 levels' }]);
  });

  it('-32001 for an unknown client and for a bad signature, the same answer', async () => {
    const unknown = await server.call('server_identity', undefined, { clientId: 'mallory' });
    const forged = await server.call('server_identity', undefined, { secret: keys.clients.bob![0] });
    expect(unknown.error).toEqual({ code: -32001, message: 'unauthenticated' });
    expect(forged.error).toEqual(unknown.error);
  });

  it('-32001 when args are added after signing (signed without args)', async () => {
    const envelope = server.envelope('server_identity');
    const reply = await server.request('call', { ...envelope, args: {} });
    expect(reply.error?.code).toBe(-32001);
  });

  it('-32004 for another server_id', async () => {
    const reply = await server.call('server_identity', undefined, { fields: { server_id: 'someone-else' } });
    expect(reply.error?.code).toBe(-32004);
  });

  it('-32002 for a stale or future ts_ms, with server_ts_ms and max_skew_ms', async () => {
    const stale = await server.call('server_identity', undefined, { fields: { ts_ms: Date.now() - 400_000 } });
    expect(stale.error?.code).toBe(-32002);
    expect(stale.error?.data).toEqual({ server_ts_ms: expect.any(Number), max_skew_ms: 300000 });
    const future = await server.call('server_identity', undefined, { fields: { ts_ms: Date.now() + 400_000 } });
    expect(future.error?.code).toBe(-32002);
  });

  it('-32003 for a replayed nonce, even with a new request_id', async () => {
    const envelope = server.envelope('server_identity');
    expect((await server.request('call', envelope)).result.ok).toBe(true);
    expect((await server.request('call', envelope)).error?.code).toBe(-32003);
  });

  it('records the nonce even when the call fails later (unknown tool)', async () => {
    const envelope = server.envelope('no_such_tool');
    expect((await server.request('call', envelope)).error?.code).toBe(-32010);
    expect((await server.request('call', envelope)).error?.code).toBe(-32003);
  });

  it('-32010 for an unknown tool, with a signed data.response', async () => {
    for (const tool of ['no_such_tool', '__proto__', 'constructor']) {
      const reply = await server.call(tool, {});
      expect(reply.error?.code).toBe(-32010);
      expect(reply.error?.message).toBe('unknown tool');
      expect(reply.error?.data.response).toMatchObject({ ok: false, status: 'error', error: `unknown tool "${tool}"` });
    }
  });

  it('-32011 for args that fail the input schema, with data.errors and data.response', async () => {
    const cases: Array<[string, Record<string, unknown>, Array<{ path: string; message: string }>]> = [
      ['batch_sum', {}, [{ path: '/', message: "must have required property 'numbers'" }]],
      ['batch_sum', { numbers: [] }, [{ path: '/numbers', message: 'must NOT have fewer than 1 items' }]],
      ['batch_sum', { numbers: ['1'] }, [{ path: '/numbers/0', message: 'must be number' }]],
      ['batch_sum', { numbers: [1], extra: true }, [{ path: '/', message: "must NOT have additional properties: 'extra'" }]],
      ['start_long_task', { seconds: 21 }, [{ path: '/seconds', message: 'must be <= 20' }]],
      ['start_long_task', { seconds: 1.5 }, [{ path: '/seconds', message: 'must be integer' }]],
    ];
    for (const [tool, args, errors] of cases) {
      const reply = await server.call(tool, args);
      expect({ tool, args, error: reply.error }).toEqual({
        tool,
        args,
        error: {
          code: -32011,
          message: 'invalid arguments',
          data: { errors, response: expect.objectContaining({ ok: false, status: 'error', result: null, error: `invalid arguments: ${errors[0]!.path} ${errors[0]!.message}` }) },
        },
      });
    }
  });

  it('-32012 for an unknown job id', async () => {
    const reply = await server.call('poll_job', { job_id: 'not-a-job' });
    expect(reply.error?.code).toBe(-32012);
    expect(reply.error?.data.response.ok).toBe(false);
  });
});

describe('jobs', () => {
  it('runs a whole lifecycle: accepted, running with progress, done with the payload, all signed and in seq order', async () => {
    const start = await server.call('start_long_task', { seconds: 2, payload: { task: 'demo' } });
    expect(start.result).toMatchObject({ ok: true, status: 'accepted' });
    const { job_id: jobId, poll_interval_ms: pollInterval } = start.result.result;
    expect(pollInterval).toBe(1000); // the default
    const running = await server.call('poll_job', { job_id: jobId });
    expect(running.result).toMatchObject({ ok: true, status: 'running', result: null });

    const statuses = await server.waitForJobEnd(jobId);
    expect(statuses.map((s) => s.seq)).toEqual(statuses.map((_, i) => i + 1));
    expect(statuses[0]).toMatchObject({ status: 'running', client_id: 'alice', request_id: start.result.request_id });
    // How many progress reports arrive depends on timers; their order does not: all running, progress never going back, within [0, 1].
    const before = statuses.slice(0, -1);
    expect(before.map((s) => s.status)).toEqual(before.map(() => 'running'));
    const progress = before.map((s) => s.progress).filter((p) => p !== undefined);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.filter((p) => !(p >= 0 && p <= 1))).toEqual([]);
    expect(statuses.at(-1)).toMatchObject({ status: 'done', result: { task: 'demo' } });

    // The accepted response came before the first notification of the job.
    const responseIndex = server.messages.findIndex((m) => m.result?.request_id === start.result.request_id);
    const firstStatus = server.messages.findIndex((m) => m.params?.job_id === jobId);
    expect(responseIndex).toBeLessThan(firstStatus);

    const done = await server.call('poll_job', { job_id: jobId });
    expect(done.result).toMatchObject({ ok: true, status: 'done', result: { task: 'demo' } });
    const cancelAfter = await server.call('cancel_job', { job_id: jobId });
    expect(cancelAfter.result).toMatchObject({ ok: true, status: 'done' });
  });

  it('payload defaults to {}', async () => {
    const start = await server.call('start_long_task', { seconds: 1 });
    const statuses = await server.waitForJobEnd(start.result.result.job_id);
    expect(statuses.at(-1)).toMatchObject({ status: 'done', result: {} });
  });

  it('cancels a running job: cancelled response, cancelled notification last, idempotent', async () => {
    const start = await server.call('start_long_task', { seconds: 20 });
    const jobId = start.result.result.job_id;
    const cancel = await server.call('cancel_job', { job_id: jobId });
    expect(cancel.result).toMatchObject({ ok: true, status: 'cancelled', result: null });
    const statuses = await server.waitForJobEnd(jobId);
    expect(statuses.at(-1).status).toBe('cancelled');
    expect((await server.call('cancel_job', { job_id: jobId })).result.status).toBe('cancelled');
    expect((await server.call('poll_job', { job_id: jobId })).result.status).toBe('cancelled');
  });

  it("another client's job id answers exactly like an unknown one", async () => {
    const start = await server.call('start_long_task', { seconds: 1 });
    const jobId = start.result.result.job_id;
    const foreign = await server.call('poll_job', { job_id: jobId }, { clientId: 'bob' });
    const unknown = await server.call('poll_job', { job_id: 'nope' }, { clientId: 'bob' });
    expect(foreign.error?.code).toBe(-32012);
    expect(foreign.error?.message).toBe(unknown.error?.message);
    expect(foreign.error?.data.response.error).toBe(unknown.error?.data.response.error);
    expect((await server.call('cancel_job', { job_id: jobId }, { clientId: 'bob' })).error?.code).toBe(-32012);
    await server.waitForJobEnd(jobId);
  });
});

describe('transport', () => {
  it('answers a parse error, a batch, an invalid request and an unknown method, and keeps serving', async () => {
    server.write('{not json\n');
    server.write('[{"jsonrpc":"2.0","id":1,"method":"call"}]\n');
    server.write('{"jsonrpc":"1.0","id":"old","method":"call"}\n');
    const unknownMethod = await server.request('nope', {});
    expect(unknownMethod.error?.code).toBe(-32601);
    const parse = await server.waitFor((m) => m.error?.code === -32700);
    expect(parse.id).toBeNull();
    await server.waitFor((m) => m.error?.code === -32600 && m.id === null);
    await server.waitFor((m) => m.error?.code === -32600 && m.id === 'old');
    expect((await server.call('server_identity')).result.ok).toBe(true);
  });

  it('runs no tool for a call sent as a notification', async () => {
    const before = server.lines.length;
    server.send({ jsonrpc: '2.0', method: 'call', params: server.envelope('start_long_task', { seconds: 1 }) });
    await server.call('server_identity');
    expect(server.lines.length).toBe(before + 1);
  });

  it('accepts CRLF line endings and ignores blank lines', async () => {
    const envelope = server.envelope('batch_sum', { numbers: [2, 2] });
    server.write(`\r\n\n${JSON.stringify({ jsonrpc: '2.0', id: 'crlf', method: 'call', params: envelope })}\r\n`);
    const reply = await server.waitFor((m) => m.id === 'crlf');
    expect(reply.result.result.total).toBe(4);
  });
});

// Last: it closes the server the other tests share.
describe('end of input', () => {
  it('exits 0 when its input ends', async () => {
    expect(await server.close()).toEqual({ code: 0, signal: null });
  });
});
