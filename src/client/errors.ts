/**
 * Error codes the client raises by itself, never sent on the wire. They sit
 * outside the JSON-RPC reserved range (-32768..-32000), so they cannot clash
 * with a code a server answers with. Every client failure is a
 * {@link ToolsealError}: callers switch on `code`, whether it came from the
 * server (`ErrorCode`) or from the client (`ClientErrorCode`).
 */
import { ToolsealError } from '../protocol/errors';

export const ClientErrorCode = {
  /** The server exited, or its stdout closed, before the answer arrived; or the client was closed. */
  ConnectionClosed: -31001,
  /** The call did not complete within its `timeoutMs`. */
  Timeout: -31002,
  /** The call's AbortSignal fired. */
  Aborted: -31003,
  /** A response failed verification (schema, signature, request_id or server_id): a security event. */
  VerificationFailed: -31004,
  /** The job ended `cancelled`. */
  JobCancelled: -31005,
  /** `startJob` called a tool that did not start a job (its status was not `accepted`). */
  NotAJob: -31006,
} as const;

export type ClientErrorCodeValue = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** How the server process ended (both null when there was no process, or it could not be started). */
export interface ExitInfo {
  /** The exit code, or null when the process was killed by a signal. */
  code: number | null;
  /** The signal that ended the process, or null. */
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  error?: Error;
}

/** What ended the connection, in words for an error message. */
export function describeExit(info: ExitInfo): string {
  if (info.error) return `the server could not be started: ${info.error.message}`;
  if (info.signal) return `the server was killed by ${info.signal}`;
  if (info.code !== null) return `the server exited with code ${info.code}`;
  return 'the connection to the server closed';
}

/** The error every pending call and unfinished job gets when the connection is gone. */
export function connectionClosedError(info: ExitInfo, closedByClient: boolean): ToolsealError {
  const message = closedByClient ? 'the client was closed before the answer arrived' : `${describeExit(info)} before the answer arrived`;
  return new ToolsealError(ClientErrorCode.ConnectionClosed, message, {
    exit_code: info.code,
    signal: info.signal,
    closed_by_client: closedByClient,
  });
}
