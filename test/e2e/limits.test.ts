import { runCli } from '../support/cli';
import { makeTestKeys } from '../support/keys';
import { failTestsOnProtocolViolations, ServerProcess } from '../support/serverProcess';

describe('a server started with small limits', () => {
  const keys = makeTestKeys();
  // --max-dispatch-burst 0: vscode-jsonrpc's own scheduling, one message per turn.
  // --max-skew-ms 60000: well under the default (300000), and far over any wait for a busy machine to start the server.
  const server = new ServerProcess(keys, ['--max-jobs', '1', '--max-message-bytes', '2048', '--max-skew-ms', '60000', '--job-ttl-ms', '500', '--max-depth', '6', '--max-dispatch-burst', '0']);

  failTestsOnProtocolViolations(() => server);
  afterAll(() => server.kill());

  it('refuses a job beyond --max-jobs with -32013 and a signed response, and frees the slot when the job ends', async () => {
    const first = await server.call('start_long_task', { seconds: 1 });
    expect(first.result.status).toBe('accepted');
    const second = await server.call('start_long_task', { seconds: 1 });
    expect(second.error?.code).toBe(-32013);
    expect(second.error?.data.response).toMatchObject({ ok: false, status: 'error' });
    await server.waitForJobEnd(first.result.result.job_id);
    const third = await server.call('start_long_task', { seconds: 1 });
    expect(third.result.status).toBe('accepted');
    await server.waitForJobEnd(third.result.result.job_id);
  });

  it('answers a line over --max-message-bytes with -32600 and id null, and reads the next line', async () => {
    server.send({ jsonrpc: '2.0', id: 'big', method: 'call', params: server.envelope('batch_sum', { numbers: Array(1000).fill(1) }) });
    const tooLong = await server.waitFor((m) => m.error?.code === -32600 && /exceeds 2048 bytes/.test(m.error.message));
    expect(tooLong.id).toBeNull();
    expect(server.messages.some((m) => m.id === 'big')).toBe(false);
    expect((await server.call('batch_sum', { numbers: [1, 2] })).result.result.total).toBe(3);
  });

  it('uses --max-depth for nesting (params level 1, args level 2)', async () => {
    const nested = (levels: number) => {
      let value: Record<string, unknown> = {};
      for (let i = 1; i < levels; i++) value = { a: value };
      return value;
    };
    // params 1, args 2, payload 3..6: six levels in all, accepted.
    const atLimit = await server.call('start_long_task', { seconds: 1, payload: nested(4) });
    expect(atLimit.result?.status).toBe('accepted');
    const tooDeep = await server.call('start_long_task', { seconds: 1, payload: nested(5) });
    expect(tooDeep.error?.code).toBe(-32602);
    expect(tooDeep.error?.data.errors[0].message).toMatch(/deeper than 6/);
    await server.waitForJobEnd(atLimit.result.result.job_id);
  });

  it('uses --max-skew-ms for freshness', async () => {
    // Fresh by the default, stale by --max-skew-ms.
    const reply = await server.call('server_identity', undefined, { fields: { ts_ms: Date.now() - 120_000 } });
    expect(reply.error).toEqual({ code: -32002, message: 'stale request', data: { server_ts_ms: expect.any(Number), max_skew_ms: 60000 } });
  });

  it('forgets finished jobs after --job-ttl-ms', async () => {
    const start = await server.call('start_long_task', { seconds: 1 });
    const jobId = start.result.result.job_id;
    await server.waitForJobEnd(jobId);
    const deadline = Date.now() + 10_000;
    let reply = await server.call('poll_job', { job_id: jobId });
    while (reply.result?.status === 'done' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      reply = await server.call('poll_job', { job_id: jobId });
    }
    expect(reply.error?.code).toBe(-32012);
  });

  it('answers a second request with the id of one not yet answered with -32600, and the first one still once', async () => {
    const slow = server.envelope('start_long_task', { seconds: 1 });
    const line = (params: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 'dup', method: 'call', params });
    server.write(line(slow) + '\n' + line(server.envelope('server_identity')) + '\n');
    await server.waitFor((m) => m.id === 'dup' && m.error?.code === -32600);
    await server.call('server_identity');
    const answers = server.messages.filter((m) => m.id === 'dup');
    expect(answers).toHaveLength(2);
    expect(answers.filter((m) => m.error?.code === -32600)).toHaveLength(1);
  });

  it('exits 2 on a bad --max-dispatch-burst', async () => {
    for (const value of ['-1', 'many', '100001']) {
      const run = await runCli(['serve', '--keys', keys.file, '--max-dispatch-burst', value]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/--max-dispatch-burst/);
    }
  });

  // Last: it closes the server the other tests share.
  it('exits 0 when its input ends', async () => {
    expect(await server.close()).toEqual({ code: 0, signal: null });
  });
});
