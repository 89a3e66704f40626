/**
 * MCP `notifications/cancelled` at the line level: a cancelled request gets
 * no answer (the server still answers everything else it owes, up to the
 * end of stdin), a running tool's signal aborts, and tasks are cancelled
 * only by `tasks/cancel`.
 */
import * as path from 'node:path';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { ServerProcess } from '../support/serverProcess';

const ABORTABLE = path.resolve(__dirname, '..', 'fixtures', 'mcp', 'abortable.mjs');
/** What ServerProcess flags that is MCP's own traffic. */
const MCP_NOTIFICATIONS = /unexpected server request\/notification: notifications\/(progress|tasks\/status)$/;

let keys: TestKeys;
const servers: ServerProcess[] = [];

beforeAll(() => {
  keys = makeTestKeys();
});

afterAll(() => {
  for (const server of servers) server.kill();
});

async function start(args: string[]): Promise<ServerProcess> {
  const server = new ServerProcess(keys, ['--allow-unsigned-mcp', ...args]);
  servers.push(server);
  const init = await server.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'cancel-test', version: '1' } });
  expect(init.result.protocolVersion).toBe('2025-11-25');
  return server;
}

function cancel(server: ServerProcess, requestId: string | number, reason?: string): void {
  server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: reason === undefined ? { requestId } : { requestId, reason } });
}

/** Resolves once `condition` holds, checking as the process writes (no timing assumed). */
async function until(server: ServerProcess, condition: () => boolean): Promise<void> {
  while (!condition()) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        server.child.stderr.off('data', done);
        server.child.stdout.off('data', done);
        resolve();
      };
      server.child.stderr.on('data', done);
      server.child.stdout.on('data', done);
    });
  }
}

/** Ends stdin, waits for a clean exit, and returns what was answered to `id`. */
async function answersAtExit(server: ServerProcess, id: string): Promise<unknown[]> {
  server.end();
  expect(await server.exited).toEqual({ code: 0, signal: null });
  expect(server.violations.filter((v) => !MCP_NOTIFICATIONS.test(v))).toEqual([]);
  return server.messages.filter((m) => m.id === id);
}

it('a cancelled tools/call: the running tool\'s signal aborts and the request gets no answer', async () => {
  const server = await start(['--drain-ms', '0', '--tools', ABORTABLE]);
  server.send({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'wait_for_abort', arguments: {} } });
  await until(server, () => server.stderr.includes('wait_for_abort_started'));
  cancel(server, 'slow', 'the user gave up');
  await until(server, () => server.stderr.includes('wait_for_abort_aborted'));
  expect(server.stderr).toContain('the user gave up');
  // The server goes on serving.
  expect((await server.request('ping', {})).result).toEqual({});
  expect(await answersAtExit(server, 'slow')).toEqual([]);
});

it('a notification for an unknown, answered or malformed request changes nothing', async () => {
  const server = await start(['--drain-ms', '0']);
  const answered = await server.request('tools/call', { name: 'batch_sum', arguments: { numbers: [1, 2] } });
  cancel(server, answered.id as string);
  cancel(server, 'never-sent');
  server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { reason: 'no id' } });
  server.send({ jsonrpc: '2.0', method: 'notifications/cancelled' });
  const again = await server.request('tools/call', { name: 'batch_sum', arguments: { numbers: [1, 2] } });
  expect(again.result.structuredContent).toEqual({ count: 2, total: 3 });
  expect(await answersAtExit(server, 'never-sent')).toEqual([]);
});

it('a cancelled tasks/result stops waiting without an answer; the task runs on until tasks/cancel', async () => {
  const server = await start(['--drain-ms', '0']);
  const created = await server.request('tools/call', { name: 'start_long_task', arguments: { seconds: 20 }, task: {} });
  const taskId = created.result.task.taskId;
  server.send({ jsonrpc: '2.0', id: 'wait', method: 'tasks/result', params: { taskId } });
  cancel(server, 'wait');
  expect((await server.request('tasks/get', { taskId })).result.status).toBe('working');
  expect((await server.request('tasks/cancel', { taskId })).result.status).toBe('cancelled');
  expect(await answersAtExit(server, 'wait')).toEqual([]);
});

it('does not cancel what only tasks/cancel or cancel_job may: a task-augmented call, a plain call of a job tool', async () => {
  const server = await start(['--drain-ms', '0']);
  // Each request and its cancellation in one write: the cancellation arrives before the answer is due.
  const asTask = { jsonrpc: '2.0', id: 'as-task', method: 'tools/call', params: { name: 'start_long_task', arguments: { seconds: 20 }, task: {} } };
  const plain = { jsonrpc: '2.0', id: 'plain-job', method: 'tools/call', params: { name: 'start_long_task', arguments: { seconds: 20 } } };
  const cancelled = (requestId: string) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId } });
  server.write([asTask, cancelled('as-task'), plain, cancelled('plain-job')].map((m) => JSON.stringify(m) + '\n').join(''));
  const task = await server.waitFor((m) => m.id === 'as-task');
  const job = await server.waitFor((m) => m.id === 'plain-job');
  expect((await server.request('tasks/get', { taskId: task.result.task.taskId })).result.status).toBe('working');
  const jobId = job.result.structuredContent.job_id;
  const polled = await server.request('tools/call', { name: 'poll_job', arguments: { job_id: jobId } });
  expect(JSON.parse(polled.result.content[0].text).status).toBe('running');
  expect(await answersAtExit(server, 'none')).toEqual([]);
});
