// @ts-check
/** Turns the results into Markdown tables and PASS/FAIL verdicts. */
'use strict';

/** @typedef {import('./stats').Summary} Summary */

const DASH = '–';

/** A number with thousands separators and `digits` decimals; "n/a" for NaN. */
function num(/** @type {number} */ value, digits = 0) {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "median (min–max)" of a Summary, values scaled by `scale`. */
function cell(/** @type {Summary | undefined} */ s, digits = 0, scale = 1) {
  if (!s || !Number.isFinite(s.median)) return 'n/a';
  if (s.values.length < 2 || s.min === s.max) return num(s.median * scale, digits);
  return `${num(s.median * scale, digits)} (${num(s.min * scale, digits)}${DASH}${num(s.max * scale, digits)})`;
}

/** a / b as "0.00x". */
function ratio(/** @type {number} */ a, /** @type {number} */ b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}x`;
}

/** A Markdown table; the first `textColumns` columns are left-aligned, the rest right-aligned. */
function table(/** @type {string[]} */ header, /** @type {string[][]} */ rows, textColumns = 2) {
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < textColumns ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

const MB = 1e6;

/** The systems' columns, in the order every round runs them. */
const SYSTEM_COLUMNS = [
  ['toolseal', 'toolseal'],
  ['minimal', 'minimal signed'],
  ['bare', 'bare transport'],
  ['sdk', 'MCP SDK'],
];

/**
 * The side-by-side table.
 * @param {Record<string, Record<string, Record<string, Summary>>>} s summary[workload][system][metric]
 * @param {Record<string, any>} config
 */
function comparisonTable(s, config) {
  /** @type {Array<[string, string, string, number, number?, string?]>} workload, metric label, metric key, digits, scale, the system in the toolseal column (default toolseal) */
  const rows = [
    ['sequential', 'p50 latency, µs (lower is better)', 'p50Us', 0],
    ['sequential', 'p99 latency, µs', 'p99Us', 0],
    ['sequential', 'calls/s', 'callsPerSec', 0],
    ['sequential', 'server CPU per call, µs', 'serverCpuUsPerCall', 1],
    ['sequential', 'client CPU per call, µs', 'clientCpuUsPerCall', 1],
    ['sequential', 'server peak RSS, MB', 'peakRssBytes', 1, 1 / MB],
    ['pipelined', `calls/s (${config.pipelined.inFlight} in flight)`, 'callsPerSec', 0],
    ['pipelined', 'server CPU per call, µs', 'serverCpuUsPerCall', 1],
    ['pipelined', 'client CPU per call, µs', 'clientCpuUsPerCall', 1],
    ['pipelined', 'server peak RSS, MB', 'peakRssBytes', 1, 1 / MB],
    ['large', `calls/s (${num(config.large.size)} numbers, ${config.large.inFlight} in flight)`, 'callsPerSec', 0],
    ['large', 'MB/s of requests', 'mbPerSec', 1],
    ['large', 'request size on the wire, bytes', 'requestBytes', 0],
    ['large', 'server CPU per call, µs', 'serverCpuUsPerCall', 0],
    ['large', 'client CPU per call, µs', 'clientCpuUsPerCall', 0],
    ['large', 'server peak RSS, MB', 'peakRssBytes', 1, 1 / MB],
    ['coldStart', 'spawn to first answer, ms (lower is better)', 'medianMs', 1],
    ['coldStart', 'the same, toolseal without --validators', 'medianMs', 1, 1, 'toolsealCompiling'],
    ['coldStart', 'server CPU to first answer, ms', 'serverCpuMs', 1],
    ['coldStart', 'server peak RSS, MB', 'peakRssBytes', 1, 1 / MB],
  ];
  const names = { sequential: `sequential (${num(config.sequential.calls)} calls)`, pipelined: `pipelined (${num(config.pipelined.calls)} calls)`, large: `large (${num(config.large.calls)} calls)`, coldStart: `cold start (${config.coldStart.times}x)` };
  return table(
    ['workload', 'metric', ...SYSTEM_COLUMNS.map(([, label]) => label), 'toolseal / minimal', 'toolseal / bare', 'toolseal / SDK'],
    rows
      .filter(([w]) => s[w])
      .filter(([w, , key, , , toolsealKey]) => toolsealKey === undefined || s[w]?.[toolsealKey]?.[key] !== undefined)
      .map(([w, label, key, digits, scale = 1, toolsealKey = 'toolseal']) => {
        const get = (/** @type {string} */ sys) => s[w]?.[sys === 'toolseal' ? toolsealKey : sys]?.[key];
        const t = get('toolseal')?.median ?? NaN;
        return [
          /** @type {Record<string, string>} */ (names)[w] ?? w,
          label,
          ...SYSTEM_COLUMNS.map(([sys]) => cell(get(sys), digits, scale)),
          ratio(t, get('minimal')?.median ?? NaN),
          ratio(t, get('bare')?.median ?? NaN),
          ratio(t, get('sdk')?.median ?? NaN),
        ];
      }),
  );
}

/**
 * @param {Record<string, any>} only results of the toolseal-only workloads
 * @param {Record<string, any>} config
 */
function toolsealOnlyTable(only, config) {
  /** @type {string[][]} */
  const rows = [];
  const j = only.jobs;
  if (j) {
    const w = `jobs (${num(config.jobs.jobs)} x start_long_task ${config.jobs.seconds} s)`;
    if (j.error) rows.push([w, 'error', String(j.error).split('\n')[0] ?? '']);
    else {
      rows.push([w, 'time to start them all, ms', num(j.startPhaseMs, 0)]);
      rows.push([w, 'last done after last due, ms (negative: before it)', num(j.lastDoneAfterLastDueMs, 0)]);
      rows.push([w, 'worst job: done after its own due, ms', num(j.worstDoneAfterOwnDueMs, 0)]);
      rows.push([w, 'done notifications received', `${num(j.doneCount)} / ${num(j.jobs)}`]);
      rows.push([w, 'job/status notifications verified', num(j.notifications)]);
      rows.push([w, 'server peak RSS, MB', num(j.peakRssBytes / MB, 1)]);
    }
  }
  for (const key of ['replayDefault', 'replayShort']) {
    const r = only[key];
    if (!r) continue;
    const cfg = config.replay;
    const w = key === 'replayDefault' ? `replay cache, default window (${num(cfg.total)} calls)` : `replay cache, --max-skew-ms 2000 (${num(cfg.total)} calls)`;
    if (r.error) {
      rows.push([w, 'error', String(r.error).split('\n')[0] ?? '']);
      continue;
    }
    rows.push([w, `server VmRSS / VmHWM after ${num(cfg.checkpoint)}, MB`, `${num(r.rssCheckpointBytes / MB, 1)} / ${num(r.hwmCheckpointBytes / MB, 1)}`]);
    rows.push([w, `server VmRSS / VmHWM after ${num(cfg.total)}, MB`, `${num(r.rssEndBytes / MB, 1)} / ${num(r.hwmEndBytes / MB, 1)}`]);
    rows.push([w, 'VmRSS growth, MB', num(r.rssGrowthBytes / MB, 1)]);
    if (key === 'replayDefault') rows.push([w, 'bytes per live entry', num(r.bytesPerEntry, 0)]);
    rows.push([w, 'calls/s (64 in flight)', num(r.callsPerSec, 0)]);
    const errors = Object.entries(r.errors ?? {});
    rows.push([w, 'failed calls', errors.length === 0 ? '0' : errors.map(([k, v]) => `${num(v)} x ${k}`).join(', ')]);
  }
  return table(['workload', 'metric', 'toolseal'], rows);
}

/** @param {Record<string, {describe: string, nsPerOp: Summary}>} split */
function costSplitTable(split) {
  return table(
    ['step (in-process, batch_sum [1,2,3])', 'what it covers', 'ns/op, median (min–max)'],
    Object.entries(split).map(([name, s]) => [name, s.describe, cell(s.nsPerOp, 0)]),
  );
}

/**
 * The targets of the issue, each checked on this run's figures.
 * @param {Record<string, Record<string, Record<string, Summary>>>} s
 * @param {Record<string, any>} only
 */
function evaluateTargets(s, only) {
  const med = (/** @type {string} */ w, /** @type {string} */ sys, /** @type {string} */ key) => s[w]?.[sys]?.[key]?.median ?? NaN;
  /** @type {Array<{target: string, measured: string, pass: boolean | null}>} */
  const targets = [];
  /** @param {string} target @param {number} value @param {(v: number) => boolean} ok @param {string} text */
  const add = (target, value, ok, text) => targets.push({ target, measured: Number.isFinite(value) ? text : 'not measured', pass: Number.isFinite(value) ? ok(value) : null });
  /** @param {string} target @param {number} a @param {(v: number) => boolean} ok */
  const ratioTarget = (target, a, ok) => add(target, a, ok, `${a.toFixed(2)}x`);
  if (s.pipelined) {
    const cpu = (/** @type {string} */ sys) => med('pipelined', sys, 'serverCpuUsPerCall');
    ratioTarget('server CPU per pipelined call <= 1.1x the minimal signed server', cpu('toolseal') / cpu('minimal'), (v) => v <= 1.1);
    const rate = (/** @type {string} */ sys) => med('pipelined', sys, 'callsPerSec');
    ratioTarget('pipelined calls/s >= 1.1x the MCP SDK', rate('toolseal') / rate('sdk'), (v) => v >= 1.1);
    ratioTarget('pipelined calls/s >= 0.9x the minimal signed server', rate('toolseal') / rate('minimal'), (v) => v >= 0.9);
  }
  if (s.coldStart) {
    ratioTarget('spawn to first verified answer <= 0.6x the MCP SDK', med('coldStart', 'toolseal', 'medianMs') / med('coldStart', 'sdk', 'medianMs'), (v) => v <= 0.6);
  }
  if (s.large) {
    ratioTarget('large (10,000 numbers) MB/s >= 1.1x the MCP SDK', med('large', 'toolseal', 'mbPerSec') / med('large', 'sdk', 'mbPerSec'), (v) => v >= 1.1);
  }
  for (const w of ['sequential', 'pipelined', 'large', 'coldStart']) {
    if (!s[w]) continue;
    ratioTarget(`server peak RSS <= the MCP SDK's: ${w === 'coldStart' ? 'cold start' : w}`, med(w, 'toolseal', 'peakRssBytes') / med(w, 'sdk', 'peakRssBytes'), (v) => v <= 1.0);
  }
  const j = only.jobs;
  if (j) {
    const late = j.error ? NaN : j.doneCount === j.jobs ? j.lastDoneAfterLastDueMs : Infinity;
    targets.push({
      target: `${num(j.jobs ?? NaN)} jobs: every done within 2 s after the last job's due time`,
      measured: j.error ? 'error' : j.doneCount === j.jobs ? `${num(late)} ms` : `only ${num(j.doneCount)} done`,
      pass: j.error ? false : late <= 2000,
    });
    add('jobs: server peak RSS < 200 MB', j.error ? NaN : j.peakRssBytes, (v) => v < 200 * MB, `${num(j.peakRssBytes / MB, 1)} MB`);
  }
  for (const [key, label] of [
    ['replayDefault', 'default window (600 s: all entries live)'],
    ['replayShort', '--max-skew-ms 2000 (entries expire after 4 s)'],
  ]) {
    const r = only[/** @type {string} */ (key)];
    if (!r) continue;
    const growth = r.error ? NaN : r.rssGrowthBytes;
    const failed = r.error ? 0 : Object.values(r.errors ?? {}).reduce((a, b) => a + b, 0);
    targets.push({
      target: `replay cache, ${label}: VmRSS at ${num(r.calls ?? NaN)} within 30 MB of VmRSS at ${num(r.checkpoint ?? NaN)}`,
      measured: r.error ? 'error' : `${growth >= 0 ? '+' : ''}${num(growth / MB, 1)} MB${failed ? `, ${num(failed)} calls failed` : ''}`,
      pass: r.error ? false : Math.abs(growth) <= 30 * MB && failed === 0,
    });
  }
  return targets;
}

/** @param {ReturnType<typeof evaluateTargets>} targets */
function targetsTable(targets) {
  return table(
    ['target (ratios from the same run)', 'measured', 'result'],
    targets.map((t) => [t.target, t.measured, t.pass === null ? 'not run' : t.pass ? 'PASS' : 'FAIL']),
    1,
  );
}

module.exports = { SYSTEM_COLUMNS, comparisonTable, toolsealOnlyTable, costSplitTable, evaluateTargets, targetsTable, num, table };
