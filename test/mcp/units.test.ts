/** The pure parts of the MCP front end, without processes. */
import { JobManager, MemoryJobStore, type JobUpdate } from '../../src/jobs';
import { ErrorCode, ToolsealError } from '../../src/protocol/errors';
import type { CallRequest, Response } from '../../src/protocol/wire';
import { createLogger } from '../../src/server/logger';
import { EXAMPLE_TOOLS, protocolToolsForListing } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { checkEnvelopeBinding } from '../../src/mcp/authentication';
import { jobOutcomeResult, successResult, toolErrorResult } from '../../src/mcp/callResults';
import { parseTaskIdParams, parseListParams, parseToolCallParams } from '../../src/mcp/params';
import { progressOf, ProgressStream } from '../../src/mcp/progress';
import { negotiateProtocolVersion, serverCapabilities } from '../../src/mcp/session';
import { TaskRegistry, toMcpTask } from '../../src/mcp/taskRegistry';
import { advertisesOutputSchema, isOpenObjectSchema, mcpSchema, toMcpTool } from '../../src/tools/formats';
import { CancellableRequests, RequestCancelledError } from '../../src/mcp/cancellation';
import { MCP_ERROR_CODES, toMcpError } from '../../src/mcp/errors';
import type { McpTask } from '../../src/mcp/types';
import { MCP_NOTIFICATION_METHODS, MCP_REQUEST_METHODS } from '../../src/mcp/frontEnd';
import { DEFERRED_MCP_NOTIFICATIONS, DEFERRED_MCP_REQUESTS } from '../../src/serve/mcpDeferred';
import { ErrorCode as SdkErrorCode } from '@modelcontextprotocol/sdk/types.js';

describe('version negotiation', () => {
  it('keeps a version it speaks and answers its latest otherwise', () => {
    expect(negotiateProtocolVersion('2025-11-25')).toBe('2025-11-25');
    expect(negotiateProtocolVersion('2025-06-18')).toBe('2025-06-18');
    expect(negotiateProtocolVersion('2025-03-26')).toBe('2025-11-25');
    expect(negotiateProtocolVersion('')).toBe('2025-11-25');
  });

  it('offers tasks only where the revision has them', () => {
    expect(serverCapabilities('2025-11-25').tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    expect(serverCapabilities('2025-06-18').tasks).toBeUndefined();
  });
});

describe('tool catalog', () => {
  const tools = new ToolRegistry({ protocol: protocolToolsForListing(), tools: EXAMPLE_TOOLS }, createLogger('error'));
  const descriptor = (name: string) => tools.list().find((d) => d.name === name)!;

  it('tells open-object schemas from constraining ones', () => {
    expect(isOpenObjectSchema({ type: 'object' })).toBe(true);
    expect(isOpenObjectSchema({ title: 'X', description: 'y', type: 'object' })).toBe(true);
    expect(isOpenObjectSchema({ type: 'object', additionalProperties: false })).toBe(false);
    expect(isOpenObjectSchema({ type: 'object', required: ['a'] })).toBe(false);
    expect(isOpenObjectSchema({ type: 'array' })).toBe(false);
  });

  it('advertises the output schemas of the tools whose every result meets them', () => {
    const advertised = tools.list().filter(advertisesOutputSchema).map((d) => d.name).sort();
    expect(advertised).toEqual(['batch_sum', 'list_tools', 'server_identity']);
  });

  it('keeps $schema in a listed schema only when it declares draft-07', () => {
    const listed = { type: 'object' };
    expect(mcpSchema(listed, 'http://json-schema.org/draft-07/schema#')).toEqual({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' });
    expect(mcpSchema(listed, 'https://json-schema.org/draft/2020-12/schema')).toEqual(listed);
    expect(mcpSchema(listed, undefined)).toEqual(listed);
  });

  it('maps a descriptor, with task support for async tools when the revision has tasks', () => {
    expect(toMcpTool(descriptor('start_long_task'), { tasks: true }).execution).toEqual({ taskSupport: 'optional' });
    expect(toMcpTool(descriptor('start_long_task'), { tasks: false }).execution).toBeUndefined();
    const sum = toMcpTool(descriptor('batch_sum'), { tasks: true });
    expect(sum).toEqual({
      name: 'batch_sum',
      description: descriptor('batch_sum').description,
      inputSchema: descriptor('batch_sum').input_schema,
      outputSchema: descriptor('batch_sum').output_schema,
    });
  });
});

describe('envelope binding', () => {
  const call = (tool: string, args: Record<string, unknown>): CallRequest => ({
    requestId: 'r',
    tsMs: 0,
    clientId: 'alice',
    serverId: 's',
    tool,
    nonce: 'n',
    args,
  });
  const code = (fn: () => void): number | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      return (err as ToolsealError).code;
    }
  };

  it('matches equal tools and canonically equal args, absent counting as {}', () => {
    expect(code(() => checkEnvelopeBinding(call('t', {}), { tool: 't', args: undefined }))).toBeUndefined();
    expect(code(() => checkEnvelopeBinding(call('t', {}), { tool: 't', args: {} }))).toBeUndefined();
    expect(code(() => checkEnvelopeBinding(call('t', { a: 1, b: { c: [1, 2] } }), { tool: 't', args: { b: { c: [1, 2.0] }, a: 1 } }))).toBeUndefined();
  });

  it('refuses another tool or other args as unauthenticated, saying which', () => {
    expect(code(() => checkEnvelopeBinding(call('t', {}), { tool: 'u', args: undefined }))).toBe(ErrorCode.Unauthenticated);
    expect(code(() => checkEnvelopeBinding(call('t', { a: 1 }), { tool: 't', args: { a: '1' } }))).toBe(ErrorCode.Unauthenticated);
    expect(code(() => checkEnvelopeBinding(call('t', { c: [1, 2] }), { tool: 't', args: { c: [2, 1] } }))).toBe(ErrorCode.Unauthenticated);
    expect(code(() => checkEnvelopeBinding(call('t', {}), { tool: 't', args: { a: null } }))).toBe(ErrorCode.Unauthenticated);
    try {
      checkEnvelopeBinding(call('t', { a: 1 }), { tool: 'u', args: {} });
    } catch (err) {
      expect((err as ToolsealError).data).toEqual({ reason: 'envelope_mismatch', errors: [expect.objectContaining({ path: '/tool' }), expect.objectContaining({ path: '/args' })] });
    }
  });
});

describe('params', () => {
  const invalidAt = (fn: () => unknown): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      expect((err as ToolsealError).code).toBe(ErrorCode.InvalidParams);
      return ((err as ToolsealError).data!.errors as Array<{ path: string }>)[0]!.path;
    }
  };

  it('reads tools/call params and refuses malformed ones with the path', () => {
    const parsed = parseToolCallParams({ name: 'x', arguments: { a: 1 }, task: { ttl: 5 }, _meta: { progressToken: 7, 'toolseal/envelope': { v: 1 } } });
    expect(parsed).toEqual({ name: 'x', arguments: { a: 1 }, task: { ttl: 5 }, meta: { progressToken: 7, envelope: { v: 1 } } });
    expect(invalidAt(() => parseToolCallParams(undefined))).toBe('/');
    expect(invalidAt(() => parseToolCallParams({ name: '' }))).toBe('/name');
    expect(invalidAt(() => parseToolCallParams({ name: 'x', arguments: null }))).toBe('/arguments');
    expect(invalidAt(() => parseToolCallParams({ name: 'x', _meta: { progressToken: 1.5 } }))).toBe('/_meta/progressToken');
    expect(invalidAt(() => parseToolCallParams({ name: 'x', task: { ttl: -1 } }))).toBe('/task/ttl');
  });

  it('refuses arguments nested deeper than call allows its args', () => {
    let deep: unknown = {};
    for (let i = 0; i < 62; i++) deep = { a: deep };
    expect(invalidAt(() => parseToolCallParams({ name: 'x', arguments: deep }))).toBeUndefined();
    expect(invalidAt(() => parseToolCallParams({ name: 'x', arguments: { a: deep } }))).toMatch(/^\/arguments\//);
  });

  it('signs a task request as its method and its params without _meta', () => {
    expect(parseTaskIdParams('tasks/get', { taskId: 't', _meta: { x: 1 } }).target).toEqual({ tool: 'tasks/get', args: { taskId: 't' } });
    expect(parseListParams('tasks/list', undefined).target).toEqual({ tool: 'tasks/list', args: undefined });
    expect(parseListParams('tasks/list', { cursor: '3' }).target).toEqual({ tool: 'tasks/list', args: { cursor: '3' } });
    expect(invalidAt(() => parseTaskIdParams('tasks/get', { taskId: 3 }))).toBe('/taskId');
  });

  it('takes __proto__ keys as data', () => {
    const params = JSON.parse('{"name":"x","_meta":{"__proto__":{"toolseal/envelope":"inherited"}}}');
    expect(parseToolCallParams(params).meta.envelope).toBeUndefined();
  });
});

describe('call results', () => {
  const response = (fields: Partial<Response>): Response =>
    ({ v: 'mcp/0.1', request_id: 'r', ts_ms: 0, ok: true, server_id: 's', status: 'ok', result: null, error: null, signature: '0'.repeat(64), ...fields }) as Response;

  it('a result is structured content plus its JSON as text; a null result only says the status', () => {
    expect(successResult(response({ result: { a: 1 } }))).toMatchObject({ structuredContent: { a: 1 }, content: [{ type: 'text', text: '{"a":1}' }] });
    const running = successResult(response({ status: 'running' }));
    expect(running.structuredContent).toBeUndefined();
    expect(running.content).toEqual([{ type: 'text', text: '{"status":"running"}' }]);
    expect(successResult(response({ status: 'error', error: 'boom' })).content[0]!.text).toBe('{"status":"error","error":"boom"}');
  });

  it('a tool error is an isError result with the signed response and the error under _meta', () => {
    const signed = response({ ok: false, status: 'error', error: 'invalid arguments: /x must be number' });
    const err = new ToolsealError(ErrorCode.InvalidArguments, 'invalid arguments', { errors: [{ path: '/x', message: 'must be number' }], response: signed });
    expect(toolErrorResult(err)).toEqual({
      content: [{ type: 'text', text: 'invalid arguments: /x must be number' }],
      isError: true,
      _meta: {
        'toolseal/error': { code: -32011, message: 'invalid arguments', data: { errors: [{ path: '/x', message: 'must be number' }] } },
        'toolseal/response': signed,
      },
    });
  });

  it("a task's result is the job's outcome", () => {
    expect(jobOutcomeResult('t', { state: 'done', result: { p: 1 } })).toMatchObject({ structuredContent: { p: 1 }, _meta: { 'io.modelcontextprotocol/related-task': { taskId: 't' } } });
    expect(jobOutcomeResult('t', { state: 'error', error: 'boom' })).toMatchObject({ isError: true, content: [{ text: 'job failed: boom' }] });
    expect(jobOutcomeResult('t', { state: 'cancelled' })).toMatchObject({ isError: true, content: [{ text: 'job cancelled' }] });
  });
});

describe('progress', () => {
  it('reports percent, capped below the total while running', () => {
    expect(progressOf({ state: 'running', progress: 0.4567 })).toEqual({ progress: 45.7, message: 'running (45.7%)' });
    expect(progressOf({ state: 'running', progress: 1 }).progress).toBe(99);
    expect(progressOf({ state: 'error', error: 'x' })).toEqual({ progress: 100, message: 'failed: x' });
  });

  it('sends only increasing values and always the end', () => {
    const stream = new ProgressStream('tok', { m: 1 });
    const sent = [0, 0.5, 0.5, 0.4, 1, 1].map((p) => stream.next({ state: 'running', progress: p })?.progress);
    expect(sent).toEqual([0, 50, undefined, undefined, 99, undefined]);
    expect(stream.next({ state: 'cancelled' })).toEqual({ progressToken: 'tok', progress: 100, total: 100, message: 'cancelled', _meta: { m: 1 } });
  });
});

describe('tasks', () => {
  const timings = { jobTtlMs: 1000, pollIntervalMs: 250 };

  it('maps job states and times onto a task', () => {
    const base = { jobId: 'j', createdMs: 0 };
    expect(toMcpTask({ ...base, state: 'accepted' }, timings)).toEqual({
      taskId: 'j',
      status: 'working',
      statusMessage: 'accepted',
      createdAt: '1970-01-01T00:00:00.000Z',
      lastUpdatedAt: '1970-01-01T00:00:00.000Z',
      ttl: 1000,
      pollInterval: 250,
    });
    expect(toMcpTask({ ...base, state: 'running', progress: 0.25 }, timings).statusMessage).toBe('running (25%)');
    const failed = toMcpTask({ ...base, state: 'error', error: 'boom', finishedMs: 500, expiresMs: 1500 }, timings);
    expect(failed).toMatchObject({ status: 'failed', statusMessage: 'boom', lastUpdatedAt: '1970-01-01T00:00:00.500Z', ttl: 1500 });
    expect(toMcpTask({ ...base, state: 'done', finishedMs: 500, expiresMs: 1500 }, timings).status).toBe('completed');
    expect(toMcpTask({ ...base, state: 'cancelled', finishedMs: 500, expiresMs: 1500 }, timings).status).toBe('cancelled');
  });

  /** A JobManager whose jobs end when the test says so, and a registry on it. */
  function setup(pageSize?: number) {
    const finishers = new Map<string, (result: Record<string, unknown>) => void>();
    let registry!: TaskRegistry;
    const updates: Array<ReturnType<TaskRegistry['onJobUpdate']>> = [];
    const jobs = new JobManager({
      store: new MemoryJobStore(),
      maxJobs: 100,
      ttlMs: timings.jobTtlMs,
      onUpdate: (update: JobUpdate) => updates.push(registry.onJobUpdate(update)),
    });
    registry = new TaskRegistry({ jobs, ...timings, pageSize });
    const start = async (owner: string, token?: string) => {
      let finish!: (result: Record<string, unknown>) => void;
      const record = await jobs.start({
        ownerClientId: owner,
        requestId: 'r',
        tool: 'test',
        work: () => new Promise((resolve) => (finish = resolve)),
      });
      registry.add(record, token);
      finishers.set(record.jobId, (result) => finish(result));
      return record.jobId;
    };
    const started = () => new Promise((resolve) => setImmediate(resolve));
    return { jobs, registry, updates, start, finish: (id: string, r: Record<string, unknown>) => finishers.get(id)!(r), started };
  }

  it('shows a task to its owner only, with one answer for everyone else', async () => {
    const { jobs, registry, start } = setup();
    const id = await start('alice');
    expect((await registry.get(id, 'alice')).jobId).toBe(id);
    const other = await registry.get(id, 'bob').catch((e: ToolsealError) => e);
    const unknown = await registry.get('nope', 'alice').catch((e: ToolsealError) => e);
    expect(other).toEqual(unknown);
    expect((other as ToolsealError).code).toBe(ErrorCode.InvalidParams);
    await jobs.cancelAll();
    jobs.close();
  });

  it('resolves the outcome at the job end, and sends progress and the final status', async () => {
    const { jobs, registry, updates, start, finish, started } = setup();
    const id = await start('alice', 'tok');
    const outcome = registry.outcome(id, 'alice');
    await started();
    finish(id, { ok: 1 });
    expect(await outcome).toEqual({ state: 'done', result: { ok: 1 }, error: undefined });
    expect(updates.map((u) => u.progress?.progress)).toEqual([0, 100]);
    expect(updates.at(-1)!.status).toMatchObject({ taskId: id, status: 'completed' });
    // Asked after the end, the outcome is answered at once.
    expect(await registry.outcome(id, 'alice')).toMatchObject({ state: 'done', result: { ok: 1 } });
    jobs.close();
  });

  it('cancels a working task and refuses to cancel a finished one', async () => {
    const { jobs, registry, start } = setup();
    const id = await start('alice');
    expect((await registry.cancel(id, 'alice')).state).toBe('cancelled');
    await expect(registry.cancel(id, 'alice')).rejects.toMatchObject({ code: ErrorCode.InvalidParams, message: "cannot cancel task: already in terminal status 'cancelled'" });
    await expect(registry.cancel(id, 'bob')).rejects.toMatchObject({ message: 'task not found' });
    jobs.close();
  });

  it("moves lastUpdatedAt with the status, to the job's own end in every answer", async () => {
    let clock = 1_000;
    let registry!: TaskRegistry;
    const statuses: McpTask[] = [];
    const jobs = new JobManager({
      store: new MemoryJobStore(),
      maxJobs: 10,
      ttlMs: timings.jobTtlMs,
      now: () => clock,
      onUpdate: (update: JobUpdate) => {
        const status = registry.onJobUpdate(update).status;
        if (status !== undefined) statuses.push(status);
      },
    });
    // The registry reads its clock later than the job ended (a slow turn, say).
    registry = new TaskRegistry({ jobs, ...timings, now: () => clock + 5_000 });
    let finish: ((result: Record<string, unknown>) => void) | undefined;
    const record = await jobs.start({ ownerClientId: 'alice', requestId: 'r', tool: 't', work: () => new Promise((resolve) => (finish = resolve)) });
    const created = registry.add(record, undefined);
    expect(created.lastUpdatedAt).toBe(created.createdAt);
    while (finish === undefined) await new Promise((resolve) => setImmediate(resolve));
    expect(registry.toTask(await registry.get(record.jobId, 'alice'))).toMatchObject({ status: 'working', lastUpdatedAt: created.createdAt });
    clock = 2_000;
    finish({});
    await registry.outcome(record.jobId, 'alice');
    const ended = registry.toTask(await registry.get(record.jobId, 'alice'));
    expect(ended).toMatchObject({ status: 'completed', lastUpdatedAt: new Date(2_000).toISOString(), ttl: 1_000 + timings.jobTtlMs });
    expect(statuses).toEqual([ended]);
    jobs.close();
  });

  it('stops a tasks/result wait when its request is cancelled, leaving the task running', async () => {
    const { jobs, registry, start } = setup();
    const id = await start('alice');
    const controller = new AbortController();
    const waiting = registry.outcome(id, 'alice', controller.signal);
    controller.abort(new RequestCancelledError(undefined));
    await expect(waiting).rejects.toBeInstanceOf(RequestCancelledError);
    expect((await registry.get(id, 'alice')).state).not.toBe('cancelled');
    await jobs.cancelAll();
    jobs.close();
  });

  it("lists a client's own tasks in pages, with an opaque cursor", async () => {
    const { jobs, registry, start } = setup(2);
    const ids = [await start('alice'), await start('bob'), await start('alice'), await start('alice')];
    const first = await registry.list('alice', undefined);
    expect(first.tasks.map((t) => t.taskId)).toEqual([ids[0], ids[2]]);
    const second = await registry.list('alice', first.nextCursor);
    expect(second).toEqual({ tasks: [expect.objectContaining({ taskId: ids[3] })] });
    expect((await registry.list('bob', undefined)).tasks.map((t) => t.taskId)).toEqual([ids[1]]);
    await expect(registry.list('alice', 'x')).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
    await expect(registry.list('alice', '999')).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
    await jobs.cancelAll();
    jobs.close();
  });
});

describe('MCP error codes', () => {
  const sdkOwn = Object.values(SdkErrorCode).filter((c): c is number => typeof c === 'number' && c !== -32700 && !(c >= -32603 && c <= -32600));

  it('maps every toolseal code outside JSON-RPC\'s standard ones to a code the SDK does not define', () => {
    const own = Object.values(ErrorCode).filter((c) => c !== -32700 && !(c >= -32603 && c <= -32600));
    for (const code of own) {
      const mapped = MCP_ERROR_CODES.get(code);
      // -320xx answers as -330xx; an unknown tool as MCP's own example, invalid params.
      expect({ code, mapped }).toEqual({ code, mapped: code === ErrorCode.UnknownTool ? ErrorCode.InvalidParams : code - 1000 });
      expect(sdkOwn).not.toContain(mapped);
    }
  });

  it('keeps the toolseal code in data, and names an unknown tool as MCP does', () => {
    expect(toMcpError(new ToolsealError(ErrorCode.Unauthenticated, 'unauthenticated', { reason: 'unsigned' }))).toMatchObject({
      code: -33001,
      message: 'unauthenticated',
      data: { reason: 'unsigned', toolseal_code: -32001 },
    });
    expect(toMcpError(new ToolsealError(ErrorCode.UnknownTool, 'unknown tool', { tool: 'x' }))).toMatchObject({ code: -32602, message: 'Unknown tool: x', data: { tool: 'x', toolseal_code: -32010 } });
    const invalid = new ToolsealError(ErrorCode.InvalidParams, 'Invalid params');
    expect(toMcpError(invalid)).toBe(invalid);
    const other = new Error('boom');
    expect(toMcpError(other)).toBe(other);
  });
});

describe('cancellable requests', () => {
  it('drops the answer and aborts the signal of a request in progress, once', async () => {
    const dropped: Array<string | number> = [];
    const requests = new CancellableRequests({ dropAnswer: (id) => (dropped.push(id), true) });
    let signal!: AbortSignal;
    let release!: () => void;
    const running = requests.run(7, (scope) => {
      signal = scope.signal;
      return new Promise<void>((resolve) => (release = resolve));
    });
    requests.cancel({ requestId: 'other' });
    requests.cancel({ reason: 'no id' });
    requests.cancel(null);
    expect(signal.aborted).toBe(false);
    requests.cancel({ requestId: 7, reason: 'changed my mind' });
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('request cancelled by the client: changed my mind');
    requests.cancel({ requestId: 7 });
    expect(dropped).toEqual([7]);
    release();
    await running;
    expect(requests.size).toBe(0);
  });

  it('ignores a request that detached (a task-augmented call)', async () => {
    const requests = new CancellableRequests({ dropAnswer: () => true });
    let signal!: AbortSignal;
    const running = requests.run('t', async (scope) => {
      scope.detach();
      signal = scope.signal;
      await new Promise((resolve) => setImmediate(resolve));
    });
    requests.cancel({ requestId: 't' });
    expect(signal.aborted).toBe(false);
    await running;
  });
});

describe('the MCP front end as createServer installs it (loaded with the first MCP message)', () => {
  it('is installed for every method and notification of the front end', () => {
    expect([...DEFERRED_MCP_REQUESTS].sort()).toEqual([...MCP_REQUEST_METHODS].sort());
    expect([...DEFERRED_MCP_NOTIFICATIONS].sort()).toEqual([...MCP_NOTIFICATION_METHODS].sort());
  });
});
