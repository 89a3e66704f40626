#!/usr/bin/env node
// @ts-check
/**
 * CPU profiles of the toolseal client and server during a pipelined
 * workload: `node bench/profile.js [pipelined|large|sequential] [calls]`.
 *
 * Re-runs itself as a child under `node --cpu-prof`; that child drives a
 * `toolseal serve` also started under `--cpu-prof` (through ToolClient.spawn
 * with an explicit command), then both exit normally so V8 writes their
 * profiles. This process then prints the top self-time entries of each, by
 * function and by module, and keeps the .cpuprofile files (open them in
 * Chrome DevTools > Performance, or speedscope) in bench/profiles/.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { performance } = require('node:perf_hooks');

const ROOT = path.join(__dirname, '..');
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ?? path.join(__dirname, 'profiles');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 25);
/** Calls made before the timed ones (BENCH_PROFILE_WARMUP; at most 100 for `large`). */
const WARMUP = Number(process.env.BENCH_PROFILE_WARMUP ?? 20_000);

/** @typedef {{id: number, callFrame: {functionName: string, url: string, lineNumber: number, columnNumber: number}, hitCount?: number, children?: number[]}} ProfileNode */
/** @typedef {{nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[]}} CpuProfile */

/** The driver: runs under --cpu-prof, spawns a profiled server, runs the workload, reports pids. */
async function child(/** @type {string} */ workload, /** @type {number} */ calls) {
  const children = require('./lib/children');
  const { ToolClient } = require('../dist/client');
  const { KEYRING } = require('./lib/systems');
  const { pipelined, largeNumbers } = require('./lib/workloads');
  children.installCleanup(10 * 60_000);
  const client = await ToolClient.spawn({
    keyring: KEYRING,
    clientId: 'bench-client',
    command: process.execPath,
    args: ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, CLI, 'serve'],
    env: { TOOLSEAL_KEYS_JSON: JSON.stringify(KEYRING) },
    stderr: (line) => process.stderr.write(`[server] ${line}\n`),
  });
  const serverPid = client.process?.pid;
  children.track(serverPid);
  const numbers = workload === 'large' ? largeNumbers(10_000) : [1, 2, 3];
  const inFlight = workload === 'large' ? 16 : workload === 'sequential' ? 1 : 64;
  const call = async () => {
    const r = await client.call('batch_sum', { numbers });
    if (/** @type {{count: number}} */ (/** @type {unknown} */ (r.result)).count !== numbers.length) throw new Error('wrong count');
  };
  // Warm up well past the first calls: in a fresh client process the first
  // tens of thousands of small calls run slower (tiering, GC sizing). The
  // warm-up is in the profile too, outweighed by the calls that follow.
  await pipelined(call, workload === 'large' ? Math.min(WARMUP, 100) : WARMUP, inFlight);
  const ms = await pipelined(call, calls, inFlight);
  const exit = await client.close({ graceMs: 10_000, killAfterMs: 3_000 });
  children.untrack(serverPid);
  process.stdout.write(JSON.stringify({ clientPid: process.pid, serverPid, calls, ms, callsPerSec: calls / (ms / 1000), exit }) + '\n');
}

/** Self time (ms) per node id, from the samples and their time deltas. */
function selfTimes(/** @type {CpuProfile} */ profile) {
  /** @type {Map<number, number>} */
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = /** @type {number} */ (profile.samples[i]);
    // timeDeltas[i] is the time since the previous sample; attribute the next delta to this sample.
    const dt = /** @type {number} */ (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  return self;
}

/** Where a call frame's code lives, shortened. */
function where(/** @type {ProfileNode['callFrame']} */ frame) {
  const url = frame.url.replace(/^file:\/\//, '');
  if (url === '') return '';
  const nm = url.lastIndexOf('node_modules/');
  const short = nm >= 0 ? url.slice(nm + 'node_modules/'.length) : path.relative(ROOT, url).startsWith('..') ? url : path.relative(ROOT, url);
  return `${short}:${frame.lineNumber + 1}`;
}

/** The module a frame belongs to: a package, a dist/ file, a node: builtin, or a V8 pseudo-frame. */
function moduleOf(/** @type {ProfileNode['callFrame']} */ frame) {
  const url = frame.url.replace(/^file:\/\//, '');
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return (rest[0] ?? '').startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const rel = path.relative(ROOT, url);
  return rel.startsWith('..') ? url : rel;
}

/**
 * Top self-time entries of a profile, by function and by module.
 * @param {string} file
 */
function summarizeProfile(file) {
  /** @type {CpuProfile} */
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const self = selfTimes(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let total = 0;
  let idle = 0;
  /** @type {Map<string, {ms: number, name: string, where: string}>} */
  const byFunction = new Map();
  /** @type {Map<string, number>} */
  const byModule = new Map();
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const frame = node.callFrame;
    total += ms;
    if (frame.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}:${frame.columnNumber}`;
    const entry = byFunction.get(key) ?? { ms: 0, name: frame.functionName || '(anonymous)', where: where(frame) };
    entry.ms += ms;
    byFunction.set(key, entry);
    const mod = moduleOf(frame);
    byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
  }
  const busy = total - idle;
  return {
    file,
    totalMs: total,
    busyMs: busy,
    idleMs: idle,
    functions: [...byFunction.values()].sort((a, b) => b.ms - a.ms).slice(0, TOP).map((e) => ({ ...e, pctOfBusy: (100 * e.ms) / busy })),
    modules: [...byModule.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([name, ms]) => ({ name, ms, pctOfBusy: (100 * ms) / busy })),
  };
}

/** The profile file V8 wrote for `pid` in PROFILE_DIR. */
function profileOf(/** @type {number} */ pid, /** @type {number} */ since) {
  const files = fs
    .readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.cpuprofile') && f.split('.').includes(String(pid)))
    .map((f) => path.join(PROFILE_DIR, f))
    .filter((f) => fs.statSync(f).mtimeMs >= since);
  if (files.length === 0) throw new Error(`no profile for pid ${pid} in ${PROFILE_DIR}`);
  return /** @type {string} */ (files[files.length - 1]);
}

function print(/** @type {string} */ title, /** @type {ReturnType<typeof summarizeProfile>} */ s) {
  const out = [];
  out.push(`\n## ${title}: ${path.relative(process.cwd(), s.file)}`);
  out.push(`busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms (of ${s.totalMs.toFixed(0)} ms sampled)\n`);
  out.push('| self ms | % of busy | function | where |');
  out.push('| ---: | ---: | --- | --- |');
  for (const f of s.functions) out.push(`| ${f.ms.toFixed(0)} | ${f.pctOfBusy.toFixed(1)} | ${f.name} | ${f.where} |`);
  out.push('\n| self ms | % of busy | module |');
  out.push('| ---: | ---: | --- |');
  for (const m of s.modules) out.push(`| ${m.ms.toFixed(0)} | ${m.pctOfBusy.toFixed(1)} | ${m.name} |`);
  process.stdout.write(out.join('\n') + '\n');
}

async function parent(/** @type {string} */ workload, /** @type {number} */ calls) {
  fs.mkdirSync(PROFILE_DIR, { recursive: true });
  const since = Date.now() - 1000;
  const t0 = performance.now();
  const driver = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, __filename, '--child', workload, String(calls)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const killDriver = () => {
    try {
      driver.kill('SIGKILL');
    } catch {
      // Gone.
    }
  };
  process.on('exit', killDriver);
  const timer = setTimeout(killDriver, 10 * 60_000);
  let stdout = '';
  driver.stdout.setEncoding('utf8');
  driver.stdout.on('data', (/** @type {string} */ text) => (stdout += text));
  const code = await new Promise((resolve) => driver.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`profiling driver exited with ${code}`);
  const run = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
  process.stdout.write(
    `# CPU profile, ${workload}: ${run.calls} calls at ${Math.round(run.callsPerSec)} calls/s under --cpu-prof (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
  );
  print(`server (toolseal serve, pid ${run.serverPid})`, summarizeProfile(profileOf(run.serverPid, since)));
  print(`client (ToolClient, pid ${run.clientPid})`, summarizeProfile(profileOf(run.clientPid, since)));
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  child(args[1] ?? 'pipelined', Number(args[2] ?? 50_000)).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`profile driver: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  const workload = args[0] ?? 'pipelined';
  if (!['pipelined', 'large', 'sequential'].includes(workload)) throw new Error('usage: node bench/profile.js [pipelined|large|sequential] [calls]');
  const calls = Number(args[1] ?? (workload === 'large' ? 2_000 : workload === 'sequential' ? 5_000 : 50_000));
  parent(workload, calls).catch((err) => {
    process.stderr.write(`profile: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
