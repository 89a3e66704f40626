/** A call in flight, from the client's side. */
import { ClientErrorCode, ToolsealError } from '../protocol/errors';
import type { Envelope } from '../protocol/wire';
import type { VerifiedResponse } from './envelopes';

/**
 * A call in flight. It settles once, by whichever comes first: its answer,
 * its deadline, an abort, or the end of the connection; later ones find it
 * settled and do nothing.
 */
export class PendingCall {
  /** When it times out, on the performance.now() clock; Infinity for never. */
  readonly deadline: number;
  /** Removes its abort listener, if it has one. */
  unsubscribe: (() => void) | undefined = undefined;
  private settled = false;

  constructor(
    readonly envelope: Envelope,
    private readonly timeoutMs: number,
    private readonly resolveWith: (response: VerifiedResponse) => void,
    private readonly rejectWith: (error: ToolsealError) => void,
    /** Called once when it settles, to stop tracking it. */
    private readonly forget: (call: PendingCall) => void,
  ) {
    this.deadline = timeoutMs > 0 && Number.isFinite(timeoutMs) ? performance.now() + timeoutMs : Infinity;
  }

  get open(): boolean {
    return !this.settled;
  }

  resolve(response: VerifiedResponse): void {
    if (this.finish()) this.resolveWith(response);
  }

  fail(error: ToolsealError): void {
    if (this.finish()) this.rejectWith(error);
  }

  /** Its deadline has passed (see Deadlines). */
  expire(): void {
    const { tool, request_id } = this.envelope;
    this.fail(new ToolsealError(ClientErrorCode.Timeout, `call to ${tool} timed out after ${this.timeoutMs} ms`, { tool, request_id, timeout_ms: this.timeoutMs }));
  }

  /** Marks it settled; false when it already was. */
  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.forget(this);
    this.unsubscribe?.();
    return true;
  }
}

/** The error of a call whose AbortSignal fired. */
export function abortedError(envelope: Envelope): ToolsealError {
  return new ToolsealError(ClientErrorCode.Aborted, `call to ${envelope.tool} was aborted`, { tool: envelope.tool, request_id: envelope.request_id });
}
