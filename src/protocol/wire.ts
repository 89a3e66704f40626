/**
 * The wire shapes (snake_case, generated from schemas/) and the one boundary
 * where they meet the camelCase objects the code works with.
 */
import type { Envelope, JobStatus, Response } from '../generated/schemas';

export type { Envelope, JobStatus, Response };

/** The protocol version every message carries. */
export const PROTOCOL_VERSION = 'mcp/0.1';
/** JSON-RPC method of a signed call (client -> server request). */
export const CALL_METHOD = 'call';
/** JSON-RPC method of a signed job status (server -> client notification). */
export const JOB_STATUS_METHOD = 'job/status';

export type UnsignedEnvelope = Omit<Envelope, 'signature'>;
export type UnsignedResponse = Omit<Response, 'signature'>;
export type UnsignedJobStatus = Omit<JobStatus, 'signature'>;

export type ResponseStatus = Response['status'];
export type JobStatusState = JobStatus['status'];
export type JsonObject = Record<string, unknown>;

/** A verified call, in the code's terms. */
export interface CallRequest {
  requestId: string;
  tsMs: number;
  clientId: string;
  serverId: string;
  tool: string;
  args: JsonObject;
  nonce: string;
}

/** What a call answers, before it is put on the wire and signed. */
export interface CallReply {
  requestId: string;
  serverId: string;
  tsMs: number;
  ok: boolean;
  status: ResponseStatus;
  result: JsonObject | null;
  error: string | null;
}

/** One job transition or progress report, before it is put on the wire and signed. */
export interface JobStatusReport {
  jobId: string;
  requestId: string;
  clientId: string;
  serverId: string;
  tsMs: number;
  seq: number;
  status: JobStatusState;
  progress?: number;
  result?: JsonObject;
  error?: string;
}

/** Reads an envelope (already schema-valid) into a CallRequest; absent args are {}. */
export function fromWireEnvelope(envelope: Envelope): CallRequest {
  return {
    requestId: envelope.request_id,
    tsMs: envelope.ts_ms,
    clientId: envelope.client_id,
    serverId: envelope.server_id,
    tool: envelope.tool,
    args: envelope.args ?? {},
    nonce: envelope.nonce,
  };
}

/**
 * The wire objects below are built with their keys in RFC 8785 order (sorted
 * by UTF-16 code units): their canonical form is then what JSON.stringify
 * writes, the fast path of `canonicalize`, on this side and, once parsed,
 * on the other.
 */

/** Puts a call on the wire, unsigned. `args` is omitted when undefined. */
export function toWireEnvelope(call: Omit<CallRequest, 'args'> & { args?: JsonObject }): UnsignedEnvelope {
  const { clientId, nonce, requestId, serverId, tool, tsMs } = call;
  if (call.args === undefined) {
    return { client_id: clientId, nonce, request_id: requestId, server_id: serverId, tool, ts_ms: tsMs, v: PROTOCOL_VERSION };
  }
  return { args: call.args, client_id: clientId, nonce, request_id: requestId, server_id: serverId, tool, ts_ms: tsMs, v: PROTOCOL_VERSION };
}

/** Puts a reply on the wire, unsigned. */
export function toWireResponse(reply: CallReply): UnsignedResponse {
  return {
    error: reply.error,
    ok: reply.ok,
    request_id: reply.requestId,
    result: reply.result,
    server_id: reply.serverId,
    status: reply.status,
    ts_ms: reply.tsMs,
    v: PROTOCOL_VERSION,
  };
}

/** Reads a (verified) response into a CallReply. */
export function fromWireResponse(response: Response): CallReply {
  return {
    requestId: response.request_id,
    serverId: response.server_id,
    tsMs: response.ts_ms,
    ok: response.ok,
    status: response.status,
    result: (response.result as JsonObject | null) ?? null,
    error: response.error ?? null,
  };
}

/** Puts a job status on the wire, unsigned; optional fields only when set. */
export function toWireJobStatus(report: JobStatusReport): UnsignedJobStatus {
  // Built key by key, in order, so the optional ones land in their place.
  const status: Partial<UnsignedJobStatus> = { client_id: report.clientId };
  if (report.error !== undefined) status.error = report.error;
  status.job_id = report.jobId;
  if (report.progress !== undefined) status.progress = report.progress;
  status.request_id = report.requestId;
  if (report.result !== undefined) status.result = report.result;
  status.seq = report.seq;
  status.server_id = report.serverId;
  status.status = report.status;
  status.ts_ms = report.tsMs;
  status.v = PROTOCOL_VERSION;
  return status as UnsignedJobStatus;
}

/** Reads a (verified) job status into a JobStatusReport. */
export function fromWireJobStatus(status: JobStatus): JobStatusReport {
  const report: JobStatusReport = {
    jobId: status.job_id,
    requestId: status.request_id,
    clientId: status.client_id,
    serverId: status.server_id,
    tsMs: status.ts_ms,
    seq: status.seq,
    status: status.status,
  };
  if (status.progress !== undefined) report.progress = status.progress;
  if (status.result !== undefined) report.result = status.result as JsonObject;
  if (status.error !== undefined) report.error = status.error;
  return report;
}
