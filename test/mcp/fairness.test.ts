/**
 * Unsigned MCP callers all run as the client id `mcp:unsigned`, so they
 * share one client's share of the job slots: filling it answers them
 * -32013 (over MCP: -33013 with data.toolseal_code -32013) and leaves room
 * for signed clients.
 */
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { makeTestKeys } from '../support/keys';
import { connectMcp, failTestsOnClientErrors, envelope, signedMeta, type McpConnection } from './support';

const keys = makeTestKeys();
let mcp: McpConnection;

beforeAll(async () => {
  mcp = await connectMcp(keys, ['--allow-unsigned-mcp', '--max-jobs', '5', '--max-jobs-per-client', '2'], { capabilities: { tasks: {} } });
});

failTestsOnClientErrors(() => mcp);

// Cleanup only (closing twice is harmless): the last test closes and checks.
afterAll(() => mcp?.close());

function startTask(meta?: Record<string, unknown>) {
  const args = { seconds: 20 };
  const params = { name: 'start_long_task', arguments: args, ...(meta ? { _meta: meta } : {}) };
  return mcp.client.request({ method: 'tools/call', params }, CreateTaskResultSchema, { task: { ttl: 60_000 } });
}

it('refuses unsigned MCP jobs past their share with -32013 while a signed client still starts one', async () => {
  await startTask();
  await startTask();
  // MCP answers toolseal's codes as -330xx, the toolseal code in data.
  await expect(startTask()).rejects.toMatchObject({ code: -33013, data: { toolseal_code: -32013 }, message: expect.stringMatching(/per client/) });
  const signed = await startTask(signedMeta(envelope(keys, 'start_long_task', { seconds: 20 })));
  expect(signed.task.status).toBe('working');
});

// Last: it closes the connection the other tests share.
it('closes cleanly, the client having reported no error', async () => {
  await mcp.close();
  expect(mcp.takeErrors()).toEqual([]);
});
