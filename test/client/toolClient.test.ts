import { getEventListeners } from 'node:events';
import { ClientErrorCode, ServerError } from '../../src/client/errors';
import type { JobStatusUpdate } from '../../src/client/envelopes';
import { ToolClient } from '../../src/client/toolClient';
import { ErrorCode, ToolsealError } from '../../src/protocol/errors';
import { spawnTestClient, type TestClient } from '../support/client';
import { makeTestKeys, type TestKeys } from '../support/keys';

let keys: TestKeys;
let t: TestClient;
let client: ToolClient;

beforeAll(async () => {
  keys = makeTestKeys();
  t = await spawnTestClient(keys);
  client = t.client;
});

// A security event (a response or status that failed verification) fails the test it happened in.
let securityEventsReported = 0;
afterEach(() => {
  const fresh = t.securityEvents.slice(securityEventsReported);
  securityEventsReported = t.securityEvents.length;
  if (fresh.length > 0) {
    throw new Error(`the client reported ${fresh.length} security event(s) while this test ran:\n${fresh.map((event) => `  - ${JSON.stringify(event)}`).join('\n')}`);
  }
});

// Cleanup only (close is idempotent): the last test closes and checks the exit.
afterAll(() => client?.close());

/** What a promise rejected with. */
async function rejection(promise: Promise<unknown>): Promise<ToolsealError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ToolsealError);
    return err as ToolsealError;
  }
  throw new Error('expected a rejection');
}

describe('calls', () => {
  it('resolves with the verified response, in both views', async () => {
    const response = await client.call('batch_sum', { numbers: [1, 2, 3] });
    expect(response).toMatchObject({ ok: true, status: 'ok', result: { count: 3, total: 6 }, error: null, serverId: keys.serverId });
    expect(response.wire).toMatchObject({ v: 'mcp/0.1', request_id: response.requestId, server_id: keys.serverId, signature: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(client.clientId).toBe('alice');
  });

  it('calls without args (the envelope has none) and with typed results', async () => {
    const identity = await client.call<{ server_id: string; fingerprint: string }>('server_identity');
    expect(identity.result?.server_id).toBe(keys.serverId);
    expect(identity.result?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('rejects a JSON-RPC error with a ToolsealError whose signed data.response was verified', async () => {
    const err = await rejection(client.call('batch_sum', { numbers: [] }));
    expect(err.code).toBe(ErrorCode.InvalidArguments);
    expect(err.data?.errors).toEqual([expect.objectContaining({ path: '/numbers' })]);
    expect(err.data?.response).toMatchObject({ ok: false, status: 'error' });
    // Code and message are those of the signed response.
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).verified).toBe(true);
    expect(err.message).toBe((err.data?.response as { error: string }).error);
    expect(err.message).toMatch(/^invalid arguments: \/numbers /);
    expect((await rejection(client.call('no_such_tool'))).code).toBe(ErrorCode.UnknownTool);
  });

  it('refuses args that are not JSON before sending anything', async () => {
    const err = await rejection(client.call('batch_sum', { numbers: [1, Number.NaN] }));
    expect(err.code).toBe(ErrorCode.InvalidParams);
    expect(err.data?.errors).toEqual([{ path: '/args/numbers/1', message: 'must be a finite number' }]);
    expect((await rejection(client.call('batch_sum', [1, 2] as unknown as object))).code).toBe(ErrorCode.InvalidParams);
  });

  it('runs 1,000 pipelined calls, every one verified, with nothing left behind', async () => {
    const stdout = client.process!.stdout!;
    const listenersBefore = stdout.listenerCount('data') + stdout.listenerCount('end');
    const controller = new AbortController();
    const calls = Array.from({ length: 1000 }, (_, i) => client.call('batch_sum', { numbers: [i, 1] }, { signal: controller.signal, timeoutMs: 120_000 }));
    // One listener on a signal shared by every call, not one per call.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const responses = await Promise.all(calls);
    responses.forEach((response, i) => {
      expect(response.ok).toBe(true);
      expect(response.result).toEqual({ count: 2, total: i + 1 });
    });
    expect(new Set(responses.map((r) => r.requestId)).size).toBe(1000);
    expect(client.pendingCalls).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(stdout.listenerCount('data') + stdout.listenerCount('end')).toBe(listenersBefore);
  }, 120_000);

  it('rejects at once when the signal has already fired, and sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(client.call('server_identity', undefined, { signal: controller.signal }));
    expect(err.code).toBe(ClientErrorCode.Aborted);
    expect(client.pendingCalls).toBe(0);
  });
});

describe('jobs', () => {
  it('iterates the verified statuses in seq order and resolves result() with the payload', async () => {
    const job = await client.startJob('start_long_task', { seconds: 1, payload: { task: 'iterate' } });
    expect(job.id).toEqual(expect.any(String));
    expect(job.requestId).toBe(job.started.requestId);
    expect(job.pollIntervalMs).toBe(1000); // the server's default
    const viaEvent: JobStatusUpdate[] = [];
    job.onStatus((status) => viaEvent.push(status));
    const statuses: JobStatusUpdate[] = [];
    for await (const status of job) statuses.push(status);
    expect(statuses.map((s) => s.seq)).toEqual(statuses.map((_, i) => i + 1));
    expect(statuses[0]).toMatchObject({ jobId: job.id, requestId: job.requestId, clientId: 'alice', status: 'running' });
    expect(statuses.at(-1)).toMatchObject({ status: 'done', result: { task: 'iterate' } });
    expect(statuses.at(-1)!.wire.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(await job.result()).toEqual({ task: 'iterate' });
    expect(job.state).toBe('done');
    expect(job.finished).toBe(true);
    // A listener sees the statuses that arrive after it was added, the terminal one included (which of
    // the earlier ones arrived before it is a matter of timing); a late iterator replays all.
    expect(viaEvent.at(-1)?.status).toBe('done');
    expect(viaEvent).toEqual(statuses.slice(statuses.length - viaEvent.length));
    const replay: number[] = [];
    for await (const status of job) replay.push(status.seq);
    expect(replay).toEqual(statuses.map((s) => s.seq));
  });

  it('cancel() ends the job: result() rejects with JobCancelled, the last status is cancelled', async () => {
    const job = await client.startJob('start_long_task', { seconds: 20 });
    const cancelled = await job.cancel();
    expect(cancelled).toMatchObject({ ok: true, status: 'cancelled' });
    const err = await rejection(job.result());
    expect(err.code).toBe(ClientErrorCode.JobCancelled);
    expect(err.data).toMatchObject({ job_id: job.id, status: 'cancelled' });
    expect(job.state).toBe('cancelled');
    const statuses: string[] = [];
    for await (const status of job) statuses.push(status.status);
    expect(statuses.at(-1)).toBe('cancelled');
    // Idempotent on the server, and harmless here.
    expect((await job.cancel()).status).toBe('cancelled');
  });

  it('poll() answers the job status', async () => {
    const job = await client.startJob('start_long_task', { seconds: 1 });
    expect((await job.poll()).status).toMatch(/^(running|done)$/);
    await job.result();
    expect((await job.poll()).status).toBe('done');
  });

  it('startJob on a tool that does not start a job rejects with NotAJob', async () => {
    const err = await rejection(client.startJob('batch_sum', { numbers: [1] }));
    expect(err.code).toBe(ClientErrorCode.NotAJob);
    expect(err.data?.response).toMatchObject({ status: 'ok' });
  });

  it('trackJob on a start made with call() still gets every notification', async () => {
    const started = await client.call('start_long_task', { seconds: 1, payload: { late: true } });
    // Let notifications arrive before anyone tracks the job.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const job = client.trackJob(started);
    const seqs: number[] = [];
    for await (const status of job) seqs.push(status.seq);
    expect(seqs[0]).toBe(1);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(await job.result()).toEqual({ late: true });
  });

  it('onJobStatus sees the verified statuses of every job', async () => {
    const seen = new Set<string>();
    const subscription = client.onJobStatus((status) => seen.add(status.jobId));
    const job = await client.startJob('start_long_task', { seconds: 1 });
    await job.result();
    subscription.dispose();
    expect(seen.has(job.id)).toBe(true);
  });
});

// Last: it closes the server the other tests share.
describe('close', () => {
  it('ends the server: it exits 0 when its input ends', async () => {
    expect(await client.close()).toEqual({ code: 0, signal: null });
  });
});
