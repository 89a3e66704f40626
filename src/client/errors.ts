import { ClientErrorCode, ToolsealError } from '../protocol/errors';

export { ClientErrorCode, type ClientErrorCodeValue } from '../protocol/errors';

/**
 * A JSON-RPC error a call was answered with, as the server's `code`,
 * `message` and `data`.
 *
 * `verified` is true when the error came with a response signed by the
 * server (`data.response`, failures after authentication): then `message`
 * is that signed response's `error` text. It is false for the errors the
 * protocol cannot sign (those answered before the server knows who is
 * calling: -32700, -32600, -32601, -32602, -32001..-32004, and -32013 /
 * -32603 when they come without a signed response): anyone who can write to
 * the client's input could have sent them, so never show their text to a
 * model as fact. Whatever `data` holds besides `response` is not signed.
 */
export class ServerError extends ToolsealError {
  constructor(
    code: number,
    message: string,
    data: Record<string, unknown> | undefined,
    /** Whether code and message come with a response signed by the server. */
    readonly verified: boolean,
  ) {
    super(code, message, data);
    this.name = 'ServerError';
  }
}

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
