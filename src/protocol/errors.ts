/**
 * The one table of error codes toolseal answers with and what each means,
 * and the one error type that carries them. Nothing branches on message
 * text: callers switch on `code`.
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

/** What is known of each code the server answers with, besides its number. */
export interface ErrorTraits {
  /**
   * How the message starts. A message is this text, or this text followed
   * by a detail a reader can act on (`invalid arguments: /numbers must be
   * array`, `unknown tool "nope"`); whatever the detail says is also in
   * `data`, structured, for code to switch on. Nothing branches on message
   * text.
   */
  message: string;
  /** Answered only once the call is authenticated (pipeline steps 6-8), so it can come with a signed response. */
  afterAuthentication: boolean;
  /** Never answered without a signed response (`data.response`). */
  alwaysSigned: boolean;
  /**
   * A failure of the tool's execution (its arguments, its job, its limits,
   * its run), which the caller can act on: MCP answers these as `isError`
   * results a model reads. The others (the request is malformed, not
   * authenticated, names no tool, or the server broke) are protocol errors.
   */
  toolExecution: boolean;
}

const PROTOCOL_ERROR = { afterAuthentication: false, alwaysSigned: false, toolExecution: false };

/** The one table of what each code means. */
export const ERROR_TRAITS: Readonly<Record<ErrorCodeValue, ErrorTraits>> = {
  [ErrorCode.ParseError]: { message: 'Parse error', ...PROTOCOL_ERROR },
  [ErrorCode.InvalidRequest]: { message: 'Invalid Request', ...PROTOCOL_ERROR },
  [ErrorCode.MethodNotFound]: { message: 'Method not found', ...PROTOCOL_ERROR },
  [ErrorCode.InvalidParams]: { message: 'Invalid params', ...PROTOCOL_ERROR },
  // Also answers a failure outside the call pipeline, before anything can be signed.
  [ErrorCode.InternalError]: { message: 'Internal error', afterAuthentication: true, alwaysSigned: false, toolExecution: false },
  [ErrorCode.Unauthenticated]: { message: 'unauthenticated', ...PROTOCOL_ERROR },
  [ErrorCode.StaleRequest]: { message: 'stale request', ...PROTOCOL_ERROR },
  [ErrorCode.ReplayedNonce]: { message: 'replayed nonce', ...PROTOCOL_ERROR },
  [ErrorCode.WrongServer]: { message: 'wrong server', ...PROTOCOL_ERROR },
  [ErrorCode.UnknownTool]: { message: 'unknown tool', afterAuthentication: true, alwaysSigned: true, toolExecution: false },
  [ErrorCode.InvalidArguments]: { message: 'invalid arguments', afterAuthentication: true, alwaysSigned: true, toolExecution: true },
  [ErrorCode.UnknownJob]: { message: 'unknown job', afterAuthentication: true, alwaysSigned: true, toolExecution: true },
  // Also answers a full replay cache at step 5, before anything can be signed.
  [ErrorCode.LimitExceeded]: { message: 'limit exceeded', afterAuthentication: true, alwaysSigned: false, toolExecution: true },
  [ErrorCode.ToolFailed]: { message: 'tool failed', afterAuthentication: true, alwaysSigned: true, toolExecution: true },
  // Answered at step 5 (the replay check needs the shared state) before anything can be signed, or later with a signed response.
  [ErrorCode.StateUnavailable]: { message: 'state unavailable', afterAuthentication: true, alwaysSigned: false, toolExecution: false },
};

/** The fixed start of each code's message (ERROR_TRAITS). */
export const ErrorMessage: Readonly<Record<ErrorCodeValue, string>> = Object.fromEntries(
  Object.entries(ERROR_TRAITS).map(([code, traits]) => [code, traits.message]),
) as Record<ErrorCodeValue, string>;

/** The codes whose traits have `trait` set. */
export function codesWith(trait: Exclude<keyof ErrorTraits, 'message'>): ReadonlySet<number> {
  return new Set(Object.entries(ERROR_TRAITS).flatMap(([code, traits]) => (traits[trait] ? [Number(code)] : [])));
}

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
