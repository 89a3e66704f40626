/**
 * The default mode: MCP tool and task requests must carry a signed
 * envelope in `params._meta["toolseal/envelope"]`, checked by the same
 * pipeline as `call` and bound to the request; `initialize`, `ping` and
 * `tools/list` need none.
 */
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
  ResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { connectMcp, failTestsOnClientErrors, envelope, signedMeta, verifiesWithServerKey, type McpConnection } from './support';

let keys: TestKeys;
let mcp: McpConnection;

beforeAll(async () => {
  keys = makeTestKeys();
  mcp = await connectMcp(keys);
});

failTestsOnClientErrors(() => mcp);

// Cleanup only (closing twice is harmless): the last test closes and checks.
afterAll(() => mcp?.close());

/** tools/call with the envelope in _meta. */
function signedCall(name: string, args: Record<string, unknown> | undefined, signed: Record<string, unknown>) {
  return mcp.client.callTool({ name, ...(args === undefined ? {} : { arguments: args }), _meta: signedMeta(signed) });
}

/** A tasks/* request signed for `method` with the params it sends (without _meta). */
function signedTaskRequest<S extends typeof GetTaskResultSchema | typeof ListTasksResultSchema | typeof CallToolResultSchema>(
  method: string,
  params: Record<string, unknown>,
  schema: S,
  clientId = 'alice',
) {
  const signed = envelope(keys, method, Object.keys(params).length > 0 ? params : undefined, { clientId });
  return mcp.client.request({ method, params: { ...params, _meta: signedMeta(signed) } } as any, schema);
}

describe('without a signature', () => {
  it('initialize, ping and tools/list work', async () => {
    expect(mcp.client.getServerVersion()?.name).toBe('toolseal');
    await expect(mcp.client.ping()).resolves.toEqual({});
    expect((await mcp.client.listTools()).tools).toHaveLength(6);
  });

  it('a tools/call is refused with a clear error', async () => {
    const refused = mcp.client.callTool({ name: 'batch_sum', arguments: { numbers: [1, 2] } });
    await expect(refused).rejects.toMatchObject({ code: -33001, data: { reason: 'unsigned' } });
    await expect(mcp.client.callTool({ name: 'server_identity' })).rejects.toThrow(/unsigned.*toolseal\/envelope.*--allow-unsigned-mcp/);
  });

  it('task requests are refused the same way', async () => {
    await expect(mcp.client.experimental.tasks.getTask('any')).rejects.toMatchObject({ code: -33001 });
    await expect(mcp.client.experimental.tasks.listTasks()).rejects.toMatchObject({ code: -33001 });
  });
});

describe('with a signed envelope in _meta', () => {
  it('a call runs, answered with structured content and the signed response', async () => {
    await mcp.client.listTools();
    const result = await signedCall('batch_sum', { numbers: [0.1, 0.2, 0.3] }, envelope(keys, 'batch_sum', { numbers: [0.1, 0.2, 0.3] }));
    expect(result.structuredContent).toEqual({ count: 3, total: 0.6 });
    const response = (result._meta as any)['toolseal/response'];
    expect(verifiesWithServerKey(keys, response)).toBe(true);
  });

  it('an envelope signed without args matches a call without arguments, and one with arguments {}', async () => {
    const none = await signedCall('server_identity', undefined, envelope(keys, 'server_identity'));
    expect(none.structuredContent).toMatchObject({ server_id: keys.serverId });
    const empty = await signedCall('server_identity', {}, envelope(keys, 'server_identity'));
    expect(empty.isError).toBeFalsy();
    const signedEmpty = await signedCall('server_identity', undefined, envelope(keys, 'server_identity', {}));
    expect(signedEmpty.isError).toBeFalsy();
  });

  it('args are compared in canonical form: key order does not matter', async () => {
    const signed = envelope(keys, 'start_long_task', { seconds: 20, payload: { a: 1, b: [1, { c: 2, d: 3 }] } });
    const result = await signedCall('start_long_task', { payload: { b: [1, { d: 3, c: 2 }], a: 1 }, seconds: 20 }, signed);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ job_id: expect.any(String) });
  });

  it('a replayed envelope is refused', async () => {
    const signed = envelope(keys, 'batch_sum', { numbers: [1] });
    expect((await signedCall('batch_sum', { numbers: [1] }, signed)).structuredContent).toEqual({ count: 1, total: 1 });
    await expect(signedCall('batch_sum', { numbers: [1] }, signed)).rejects.toMatchObject({ code: -33003 });
  });

  it('an envelope for another tool or other arguments is refused', async () => {
    const otherTool = signedCall('batch_sum', { numbers: [1] }, envelope(keys, 'poll_job', { numbers: [1] }));
    await expect(otherTool).rejects.toMatchObject({ code: -33001, data: { reason: 'envelope_mismatch', errors: [{ path: '/tool' }] } });
    const otherArgs = signedCall('batch_sum', { numbers: [1, 2] }, envelope(keys, 'batch_sum', { numbers: [1] }));
    await expect(otherArgs).rejects.toMatchObject({ code: -33001, data: { reason: 'envelope_mismatch', errors: [{ path: '/args' }] } });
    const addedArgs = signedCall('server_identity', { extra: 1 }, envelope(keys, 'server_identity'));
    await expect(addedArgs).rejects.toMatchObject({ code: -33001 });
  });

  it('the pipeline checks apply: forged, stale, another server', async () => {
    const forged = envelope(keys, 'server_identity', undefined, { secret: keys.clients.bob![0] });
    // The same answer as `call` gives: no hint which check failed.
    await expect(signedCall('server_identity', undefined, forged)).rejects.toMatchObject({ code: -33001, message: 'MCP error -33001: unauthenticated', data: { toolseal_code: -32001 } });
    const stale = envelope(keys, 'server_identity', undefined, { fields: { ts_ms: Date.now() - 400_000 } });
    await expect(signedCall('server_identity', undefined, stale)).rejects.toMatchObject({ code: -33002 });
    const elsewhere = envelope(keys, 'server_identity', undefined, { fields: { server_id: 'another-server' } });
    await expect(signedCall('server_identity', undefined, elsewhere)).rejects.toMatchObject({ code: -33004 });
    await expect(signedCall('server_identity', undefined, { not: 'an envelope' })).rejects.toMatchObject({ code: -32602 });
  });

  it("jobs belong to the envelope's client", async () => {
    const start = await signedCall('start_long_task', { seconds: 20 }, envelope(keys, 'start_long_task', { seconds: 20 }));
    const jobId = (start.structuredContent as any).job_id;
    const asBob = await signedCall('poll_job', { job_id: jobId }, envelope(keys, 'poll_job', { job_id: jobId }, { clientId: 'bob' }));
    expect((asBob._meta as any)['toolseal/error'].code).toBe(-32012);
    const asAlice = await signedCall('cancel_job', { job_id: jobId }, envelope(keys, 'cancel_job', { job_id: jobId }));
    expect(JSON.parse((asAlice.content as any)[0].text)).toEqual({ status: 'cancelled' });
  });
});

describe('signed tasks', () => {
  it('a task-augmented call, then signed tasks/get, tasks/list and tasks/result; other clients see nothing', async () => {
    const args = { seconds: 1, payload: { signed: true } };
    const created = await mcp.client.request(
      { method: 'tools/call', params: { name: 'start_long_task', arguments: args, _meta: signedMeta(envelope(keys, 'start_long_task', args)) } },
      CreateTaskResultSchema,
      { task: {} },
    );
    const taskId = created.task.taskId;
    expect(await signedTaskRequest('tasks/get', { taskId }, GetTaskResultSchema)).toMatchObject({ taskId });
    expect((await signedTaskRequest('tasks/list', {}, ListTasksResultSchema)).tasks.map((t) => t.taskId)).toContain(taskId);
    expect((await signedTaskRequest('tasks/list', {}, ListTasksResultSchema, 'bob')).tasks).toEqual([]);

    const bob = await signedTaskRequest('tasks/get', { taskId }, GetTaskResultSchema, 'bob').catch((e) => e);
    const unknown = await signedTaskRequest('tasks/get', { taskId: 'no-such-task' }, GetTaskResultSchema).catch((e) => e);
    expect(bob).toMatchObject({ code: -32602 });
    expect(bob.message).toBe(unknown.message);

    const result = await signedTaskRequest('tasks/result', { taskId }, CallToolResultSchema);
    expect(result.structuredContent).toEqual({ signed: true });
  });

  it('an envelope signed for one task method does not open another', async () => {
    const created = await mcp.client.request(
      { method: 'tools/call', params: { name: 'start_long_task', arguments: { seconds: 20 }, _meta: signedMeta(envelope(keys, 'start_long_task', { seconds: 20 })) } },
      CreateTaskResultSchema,
      { task: {} },
    );
    const taskId = created.task.taskId;
    const getEnvelope = envelope(keys, 'tasks/get', { taskId });
    const cancel = mcp.client.request({ method: 'tasks/cancel', params: { taskId, _meta: signedMeta(getEnvelope) } } as any, ResultSchema.passthrough());
    await expect(cancel).rejects.toMatchObject({ code: -33001, data: { reason: 'envelope_mismatch' } });
    const otherTask = envelope(keys, 'tasks/cancel', { taskId: 'another' });
    const wrongId = mcp.client.request({ method: 'tasks/cancel', params: { taskId, _meta: signedMeta(otherTask) } } as any, ResultSchema.passthrough());
    await expect(wrongId).rejects.toMatchObject({ code: -33001 });
    expect(await signedTaskRequest('tasks/get', { taskId }, GetTaskResultSchema)).toMatchObject({ status: 'working' });
  });
});

describe('our own protocol', () => {
  it('`call` works on a connection that has done MCP initialize', async () => {
    const call = envelope(keys, 'batch_sum', { numbers: [2, 2] });
    const response: any = await mcp.client.request({ method: 'call', params: call } as any, ResultSchema.passthrough());
    expect(response).toMatchObject({ ok: true, status: 'ok', result: { count: 2, total: 4 } });
    expect(verifiesWithServerKey(keys, response)).toBe(true);
  });

  it('an envelope used on `call` cannot be replayed through MCP, nor the other way', async () => {
    const first = envelope(keys, 'batch_sum', { numbers: [3] });
    await mcp.client.request({ method: 'call', params: first } as any, ResultSchema.passthrough());
    await expect(signedCall('batch_sum', { numbers: [3] }, first)).rejects.toMatchObject({ code: -33003 });
    const second = envelope(keys, 'batch_sum', { numbers: [4] });
    await signedCall('batch_sum', { numbers: [4] }, second);
    await expect(mcp.client.request({ method: 'call', params: second } as any, ResultSchema.passthrough())).rejects.toMatchObject({ code: -32003 });
  });
});

// Last: it closes the connection the other tests share.
it('closes cleanly, the client having reported no error', async () => {
  await mcp.close();
  expect(mcp.takeErrors()).toEqual([]);
});
