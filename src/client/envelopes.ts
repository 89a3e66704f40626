/**
 * The client's half of the wire contract, as plain functions: signing an
 * envelope, and verifying what the server sends back. Shared by ToolClient
 * and the `sign` command; no I/O.
 */
import { randomUUID } from 'node:crypto';
import { inspectJsonValue, MAX_DEPTH, type KeyOrder } from '../protocol/canonical';
import { codesWith, ErrorCode, ErrorMessage, ToolsealError, type ErrorCodeValue } from '../protocol/errors';
import type { HmacKey } from '../protocol/hmacKey';
import { SchemaRegistry } from '../protocol/schemas';
import { signatureProblem, signedTextOf, signInPlace, type Signed } from '../protocol/signing';
import {
  fromWireJobStatus,
  fromWireResponse,
  toWireEnvelope,
  type CallReply,
  type Envelope,
  type JobStatus,
  type JobStatusReport,
  type JsonObject,
  type Response,
} from '../protocol/wire';

/**
 * How deep a response or notification may nest before the client refuses to
 * canonicalize it. Deeper than any call's params can be (MAX_DEPTH), so a
 * tool echoing its input always fits; shallow enough that a hostile server
 * cannot exhaust the stack.
 */
export const MAX_RECEIVED_DEPTH = 4 * MAX_DEPTH;

let sharedSchemas: SchemaRegistry | undefined;

/** One SchemaRegistry per process, compiled on first use. */
export function defaultSchemas(): SchemaRegistry {
  sharedSchemas ??= new SchemaRegistry();
  return sharedSchemas;
}

/** What goes into an envelope; request id, nonce and timestamp are fresh unless given. */
export interface EnvelopeFields {
  clientId: string;
  serverId: string;
  tool: string;
  /** A plain JSON object; when undefined the envelope has no `args` at all. */
  args?: object;
  /** Default: a random UUID. */
  requestId?: string;
  /** Default: a random UUID. */
  nonce?: string;
  /** Default: Date.now(). */
  tsMs?: number;
}

/**
 * Builds and signs a `call` envelope. Throws a ToolsealError with code
 * -32602 (InvalidParams) and `data.errors` when `args` is not a plain JSON
 * object the server could accept (non-finite numbers, lone surrogates,
 * `undefined`, too deep), instead of sending something that cannot verify.
 */
export function signEnvelope(clientKey: HmacKey, fields: EnvelopeFields): Envelope {
  let args: JsonObject | undefined;
  // toWireEnvelope lists the envelope's own keys in order: args decide.
  let order: KeyOrder = 'canonical';
  if (fields.args !== undefined) {
    if (fields.args === null || typeof fields.args !== 'object' || Array.isArray(fields.args)) {
      throw new ToolsealError(ErrorCode.InvalidParams, 'args must be a JSON object', { errors: [{ path: '/args', message: 'must be object' }] });
    }
    // The envelope is level 1 and args level 2 of the server's depth count.
    const inspected = inspectJsonValue(fields.args, MAX_DEPTH - 1);
    if (typeof inspected !== 'string') {
      const path = inspected.path === '/' ? '/args' : `/args${inspected.path}`;
      throw new ToolsealError(ErrorCode.InvalidParams, `args cannot be signed: ${path} ${inspected.message}`, { errors: [{ path, message: inspected.message }] });
    }
    args = fields.args as JsonObject;
    if (inspected !== 'canonical') order = 'other';
  }
  return signInPlace(
    clientKey,
    toWireEnvelope({
      requestId: fields.requestId ?? randomUUID(),
      tsMs: fields.tsMs ?? Date.now(),
      clientId: fields.clientId,
      serverId: fields.serverId,
      tool: fields.tool,
      nonce: fields.nonce ?? randomUUID(),
      args,
    }),
    order,
  );
}

/** Why something the server sent was not accepted. */
export type VerificationFailureReason =
  /** Not a plain JSON tree the client can canonicalize (too deep, lone surrogates). */
  | 'malformed'
  /** Does not match its schema. */
  | 'schema'
  /** The HMAC does not verify under the server key. */
  | 'signature'
  /** Signed, but answers another request (e.g. a replayed response). */
  | 'request-id'
  /** Signed, but names another server. */
  | 'server-id'
  /** A job notification addressed to another client. */
  | 'client-id'
  /** Signed, but dated further from the client's clock than its maxSkewMs. */
  | 'stale'
  /** A JSON-RPC error that only comes after authentication, without the signed response it must carry. */
  | 'unsigned'
  /** A JSON-RPC error whose signed response does not agree with its code (not an error, or a code answered before authentication). */
  | 'error-code'
  /** A second answer to a call already answered, or an answer to no call the client made. */
  | 'duplicate';

export interface VerificationFailure {
  reason: VerificationFailureReason;
  message: string;
}

/** The outcome of a verification: the checked value, or why it failed. */
export type Verification<T> = { ok: true; value: T } | { ok: false; failure: VerificationFailure };

/** A response that passed every check: the code's view plus the signed wire object as received. */
export interface VerifiedResponse<R = JsonObject> extends Omit<CallReply, 'result'> {
  result: R | null;
  /** The response exactly as received (snake_case, with its signature). */
  wire: Response;
}

/** A `job/status` notification that passed every check, camelCase, plus the wire object. */
export interface JobStatusUpdate extends JobStatusReport {
  /** The notification's params exactly as received (snake_case, with its signature). */
  wire: JobStatus;
}

/** What a response must match besides its schema. */
export interface ResponseExpectation {
  serverKey: HmacKey;
  serverId: string;
  /** The request_id of the envelope it answers. */
  requestId: string;
  /** How far ts_ms may be from `nowMs`, in ms (as the server's --max-skew-ms). Default 300000. */
  maxSkewMs?: number;
  /** The client's clock, Unix ms. Default Date.now(). */
  nowMs?: number;
  schemas?: SchemaRegistry;
}

/** How far a response's ts_ms may be from the client's clock by default: the server's default skew. */
export const DEFAULT_MAX_SKEW_MS = 300_000;

/** What a job notification must match besides its schema. */
export interface JobStatusExpectation {
  serverKey: HmacKey;
  serverId: string;
  /** The client the job belongs to: ours. */
  clientId: string;
  schemas?: SchemaRegistry;
}

/**
 * Checks a response (the `call` result, or an error's `data.response`):
 * JSON shape, schema, signature under the server key, then that it answers
 * `requestId` and comes from `serverId`. The signature is checked before the
 * ids, so a validly signed answer to another request counts as a replay.
 */
export function verifyResponse(value: unknown, expected: ResponseExpectation): Verification<VerifiedResponse> {
  const refused = signedIssue(value, (expected.schemas ?? defaultSchemas()).response, expected.serverKey, 'response');
  if (refused !== undefined) return refused;
  const response = value as Response;
  if (response.request_id !== expected.requestId) {
    return fail('request-id', `response answers request ${JSON.stringify(response.request_id)}, not ${JSON.stringify(expected.requestId)}`);
  }
  if (response.server_id !== expected.serverId) {
    return fail('server-id', `response comes from server ${JSON.stringify(response.server_id)}, not ${JSON.stringify(expected.serverId)}`);
  }
  const maxSkewMs = expected.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const skewMs = Math.abs((expected.nowMs ?? Date.now()) - response.ts_ms);
  if (skewMs > maxSkewMs) {
    return fail('stale', `response is dated ${skewMs} ms from the client's clock, more than ${maxSkewMs} ms`);
  }
  const verified = fromWireResponse(response) as VerifiedResponse;
  verified.wire = response;
  return { ok: true, value: verified };
}

/** A JSON-RPC error object as received: code, message and data unchecked. */
export interface ReceivedError {
  code: number;
  message: string;
  data?: unknown;
}

/** A JSON-RPC error that passed verifyErrorAnswer, with what it may be trusted for. */
export interface ErrorAnswer {
  code: number;
  /** The signed response's `error` text when verified; the text as received otherwise. */
  message: string;
  data: Record<string, unknown> | undefined;
  /** Whether it came with a signed error response that agrees with its code. */
  verified: boolean;
}

/** Codes the server answers only once it has authenticated the call (pipeline steps 6-8). */
const AUTHENTICATED_CODES = codesWith('afterAuthentication');

/**
 * Of those, the codes that never come without a signed response. -32013 also
 * answers a full replay cache at step 5, -32015 a shared state out of reach
 * at step 5, and -32603 a failure outside the call pipeline, all before any
 * response can be signed, so those three are checked only when they carry one.
 */
const ALWAYS_SIGNED_CODES = codesWith('alwaysSigned');

/**
 * Checks a JSON-RPC error answering a call. The code is not covered by any
 * signature, so it must agree with what is signed:
 * - a code that only comes after authentication (-32010, -32011, -32012,
 *   -32014) must carry a signed response (`data.response`);
 * - a `data.response`, when present, must verify like any response, be an
 *   error (`ok: false`, `status: "error"`) and come with a code answered
 *   after authentication (-32010..-32015, -32603);
 * - then the error is verified and its message is the signed `error` text.
 * Any other error (one answered before authentication) passes unverified,
 * its text as received.
 */
export function verifyErrorAnswer(error: ReceivedError, expected: ResponseExpectation): Verification<ErrorAnswer> {
  const data = asErrorData(error.data);
  if (data === undefined || !Object.hasOwn(data, 'response')) {
    if (ALWAYS_SIGNED_CODES.has(error.code)) return fail('unsigned', `error ${error.code} comes after authentication, yet carries no signed response`);
    return { ok: true, value: { code: error.code, message: error.message, data, verified: false } };
  }
  const verified = verifyResponse(data.response, expected);
  if (!verified.ok) return verified;
  const response = verified.value;
  if (response.ok || response.status !== 'error') {
    return fail('error-code', `error ${error.code} carries a signed response that is not an error (status ${JSON.stringify(response.status)})`);
  }
  if (!AUTHENTICATED_CODES.has(error.code)) {
    return fail('error-code', `error ${error.code} is answered before authentication, yet carries a signed response`);
  }
  const message = response.error ?? ErrorMessage[error.code as ErrorCodeValue];
  return { ok: true, value: { code: error.code, message, data, verified: true } };
}

/** A JSON-RPC error's data in ToolsealError's shape. */
function asErrorData(data: unknown): Record<string, unknown> | undefined {
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'object' && !Array.isArray(data)) return data as Record<string, unknown>;
  return { value: data };
}

/** Checks a `job/status` notification: JSON shape, schema, signature, server id, and that the job is ours. */
export function verifyJobStatus(value: unknown, expected: JobStatusExpectation): Verification<JobStatusUpdate> {
  const refused = signedIssue(value, (expected.schemas ?? defaultSchemas()).jobStatus, expected.serverKey, 'job status');
  if (refused !== undefined) return refused;
  const status = value as JobStatus;
  if (status.server_id !== expected.serverId) {
    return fail('server-id', `job status comes from server ${JSON.stringify(status.server_id)}, not ${JSON.stringify(expected.serverId)}`);
  }
  if (status.client_id !== expected.clientId) {
    return fail('client-id', `job status is addressed to client ${JSON.stringify(status.client_id)}, not ${JSON.stringify(expected.clientId)}`);
  }
  const verified = fromWireJobStatus(status) as JobStatusUpdate;
  verified.wire = status;
  return { ok: true, value: verified };
}

/** Why `value` is not a message signed by the server (shape, schema, signature), or undefined when it is one. */
function signedIssue(value: unknown, schema: SchemaRegistry['response'], serverKey: HmacKey, what: string): { ok: false; failure: VerificationFailure } | undefined {
  const text = signedTextOf(value, schema, MAX_RECEIVED_DEPTH);
  const problem = typeof text === 'string' ? signatureProblem([serverKey], value as Signed, text, schema) : text;
  if (problem === undefined) return undefined;
  if (problem.step === 'json') return fail('malformed', `${what} is not canonical JSON at ${problem.issue.path}: ${problem.issue.message}`);
  if (problem.step === 'schema') return fail('schema', `${what} fails its schema at ${problem.issues[0]!.path}: ${problem.issues[0]!.message}`);
  return fail('signature', `${what} signature does not verify with the server key`);
}

function fail(reason: VerificationFailureReason, message: string): { ok: false; failure: VerificationFailure } {
  return { ok: false, failure: { reason, message } };
}
