/**
 * Every message the server signs, signed here: responses to calls (and the
 * signed error responses in `data.response`) and `job/status`
 * notifications, each stamped with this server's id and clock.
 */
import type { JobUpdate } from '../jobs';
import type { KeyOrder } from '../protocol/canonical';
import type { Keyring } from '../protocol/keyring';
import { signInPlace } from '../protocol/signing';
import { toWireJobStatus, toWireResponse, type CallReply, type JobStatus, type Response } from '../protocol/wire';

export class ServerSigner {
  constructor(
    private readonly keyring: Keyring,
    /** Server clock, Unix ms. */
    private readonly now: () => number,
  ) {}

  /**
   * The signed response to the call `requestId`. `resultOrder`, how the
   * result's keys are ordered when the caller has checked it already, spares
   * signing a pass over the result.
   */
  response(requestId: string, reply: Pick<CallReply, 'ok' | 'status' | 'result' | 'error'>, resultOrder?: KeyOrder): Response {
    const unsigned = toWireResponse({
      requestId,
      serverId: this.keyring.serverId,
      tsMs: this.now(),
      ok: reply.ok,
      status: reply.status,
      result: reply.result,
      error: reply.error,
    });
    // The response's own keys are in order and its error is a string or null:
    // the result decides (any order but 'canonical' is out of order once nested).
    const order: KeyOrder | undefined = reply.result === null || resultOrder === 'canonical' ? 'canonical' : resultOrder === undefined ? undefined : 'other';
    return signInPlace(this.keyring.serverKey, unsigned, order);
  }

  /** The signed `job/status` notification of a job update, for the job's owner. */
  jobStatus(update: JobUpdate): JobStatus {
    const unsigned = toWireJobStatus({
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
    return signInPlace(this.keyring.serverKey, unsigned);
  }
}
