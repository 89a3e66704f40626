import { SchemaRegistry } from '../protocol/schemas';
import { KeyringError, loadKeyring } from '../protocol/keyring';
import { createLogger, isLogLevel, LOG_LEVELS } from '../server/logger';
import { DEFAULT_SETTINGS } from '../server/settings';
import { DEFAULT_STALLED_MS, DEFAULT_WORKER_CONCURRENCY } from '../state/defaults';
import { loadStateModule } from '../state/load';
import { parseStateUrl, StateUrlError } from '../state/stateUrl';
import { EXAMPLE_TOOLS } from '../tools/builtin';
import { loadToolModules } from '../tools/modules';
import { PrecompiledValidators } from '../tools/precompiled';
import { ToolRegistry } from '../tools/registry';
import { ToolSetError } from '../tools/schemaCompiler';
import { integerOption, parseCommandLine, UsageError, type CommandModule } from './args';

export const WORKER_USAGE = `Usage: toolseal worker --state URL [options]

Runs the jobs of a toolseal server id, taken from its BullMQ queue in Redis, beside
the 'toolseal serve --state URL' processes of that id (on any host). Job updates go
through Redis to the serve process that reports each job, which signs and sends them.
Runs until SIGTERM or SIGINT; the jobs it is running then end cancelled. Logs go to stderr.

Options:
  --state URL                 the shared state: redis://HOST:PORT/DB (else TOOLSEAL_STATE)
  --tools PATH                the tools to run jobs of, as for 'toolseal serve' (repeatable);
                              every worker and serve process of a server id should serve the
                              same tools. Without --tools: the example tools
  --example-tools             the example tools beside those of --tools
  --validators FILE           the tools' schemas compiled by 'toolseal compile', as for serve
  --server-id ID              whose jobs to run (else the server id of the keyring: --keys,
                              TOOLSEAL_KEYS_JSON, TOOLSEAL_KEYS; the worker needs no secret)
  --keys FILE                 keyring file, read for its server id only
  --worker-concurrency N      jobs run at once (default ${DEFAULT_WORKER_CONCURRENCY})
  --stalled-ms N              the job lock, renewed while a job runs; a job whose worker died
                              ends within about 3 x N ms (default ${DEFAULT_STALLED_MS})
  --max-depth N               nesting allowed in a job's result (default ${DEFAULT_SETTINGS.maxDepth})
  --log-level LEVEL           ${LOG_LEVELS.join(' | ')} (default warn)
  -h, --help                  this help

Exit codes: 0 after a signal, 2 on bad options, a bad --state URL, a bad tool set or no server id.
`;

/** `toolseal worker`: runs until a signal arrives; resolves with the exit code. */
export async function workerCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    state: { type: 'string' },
    tools: { type: 'string', multiple: true },
    'example-tools': { type: 'boolean' },
    validators: { type: 'string' },
    'server-id': { type: 'string' },
    keys: { type: 'string' },
    'worker-concurrency': { type: 'string' },
    'stalled-ms': { type: 'string' },
    'max-depth': { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const logLevel = values['log-level'] ?? 'warn';
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const url = values.state ?? (process.env.TOOLSEAL_STATE || undefined);
  if (url === undefined) throw new UsageError('--state is required (or TOOLSEAL_STATE)');
  const concurrency = integerOption('worker-concurrency', values['worker-concurrency'], 1, 10_000);
  const stalledMs = integerOption('stalled-ms', values['stalled-ms'], 100, 3_600_000);
  const maxDepth = integerOption('max-depth', values['max-depth'], 2, 1_000) ?? DEFAULT_SETTINGS.maxDepth;
  const fail = (message: string): number => {
    process.stderr.write(`toolseal worker: ${message}\n`);
    return 2;
  };

  let location;
  try {
    location = parseStateUrl(url);
  } catch (err) {
    if (err instanceof StateUrlError) return fail(err.message);
    throw err;
  }
  let serverId = values['server-id'];
  if (serverId === undefined || serverId === '') {
    try {
      serverId = loadKeyring({ keysPath: values.keys, env: process.env }, new SchemaRegistry()).serverId;
    } catch (err) {
      if (err instanceof KeyringError) return fail(`--server-id not given and no keyring to read it from: ${err.message}`);
      throw err;
    }
  }
  const logger = createLogger(logLevel);
  const toolPaths = values.tools ?? [];
  let tools: ToolRegistry;
  try {
    const loaded = await loadToolModules(toolPaths);
    const examples = toolPaths.length === 0 || values['example-tools'] === true;
    const validators = values.validators === undefined ? undefined : PrecompiledValidators.load(values.validators);
    tools = new ToolRegistry({ protocol: [], tools: [...(examples ? EXAMPLE_TOOLS : []), ...loaded], validators }, logger);
  } catch (err) {
    if (err instanceof ToolSetError) return fail(err.message);
    throw err;
  }
  // Loaded only here: the other commands never load Redis code.
  let SharedState: typeof import('../state').SharedState;
  try {
    ({ SharedState } = loadStateModule());
  } catch (err) {
    if (err instanceof StateUrlError) return fail(err.message);
    throw err;
  }
  const shared = new SharedState({ url: location, serverId, logger });
  process.on('uncaughtException', (err) => logger.error('uncaught_exception', { error: err.stack ?? String(err) }));
  process.on('unhandledRejection', (err) => logger.error('unhandled_rejection', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
  const worker = shared.startWorker({ tools, concurrency, stalledMs, maxDepth });
  logger.info('worker_started', { state: location.display, concurrency: concurrency ?? DEFAULT_WORKER_CONCURRENCY });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info('worker_stopping', { signal, running_jobs: worker.runningCount });
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // Whatever happens, the process is gone within a few seconds.
  setTimeout(() => process.exit(0), 5_000).unref();
  await shared.close();
  return 0;
}

/** This command, for the CLI table. */
export const command: CommandModule = { usage: WORKER_USAGE, run: workerCommand };
