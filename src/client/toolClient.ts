/**
 * The client agent hosts import: it starts (or connects to) a toolseal
 * server, signs every call, and hands back only what verifies.
 */
import type { ChildProcess } from 'node:child_process';
import { Emitter, ResponseError } from 'vscode-jsonrpc/node';
import { ToolsealError } from '../protocol/errors';
import type { SchemaRegistry } from '../protocol/schemas';
import { CALL_METHOD, JOB_STATUS_METHOD, type Envelope, type JsonObject } from '../protocol/wire';
import { NewlineConnection } from '../transport/connection';
import { resolveCredentials, type ClientKeys } from './credentials';
import {
  DEFAULT_MAX_SKEW_MS,
  defaultSchemas,
  signEnvelope,
  verifyErrorAnswer,
  verifyJobStatus,
  verifyResponse,
  type JobStatusUpdate,
  type ResponseExpectation,
  type VerificationFailureReason,
  type VerifiedResponse,
} from './envelopes';
import { AbortGroups } from './abortGroups';
import { Deadlines } from './deadlines';
import { ClientErrorCode, connectionClosedError, ServerError, type ExitInfo } from './errors';
import type { Event } from './events';
import { Job, type JobHost } from './job';
import { JobRouter } from './jobRouter';
import { abortedError, PendingCall } from './pendingCall';
import { ServerLifetime, type ClientStreams } from './serverLifetime';
import {
  DEFAULT_GRACE_MS,
  DEFAULT_KILL_AFTER_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_TIMEOUT_MS,
  type CallOptions,
  type ClientOptions,
  type CloseOptions,
  type ConnectOptions,
  type SecurityEvent,
  type SpawnOptions,
} from './options';
import { forwardLines, prefixedStderr, serverCommand, startServerProcess } from './spawn';

export type { ClientStreams } from './serverLifetime';
export type { CallOptions, ClientOptions, CloseOptions, ConnectOptions, SecurityEvent, SpawnOptions } from './options';

/** The options of a call made without any. */
const NO_OPTIONS: CallOptions = Object.freeze({});

/**
 * A signed-call client for a toolseal server.
 *
 * ```ts
 * const client = await ToolClient.spawn({ keysFile: 'keys.json' });
 * const { result } = await client.call('batch_sum', { numbers: [1, 2, 3] });
 * await client.close();
 * ```
 *
 * Every call carries a fresh request_id, nonce and timestamp. A response is
 * handed back only after its schema, its signature under the server key,
 * its request_id, its server_id and its ts_ms (within `maxSkewMs`) check
 * out; an error only with the code and message its signed response backs,
 * or marked unverified (ServerError.verified) when the protocol cannot sign
 * it; only the first answer to a call counts. Anything that fails is
 * reported on `onSecurityEvent` and never reaches the caller. When the
 * server exits, every pending call and every unfinished job rejects.
 */
export class ToolClient {
  /** The client id the calls are signed as. */
  readonly clientId: string;
  /** The server id calls are addressed to and responses must carry. */
  readonly serverId: string;
  /** The server process, when the client started it. */
  readonly process: ChildProcess | undefined;
  /**
   * Resolves once the server is gone (and every pending call has been
   * rejected): with the exit code and signal of a spawned server, with
   * nulls for connected streams. Never rejects.
   */
  readonly exited: Promise<ExitInfo>;

  private readonly keys: ClientKeys;
  private readonly schemas: SchemaRegistry;
  private readonly defaultTimeoutMs: number;
  private readonly maxSkewMs: number;
  /** What every response must match; `requestId` is set for each check (a synchronous one), so one object serves every call. */
  private readonly expecting: ResponseExpectation;
  private readonly channel: NewlineConnection;
  private readonly lifetime: ServerLifetime;
  private readonly pending = new Set<PendingCall>();
  private readonly deadlines = new Deadlines<PendingCall>();
  private readonly forgetCall = (call: PendingCall): void => {
    this.pending.delete(call);
    this.deadlines.delete(call);
  };
  private readonly abortGroups = new AbortGroups();
  private readonly jobs = new JobRouter();
  private readonly securityEmitter = new Emitter<SecurityEvent>();
  private readonly exitEmitter = new Emitter<ExitInfo>();
  private readonly jobStatusEmitter = new Emitter<JobStatusUpdate>();
  private closing = false;
  private closePromise: Promise<ExitInfo> | undefined;
  private lostError: ToolsealError | undefined;

  /**
   * Starts a server process and connects to it. By default it runs this
   * package's `toolseal serve` with this Node binary and hands it the
   * keyring (`keyring` via `TOOLSEAL_KEYS_JSON`, `keysFile` via `--keys`).
   * Resolves once the process has started; rejects with a KeyringError for
   * bad credentials, or a ToolsealError (ConnectionClosed) when the process
   * cannot be started.
   */
  static async spawn(options: SpawnOptions): Promise<ToolClient> {
    const schemas = options.schemas ?? defaultSchemas();
    const keys = resolveCredentials(options, schemas);
    const child = startServerProcess(serverCommand(options, options), options.cwd);
    forwardLines(child.stderr, options.stderr ?? prefixedStderr());
    const client = new ToolClient({ readable: child.stdout, writable: child.stdin }, keys, options, schemas, child);
    const started = await new Promise<Error | undefined>((resolve) => {
      const onSpawn = (): void => settle(undefined);
      const onError = (err: Error): void => settle(err);
      const settle = (err: Error | undefined): void => {
        child.off('spawn', onSpawn);
        child.off('error', onError);
        resolve(err);
      };
      child.once('spawn', onSpawn);
      child.once('error', onError);
    });
    if (started !== undefined) {
      await client.exited;
      throw new ToolsealError(ClientErrorCode.ConnectionClosed, `could not start the server: ${started.message}`, { closed_by_client: false });
    }
    return client;
  }

  /**
   * Connects to a server that is already running, through its stdout
   * (`readable`) and stdin (`writable`). The connection is gone when
   * `readable` ends.
   */
  static connect(streams: ClientStreams, options: ConnectOptions): ToolClient {
    const schemas = options.schemas ?? defaultSchemas();
    return new ToolClient(streams, resolveCredentials(options, schemas), options, schemas, undefined);
  }

  private constructor(streams: ClientStreams, keys: ClientKeys, options: ClientOptions, schemas: SchemaRegistry, child: ChildProcess | undefined) {
    this.keys = keys;
    this.clientId = keys.clientId;
    this.serverId = keys.serverId;
    this.schemas = schemas;
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.expecting = { serverKey: keys.serverKey, serverId: keys.serverId, requestId: '', maxSkewMs: this.maxSkewMs, schemas };
    this.process = child;
    if (options.onSecurityEvent) this.securityEmitter.event(options.onSecurityEvent);

    // A write to a dead child must not become an uncaught 'error'.
    streams.writable.on('error', () => undefined);
    streams.readable.on('error', () => undefined);

    this.channel = new NewlineConnection(streams.readable, streams.writable, {
      role: 'call',
      maxLineBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      onUnexpectedAnswer: (id, message) =>
        this.report({
          kind: 'response',
          reason: 'duplicate',
          message: `an answer to JSON-RPC request ${JSON.stringify(id)}, which is already answered or was never sent`,
          received: message,
        }),
      onRejected: (rejected) =>
        this.report({ kind: 'message', reason: 'invalid-message', message: `the server wrote a line that is not a JSON-RPC message (${rejected.message})`, received: null }),
    });
    const inputEnded = new Promise<void>((resolve) => this.channel.reader.onEnd(resolve));
    this.channel.connection.onNotification(JOB_STATUS_METHOD, (params: unknown) => this.receiveJobStatus(params));
    this.channel.connection.listen();

    this.lifetime = new ServerLifetime(child, streams, inputEnded, () => this.loseConnection());
    this.exited = this.lifetime.exited;
    void this.exited.then((info) => {
      this.exitEmitter.fire(info);
      this.exitEmitter.dispose();
    });
  }

  /** Fires for every response, notification or line that failed verification. */
  get onSecurityEvent(): Event<SecurityEvent> {
    return this.securityEmitter.event;
  }

  /** Fires once when the server is gone (see `exited`). */
  get onExit(): Event<ExitInfo> {
    return this.exitEmitter.event;
  }

  /** Fires for every verified `job/status` notification, tracked job or not. */
  get onJobStatus(): Event<JobStatusUpdate> {
    return this.jobStatusEmitter.event;
  }

  /** Calls sent and not yet settled. */
  get pendingCalls(): number {
    return this.pending.size;
  }

  /** Whether `close()` was called or the connection is gone: new calls reject at once. */
  get closed(): boolean {
    return this.closing || this.lostError !== undefined;
  }

  /**
   * Calls `tool` with `args` (a plain JSON object; when omitted the envelope
   * carries no args). Resolves with the verified response, whose `ok` and
   * `status` say how the call went (e.g. `accepted` for a job). Rejects with
   * a ServerError, the server's JSON-RPC error (`verified` says whether its
   * code and message are backed by a signed `data.response`; see
   * verifyErrorAnswer), or a ToolsealError with a ClientErrorCode
   * (VerificationFailed for an answer that failed verification).
   */
  call<R = JsonObject>(tool: string, args?: object, options: CallOptions = NO_OPTIONS): Promise<VerifiedResponse<R>> {
    if (this.closed) return Promise.reject(this.closedError());
    let envelope: Envelope;
    try {
      envelope = signEnvelope(this.keys.clientKey, { clientId: this.keys.clientId, serverId: this.keys.serverId, tool, args });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.send(envelope, options) as Promise<VerifiedResponse<R>>;
  }

  /**
   * Calls an async tool (one that answers `accepted` with a job id, like
   * `start_long_task`) and returns its Job. Rejects with
   * ClientErrorCode.NotAJob when the tool answered without starting a job.
   */
  async startJob<R = JsonObject>(tool: string, args?: object, options?: CallOptions): Promise<Job<R>> {
    return this.trackJob<R>(await this.call(tool, args, options));
  }

  /**
   * A Job for a start response obtained with `call`. Notifications that
   * arrived in between are not lost: the client holds those of untracked
   * jobs (a bounded number) until a Job claims them.
   */
  trackJob<R = JsonObject>(started: VerifiedResponse<unknown>): Job<R> {
    const result = started.result as JsonObject | null;
    if (started.status !== 'accepted' || result === null || typeof result.job_id !== 'string') {
      throw new ToolsealError(ClientErrorCode.NotAJob, `the call did not start a job (status ${started.status})`, { response: started.wire });
    }
    return new Job<R>(this.jobHost, started as VerifiedResponse);
  }

  /**
   * Ends the server's stdin and waits for it to drain and exit; after
   * `graceMs` sends SIGTERM, after `killAfterMs` more SIGKILL. Calls
   * answered during the drain resolve; the rest reject. Resolves with how
   * the process ended; idempotent.
   */
  close(options: CloseOptions = {}): Promise<ExitInfo> {
    this.closePromise ??= this.shutdown(options.graceMs ?? DEFAULT_GRACE_MS, options.killAfterMs ?? DEFAULT_KILL_AFTER_MS);
    return this.closePromise;
  }

  private async shutdown(graceMs: number, killAfterMs: number): Promise<ExitInfo> {
    this.closing = true;
    void this.channel.writer.end().catch(() => undefined);
    return this.lifetime.stop(graceMs, killAfterMs);
  }

  private readonly jobHost: JobHost = {
    call: (tool, args, options) => this.call(tool, args, options),
    attach: (jobId, sink) => this.jobs.attach(jobId, sink),
    reject: (update, message) => this.report({ kind: 'job-status', reason: 'request-id', message, jobId: update.jobId, received: update.wire }),
  };

  private send(envelope: Envelope, options: CallOptions): Promise<VerifiedResponse> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const signal = options.signal;
    return new Promise<VerifiedResponse>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortedError(envelope));
        return;
      }
      const call = new PendingCall(envelope, timeoutMs, resolve, reject, this.forgetCall);
      this.pending.add(call);
      if (call.deadline !== Infinity) this.deadlines.add(call);
      if (signal) call.unsubscribe = this.abortGroups.add(signal, () => call.fail(abortedError(envelope)));

      let answer: Promise<unknown>;
      try {
        answer = this.channel.connection.sendRequest(CALL_METHOD, envelope);
      } catch {
        // The connection already closed (the server's stdin is gone).
        call.fail(this.closedError());
        return;
      }
      answer.then(
        (result) => this.answered(call, result),
        (error: unknown) => this.failed(call, error),
      );
    });
  }

  /** A call's answer: settles it with the verified response, or with why it did not verify. */
  private answered(call: PendingCall, result: unknown): void {
    if (!call.open) return;
    const verified = this.checkResponse(result, call.envelope);
    if (verified instanceof ToolsealError) call.fail(verified);
    else call.resolve(verified);
  }

  /** A call's JSON-RPC error (or a lost connection). */
  private failed(call: PendingCall, error: unknown): void {
    if (!call.open) return;
    call.fail(this.callError(error, call.envelope));
  }

  /** The verified response, or the error to reject with (after reporting the security event). */
  private checkResponse(result: unknown, envelope: Envelope): VerifiedResponse | ToolsealError {
    const verified = verifyResponse(result, this.expectation(envelope));
    if (verified.ok) return verified.value;
    return this.rejectForged('response', verified.failure, result, envelope);
  }

  /** A JSON-RPC error as a ServerError (see verifyErrorAnswer), or why it was refused. */
  private callError(error: unknown, envelope: Envelope): ToolsealError {
    if (!(error instanceof ResponseError)) {
      return new ToolsealError(ClientErrorCode.ConnectionClosed, `call to ${envelope.tool} failed: ${error instanceof Error ? error.message : String(error)}`, {
        tool: envelope.tool,
        request_id: envelope.request_id,
      });
    }
    const received = { code: error.code, message: error.message, data: error.data as unknown };
    const answer = verifyErrorAnswer(received, this.expectation(envelope));
    if (!answer.ok) return this.rejectForged('error-response', answer.failure, received, envelope);
    const { code, message, data, verified } = answer.value;
    return new ServerError(code, message, data, verified);
  }

  private rejectForged(
    kind: 'response' | 'error-response',
    failure: { reason: VerificationFailureReason; message: string },
    received: unknown,
    envelope: Envelope,
  ): ToolsealError {
    this.report({ kind, reason: failure.reason, message: failure.message, requestId: envelope.request_id, tool: envelope.tool, received });
    return new ToolsealError(ClientErrorCode.VerificationFailed, `the response to ${envelope.tool} failed verification: ${failure.message}`, {
      reason: failure.reason,
      tool: envelope.tool,
      request_id: envelope.request_id,
    });
  }

  private expectation(envelope: Envelope): ResponseExpectation {
    this.expecting.requestId = envelope.request_id;
    return this.expecting;
  }

  private receiveJobStatus(params: unknown): void {
    const verified = verifyJobStatus(params, { serverKey: this.keys.serverKey, serverId: this.keys.serverId, clientId: this.keys.clientId, schemas: this.schemas });
    if (!verified.ok) {
      const jobId = (params as { job_id?: unknown } | null)?.job_id;
      this.report({ kind: 'job-status', reason: verified.failure.reason, message: verified.failure.message, jobId: typeof jobId === 'string' ? jobId : undefined, received: params });
      return;
    }
    const update = verified.value;
    this.jobStatusEmitter.fire(update);
    this.jobs.route(update);
  }

  private report(event: SecurityEvent): void {
    this.securityEmitter.fire(event);
  }

  private closedError(): ToolsealError {
    return this.lostError ?? connectionClosedError(this.lifetime.exit, this.closing);
  }

  /** The server is gone: once every answer already read has been handled, reject every pending call and end every unfinished job. */
  private async loseConnection(): Promise<void> {
    await this.channel.whenDispatched();
    const error = connectionClosedError(this.lifetime.exit, this.closing);
    this.lostError = error;
    for (const call of [...this.pending]) call.fail(error);
    this.jobs.lose(error);
    this.channel.connection.dispose();
    this.securityEmitter.dispose();
    this.jobStatusEmitter.dispose();
  }
}
