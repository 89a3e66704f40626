/**
 * The client's half of the wire contract, as plain functions: signing an
 * envelope, and verifying what the server sends back. Shared by ToolClient
 * and the `sign` command; no I/O.
 */
import { randomUUID } from 'node:crypto';
import { checkJsonValue, MAX_DEPTH } from '../protocol/canonical';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import type { HmacKey } from '../protocol/hmacKey';
import { SchemaRegistry } from '../protocol/schemas';
import { signInPlace, verifySigned } from '../protocol/signing';
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
  if (fields.args !== undefined) {
    if (fields.args === null || typeof fields.args !== 'object' || Array.isArray(fields.args)) {
      throw new ToolsealError(ErrorCode.InvalidParams, 'args must be a JSON object', { errors: [{ path: '/args', message: 'must be object' }] });
    }
    // The envelope is level 1 and args level 2 of the server's depth count.
    const issue = checkJsonValue(fields.args, MAX_DEPTH - 1);
    if (issue) {
      const path = issue.path === '/' ? '/args' : `/args${issue.path}`;
      throw new ToolsealError(ErrorCode.InvalidParams, `args cannot be signed: ${path} ${issue.message}`, { errors: [{ path, message: issue.message }] });
    }
    args = fields.args as JsonObject;
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
  | 'client-id';

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
  schemas?: SchemaRegistry;
}

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
  const checked = checkSigned<Response>(value, (expected.schemas ?? defaultSchemas()).response, expected.serverKey, 'response');
  if (!checked.ok) return checked;
  const response = checked.value;
  if (response.request_id !== expected.requestId) {
    return fail('request-id', `response answers request ${JSON.stringify(response.request_id)}, not ${JSON.stringify(expected.requestId)}`);
  }
  if (response.server_id !== expected.serverId) {
    return fail('server-id', `response comes from server ${JSON.stringify(response.server_id)}, not ${JSON.stringify(expected.serverId)}`);
  }
  const verified = fromWireResponse(response) as VerifiedResponse;
  verified.wire = response;
  return { ok: true, value: verified };
}

/** Checks a `job/status` notification: JSON shape, schema, signature, server id, and that the job is ours. */
export function verifyJobStatus(value: unknown, expected: JobStatusExpectation): Verification<JobStatusUpdate> {
  const checked = checkSigned<JobStatus>(value, (expected.schemas ?? defaultSchemas()).jobStatus, expected.serverKey, 'job status');
  if (!checked.ok) return checked;
  const status = checked.value;
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

function checkSigned<T extends { signature: string }>(
  value: unknown,
  schema: SchemaRegistry['response'],
  serverKey: HmacKey,
  what: string,
): Verification<T> {
  const shape = checkJsonValue(value, MAX_RECEIVED_DEPTH);
  if (shape) return fail('malformed', `${what} is not canonical JSON at ${shape.path}: ${shape.message}`);
  const issues = schema.check(value);
  if (issues.length > 0) return fail('schema', `${what} fails its schema at ${issues[0]!.path}: ${issues[0]!.message}`);
  if (!verifySigned([serverKey], value as T)) return fail('signature', `${what} signature does not verify with the server key`);
  return { ok: true, value: value as T };
}

function fail(reason: VerificationFailureReason, message: string): { ok: false; failure: VerificationFailure } {
  return { ok: false, failure: { reason, message } };
}
