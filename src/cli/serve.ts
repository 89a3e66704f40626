import { createServer } from '../serve/createServer';
import { reserveStdoutForProtocol } from '../serve/stdio';
import { isLogLevel, LOG_LEVELS } from '../server/logger';
import { DEFAULT_SETTINGS, type ServerSettings } from '../server/settings';
import { loadToolModules } from '../tools/modules';
import { ToolSetError } from '../tools/schemaCompiler';
import type { Tool } from '../tools/tool';
import { DEFAULT_STALLED_MS, DEFAULT_WORKER_CONCURRENCY } from '../state/defaults';
import { DEFAULT_MAX_DISPATCH_BURST } from '../transport/burstDispatch';
import { integerOption, parseCommandLine, UsageError, type CommandModule } from './args';

/** One option of `toolseal serve`: how it is parsed, what --help says, and the setting it sets, if any. */
interface ServeOption {
  flag: string;
  /** What the option takes (`N`, `PATH`, ...); none for a switch. */
  arg?: string;
  multiple?: boolean;
  /** The --help text, one string per line. */
  help: readonly string[];
  /** The ServerSettings field a whole-number option sets, and its bounds. */
  setting?: { key: keyof ServerSettings; min: number; max?: number };
}

const d = DEFAULT_SETTINGS;

/** Every option of `toolseal serve`: the one list its parsing and its --help come from. */
const SERVE_OPTIONS: readonly ServeOption[] = [
  { flag: 'tools', arg: 'PATH', multiple: true, help: ['serve the tools of a module (.js, .cjs, .mjs: its default', 'export and named exports made by defineTool) or of every', 'module in a directory; repeatable. Without --tools the', 'example tools batch_sum and start_long_task are served'] },
  { flag: 'example-tools', help: ['serve the example tools beside those of --tools'] },
  { flag: 'validators', arg: 'FILE', help: ["the tools' schemas compiled ahead of time by 'toolseal", "compile': start-up then neither loads Ajv nor checks them"] },
  { flag: 'keys', arg: 'FILE', help: ['keyring file (else TOOLSEAL_KEYS_JSON, then TOOLSEAL_KEYS)'] },
  { flag: 'max-skew-ms', arg: 'N', help: [`allowed clock skew of a call, ms (default ${d.maxSkewMs})`], setting: { key: 'maxSkewMs', min: 0 } },
  { flag: 'max-message-bytes', arg: 'N', help: [`longest accepted line, bytes (default ${d.maxMessageBytes})`], setting: { key: 'maxMessageBytes', min: 64 } },
  { flag: 'job-ttl-ms', arg: 'N', help: [`how long finished jobs stay pollable, ms (default ${d.jobTtlMs})`], setting: { key: 'jobTtlMs', min: 0 } },
  { flag: 'max-jobs', arg: 'N', help: [`jobs running at once (default ${d.maxJobs})`], setting: { key: 'maxJobs', min: 1 } },
  { flag: 'max-jobs-per-client', arg: 'N', help: [`jobs running at once per client (default ${d.maxJobsPerClient})`], setting: { key: 'maxJobsPerClient', min: 1 } },
  { flag: 'max-job-records', arg: 'N', help: ['jobs kept, running or finished within --job-ttl-ms; past it', `finished jobs are evicted oldest first (default ${d.maxJobRecords})`], setting: { key: 'maxJobRecords', min: 1 } },
  { flag: 'max-job-records-per-client', arg: 'N', help: [`the same per client (default ${d.maxJobRecordsPerClient})`], setting: { key: 'maxJobRecordsPerClient', min: 1 } },
  { flag: 'max-job-bytes', arg: 'N', help: ['estimated memory kept by jobs (arguments while running,', `results once done), bytes (default ${d.maxJobBytes})`], setting: { key: 'maxJobBytes', min: 1 } },
  { flag: 'max-job-bytes-per-client', arg: 'N', help: [`the same per client (default ${d.maxJobBytesPerClient})`], setting: { key: 'maxJobBytesPerClient', min: 1 } },
  { flag: 'drain-ms', arg: 'N', help: [`on stdin EOF, how long jobs may finish before cancel, ms (default ${d.drainMs})`], setting: { key: 'drainMs', min: 0 } },
  { flag: 'max-replay-entries', arg: 'N', help: [`replay-cache entries held at most (default ${d.maxReplayEntries})`], setting: { key: 'maxReplayEntries', min: 1 } },
  { flag: 'max-replay-entries-per-client', arg: 'N', help: [`replay-cache entries one client may hold (default ${d.maxReplayEntriesPerClient})`], setting: { key: 'maxReplayEntriesPerClient', min: 1 } },
  { flag: 'max-depth', arg: 'N', help: [`nesting allowed in a call's params, params = level 1 (default ${d.maxDepth})`], setting: { key: 'maxDepth', min: 2, max: 1_000 } },
  { flag: 'max-dispatch-burst', arg: 'N', help: ['queued messages handled back to back before other work', `gets a turn; 0 = one per event-loop turn (default ${DEFAULT_MAX_DISPATCH_BURST})`] },
  { flag: 'log-level', arg: 'LEVEL', help: [`${LOG_LEVELS.join(' | ')} (default warn)`] },
  { flag: 'allow-unsigned-mcp', help: ['run unsigned MCP tool calls (as client id mcp:unsigned):', 'trust whoever holds the pipe'] },
  { flag: 'state', arg: 'URL', help: ['share the replay window and the jobs with every process of', 'this server id through Redis: redis://HOST:PORT/DB (else', "TOOLSEAL_STATE; default: both in this process's memory).", 'Jobs then run on BullMQ workers; calls that need Redis', 'while it is unreachable answer -32015 (retryable)'] },
  { flag: 'no-worker', help: ['with --state: run no worker here (jobs run on', "'toolseal worker' processes)"] },
  { flag: 'worker-concurrency', arg: 'N', help: [`with --state: jobs this process's worker runs at once (default ${DEFAULT_WORKER_CONCURRENCY})`] },
  { flag: 'stalled-ms', arg: 'N', help: ["with --state: a worker's job lock, renewed while it runs; a job", `whose worker died ends within about 3 x N ms (default ${DEFAULT_STALLED_MS})`] },
];

/** The options as parseArgs takes them. */
const PARSE_CONFIG = Object.fromEntries(
  SERVE_OPTIONS.map((option) => [option.flag, { type: option.arg === undefined ? ('boolean' as const) : ('string' as const), multiple: option.multiple === true }]),
);

/** `--flag ARG` and its help, in two columns (a long flag gets its own line). */
function optionLines(options: readonly ServeOption[]): string {
  const column = 30;
  return options
    .flatMap((option) => {
      const name = `  --${option.flag}${option.arg === undefined ? '' : ` ${option.arg}`}`;
      const [first, ...rest] = option.help;
      const head = name.length < column ? [`${name.padEnd(column)}${first}`] : [name, `${' '.repeat(column)}${first}`];
      return [...head, ...rest.map((line) => `${' '.repeat(column)}${line}`)];
    })
    .join('\n');
}

export const SERVE_USAGE = `Usage: toolseal serve [options]

Runs the tool server on stdin/stdout (line-delimited JSON-RPC 2.0). Logs go to stderr.
MCP hosts can use the same stdio: MCP tool calls must carry a signed envelope in
params._meta["toolseal/envelope"] unless --allow-unsigned-mcp is given.

Options:
${optionLines(SERVE_OPTIONS)}
  -h, --help                  this help

The protocol tools server_identity, list_tools, poll_job and cancel_job are
always served.

Exit codes: 0 after a drain or a signal, 2 on a bad keyring, a bad tool set, a bad
--state URL or bad options.
`;

/** `toolseal serve`: runs until stdin ends or a signal arrives; resolves with the exit code. */
export async function serveCommand(argv: string[]): Promise<number> {
  // Before anything else runs (tool modules included): stdout carries protocol lines only.
  reserveStdoutForProtocol();

  const { values: parsed, positionals } = parseCommandLine(argv, PARSE_CONFIG);
  const values = parsed as Record<string, string | boolean | string[] | undefined>;
  const text = (flag: string): string | undefined => values[flag] as string | undefined;
  const on = (flag: string): boolean => values[flag] === true;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const logLevel = text('log-level') ?? 'warn';
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const settings: Partial<Record<keyof ServerSettings, number>> = {};
  for (const { flag, setting } of SERVE_OPTIONS) {
    const value = setting && integerOption(flag, text(flag), setting.min, setting.max);
    if (setting && value !== undefined) settings[setting.key] = value;
  }
  const maxDispatchBurst = integerOption('max-dispatch-burst', text('max-dispatch-burst'), 0, 100_000) ?? DEFAULT_MAX_DISPATCH_BURST;
  const stateUrl = text('state') ?? (process.env.TOOLSEAL_STATE || undefined);
  const workerConcurrency = integerOption('worker-concurrency', text('worker-concurrency'), 1, 10_000);
  const stalledMs = integerOption('stalled-ms', text('stalled-ms'), 100, 3_600_000);
  if (stateUrl === undefined && (on('no-worker') || workerConcurrency !== undefined || stalledMs !== undefined)) {
    throw new UsageError('--no-worker, --worker-concurrency and --stalled-ms need --state');
  }

  const toolPaths = (values.tools as string[] | undefined) ?? [];
  let tools: Tool[];
  try {
    tools = await loadToolModules(toolPaths);
  } catch (err) {
    if (!(err instanceof ToolSetError)) throw err;
    process.stderr.write(`toolseal serve: ${err.message}\n`);
    return 2;
  }
  return createServer({
    tools,
    exampleTools: toolPaths.length === 0 || on('example-tools'),
    validators: text('validators'),
    keys: text('keys'),
    settings,
    logLevel,
    allowUnsignedMcp: on('allow-unsigned-mcp'),
    maxDispatchBurst,
    // Given here, or explicitly none: TOOLSEAL_STATE was read above.
    state: stateUrl === undefined ? '' : { url: stateUrl, worker: !on('no-worker'), workerConcurrency, stalledMs },
  }).serveStdio({ exit: false });
}

/** This command, for the CLI table. */
export const command: CommandModule = { usage: SERVE_USAGE, run: serveCommand };
