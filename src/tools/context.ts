/**
 * The `ctx` a tool's `run` gets. A call pays only for what its tool uses:
 * the AbortController and the tagged logger are made on first use, so a
 * tool that never reads `ctx.signal` or `ctx.log` costs one small object.
 */
import type { Logger } from '../server/logger';
import type { ToolContext, ToolLogger } from './tool';

/** Calls whose signal has been handed out, so that a shutdown can abort them. */
export class OpenSignals {
  private readonly open = new Set<CallContext>();

  /** Aborts every open call's signal with `reason`. */
  abortAll(reason: Error): void {
    for (const ctx of [...this.open]) ctx.abort(reason);
  }

  /** @internal */
  add(ctx: CallContext): void {
    this.open.add(ctx);
  }

  /** @internal */
  delete(ctx: CallContext): void {
    this.open.delete(ctx);
  }
}

/** What every context of one server shares. */
export interface ContextScope {
  readonly logger: Logger;
  readonly openSignals: OpenSignals;
}

/** Where a job's context takes its signal and progress from. */
export interface JobHooks {
  /** The job's signal: aborted on cancel and shutdown (and, for tools with a timeout, on timeout). */
  readonly signal: AbortSignal;
  progress(fraction: number, message?: string): void;
}

export class CallContext implements ToolContext {
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  private logger: ToolLogger | undefined;
  private finished = false;

  constructor(
    readonly clientId: string,
    readonly requestId: string,
    private readonly toolName: string,
    private readonly scope: ContextScope,
    private readonly job?: JobHooks,
  ) {}

  get signal(): AbortSignal {
    if (this.job !== undefined) return this.job.signal;
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
      else if (!this.finished) this.scope.openSignals.add(this);
    }
    return this.controller.signal;
  }

  get log(): ToolLogger {
    this.logger ??= taggedLogger(this.scope.logger, { tool: this.toolName, client_id: this.clientId, request_id: this.requestId });
    return this.logger;
  }

  progress(fraction: number, message?: string): void {
    this.job?.progress(fraction, message);
  }

  /** Aborts the call's signal (timeout, shutdown); a signal handed out later starts aborted. */
  abort(reason: Error): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.scope.openSignals.delete(this);
    this.controller?.abort(reason);
  }

  /** The call has been answered: nothing aborts its signal any more. */
  finish(): void {
    this.finished = true;
    if (this.controller !== undefined) this.scope.openSignals.delete(this);
  }
}

/** A logger that adds `tags` to every line (the line's own fields win). */
export function taggedLogger(logger: Logger, tags: Record<string, unknown>): Logger {
  const at =
    (log: Logger['info']) =>
    (event: string, fields?: Record<string, unknown>): void =>
      log(event, { ...tags, ...fields });
  return { error: at(logger.error), warn: at(logger.warn), info: at(logger.info), debug: at(logger.debug) };
}
