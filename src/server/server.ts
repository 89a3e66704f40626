import type { Readable, Writable } from 'node:stream';
import { createMessageConnection, ResponseError, type Message, type MessageConnection, type MessageReader, type MessageWriter } from 'vscode-jsonrpc/node';
import { JobManager, MemoryJobStore, type JobLimits, type JobService, type JobStore, type JobUpdate } from '../jobs';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import { isPending, type Eventually } from '../protocol/eventually';
import type { Keyring } from '../protocol/keyring';
import { SchemaRegistry } from '../protocol/schemas';
import { signInPlace } from '../protocol/signing';
import { CALL_METHOD, JOB_STATUS_METHOD, toWireJobStatus } from '../protocol/wire';
import { EXAMPLE_TOOLS, PROTOCOL_TOOL_NAMES, protocolTools } from '../tools/builtin';
import { ToolRegistry } from '../tools/registry';
import type { Tool } from '../tools/tool';
import { NewlineMessageReader, NewlineMessageWriter, type RejectedLine } from '../transport';
import type { Logger } from './logger';
import { CallPipeline } from './pipeline';
import { MemoryReplayStore, type ReplayStore } from './replayStore';
import { DEFAULT_SETTINGS, SHUTDOWN_BUDGET_MS, type ServerSettings } from './settings';
import { NumberQueue } from './numberQueue';

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
  replayStore?: ReplayStore;
  jobStore?: JobStore;
  /** Runs the jobs instead of an in-process JobManager on `jobStore` (shared state: jobs on workers elsewhere). */
  jobService?: (hooks: JobServiceHooks) => JobService;
  now?: () => number;
}

/** What a server hands the job service it is given (ToolServerOptions.jobService). */
export interface JobServiceHooks {
  maxJobs: number;
  limits: Partial<JobLimits>;
  ttlMs: number;
  now: () => number;
  /** Called once per update, in seq order: the server signs and sends it. */
  onUpdate: (update: JobUpdate) => void;
  onError: (error: unknown) => void;
}

/** The streams a server speaks on: stdin/stdout for a real one. */
export interface ServerStreams {
  input: Readable;
  output: Writable;
}

/** A JSON-RPC request id. */
export type RequestId = string | number;
/**
 * Extra JSON-RPC methods a front end adds on the same connection (MCP, for
 * one). `id` is the request's, for a front end that lets clients cancel
 * requests (see `dropAnswer`).
 */
export type MethodHandler = (params: unknown, id: RequestId) => Eventually<unknown>;
/** A handler for client notifications of one method. */
export type NotificationHandler = (params: unknown) => void;

/**
 * Limits on messages read from the input but not yet dispatched by
 * vscode-jsonrpc: its queue is unbounded and it dispatches one message per
 * event-loop turn, while one turn can read megabytes. Past either HIGH limit
 * the input is paused until the queue is back under both LOW limits, so a
 * client that writes faster than the server works cannot grow the server's
 * memory without limit. Bytes are the lines' lengths on the wire.
 */
const INPUT_QUEUE_HIGH = { messages: 1024, bytes: 8 * 1024 * 1024 };
const INPUT_QUEUE_LOW = { messages: 256, bytes: 2 * 1024 * 1024 };

/** The fingerprint of a server key: a keyed function of a fixed label, so it reveals nothing about the secret. */
export function keyFingerprint(keyring: Keyring): string {
  return keyring.serverKey.macHex('toolseal/fingerprint/v1').slice(0, 16);
}

function isRequest(message: Message): boolean {
  const m = message as { method?: unknown; id?: unknown };
  return typeof m.method === 'string' && m.id !== undefined;
}

/** The key vscode-jsonrpc files a request under (1 and "1" share one). */
function idKey(message: Message): string {
  return String((message as { id?: unknown }).id);
}

function isResponse(message: Message): boolean {
  const m = message as { method?: unknown; id?: unknown };
  return m.method === undefined && m.id !== undefined;
}

/**
 * The tool server: the call pipeline on a vscode-jsonrpc connection over a
 * pair of streams, with the lifecycle of PROTOCOL.md section 7 (drain on
 * EOF, prompt shutdown on signals, stdin paused while stdout is stalled).
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
  private readonly reader: NewlineMessageReader;
  private readonly writer: NewlineMessageWriter;
  private readonly connection: MessageConnection;
  private readonly methods = new Map<string, MethodHandler>();
  private readonly notificationHandlers = new Map<string, NotificationHandler>();
  private readonly jobListeners: Array<(update: JobUpdate) => void> = [];
  private readonly now: () => number;
  private pendingRequests = 0;
  /** Ids of requests read but not answered yet (vscode-jsonrpc keys its queue by id, so a duplicate would be lost). */
  private readonly openIds = new Set<string>();
  private pendingWaiters: Array<() => void> = [];
  /** Ids of open requests whose answers are not to be sent (see `dropAnswer`). */
  private readonly droppedIds = new Set<string>();
  /** The id of the request vscode-jsonrpc is dispatching now (it calls the handler synchronously). */
  private dispatchingId: RequestId = '';
  /** Messages handed to vscode-jsonrpc and not yet dispatched by it, and their line lengths (see INPUT_QUEUE_HIGH). */
  private queuedMessages = 0;
  private queuedBytes = 0;
  /** Their line lengths, oldest first: vscode-jsonrpc dispatches in arrival order. */
  private readonly queuedSizes = new NumberQueue();
  private outputBlocked = false;
  private inputBacklogged = false;
  private readingPaused = false;
  private stopping = false;
  private shuttingDown = false;
  private outputBroken = false;
  private inputEnded = false;
  private finish!: () => void;

  constructor(options: ToolServerOptions, streams: ServerStreams) {
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.logger = options.logger;
    this.keyring = options.keyring;
    this.now = options.now ?? Date.now;
    this.finished = new Promise((resolve) => (this.finish = resolve));

    const schemas = options.schemas ?? new SchemaRegistry();
    const jobHooks: JobServiceHooks = {
      maxJobs: this.settings.maxJobs,
      limits: {
        maxJobsPerClient: this.settings.maxJobsPerClient,
        maxJobRecords: this.settings.maxJobRecords,
        maxJobRecordsPerClient: this.settings.maxJobRecordsPerClient,
        maxJobBytes: this.settings.maxJobBytes,
        maxJobBytesPerClient: this.settings.maxJobBytesPerClient,
      },
      ttlMs: this.settings.jobTtlMs,
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
    });

    this.reader = new NewlineMessageReader(streams.input, { maxLineBytes: this.settings.maxMessageBytes });
    // Messages read but not yet dispatched (vscode-jsonrpc takes one per
    // turn) will answer within a few turns: let their answers share one
    // write. Requests already running (a tasks/result waiting on a job) do
    // not hold anything back.
    this.writer = new NewlineMessageWriter(streams.output, { holdWhile: () => this.queuedMessages > 0 });
    this.connection = createMessageConnection(
      this.countingReader(),
      this.countingWriter(),
      {
        error: (message) => this.logger.debug('jsonrpc', { message }),
        warn: (message) => this.logger.debug('jsonrpc', { message }),
        info: (message) => this.logger.debug('jsonrpc', { message }),
        log: (message) => this.logger.debug('jsonrpc', { message }),
      },
      {
        // Called as vscode-jsonrpc takes each message off its queue: the other half of the count in countingReader.
        messageStrategy: {
          handleMessage: (message, next) => {
            this.queuedMessages--;
            this.queuedBytes -= this.queuedSizes.shift();
            this.updateInputFlow();
            this.dispatchingId = (message as { id?: RequestId }).id as RequestId;
            return next(message);
          },
        },
      },
    );
    this.methods.set(CALL_METHOD, (params) => this.pipeline.handle(params));
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
    const key = String(id);
    if (!this.openIds.has(key)) return false;
    this.droppedIds.add(key);
    return true;
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
    void this.writer.write({ jsonrpc: '2.0', method, params } as Message);
  }

  /** Starts reading requests. */
  start(): void {
    this.reader.onRejectedLine((rejected) => this.answerRejectedLine(rejected));
    this.reader.onEnd(() => void this.drain());
    this.reader.onError((err) => this.logger.warn('input_error', { error: String(err) }));
    this.writer.onBackpressure((blocked) => this.onBackpressure(blocked));
    this.writer.onError(([err]) => this.onOutputBroken(err));
    this.connection.onRequest((method, params) => this.dispatch(method, params));
    this.connection.onNotification((method, params) => {
      // A `call` without an id gets no answer and runs no tool; unknown
      // notifications are ignored.
      const handler = this.notificationHandlers.get(method);
      if (!handler) return;
      try {
        handler(params);
      } catch (err) {
        this.logger.warn('notification_failed', { method, error: err instanceof Error ? err.message : String(err) });
      }
    });
    this.connection.listen();
    this.logger.info('server_started', { server_id: this.keyring.serverId });
  }

  /** SIGTERM/SIGINT: stop reading, cancel running jobs (their notifications sent), flush, finish within 2 s. */
  async shutdown(reason: string): Promise<void> {
    if (this.shuttingDown) return this.finished;
    this.shuttingDown = true;
    if (this.stopping) {
      // Already stopping: an EOF drain may be waiting up to --drain-ms for jobs,
      // longer than a signal allows. Cancel them now (their notifications go out);
      // the drain then flushes and finishes.
      this.logger.info('shutdown', { reason, running_jobs: this.jobs.runningCount, draining: true });
      await this.jobs.cancelAll();
      return this.finished;
    }
    this.stopping = true;
    this.logger.info('shutdown', { reason, running_jobs: this.jobs.runningCount });
    const deadline = this.now() + SHUTDOWN_BUDGET_MS - 300;
    this.reader.pause();
    this.pipeline.openSignals.abortAll(new Error(`server shutting down (${reason})`));
    await this.jobs.cancelAll();
    await withTimeout(this.whenNoPendingRequests(), Math.max(0, deadline - this.now() - 500));
    await withTimeout(this.writer.flush(), Math.max(0, deadline - this.now()));
    this.close();
  }

  /** stdin EOF: answer what was read, let jobs finish for up to drainMs, cancel the rest, flush. */
  private async drain(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.inputEnded = true;
    const drainDeadline = this.now() + this.settings.drainMs;
    this.logger.info('input_ended', { pending_requests: this.pendingRequests, running_jobs: this.jobs.runningCount });
    // The deadline covers the open requests too: one may be waiting for a job
    // (MCP `tasks/result` blocks until its job ends), and only cancelling the
    // jobs lets it answer.
    const settled = await withTimeout(
      this.whenNoPendingRequests()
        .then(() => this.jobs.whenIdle())
        .then(() => true),
      Math.max(0, drainDeadline - this.now()),
    );
    if (settled !== true) {
      this.logger.warn('drain_timeout', { cancelled_jobs: this.jobs.runningCount });
      await this.jobs.cancelAll();
      await this.whenNoPendingRequests();
      // Jobs started by requests that were still open at the deadline.
      await this.jobs.cancelAll();
    }
    await this.writer.flush();
    this.close();
  }

  private close(): void {
    this.jobs.close();
    this.connection.dispose();
    this.reader.dispose();
    this.finish();
  }

  /** Runs a method's handler; its failures become JSON-RPC errors. Synchronous when the handler is. */
  private dispatch(method: string, params: unknown): Eventually<unknown> {
    const handler = this.methods.get(method);
    if (!handler) throw new ResponseError(ErrorCode.MethodNotFound, 'Method not found', { method });
    try {
      const result = handler(params, this.dispatchingId);
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

  private answerRejectedLine(rejected: RejectedLine): void {
    this.logger.debug('rejected_line', { code: rejected.code, message: rejected.message });
    void this.writer.write({ jsonrpc: '2.0', id: rejected.id, error: { code: rejected.code, message: rejected.message } } as Message);
  }

  private notifyJobStatus(update: JobUpdate): void {
    // A job a front end started (MCP) reports through that front end only.
    if (update.origin === undefined) this.sendJobStatus(update);
    for (const listener of this.jobListeners) {
      try {
        listener(update);
      } catch (err) {
        this.logger.warn('job_listener_failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** The signed `job/status` notification of an update. */
  private sendJobStatus(update: JobUpdate): void {
    const report = toWireJobStatus({
      jobId: update.jobId,
      requestId: update.requestId,
      clientId: update.ownerClientId,
      serverId: this.keyring.serverId,
      tsMs: this.now(),
      seq: update.seq,
      status: update.state,
      progress: update.progress,
      result: update.result,
      error: update.error,
    });
    this.notify(JOB_STATUS_METHOD, signInPlace(this.keyring.serverKey, report));
  }

  private onBackpressure(blocked: boolean): void {
    if (blocked) this.logger.debug('output_stalled', {});
    this.outputBlocked = blocked;
    // Jobs go on while nobody reads: only their latest progress waits.
    this.jobs.holdProgress(blocked);
    this.updateInputFlow();
  }

  /** Reads input only while the output keeps up and vscode-jsonrpc's queue is short (INPUT_QUEUE_HIGH). */
  private updateInputFlow(): void {
    if (this.inputEnded || this.stopping) return;
    if (this.queuedMessages >= INPUT_QUEUE_HIGH.messages || this.queuedBytes >= INPUT_QUEUE_HIGH.bytes) {
      this.inputBacklogged = true;
    } else if (this.queuedMessages <= INPUT_QUEUE_LOW.messages && this.queuedBytes <= INPUT_QUEUE_LOW.bytes) {
      this.inputBacklogged = false;
    }
    const pause = this.outputBlocked || this.inputBacklogged;
    if (pause === this.readingPaused) return;
    this.readingPaused = pause;
    if (pause) this.reader.pause();
    else this.reader.resume();
  }

  private onOutputBroken(err: unknown): void {
    if (this.outputBroken) return;
    this.outputBroken = true;
    this.logger.warn('output_closed', { error: String(err) });
    // Nobody is listening any more: stop at once instead of working for no one.
    // Also when an EOF drain or a shutdown is under way (the parent died, so
    // stdin ended too): a drain would otherwise wait up to --drain-ms for jobs
    // whose notifications nobody can read. It finishes once they are cancelled.
    const alreadyStopping = this.stopping;
    this.stopping = true;
    this.reader.pause();
    void this.jobs.cancelAll().finally(() => {
      if (!alreadyStopping) this.close();
    });
  }

  private isHandledNotification(message: Message): boolean {
    const m = message as { method?: unknown; id?: unknown };
    return typeof m.method === 'string' && m.id === undefined && this.notificationHandlers.has(m.method);
  }

  private whenNoPendingRequests(): Promise<void> {
    if (this.pendingRequests === 0) return Promise.resolve();
    return new Promise((resolve) => this.pendingWaiters.push(resolve));
  }

  /** Counts requests as they come in, so a drain knows when each one read has been answered. */
  private countingReader(): MessageReader {
    const reader = this.reader;
    return {
      onError: reader.onError,
      onClose: reader.onClose,
      onPartialMessage: reader.onPartialMessage,
      listen: (callback) =>
        reader.listen((message) => {
          if (!isRequest(message) && !this.isHandledNotification(message)) {
            // Nothing would come of it: this server sends no requests, so no
            // response is awaited, and notifications without a handler are
            // ignored (PROTOCOL.md section 1), `$/cancelRequest` included
            // (handlers take no cancellation token). Dropped here, such lines
            // cost no queue space (see INPUT_QUEUE_HIGH) and never reach
            // vscode-jsonrpc's own handling, which throws on a
            // `$/cancelRequest` without params.
            this.logger.debug('ignored_message', { method: (message as { method?: unknown }).method ?? null });
            return;
          }
          if (isRequest(message)) {
            const key = idKey(message);
            if (this.openIds.has(key)) {
              this.answerRejectedLine({
                code: ErrorCode.InvalidRequest,
                message: 'Invalid Request: the id is already used by a request not yet answered',
                id: (message as unknown as { id: string | number }).id,
              });
              return;
            }
            this.openIds.add(key);
            this.pendingRequests++;
          }
          // Every message passed on is queued by vscode-jsonrpc once and dispatched once
          // (duplicate request ids never get here), so this count stays exact.
          const bytes = reader.currentLineBytes;
          this.queuedSizes.push(bytes);
          this.queuedMessages++;
          this.queuedBytes += bytes;
          callback(message);
          this.updateInputFlow();
        }),
      dispose: () => reader.dispose(),
    };
  }

  /** Counts responses as they go out; see countingReader. */
  private countingWriter(): MessageWriter {
    const writer = this.writer;
    return {
      onError: writer.onError,
      onClose: writer.onClose,
      write: (message) => {
        if (!isResponse(message)) return writer.write(message);
        const key = idKey(message);
        const written = this.droppedIds.size !== 0 && this.droppedIds.delete(key) ? Promise.resolve() : writer.write(message);
        if (this.openIds.delete(key) && --this.pendingRequests === 0) {
          const waiters = this.pendingWaiters;
          this.pendingWaiters = [];
          for (const resolve of waiters) resolve();
        }
        return written;
      },
      end: () => writer.end(),
      dispose: () => writer.dispose(),
    };
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
