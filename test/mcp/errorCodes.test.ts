/**
 * The codes of JSON-RPC errors on MCP requests: none means what the MCP SDK
 * gives a meaning of its own (a refused call must not read as a timeout),
 * toolseal's code stays in `data.toolseal_code`, an unknown tool reads as
 * MCP's own example, and the `call` method's codes are unchanged.
 */
import { ErrorCode as SdkErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { failTestsOnProtocolViolations, ServerProcess } from '../support/serverProcess';

let keys: TestKeys;
let server: ServerProcess;

/** The SDK's own codes besides JSON-RPC's standard ones (-32700, -32600..-32603), which keep their meaning. */
const SDK_OWN_CODES = Object.values(SdkErrorCode).filter((c): c is number => typeof c === 'number' && c !== -32700 && !(c >= -32603 && c <= -32600));

beforeAll(async () => {
  keys = makeTestKeys();
  server = new ServerProcess(keys);
  await server.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'codes-test', version: '1' } });
});

failTestsOnProtocolViolations(() => server);

afterAll(() => server?.kill());

function signedCall(name: string, args: Record<string, unknown>, options: Parameters<ServerProcess['envelope']>[2] = {}) {
  return server.request('tools/call', { name, arguments: args, _meta: { 'toolseal/envelope': server.envelope(name, args, options) } });
}

it('the SDK has codes of its own that toolseal used to answer with', () => {
  expect(SDK_OWN_CODES).toEqual(expect.arrayContaining([SdkErrorCode.ConnectionClosed, SdkErrorCode.RequestTimeout]));
});

it('authentication failures: -3300x, with the toolseal code in data, never an SDK code', async () => {
  const unsigned = await server.request('tools/call', { name: 'batch_sum', arguments: { numbers: [1] } });
  const forged = await signedCall('batch_sum', { numbers: [1] }, { secret: keys.clients.bob![0] });
  const stale = await signedCall('batch_sum', { numbers: [1] }, { fields: { ts_ms: Date.now() - 400_000 } });
  const elsewhere = await signedCall('batch_sum', { numbers: [1] }, { fields: { server_id: 'another-server' } });
  const once = server.envelope('batch_sum', { numbers: [1] });
  await server.request('tools/call', { name: 'batch_sum', arguments: { numbers: [1] }, _meta: { 'toolseal/envelope': once } });
  const replayed = await server.request('tools/call', { name: 'batch_sum', arguments: { numbers: [1] }, _meta: { 'toolseal/envelope': once } });
  const taskGet = await server.request('tasks/get', { taskId: 'x' });

  expect(unsigned.error).toMatchObject({ code: -33001, data: { toolseal_code: -32001, reason: 'unsigned' } });
  expect(forged.error).toEqual({ code: -33001, message: 'unauthenticated', data: { toolseal_code: -32001 } });
  expect(stale.error).toMatchObject({ code: -33002, message: 'stale request', data: { toolseal_code: -32002 } });
  expect(replayed.error).toMatchObject({ code: -33003, data: { toolseal_code: -32003 } });
  expect(elsewhere.error).toMatchObject({ code: -33004, data: { toolseal_code: -32004 } });
  expect(taskGet.error).toMatchObject({ code: -33001 });
  for (const reply of [unsigned, forged, stale, elsewhere, replayed, taskGet]) {
    expect(SDK_OWN_CODES).not.toContain(reply.error!.code);
  }
});

it('an unknown tool: -32602 "Unknown tool: <name>", as MCP\'s example', async () => {
  const reply = await signedCall('no_such_tool', {});
  expect(reply.error).toMatchObject({ code: -32602, message: 'Unknown tool: no_such_tool', data: { toolseal_code: -32010, tool: 'no_such_tool' } });
});

it('a task-augmented call that starts no job answers the tool error as -3301x', async () => {
  const reply = await server.request('tools/call', {
    name: 'start_long_task',
    arguments: { seconds: 99 },
    task: {},
    _meta: { 'toolseal/envelope': server.envelope('start_long_task', { seconds: 99 }) },
  });
  expect(reply.error).toMatchObject({ code: -33011, data: { toolseal_code: -32011, errors: [{ path: '/seconds' }] } });
});

it('standard JSON-RPC codes are unchanged on MCP requests', async () => {
  expect((await server.request('tools/call', { name: 42 })).error).toMatchObject({ code: -32602, message: 'Invalid params' });
  expect((await server.request('tools/list', { cursor: 'next' })).error?.code).toBe(-32602);
  expect((await server.request('resources/list', {})).error?.code).toBe(-32601);
});

it('the call method keeps its codes on the same connection', async () => {
  expect((await server.call('batch_sum', { numbers: [1] }, { secret: keys.clients.bob![0] })).error).toEqual({ code: -32001, message: 'unauthenticated' });
  expect((await server.call('no_such_tool', {})).error).toMatchObject({ code: -32010, message: 'unknown tool' });
});

// Last: it closes the server the other tests share.
it('exits 0 when its input ends', async () => {
  expect(await server.close()).toEqual({ code: 0, signal: null });
});
