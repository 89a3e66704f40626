/**
 * The MCP front end and per-client tool lists: a signed `tools/list` lists
 * what the signing client may call, and a `tools/call` outside its list is
 * refused like an unknown tool.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { failTestsOnProtocolViolations, ServerProcess } from '../support/serverProcess';
import { ENVELOPE_KEY } from './support';

const TOOLS = path.resolve(__dirname, '..', 'fixtures', 'tools', 'text.js');

let keys: TestKeys;
let server: ServerProcess;

beforeAll(async () => {
  const base = makeTestKeys();
  const document = structuredClone(base.document) as any;
  document.clients.bob.tools = ['word_count'];
  const file = path.join(path.dirname(base.file), 'keys-bob-limited.json');
  fs.writeFileSync(file, JSON.stringify(document), { mode: 0o600 });
  keys = { ...base, document, file };
  server = new ServerProcess(keys, ['--tools', TOOLS]);
  await server.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'allowlist-test', version: '1' } });
  server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
});

failTestsOnProtocolViolations(() => server);

afterAll(() => server?.kill());

const bob = () => ({ clientId: 'bob', secret: keys.clients.bob![0]! });
const names = (reply: any): string[] => reply.result.tools.map((t: { name: string }) => t.name).sort();

it('signed by a client with a list: only its tools and the protocol tools', async () => {
  const reply = await server.request('tools/list', { _meta: { [ENVELOPE_KEY]: server.envelope('tools/list', undefined, bob()) } });
  expect(names(reply)).toEqual(['cancel_job', 'list_tools', 'poll_job', 'server_identity', 'word_count']);
});

it('signed by a client without a list, or unsigned: every tool', async () => {
  const signed = await server.request('tools/list', { _meta: { [ENVELOPE_KEY]: server.envelope('tools/list') } });
  expect(names(signed)).toEqual(['cancel_job', 'list_tools', 'noisy', 'poll_job', 'profile', 'refuser', 'server_identity', 'word_count']);
  expect(names(await server.request('tools/list', {}))).toEqual(names(signed));
});

it('a badly signed tools/list is refused, not answered with every tool', async () => {
  const forged = server.envelope('tools/list', undefined, { clientId: 'bob', secret: keys.clients.alice![0]! });
  const reply = await server.request('tools/list', { _meta: { [ENVELOPE_KEY]: forged } });
  expect(reply.error?.code).toBe(-33001);
});

it('tools/call outside the client\'s list is refused as an unknown tool', async () => {
  const call = (name: string, args: Record<string, unknown>) =>
    server.request('tools/call', { name, arguments: args, _meta: { [ENVELOPE_KEY]: server.envelope(name, args, bob()) } });
  expect((await call('word_count', { text: 'a b' })).result.structuredContent).toEqual({ words: 2 });
  const refused = await call('profile', { name: 'x', age: 1, email: 'a@b.co', born: '2000-01-01' });
  const unknown = await call('nothing_here', {});
  expect(refused.error).toMatchObject({ code: -32602, message: 'Unknown tool: profile', data: { toolseal_code: -32010 } });
  expect(unknown.error).toMatchObject({ code: -32602, message: 'Unknown tool: nothing_here', data: { toolseal_code: -32010 } });
});

// Last: it closes the server the other tests share.
it('exits 0 when its input ends', async () => {
  expect(await server.close()).toEqual({ code: 0, signal: null });
});
