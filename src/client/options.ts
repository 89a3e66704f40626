/** What a ToolClient is told: per call, per client, and how to stop. */
import type { SchemaRegistry } from '../protocol/schemas';
import type { Credentials } from './credentials';
import type { VerificationFailureReason } from './envelopes';
import type { ProcessOptions } from './spawn';

/** Per-call options. */
export interface CallOptions {
  /** Reject with ClientErrorCode.Timeout after this many ms. Default: the client's `timeoutMs`; 0 means none. */
  timeoutMs?: number;
  /** Reject with ClientErrorCode.Aborted when this fires. */
  signal?: AbortSignal;
}

/** Something the server sent that failed verification, or a line that is not a protocol message. */
export interface SecurityEvent {
  /** What failed: a call's response (or a second answer to it), a call's error answer, a job notification, or a raw line. */
  kind: 'response' | 'error-response' | 'job-status' | 'message';
  /** Why it failed; `invalid-message` for a line that is not JSON-RPC at all. */
  reason: VerificationFailureReason | 'invalid-message';
  message: string;
  /** The call it claimed to answer (responses). */
  requestId?: string;
  /** The tool of that call (responses). */
  tool?: string;
  /** The job it claimed to be about (job notifications). */
  jobId?: string;
  /** What was received, as parsed (null for a raw line). Never trust it. */
  received: unknown;
}

/** Options shared by `spawn` and `connect`. */
export interface ClientOptions {
  /** Told about every response, notification or line that failed verification (also the `onSecurityEvent` event). */
  onSecurityEvent?: (event: SecurityEvent) => void;
  /** Default per-call timeout in ms. Default 60000; 0 means none. */
  timeoutMs?: number;
  /** Longest line accepted from the server, bytes. Default 64 MiB. */
  maxMessageBytes?: number;
  /** How far a response's ts_ms may be from this client's clock, ms. Default 300000 (the server's default --max-skew-ms). */
  maxSkewMs?: number;
  /** Schemas to verify with. Default: this package's, compiled once per process. */
  schemas?: SchemaRegistry;
}

/** `ToolClient.connect` options: credentials plus client options. */
export type ConnectOptions = Credentials & ClientOptions;
/** `ToolClient.spawn` options: credentials, client options and how to start the process. */
export type SpawnOptions = Credentials & ClientOptions & ProcessOptions;

/** How `close()` stops the server. */
export interface CloseOptions {
  /** How long the server may drain after stdin ends before SIGTERM, ms. Default 5000. */
  graceMs?: number;
  /** How long after SIGTERM before SIGKILL, ms. Default 3000. */
  killAfterMs?: number;
}

/** Defaults of the options above. */
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_GRACE_MS = 5_000;
export const DEFAULT_KILL_AFTER_MS = 3_000;
