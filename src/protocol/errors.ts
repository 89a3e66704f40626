/**
 * The one table of error codes toolseal answers with, and the one error type
 * that carries them. Nothing branches on message text: callers switch on `code`.
 */
export const ErrorCode = {
  /** The line is not JSON (or not UTF-8). */
  ParseError: -32700,
  /** A batch, an object that is not JSON-RPC 2.0, or a line over the size limit. */
  InvalidRequest: -32600,
  /** No such JSON-RPC method. */
  MethodNotFound: -32601,
  /** The params are not a valid envelope (schema, depth, JSON values). */
  InvalidParams: -32602,
  /** Something unexpected; never carries a stack trace. */
  InternalError: -32603,
  /** Unknown client or bad signature (deliberately the same answer). */
  Unauthenticated: -32001,
  /** ts_ms is outside the freshness window. */
  StaleRequest: -32002,
  /** The (client_id, nonce) pair was seen within the freshness window. */
  ReplayedNonce: -32003,
  /** server_id names another server. */
  WrongServer: -32004,
  /** No such tool. */
  UnknownTool: -32010,
  /** The args fail the tool's input schema (or its own argument checks). */
  InvalidArguments: -32011,
  /** The job is unknown, expired or owned by another client (one answer for all three). */
  UnknownJob: -32012,
  /** A configured limit was reached (running jobs, replay cache entries). */
  LimitExceeded: -32013,
  /** The tool failed, or produced output that fails its output schema. */
  ToolFailed: -32014,
  /**
   * The shared state (`--state redis://...`) cannot be reached: the call did
   * not run, and the same call, signed again, may be retried (`data.retryable`,
   * `data.retry_after_ms`).
   */
  StateUnavailable: -32015,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Codes the client raises by itself, never sent on the wire. They sit outside
 * the JSON-RPC reserved range (-32768..-32000), so they cannot clash with a
 * code a server answers with; callers switch on `code` whichever side it came
 * from.
 */
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

/** The fixed message for each code; details go in `data`, never in the message. */
export const ErrorMessage: Readonly<Record<ErrorCodeValue, string>> = {
  [ErrorCode.ParseError]: 'Parse error',
  [ErrorCode.InvalidRequest]: 'Invalid Request',
  [ErrorCode.MethodNotFound]: 'Method not found',
  [ErrorCode.InvalidParams]: 'Invalid params',
  [ErrorCode.InternalError]: 'Internal error',
  [ErrorCode.Unauthenticated]: 'unauthenticated',
  [ErrorCode.StaleRequest]: 'stale request',
  [ErrorCode.ReplayedNonce]: 'replayed nonce',
  [ErrorCode.WrongServer]: 'wrong server',
  [ErrorCode.UnknownTool]: 'unknown tool',
  [ErrorCode.InvalidArguments]: 'invalid arguments',
  [ErrorCode.UnknownJob]: 'unknown job',
  [ErrorCode.LimitExceeded]: 'limit exceeded',
  [ErrorCode.ToolFailed]: 'tool failed',
  [ErrorCode.StateUnavailable]: 'state unavailable',
};

/** One validation problem: a JSON Pointer into the checked value and what is wrong there. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** An error with a JSON-RPC code, a short message and structured data. */
export class ToolsealError extends Error {
  readonly code: number;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: number, message?: string, data?: Record<string, unknown>) {
    super(message ?? ErrorMessage[code as ErrorCodeValue] ?? 'error');
    this.name = 'ToolsealError';
    this.code = code;
    this.data = data;
  }
}
