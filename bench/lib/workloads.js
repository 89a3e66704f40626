// @ts-check
/**
 * The comparative workloads. Each starts its own server through a
 * SystemUnderTest, drives it through the Session interface (the same code
 * for every system), reads the server's peak RSS just before closing it, and
 * always closes it.
 */
'use strict';

const { performance } = require('node:perf_hooks');
const { exactSum } = require('../../dist/tools/exactSum');
const { memoryOf, cpuTimeOf, cpuMsOfThreads } = require('./children');
const { quantile, median } = require('./stats');

/** @typedef {import('./systems').Session} Session */
/** @typedef {import('./systems').SystemUnderTest} SystemUnderTest */

/** A deterministic PRNG (mulberry32), so every system sums the same numbers. */
function prng(/** @type {number} */ seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` numbers with two decimals in [0, 10000), the same on every call. */
function largeNumbers(/** @type {number} */ count) {
  const next = prng(0x5eed);
  return Array.from({ length: count }, () => Math.round(next() * 1_000_000) / 100);
}

/** Checks one answer: the right count and the correctly rounded total. */
function check(/** @type {{count: number, total: number}} */ answer, /** @type {number} */ count, /** @type {number} */ total) {
  if (!answer || answer.count !== count || answer.total !== total) {
    throw new Error(`wrong answer: expected {count: ${count}, total: ${total}}, got ${JSON.stringify(answer)}`);
  }
}

/**
 * Makes `total` calls of `call` with `inFlight` outstanding at any time (a
 * new call starts as soon as one answers). Resolves with the elapsed ms.
 * @param {(i: number) => Promise<unknown>} call
 * @param {number} total
 * @param {number} inFlight
 */
async function pipelined(call, total, inFlight) {
  let issued = 0;
  const worker = async () => {
    while (issued < total) {
      const i = issued++;
      await call(i);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, total)) }, worker));
  return performance.now() - started;
}

/**
 * Starts measuring the CPU time of both ends; the returned function gives
 * the µs of CPU per call each used since. On a machine shared with other
 * work, CPU per call moves far less than throughput does.
 * @param {Session} session
 */
function cpuMeter(session) {
  const client0 = process.cpuUsage();
  const server0 = cpuTimeOf(session.pid);
  return (/** @type {number} */ calls) => {
    const client = process.cpuUsage(client0);
    const server1 = cpuTimeOf(session.pid);
    return {
      clientCpuUsPerCall: (client.user + client.system) / calls,
      serverCpuUsPerCall: server0 === null || server1 === null ? NaN : (server1 - server0) / calls,
    };
  };
}

/**
 * Starts a session, runs `body`, reads the server's peak RSS, closes it
 * (also when `body` throws), and rethrows with the server's stderr tail.
 * @template T
 * @param {SystemUnderTest} system
 * @param {(session: Session) => Promise<T>} body
 * @param {{serveArgs?: string[]}} [options]
 * @returns {Promise<T & {peakRssBytes: number}>}
 */
async function withSession(system, body, options) {
  const session = await system.start(options);
  try {
    const figures = await body(session);
    const memory = memoryOf(session.pid);
    return { ...figures, peakRssBytes: memory ? memory.hwm : NaN };
  } catch (err) {
    const tail = session.stderrTail();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${system.label}: ${message}${tail ? `\n  server stderr:\n  ${tail.replace(/\n/g, '\n  ')}` : ''}`);
  } finally {
    await session.close();
  }
}

/**
 * Sequential: one call at a time, `numbers: [1,2,3]`.
 * @param {SystemUnderTest} system
 * @param {{warmup: number, calls: number}} config
 */
function sequential(system, config) {
  return withSession(system, async (session) => {
    const numbers = [1, 2, 3];
    for (let i = 0; i < config.warmup; i++) check(await session.sum(numbers), 3, 6);
    const latencies = new Float64Array(config.calls);
    const cpu = cpuMeter(session);
    const started = performance.now();
    for (let i = 0; i < config.calls; i++) {
      const t0 = performance.now();
      const answer = await session.sum(numbers);
      latencies[i] = performance.now() - t0;
      check(answer, 3, 6);
    }
    const elapsedMs = performance.now() - started;
    return {
      p50Us: quantile(latencies, 0.5) * 1000,
      p99Us: quantile(latencies, 0.99) * 1000,
      callsPerSec: config.calls / (elapsedMs / 1000),
      ...cpu(config.calls),
    };
  });
}

/**
 * Pipelined: `calls` calls of `[1,2,3]` with `inFlight` outstanding, after a
 * short pipelined warm-up.
 * @param {SystemUnderTest} system
 * @param {{warmup: number, calls: number, inFlight: number}} config
 */
function pipelinedCalls(system, config) {
  return withSession(system, async (session) => {
    const numbers = [1, 2, 3];
    const call = async () => check(await session.sum(numbers), 3, 6);
    await pipelined(call, config.warmup, config.inFlight);
    const cpu = cpuMeter(session);
    const elapsedMs = await pipelined(call, config.calls, config.inFlight);
    return { callsPerSec: config.calls / (elapsedMs / 1000), elapsedMs, ...cpu(config.calls) };
  });
}

/**
 * Large: `calls` calls of `size` numbers with `inFlight` outstanding. The
 * request size on the wire is measured once per run on the first warm-up
 * call (bytes handed to the server's stdin); MB/s = that size x calls / s.
 * @param {SystemUnderTest} system
 * @param {{warmup: number, calls: number, inFlight: number, size: number}} config
 */
function large(system, config) {
  const numbers = largeNumbers(config.size);
  const total = exactSum(numbers);
  return withSession(system, async (session) => {
    session.startCounting();
    check(await session.sum(numbers), numbers.length, total);
    const requestBytes = session.stopCounting();
    const call = async () => check(await session.sum(numbers), numbers.length, total);
    await pipelined(call, config.warmup, config.inFlight);
    const cpu = cpuMeter(session);
    const elapsedMs = await pipelined(call, config.calls, config.inFlight);
    const seconds = elapsedMs / 1000;
    return {
      callsPerSec: config.calls / seconds,
      mbPerSec: (requestBytes * config.calls) / seconds / 1e6,
      requestBytes,
      ...cpu(config.calls),
    };
  });
}

/**
 * Cold start: spawn to first answer, `times` times (each a new process),
 * and the server's CPU time up to that answer (all its threads). The peak
 * RSS is the median over the processes.
 * @param {SystemUnderTest} system
 * @param {{times: number}} config
 */
async function coldStart(system, config) {
  /** @type {number[]} */
  const ms = [];
  /** @type {number[]} */
  const rss = [];
  /** @type {number[]} */
  const cpu = [];
  for (let i = 0; i < config.times; i++) {
    let t0 = 0;
    const figures = await withSession(
      { ...system, start: (options) => ((t0 = performance.now()), system.start(options)) },
      async (session) => {
        check(await session.sum([1, 2, 3]), 3, 6);
        const elapsed = performance.now() - t0;
        return { ms: elapsed, cpuMs: cpuMsOfThreads(session.pid) ?? NaN };
      },
    );
    ms.push(figures.ms);
    cpu.push(figures.cpuMs);
    rss.push(figures.peakRssBytes);
  }
  return { medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), serverCpuMs: median(cpu), peakRssBytes: median(rss) };
}

module.exports = { sequential, pipelinedCalls, large, coldStart, pipelined, withSession, cpuMeter, largeNumbers, check };
