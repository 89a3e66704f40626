/**
 * The MCP front end at the line level: version negotiation, and a blocked
 * `tasks/result` when stdin ends.
 */
import * as fs from 'node:fs';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { failTestsOnProtocolViolations, ServerProcess } from '../support/serverProcess';

let keys: TestKeys;

beforeAll(() => {
  keys = makeTestKeys();
});

/** What ServerProcess flags that is MCP's own traffic. */
const MCP_NOTIFICATIONS = /unexpected server request\/notification: notifications\/(progress|tasks\/status)$/;

function initialize(server: ServerProcess, protocolVersion: unknown) {
  return server.request('initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 'wire-test', version: '1' } });
}

describe('initialize', () => {
  let server: ServerProcess;
  beforeAll(() => (server = new ServerProcess(keys)));
  failTestsOnProtocolViolations(() => server);
  afterAll(() => server?.kill());

  it('answers the version asked for when it speaks it, with tasks only from 2025-11-25', async () => {
    const latest = await initialize(server, '2025-11-25');
    expect(latest.result).toMatchObject({ protocolVersion: '2025-11-25', serverInfo: { name: 'toolseal' } });
    expect(latest.result.capabilities).toEqual({ tools: { listChanged: false }, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } });

    const older = await initialize(server, '2025-06-18');
    expect(older.result.protocolVersion).toBe('2025-06-18');
    expect(older.result.capabilities).toEqual({ tools: { listChanged: false } });
    const tools = await server.request('tools/list', {});
    expect(tools.result.tools.some((t: { execution?: unknown }) => t.execution !== undefined)).toBe(false);
  });

  it('answers its latest version to a version it does not speak', async () => {
    for (const asked of ['2024-11-05', '2030-01-01', 'draft']) {
      expect((await initialize(server, asked)).result.protocolVersion).toBe('2025-11-25');
    }
  });

  it('refuses malformed initialize params with -32602', async () => {
    expect((await initialize(server, 20251125)).error?.code).toBe(-32602);
    expect((await server.request('initialize', [])).error?.code).toBe(-32602);
  });

  it('ignores task augmentation under a revision without tasks', async () => {
    await initialize(server, '2025-06-18');
    const reply = await server.request('tools/call', {
      name: 'batch_sum',
      arguments: { numbers: [1] },
      task: {},
      _meta: { 'toolseal/envelope': server.envelope('batch_sum', { numbers: [1] }) },
    });
    expect(reply.result.structuredContent).toEqual({ count: 1, total: 1 });
    await initialize(server, '2025-11-25');
  });

  // Last: it closes the server the other tests share.
  it('exits 0 when its input ends', async () => {
    expect(await server.close()).toEqual({ code: 0, signal: null });
  });
});

describe('duplicate keys', () => {
  it('a tools/call whose _meta envelope repeats a key is refused with -32602 naming it, though the last one verifies', async () => {
    const server = new ServerProcess(keys);
    await initialize(server, '2025-11-25');
    const params = { name: 'server_identity', _meta: { 'toolseal/envelope': server.envelope('server_identity') } };
    const line = JSON.stringify({ jsonrpc: '2.0', id: 'dup', method: 'tools/call', params });
    server.write(line.replace('"tool":', '"tool":"batch_sum","tool":') + '\n');
    const reply = await server.waitFor((m) => m.id === 'dup');
    expect(reply.error?.code).toBe(-32602);
    expect(reply.error?.data.errors).toEqual([{ path: '/_meta/toolseal~1envelope', message: 'duplicate key "tool"' }]);
    // The same call without the duplicate runs.
    const plain = await server.request('tools/call', { name: 'server_identity', _meta: { 'toolseal/envelope': server.envelope('server_identity') } });
    expect(plain.result.isError).not.toBe(true);
    server.end();
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});

describe('stdin EOF', () => {
  it('a tasks/result waiting for a job is answered when the drain cancels the job', async () => {
    const server = new ServerProcess(keys, ['--allow-unsigned-mcp', '--drain-ms', '0']);
    await initialize(server, '2025-11-25');
    const created = await server.request('tools/call', { name: 'start_long_task', arguments: { seconds: 20 }, task: {} });
    const taskId = created.result.task.taskId;
    server.send({ jsonrpc: '2.0', id: 'result', method: 'tasks/result', params: { taskId } });
    // Lines are read in order: ping's answer proves tasks/result was read before the EOF.
    await server.request('ping', {});
    server.end();
    const answer = await server.waitFor((m) => m.id === 'result');
    expect(answer.result).toMatchObject({ isError: true, content: [{ type: 'text', text: 'job cancelled' }] });
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const status = server.messages.find((m) => m.method === 'notifications/tasks/status' && m.params.taskId === taskId);
    expect(status?.params.status).toBe('cancelled');
    expect(server.violations.filter((v) => !MCP_NOTIFICATIONS.test(v))).toEqual([]);
  });
});

describe('start-up', () => {
  it('refuses --allow-unsigned-mcp with a keyring that has a client named mcp:unsigned (exit 2)', async () => {
    const reserved = makeTestKeys();
    const document = { ...reserved.document, clients: { ...reserved.document.clients, 'mcp:unsigned': { secrets: [reserved.clients.bob![0]!] } } };
    fs.writeFileSync(reserved.file, JSON.stringify(document));
    const server = new ServerProcess(reserved, ['--allow-unsigned-mcp']);
    expect(await server.exited).toEqual({ code: 2, signal: null });
    expect(server.stderr).toMatch(/mcp:unsigned.*--allow-unsigned-mcp/);
    expect(server.lines).toEqual([]);
    // Without the flag the name is an ordinary client id.
    const plain = new ServerProcess(reserved);
    expect((await plain.request('ping', {})).result).toEqual({});
    plain.end();
    expect((await plain.exited).code).toBe(0);
  });
});

describe('job reports on an MCP session', () => {
  it('a job started by tools/call reports through MCP only; one started by call sends job/status', async () => {
    const server = new ServerProcess(keys, ['--allow-unsigned-mcp']);
    await initialize(server, '2025-11-25');
    const plain = await server.request('tools/call', { name: 'start_long_task', arguments: { seconds: 1 } });
    const plainJob = plain.result.structuredContent.job_id;
    const created = await server.request('tools/call', { name: 'start_long_task', arguments: { seconds: 1 }, task: {}, _meta: { progressToken: 'p' } });
    const taskId = created.result.task.taskId;
    const viaCall = await server.call('start_long_task', { seconds: 1 });
    const callJob = viaCall.result.result.job_id;

    const ended = await server.waitFor((m) => m.method === 'notifications/tasks/status' && m.params.taskId === taskId);
    expect(ended.params.status).toBe('completed');
    // lastUpdatedAt moved with the status, and every answer tells the same one.
    expect(Date.parse(ended.params.lastUpdatedAt)).toBeGreaterThan(Date.parse(ended.params.createdAt));
    const got = await server.request('tasks/get', { taskId });
    expect(got.result).toMatchObject({ status: 'completed', lastUpdatedAt: ended.params.lastUpdatedAt, ttl: ended.params.ttl });
    const listed = await server.request('tasks/list', {});
    expect(listed.result.tasks.find((t: { taskId: string }) => t.taskId === taskId).lastUpdatedAt).toBe(ended.params.lastUpdatedAt);

    expect((await server.waitForJobEnd(callJob)).at(-1).status).toBe('done');
    server.end(); // the drain lets the plain MCP job finish
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.jobStatuses(plainJob)).toEqual([]);
    expect(server.jobStatuses(taskId)).toEqual([]);
    expect(server.messages.some((m) => m.method === 'notifications/progress' && m.params.progressToken === 'p' && m.params.progress === 100)).toBe(true);
    expect(server.violations.filter((v) => !MCP_NOTIFICATIONS.test(v))).toEqual([]);
  });
});
