/**
 * Every message the server signs, signed here: responses to calls (and the
 * signed error responses in `data.response`) and `job/status`
 * notifications, each stamped with this server's id and clock.
 */
import type { JobUpdate } from '../jobs';
import type { Keyring } from '../protocol/keyring';
import { signInPlace } from '../protocol/signing';
import { toWireJobStatus, toWireResponse, type CallReply, type JobStatus, type Response } from '../protocol/wire';

export class ServerSigner {
  constructor(
    private readonly keyring: Keyring,
    /** Server clock, Unix ms. */
    private readonly now: () => number,
  ) {}

  /** The signed response to the call `requestId`. */
  response(requestId: string, reply: Pick<CallReply, 'ok' | 'status' | 'result' | 'error'>): Response {
    const unsigned = toWireResponse({
      requestId,
      serverId: this.keyring.serverId,
      tsMs: this.now(),
      ok: reply.ok,
      status: reply.status,
      result: reply.result,
      error: reply.error,
    });
    return signInPlace(this.keyring.serverKey, unsigned);
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
