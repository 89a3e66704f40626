/**
 * Faults: a stalled stdout reader, stdin cut mid-line, SIGTERM and EOF with
 * many jobs running, a vanished parent (EPIPE), bad keyrings, and (in
 * process, with custom tools and stores) failing handlers, invalid tool
 * output, job limits and internal errors.
 *
 * Nothing here asserts a tight timing: bounds are generous and the measured
 * figures are printed by `npm run stress` (bench/stress.js) instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineTool, type Tool } from '../../src/tools/tool';
import { MemoryReplayStore, type ReplayStore } from '../../src/server/replayStore';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { CLI, ServerProcess } from '../support/serverProcess';
import { InProcessServer, peakRssMb, signEnvelope, until, writeWithBackpressure } from './harness';

jest.setTimeout(120_000);

const STALL_CALLS = Number(process.env.TOOLSEAL_STALL_CALLS ?? 20_000);
const RSS_BOUND_MB = 300;

let keys: TestKeys;
beforeAll(() => {
  keys = makeTestKeys();
});

/** One `call` request line with a numeric id. */
function callLine(server: ServerProcess, id: number, tool: string, args?: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'call', params: server.envelope(tool, args) }) + '\n';
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}

function* mapIter<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

describe('a stdout reader that stalls', () => {
  it(`stops reading stdin instead of buffering: memory stays bounded, and all ${STALL_CALLS} calls are answered once it reads again`, async () => {
    const server = new ServerProcess(keys);
    try {
      server.child.stdout.pause(); // the host stops reading
      const lines = (from: number) => mapIter(range(from, STALL_CALLS), (i) => callLine(server, i, 'batch_sum', { numbers: [i, 1] }));

      // Write until the server stops taking input (no drain within 3 s), or everything went in.
      const first = await writeWithBackpressure(server.child.stdin, lines(0), 3_000);
      expect(first.stalled).toBe(true); // the server stopped reading: backpressure reached the client
      const stalledRss = peakRssMb(server.child.pid);
      expect(server.child.exitCode).toBeNull();

      server.child.stdout.resume();
      const rest = await writeWithBackpressure(server.child.stdin, lines(first.written));
      expect(first.written + rest.written).toBe(STALL_CALLS);

      const answered = () => server.messages.filter((m) => typeof m.id === 'number').length;
      await until(() => answered() >= STALL_CALLS, `${STALL_CALLS} answers`, 90_000);
      const peakRss = peakRssMb(server.child.pid);
      server.end();
      expect(await server.exited).toEqual({ code: 0, signal: null });

      const byId = new Map<number, any[]>();
      for (const m of server.messages) if (typeof m.id === 'number') byId.set(m.id, [...(byId.get(m.id) ?? []), m]);
      expect(byId.size).toBe(STALL_CALLS);
      for (const [id, answers] of byId) {
        expect(answers).toHaveLength(1);
        expect(answers[0].result?.result).toEqual({ count: 2, total: id + 1 });
      }
      expect(server.violations).toEqual([]);
      if (stalledRss !== undefined) expect(stalledRss).toBeLessThan(RSS_BOUND_MB);
      if (peakRss !== undefined) expect(peakRss).toBeLessThan(RSS_BOUND_MB);
    } finally {
      server.kill();
    }
  });
});

describe('stdin closed mid-line', () => {
  it('answers a complete request that lacks its final newline, then exits 0', async () => {
    const server = new ServerProcess(keys);
    server.write(JSON.stringify({ jsonrpc: '2.0', id: 'last', method: 'call', params: server.envelope('batch_sum', { numbers: [2, 3] }) }));
    server.end();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]).toMatchObject({ id: 'last', result: { ok: true, result: { total: 5 } } });
    expect(server.violations).toEqual([]);
  });

  it('answers a cut-off request with a parse error (id null), then exits 0', async () => {
    const server = new ServerProcess(keys);
    const line = JSON.stringify({ jsonrpc: '2.0', id: 'cut', method: 'call', params: server.envelope('server_identity') });
    server.write(callLine(server, 1, 'server_identity'));
    server.write(line.slice(0, line.length - 7));
    server.end();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.messages).toHaveLength(2);
    expect(server.messages.find((m) => m.id === 1)?.result.ok).toBe(true);
    expect(server.messages.find((m) => m.id !== 1)).toMatchObject({ id: null, error: { code: -32700 } });
  });
});

/** Starts `count` start_long_task jobs and resolves with their job ids once each is accepted and running. */
async function startJobs(server: ServerProcess, count: number, seconds: number): Promise<string[]> {
  const { stalled } = await writeWithBackpressure(
    server.child.stdin,
    mapIter(range(0, count), (i) => callLine(server, i, 'start_long_task', { seconds, payload: { i } })),
  );
  expect(stalled).toBe(false);
  await until(() => server.messages.filter((m) => typeof m.id === 'number').length >= count, `${count} accepted jobs`);
  const jobIds = server.messages.filter((m) => typeof m.id === 'number').map((m) => {
    expect(m.result).toMatchObject({ ok: true, status: 'accepted' });
    return m.result.result.job_id as string;
  });
  const running = () => new Set(server.messages.filter((m) => m.method === 'job/status').map((m) => m.params.job_id)).size;
  await until(() => running() >= count, `${count} running jobs`);
  return jobIds;
}

/** The last job/status of each job. */
function lastStatuses(server: ServerProcess, jobIds: string[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const m of server.messages) if (m.method === 'job/status') last.set(m.params.job_id, m.params.status);
  return new Map(jobIds.map((id) => [id, last.get(id) ?? 'none']));
}

describe('signals and EOF while jobs run', () => {
  it('SIGTERM during 1,000 running jobs: every job gets its cancelled notification, exit 0, promptly', async () => {
    const server = new ServerProcess(keys);
    try {
      const jobIds = await startJobs(server, 1000, 20);
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      const elapsed = Date.now() - signalled;
      expect(elapsed).toBeLessThan(5_000); // the budget is 2 s; generous for slow machines
      const statuses = lastStatuses(server, jobIds);
      expect([...statuses.values()].filter((s) => s !== 'cancelled')).toEqual([]);
      for (const id of jobIds) expect(server.jobStatuses(id).map((s) => s.seq)).toEqual(server.jobStatuses(id).map((_, i) => i + 1));
      expect(server.violations).toEqual([]);
    } finally {
      server.kill();
    }
  });

  it('EOF with a long --drain-ms: running jobs finish (done, with their payload) before exit 0', async () => {
    const server = new ServerProcess(keys, ['--drain-ms', '60000']);
    try {
      const jobIds = await startJobs(server, 50, 2);
      server.end();
      expect(await server.exited).toEqual({ code: 0, signal: null });
      const statuses = lastStatuses(server, jobIds);
      expect([...statuses.values()].every((s) => s === 'done')).toBe(true);
      expect(server.jobStatuses(jobIds[7]!).at(-1).result).toEqual({ i: 7 });
      expect(server.violations).toEqual([]);
    } finally {
      server.kill();
    }
  });

  it('EOF with a short --drain-ms: jobs still running are cancelled (notified) and the server exits 0', async () => {
    const server = new ServerProcess(keys, ['--drain-ms', '300']);
    try {
      const jobIds = await startJobs(server, 200, 20);
      const ended = Date.now();
      server.end();
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - ended).toBeLessThan(10_000); // 20 s jobs did not run to the end
      expect([...lastStatuses(server, jobIds).values()].every((s) => s === 'cancelled')).toBe(true);
      expect(server.stderr).toMatch(/drain_timeout/);
      expect(server.violations).toEqual([]);
    } finally {
      server.kill();
    }
  });
});

describe('signals during an EOF drain', () => {
  it('SIGTERM while EOF drains (jobs still running) cancels them now, notified, and exits 0 promptly', async () => {
    const server = new ServerProcess(keys); // default --drain-ms: 25 s, longer than the signal budget
    try {
      const jobIds = await startJobs(server, 100, 20);
      server.end(); // EOF: the server starts draining, waiting for the 20 s jobs
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(server.child.exitCode).toBeNull(); // still draining
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(5_000);
      expect([...lastStatuses(server, jobIds).values()].filter((s) => s !== 'cancelled')).toEqual([]);
      expect(server.violations).toEqual([]);
    } finally {
      server.kill();
    }
  });
});

describe('the parent goes away (EPIPE on stdout)', () => {
  it('exits promptly instead of spinning when nobody reads its output any more', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--keys', keys.file], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.stdout.destroy(); // the reading end of the pipe is gone
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      const tool = i % 2 === 0 ? 'server_identity' : 'start_long_task';
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'call', params: signEnvelope(keys, tool, i % 2 === 0 ? {} : { seconds: 20 }) }) + '\n');
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const result = await exited;
    clearTimeout(killer);
    expect(result.signal).toBeNull(); // it exited by itself, it was not killed
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stderr).toMatch(/output_closed/);
  });

  it('exits promptly when the parent dies with jobs running (stdout gone and stdin at EOF), not after --drain-ms', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--keys', keys.file], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => undefined);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let answered = 0;
    child.stdout.on('data', (chunk: Buffer) => (answered += chunk.toString('utf8').split('\n').length - 1));
    for (let i = 0; i < 5; i++) {
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'call', params: signEnvelope(keys, 'start_long_task', { seconds: 20 }) }) + '\n');
    }
    await until(() => answered >= 10, 'the jobs to start'); // 5 answers and 5 first notifications
    // The parent dies: both its pipe ends close (the default --drain-ms is 25 s).
    const died = Date.now();
    child.stdout.destroy();
    child.stdin.end();
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const result = await exited;
    clearTimeout(killer);
    expect(result).toEqual({ code: 0, signal: null });
    expect(Date.now() - died).toBeLessThan(5_000);
  });
});

describe('bad keyrings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-keyrings-'));
  const SECRET = 'hex:' + 'ab'.repeat(32);
  const good = (serverId: string) => ({ server: { id: serverId, secret: SECRET }, clients: { alice: { secrets: [keysSecret()] } } });
  // The clients' secret is the test keys' alice secret, so signEnvelope works against these keyrings.
  const keysSecret = () => keys.clients.alice![0]!;
  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  /** Runs `serve` with no input and returns what it printed and its exit code. */
  const serve = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [CLI, 'serve', ...args], { input: '', env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 15_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  const badKeyrings: Array<[string, () => { args: string[]; env?: Record<string, string> }, RegExp, string[]]> = [
    ['a missing file', () => ({ args: ['--keys', path.join(dir, 'nope.json')] }), /cannot read keyring file .*ENOENT/, []],
    ['invalid JSON', () => ({ args: ['--keys', write('invalid.json', `{"server":{"id":"s","secret":"${'s3cr3t-'.repeat(4)}"`)] }), /not valid JSON/, ['s3cr3t-']],
    ['a schema violation (no clients)', () => ({ args: ['--keys', write('schema.json', JSON.stringify({ server: { id: 's', secret: 'leak-me-0123456789' } }))] }), /keyring is invalid at \/: must have required property 'clients'/, ['leak-me-0123456789']],
    ['a schema violation (extra field)', () => ({ args: ['--keys', write('extra.json', JSON.stringify({ ...good('s'), extra: { secret: 'leak-me-too-0123456789' } }))] }), /keyring is invalid at \/: must NOT have additional properties/, ['leak-me-too-0123456789']],
    ['an empty secrets list', () => ({ args: ['--keys', write('empty.json', JSON.stringify({ ...good('s'), clients: { alice: { secrets: [] } } }))] }), /\/clients\/alice\/secrets: must NOT have fewer than 1 items/, []],
    ['a server secret under 16 bytes', () => ({ args: ['--keys', write('short.json', JSON.stringify({ ...good('s'), server: { id: 's', secret: 'short-secret-15' } }))] }), /server\.secret: a secret must be at least 16 bytes, this one has 15/, ['short-secret-15']],
    ['a client secret under 16 bytes (hex)', () => ({ args: ['--keys', write('shorthex.json', JSON.stringify({ ...good('s'), clients: { alice: { secrets: ['hex:00112233445566778899aabbccddee'] } } }))] }), /secrets\[0\]: a secret must be at least 16 bytes, this one has 15/, ['00112233445566778899aabbccddee']],
    ['bad base64', () => ({ args: ['--keys', write('b64.json', JSON.stringify({ ...good('s'), server: { id: 's', secret: 'base64:not*base64*at*all*secret' } }))] }), /not valid base64/, ['not*base64*at*all*secret']],
    ['bad hex', () => ({ args: ['--keys', write('hex.json', JSON.stringify({ ...good('s'), server: { id: 's', secret: 'hex:zzsecretzz0123456789abcdef0123' } }))] }), /not valid hex/, ['zzsecretzz0123456789abcdef0123']],
    ['invalid TOOLSEAL_KEYS_JSON', () => ({ args: [], env: { TOOLSEAL_KEYS_JSON: '{"server":{"id":"s","secret":"env-secret-0123456789"}' } }), /TOOLSEAL_KEYS_JSON is not valid JSON/, ['env-secret-0123456789']],
    ['no keyring at all', () => ({ args: [] }), /no keyring/, []],
  ];

  it.each(badKeyrings)('%s: exit 2, a clear message on stderr, nothing on stdout, no secret echoed', (_name, setup, message, secrets) => {
    const { args, env } = setup();
    const r = serve(args, env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^toolseal serve: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    for (const secret of [...secrets, SECRET.slice(4), keysSecret().slice(4)]) expect(r.stderr).not.toContain(secret);
  });

  /** Starts `serve` with `args`/`env`, asks server_identity, and resolves with the server id that answered. */
  const identity = async (args: string[], env: Record<string, string>): Promise<string | undefined> => {
    const child = spawn(process.execPath, [CLI, 'serve', ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Each keyring has its own server id: sign a call for each candidate; only the one in use succeeds.
    for (const serverId of ['from-flag', 'from-json-env', 'from-file-env']) {
      const params = signEnvelope({ ...keys, serverId }, 'server_identity');
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: serverId, method: 'call', params }) + '\n');
    }
    child.stdin.end();
    expect(await exited).toBe(0);
    const answers = stdout.trim().split('\n').map((l) => JSON.parse(l));
    return answers.find((a) => a.result?.ok)?.result.server_id;
  };

  it('precedence: --keys wins over TOOLSEAL_KEYS_JSON, which wins over TOOLSEAL_KEYS', async () => {
    const flag = write('flag.json', JSON.stringify(good('from-flag')));
    const jsonEnv = JSON.stringify(good('from-json-env'));
    const fileEnv = write('file-env.json', JSON.stringify(good('from-file-env')));
    expect(await identity(['--keys', flag], { TOOLSEAL_KEYS_JSON: jsonEnv, TOOLSEAL_KEYS: fileEnv })).toBe('from-flag');
    expect(await identity([], { TOOLSEAL_KEYS_JSON: jsonEnv, TOOLSEAL_KEYS: fileEnv })).toBe('from-json-env');
    expect(await identity([], { TOOLSEAL_KEYS: fileEnv })).toBe('from-file-env');
    // The winner is used even when a loser is broken, and a broken winner is not rescued by a good loser.
    expect(await identity(['--keys', flag], { TOOLSEAL_KEYS_JSON: '{broken', TOOLSEAL_KEYS: path.join(dir, 'missing.json') })).toBe('from-flag');
    const r = serve(['--keys', path.join(dir, 'missing.json')], { TOOLSEAL_KEYS_JSON: jsonEnv });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--keys/);
  });
});

// ---------------------------------------------------------------------------
// In process: custom tools, stores and settings on a ToolServer over PassThrough streams.

const objectSchema = (properties: object = {}, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });

const testTools: Tool[] = [
  defineTool<Record<string, never>, Record<string, never>>({
    name: 'explode',
    description: 'throws an Error',
    inputSchema: objectSchema(),
    outputSchema: objectSchema(),
    run: () => {
      throw new Error('kaboom');
    },
  }),
  defineTool<Record<string, never>, Record<string, never>>({
    name: 'explode_verbosely',
    description: 'throws an Error whose message embeds a stack trace',
    inputSchema: objectSchema(),
    outputSchema: objectSchema(),
    run: () => {
      throw new Error('first line\n    at secretFunction (/srv/app/secret.js:10:5)\n    at process (node:internal/x:1:1)');
    },
  }),
  defineTool<Record<string, never>, Record<string, unknown>>({
    name: 'bad_job',
    description: 'a job whose result JSON cannot carry',
    inputSchema: objectSchema(),
    outputSchema: { type: 'object' },
    job: true,
    run: async () => ({ x: Infinity }),
  }),
  defineTool<Record<string, never>, Record<string, never>>({
    name: 'explode_oddly',
    description: 'rejects with something that is not an Error',
    inputSchema: objectSchema(),
    outputSchema: objectSchema(),
    run: async () => {
      throw { weird: true };
    },
  }),
  defineTool<Record<string, never>, { value: number }>({
    name: 'wrong_output',
    description: 'answers a result that fails its output schema',
    inputSchema: objectSchema(),
    outputSchema: objectSchema({ value: { type: 'number' } }, ['value']),
    run: () => ({ value: 'not a number' }) as never,
  }),
  defineTool<Record<string, never>, Record<string, never>>({
    name: 'no_reply',
    description: 'returns nothing at all',
    inputSchema: objectSchema(),
    outputSchema: objectSchema(),
    run: () => undefined as never,
  }),
  defineTool<{ kind: string }, Record<string, unknown>>({
    name: 'not_json',
    description: 'answers a result its (permissive) output schema accepts but JSON cannot carry',
    inputSchema: objectSchema({ kind: { type: 'string' } }, ['kind']),
    outputSchema: { type: 'object' },
    run: ({ kind }) => {
      const values: Record<string, () => Record<string, unknown>> = {
        infinity: () => ({ x: Infinity }),
        nan: () => ({ x: NaN }),
        function: () => ({ x: () => 1 }),
        undefined: () => ({ x: undefined }),
        bigint: () => ({ x: 10n }),
        lone_surrogate: () => ({ x: 'a\ud800b' }),
        symbol: () => ({ x: Symbol('s') }),
      };
      return values[kind]!();
    },
  }),
];

describe('in process: failing tools, limits and internal errors', () => {
  let server: InProcessServer;
  const replay = new MemoryReplayStore(1_000_000);
  /** A replay store that fails (with a stack-like message) for nonces starting with "boom". */
  const failingReplay: ReplayStore = {
    remember: async (clientId, nonce, expiresMs, nowMs) => {
      if (nonce.startsWith('boom')) throw new Error('replay database unreachable\n    at connect (/srv/secret/db.js:1:1)');
      return replay.remember(clientId, nonce, expiresMs, nowMs);
    },
    size: () => replay.size(),
  };

  beforeAll(() => {
    server = new InProcessServer(keys, {
      tools: testTools,
      exampleTools: true,
      settings: { maxJobs: 2 },
      replayStore: failingReplay,
    });
  });

  afterAll(async () => {
    await server.server.shutdown('test over');
  });

  /** Expects a -32014 with a signed ok:false data.response, then checks the server still serves. */
  async function expectToolFailed(reply: any, message: RegExp): Promise<void> {
    expect(reply.error).toMatchObject({ code: -32014 });
    expect(reply.error.message).toMatch(message);
    expect(reply.error.message).not.toMatch(/\n|\bat .+:\d+:\d+/);
    const response = reply.error.data.response;
    expect(response).toMatchObject({ ok: false, status: 'error', result: null });
    expect(server.verifies(response)).toBe(true);
    expect((await server.call('server_identity')).result.ok).toBe(true);
  }

  it('a handler that throws: -32014, and the server keeps serving', async () => {
    await expectToolFailed(await server.call('explode', {}), /^tool failed: kaboom$/);
    await expectToolFailed(await server.call('explode_oddly', {}), /^tool failed/);
  });

  it('a handler error message that embeds a stack: only its first line reaches the caller', async () => {
    await expectToolFailed(await server.call('explode_verbosely', {}), /^tool failed: first line$/);
    expect(server.logLines.some((l) => l.includes('secretFunction'))).toBe(true); // the operator still sees it all
  });

  it('a job whose result JSON cannot carry ends as error, with its terminal notification signed and sent', async () => {
    const start = await server.call('bad_job', {});
    const jobId = start.result.result.job_id;
    const last = await server.waitFor((m) => m.method === 'job/status' && m.params.job_id === jobId && m.params.status !== 'running');
    expect(last.params).toMatchObject({ status: 'error' });
    expect(last.params.error).toMatch(/^job result is not valid JSON: \/x /);
    expect(server.verifies(last.params)).toBe(true);
    expect((await server.call('poll_job', { job_id: jobId })).result).toMatchObject({ ok: true, status: 'error' });
  });

  it('a result that fails the output schema: -32014', async () => {
    await expectToolFailed(await server.call('wrong_output', {}), /output does not match its output schema/);
  });

  it('a handler that returns no reply at all: -32014 (a failing handler, not an internal error)', async () => {
    await expectToolFailed(await server.call('no_reply', {}), /^tool failed/);
  });

  it.each(['infinity', 'nan', 'function', 'undefined', 'bigint', 'lone_surrogate', 'symbol'])(
    'a result JSON cannot carry faithfully (%s): -32014, never a response whose signature fails or a crash',
    async (kind) => {
      await expectToolFailed(await server.call('not_json', { kind }), /^tool failed/);
    },
  );

  it('-32013 once --max-jobs jobs run, with a signed data.response; a slot frees when a job ends', async () => {
    const first = await server.call('start_long_task', { seconds: 20 });
    const second = await server.call('start_long_task', { seconds: 20 });
    expect(first.result.status).toBe('accepted');
    expect(second.result.status).toBe('accepted');
    const third = await server.call('start_long_task', { seconds: 1 });
    expect(third.error).toMatchObject({ code: -32013 });
    expect(server.verifies(third.error.data.response)).toBe(true);
    expect((await server.call('cancel_job', { job_id: first.result.result.job_id })).result.status).toBe('cancelled');
    expect((await server.call('start_long_task', { seconds: 1 })).result.status).toBe('accepted');
    await server.call('cancel_job', { job_id: second.result.result.job_id });
  });

  it('an unexpected internal failure (the replay store throws): -32603 "Internal error", no stack anywhere in the answer', async () => {
    const reply = await server.call('server_identity', undefined, { fields: { nonce: `boom-${Date.now()}` } });
    expect(reply.error.code).toBe(-32603);
    expect(reply.error.message).toBe('Internal error');
    expect(JSON.stringify(reply)).not.toMatch(/db\.js|\bat connect|unreachable/);
    // The details go to the log (stderr), where the operator looks.
    expect(server.logLines.some((l) => l.includes('internal_error') && l.includes('unreachable'))).toBe(true);
    expect((await server.call('server_identity')).result.ok).toBe(true);
  });
});

describe('in process: input flow control', () => {
  it('pauses its input while many read requests wait, instead of reading everything into memory', async () => {
    const server = new InProcessServer(keys);
    const total = 6_000;
    // Equal-length lines, so the bytes consumed from the input say how many lines were read.
    const lines = Array.from({ length: total }, (_, i) =>
      JSON.stringify({ jsonrpc: '2.0', id: `id-${String(i).padStart(6, '0')}`, method: 'call', params: signEnvelope(keys, 'server_identity', undefined, { fields: { request_id: `r-${String(i).padStart(6, '0')}` } }) }),
    );
    const lineBytes = Buffer.byteLength(lines[0]!) + 1;
    expect(lines.every((l) => Buffer.byteLength(l) + 1 === lineBytes)).toBe(true);
    // Hand the whole input over at once in pipe-sized chunks, as a fast client would.
    const all = Buffer.from(lines.join('\n') + '\n');
    for (let at = 0; at < all.length; at += 65_536) server.input.write(all.subarray(at, at + 65_536));
    let maxUnanswered = 0;
    let sawPause = false;
    await until(() => {
      // A PassThrough holds what was not read yet on both its sides.
      const unread = server.input.readableLength + server.input.writableLength;
      const read = Math.floor((all.length - unread) / lineBytes);
      const answered = server.messages.length;
      maxUnanswered = Math.max(maxUnanswered, read - answered);
      sawPause ||= server.input.isPaused();
      return answered >= total;
    }, 'all answers', 60_000);
    expect(sawPause).toBe(true);
    // At most the high-water mark (1024) plus one 64 KiB chunk of lines is read ahead.
    expect(maxUnanswered).toBeLessThanOrEqual(1024 + Math.ceil(65_536 / lineBytes) + 1);
    expect(server.messages.every((m) => m.result?.ok === true)).toBe(true);
    await server.close();
  });

  it('drops notifications nobody handles (and $/cancelRequest) before they reach vscode-jsonrpc', async () => {
    const server = new InProcessServer(keys);
    server.input.write('{"jsonrpc":"2.0","method":"$/cancelRequest"}\n');
    server.input.write('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":null}}\n');
    server.input.write('{"jsonrpc":"2.0","id":"r1","result":{}}\n');
    server.send({ jsonrpc: '2.0', method: 'call', params: signEnvelope(keys, 'start_long_task', { seconds: 1 }) });
    expect((await server.call('server_identity')).result.ok).toBe(true);
    expect(server.messages).toHaveLength(1); // no job started, nothing answered but the call
    expect(server.logLines.filter((l) => /input_error|jsonrpc/.test(l))).toEqual([]);
    expect(server.logLines.filter((l) => l.includes('ignored_message'))).toHaveLength(4);
    await server.close();
  });
});
