/**
 * A user's own tools, served the two public ways: `toolseal serve --tools`
 * and a script of the user's calling `createServer(...).serveStdio()`. The
 * tool modules (test/fixtures/tools) load `toolseal` by its package name,
 * as a user's modules do.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { CLI, failTestsOnProtocolViolations, ServerProcess } from '../support/serverProcess';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
const TOOLS = path.join(FIXTURES, 'tools');

/** The test keyring, with bob allowed only word_count and bookmark. */
function keysWithAllowlist(): TestKeys {
  const keys = makeTestKeys();
  const document = structuredClone(keys.document) as any;
  document.clients.bob.tools = ['word_count', 'bookmark'];
  const file = path.join(path.dirname(keys.file), 'keys-allowlist.json');
  fs.writeFileSync(file, JSON.stringify(document), { mode: 0o600 });
  return { ...keys, document, file };
}

describe('toolseal serve --tools DIR', () => {
  let keys: TestKeys;
  let server: ServerProcess;

  beforeAll(() => {
    keys = keysWithAllowlist();
    server = new ServerProcess(keys, ['--tools', TOOLS, '--log-level', 'info']);
  });

  failTestsOnProtocolViolations(() => server);
  afterAll(() => server?.kill());

  it('serves a user tool with a signed, schema-checked result', async () => {
    const reply = await server.call('word_count', { text: 'the quick  brown fox ' });
    expect(reply.result).toMatchObject({ ok: true, status: 'ok', result: { words: 4 } });
  });

  it('lists the protocol tools and the user tools, without the example tools', async () => {
    const { result } = await server.call('list_tools', {});
    const names = result.result.tools.map((t: { name: string }) => t.name).sort();
    expect(names).toEqual(
      ['bad_job', 'bookmark', 'cancel_job', 'count_up', 'legacy_echo', 'list_tools', 'noisy', 'poll_job', 'profile', 'refuser', 'server_identity', 'slow', 'slow_job', 'wait_for_cancel', 'word_count'].sort(),
    );
    const countUp = result.result.tools.find((t: { name: string }) => t.name === 'count_up');
    expect(countUp).toMatchObject({ async: true, input_schema: { type: 'object', required: ['n'] } });
    expect((await server.call('batch_sum', { numbers: [1] })).error?.code).toBe(-32010);
  });

  it('keeps stdout pure JSON-RPC while a tool writes to console and process.stdout', async () => {
    const reply = await server.call('noisy', {});
    expect(reply.result.result).toEqual({ ok: true });
    await server.call('server_identity');
    expect(server.violations).toEqual([]);
    for (const line of server.lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(server.lines.join('\n')).not.toContain('noisy:');
    expect(server.stderr).toContain('noisy: console.log line');
    expect(server.stderr).toContain('noisy: process.stdout.write line');
    expect(server.stderr).toContain('console.info object');
    expect(server.stderr).toContain('noisy: console.error line');
    const logged = server.stderr
      .split('\n')
      .filter((line) => line.includes('noisy_tool_ran'))
      .map((line) => JSON.parse(line));
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', event: 'noisy_tool_ran', tool: 'noisy', client_id: 'alice', client: 'alice' })]);
  });

  it('lists every argument issue, each with its path, in one -32011', async () => {
    const reply = await server.call('profile', { name: '', age: -1.5, email: 'nobody', extra: 1 });
    expect(reply.error?.code).toBe(-32011);
    const errors: Array<{ path: string; message: string }> = reply.error?.data.errors;
    const paths = errors.map((e) => e.path).sort();
    expect(paths).toEqual(['/', '/', '/age', '/age', '/email', '/name']);
    expect(errors.find((e) => e.path === '/email')?.message).toMatch(/format "email"/);
    expect(errors.some((e) => /born/.test(e.message))).toBe(true);
    expect(errors.some((e) => /extra/.test(e.message))).toBe(true);
    expect(reply.error?.data.response).toMatchObject({ ok: false, status: 'error' });
  });

  it('checks draft 2020-12 prefixItems and format "uri"', async () => {
    const ok = await server.call('bookmark', { url: 'https://example.com/a', at: [3, 4] });
    expect(ok.result.result).toEqual({ saved: 'https://example.com/a#3,4' });
    const bad = await server.call('bookmark', { url: 'not a uri', at: [3, 'four', 5] });
    expect(bad.error?.code).toBe(-32011);
    const paths = bad.error?.data.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['/at', '/at/1', '/url']);
  });

  it('checks a draft-07 tool (by $schema) in the same server', async () => {
    expect((await server.call('legacy_echo', { items: ['a'] })).result.result).toEqual({ items: ['a'] });
    const bad = await server.call('legacy_echo', { items: ['a', 'b'] });
    expect(bad.error?.code).toBe(-32011);
    expect(bad.error?.data.errors[0].path).toBe('/items');
  });

  it('answers a thrown ToolsealError with its code, anything else with -32014 and the first line', async () => {
    const coded = await server.call('refuser', { plain: false });
    expect(coded.error?.code).toBe(-32013);
    expect(coded.error?.data.response.error).toBe('quota used up');
    const plain = await server.call('refuser', { plain: true });
    expect(plain.error?.code).toBe(-32014);
    expect(plain.error?.data.response.error).toBe('tool failed: disk on fire');
    expect(JSON.stringify(plain)).not.toContain('secret stack detail');
  });

  it('runs a job tool: accepted at once, progress as signed running notifications, done with the checked result', async () => {
    const reply = await server.call('count_up', { n: 4 });
    expect(reply.result).toMatchObject({ ok: true, status: 'accepted', result: { job_id: expect.any(String), poll_interval_ms: expect.any(Number) } });
    const jobId = reply.result.result.job_id;
    const statuses = await server.waitForJobEnd(jobId);
    const last = statuses[statuses.length - 1];
    expect(last).toMatchObject({ status: 'done', result: { counted: 4 }, client_id: 'alice' });
    const progress = statuses.filter((s) => s.status === 'running').map((s) => s.progress);
    expect(progress).toEqual(expect.arrayContaining([1]));
    expect(progress.every((p: number, i: number) => i === 0 || p >= progress[i - 1])).toBe(true);
    const polled = await server.call('poll_job', { job_id: jobId });
    expect(polled.result).toMatchObject({ status: 'done', result: { counted: 4 } });
  });

  it('ends a job in error when its result does not match the output schema', async () => {
    const reply = await server.call('bad_job', {});
    const statuses = await server.waitForJobEnd(reply.result.result.job_id);
    const last = statuses[statuses.length - 1];
    expect(last.status).toBe('error');
    expect(last.error).toMatch(/job result does not match the output schema of bad_job: \/counted must be integer/);
    expect(last.result).toBeUndefined();
  });

  it('cancel_job aborts the job\'s ctx.signal', async () => {
    const reply = await server.call('wait_for_cancel', {});
    const jobId = reply.result.result.job_id;
    await server.waitFor((m) => m.method === 'job/status' && m.params.job_id === jobId && m.params.status === 'running');
    const cancelled = await server.call('cancel_job', { job_id: jobId });
    expect(cancelled.result.status).toBe('cancelled');
    const statuses = await server.waitForJobEnd(jobId);
    expect(statuses[statuses.length - 1].status).toBe('cancelled');
    await waitUntil(() => server.stderr.includes('wait_for_cancel_aborted'));
  });

  it('times a tool out: -32014 "tool timed out after N ms", with ctx.signal aborted', async () => {
    const reply = await server.call('slow', {});
    expect(reply.error?.code).toBe(-32014);
    expect(reply.error?.data.response.error).toBe('tool timed out after 150 ms');
    await waitUntil(() => server.stderr.includes('slow_aborted'));
  });

  it('times a job out: it ends in error', async () => {
    const reply = await server.call('slow_job', {});
    const statuses = await server.waitForJobEnd(reply.result.result.job_id);
    expect(statuses[statuses.length - 1]).toMatchObject({ status: 'error', error: 'tool timed out after 150 ms' });
  });

  describe('per-client allowlist (keyring "tools")', () => {
    const asBob = { clientId: 'bob', secret: () => keys.clients.bob![0]! };

    it('list_tools lists only the client\'s tools and the protocol tools', async () => {
      const { result } = await server.call('list_tools', {}, { clientId: 'bob', secret: asBob.secret() });
      const names = result.result.tools.map((t: { name: string }) => t.name).sort();
      expect(names).toEqual(['bookmark', 'cancel_job', 'list_tools', 'poll_job', 'server_identity', 'word_count']);
    });

    it('a tool outside the list answers -32010 as an unknown tool, and the log says why', async () => {
      const allowed = await server.call('word_count', { text: 'a b' }, { clientId: 'bob', secret: asBob.secret() });
      expect(allowed.result.result).toEqual({ words: 2 });
      const refused = await server.call('profile', { name: 'x', age: 1, email: 'a@b.co', born: '2000-01-01' }, { clientId: 'bob', secret: asBob.secret() });
      const unknown = await server.call('no_such_tool', {}, { clientId: 'bob', secret: asBob.secret() });
      expect(refused.error?.code).toBe(-32010);
      expect(refused.error?.message).toBe(unknown.error?.message);
      expect(refused.error?.data.response.error).toBe(unknown.error?.data.response.error?.replace('no_such_tool', 'profile'));
      await waitUntil(() => server.stderr.includes('tool_not_allowed'));
      // alice has no list: she may call everything.
      expect((await server.call('profile', { name: 'x', age: 1, email: 'a@b.co', born: '2000-01-01' })).result.ok).toBe(true);
    });
  });

  // Last: it closes the server the other tests share.
  it('exits 0 when its input ends', async () => {
    expect(await server.close()).toEqual({ code: 0, signal: null });
  });
});

describe('a tool module with top-level await', () => {
  it('is loaded and served like any other', async () => {
    const keys = makeTestKeys();
    const server = new ServerProcess(keys, ['--tools', path.join(FIXTURES, 'late-tools', 'awaits.mjs')]);
    try {
      expect((await server.call('greet', { name: 'Ada' })).result.result).toEqual({ text: 'hello, Ada' });
    } finally {
      expect(await server.close()).toEqual({ code: 0, signal: null });
    }
  });
});

describe('a bad tool set', () => {
  const keys = makeTestKeys();
  const cases: Array<[string, RegExp]> = [
    ['duplicate.mjs', /^toolseal serve: tool twice is defined twice$/],
    ['protocol-name.mjs', /^toolseal serve: tool poll_job is defined twice: that name belongs to a protocol tool$/],
    ['bad-name.mjs', /^toolseal serve: .*"has space".*\^\[a-zA-Z0-9_-\]\{1,64\}\$$/],
    ['not-object.mjs', /^toolseal serve: tool listy: inputSchema must be an object schema: \/type must be "object"$/],
    ['bad-keyword.mjs', /^toolseal serve: tool broken: inputSchema is not a valid JSON Schema at \/properties\/n\/minimum: must be number$/],
    ['throws.mjs', /^toolseal serve: tool module .*throws\.mjs failed to load: cannot start: missing API token$/],
    ['no-tools.cjs', /^toolseal serve: tool module .*no-tools\.cjs exports no tool/],
  ];

  it.each(cases)('%s: refused with exit code 2 and one line naming the tool and place', (file, reason) => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--keys', keys.file, '--tools', path.join(FIXTURES, 'bad-tools', file)], {
      input: '',
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(reason);
  });
});

describe('a user script: createServer(...).serveStdio()', () => {
  let keys: TestKeys;
  let server: ServerProcess;

  beforeAll(() => {
    keys = makeTestKeys();
    server = new ServerProcess(keys, [], { TOOLSEAL_KEYS: keys.file }, [path.join(FIXTURES, 'serve-script.mjs')]);
  });

  failTestsOnProtocolViolations(() => server);
  afterAll(() => server?.kill());

  it('serves the script\'s tools and the protocol tools, with stdout reserved for the protocol', async () => {
    expect((await server.call('word_count', { text: 'one two three' })).result.result).toEqual({ words: 3 });
    expect((await server.call('noisy', {})).result.result).toEqual({ ok: true });
    const { result } = await server.call('list_tools', {});
    expect(result.result.tools.map((t: { name: string }) => t.name).sort()).toEqual(
      ['cancel_job', 'count_up', 'list_tools', 'noisy', 'poll_job', 'server_identity', 'word_count'],
    );
    const job = await server.call('count_up', { n: 2 });
    const statuses = await server.waitForJobEnd(job.result.result.job_id);
    expect(statuses[statuses.length - 1]).toMatchObject({ status: 'done', result: { counted: 2 } });
    expect(server.stderr).toContain('serving: this line must go to stderr');
    expect(server.stderr).toContain('noisy: process.stdout.write line');
    expect(server.violations).toEqual([]);
  });

  it('drains and exits 0 at EOF', async () => {
    expect(await server.close()).toEqual({ code: 0, signal: null });
  });

  it('refuses a missing keyring with exit code 2 and one line', () => {
    const run = spawnSync(process.execPath, [path.join(FIXTURES, 'serve-script.mjs')], {
      input: '',
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
      timeout: 20000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('serving: this line must go to stderr');
    expect(run.stderr.split('\n').filter((line) => line.startsWith('toolseal serve:'))).toEqual([expect.stringMatching(/^toolseal serve: no keyring: /)]);
  });
});

describe('the CLI knows the same tools', () => {
  it('toolseal tools --tools lists them in a runtime format', () => {
    const run = spawnSync(process.execPath, [CLI, 'tools', '--tools', path.join(TOOLS, 'text.js'), '--format', 'openai'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const names = JSON.parse(run.stdout).map((t: { function: { name: string } }) => t.function.name);
    expect(names.sort()).toEqual(['noisy', 'profile', 'refuser', 'word_count']);
  });

  it('toolseal call --tools calls one, and --wait follows a job to its end', () => {
    const keys = makeTestKeys();
    const call = spawnSync(process.execPath, [CLI, 'call', 'word_count', '{"text":"a b c"}', '--keys', keys.file, '--tools', path.join(TOOLS, 'text.js')], {
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(call.status).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({ ok: true, result: { words: 3 } });
    const job = spawnSync(process.execPath, [CLI, 'call', 'count_up', '{"n":2}', '--keys', keys.file, '--tools', TOOLS, '--wait'], {
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(job.status).toBe(0);
    const lines = job.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines[lines.length - 1]).toMatchObject({ status: 'done', result: { counted: 2 } });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
