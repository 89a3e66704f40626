import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HmacKey } from '../../src/protocol/hmacKey';
import { decodeSecret } from '../../src/protocol/keyring';
import { SchemaRegistry } from '../../src/protocol/schemas';
import { verifySigned } from '../../src/protocol/signing';
import { jsonLines, runCli } from '../support/cli';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { CLI } from '../support/serverProcess';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'calls.jsonl');
const schemas = new SchemaRegistry();
let keys: TestKeys;

beforeAll(() => {
  keys = makeTestKeys();
});

/** `toolseal sign ... < fixtures | toolseal serve ...`, the way a shell pipes it. */
function signIntoServe(fixtures: string): Promise<{ signCode: number | null; serveCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH };
    const signer = spawn(process.execPath, [CLI, 'sign', '--keys', keys.file, '--client', 'alice', '--id-prefix', 'fx-'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const server = spawn(process.execPath, [CLI, 'serve', '--keys', keys.file], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    signer.stdout.pipe(server.stdin);
    fs.createReadStream(fixtures).pipe(signer.stdin);
    let stdout = '';
    let stderr = '';
    signer.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    server.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const signed = new Promise<number | null>((done) => signer.on('close', done));
    server.on('close', (serveCode) => void signed.then((signCode) => resolve({ signCode, serveCode, stdout, stderr })));
  });
}

describe('toolseal sign', () => {
  it('signs each input line into a call request', async () => {
    const run = await runCli(['sign', '--keys', keys.file, '--client', 'bob'], { input: '{"tool": "server_identity"}\n\n{"tool": "batch_sum", "args": {"numbers": [1]}}\r\n' });
    expect(run.code).toBe(0);
    const requests = jsonLines(run.stdout);
    expect(requests.map((r) => r.id)).toEqual([1, 2]);
    const bobKey = new HmacKey(decodeSecret(keys.clients.bob![0]!, 'bob'));
    for (const request of requests) {
      expect(request).toMatchObject({ jsonrpc: '2.0', method: 'call' });
      expect(schemas.envelope.check(request.params)).toEqual([]);
      expect(verifySigned([bobKey], request.params)).toBe(true);
      expect(request.params).toMatchObject({ client_id: 'bob', server_id: keys.serverId });
    }
    expect(Object.hasOwn(requests[0].params, 'args')).toBe(false);
    expect(requests[0].params.nonce).not.toBe(requests[1].params.nonce);
  });

  it('reports bad lines with their line numbers, keeps going, and exits 1', async () => {
    const input = ['{"tool": "a"}', 'not json', '{"tool": "b", "arg": {}}', '{"args": {}}', '{"tool": "c", "args": [1]}', '{"tool": "d"}'].join('\n');
    const run = await runCli(['sign', '--keys', keys.file], { input });
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout).map((r) => r.params.tool)).toEqual(['a', 'd']);
    for (const line of [2, 3, 4, 5]) expect(run.stderr).toContain(`line ${line}:`);
    expect(run.stderr).not.toContain('line 1:');
  });

  it('exits 2 without --keys', async () => {
    expect((await runCli(['sign'])).code).toBe(2);
  });

  it('pipes test/fixtures/calls.jsonl into serve: one response per request, whole job lifecycles ending in done', async () => {
    const fixtureCount = fs.readFileSync(FIXTURES, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
    const { signCode, serveCode, stdout, stderr } = await signIntoServe(FIXTURES);
    expect({ signCode, serveCode }).toEqual({ signCode: 0, serveCode: 0 });
    expect(stderr).not.toMatch(/toolseal sign/);
    const messages = jsonLines(stdout);
    const serverKey = new HmacKey(decodeSecret(keys.serverSecret, 'server'));

    const responses = messages.filter((m) => m.method === undefined);
    expect(responses.map((r) => r.id).sort()).toEqual(Array.from({ length: fixtureCount }, (_, i) => `fx-${i + 1}`).sort());
    for (const response of responses) {
      const signed = response.result ?? response.error.data.response;
      expect(verifySigned([serverKey], signed)).toBe(true);
    }
    const byId = Object.fromEntries(responses.map((r) => [r.id, r]));
    expect(byId['fx-1'].result.result.server_id).toBe(keys.serverId);
    expect(byId['fx-2'].result.result).toEqual({ count: 3, total: 6 });
    expect(responses.filter((r) => r.error?.code === -32011)).toHaveLength(1);
    expect(Object.values(byId).some((r: any) => r.result?.result?.tools?.length === 6)).toBe(true);

    const accepted = responses.filter((r) => r.result?.status === 'accepted');
    expect(accepted).toHaveLength(1);
    const jobId = accepted[0].result.result.job_id;
    const statuses = messages.filter((m) => m.method === 'job/status').map((m) => m.params);
    // How many progress reports come between is a matter of timing; the shape is not: the start, then done.
    expect(statuses.map((s) => s.status)).toEqual(['running', ...statuses.slice(1, -1).map(() => 'running'), 'done']);
    for (const status of statuses) {
      expect(status.job_id).toBe(jobId);
      expect(verifySigned([serverKey], status)).toBe(true);
    }
    expect(statuses.map((s) => s.seq)).toEqual(statuses.map((_, i) => i + 1));
    expect(statuses.at(-1)).toMatchObject({ status: 'done', result: { from: 'fixtures' } });
  });
});
