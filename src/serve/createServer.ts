/**
 * The library's way to serve tools: `createServer({ tools }).serveStdio()`
 * runs the whole `toolseal serve` lifecycle in the caller's process.
 */
import type { KeyringDocument } from '../client/credentials';
import { checkKeyring, KeyringError, loadKeyring, parseKeyring, type Keyring } from '../protocol/keyring';
import { SchemaRegistry } from '../protocol/schemas';
import { createLogger, type Logger, type LogLevel } from '../server/logger';
import { ToolServer, type ServerStreams } from '../server/server';
import { loadStateModule } from '../state/load';
import { parseStateUrl, StateUrlError, type StateLocation } from '../state/stateUrl';
import { SHUTDOWN_BUDGET_MS, type ServerSettings } from '../server/settings';
import { PrecompiledValidators } from '../tools/precompiled';
import { ToolSetError } from '../tools/schemaCompiler';
import type { Tool } from '../tools/tool';
import { DEFAULT_MAX_DISPATCH_BURST, installBurstDispatch } from '../transport/burstDispatch';
import { installDeferredMcpFrontEnd } from './mcpDeferred';
import { reserveStdoutForProtocol } from './stdio';

export type { KeyringDocument };

/** What a server is made of. Only `tools` is usually given; the keyring comes from the environment by default. */
export interface CreateServerOptions {
  /** The tools to serve. The protocol tools (server_identity, list_tools, poll_job, cancel_job) are always served. */
  tools?: readonly Tool[];
  /** Also serve the example tools batch_sum and start_long_task (default false). */
  exampleTools?: boolean;
  /**
   * A file made by `toolseal compile` for these tools, like `--validators`:
   * their schemas' validators compiled ahead of time, so that start-up
   * neither loads Ajv nor checks those schemas again.
   */
  validators?: string;
  /** A keyring file, like `--keys`. */
  keys?: string;
  /** The keyring itself: a keyring document (the JSON of a keyring file) or one parsed with `parseKeyring`. */
  keyring?: KeyringDocument | Keyring;
  /** Where `TOOLSEAL_KEYS_JSON` and `TOOLSEAL_KEYS` are read when neither `keys` nor `keyring` is given (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Limits and timings; see the README's limits table. */
  settings?: Partial<ServerSettings>;
  /** Log level on stderr (default `warn`); ignored when `logger` is given. */
  logLevel?: LogLevel;
  logger?: Logger;
  /** Run unsigned MCP tool calls as client `mcp:unsigned`: trusts whoever holds the pipe. */
  allowUnsignedMcp?: boolean;
  /** Queued messages handled back to back by `serveStdio` (0: one per event-loop turn). */
  maxDispatchBurst?: number;
  /**
   * Shared state, like `--state`: `redis://HOST:PORT/DB`, or the URL with
   * worker options. The replay window and the jobs are then shared by every
   * process of the server_id on that Redis, and jobs run on BullMQ workers
   * (one in this process unless `worker: false`). Default: `TOOLSEAL_STATE`
   * from `env`; without either, both stay in this process's memory.
   */
  state?: string | StateOptions;
}

/** Shared state with its worker options (see CreateServerOptions.state). */
export interface StateOptions {
  url: string;
  /** Run a worker in this process (default true). */
  worker?: boolean;
  /** Jobs the worker runs at once (default 32). */
  workerConcurrency?: number;
  /** BullMQ's lock duration and stalled-check interval, ms (default 10000): a job whose worker died ends within about 3 x this. */
  stalledMs?: number;
}

/** A server not started yet: serve it on stdio, or on streams of your own. */
export interface ToolsealServer {
  /**
   * Serves on stdin/stdout until stdin ends (answering what was read and
   * draining jobs) or SIGTERM/SIGINT arrives. stdout carries protocol lines
   * only: console output and `process.stdout` writes of tool code go to
   * stderr. A bad keyring or tool set is refused with a one-line reason on
   * stderr and exit code 2. Resolves with the exit code; with `exit` (the
   * default) the process then exits with it.
   */
  serveStdio(options?: { exit?: boolean }): Promise<number>;
  /**
   * Builds the server on the given streams and starts it (embedding, tests).
   * @throws KeyringError, ToolSetError or StateUrlError for a bad keyring, tool set or `state` URL.
   */
  listen(streams: ServerStreams): ToolServer;
}

/** Declares a server; nothing is checked or started until it is served. */
export function createServer(options: CreateServerOptions = {}): ToolsealServer {
  return {
    serveStdio: (serveOptions) => serveStdio(options, serveOptions?.exit !== false),
    listen: (streams) => {
      const logger = options.logger ?? createLogger(options.logLevel ?? 'warn');
      const server = buildServer(options, streams, logger, (message) => logger.warn('keyring_file_mode', { message }));
      server.start();
      return server;
    },
  };
}

function resolveKeyring(options: CreateServerOptions, schemas: SchemaRegistry, warn: (message: string) => void): Keyring {
  const given = options.keyring;
  if (given !== undefined) return isParsedKeyring(given) ? checkKeyring(given) : parseKeyring(given, schemas);
  return loadKeyring({ keysPath: options.keys, env: options.env ?? process.env, warn }, schemas);
}

function isParsedKeyring(value: KeyringDocument | Keyring): value is Keyring {
  return (value as Keyring).serverKey !== undefined;
}

/** The shared-state options given or in the environment, the URL parsed (a bad one throws StateUrlError). */
function resolveState(options: CreateServerOptions): (Omit<StateOptions, 'url'> & { location: StateLocation }) | undefined {
  const given = options.state ?? (options.env ?? process.env).TOOLSEAL_STATE;
  if (given === undefined || given === '') return undefined;
  const state = typeof given === 'string' ? { url: given } : given;
  return { ...state, location: parseStateUrl(state.url) };
}

/** `warn` is told about a keyring file others may read. */
function buildServer(options: CreateServerOptions, streams: ServerStreams, logger: Logger, warn: (message: string) => void): ToolServer {
  const schemas = new SchemaRegistry();
  const keyring = resolveKeyring(options, schemas, warn);
  const state = resolveState(options);
  // Loaded only with shared state: the in-memory default never loads Redis code.
  const shared = state === undefined ? undefined : new (loadStateModule().SharedState)({ url: state.location, serverId: keyring.serverId, logger });
  const server = new ToolServer(
    {
      keyring,
      logger,
      settings: options.settings,
      schemas,
      tools: options.tools ?? [],
      exampleTools: options.exampleTools === true,
      validators: options.validators === undefined ? undefined : PrecompiledValidators.load(options.validators),
      ...(shared === undefined ? {} : { replayStore: shared.replayStore, jobService: (hooks) => shared.jobService(hooks) }),
    },
    streams,
  );
  if (shared !== undefined) {
    if (state?.worker !== false) {
      shared.startWorker({ tools: server.tools, concurrency: state?.workerConcurrency, stalledMs: state?.stalledMs, maxDepth: server.settings.maxDepth });
    }
    void server.finished.then(() => shared.close());
    logger.info('shared_state', { state: state?.location.display, worker: state?.worker !== false });
  }
  // MCP hosts use the same stdio; unsigned MCP calls only when allowed. The
  // front end's modules load with the first MCP message.
  installDeferredMcpFrontEnd(server, { keyring, logger, allowUnsigned: options.allowUnsignedMcp === true });
  return server;
}

async function serveStdio(options: CreateServerOptions, exit: boolean): Promise<number> {
  const code = await runOnStdio(options);
  if (exit) process.exit(code);
  process.exitCode = code;
  return code;
}

async function runOnStdio(options: CreateServerOptions): Promise<number> {
  const output = reserveStdoutForProtocol();
  const logger = options.logger ?? createLogger(options.logLevel ?? 'warn');
  let server: ToolServer;
  try {
    // This process is the server's own: vscode-jsonrpc may take its queued
    // messages in bursts instead of one per event-loop turn.
    installBurstDispatch({ maxBurst: options.maxDispatchBurst ?? DEFAULT_MAX_DISPATCH_BURST });
    // Said the way start-up refusals are: a plain line, at any log level.
    server = buildServer(options, { input: process.stdin, output }, logger, (message) => process.stderr.write(`toolseal serve: warning: ${message}\n`));
  } catch (err) {
    if (err instanceof KeyringError || err instanceof ToolSetError || err instanceof StateUrlError) {
      process.stderr.write(`toolseal serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  process.on('uncaughtException', (err) => logger.error('uncaught_exception', { error: err.stack ?? String(err) }));
  process.on('unhandledRejection', (err) => logger.error('unhandled_rejection', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
  const onSignal = (signal: NodeJS.Signals): void => {
    // Whatever happens, the process is gone within the budget.
    setTimeout(() => process.exit(0), SHUTDOWN_BUDGET_MS).unref();
    void server.shutdown(signal);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  server.start();
  await server.finished;
  return 0;
}
