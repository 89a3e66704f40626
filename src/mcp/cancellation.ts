/**
 * MCP `notifications/cancelled` (`{requestId, reason?}`): the client gave up
 * on a request it sent. The request's answer is not sent, and the work it
 * started is aborted where that means something: a running tool's
 * `ctx.signal`, a `tasks/result` waiting for its job. A task is not
 * cancelled this way (MCP: tasks are cancelled with `tasks/cancel`), so a
 * task-augmented `tools/call` ignores it, and so does `initialize`, which
 * MCP forbids cancelling. A notification for a request that is unknown or
 * already answered is ignored, as MCP allows.
 */
import type { RequestId } from '../server/server';

/** What a cancellable request's handler gets. */
export interface CancelScope {
  /** Aborted when the client cancels the request. */
  readonly signal: AbortSignal;
  /** The request is not cancellable after all (a task-augmented call): later notifications are ignored. */
  detach(): void;
}

/** Where answers are sent: `ToolServer.dropAnswer`. */
export interface AnswerSink {
  dropAnswer(id: RequestId): boolean;
}

/** The reason a cancelled request's signal aborts with. */
export class RequestCancelledError extends Error {
  constructor(reason: string | undefined) {
    super(reason === undefined ? 'request cancelled by the client' : `request cancelled by the client: ${reason}`);
    this.name = 'RequestCancelledError';
  }
}

/** The params of `notifications/cancelled`, or undefined when malformed (ignored, as MCP says). */
export function parseCancelledParams(params: unknown): { requestId: RequestId; reason: string | undefined } | undefined {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  const { requestId, reason } = params as { requestId?: unknown; reason?: unknown };
  if (typeof requestId !== 'string' && typeof requestId !== 'number') return undefined;
  return { requestId, reason: typeof reason === 'string' ? reason : undefined };
}

/** The MCP requests in progress that the client may cancel, by id. */
export class CancellableRequests {
  private readonly open = new Map<string, AbortController>();

  constructor(private readonly answers: AnswerSink) {}

  /** Runs a request's handler with a scope that `notifications/cancelled` for `id` aborts. */
  run<T>(id: RequestId, handler: (scope: CancelScope) => Promise<T>): Promise<T> {
    const key = String(id);
    const controller = new AbortController();
    this.open.set(key, controller);
    const forget = (): void => {
      if (this.open.get(key) === controller) this.open.delete(key);
    };
    return handler({ signal: controller.signal, detach: forget }).finally(forget);
  }

  /** `notifications/cancelled`: drops the answer and aborts the work, if the request is still in progress. */
  cancel(params: unknown): void {
    const parsed = parseCancelledParams(params);
    if (parsed === undefined) return;
    const key = String(parsed.requestId);
    const controller = this.open.get(key);
    if (controller === undefined) return;
    this.open.delete(key);
    if (!this.answers.dropAnswer(parsed.requestId)) return;
    controller.abort(new RequestCancelledError(parsed.reason));
  }

  /** How many requests may be cancelled now (for tests). */
  get size(): number {
    return this.open.size;
  }
}
