/**
 * The client when things go wrong: a server that dies, one that will not
 * stop, one that forges, and a channel that loses notifications.
 */
import { ClientErrorCode, ServerError } from '../../src/client/errors';
import type { JobStatusUpdate } from '../../src/client/envelopes';
import { ToolClient } from '../../src/client/toolClient';
import { ErrorCode, ToolsealError } from '../../src/protocol/errors';
import { eventually, spawnScriptClient, spawnTestClient, SUPPORT } from '../support/client';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { CLI } from '../support/serverProcess';

let keys: TestKeys;

beforeAll(() => {
  keys = makeTestKeys();
});

/** How a promise settled: its value, or the ToolsealError it rejected with. */
async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: ToolsealError }> {
  try {
    return { value: await promise };
  } catch (err) {
    if (!(err instanceof ToolsealError)) throw err;
    return { error: err };
  }
}

describe('a server that crashes', () => {
  it('rejects every pending call and the unfinished job when the child is killed mid-flight', async () => {
    const { client } = await spawnTestClient(keys, { timeoutMs: 0 });
    const job = await client.startJob('start_long_task', { seconds: 20 });
    const iterated: JobStatusUpdate[] = [];
    const iteration = outcome((async () => {
      for await (const status of job) iterated.push(status);
    })());
    const calls = Array.from({ length: 300 }, (_, i) => outcome(client.call('batch_sum', { numbers: [i] })));
    client.process!.kill('SIGKILL');

    const settled = await Promise.all(calls);
    for (const { value, error } of settled) {
      if (error) expect(error.code).toBe(ClientErrorCode.ConnectionClosed);
      else expect(value?.ok).toBe(true);
    }
    const result = await outcome(job.result());
    expect(result.error?.code).toBe(ClientErrorCode.ConnectionClosed);
    expect((await iteration).error?.code).toBe(ClientErrorCode.ConnectionClosed);
    expect(await client.exited).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(client.pendingCalls).toBe(0);
    expect(client.closed).toBe(true);
    expect((await outcome(client.call('server_identity'))).error?.code).toBe(ClientErrorCode.ConnectionClosed);
  });

  it('rejects calls that can never be answered when the server dies', async () => {
    const { client, stderr } = await spawnScriptClient(keys, SUPPORT.stubbornServer, [], { timeoutMs: 0 });
    await eventually(() => stderr.includes('ready'));
    const calls = Array.from({ length: 20 }, () => outcome(client.call('server_identity')));
    await eventually(() => client.pendingCalls === 20);
    client.process!.kill('SIGKILL');
    for (const { error } of await Promise.all(calls)) expect(error?.code).toBe(ClientErrorCode.ConnectionClosed);
    expect(client.pendingCalls).toBe(0);
  });

  it('rejects a call that gets no answer in time with Timeout, and an aborted one with Aborted', async () => {
    const { client, stderr } = await spawnScriptClient(keys, SUPPORT.stubbornServer);
    await eventually(() => stderr.includes('ready'));
    expect((await outcome(client.call('server_identity', undefined, { timeoutMs: 100 }))).error?.code).toBe(ClientErrorCode.Timeout);
    const controller = new AbortController();
    const aborted = Array.from({ length: 3 }, () => outcome(client.call('server_identity', undefined, { signal: controller.signal, timeoutMs: 0 })));
    controller.abort();
    for (const { error } of await Promise.all(aborted)) expect(error?.code).toBe(ClientErrorCode.Aborted);
    expect(client.pendingCalls).toBe(0);
    await client.close({ graceMs: 100, killAfterMs: 100 });
  });

  it('rejects spawn when the command cannot be started', async () => {
    const spawned = outcome(
      ToolClient.spawn({ clientId: 'alice', clientSecret: keys.clients.alice![0]!, serverId: keys.serverId, serverSecret: keys.serverSecret, command: '/nonexistent/toolseal' }),
    );
    expect((await spawned).error?.code).toBe(ClientErrorCode.ConnectionClosed);
  });

  it('tells a server that exits on a bad keyring apart from a crash: its exit code is in the error', async () => {
    const { client, stderr } = await spawnTestClient(keys, { serveArgs: ['--keys', '/nonexistent/keys.json'], timeoutMs: 0 });
    const err = (await outcome(client.call('server_identity'))).error;
    expect(err?.code).toBe(ClientErrorCode.ConnectionClosed);
    expect((await client.exited).code).toBe(2);
    expect(stderr.join('\n')).toMatch(/cannot read keyring file/);
  });
});

describe('close()', () => {
  it('drains a well-behaved server: answers in flight resolve, the exit code is 0', async () => {
    const { client } = await spawnTestClient(keys);
    const inFlight = Array.from({ length: 50 }, () => client.call('batch_sum', { numbers: [1, 2] }));
    const exit = await client.close();
    expect(exit).toMatchObject({ code: 0, signal: null });
    for (const response of await Promise.all(inFlight)) expect(response.result).toEqual({ count: 2, total: 3 });
    expect((await outcome(client.call('server_identity'))).error?.code).toBe(ClientErrorCode.ConnectionClosed);
    expect(await client.close()).toBe(exit);
  });

  it('ends a server that ignores EOF and SIGTERM with SIGKILL', async () => {
    const { client, stderr } = await spawnScriptClient(keys, SUPPORT.stubbornServer, [], { timeoutMs: 0 });
    await eventually(() => stderr.includes('ready'));
    const pending = outcome(client.call('server_identity'));
    const exit = await client.close({ graceMs: 300, killAfterMs: 300 });
    expect(exit).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(stderr).toContain('ignoring SIGTERM');
    const { error } = await pending;
    expect(error?.code).toBe(ClientErrorCode.ConnectionClosed);
    expect(error?.data).toMatchObject({ closed_by_client: true });
  });
});

describe('a forging server', () => {
  let client: ToolClient;
  let securityEvents: Awaited<ReturnType<typeof spawnScriptClient>>['securityEvents'];

  beforeAll(async () => {
    ({ client, securityEvents } = await spawnScriptClient(keys, SUPPORT.forgingServer, [], {
      env: { FORGE_SERVER_ID: keys.serverId, FORGE_SERVER_SECRET: keys.serverSecret },
    }));
  });

  afterAll(async () => {
    await client.close({ graceMs: 2000 });
  });

  beforeEach(() => securityEvents.splice(0));

  it('passes a correctly signed response (the control)', async () => {
    expect((await client.call('server_identity')).result).toEqual({ server_id: keys.serverId });
    expect(securityEvents).toEqual([]);
  });

  it('rejects a response with a bad signature and reports it', async () => {
    const { error } = await outcome(client.call('bad_signature'));
    expect(error?.code).toBe(ClientErrorCode.VerificationFailed);
    expect(error?.data).toMatchObject({ reason: 'signature', tool: 'bad_signature' });
    expect(JSON.stringify(error?.data)).not.toContain('forged');
    expect(securityEvents).toEqual([expect.objectContaining({ kind: 'response', reason: 'signature', tool: 'bad_signature' })]);
    expect(securityEvents[0]!.received).toMatchObject({ result: { forged: true } });
  });

  it('rejects a correctly signed response to another request (a replay)', async () => {
    expect((await outcome(client.call('wrong_request_id'))).error?.data).toMatchObject({ reason: 'request-id' });
    expect(securityEvents).toEqual([expect.objectContaining({ kind: 'response', reason: 'request-id' })]);
  });

  it('rejects an error whose data.response is forged', async () => {
    const { error } = await outcome(client.call('forged_error'));
    expect(error?.code).toBe(ClientErrorCode.VerificationFailed);
    expect(securityEvents).toEqual([expect.objectContaining({ kind: 'error-response', reason: 'signature' })]);
  });

  it('drops a forged job notification and reports it; the genuine one ends the job', async () => {
    const job = await client.startJob('forged_notification');
    const statuses: JobStatusUpdate[] = [];
    for await (const status of job) statuses.push(status);
    expect(statuses).toHaveLength(1);
    expect(await job.result()).toEqual({ real: true });
    expect(securityEvents).toEqual([expect.objectContaining({ kind: 'job-status', reason: 'signature', jobId: 'job-1' })]);
  });

  it('puts notifications in seq order, drops duplicates and keeps those that came before the response', async () => {
    const job = await client.startJob('shuffled_job');
    const statuses: JobStatusUpdate[] = [];
    for await (const status of job) statuses.push(status);
    expect(statuses.map((s) => [s.seq, s.status])).toEqual([
      [1, 'running'],
      [2, 'running'],
      [3, 'done'],
    ]);
    expect(await job.result()).toEqual({ shuffled: true });
    // The one addressed to another client and the one about another request were refused and reported.
    expect(securityEvents).toEqual([
      expect.objectContaining({ kind: 'job-status', reason: 'client-id', jobId: 'job-3' }),
      expect.objectContaining({ kind: 'job-status', reason: 'request-id', jobId: 'job-3' }),
    ]);
  });

  it('rejects a post-authentication error without a signed response with a client code, never its text', async () => {
    const { error } = await outcome(client.call('forged_tool_failure'));
    expect(error?.code).toBe(ClientErrorCode.VerificationFailed);
    expect(error?.data).toMatchObject({ reason: 'unsigned', tool: 'forged_tool_failure' });
    expect(error?.message).not.toContain('IGNORE');
    expect(JSON.stringify(error?.data)).not.toContain('IGNORE');
    expect(securityEvents).toEqual([expect.objectContaining({ kind: 'error-response', reason: 'unsigned', tool: 'forged_tool_failure' })]);
  });

  it('keeps the first answer to a call and reports a second one for the same id', async () => {
    const response = await client.call('answered_twice');
    expect(response.result).toEqual({ genuine: true });
    await eventually(() => securityEvents.length > 0);
    expect(securityEvents).toEqual([expect.objectContaining({ kind: 'response', reason: 'duplicate' })]);
  });

  it('marks an error the protocol cannot sign as unverified, and raises no security event', async () => {
    const { error } = await outcome(client.call('preauth_error'));
    expect(error?.code).toBe(ErrorCode.Unauthenticated);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).verified).toBe(false);
    expect(securityEvents).toEqual([]);
  });

  it('refuses a signed error response that comes with a code it cannot have, or that is not an error', async () => {
    const relabelled = await outcome(client.call('relabelled_error'));
    expect(relabelled.error?.code).toBe(ClientErrorCode.VerificationFailed);
    const success = await outcome(client.call('signed_success_error'));
    expect(success.error?.code).toBe(ClientErrorCode.VerificationFailed);
    expect(securityEvents).toEqual([
      expect.objectContaining({ kind: 'error-response', reason: 'error-code', tool: 'relabelled_error' }),
      expect.objectContaining({ kind: 'error-response', reason: 'error-code', tool: 'signed_success_error' }),
    ]);
  });

  it('refuses a signed response dated too far from the client clock', async () => {
    const { error } = await outcome(client.call('stale_response'));
    expect(error?.code).toBe(ClientErrorCode.VerificationFailed);
    expect(error?.data).toMatchObject({ reason: 'stale' });
    expect(securityEvents).toEqual([expect.objectContaining({ kind: 'response', reason: 'stale', tool: 'stale_response' })]);
    // Two minutes off is within the default 300000 ms.
    expect((await client.call('skewed_response')).ok).toBe(true);
  });

  it('lets a forged -32012 answer to a poll not end a running job', async () => {
    const job = await client.startJob('forged_unknown_job');
    expect(await job.result()).toEqual({ survived: true });
    expect(job.state).toBe('done');
    expect(securityEvents).toEqual([expect.objectContaining({ kind: 'error-response', reason: 'unsigned', tool: 'poll_job' })]);
  });

  it('rejects result() of a job that ends in error with ToolFailed', async () => {
    const job = await client.startJob('failing_job');
    const { error } = await outcome(job.result());
    expect(error?.code).toBe(ErrorCode.ToolFailed);
    expect(error?.data).toMatchObject({ job_id: 'job-2', status: 'error', error: 'boom' });
    expect(job.state).toBe('error');
  });
});

describe('a client with a narrower clock skew', () => {
  it('refuses responses dated further off than its maxSkewMs', async () => {
    const { client, securityEvents } = await spawnScriptClient(keys, SUPPORT.forgingServer, [], {
      env: { FORGE_SERVER_ID: keys.serverId, FORGE_SERVER_SECRET: keys.serverSecret },
      maxSkewMs: 60_000,
    });
    try {
      const { error } = await outcome(client.call('skewed_response'));
      expect(error?.data).toMatchObject({ reason: 'stale' });
      expect(securityEvents).toEqual([expect.objectContaining({ reason: 'stale' })]);
    } finally {
      await client.close({ graceMs: 2000 });
    }
  });
});

describe('a channel that loses every job notification', () => {
  it('falls back to polling at poll_interval_ms and still ends the job', async () => {
    const { client } = await spawnScriptClient(keys, SUPPORT.lossyProxy, [CLI, 'serve', '--keys', keys.file]);
    try {
      const job = await client.startJob('start_long_task', { seconds: 2, payload: { via: 'polling' } });
      const statuses: JobStatusUpdate[] = [];
      for await (const status of job) statuses.push(status);
      expect(statuses).toEqual([]);
      expect(await job.result()).toEqual({ via: 'polling' });
      expect(job.state).toBe('done');
    } finally {
      expect(await client.close()).toMatchObject({ code: 0 });
    }
  });
});
