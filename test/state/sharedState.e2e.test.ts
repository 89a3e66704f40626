/**
 * Several `toolseal serve --state redis://...` processes (and `toolseal
 * worker` processes) on one real Redis, spawned the way a host spawns them:
 * cross-process replay, jobs polled, cancelled and reported through another
 * process, a worker killed mid-job, Redis going away and coming back.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { runCli } from '../support/cli';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { describeWithRedis, RedisServer } from '../support/redisServer';
import { CLI, ServerProcess } from '../support/serverProcess';

const STATE_TOOLS = path.resolve(__dirname, '..', 'fixtures', 'state-tools');
const LOAD_WATCH = path.resolve(__dirname, '..', 'support', 'loadWatch.js');
const WORKER_LOST = 'job failed: the worker running it stopped';
/** The tests' --stalled-ms: a job whose worker died ends within about 3 x this. */
const STALLED_MS = 1_000;

/** A spawned `toolseal worker`, its output collected. */
class WorkerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(url: string, keys: TestKeys, args: string[] = []) {
    this.child = spawn(process.execPath, [CLI, 'worker', '--state', url, '--keys', keys.file, '--tools', STATE_TOOLS, '--example-tools', '--log-level', 'info', ...args], {
      env: { PATH: process.env.PATH },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

describeWithRedis('--state: server processes sharing one Redis', () => {
  let redis: RedisServer;
  let keys: TestKeys;
  const servers: ServerProcess[] = [];
  const workers: WorkerProcess[] = [];

  const serve = (args: string[] = [], entry?: string[]): ServerProcess => {
    const server = new ServerProcess(keys, ['--state', redis.url(), '--tools', STATE_TOOLS, '--example-tools', '--stalled-ms', String(STALLED_MS), '--log-level', 'info', ...args], {}, entry);
    servers.push(server);
    return server;
  };
  const worker = (args: string[] = []): WorkerProcess => {
    const started = new WorkerProcess(redis.url(), keys, ['--stalled-ms', String(STALLED_MS), ...args]);
    workers.push(started);
    return started;
  };
  const jobIdOf = (answer: any): string => {
    expect(answer.result?.status).toBe('accepted');
    return answer.result.result.job_id;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    keys = makeTestKeys();
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.kill();
      await server.exited;
      expect(server.violations).toEqual([]);
    }
    for (const started of workers.splice(0)) {
      started.kill();
      await started.exited;
      // A worker's stdout stays empty: its logs go to stderr.
      expect(started.stdout).toBe('');
    }
  });

  afterAll(async () => {
    await redis?.dispose();
  });

  it('refuses an envelope replayed to another process of the same server id', async () => {
    const a = serve();
    const b = serve(['--no-worker']);
    const envelope = a.envelope('batch_sum', { numbers: [1, 2, 3] });
    const first = await a.request('call', envelope);
    expect(first.result).toMatchObject({ ok: true, status: 'ok', result: { count: 3, total: 6 } });
    const replayed = await b.request('call', envelope);
    expect(replayed.error).toMatchObject({ code: -32003, message: 'replayed nonce' });
    // The other way round, and within one process, as before.
    const other = b.envelope('batch_sum', { numbers: [4] });
    expect((await b.request('call', other)).result).toMatchObject({ ok: true });
    expect((await a.request('call', other)).error).toMatchObject({ code: -32003 });
    expect((await b.request('call', other)).error).toMatchObject({ code: -32003 });
  });

  it('a job started through A is polled, cancelled and reported through B; another client gets the same not-found answer', async () => {
    const a = serve();
    const b = serve(['--no-worker']);
    const jobId = jobIdOf(await a.call('sleep_once', { ms: 30_000 }));
    await a.waitFor((m) => m.method === 'job/status' && m.params.job_id === jobId && m.params.status === 'running');

    const polled = await b.call('poll_job', { job_id: jobId });
    expect(polled.result).toMatchObject({ ok: true, status: 'running' });
    for (const tool of ['poll_job', 'cancel_job']) {
      const foreign = await b.call(tool, { job_id: jobId }, { clientId: 'bob' });
      expect(foreign.error).toMatchObject({ code: -32012 });
      expect(foreign.error!.data.response).toMatchObject({ ok: false, status: 'error', error: 'unknown job' });
    }
    const unknown = await b.call('poll_job', { job_id: '7b0c6d3e-0000-4000-8000-000000000000' });
    expect(unknown.error).toMatchObject({ code: -32012 });

    const cancelled = await b.call('cancel_job', { job_id: jobId });
    expect(cancelled.result).toMatchObject({ ok: true, status: 'cancelled' });
    const atB = await b.waitForJobEnd(jobId);
    expect(atB.at(-1)).toMatchObject({ status: 'cancelled', job_id: jobId, client_id: 'alice' });
    // B reports the job now: A sent the updates before B polled it, B the ones after, seq growing throughout.
    const atA = a.jobStatuses(jobId);
    expect(atA.map((s) => s.status)).not.toContain('cancelled');
    const seqs = [...atA, ...atB].map((s) => s.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);

    // Idempotent from any process, and the worker's run was aborted (it never ends done).
    expect((await a.call('cancel_job', { job_id: jobId })).result).toMatchObject({ status: 'cancelled' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await a.call('poll_job', { job_id: jobId })).result).toMatchObject({ status: 'cancelled' });
  });

  it('a job outlives the process that started it: after A is killed, B answers its poll with the result', async () => {
    const a = serve(['--no-worker']);
    worker();
    const jobId = jobIdOf(await a.call('sleep_once', { ms: 1_000 }));
    await a.waitFor((m) => m.method === 'job/status' && m.params.job_id === jobId && m.params.status === 'running');
    a.kill();
    await a.exited;
    const b = serve(['--no-worker']);
    const deadline = Date.now() + 15_000;
    let polled: any;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      polled = await b.call('poll_job', { job_id: jobId });
    } while (polled.result?.status === 'running' && Date.now() < deadline);
    expect(polled.result).toMatchObject({ ok: true, status: 'done', result: { slept: 1_000 } });
  });

  it(`a worker killed mid-job: the job ends in error within 3 x --stalled-ms, and the owner gets the terminal notification`, async () => {
    const a = serve(['--no-worker']);
    const first = worker();
    const jobId = jobIdOf(await a.call('sleep_once', { ms: 30_000 }));
    await a.waitFor((m) => m.method === 'job/status' && m.params.job_id === jobId && m.params.status === 'running');
    first.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    worker();
    const statuses = await a.waitForJobEnd(jobId, 20_000);
    const elapsed = Date.now() - killedAt;
    expect(statuses.at(-1)).toMatchObject({ status: 'error', error: WORKER_LOST });
    // 3 x --stalled-ms, plus the new worker's start-up on a busy machine.
    expect(elapsed).toBeLessThan(3 * STALLED_MS + 5_000);
    expect((await a.call('poll_job', { job_id: jobId })).result).toMatchObject({ status: 'error', error: WORKER_LOST });
  });

  it('a tool that is safe to retry runs again on another worker when its worker is killed', async () => {
    const a = serve(['--no-worker']);
    const first = worker();
    const jobId = jobIdOf(await a.call('sleep_retry', { ms: 2_000 }));
    await a.waitFor((m) => m.method === 'job/status' && m.params.job_id === jobId && m.params.status === 'running');
    first.kill('SIGKILL');
    await first.exited;
    const second = worker();
    const statuses = await a.waitForJobEnd(jobId, 20_000);
    expect(statuses.at(-1)).toMatchObject({ status: 'done', result: { slept: 2_000, pid: second.child.pid } });
  });

  it('Redis stopped and restarted mid-run: calls answer -32015 meanwhile, the server stays up and recovers on its own', async () => {
    const own = await RedisServer.start();
    const server = new ServerProcess(keys, ['--state', own.url(), '--example-tools', '--log-level', 'info']);
    servers.push(server);
    try {
      expect((await server.call('batch_sum', { numbers: [1] })).result).toMatchObject({ ok: true });
      await own.stop();
      const away = await server.call('batch_sum', { numbers: [2] });
      expect(away.error).toMatchObject({ code: -32015, data: { retryable: true } });
      // What needs no state is answered as always.
      expect((await server.call('batch_sum', { numbers: [2] }, { secret: keys.clients.bob![0] })).error).toMatchObject({ code: -32001 });
      expect((await server.call('batch_sum', { numbers: [2] }, { fields: { ts_ms: 1 } })).error).toMatchObject({ code: -32002 });
      await own.restart();
      const deadline = Date.now() + 15_000;
      let answer: any;
      do {
        await new Promise((resolve) => setTimeout(resolve, 200));
        answer = await server.call('batch_sum', { numbers: [3] });
      } while (answer.error?.code === -32015 && Date.now() < deadline);
      expect(answer.result).toMatchObject({ ok: true, result: { total: 3 } });
      // Jobs work again too, notifications included.
      const jobId = jobIdOf(await server.call('start_long_task', { seconds: 1, payload: { back: true } }));
      const statuses = await server.waitForJobEnd(jobId, 20_000);
      expect(statuses.at(-1)).toMatchObject({ status: 'done', result: { back: true } });
      expect(server.child.exitCode).toBeNull();
      expect(server.stderr).toMatch(/"event":"state_unavailable"/);
      expect(server.stderr).toMatch(/"event":"state_recovered"/);
    } finally {
      server.kill();
      await own.dispose();
    }
  });

  it('a bad --state URL stops start-up with exit code 2 and a one-line reason', async () => {
    for (const command of [['serve', '--keys', keys.file], ['worker', '--keys', keys.file]]) {
      const run = await runCli([...command, '--state', 'http://127.0.0.1:6379/0']);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`toolseal ${command[0]}: --state supports redis:// URLs only, not "http"\n`);
      expect(run.stdout).toBe('');
    }
    const env = await runCli(['serve', '--keys', keys.file], { env: { TOOLSEAL_STATE: 'redis://127.0.0.1:6379/x' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/^toolseal serve: --state database must be a number/);
  });

  it('stdin EOF: answers what was read and waits for the jobs started here, their notifications included; exit 0', async () => {
    const server = serve();
    const start = server.envelope('start_long_task', { seconds: 1, payload: { piped: true } });
    server.send({ jsonrpc: '2.0', id: 1, method: 'call', params: start });
    server.end();
    const exit = await server.exited;
    expect(exit.code).toBe(0);
    const accepted = server.messages.find((m) => m.id === 1)!;
    const jobId = accepted.result.result.job_id;
    const statuses = server.jobStatuses(jobId);
    expect(statuses.map((s) => s.status)).toEqual(expect.arrayContaining(['running', 'done']));
    expect(statuses.at(-1)).toMatchObject({ status: 'done', result: { piped: true } });
  });

  it('SIGTERM: the jobs on the process\'s own worker end cancelled, notified, within 2 s; jobs on other workers go on', async () => {
    const a = serve();
    const own = jobIdOf(await a.call('sleep_once', { ms: 30_000 }));
    await a.waitFor((m) => m.method === 'job/status' && m.params.job_id === own && m.params.status === 'running');
    const signalled = Date.now();
    a.child.kill('SIGTERM');
    const exit = await a.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(2_500);
    expect(a.jobStatuses(own).at(-1)).toMatchObject({ status: 'cancelled' });

    const b = serve(['--no-worker']);
    worker();
    const elsewhere = jobIdOf(await b.call('sleep_once', { ms: 1_500 }));
    await b.waitFor((m) => m.method === 'job/status' && m.params.job_id === elsewhere && m.params.status === 'running');
    b.child.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
    const c = serve(['--no-worker']);
    const deadline = Date.now() + 15_000;
    let polled: any;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      polled = await c.call('poll_job', { job_id: elsewhere });
    } while (polled.result?.status === 'running' && Date.now() < deadline);
    expect(polled.result).toMatchObject({ status: 'done', result: { slept: 1_500 } });
  });

  it('documents its options, and refuses worker options without --state', async () => {
    const serveHelp = await runCli(['serve', '--help']);
    for (const option of ['--state URL', '--no-worker', '--worker-concurrency N', '--stalled-ms N', 'TOOLSEAL_STATE', '-32015']) expect(serveHelp.stdout).toContain(option);
    const workerHelp = await runCli(['worker', '--help']);
    expect(workerHelp.code).toBe(0);
    for (const option of ['--state URL', '--tools PATH', '--server-id ID', '--worker-concurrency N', '--stalled-ms N']) expect(workerHelp.stdout).toContain(option);
    const noState = await runCli(['serve', '--keys', keys.file, '--no-worker']);
    expect(noState.code).toBe(2);
    expect(noState.stderr).toMatch(/^toolseal serve: --no-worker, --worker-concurrency and --stalled-ms need --state/);
    const workerWithout = await runCli(['worker', '--keys', keys.file]);
    expect(workerWithout.code).toBe(2);
    expect(workerWithout.stderr).toMatch(/^toolseal worker: --state is required/);
  });

  it('loads Redis code only when --state is given', async () => {
    const memory = new ServerProcess(keys, [], {}, ['-r', LOAD_WATCH, CLI, 'serve', '--keys', keys.file]);
    servers.push(memory);
    expect((await memory.call('batch_sum', { numbers: [1] })).result).toMatchObject({ ok: true });
    const jobId = jobIdOf(await memory.call('start_long_task', { seconds: 1 }));
    await memory.waitForJobEnd(jobId);
    expect(memory.stderr).not.toMatch(/loadWatch/);
    const shared = serve([], ['-r', LOAD_WATCH, CLI, 'serve', '--keys', keys.file]);
    expect((await shared.call('batch_sum', { numbers: [1] })).result).toMatchObject({ ok: true });
    expect(shared.stderr).toMatch(/loadWatch: loaded ioredis/);
  });
});
