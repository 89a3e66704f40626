/**
 * A job started through a ToolClient: its verified `job/status`
 * notifications in seq order (as an async iterator and as an event), its
 * outcome, and the polling fallback for when notifications stop arriving.
 */
import { Emitter } from 'vscode-jsonrpc/node';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import type { JobStatusState, JsonObject } from '../protocol/wire';
import type { JobStatusUpdate, VerifiedResponse } from './envelopes';
import { ClientErrorCode, ServerError } from './errors';
import type { Event } from './events';
import { SeqOrder } from './sequencer';
import type { CallOptions } from './options';

/** Where a job is in its lifecycle, as far as the client knows. */
export type JobPhase = 'accepted' | JobStatusState;

/** How the client feeds a job what arrives for it. */
export interface JobSink {
  /** A verified notification whose job_id is this job's. */
  status(update: JobStatusUpdate): void;
  /** The connection is gone: the job's outcome can no longer be learned. */
  lost(error: ToolsealError): void;
}

/** What a Job needs from its client. */
export interface JobHost {
  call(tool: string, args: object, options?: CallOptions): Promise<VerifiedResponse>;
  /**
   * Routes the job's notifications to `sink`, starting with any that arrived
   * before it was attached. Returns the function that detaches it.
   */
  attach(jobId: string, sink: JobSink): () => void;
  /** A verified notification about this job that contradicts it (another request_id): dropped, and reported. */
  reject(update: JobStatusUpdate, message: string): void;
}

/** Statuses kept for iterators that start late; older ones are dropped past this. */
const MAX_HISTORY = 10_000;
/** Bounds on the server's poll_interval_ms, so a strange value cannot make the client spin or sleep forever. */
const MIN_POLL_INTERVAL_MS = 50;
const MAX_POLL_INTERVAL_MS = 60_000;
const DEFAULT_POLL_INTERVAL_MS = 1_000;

function isTerminal(phase: JobPhase): boolean {
  return phase === 'done' || phase === 'error' || phase === 'cancelled';
}

/**
 * A running job. Get one from `client.startJob(...)`.
 *
 * - `for await (const status of job)` yields every verified `job/status`
 *   notification in seq order, from the first, and ends once the job has
 *   ended (it throws only when the outcome cannot be learned, e.g. the
 *   server died).
 * - `job.onStatus(listener)` reports the same statuses as they arrive.
 * - `job.result()` resolves with the result on `done`; rejects on `error`
 *   (code -32014, ToolFailed), `cancelled` (ClientErrorCode.JobCancelled)
 *   or a lost connection.
 *
 * When no notification has arrived for twice the server's
 * `poll_interval_ms`, the job polls `poll_job` at that interval until it
 * ends (or notifications resume), so a lossy channel still ends the job.
 */
export class Job<R = JsonObject> implements AsyncIterable<JobStatusUpdate> {
  /** The job id the server assigned. */
  readonly id: string;
  /** The request_id of the call that started the job (its notifications carry it). */
  readonly requestId: string;
  /** How often to poll when notifications stop, as the server suggested (clamped to [50 ms, 60 s]). */
  readonly pollIntervalMs: number;
  /** The verified `accepted` response that started the job. */
  readonly started: VerifiedResponse;

  private phase: JobPhase = 'accepted';
  private lastProgress: number | undefined;
  private readonly order = new SeqOrder<JobStatusUpdate>();
  private readonly history: JobStatusUpdate[] = [];
  /** How many statuses were dropped from the front of `history`. */
  private historyBase = 0;
  private readonly statusEmitter = new Emitter<JobStatusUpdate>();
  private iteratorWaiters: Array<() => void> = [];
  private ended = false;
  /** Set when the job ended without a known outcome; iterators rethrow it. */
  private lostError: ToolsealError | undefined;
  private readonly outcome: Promise<R>;
  private settleOutcome!: { resolve: (value: R) => void; reject: (error: ToolsealError) => void };
  private watchdog: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Bumped whenever polling stops, so a poll in flight from an older round does not reschedule. */
  private pollRound = 0;
  private polling = false;
  private detach: () => void = () => undefined;

  /** Use `client.startJob` or `client.trackJob`; `started` must be a verified `accepted` response with a job_id. */
  constructor(
    private readonly host: JobHost,
    started: VerifiedResponse,
  ) {
    const result = started.result ?? {};
    this.id = String(result.job_id);
    this.requestId = started.requestId;
    this.started = started;
    const interval = typeof result.poll_interval_ms === 'number' && Number.isFinite(result.poll_interval_ms) ? result.poll_interval_ms : DEFAULT_POLL_INTERVAL_MS;
    this.pollIntervalMs = Math.min(MAX_POLL_INTERVAL_MS, Math.max(MIN_POLL_INTERVAL_MS, interval));
    this.outcome = new Promise<R>((resolve, reject) => (this.settleOutcome = { resolve, reject }));
    // Nobody has to ask for the result: an unobserved failure is not an unhandled rejection.
    this.outcome.catch(() => undefined);
    this.armWatchdog();
    // Attaching replays what arrived before the job existed here, which may end it at once.
    const detach = host.attach(this.id, {
      status: (update) => this.onNotification(update),
      lost: (error) => this.end({ kind: 'lost', error }),
    });
    if (this.ended) detach();
    else this.detach = detach;
  }

  /** The latest known state: `accepted` until the first status arrives. */
  get state(): JobPhase {
    return this.phase;
  }

  /** The latest reported progress in [0, 1], if any. */
  get progress(): number | undefined {
    return this.lastProgress;
  }

  /** Whether the job has ended (or its outcome was lost). */
  get finished(): boolean {
    return this.ended;
  }

  /** Fires for each verified status, in seq order. */
  get onStatus(): Event<JobStatusUpdate> {
    return this.statusEmitter.event;
  }

  /** Resolves with the job's result on `done`; rejects on `error`, `cancelled` or a lost connection. */
  result(): Promise<R> {
    return this.outcome;
  }

  /**
   * Asks the server to cancel the job (`cancel_job`). Resolves with the
   * verified response: `cancelled`, or the job's final status if it had
   * already ended. The job then ends accordingly.
   */
  async cancel(options?: CallOptions): Promise<VerifiedResponse> {
    const response = await this.host.call('cancel_job', { job_id: this.id }, options);
    this.applyPolled(response);
    return response;
  }

  /** Asks the server for the job's status (`poll_job`); a final status ends the job. */
  async poll(options?: CallOptions): Promise<VerifiedResponse> {
    const response = await this.host.call('poll_job', { job_id: this.id }, options);
    this.applyPolled(response);
    return response;
  }

  /** Every verified status from the first, in seq order; ends when the job ends. */
  async *[Symbol.asyncIterator](): AsyncIterator<JobStatusUpdate> {
    let next = 0;
    for (;;) {
      next = Math.max(next, this.historyBase);
      if (next < this.historyBase + this.history.length) {
        yield this.history[next - this.historyBase]!;
        next++;
        continue;
      }
      if (this.ended) {
        if (this.lostError) throw this.lostError;
        return;
      }
      await new Promise<void>((resolve) => this.iteratorWaiters.push(resolve));
    }
  }

  private onNotification(update: JobStatusUpdate): void {
    if (this.ended) return;
    if (update.requestId !== this.requestId) {
      // Signed by the server, yet about another call: it must not steer this job.
      this.host.reject(update, `job status for job ${JSON.stringify(this.id)} names request ${JSON.stringify(update.requestId)}, not ${JSON.stringify(this.requestId)}`);
      return;
    }
    let ready = this.order.push(update);
    // The terminal status is always the last: whatever is still missing is lost.
    if (isTerminal(update.status) && this.order.holding) ready = ready.concat(this.order.flush());
    if (ready.length > 0 && this.polling) this.stopPolling();
    for (const status of ready) {
      this.record(status);
      if (this.ended) return;
    }
    this.armWatchdog();
  }

  private record(status: JobStatusUpdate): void {
    this.phase = status.status;
    if (status.progress !== undefined) this.lastProgress = status.progress;
    this.history.push(status);
    if (this.history.length > MAX_HISTORY) {
      this.history.shift();
      this.historyBase++;
    }
    this.statusEmitter.fire(status);
    this.wakeIterators();
    const outcome = finalOutcome<R>(status.status, status.result, status.error);
    if (outcome) this.end(outcome);
  }

  /** A poll_job / cancel_job answer: a final status ends the job. */
  private applyPolled(response: VerifiedResponse): void {
    if (this.ended) return;
    const outcome = finalOutcome<R>(response.status, response.result, response.error);
    if (outcome) this.end(outcome);
    else if (response.status === 'running' && this.phase === 'accepted') this.phase = 'running';
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    if (this.ended) return;
    this.watchdog = setTimeout(() => this.startPolling(), 2 * this.pollIntervalMs);
  }

  /** Notifications went quiet: give up on any gap and poll until the job ends or they resume. */
  private startPolling(): void {
    if (this.ended || this.polling) return;
    for (const status of this.order.flush()) {
      this.record(status);
      if (this.ended) return;
    }
    this.polling = true;
    void this.pollOnce(this.pollRound);
  }

  private stopPolling(): void {
    this.polling = false;
    this.pollRound++;
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async pollOnce(round: number): Promise<void> {
    try {
      await this.poll({ timeoutMs: Math.max(10_000, 5 * this.pollIntervalMs) });
    } catch (err) {
      if (err instanceof ServerError && err.verified && err.code === ErrorCode.UnknownJob) {
        // Expired or never ours, as the server signed: its outcome is gone for good.
        // (An unsigned -32012 never gets here: the client refuses it as a forgery.)
        this.end({ kind: 'lost', error: new ToolsealError(err.code, `job ${this.id} is no longer known to the server`, err.data) });
        return;
      }
      // A lost connection ends the job through its sink; anything else
      // (a timeout, a limit, an answer that failed verification) is worth
      // another try at the next interval.
    }
    if (this.ended || !this.polling || round !== this.pollRound) return;
    this.pollTimer = setTimeout(() => void this.pollOnce(round), this.pollIntervalMs);
  }

  private end(outcome: JobOutcome<R>): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.watchdog);
    this.stopPolling();
    this.detach();
    switch (outcome.kind) {
      case 'done':
        this.phase = 'done';
        this.settleOutcome.resolve(outcome.result);
        break;
      case 'error':
        this.phase = 'error';
        this.settleOutcome.reject(
          new ToolsealError(ErrorCode.ToolFailed, `job ${this.id} failed: ${outcome.message}`, { job_id: this.id, status: 'error', error: outcome.message }),
        );
        break;
      case 'cancelled':
        this.phase = 'cancelled';
        this.settleOutcome.reject(new ToolsealError(ClientErrorCode.JobCancelled, `job ${this.id} was cancelled`, { job_id: this.id, status: 'cancelled' }));
        break;
      case 'lost':
        this.lostError = outcome.error;
        this.settleOutcome.reject(outcome.error);
        break;
    }
    this.wakeIterators();
    this.statusEmitter.dispose();
  }

  private wakeIterators(): void {
    const waiters = this.iteratorWaiters;
    this.iteratorWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** How a job ended: by its own final status, or by losing the server. */
type JobOutcome<R> = { kind: 'done'; result: R } | { kind: 'error'; message: string } | { kind: 'cancelled' } | { kind: 'lost'; error: ToolsealError };

/** The outcome a final status (from a notification or a poll) means; undefined while the job runs. */
function finalOutcome<R>(status: string, result: unknown, error: string | null | undefined): JobOutcome<R> | undefined {
  switch (status) {
    case 'done':
      return { kind: 'done', result: (result ?? {}) as R };
    case 'error':
      return { kind: 'error', message: error ?? 'job failed' };
    case 'cancelled':
      return { kind: 'cancelled' };
    default:
      return undefined;
  }
}
