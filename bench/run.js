#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`: toolseal side by side with three baselines (the minimal
 * signed server, the bare transport, the MCP SDK), same workloads, same
 * client harness, systems rotated over the rounds (A B C D, B C D A, C D A B, D A B C);
 * then the toolseal-only workloads (jobs, replay cache) and the in-process
 * per-call cost split. Prints Markdown tables, writes bench/results.json and
 * the README section draft /tmp/readme/performance.md.
 *
 * Environment:
 *   BENCH_QUICK=1       reduced counts, for iterating (writes *-quick files)
 *   BENCH_ROUNDS=N      rounds of the comparative workloads (default 4: each system runs once in each position)
 *   BENCH_ONLY=a,b      only these sections: cost, sequential, pipelined,
 *                       large, cold, jobs, replay, state (shared state on a
 *                       redis-server of its own; skipped, saying so, without
 *                       the binary)
 *   BENCH_OUT=FILE      results JSON (default bench/results.json)
 *   BENCH_README=FILE   README section draft (default /tmp/readme/performance.md)
 *   BENCH_HARNESS_FLAGS=1 run the harness with --no-allocation-site-pretenuring
 *                       (default: V8's defaults; see bench/lib/systems.js)
 *   BENCH_STRICT=1      exit 1 when a target is not met (default: report only;
 *                       a failed run always exits 1)
 *
 * `node bench/run.js --render [FILE]` re-renders the tables and the README
 * draft from a saved results file without measuring anything.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const children = require('./lib/children');
const { SYSTEMS, HARNESS, toolsealCompiling } = require('./lib/systems');
const workloads = require('./lib/workloads');
const { jobs, replayCache } = require('./lib/toolsealOnly');
const { costSplit } = require('./lib/costSplit');
const { sharedState, sharedStateTable, sharedStateTargets } = require('./lib/sharedState');
const { summarize } = require('./lib/stats');
const report = require('./lib/report');

const QUICK = process.env.BENCH_QUICK === '1';

/** The issue's figures. */
const FULL = {
  rounds: 4,
  sequential: { warmup: 500, calls: 5_000 },
  pipelined: { warmup: 1_000, calls: 50_000, inFlight: 64 },
  large: { warmup: 20, calls: 2_000, inFlight: 16, size: 10_000 },
  coldStart: { times: 20 },
  jobs: { jobs: 10_000, seconds: 1, inFlight: 64, maxJobs: 10_000, timeoutMs: 30_000 },
  replay: { total: 1_000_000, checkpoint: 100_000, inFlight: 64 },
  costSplit: { runs: 7, ops: 20_000, dispatchOps: 5_000 },
  state: { pipelined: { warmup: 1_000, calls: 20_000, inFlight: 64 }, jobs: { jobs: 600, ms: 100, concurrency: 4, inFlight: 64, workers: [1, 2, 4] } },
};

/** About a tenth of the work, for iterating on the bench itself. */
const REDUCED = {
  rounds: 4,
  sequential: { warmup: 100, calls: 1_000 },
  pipelined: { warmup: 200, calls: 5_000, inFlight: 64 },
  large: { warmup: 5, calls: 200, inFlight: 16, size: 10_000 },
  coldStart: { times: 5 },
  jobs: { jobs: 1_000, seconds: 1, inFlight: 64, maxJobs: 10_000, timeoutMs: 30_000 },
  replay: { total: 200_000, checkpoint: 20_000, inFlight: 64 },
  costSplit: { runs: 3, ops: 5_000, dispatchOps: 1_000 },
  state: { pipelined: { warmup: 200, calls: 5_000, inFlight: 64 }, jobs: { jobs: 200, ms: 100, concurrency: 4, inFlight: 64, workers: [1, 2, 4] } },
};

const config = { ...(QUICK ? REDUCED : FULL), quick: QUICK, harness: HARNESS };
if (process.env.BENCH_ROUNDS) config.rounds = Math.max(1, Number(process.env.BENCH_ROUNDS) | 0);
/**
 * The systems in the order of round `round` (from 0): rotated by one place
 * each round, so that over as many rounds as systems each runs in every
 * position once, and what running first or after another system does to
 * the machine and to the harness process weighs on all alike.
 */
function rotated(/** @type {readonly any[]} */ systems, /** @type {number} */ round) {
  const shift = round % systems.length;
  return [...systems.slice(shift), ...systems.slice(0, shift)];
}

const SECTIONS = ['cost', 'sequential', 'pipelined', 'large', 'cold', 'jobs', 'replay', 'state'];
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : SECTIONS;
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`BENCH_ONLY: unknown section ${JSON.stringify(s)} (known: ${SECTIONS.join(', ')})`);
const wants = (/** @type {string} */ section) => only.includes(section);

const OUT = process.env.BENCH_OUT ?? path.join(__dirname, QUICK ? 'results-quick.json' : 'results.json');
const README = process.env.BENCH_README ?? (QUICK ? '/tmp/readme/performance-quick.md' : '/tmp/readme/performance.md');
/** The whole run stops by itself after this long, children killed. */
const WATCHDOG_MS = 25 * 60_000;

const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);
const MB = 1e6;

/** Machine facts for the record. */
function machineInfo() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m && m[1]) cpuModel = m[1].trim();
  } catch {
    // Not Linux: keep os.cpus()'s.
  }
  return {
    cpuModel,
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

/**
 * Runs `fn` with a time limit; on timeout every child is killed (runs are
 * sequential, so they are this run's) and the run fails.
 * @template T
 * @param {() => Promise<T>} fn
 * @param {number} ms
 * @returns {Promise<T>}
 */
function limited(fn, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  return Promise.race([
    fn().finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => {
        children.killAll();
        reject(new Error(`timed out after ${Math.round(ms / 1000)} s`));
      }, ms);
    }),
  ]);
}

/** @type {Array<{key: string, section: string, title: string, limitMs: number, run: (sys: import('./lib/systems').SystemUnderTest) => Promise<Record<string, number>>, describe: (f: Record<string, number>) => string}>} */
const COMPARATIVE = [
  {
    key: 'sequential',
    section: 'sequential',
    title: 'sequential',
    limitMs: 120_000,
    run: (sys) => workloads.sequential(sys, config.sequential),
    describe: (f) => `p50 ${report.num(f.p50Us ?? NaN)} µs, p99 ${report.num(f.p99Us ?? NaN)} µs, ${report.num(f.callsPerSec ?? NaN)} calls/s`,
  },
  {
    key: 'pipelined',
    section: 'pipelined',
    title: 'pipelined',
    limitMs: 180_000,
    run: (sys) => workloads.pipelinedCalls(sys, config.pipelined),
    describe: (f) => `${report.num(f.callsPerSec ?? NaN)} calls/s`,
  },
  {
    key: 'large',
    section: 'large',
    title: 'large',
    limitMs: 180_000,
    run: (sys) => workloads.large(sys, config.large),
    describe: (f) => `${report.num(f.callsPerSec ?? NaN)} calls/s, ${report.num(f.mbPerSec ?? NaN, 1)} MB/s (${report.num(f.requestBytes ?? NaN)} B/request)`,
  },
  {
    key: 'coldStart',
    section: 'cold',
    title: 'cold start',
    limitMs: 180_000,
    run: (sys) => workloads.coldStart(sys, config.coldStart),
    describe: (f) => `median ${report.num(f.medianMs ?? NaN, 1)} ms (${report.num(f.minMs ?? NaN, 1)}–${report.num(f.maxMs ?? NaN, 1)})`,
  },
];

async function main() {
  children.installCleanup(WATCHDOG_MS);
  const startedAt = performance.now();
  const machine = machineInfo();
  log(`bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}${QUICK ? ' (BENCH_QUICK: reduced counts)' : ''}; harness: ${harnessSetup(config)}`);

  /** @type {Record<string, any>} */
  const results = { machine, config, runs: {}, summary: {}, toolsealOnly: {}, costSplit: null, targets: [], errors: [] };
  /** @type {string[]} */
  const errors = results.errors;

  if (wants('cost')) {
    log('[cost split] in-process, no child processes ...');
    results.costSplit = await costSplit(config.costSplit);
    for (const [name, s] of Object.entries(results.costSplit)) log(`[cost split] ${name}: ${report.num(s.nsPerOp.median)} ns/op`);
  }

  for (const w of COMPARATIVE) {
    if (!wants(w.section)) continue;
    /** @type {Record<string, Array<Record<string, number> | {error: string}>>} */
    const runs = {};
    for (let round = 1; round <= config.rounds; round++) {
      // The cold start is also measured without --validators, beside the others.
      for (const sys of rotated(w.key === 'coldStart' ? [...SYSTEMS, toolsealCompiling] : SYSTEMS, round - 1)) {
        const t0 = performance.now();
        /** @type {Record<string, number> | {error: string}} */
        let figures;
        try {
          figures = await limited(() => w.run(sys), w.limitMs);
          log(`[${w.title} ${round}/${config.rounds}] ${sys.label}: ${w.describe(figures)}, server peak RSS ${report.num((figures.peakRssBytes ?? NaN) / MB, 1)} MB (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          figures = { error: message };
          errors.push(`${w.title} round ${round} ${sys.label}: ${message}`);
          log(`[${w.title} ${round}/${config.rounds}] ${sys.label}: FAILED: ${message}`);
        }
        (runs[sys.key] ??= []).push(figures);
      }
    }
    results.runs[w.key] = runs;
    /** @type {Record<string, Record<string, import('./lib/stats').Summary>>} */
    const summary = {};
    for (const [sys, list] of Object.entries(runs)) {
      const ok = /** @type {Record<string, number>[]} */ (list.filter((f) => !('error' in f)));
      const keys = new Set(ok.flatMap((f) => Object.keys(f)));
      summary[sys] = {};
      for (const k of keys) summary[sys][k] = summarize(ok.map((f) => /** @type {number} */ (f[k])));
    }
    results.summary[w.key] = summary;
  }

  if (wants('jobs')) {
    log(`[jobs] ${report.num(config.jobs.jobs)} x start_long_task ${config.jobs.seconds} s ...`);
    try {
      const j = await limited(() => jobs(config.jobs), 180_000);
      results.toolsealOnly.jobs = j;
      log(`[jobs] started in ${report.num(j.startPhaseMs)} ms; ${report.num(j.doneCount)} done; last done ${report.num(j.lastDoneAfterLastDueMs)} ms after last due; server peak RSS ${report.num(j.peakRssBytes / MB, 1)} MB`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results.toolsealOnly.jobs = { error: message };
      errors.push(`jobs: ${message}`);
      log(`[jobs] FAILED: ${message}`);
    }
  }

  if (wants('replay')) {
    for (const [key, serveArgs, label] of /** @type {Array<[string, string[], string]>} */ ([
      ['replayDefault', [], 'default window'],
      ['replayShort', ['--max-skew-ms', '2000'], '--max-skew-ms 2000'],
    ])) {
      log(`[replay] ${report.num(config.replay.total)} signed calls, ${label} ...`);
      try {
        const r = await limited(() => replayCache({ ...config.replay, serveArgs, label }), 420_000);
        results.toolsealOnly[key] = r;
        log(`[replay] ${label}: VmRSS ${report.num(r.rssCheckpointBytes / MB, 1)} MB after ${report.num(r.checkpoint)}, ${report.num(r.rssEndBytes / MB, 1)} MB after ${report.num(r.calls)} (VmHWM ${report.num(r.hwmEndBytes / MB, 1)} MB); ${report.num(r.callsPerSec)} calls/s; failed calls: ${JSON.stringify(r.errors)}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        results.toolsealOnly[key] = { error: message };
        errors.push(`replay ${label}: ${message}`);
        log(`[replay] ${label}: FAILED: ${message}`);
      }
    }
  }

  if (wants('state')) {
    log('[state] shared state: pipelined calls, memory and Redis stores alternated; jobs with 1, 2, 4 workers ...');
    try {
      results.shared = await limited(() => sharedState({ rounds: config.rounds, ...config.state, log }), 900_000);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results.shared = { error: message };
      errors.push(`state: ${message}`);
      log(`[state] FAILED: ${message}`);
    }
  }

  results.targets = allTargets(results);
  results.durationSec = (performance.now() - startedAt) / 1000;

  const markdown = renderMarkdown(results);
  fs.writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  fs.mkdirSync(path.dirname(README), { recursive: true });
  fs.writeFileSync(README, markdown);

  process.stdout.write(`\n${renderTables(results)}\n`);
  log(`\nbench: done in ${results.durationSec.toFixed(0)} s; wrote ${path.relative(process.cwd(), OUT)} and ${README}`);
  if (errors.length > 0) {
    log(`bench: ${errors.length} run(s) failed:\n  ${errors.join('\n  ')}`);
    process.exitCode = 1;
  }
  const failed = results.targets.filter((/** @type {{pass: boolean | null}} */ t) => t.pass === false).length;
  if (failed > 0 && process.env.BENCH_STRICT === '1') {
    log(`bench: ${failed} target(s) not met (BENCH_STRICT=1)`);
    process.exitCode = 1;
  }
}

/** The tables printed on stdout (the same as in the README draft). */
function renderTables(/** @type {Record<string, any>} */ results, withMachine = true) {
  const m = results.machine;
  const parts = [];
  if (withMachine) {
    parts.push(`Machine: ${m.cpuModel}, ${m.cores} cores, ${report.num(m.memoryBytes / 2 ** 30, 0)} GiB, Node ${m.node}, ${m.platform}; ${m.date}${results.config.quick ? ' (BENCH_QUICK: reduced counts)' : ''}`);
  }
  parts.push(`Each figure: median of ${results.config.rounds} rounds (min–max); systems run in turn, their order (toolseal, minimal signed, bare, SDK) rotated by one place each round. MB = 10^6 bytes.`);
  if (Object.keys(results.summary).length > 0) parts.push(`### Side by side\n\n${report.comparisonTable(results.summary, results.config)}`);
  if (Object.keys(results.toolsealOnly).length > 0) parts.push(`### toolseal only\n\n${report.toolsealOnlyTable(results.toolsealOnly, results.config)}`);
  if (results.costSplit) parts.push(`### Per-call cost split (in-process)\n\n${report.costSplitTable(results.costSplit)}`);
  if (results.shared && !results.shared.error) parts.push(`### Shared state (--state redis://...)\n\n${sharedStateTable(results.shared, report.num, report.table)}`);
  if (results.targets.length > 0) parts.push(`### Targets\n\n${report.targetsTable(results.targets)}`);
  return parts.join('\n\n') + '\n';
}

/** The README "Performance" section draft. */
function renderMarkdown(/** @type {Record<string, any>} */ results) {
  const c = results.config;
  const verdict = (/** @type {string} */ prefix) => {
    const t = results.targets.find((/** @type {{target: string}} */ x) => x.target.startsWith(prefix));
    return t ? `**${t.pass === null ? 'not run' : t.pass ? 'met' : 'not met'}** (${t.measured})` : '**not run**';
  };
  const m = (/** @type {string} */ w, /** @type {string} */ sys, /** @type {string} */ key) => results.summary[w]?.[sys]?.[key]?.median ?? NaN;
  const f1 = (/** @type {number} */ v) => report.num(v, 1);
  const x = (/** @type {number} */ v) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a');
  return `## Performance

\`npm run bench\` builds the package and measures toolseal side by side with three
baselines, with the same workloads and the same client harness, the four
systems in turn over ${c.rounds} rounds, their order rotated each round (A B C D,
B C D A, ...); it prints the tables below,
writes every figure to \`bench/results.json\` (\`BENCH_OUT\` names another file) and takes about ${Math.max(1, Math.round(results.durationSec / 60))} minutes on the
machine below. \`BENCH_QUICK=1 node bench/run.js\` runs about a tenth of the work;
\`BENCH_ONLY=pipelined,large node bench/run.js\` runs some sections only (\`cost\`,
\`sequential\`, \`pipelined\`, \`large\`, \`cold\`, \`jobs\`, \`replay\`, \`state\`).

### What is compared

- **toolseal**: \`ToolClient.spawn\` starting \`toolseal serve --tools
  bench/baselines/user-tools.js\`: 50 user tools made with the public
  \`defineTool\`, among them \`batch_sum\`, declared with a \`timeoutMs\` and
  run with its context (the jobs and replay workloads serve the example
  tools instead). Every call is a signed envelope, checked by the server
  (schema, HMAC, server id, freshness, replay cache, input and output schema)
  and answered with a signed response that the client checks (schema, HMAC,
  request and server id).
- **minimal signed** (\`bench/baselines/minimal-signed.js\`): the floor of a
  signed call in this design, written only for measurement. The same wire format
  and framing as toolseal (our newline framing on vscode-jsonrpc, burst dispatch);
  per call the server does one HMAC verify over \`JSON.stringify\` of the envelope
  rebuilt in key order, compares the server id and the time, remembers the nonce
  in a Map, runs Ajv on the arguments, sums, and signs the response with one HMAC;
  its lean client signs with one HMAC and checks the answer's with another. Nothing
  else: no envelope or response schema, no duplicate-key, depth or RFC 8785
  checks, no output schema, no limits, no jobs, no logging.
- **bare transport** (\`bench/baselines/bare-server.js\`): our newline framing
  on vscode-jsonrpc connections at both ends, with burst dispatch, answering
  \`batch_sum\` with the same summation and nothing else: no envelope at all.
- **MCP SDK** (\`bench/baselines/mcp-server.js\`): the official TypeScript SDK
  (\`@modelcontextprotocol/sdk\` ${sdkVersion()}), \`McpServer.registerTool\` with a zod input
  schema returning text and \`structuredContent\`, over its stdio transport,
  driven by its \`Client\` and \`StdioClientTransport\`.

Every system sums with the same \`exactSum\` (math.fsum semantics), and every
answer is checked (count and total). Workloads, all with \`batch_sum\`:
sequential (${report.num(c.sequential.calls)} calls of \`[1,2,3]\` after ${report.num(c.sequential.warmup)} warm-up),
pipelined (${report.num(c.pipelined.calls)} calls, ${c.pipelined.inFlight} in flight, after ${report.num(c.pipelined.warmup)} warm-up),
large (${report.num(c.large.calls)} calls of ${report.num(c.large.size)} numbers with two decimals, ${c.large.inFlight} in flight; MB/s counts the request
bytes written to the server's stdin, measured once per run), cold start (spawn to
first verified answer, ${c.coldStart.times} processes per round; for the SDK this includes its \`initialize\`
handshake, as a host would do it). Each run starts its own server process; its
peak RSS is VmHWM from \`/proc/<pid>/status\` read just before closing it. CPU per
call is the server's user + system time from \`/proc/<pid>/stat\` and the client
process's \`process.cpuUsage()\` (harness included, the same for every system)
over the timed calls: on a shared machine it moves much less than throughput.
The cold start's server CPU is the sum of the server's threads' run time
(\`/proc/<pid>/task/*/schedstat\`) when the first answer has arrived.

The four clients run in one harness process, set up the same way for all:
${harnessSetup(c)}.

### Machine

${results.machine.cpuModel}, ${results.machine.cores} cores, ${report.num(results.machine.memoryBytes / 2 ** 30, 0)} GiB, Node ${results.machine.node},
${results.machine.platform}, ${results.machine.date.slice(0, 10)}. The machine is shared with
other work, and its speed moves from minute to minute, which is why systems
alternate and figures are medians of rounds with their min–max: compare the
ratios of one run, not absolute figures across runs.

${renderTables(results, false)}
### The targets

Printed by \`npm run bench\` (the table above); every ratio is between figures of the same run.

- Server CPU per pipelined call at most 1.1x the minimal signed server's, with
  50 user tools served: ${verdict('server CPU per pipelined call')}; ${f1(m('pipelined', 'toolseal', 'serverCpuUsPerCall'))} µs against ${f1(m('pipelined', 'minimal', 'serverCpuUsPerCall'))} µs, which allows ${f1(1.1 * m('pipelined', 'minimal', 'serverCpuUsPerCall'))} µs.
- Pipelined calls/s at least 1.1x the MCP SDK's: ${verdict('pipelined calls/s >= 1.1x')}.
- Pipelined calls/s at least 0.9x the minimal signed server's (each with its own
  client): ${verdict('pipelined calls/s >= 0.9x')}. Both processes share two cores, so
  throughput follows the CPU both sides spend on a call: toolseal ${f1(m('pipelined', 'toolseal', 'serverCpuUsPerCall'))} + ${f1(m('pipelined', 'toolseal', 'clientCpuUsPerCall'))} µs,
  minimal ${f1(m('pipelined', 'minimal', 'serverCpuUsPerCall'))} + ${f1(m('pipelined', 'minimal', 'clientCpuUsPerCall'))} µs, a ratio of ${x((m('pipelined', 'minimal', 'serverCpuUsPerCall') + m('pipelined', 'minimal', 'clientCpuUsPerCall')) / (m('pipelined', 'toolseal', 'serverCpuUsPerCall') + m('pipelined', 'toolseal', 'clientCpuUsPerCall')))}.
- Spawn to first verified answer at most 0.6x the MCP SDK's, with 50 user tools
  (their schemas compiled by \`toolseal compile\`, served with \`--validators\`):
  ${verdict('spawn to first verified answer')}: ${f1(m('coldStart', 'toolseal', 'medianMs'))} ms against ${f1(m('coldStart', 'sdk', 'medianMs'))} ms, which allows ${f1(0.6 * m('coldStart', 'sdk', 'medianMs'))} ms.
  Without \`--validators\` (the schemas checked against their meta-schema at start, Ajv loaded with the first call): ${f1(m('coldStart', 'toolsealCompiling', 'medianMs'))} ms, ${x(m('coldStart', 'toolsealCompiling', 'medianMs') / m('coldStart', 'sdk', 'medianMs'))} the SDK.
  For reference the minimal signed server (which loads Ajv and compiles one schema) measures ${x(m('coldStart', 'minimal', 'medianMs') / m('coldStart', 'sdk', 'medianMs'))} the SDK and the bare transport ${x(m('coldStart', 'bare', 'medianMs') / m('coldStart', 'sdk', 'medianMs'))};
  server CPU to the first answer: toolseal ${f1(m('coldStart', 'toolseal', 'serverCpuMs'))} ms, minimal ${f1(m('coldStart', 'minimal', 'serverCpuMs'))} ms, bare ${f1(m('coldStart', 'bare', 'serverCpuMs'))} ms, SDK ${f1(m('coldStart', 'sdk', 'serverCpuMs'))} ms.
- Large-request (10,000 numbers) MB/s at least 1.1x the MCP SDK's: ${verdict('large (10,000 numbers) MB/s')}.
- Server peak RSS at most the MCP SDK's in every workload: sequential ${verdict("server peak RSS <= the MCP SDK's: sequential")},
  pipelined ${verdict("server peak RSS <= the MCP SDK's: pipelined")}, large ${verdict("server peak RSS <= the MCP SDK's: large")},
  cold start ${verdict("server peak RSS <= the MCP SDK's: cold start")}.
- ${report.num(c.jobs.jobs)} one-second jobs started pipelined: every \`done\` within 2 s after the last
  job's due time: ${verdict(`${report.num(c.jobs.jobs)} jobs`)}; server peak RSS under
  200 MB: ${verdict('jobs: server peak RSS')}.
- Replay cache, RSS at ${report.num(c.replay.total)} calls within 30 MB of RSS at ${report.num(c.replay.checkpoint)}:
  default window ${verdict('replay cache, default')}; \`--max-skew-ms 2000\` ${verdict('replay cache, --max-skew-ms')}.
`;
}

/** The targets of every section measured. */
function allTargets(/** @type {Record<string, any>} */ results) {
  return [...report.evaluateTargets(results.summary, results.toolsealOnly), ...sharedStateTargets(results.shared)];
}

/** How the harness process was set up (see bench/lib/systems.js). */
function harnessSetup(/** @type {Record<string, any>} */ c) {
  const h = c.harness ?? { v8Flags: [], burstDispatch: false };
  const flags = h.v8Flags.length > 0 ? `V8 flags ${h.v8Flags.map((/** @type {string} */ f) => `\`${f}\``).join(' ')}` : 'default V8 flags';
  return `${flags}, ${h.burstDispatch ? 'burst dispatch installed' : 'no burst dispatch'}`;
}

/** The installed SDK's version (its package.json is not in its exports map). */
function sdkVersion() {
  let dir = path.dirname(require.resolve('@modelcontextprotocol/sdk/client/index.js'));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (pkg.name === '@modelcontextprotocol/sdk') return `v${pkg.version}`;
    } catch {
      // No package.json at this level.
    }
    dir = path.dirname(dir);
  }
  return 'v1.x';
}

/** `node bench/run.js --render [results.json]`: print the tables and rewrite the README draft from saved figures. */
function renderSaved(/** @type {string} */ file) {
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  results.targets = allTargets(results);
  fs.mkdirSync(path.dirname(README), { recursive: true });
  fs.writeFileSync(README, renderMarkdown(results));
  process.stdout.write(`${renderTables(results)}\n`);
  log(`bench: rendered ${file} into ${README}`);
}

const renderIndex = process.argv.indexOf('--render');
if (renderIndex >= 0) {
  renderSaved(process.argv[renderIndex + 1] ?? OUT);
  process.exit(0);
}

main().then(
  () => {
    children.killAll();
    // Nothing of ours should be left; exit even if a library left a handle open.
    process.exit(process.exitCode ?? 0);
  },
  (err) => {
    children.killAll();
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
