// @ts-check
/**
 * Workloads only toolseal has: 10,000 concurrent jobs, and the replay cache
 * under a million distinct signed calls.
 */
'use strict';

const { performance } = require('node:perf_hooks');
const { memoryOf } = require('./children');
const { pipelined, withSession, check } = require('./workloads');
const { toolseal } = require('./systems');

/**
 * Starts `jobs` `start_long_task {seconds}` calls pipelined and waits for
 * every job's `done` notification. "Last done after last due" is the arrival
 * of the last `done` minus (the last `accepted` response + `seconds`).
 * @param {{jobs: number, seconds: number, inFlight: number, maxJobs: number, timeoutMs: number}} config
 */
function jobs(config) {
  return withSession(
    toolseal,
    async (session) => {
      const client = /** @type {import('../../dist/client').ToolClient} */ (session.client);
      /** @type {Map<string, number>} job id -> when its accepted response arrived */
      const acceptedAt = new Map();
      /** @type {Map<string, number>} job id -> when its done notification arrived */
      const doneAt = new Map();
      const statusCounts = /** @type {Record<string, number>} */ ({});
      let notifications = 0;
      /** @type {() => void} */
      let allDone = () => undefined;
      const finished = new Promise((/** @type {(v?: unknown) => void} */ resolve) => (allDone = resolve));
      const subscription = client.onJobStatus((update) => {
        notifications++;
        statusCounts[update.status] = (statusCounts[update.status] ?? 0) + 1;
        if (update.status === 'done' && !doneAt.has(update.jobId)) {
          doneAt.set(update.jobId, performance.now());
          if (doneAt.size === config.jobs) allDone();
        }
      });
      const started = performance.now();
      let lastAccepted = 0;
      await pipelined(
        async () => {
          const response = await client.call('start_long_task', { seconds: config.seconds });
          const jobId = /** @type {{job_id: string}} */ (/** @type {unknown} */ (response.result)).job_id;
          if (response.status !== 'accepted' || typeof jobId !== 'string') throw new Error(`start_long_task answered ${response.status}`);
          lastAccepted = performance.now();
          acceptedAt.set(jobId, lastAccepted);
        },
        config.jobs,
        config.inFlight,
      );
      const startPhaseMs = performance.now() - started;
      const lastDue = lastAccepted + config.seconds * 1000;
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      const timedOut = await Promise.race([
        finished.then(() => false),
        new Promise((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, lastDue - performance.now()) + config.timeoutMs))),
      ]);
      clearTimeout(timer);
      subscription.dispose();
      let lastDone = 0;
      let worstLatenessMs = -Infinity;
      for (const [jobId, at] of doneAt) {
        lastDone = Math.max(lastDone, at);
        const accepted = acceptedAt.get(jobId);
        if (accepted !== undefined) worstLatenessMs = Math.max(worstLatenessMs, at - (accepted + config.seconds * 1000));
      }
      return {
        jobs: config.jobs,
        doneCount: doneAt.size,
        timedOut,
        startPhaseMs,
        lastDoneAfterLastDueMs: doneAt.size > 0 ? lastDone - lastDue : NaN,
        worstDoneAfterOwnDueMs: worstLatenessMs,
        notifications,
        statusCounts,
      };
    },
    { serveArgs: ['--max-jobs', String(config.maxJobs)] },
  );
}

/**
 * `total` distinct signed `batch_sum [1]` calls, pipelined; the server's
 * VmRSS/VmHWM after the first `checkpoint` calls and at the end.
 * @param {{total: number, checkpoint: number, inFlight: number, serveArgs: string[], label: string}} config
 */
function replayCache(config) {
  return withSession(
    toolseal,
    async (session) => {
      const numbers = [1];
      /** @type {Record<string, number>} */
      const errors = {};
      const call = async () => {
        try {
          check(await session.sum(numbers), 1, 1);
        } catch (err) {
          const code = /** @type {{code?: unknown}} */ (err).code;
          const key = typeof code === 'number' ? String(code) : err instanceof Error ? err.message : String(err);
          errors[key] = (errors[key] ?? 0) + 1;
        }
      };
      const firstMs = await pipelined(call, config.checkpoint, config.inFlight);
      const atCheckpoint = memoryOf(session.pid);
      const restMs = await pipelined(call, config.total - config.checkpoint, config.inFlight);
      const atEnd = memoryOf(session.pid);
      const rssCheckpoint = atCheckpoint ? atCheckpoint.rss : NaN;
      const rssEnd = atEnd ? atEnd.rss : NaN;
      return {
        label: config.label,
        serveArgs: config.serveArgs,
        calls: config.total,
        checkpoint: config.checkpoint,
        callsPerSec: config.total / ((firstMs + restMs) / 1000),
        rssCheckpointBytes: rssCheckpoint,
        hwmCheckpointBytes: atCheckpoint ? atCheckpoint.hwm : NaN,
        rssEndBytes: rssEnd,
        hwmEndBytes: atEnd ? atEnd.hwm : NaN,
        rssGrowthBytes: rssEnd - rssCheckpoint,
        bytesPerEntry: (rssEnd - rssCheckpoint) / (config.total - config.checkpoint),
        errors,
      };
    },
    { serveArgs: config.serveArgs },
  );
}

module.exports = { jobs, replayCache };
