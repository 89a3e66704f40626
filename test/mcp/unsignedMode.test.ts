/**
 * The MCP front end as an MCP host sees it: the SDK's Client spawns
 * `toolseal serve --allow-unsigned-mcp` over stdio, lists and calls tools,
 * follows a job as a task, and our own `call` keeps working beside it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  ResultSchema,
  TaskStatusNotificationSchema,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { connectMcp, failTestsOnClientErrors, envelope, signedMeta, verifiesWithServerKey, Waiter, type McpConnection } from './support';

let keys: TestKeys;
let mcp: McpConnection;
const taskStatuses = new Waiter<{ taskId: string; status: string }>();
const otherNotifications = new Waiter<{ method: string; params?: any }>();

beforeAll(async () => {
  keys = makeTestKeys();
  mcp = await connectMcp(keys, ['--allow-unsigned-mcp'], { capabilities: { tasks: {} } });
  mcp.client.setNotificationHandler(TaskStatusNotificationSchema, (n) => taskStatuses.push(n.params));
  mcp.client.fallbackNotificationHandler = async (n) => otherNotifications.push(n);
});

failTestsOnClientErrors(() => mcp);

// Cleanup only (closing twice is harmless): the last test closes and checks.
afterAll(() => mcp?.close());

/** A schema of schemas/tools as MCP lists it: without `$id`, with `$schema` (they are draft-07, and MCP's default is 2020-12). */
const schemaFile = (name: string): Record<string, unknown> => {
  const { $id: _i, ...rest } = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../schemas/tools', name), 'utf8'));
  expect(rest.$schema).toBe('http://json-schema.org/draft-07/schema#');
  return rest;
};

/** A task-augmented start_long_task (what callToolStream sends first), answered with the task. */
async function startTask(args: Record<string, unknown>, meta?: Record<string, unknown>) {
  const params = { name: 'start_long_task', arguments: args, ...(meta ? { _meta: meta } : {}) };
  return mcp.client.request({ method: 'tools/call', params }, CreateTaskResultSchema, { task: { ttl: 60_000 } });
}

describe('lifecycle', () => {
  it('initialize names toolseal with the package version and offers tools and tasks', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
    expect(mcp.client.getServerVersion()).toEqual({ name: 'toolseal', version: pkg.version });
    const capabilities = mcp.client.getServerCapabilities();
    expect(capabilities?.tools).toEqual({ listChanged: false });
    expect(capabilities?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    expect(mcp.client.getInstructions()).toMatch(/poll_job/);
  });

  it('answers ping', async () => {
    await expect(mcp.client.ping()).resolves.toEqual({});
  });
});

describe('tools/list', () => {
  it('lists the six tools with the schemas of schemas/tools', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['batch_sum', 'cancel_job', 'list_tools', 'poll_job', 'server_identity', 'start_long_task']);
    for (const tool of tools) {
      expect(tool.description).toEqual(expect.any(String));
      expect(tool.inputSchema).toEqual(schemaFile(`${tool.name}.input.schema.json`));
    }
  });

  it('advertises output schemas only where every result meets them, and task support for the async tool', async () => {
    const { tools } = await mcp.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['batch_sum', 'list_tools', 'server_identity']) {
      expect(byName.get(name)!.outputSchema).toEqual(schemaFile(`${name}.output.schema.json`));
    }
    for (const name of ['poll_job', 'cancel_job', 'start_long_task']) expect(byName.get(name)!.outputSchema).toBeUndefined();
    expect(byName.get('start_long_task')!.execution).toEqual({ taskSupport: 'optional' });
    expect(byName.get('batch_sum')!.execution).toBeUndefined();
  });
});

describe('tools/call', () => {
  it('batch_sum answers structuredContent (checked by the SDK against the output schema) and its JSON as text', async () => {
    await mcp.client.listTools();
    const result = await mcp.client.callTool({ name: 'batch_sum', arguments: { numbers: [1e16, 1, -1e16] } });
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ count: 3, total: 1 });
    expect(result.content).toEqual([{ type: 'text', text: JSON.stringify({ count: 3, total: 1 }) }]);
    const response = (result._meta as any)['toolseal/response'];
    expect(response).toMatchObject({ ok: true, status: 'ok', result: { count: 3, total: 1 } });
    expect(verifiesWithServerKey(keys, response)).toBe(true);
  });

  it('server_identity and list_tools meet their output schemas too', async () => {
    await mcp.client.listTools();
    const identity = await mcp.client.callTool({ name: 'server_identity' });
    expect(identity.structuredContent).toMatchObject({ server_id: keys.serverId });
    const list = await mcp.client.callTool({ name: 'list_tools', arguments: {} });
    expect((list.structuredContent as any).tools).toHaveLength(6);
  });

  it('argument errors are isError results the model can read', async () => {
    const empty = await mcp.client.callTool({ name: 'batch_sum', arguments: { numbers: [] } });
    expect(empty.isError).toBe(true);
    expect((empty.content as any)[0].text).toMatch(/^invalid arguments: \/numbers /);
    expect((empty._meta as any)['toolseal/error']).toMatchObject({ code: -32011, data: { errors: [{ path: '/numbers' }] } });
    const huge = await mcp.client.callTool({ name: 'batch_sum', arguments: { numbers: [1.7976931348623157e308, 1.7976931348623157e308] } });
    expect(huge.isError).toBe(true);
    expect((huge._meta as any)['toolseal/error'].code).toBe(-32011);
    const unknownJob = await mcp.client.callTool({ name: 'poll_job', arguments: { job_id: 'no-such-job' } });
    expect(unknownJob.isError).toBe(true);
    expect((unknownJob._meta as any)['toolseal/error'].code).toBe(-32012);
  });

  it('an unknown tool is a JSON-RPC error, as MCP prescribes', async () => {
    await expect(mcp.client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({ code: -32602, message: 'MCP error -32602: Unknown tool: no_such_tool', data: { toolseal_code: -32010, tool: 'no_such_tool' } });
  });

  it('malformed params are -32602', async () => {
    const call = mcp.client.request({ method: 'tools/call', params: { name: 'batch_sum', arguments: [1, 2] as any } }, CallToolResultSchema);
    await expect(call).rejects.toMatchObject({ code: -32602 });
  });

  it('start_long_task answers the job id at once; poll_job and cancel_job answer without structured content while there is no result', async () => {
    const start = await mcp.client.callTool({ name: 'start_long_task', arguments: { seconds: 20 } });
    const { job_id: jobId, poll_interval_ms: pollInterval } = start.structuredContent as { job_id: string; poll_interval_ms: number };
    expect(jobId).toEqual(expect.any(String));
    expect(pollInterval).toBe(1000); // the server's default
    expect((start._meta as any)['toolseal/response'].status).toBe('accepted');

    const running = await mcp.client.callTool({ name: 'poll_job', arguments: { job_id: jobId } });
    expect(running.structuredContent).toBeUndefined();
    expect(JSON.parse((running.content as any)[0].text)).toEqual({ status: 'running' });
    const cancelled = await mcp.client.callTool({ name: 'cancel_job', arguments: { job_id: jobId } });
    expect(JSON.parse((cancelled.content as any)[0].text)).toEqual({ status: 'cancelled' });
    expect((await mcp.client.callTool({ name: 'poll_job', arguments: { job_id: jobId } })).content).toEqual([
      { type: 'text', text: JSON.stringify({ status: 'cancelled' }) },
    ]);
  });

  it('poll_job of a finished job answers its result as structured content', async () => {
    const start = await startTask({ seconds: 1, payload: { n: 1 } });
    const taskId = start.task.taskId;
    await mcp.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    const done = await mcp.client.callTool({ name: 'poll_job', arguments: { job_id: taskId } });
    expect(done.structuredContent).toEqual({ n: 1 });
  });
});

describe('tasks', () => {
  it('a task-augmented start_long_task runs as a task: progress until the job ends, a status notification, the payload as result', async () => {
    await mcp.client.listTools(); // the SDK learns which tools take tasks
    const progress: Progress[] = [];
    const kinds: string[] = [];
    let taskId = '';
    let result: any;
    const stream = mcp.client.experimental.tasks.callToolStream(
      { name: 'start_long_task', arguments: { seconds: 1, payload: { task: 'demo' } } },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p) },
    );
    for await (const message of stream) {
      kinds.push(message.type);
      if (message.type === 'taskCreated') taskId = message.task.taskId;
      if (message.type === 'result') result = message.result;
      if (message.type === 'error') throw message.error;
    }
    expect(kinds[0]).toBe('taskCreated');
    expect(kinds.at(-1)).toBe('result');
    expect(result.structuredContent).toEqual({ task: 'demo' });
    expect(result.isError).toBeUndefined();
    expect(result._meta['io.modelcontextprotocol/related-task']).toEqual({ taskId });

    // Progress flowed on the call's token until the end, always increasing, ending at the total
    // (how many reports came before the last depends on timers).
    expect(progress.at(-1)).toMatchObject({ progress: 100, total: 100, message: 'done' });
    expect(progress.filter((p) => p.total !== 100)).toEqual([]);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    // The status notification went out before any tasks/get could see the task completed.
    expect(taskStatuses.items).toContainEqual(expect.objectContaining({ taskId, status: 'completed' }));
  });

  it('tasks/get, tasks/list, tasks/cancel and tasks/result follow a job', async () => {
    const created = await startTask({ seconds: 20 });
    const taskId = created.task.taskId;
    expect(created.task).toMatchObject({ status: 'working', ttl: expect.any(Number), pollInterval: expect.any(Number) });
    expect(new Date(created.task.createdAt).toISOString()).toBe(created.task.createdAt);
    expect((created._meta as any)['toolseal/response'].result.job_id).toBe(taskId);

    const tasks = mcp.client.experimental.tasks;
    expect(await tasks.getTask(taskId)).toMatchObject({ taskId, status: 'working' });
    expect((await tasks.listTasks()).tasks.map((t) => t.taskId)).toContain(taskId);

    const cancelled = await tasks.cancelTask(taskId);
    expect(cancelled).toMatchObject({ taskId, status: 'cancelled' });
    await taskStatuses.until((items) => items.some((s) => s.taskId === taskId && s.status === 'cancelled'));
    expect(await tasks.getTask(taskId)).toMatchObject({ status: 'cancelled' });
    await expect(tasks.cancelTask(taskId)).rejects.toMatchObject({ code: -32602 });
    const result = await tasks.getTaskResult(taskId, CallToolResultSchema);
    expect(result).toMatchObject({ isError: true, content: [{ type: 'text', text: 'job cancelled' }] });
  });

  it('tasks/result blocks until the job ends', async () => {
    const created = await startTask({ seconds: 1, payload: { waited: true } });
    const result = await mcp.client.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    expect(result.structuredContent).toEqual({ waited: true });
    expect(await mcp.client.experimental.tasks.getTask(created.task.taskId)).toMatchObject({ status: 'completed', statusMessage: 'done' });
  });

  it('an unknown task id is -32602', async () => {
    await expect(mcp.client.experimental.tasks.getTask('no-such-task')).rejects.toMatchObject({ code: -32602 });
    await expect(mcp.client.experimental.tasks.getTaskResult('no-such-task', CallToolResultSchema)).rejects.toMatchObject({ code: -32602 });
  });

  it('a task-augmented call of a tool without task support is -32601', async () => {
    const call = mcp.client.request({ method: 'tools/call', params: { name: 'batch_sum', arguments: { numbers: [1] }, task: {} } }, CreateTaskResultSchema);
    await expect(call).rejects.toMatchObject({ code: -32601 });
  });

  it('a task-augmented call that starts no job is a JSON-RPC error', async () => {
    await expect(startTask({ seconds: 99 })).rejects.toMatchObject({ code: -33011, data: { toolseal_code: -32011 } });
  });
});

describe('signed envelopes in unsigned mode', () => {
  it('are still verified: a forged one is refused', async () => {
    const forged = envelope(keys, 'batch_sum', { numbers: [1] }, { secret: keys.clients.bob![0] });
    await expect(mcp.client.callTool({ name: 'batch_sum', arguments: { numbers: [1] }, _meta: signedMeta(forged) })).rejects.toMatchObject({ code: -33001 });
  });

  it("run as the envelope's client, whose tasks unsigned callers cannot see", async () => {
    const args = { seconds: 20 };
    const created = await startTask(args, signedMeta(envelope(keys, 'start_long_task', args)));
    const taskId = created.task.taskId;
    expect((created._meta as any)['toolseal/response'].ok).toBe(true);

    const unsigned = await mcp.client.experimental.tasks.getTask(taskId).catch((e: McpError) => e);
    const unknown = await mcp.client.experimental.tasks.getTask('no-such-task').catch((e: McpError) => e);
    expect(unsigned).toBeInstanceOf(McpError);
    expect(unsigned).toMatchObject({ code: (unknown as McpError).code, message: (unknown as McpError).message });
    expect((await mcp.client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).not.toContain(taskId);

    const getAs = (clientId: string) =>
      mcp.client.request(
        { method: 'tasks/get', params: { taskId, _meta: signedMeta(envelope(keys, 'tasks/get', { taskId }, { clientId })) } } as any,
        ResultSchema.passthrough(),
      );
    expect(await getAs('alice')).toMatchObject({ taskId, status: 'working' });
    await expect(getAs('bob')).rejects.toMatchObject({ code: (unknown as McpError).code, message: (unknown as McpError).message });

    // The job is alice's for poll_job too: unsigned callers get the unknown-job answer.
    const poll = await mcp.client.callTool({ name: 'poll_job', arguments: { job_id: taskId } });
    expect((poll._meta as any)['toolseal/error'].code).toBe(-32012);
  });
});

describe('our own protocol on the same connection', () => {
  it('`call` answers a signed response and job/status notifications flow', async () => {
    const call = envelope(keys, 'start_long_task', { seconds: 1, payload: { via: 'call' } });
    const response: any = await mcp.client.request({ method: 'call', params: call } as any, ResultSchema.passthrough());
    expect(response).toMatchObject({ v: 'mcp/0.1', ok: true, status: 'accepted', request_id: call.request_id });
    expect(verifiesWithServerKey(keys, response)).toBe(true);
    const jobId = response.result.job_id;
    const isEnd = (n: { method: string; params?: any }) => n.method === 'job/status' && n.params?.job_id === jobId && n.params.status === 'done';
    await otherNotifications.until((items) => items.some(isEnd));
    const done = otherNotifications.items.find(isEnd)!;
    expect(done.params).toMatchObject({ client_id: 'alice', result: { via: 'call' } });
    expect(verifiesWithServerKey(keys, done.params)).toBe(true);
  });

  it('`call` errors are unchanged', async () => {
    const call = mcp.client.request({ method: 'call', params: { v: 'mcp/0.1' } } as any, ResultSchema.passthrough());
    await expect(call).rejects.toMatchObject({ code: -32602 });
  });
});

// Last: it closes the connection the other tests share.
it('closes cleanly, the client having reported no error', async () => {
  await mcp.close();
  expect(mcp.takeErrors()).toEqual([]);
});
