import { createServer } from '../serve/createServer';
import { reserveStdoutForProtocol } from '../serve/stdio';
import { isLogLevel, LOG_LEVELS } from '../server/logger';
import { DEFAULT_SETTINGS } from '../server/settings';
import { loadToolModules } from '../tools/modules';
import { ToolSetError } from '../tools/schemaCompiler';
import type { Tool } from '../tools/tool';
import { DEFAULT_STALLED_MS, DEFAULT_WORKER_CONCURRENCY } from '../state/defaults';
import { DEFAULT_MAX_DISPATCH_BURST } from '../transport/burstDispatch';
import { integerOption, parseCommandLine, UsageError, type CommandModule } from './args';

export const SERVE_USAGE = `Usage: toolseal serve [options]

Runs the tool server on stdin/stdout (line-delimited JSON-RPC 2.0). Logs go to stderr.
MCP hosts can use the same stdio: MCP tool calls must carry a signed envelope in
params._meta["toolseal/envelope"] unless --allow-unsigned-mcp is given.

Options:
  --tools PATH                serve the tools of a module (.js, .cjs, .mjs: its default
                              export and named exports made by defineTool) or of every
                              module in a directory; repeatable. Without --tools the
                              example tools batch_sum and start_long_task are served
  --example-tools             serve the example tools beside those of --tools
  --keys FILE                 keyring file (else TOOLSEAL_KEYS_JSON, then TOOLSEAL_KEYS)
  --max-skew-ms N             allowed clock skew of a call, ms (default ${DEFAULT_SETTINGS.maxSkewMs})
  --max-message-bytes N       longest accepted line, bytes (default ${DEFAULT_SETTINGS.maxMessageBytes})
  --job-ttl-ms N              how long finished jobs stay pollable, ms (default ${DEFAULT_SETTINGS.jobTtlMs})
  --max-jobs N                jobs running at once (default ${DEFAULT_SETTINGS.maxJobs})
  --max-jobs-per-client N     jobs running at once per client (default ${DEFAULT_SETTINGS.maxJobsPerClient})
  --max-job-records N         jobs kept, running or finished within --job-ttl-ms; past it
                              finished jobs are evicted oldest first (default ${DEFAULT_SETTINGS.maxJobRecords})
  --max-job-records-per-client N
                              the same per client (default ${DEFAULT_SETTINGS.maxJobRecordsPerClient})
  --max-job-bytes N           estimated memory kept by jobs (arguments while running,
                              results once done), bytes (default ${DEFAULT_SETTINGS.maxJobBytes})
  --max-job-bytes-per-client N
                              the same per client (default ${DEFAULT_SETTINGS.maxJobBytesPerClient})
  --drain-ms N                on stdin EOF, how long jobs may finish before cancel, ms (default ${DEFAULT_SETTINGS.drainMs})
  --max-replay-entries N      replay-cache entries held at most (default ${DEFAULT_SETTINGS.maxReplayEntries})
  --max-replay-entries-per-client N
                              replay-cache entries one client may hold (default ${DEFAULT_SETTINGS.maxReplayEntriesPerClient})
  --max-depth N               nesting allowed in a call's params, params = level 1 (default ${DEFAULT_SETTINGS.maxDepth})
  --max-dispatch-burst N      queued messages handled back to back before other work
                              gets a turn; 0 = one per event-loop turn (default ${DEFAULT_MAX_DISPATCH_BURST})
  --log-level LEVEL           ${LOG_LEVELS.join(' | ')} (default warn)
  --allow-unsigned-mcp        run unsigned MCP tool calls (as client id mcp:unsigned):
                              trust whoever holds the pipe
  --state URL                 share the replay window and the jobs with every process of
                              this server id through Redis: redis://HOST:PORT/DB (else
                              TOOLSEAL_STATE; default: both in this process's memory).
                              Jobs then run on BullMQ workers; calls that need Redis
                              while it is unreachable answer -32015 (retryable)
  --no-worker                 with --state: run no worker here (jobs run on
                              'toolseal worker' processes)
  --worker-concurrency N      with --state: jobs this process's worker runs at once (default ${DEFAULT_WORKER_CONCURRENCY})
  --stalled-ms N              with --state: a worker's job lock, renewed while it runs; a job
                              whose worker died ends within about 3 x N ms (default ${DEFAULT_STALLED_MS})
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

  const { values, positionals } = parseCommandLine(argv, {
    tools: { type: 'string', multiple: true },
    'example-tools': { type: 'boolean' },
    keys: { type: 'string' },
    'max-skew-ms': { type: 'string' },
    'max-message-bytes': { type: 'string' },
    'job-ttl-ms': { type: 'string' },
    'max-jobs': { type: 'string' },
    'max-jobs-per-client': { type: 'string' },
    'max-job-records': { type: 'string' },
    'max-job-records-per-client': { type: 'string' },
    'max-job-bytes': { type: 'string' },
    'max-job-bytes-per-client': { type: 'string' },
    'drain-ms': { type: 'string' },
    'max-replay-entries': { type: 'string' },
    'max-replay-entries-per-client': { type: 'string' },
    'max-depth': { type: 'string' },
    'max-dispatch-burst': { type: 'string' },
    'log-level': { type: 'string' },
    'allow-unsigned-mcp': { type: 'boolean' },
    state: { type: 'string' },
    'no-worker': { type: 'boolean' },
    'worker-concurrency': { type: 'string' },
    'stalled-ms': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const settings = {
    maxSkewMs: integerOption('max-skew-ms', values['max-skew-ms'], 0),
    maxMessageBytes: integerOption('max-message-bytes', values['max-message-bytes'], 64),
    jobTtlMs: integerOption('job-ttl-ms', values['job-ttl-ms'], 0),
    maxJobs: integerOption('max-jobs', values['max-jobs'], 1),
    maxJobsPerClient: integerOption('max-jobs-per-client', values['max-jobs-per-client'], 1),
    maxJobRecords: integerOption('max-job-records', values['max-job-records'], 1),
    maxJobRecordsPerClient: integerOption('max-job-records-per-client', values['max-job-records-per-client'], 1),
    maxJobBytes: integerOption('max-job-bytes', values['max-job-bytes'], 1),
    maxJobBytesPerClient: integerOption('max-job-bytes-per-client', values['max-job-bytes-per-client'], 1),
    drainMs: integerOption('drain-ms', values['drain-ms'], 0),
    maxReplayEntries: integerOption('max-replay-entries', values['max-replay-entries'], 1),
    maxReplayEntriesPerClient: integerOption('max-replay-entries-per-client', values['max-replay-entries-per-client'], 1),
    maxDepth: integerOption('max-depth', values['max-depth'], 2, 1_000),
  };
  const maxDispatchBurst = integerOption('max-dispatch-burst', values['max-dispatch-burst'], 0, 100_000) ?? DEFAULT_MAX_DISPATCH_BURST;
  const stateUrl = values.state ?? (process.env.TOOLSEAL_STATE || undefined);
  const workerConcurrency = integerOption('worker-concurrency', values['worker-concurrency'], 1, 10_000);
  const stalledMs = integerOption('stalled-ms', values['stalled-ms'], 100, 3_600_000);
  if (stateUrl === undefined && (values['no-worker'] === true || workerConcurrency !== undefined || stalledMs !== undefined)) {
    throw new UsageError('--no-worker, --worker-concurrency and --stalled-ms need --state');
  }
  const definedSettings = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));

  const toolPaths = values.tools ?? [];
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
    exampleTools: toolPaths.length === 0 || values['example-tools'] === true,
    keys: values.keys,
    settings: definedSettings,
    logLevel,
    allowUnsignedMcp: values['allow-unsigned-mcp'] === true,
    maxDispatchBurst,
    // Given here, or explicitly none: TOOLSEAL_STATE was read above.
    state: stateUrl === undefined ? '' : { url: stateUrl, worker: values['no-worker'] !== true, workerConcurrency, stalledMs },
  }).serveStdio({ exit: false });
}

/** This command, for the CLI table. */
export const command: CommandModule = { usage: SERVE_USAGE, run: serveCommand };
