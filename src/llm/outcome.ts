/**
 * One tool call asked for by a model, run to its end: the arguments as the
 * model wrote them, the signed call, the job followed to its result when the
 * tool is a job, and what came of it as a value (never a rejection for what
 * the model can act on), ready for the runtime's tool-result message.
 */
import type { Job } from '../client/job';
import type { JobStatusUpdate } from '../client/envelopes';
import type { CallOptions, ToolClient } from '../client/toolClient';
import { ClientErrorCode, ErrorCode, ToolsealError } from '../protocol/errors';
import type { JsonObject } from '../protocol/wire';
import type { ToolDescriptor } from '../tools/tool';
import { formatTools, type FormatToolsOptions, type FormattedTools, type ToolFormat } from '../tools/formats';

/** The tool answered (for a job: the job ended `done`). */
export interface ToolCallSuccess<R = JsonObject> {
  ok: true;
  tool: string;
  /** The verified result (for a job, the job's verified final result). */
  result: R;
  /** The job's id, when the tool ran as a job. */
  jobId?: string;
}

/** The call was refused or failed, or its job ended `error` or `cancelled`. */
export interface ToolCallFailure {
  ok: false;
  tool: string;
  /**
   * What went wrong: a ServerError (check `verified` before trusting its
   * text), or a ToolsealError raised by the client (timeout, cancelled job,
   * arguments that are not a JSON object, a lost connection).
   */
  error: ToolsealError;
  /** The job's id, when the tool had started a job. */
  jobId?: string;
}

export type ToolCallOutcome<R = JsonObject> = ToolCallSuccess<R> | ToolCallFailure;

export interface RunToolCallOptions extends CallOptions {
  /**
   * Each verified `job/status` notification of the job, when the tool runs
   * as one (e.g. to show progress). `timeoutMs` and `signal` cover the whole
   * run, the job included: when either ends it, the job is cancelled.
   */
  onJobStatus?: (update: JobStatusUpdate) => void;
}

/**
 * Calls `tool` with the arguments a model asked for and waits for the end:
 * for a tool that answers with a job, until the job ends. `args` is the
 * model's JSON text (OpenAI's `arguments`; empty text means `{}`) or an
 * object (Anthropic's `input`); anything else is answered as invalid
 * arguments, for the model to correct.
 *
 * Resolves with a ToolCallOutcome for everything a call can come to,
 * refusals, failures, timeouts and a lost server included, so a host can
 * answer every tool call of a turn; rejects only on a programming error
 * (e.g. an exception that is not a ToolsealError).
 */
export async function runToolCall<R = JsonObject>(
  client: ToolClient,
  tool: string,
  args: unknown,
  options: RunToolCallOptions = {},
): Promise<ToolCallOutcome<R>> {
  const parsed = parseModelArguments(args);
  if (parsed instanceof ToolsealError) return { ok: false, tool, error: parsed };
  const deadline = runDeadline(options);
  let job: Job<R> | undefined;
  try {
    const answer = await client.call<R>(tool, parsed, options.timeoutMs === undefined ? { signal: deadline.signal } : { timeoutMs: 0, signal: deadline.signal });
    if (answer.status !== 'accepted') return { ok: true, tool, result: answer.result as R };
    job = client.trackJob<R>(answer);
    const started = job;
    const forwarding = options.onJobStatus ? forwardStatuses(job, options.onJobStatus) : undefined;
    deadline.signal.addEventListener('abort', () => void started.cancel().catch(() => undefined), { once: true });
    if (deadline.signal.aborted) void started.cancel().catch(() => undefined);
    try {
      return { ok: true, tool, result: await job.result(), jobId: job.id };
    } finally {
      await forwarding; // the listener has seen every status, the last one included, before the outcome is known
    }
  } catch (err) {
    if (!(err instanceof ToolsealError)) throw err;
    const error = deadline.timedOut() ? deadline.timeoutError(err) : err;
    return { ok: false, tool, error, ...(job ? { jobId: job.id } : {}) };
  } finally {
    deadline.dispose();
  }
}

/**
 * The tools of the server `client` talks to, in `format`, for a model
 * (`list_tools`, verified, then formatTools): without the protocol tools in
 * the model formats, unless `includeProtocolTools`.
 */
export async function toolsFor<F extends ToolFormat>(client: ToolClient, format: F, options: FormatToolsOptions & CallOptions = {}): Promise<Array<FormattedTools[F]>> {
  const listed = await client.call<{ tools: ToolDescriptor[] }>('list_tools', {}, options);
  return formatTools(listed.result?.tools ?? [], format, options);
}

/** Every status of `job`, from its first, to `listener`; how the job ends is job.result()'s to report. */
async function forwardStatuses<R>(job: Job<R>, listener: (update: JobStatusUpdate) => void): Promise<void> {
  try {
    for await (const status of job) listener(status);
  } catch {
    // The connection was lost: runToolCall's outcome says so.
  }
}

/** The model's arguments as the object to sign, or why they cannot be. */
function parseModelArguments(args: unknown): object | ToolsealError {
  if (args === undefined) return {};
  let value: unknown = args;
  if (typeof args === 'string') {
    if (args.trim() === '') return {};
    try {
      value = JSON.parse(args);
    } catch (err) {
      return argumentError(`the arguments are not valid JSON (${(err as Error).message})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return argumentError('the arguments must be a JSON object');
  return value as object;
}

function argumentError(problem: string): ToolsealError {
  return new ToolsealError(ErrorCode.InvalidArguments, `invalid arguments: ${problem}`, { errors: [{ path: '/', message: problem }] });
}

interface RunDeadline {
  readonly signal: AbortSignal;
  timedOut(): boolean;
  timeoutError(cause: ToolsealError): ToolsealError;
  dispose(): void;
}

/** One signal for the whole run: the caller's signal, or the timeout. */
function runDeadline(options: RunToolCallOptions): RunDeadline {
  const controller = new AbortController();
  const timeoutMs = options.timeoutMs ?? 0;
  let expired = false;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          expired = true;
          controller.abort();
        }, timeoutMs)
      : undefined;
  const forward = (): void => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener('abort', forward, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    timeoutError: (cause) =>
      new ToolsealError(ClientErrorCode.Timeout, `the call did not end within ${timeoutMs} ms`, { timeout_ms: timeoutMs, ...(cause.data?.job_id ? { job_id: cause.data.job_id } : {}) }),
    dispose: () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', forward);
    },
  };
}
