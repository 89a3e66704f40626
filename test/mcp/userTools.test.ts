/**
 * A user's tools through the MCP front end, as an MCP host sees them: the
 * SDK's Client spawns `toolseal serve --tools ... --allow-unsigned-mcp`.
 */
import * as path from 'node:path';
import { CallToolResultSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { runCli } from '../support/cli';
import { makeTestKeys } from '../support/keys';
import { connectMcp, failTestsOnClientErrors, type McpConnection } from './support';

const TOOLS = path.resolve(__dirname, '..', 'fixtures', 'tools');

let mcp: McpConnection;

beforeAll(async () => {
  mcp = await connectMcp(makeTestKeys(), ['--tools', TOOLS, '--allow-unsigned-mcp'], { capabilities: { tasks: {} } });
});

failTestsOnClientErrors(() => mcp);

// Cleanup only (closing twice is harmless): the last test closes and checks.
afterAll(() => mcp?.close());

it('lists the user tools: output schemas for plain tools, task support for job tools', async () => {
  const { tools } = await mcp.client.listTools();
  const byName = new Map(tools.map((t) => [t.name, t]));
  expect(byName.get('word_count')).toMatchObject({ inputSchema: { type: 'object', required: ['text'] }, outputSchema: { required: ['words'] } });
  expect(byName.get('word_count')!.execution).toBeUndefined();
  expect(byName.get('count_up')).toMatchObject({ execution: { taskSupport: 'optional' } });
  expect(byName.get('count_up')!.outputSchema).toBeUndefined();
  expect(byName.has('batch_sum')).toBe(false);
});

it('toolseal tools --format mcp prints exactly what tools/list answers', async () => {
  const { tools } = await mcp.client.listTools();
  const run = await runCli(['tools', '--tools', TOOLS, '--format', 'mcp']);
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toEqual(tools);
});

it('lists a draft-07 schema with its $schema (MCP reads a schema without one as 2020-12); list_tools keeps leaving it out', async () => {
  const { tools } = await mcp.client.listTools();
  const legacy = tools.find((t) => t.name === 'legacy_echo')!;
  const draft07 = 'http://json-schema.org/draft-07/schema#';
  expect(legacy.inputSchema).toMatchObject({ $schema: draft07, properties: { items: { items: [{ type: 'string' }], additionalItems: false } } });
  expect(legacy.outputSchema).toMatchObject({ $schema: draft07, type: 'object' });
  expect(tools.find((t) => t.name === 'bookmark')!.inputSchema.$schema).toBeUndefined();
  // The SDK client checks structuredContent against the listed draft-07 output schema.
  expect((await mcp.client.callTool({ name: 'legacy_echo', arguments: { items: ['a'] } })).structuredContent).toEqual({ items: ['a'] });

  const listed = (await mcp.client.callTool({ name: 'list_tools', arguments: {} })).structuredContent as { tools: Array<{ name: string; input_schema: object }> };
  expect(listed.tools.find((t) => t.name === 'legacy_echo')!.input_schema).not.toHaveProperty('$schema');
});

it('calls a plain user tool: structuredContent valid against its output schema', async () => {
  const result = await mcp.client.callTool({ name: 'word_count', arguments: { text: 'one two' } });
  expect(result.structuredContent).toEqual({ words: 2 });
  const bad = await mcp.client.callTool({ name: 'bookmark', arguments: { url: 'no', at: [1] } });
  expect(bad.isError).toBe(true);
  expect((bad.content as Array<{ text: string }>)[0]!.text).toMatch(/^invalid arguments: /);
});

it('runs a job tool as a task: ctx.progress messages reach the host as MCP progress', async () => {
  const progress: Progress[] = [];
  let result: any;
  const stream = mcp.client.experimental.tasks.callToolStream({ name: 'count_up', arguments: { n: 3 } }, CallToolResultSchema, {
    onprogress: (p) => progress.push(p),
  });
  for await (const message of stream) {
    if (message.type === 'result') result = message.result;
    if (message.type === 'error') throw message.error;
  }
  expect(result.structuredContent).toEqual({ counted: 3 });
  const messages = progress.map((p) => p.message);
  expect(messages).toEqual(expect.arrayContaining(['step 1 of 3', 'step 2 of 3']));
  expect(progress.at(-1)).toMatchObject({ progress: 100, total: 100, message: 'done' });
});

// Last: it closes the connection the other tests share.
it('closes cleanly, the client having reported no error', async () => {
  await mcp.close();
  expect(mcp.takeErrors()).toEqual([]);
});
