import type { Readable, Writable } from 'node:stream';
import { ResponseError, type Message } from 'vscode-jsonrpc/node';
import { JobManager, MemoryJobStore, type JobService, type JobServiceSettings, type JobStore, type JobUpdate } from '../jobs';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import { isPending, type Eventually } from '../protocol/eventually';
import type { Keyring } from '../protocol/keyring';
import { SchemaRegistry } from '../protocol/schemas';
import { CALL_METHOD, JOB_STATUS_METHOD } from '../protocol/wire';
import { EXAMPLE_TOOLS, PROTOCOL_TOOL_NAMES, protocolTools } from '../tools/builtin';
import type { PrecompiledValidators } from '../tools/precompiled';
import { ToolRegistry } from '../tools/registry';
import type { Tool } from '../tools/tool';
import { NewlineConnection } from '../transport/connection';
import type { RequestId } from '../transport/requestId';
import type { Logger } from './logger';
import { CallPipeline } from './pipeline';
import { MemoryReplayStore, type ReplayStore } from './replayStore';
import { DEFAULT_SETTINGS, SHUTDOWN_BUDGET_MS, type ServerSettings } from './settings';
import { ServerSigner } from './signer';

export type { RequestId } from '../transport/requestId';

/** What a server is built from; everything but the keyring has a default. */
export interface ToolServerOptions {
  keyring: Keyring;
  logger: Logger;
  settings?: Partial<ServerSettings>;
  schemas?: SchemaRegistry;
  /** The tools served besides the protocol tools (always served). */
  tools?: readonly Tool[];
  /** Also serve the example tools batch_sum and start_long_task. Default: true when `tools` is not given. */
  exampleTools?: boolean;
  /** Validators of the tools' schemas made by `toolseal compile` (`PrecompiledValidators.load(file)`). */
  validators?: PrecompiledValidators;
  replayStore?: ReplayStore;
  jobStore?: JobStore;
  /** Runs the jobs instead of an in-process JobManager on `jobStore` (shared state: jobs on workers elsewhere). */
  jobService?: (settings: JobServiceSettings) => JobService;
  now?: () => number;
}

/** The streams a server speaks on: stdin/stdout for a real one. */
export interface ServerStreams {
  input: Readable;
  output: Writable;
}

/**
 * Extra JSON-RPC methods a front end adds on the same connection (MCP, for
 * one). `id` is the request's, for a front end that lets clients cancel
 * requests (see `dropAnswer`).
 */
export type MethodHandler = (params: unknown, id: RequestId) => Eventually<unknown>;
/** A handler for client notifications of one method. */
export type NotificationHandler = (params: unknown) => void;

/**
 * Where the server is in its life:
 * - `serving`: reading and answering;
 * - `draining`: the input ended; what was read is answered and running jobs
 *   may finish (up to `drainMs`);
 * - `shuttingDown`: a signal, or the output broke; running jobs are
 *   cancelled and the server finishes within SHUTDOWN_BUDGET_MS;
 * - `closed`: finished, output flushed.
 */
export type ServerState = 'serving' | 'draining' | 'shuttingDown' | 'closed';

/** Of the shutdown budget, what is kept for the process to exit after the last flush. */
const EXIT_MARGIN_MS = 300;
/** Of what is left, what is kept for writing the answers out once they are made. */
const FLUSH_MARGIN_MS = 500;

/** The fingerprint of a server key: a keyed function of a fixed label, so it reveals nothing about the secret. */
export function keyFingerprint(keyring: Keyring): string {
  return keyring.serverKey.macHex('toolseal/fingerprint/v1').slice(0, 16);
}

/**
 * The tool server: the call pipeline on a newline-framed connection (see
 * transport/connection.ts) over a pair of streams, with the lifecycle of
 * docs/protocol.md section 1 (drain on EOF, prompt shutdown on signals,
 * stdin paused while stdout is stalled).
 */
export class ToolServer {
  readonly settings: ServerSettings;
  readonly jobs: JobService;
  readonly pipeline: CallPipeline;
  /** The registered tools (front ends such as MCP list them). */
  readonly tools: ToolRegistry;
  /** Resolves once the server has finished (drained or shut down) and flushed its output. */
  readonly finished: Promise<void>;

  private readonly logger: Logger;
  private readonly keyring: Keyring;
  private readonly signer: ServerSigner;
  private readonly channel: NewlineConnection;
  private readonly methods = new Map<string, MethodHandler>();
  private readonly notificationHandlers = new Map<string, NotificationHandler>();
  private readonly jobListeners: Array<(update: JobUpdate) => void> = [];
  private readonly now: () => number;
  private lifecycle: ServerState = 'serving';
  private finish!: () => void;

  constructor(options: ToolServerOptions, streams: ServerStreams) {
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.logger = options.logger;
    this.keyring = options.keyring;
    this.now = options.now ?? Date.now;
    this.signer = new ServerSigner(options.keyring, this.now);
    this.finished = new Promise((resolve) => (this.finish = resolve));

    const schemas = options.schemas ?? new SchemaRegistry();
    const jobHooks: JobServiceSettings = {
      maxJobs: this.settings.maxJobs,
      limits: {
        maxJobsPerClient: this.settings.maxJobsPerClient,
        maxJobRecords: this.settings.maxJobRecords,
        maxJobRecordsPerClient: this.settings.maxJobRecordsPerClient,
        maxJobBytes: this.settings.maxJobBytes,
        maxJobBytesPerClient: this.settings.maxJobBytesPerClient,
      },
      ttlMs: this.settings.jobTtlMs,
      maxDepth: this.settings.maxDepth,
      now: this.now,
      onUpdate: (update) => this.notifyJobStatus(update),
      onError: (error) => this.logger.error('job_error', { error: error instanceof Error ? error.message : String(error) }),
    };
    this.jobs = options.jobService !== undefined ? options.jobService(jobHooks) : new JobManager({ store: options.jobStore ?? new MemoryJobStore(), ...jobHooks });
    const fingerprint = keyFingerprint(options.keyring);
    const examples = options.exampleTools ?? options.tools === undefined;
    const tools = new ToolRegistry(
      {
        protocol: protocolTools({
          serverId: options.keyring.serverId,
          fingerprint,
          jobs: this.jobs,
          toolsFor: (clientId) => this.pipeline.toolsFor(clientId),
        }),
        tools: [...(examples ? EXAMPLE_TOOLS : []), ...(options.tools ?? [])],
        validators: options.validators,
      },
      this.logger,
    );
    this.tools = tools;
    warnAboutUnknownAllowedTools(options.keyring, tools, this.logger);
    this.pipeline = new CallPipeline({
      schemas,
      keyring: options.keyring,
      tools,
      replay: options.replayStore ?? new MemoryReplayStore(this.settings.maxReplayEntries, this.settings.maxReplayEntriesPerClient),
      jobs: this.jobs,
      logger: this.logger,
      settings: this.settings,
      now: this.now,
      signer: this.signer,
    });

    const logDebug = (message: string): void => this.logger.debug('jsonrpc', { message });
    this.channel = new NewlineConnection(streams.input, streams.output, {
      role: 'serve',
      maxLineBytes: this.settings.maxMessageBytes,
      handlesNotification: (method) => this.notificationHandlers.has(method),
      onIgnored: (message) => this.logger.debug('ignored_message', { method: (message as { method?: unknown }).method ?? null }),
      onRejected: (rejected) => this.logger.debug('rejected_line', { code: rejected.code, message: rejected.message }),
      logger: { error: logDebug, warn: logDebug, info: logDebug, log: logDebug },
    });
    this.methods.set(CALL_METHOD, (params) => this.pipeline.handle(params));
  }

  /** Where the server is in its life. */
  get state(): ServerState {
    return this.lifecycle;
  }

  /** Adds a JSON-RPC request method beside `call` (before `start`). */
  addMethod(method: string, handler: MethodHandler): void {
    this.methods.set(method, handler);
  }

  /**
   * The answer to the open request `id` will not be sent (MCP
   * `notifications/cancelled`); it still counts as answered, for a drain.
   * False when no request with that id is open (already answered, or never
   * read).
   */
  dropAnswer(id: RequestId): boolean {
    return this.channel.dropAnswer(id);
  }

  /** Handles client notifications of `method` (all others are ignored). */
  addNotificationHandler(method: string, handler: NotificationHandler): void {
    this.notificationHandlers.set(method, handler);
  }

  /** Calls `listener` with every job update, after its `job/status` notification was queued. */
  onJobUpdate(listener: (update: JobUpdate) => void): void {
    this.jobListeners.push(listener);
  }

  /** Sends a server notification on the same output, in order with responses. */
  notify(method: string, params: unknown): void {
    void this.channel.writer.write({ jsonrpc: '2.0', method, params } as Message);
  }

  /** Starts reading requests. */
  start(): void {
    const { connection, reader, writer } = this.channel;
    reader.onEnd(() => void this.drain());
    reader.onError((err) => this.logger.warn('input_error', { error: String(err) }));
    writer.onBackpressure((blocked) => {
      if (blocked) this.logger.debug('output_stalled', {});
      // Jobs go on while nobody reads: only their latest progress waits.
      this.jobs.holdProgress(blocked);
    });
    writer.onError(([err]) => this.onOutputBroken(err));
    connection.onRequest((method, params) => this.dispatch(method, params));
    connection.onNotification((method, params) => {
      // Only handled methods get here (see handlesNotification); a `call`
      // without an id gets no answer and runs no tool.
      try {
        this.notificationHandlers.get(method)?.(params);
      } catch (err) {
        this.logger.warn('notification_failed', { method, error: err instanceof Error ? err.message : String(err) });
      }
    });
    connection.listen();
    this.logger.info('server_started', { server_id: this.keyring.serverId });
  }

  /** SIGTERM/SIGINT: stop reading, cancel running jobs (their notifications sent), flush, finish within SHUTDOWN_BUDGET_MS. */
  async shutdown(reason: string): Promise<void> {
    const was = this.lifecycle;
    if (was === 'shuttingDown' || was === 'closed') return this.finished;
    this.lifecycle = 'shuttingDown';
    if (was === 'draining') {
      // An EOF drain may be waiting up to --drain-ms for jobs, longer than a
      // signal allows. Cancel them now (their notifications go out); the
      // drain then flushes and finishes.
      this.logger.info('shutdown', { reason, running_jobs: this.jobs.runningCount, draining: true });
      await this.jobs.cancelAll();
      return this.finished;
    }
    this.logger.info('shutdown', { reason, running_jobs: this.jobs.runningCount });
    const deadline = this.now() + SHUTDOWN_BUDGET_MS - EXIT_MARGIN_MS;
    this.channel.stopReading();
    this.pipeline.openSignals.abortAll(new Error(`server shutting down (${reason})`));
    await this.jobs.cancelAll();
    await withTimeout(this.channel.whenAllAnswered(), Math.max(0, deadline - this.now() - FLUSH_MARGIN_MS));
    await withTimeout(this.channel.writer.flush(), Math.max(0, deadline - this.now()));
    this.close();
  }

  /** stdin EOF: answer what was read, let jobs finish for up to drainMs, cancel the rest, flush. */
  private async drain(): Promise<void> {
    if (this.lifecycle !== 'serving') return;
    this.lifecycle = 'draining';
    const drainDeadline = this.now() + this.settings.drainMs;
    this.logger.info('input_ended', { pending_requests: this.channel.openRequests, running_jobs: this.jobs.runningCount });
    // The deadline covers the open requests too: one may be waiting for a job
    // (MCP `tasks/result` blocks until its job ends), and only cancelling the
    // jobs lets it answer.
    const settled = await withTimeout(
      this.channel
        .whenAllAnswered()
        .then(() => this.jobs.whenIdle())
        .then(() => true),
      Math.max(0, drainDeadline - this.now()),
    );
    if (settled !== true) {
      this.logger.warn('drain_timeout', { cancelled_jobs: this.jobs.runningCount });
      await this.jobs.cancelAll();
      await this.channel.whenAllAnswered();
      // Jobs started by requests that were still open at the deadline.
      await this.jobs.cancelAll();
    }
    await this.channel.writer.flush();
    this.close();
  }

  private close(): void {
    if (this.lifecycle === 'closed') return;
    this.lifecycle = 'closed';
    this.jobs.close();
    this.channel.dispose();
    this.finish();
  }

  /** Runs a method's handler; its failures become JSON-RPC errors. Synchronous when the handler is. */
  private dispatch(method: string, params: unknown): Eventually<unknown> {
    const handler = this.methods.get(method);
    if (!handler) throw new ResponseError(ErrorCode.MethodNotFound, 'Method not found', { method });
    try {
      const result = handler(params, this.channel.dispatchingId);
      if (!isPending(result)) return result;
      return result.catch((err: unknown) => {
        throw this.asResponseError(method, err);
      });
    } catch (err) {
      throw this.asResponseError(method, err);
    }
  }

  private asResponseError(method: string, err: unknown): ResponseError<unknown> {
    if (err instanceof ToolsealError) return new ResponseError(err.code, err.message, err.data);
    if (err instanceof ResponseError) return err;
    this.logger.error('internal_error', { method, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return new ResponseError(ErrorCode.InternalError, 'Internal error');
  }

  private notifyJobStatus(update: JobUpdate): void {
    // A job a front end started (MCP) reports through that front end only.
    if (update.origin === undefined) this.notify(JOB_STATUS_METHOD, this.signer.jobStatus(update));
    for (const listener of this.jobListeners) {
      try {
        listener(update);
      } catch (err) {
        this.logger.warn('job_listener_failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /**
   * The output is gone (EPIPE): nobody is listening any more, so stop at
   * once instead of working for no one. Also during a drain or a shutdown
   * (the parent died, so stdin ended too): a drain would otherwise wait up
   * to --drain-ms for jobs whose notifications nobody can read; it finishes
   * once they are cancelled. The writer reports a broken output once.
   */
  private onOutputBroken(err: unknown): void {
    this.logger.warn('output_closed', { error: String(err) });
    const was = this.lifecycle;
    if (was === 'closed') return;
    this.lifecycle = 'shuttingDown';
    this.channel.stopReading();
    void this.jobs.cancelAll().finally(() => {
      if (was === 'serving') this.close();
    });
  }
}

/**
 * A keyring may be shared by servers with different tools, so a `tools`
 * entry naming a tool this server lacks is not an error; it is said once.
 */
function warnAboutUnknownAllowedTools(keyring: Keyring, tools: ToolRegistry, logger: Logger): void {
  for (const [clientId, allowed] of keyring.allowedTools) {
    const unknown = [...allowed].filter((name) => tools.get(name) === undefined);
    if (unknown.length > 0) logger.warn('keyring_unknown_tools', { client_id: clientId, tools: unknown });
    const protocol = [...allowed].filter((name) => PROTOCOL_TOOL_NAMES.includes(name));
    if (protocol.length > 0) logger.debug('keyring_protocol_tools', { client_id: clientId, tools: protocol, note: 'always allowed' });
  }
}

/** Resolves with the promise's value, or with undefined after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
