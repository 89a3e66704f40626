// @ts-check
/**
 * Shared state (`--state redis://...`) rows: pipelined calls/s with the
 * Redis store against the memory store, alternated in the same run, and
 * jobs completed per second with 1, 2 and 4 `toolseal worker` processes.
 * Each run starts its own redis-server on a free loopback port (no
 * persistence); without the binary the rows are skipped, saying so.
 */
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { performance } = require('node:perf_hooks');
const children = require('./children');
const { toolseal } = require('./systems');
const { pipelinedCalls, pipelined, withSession } = require('./workloads');
const { summarize } = require('./stats');

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const BENCH_TOOLS = path.join(__dirname, '..', 'fixtures', 'jobs.mjs');

/** The redis-server binary on PATH, or undefined. */
function redisServerBinary() {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const binary = found.stdout.trim();
  return found.status === 0 && binary !== '' ? binary : undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * Starts a redis-server for the run.
 * @param {string} binary
 * @returns {Promise<{url: string, stop: () => void}>}
 */
async function startRedis(binary) {
  const port = /** @type {number} */ (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-bench-redis-'));
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.track(child.pid);
  let log = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${log}`)), 10_000);
    const onData = (/** @type {Buffer} */ chunk) => {
      log += chunk.toString();
      if (/Ready to accept connections/.test(log)) {
        clearTimeout(timer);
        resolve(undefined);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${log}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}/0`,
    stop() {
      child.kill('SIGKILL');
      children.untrack(child.pid);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Pipelined batch_sum calls, the memory store and the Redis store alternated
 * over `rounds` (the Redis server runs no worker: calls only).
 * @param {{url: string, rounds: number, pipelined: {warmup: number, calls: number, inFlight: number}, log: (line: string) => void}} options
 */
async function pipelinedMemoryVsRedis(options) {
  /** @type {Record<string, number[]>} */
  const callsPerSec = { memory: [], redis: [] };
  /** @type {Record<string, number[]>} */
  const serverCpu = { memory: [], redis: [] };
  for (let round = 1; round <= options.rounds; round++) {
    for (const [store, serveArgs] of /** @type {Array<[string, string[]]>} */ ([
      ['memory', []],
      ['redis', ['--state', options.url, '--no-worker']],
    ])) {
      const figures = await pipelinedCalls({ ...toolseal, start: () => toolseal.start({ serveArgs }) }, options.pipelined);
      callsPerSec[store].push(figures.callsPerSec);
      serverCpu[store].push(figures.serverCpuUsPerCall);
      options.log(`[state ${round}/${options.rounds}] pipelined, ${store} store: ${Math.round(figures.callsPerSec)} calls/s, server CPU ${figures.serverCpuUsPerCall.toFixed(1)} µs/call`);
    }
  }
  return {
    memory: { callsPerSec: summarize(callsPerSec.memory), serverCpuUsPerCall: summarize(serverCpu.memory) },
    redis: { callsPerSec: summarize(callsPerSec.redis), serverCpuUsPerCall: summarize(serverCpu.redis) },
  };
}

/**
 * `jobs` bench_sleep jobs of `ms` started pipelined through one `serve
 * --state --no-worker`, run by `workers` `toolseal worker` processes of
 * `concurrency` each; jobs/s = jobs / (first start to last `done`).
 * @param {{url: string, workers: number, jobs: number, ms: number, concurrency: number, inFlight: number}} options
 */
async function jobsWithWorkers(options) {
  const serverId = 'bench-server';
  /** @type {import('node:child_process').ChildProcess[]} */
  const workers = [];
  let stderr = '';
  for (let i = 0; i < options.workers; i++) {
    const child = spawn(process.execPath, [CLI, 'worker', '--state', options.url, '--server-id', serverId, '--tools', BENCH_TOOLS, '--worker-concurrency', String(options.concurrency)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH },
    });
    children.track(child.pid);
    child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    workers.push(child);
  }
  try {
    return await withSession(
      toolseal,
      async (session) => {
        const client = /** @type {import('../../dist/client').ToolClient} */ (session.client);
        let done = 0;
        /** @type {() => void} */
        let allDone = () => undefined;
        const finished = new Promise((resolve) => (allDone = () => resolve(undefined)));
        const subscription = client.onJobStatus((update) => {
          if (update.status !== 'running' && ++done === options.jobs) allDone();
        });
        // One job per worker first, so every worker is connected before the clock starts.
        await pipelined(() => client.call('bench_sleep', { ms: 1 }), options.workers * 2, options.workers * 2);
        await waitFor(() => done >= options.workers * 2, 30_000, () => `warm-up jobs not done; worker stderr: ${stderr}`);
        done = 0;
        const started = performance.now();
        await pipelined(async () => {
          const response = await client.call('bench_sleep', { ms: options.ms });
          if (response.status !== 'accepted') throw new Error(`bench_sleep answered ${response.status}`);
        }, options.jobs, options.inFlight);
        const timeout = new Promise((resolve) => setTimeout(resolve, 120_000).unref());
        await Promise.race([finished, timeout]);
        const elapsedMs = performance.now() - started;
        subscription.dispose();
        if (done < options.jobs) throw new Error(`only ${done} of ${options.jobs} jobs ended; worker stderr: ${stderr}`);
        return { jobsPerSec: options.jobs / (elapsedMs / 1000), elapsedMs };
      },
      { serveArgs: ['--state', options.url, '--no-worker', '--tools', BENCH_TOOLS] },
    );
  } finally {
    for (const child of workers) {
      child.kill('SIGKILL');
      children.untrack(child.pid);
    }
  }
}

async function waitFor(/** @type {() => boolean} */ predicate, /** @type {number} */ ms, /** @type {() => string} */ why) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The whole section: undefined (with a note) when redis-server is absent.
 * @param {{rounds: number, pipelined: {warmup: number, calls: number, inFlight: number}, jobs: {jobs: number, ms: number, concurrency: number, inFlight: number, workers: number[]}, log: (line: string) => void}} config
 */
async function sharedState(config) {
  const binary = redisServerBinary();
  if (binary === undefined) {
    config.log('[state] SKIPPED: redis-server is not on PATH (apt-get install -y redis-server); the shared-state rows were not measured');
    return { skipped: 'redis-server is not on PATH' };
  }
  const redis = await startRedis(binary);
  try {
    const pipelinedFigures = await pipelinedMemoryVsRedis({ url: redis.url, rounds: config.rounds, pipelined: config.pipelined, log: config.log });
    /** @type {Record<string, import('./stats').Summary>} */
    const jobsPerSec = {};
    for (const workers of config.jobs.workers) {
      /** @type {number[]} */
      const runs = [];
      for (let round = 1; round <= config.rounds; round++) {
        const figures = await jobsWithWorkers({ url: redis.url, workers, jobs: config.jobs.jobs, ms: config.jobs.ms, concurrency: config.jobs.concurrency, inFlight: config.jobs.inFlight });
        runs.push(figures.jobsPerSec);
        config.log(`[state ${round}/${config.rounds}] jobs, ${workers} worker(s): ${figures.jobsPerSec.toFixed(1)} jobs/s`);
      }
      jobsPerSec[String(workers)] = summarize(runs);
    }
    return { pipelined: pipelinedFigures, jobsPerSec, config: { rounds: config.rounds, pipelined: config.pipelined, jobs: config.jobs } };
  } finally {
    redis.stop();
  }
}

/** The section's rows as a Markdown table (figures: median (min–max)). */
function sharedStateTable(/** @type {any} */ s, /** @type {(v: number, d?: number) => string} */ num, /** @type {(h: string[], rows: string[][], left?: number) => string} */ table) {
  if (s.skipped) return `Not measured: ${s.skipped}.`;
  const fig = (/** @type {import('./stats').Summary} */ x, d = 0) => `${num(x.median, d)} (${num(x.min, d)}–${num(x.max, d)})`;
  const p = s.pipelined;
  const c = s.config;
  const rows = [
    [`pipelined (${num(c.pipelined.calls)} batch_sum calls, ${c.pipelined.inFlight} in flight)`, 'calls/s, memory store (default)', fig(p.memory.callsPerSec)],
    ['', 'calls/s, Redis store (--state, no worker)', fig(p.redis.callsPerSec)],
    ['', 'Redis / memory', `${(p.redis.callsPerSec.median / p.memory.callsPerSec.median).toFixed(2)}x`],
    ['', 'server CPU per call, µs: memory / Redis', `${num(p.memory.serverCpuUsPerCall.median, 1)} / ${num(p.redis.serverCpuUsPerCall.median, 1)}`],
  ];
  for (const [workers, summary] of Object.entries(s.jobsPerSec)) {
    rows.push([`jobs (${num(c.jobs.jobs)} x ${c.jobs.ms} ms sleep, worker concurrency ${c.jobs.concurrency})`, `jobs completed/s, ${workers} worker(s)`, fig(summary, 1)]);
  }
  return table(['workload', 'metric', 'median (min–max)'], rows, 2);
}

/** The section's targets, in the shape of report.evaluateTargets. */
function sharedStateTargets(/** @type {any} */ s) {
  if (!s || s.skipped) return [];
  const ratio = s.pipelined.redis.callsPerSec.median / s.pipelined.memory.callsPerSec.median;
  const perWorkers = Object.entries(s.jobsPerSec).map(([w, x]) => [Number(w), /** @type {any} */ (x).median]).sort((a, b) => a[0] - b[0]);
  const rises = perWorkers.every(([, v], i) => i === 0 || v > perWorkers[i - 1][1]);
  return [
    { target: 'shared state: pipelined calls/s with the Redis store >= 0.5x the memory store', measured: `${ratio.toFixed(2)}x`, pass: ratio >= 0.5 },
    { target: `shared state: jobs completed/s rise with workers (${perWorkers.map(([w]) => w).join(', ')})`, measured: perWorkers.map(([, v]) => v.toFixed(1)).join(' < '), pass: rises },
  ];
}

module.exports = { sharedState, sharedStateTable, sharedStateTargets };
