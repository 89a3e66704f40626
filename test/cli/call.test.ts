import { errorObject, errorSummary } from '../../src/cli/call';
import { ServerError } from '../../src/client/errors';
import { ToolsealError } from '../../src/protocol/errors';
import { HmacKey } from '../../src/protocol/hmacKey';
import { decodeSecret } from '../../src/protocol/keyring';
import { SchemaRegistry } from '../../src/protocol/schemas';
import { verifySigned } from '../../src/protocol/signing';
import { jsonLines, runCli } from '../support/cli';
import { makeTestKeys, type TestKeys } from '../support/keys';

const schemas = new SchemaRegistry();
let keys: TestKeys;
let serverKey: HmacKey;

beforeAll(() => {
  keys = makeTestKeys();
  serverKey = new HmacKey(decodeSecret(keys.serverSecret, 'server'));
});

describe('toolseal call', () => {
  it('prints the verified response as one JSON line and exits 0', async () => {
    const run = await runCli(['call', 'batch_sum', '{"numbers": [1, 2, 3]}', '--keys', keys.file]);
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines).toHaveLength(1);
    const response = lines[0];
    expect(schemas.response.check(response)).toEqual([]);
    expect(verifySigned([serverKey], response)).toBe(true);
    expect(response).toMatchObject({ ok: true, status: 'ok', result: { count: 3, total: 6 } });
  });

  it('calls without args, as another client', async () => {
    const run = await runCli(['call', 'server_identity', '--keys', keys.file, '--client', 'bob']);
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0].result.server_id).toBe(keys.serverId);
  });

  it('prints the JSON-RPC error object and exits 1 on bad args', async () => {
    const run = await runCli(['call', 'batch_sum', '{"numbers": []}', '--keys', keys.file]);
    expect(run.code).toBe(1);
    const [error] = jsonLines(run.stdout);
    expect(error).toMatchObject({ code: -32011, verified: true, data: { errors: [expect.objectContaining({ path: '/numbers' })] } });
    expect(verifySigned([serverKey], error.data.response)).toBe(true);
    // The message is the signed response's.
    expect(error.message).toBe(error.data.response.error);
    expect(run.stderr).toMatch(/invalid arguments: \/numbers .* \(-32011\)/);
  });

  it('flags an error the server could not sign as unverified, on stdout and stderr', () => {
    const error = new ServerError(-32001, 'unauthenticated', undefined, false);
    expect(errorObject(error)).toEqual({ code: -32001, message: 'unauthenticated', verified: false });
    expect(errorSummary(error)).toBe('unverified error, not signed by the server: unauthenticated (-32001)');
    // Client-side codes are the client's own: no flag.
    expect(errorObject(new ToolsealError(-31002, 'no answer within 5 ms', { timeout_ms: 5 }))).toEqual({ code: -31002, message: 'no answer within 5 ms', data: { timeout_ms: 5 } });
  });

  it('with --wait streams the verified notifications of a job until it is done', async () => {
    const run = await runCli(['call', 'start_long_task', '{"seconds": 1, "payload": {"n": 1}}', '--keys', keys.file, '--wait']);
    expect(run.code).toBe(0);
    const [accepted, ...statuses] = jsonLines(run.stdout);
    expect(accepted).toMatchObject({ status: 'accepted', result: { job_id: expect.any(String) } });
    // How many progress reports come between is a matter of timing; the shape is not: the start, then done.
    expect(statuses.map((s) => s.status)).toEqual(['running', ...statuses.slice(1, -1).map(() => 'running'), 'done']);
    for (const status of statuses) {
      expect(schemas.jobStatus.check(status)).toEqual([]);
      expect(verifySigned([serverKey], status)).toBe(true);
      expect(status).toMatchObject({ job_id: accepted.result.job_id, request_id: accepted.request_id, client_id: 'alice' });
    }
    expect(statuses.map((s) => s.seq)).toEqual(statuses.map((_, i) => i + 1));
    expect(statuses.at(-1)).toMatchObject({ status: 'done', result: { n: 1 } });
  });

  it('takes the keyring from TOOLSEAL_KEYS_JSON or TOOLSEAL_KEYS, as serve does', async () => {
    const fromJson = await runCli(['call', 'server_identity'], { env: { TOOLSEAL_KEYS_JSON: JSON.stringify(keys.document) } });
    expect(fromJson.code).toBe(0);
    expect(jsonLines(fromJson.stdout)[0].result.server_id).toBe(keys.serverId);
    const fromFile = await runCli(['call', 'server_identity', '--client', 'bob'], { env: { TOOLSEAL_KEYS: keys.file } });
    expect(fromFile.code).toBe(0);
    expect(jsonLines(fromFile.stdout)[0].result.server_id).toBe(keys.serverId);
    const none = await runCli(['call', 'server_identity']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no keyring: pass --keys FILE, or set TOOLSEAL_KEYS_JSON or TOOLSEAL_KEYS/);
    const bad = await runCli(['call', 'server_identity'], { env: { TOOLSEAL_KEYS_JSON: '{not json' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/TOOLSEAL_KEYS_JSON/);
  });

  it('says on stderr which tool is unknown', async () => {
    const run = await runCli(['call', 'nope', '{}', '--keys', keys.file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/unknown tool.*"?nope"?/);
  });

  it('exits 2 on usage and keyring errors', async () => {
    expect((await runCli(['call', '--keys', keys.file])).code).toBe(2);
    expect((await runCli(['call', 'batch_sum', '[1]', '--keys', keys.file])).code).toBe(2);
    expect((await runCli(['call', 'batch_sum', '{nope', '--keys', keys.file])).code).toBe(2);
    const unknownClient = await runCli(['call', 'server_identity', '--keys', keys.file, '--client', 'mallory']);
    expect(unknownClient.code).toBe(2);
    expect(unknownClient.stderr).toMatch(/no client "mallory"/);
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await runCli(['call', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: toolseal call/);
  });
});
