/**
 * Step 8 of a call: running the tool. A plain tool's result is checked and
 * answered; a job tool's call answers `accepted` at once and its `run`
 * becomes the job's body, whose result is checked against the output schema
 * before the job may end `done`. Synchronous when the tool is.
 */
import { estimateRetainedBytes, JobLimitError, type JobContext, type JobService } from '../jobs';
import { inspectJsonValue, type KeyOrder } from '../protocol/canonical';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import { isPending, type Eventually } from '../protocol/eventually';
import type { CallRequest, JsonObject, ResponseStatus } from '../protocol/wire';
import { CallContext, type ContextScope } from '../tools/context';
import type { RegisteredTool } from '../tools/registry';
import { isStatusReply } from '../tools/tool';
import type { Logger } from './logger';

/** What a call answers before it is signed: the response's status, result and error. */
export interface ToolReply {
  status: ResponseStatus;
  result: JsonObject | null;
  error: string | null;
  /** How `result`'s keys are ordered, when it was checked here (see KeyOrder): the signer need not walk it again. */
  resultOrder?: KeyOrder;
}

/** How a front end other than `call` runs a call (MCP `tools/call`). */
export interface DispatchOptions {
  /** Aborting it aborts a running plain tool's `ctx.signal` (a job has its own, which cancelling the job aborts). */
  cancel?: AbortSignal;
  /** The front end, for a job tool: see JobRecord.origin. */
  origin?: string;
}

export interface ToolRunnerDeps {
  jobs: JobService;
  logger: Logger;
  scope: ContextScope;
  /** Handed out with job ids. */
  pollIntervalMs: number;
  /** Nesting allowed in tool output. */
  maxDepth: number;
}

export class ToolRunner {
  constructor(private readonly deps: ToolRunnerDeps) {}

  /** Runs `tool` for a verified call whose args passed the input schema. */
  run(tool: RegisteredTool, call: CallRequest, options?: DispatchOptions): Eventually<ToolReply> {
    if (tool.tool.job === true) return this.startJob(tool, call, options?.origin);
    const ctx = new CallContext(call.clientId, call.requestId, tool.name, this.deps.scope);
    let outcome: unknown;
    try {
      outcome = tool.tool.run(call.args, ctx);
    } catch (err) {
      ctx.finish();
      throw this.failure(err, tool, call);
    }
    if (!isPending(outcome)) {
      ctx.finish();
      return this.reply(tool, call, outcome);
    }
    const timeoutMs = tool.tool.timeoutMs;
    const settled = timeoutMs === undefined ? Promise.resolve(outcome) : withTimeout(Promise.resolve(outcome), timeoutMs, (err) => ctx.abort(err));
    const cancel = options?.cancel;
    const unlink = cancel === undefined ? undefined : linkAbort(cancel, ctx);
    return settled.then(
      (value) => {
        unlink?.();
        ctx.finish();
        return this.reply(tool, call, value);
      },
      (err: unknown) => {
        unlink?.();
        ctx.finish();
        throw this.failure(err, tool, call);
      },
    );
  }

  /** A job tool: the job is accepted (or refused at the job limit) and its handle answered. */
  private startJob(tool: RegisteredTool, call: CallRequest, origin: string | undefined): Promise<ToolReply> {
    return this.deps.jobs
      .start({
        ownerClientId: call.clientId,
        requestId: call.requestId,
        tool: tool.name,
        args: call.args,
        work: (job) => runJobTool(tool, call, job, this.deps),
        // The work keeps the call's args until it ends: they count against the job limits.
        heldBytes: estimateRetainedBytes(call.args),
        origin,
      })
      .then(
        (record): ToolReply => ({
          status: 'accepted',
          result: { job_id: record.jobId, poll_interval_ms: this.deps.pollIntervalMs },
          error: null,
        }),
        (err: unknown) => {
          if (err instanceof JobLimitError) throw new ToolsealError(ErrorCode.LimitExceeded, err.message);
          throw err;
        },
      );
  }

  /** What a plain tool answered, if it is a reply the server can sign and send. */
  private reply(tool: RegisteredTool, call: CallRequest, outcome: unknown): ToolReply {
    if (isStatusReply(outcome)) {
      const resultOrder = outcome.result === null ? undefined : this.checkResult(tool, call, outcome.result);
      return { status: outcome.status, result: outcome.result, error: outcome.error, resultOrder };
    }
    const resultOrder = this.checkResult(tool, call, outcome);
    return { status: 'ok', result: outcome as JsonObject, error: null, resultOrder };
  }

  /** Checks a result (see resultIssue); returns how its keys are ordered. */
  private checkResult(tool: RegisteredTool, call: CallRequest, result: unknown): KeyOrder {
    const issue = resultIssue(result, tool, this.deps.maxDepth);
    if (typeof issue === 'string') return issue;
    this.deps.logger.error('tool_output_invalid', { tool: tool.name, request_id: call.requestId, errors: [issue] });
    throw new ToolsealError(ErrorCode.ToolFailed, `tool failed: ${issue.summary}`);
  }

  private failure(err: unknown, tool: RegisteredTool, call: CallRequest): ToolsealError {
    return toolFailure(err, tool, call, this.deps.logger);
  }
}

/** What a job's body needs besides the tool, the call and the job. */
export interface JobBodyDeps {
  logger: Logger;
  scope: ContextScope;
  /** Nesting allowed in tool output. */
  maxDepth: number;
}

/**
 * A job's body: the tool's run, its timeout, and the check of its result.
 * A rejection's message is the job's error. Used by the server for a job
 * that runs in its process, and by a shared-state worker for one that runs
 * in the worker's.
 */
export async function runJobTool(
  tool: RegisteredTool,
  call: Pick<CallRequest, 'clientId' | 'requestId' | 'args'>,
  job: Pick<JobContext, 'signal' | 'reportProgress'>,
  deps: JobBodyDeps,
): Promise<Record<string, unknown>> {
  const timeoutMs = tool.tool.timeoutMs;
  const timeout = timeoutMs === undefined ? undefined : new AbortController();
  const signal = timeout === undefined ? job.signal : AbortSignal.any([job.signal, timeout.signal]);
  const ctx = new CallContext(call.clientId, call.requestId, tool.name, deps.scope, { signal, progress: job.reportProgress });
  const work = new Promise<unknown>((resolve) => resolve(tool.tool.run(call.args, ctx)));
  let outcome: unknown;
  try {
    outcome = await (timeoutMs === undefined ? work : withTimeout(work, timeoutMs, (err) => timeout!.abort(err)));
  } catch (err) {
    // The job's own error text: a ToolsealError's message, else the first line of what was thrown.
    throw new Error(toolFailure(err, tool, call, deps.logger).message);
  }
  if (isStatusReply(outcome)) throw new Error(`tool failed: a job answers its result object, not a status reply`);
  const issue = resultIssue(outcome, tool, deps.maxDepth);
  if (typeof issue !== 'string') {
    deps.logger.error('tool_output_invalid', { tool: tool.name, request_id: call.requestId, job: true, errors: [issue] });
    throw new Error(`${issue.jobError}: ${issue.path} ${issue.message}`);
  }
  return outcome as Record<string, unknown>;
}

/** A tool that threw: its own ToolsealError, or -32014 with the first line of its message. */
function toolFailure(err: unknown, tool: RegisteredTool, call: Pick<CallRequest, 'requestId'>, logger: Logger): ToolsealError {
  if (err instanceof ToolsealError) return err;
  const message = err instanceof Error ? err.message : String(err);
  logger.warn('tool_failed', { tool: tool.name, request_id: call.requestId, error: message });
  return new ToolsealError(ErrorCode.ToolFailed, `tool failed: ${summarize(message)}`);
}

interface ResultIssue {
  path: string;
  message: string;
  /** For the answer: what is wrong, without the details (which are logged). */
  summary: string;
  /** For a job's error: what is wrong, followed by the details. */
  jobError: string;
}

/** Why a tool's result cannot be answered, or how its keys are ordered (see KeyOrder) when it can. */
function resultIssue(result: unknown, tool: RegisteredTool, maxDepth: number): ResultIssue | KeyOrder {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    return { path: '/', message: 'must be an object', summary: 'it returned no result object', jobError: 'job result is not an object' };
  }
  // The result is signed as RFC 8785 JSON and sent as JSON.stringify writes it. A value
  // the two write differently (a function, undefined, a lone surrogate) would go out
  // with a signature that fails, and one they refuse (NaN, Infinity, a BigInt) could
  // not be sent at all; deep nesting could overflow the writer.
  const order = inspectJsonValue(result, maxDepth);
  if (typeof order !== 'string') return { ...order, summary: 'its output is not valid JSON', jobError: 'job result is not valid JSON' };
  const schemaIssue = tool.output.check(result)[0];
  if (schemaIssue) {
    return { ...schemaIssue, summary: 'its output does not match its output schema', jobError: `job result does not match the output schema of ${tool.name}` };
  }
  return order;
}

/** Aborts `ctx` when `cancel` aborts (at once if it has); returns what undoes the link. */
function linkAbort(cancel: AbortSignal, ctx: CallContext): () => void {
  const onAbort = (): void => ctx.abort(cancel.reason instanceof Error ? cancel.reason : new Error(String(cancel.reason)));
  if (cancel.aborted) {
    onAbort();
    return () => undefined;
  }
  cancel.addEventListener('abort', onAbort, { once: true });
  return () => cancel.removeEventListener('abort', onAbort);
}

/** Rejects with "tool timed out after N ms" (after calling `onTimeout` with that error) unless `work` settles first. */
function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: (err: ToolsealError) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new ToolsealError(ErrorCode.ToolFailed, `tool timed out after ${ms} ms`, { timeout_ms: ms });
      onTimeout(err);
      reject(err);
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * A tool's error message as it may go on the wire: its first line, cut to
 * 200 characters, so that a message that embeds a stack trace or a dump does
 * not leak it to the caller (the whole message is logged).
 */
export function summarize(message: string): string {
  const firstLine = message.split(/\r?\n/, 1)[0] ?? '';
  return firstLine.length > 200 ? `${firstLine.slice(0, 200)}...` : firstLine;
}
