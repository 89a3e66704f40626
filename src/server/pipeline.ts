import type { JobManager } from '../jobs';
import { checkJsonValue, MAX_DEPTH } from '../protocol/canonical';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import { isPending, type Eventually } from '../protocol/eventually';
import type { HmacKey } from '../protocol/hmacKey';
import type { Keyring } from '../protocol/keyring';
import type { SchemaRegistry } from '../protocol/schemas';
import { signInPlace, verifySigned } from '../protocol/signing';
import {
  fromWireEnvelope,
  toWireResponse,
  type CallReply,
  type CallRequest,
  type Envelope,
  type Response,
} from '../protocol/wire';
import type { RegisteredTool, ToolRegistry } from '../tools/registry';
import type { ToolContext, ToolReply } from '../tools/tool';
import type { Logger } from './logger';
import type { ReplayStore, ReplayVerdict } from './replayStore';

/** The settings the call pipeline reads. */
export interface PipelineSettings {
  /** Allowed |server time - ts_ms| (default 300000). */
  maxSkewMs: number;
  /** Suggested polling interval handed out with job ids. */
  pollIntervalMs: number;
  /** Nesting allowed in params and in tool output (the params object is level 1; default 64). */
  maxDepth: number;
}

/** What the pipeline works with. */
export interface PipelineDeps {
  schemas: SchemaRegistry;
  keyring: Keyring;
  tools: ToolRegistry;
  replay: ReplayStore;
  jobs: JobManager;
  logger: Logger;
  settings: PipelineSettings;
  fingerprint: string;
  /** Server clock, Unix ms. */
  now?: () => number;
}

/**
 * The checks of a `call`, in the order of PROTOCOL.md section 4. Each step is
 * a small function; the first failure throws a ToolsealError and nothing
 * after it runs. `authenticate` covers steps 1-5 and `dispatch` steps 6-8, so
 * other front ends (an MCP `tools/call` carrying an envelope) reuse the same
 * checks.
 */
export class CallPipeline {
  private readonly now: () => number;
  /** Verified against when the client id is unknown, so both failures cost the same. */
  private readonly decoyKeys: readonly HmacKey[];

  /** The tool list, for list_tools; one function shared by every call's context. */
  private readonly catalog = (): ReturnType<ToolRegistry['list']> => this.deps.tools.list();

  constructor(private readonly deps: PipelineDeps) {
    this.now = deps.now ?? Date.now;
    this.decoyKeys = [deps.keyring.serverKey];
  }

  /** Nesting allowed in params (the params object is level 1). */
  get maxDepth(): number {
    return this.deps.settings.maxDepth;
  }

  /**
   * Runs a whole call: params in, signed response out (or a ToolsealError).
   * Synchronous (a response, or a throw) when every step is: the in-memory
   * replay store and a synchronous tool; a promise as soon as one waits.
   */
  handle(params: unknown): Eventually<Response> {
    // Each step's "later" branch builds its closure only when it is taken.
    const call = this.authenticateNow(params);
    return isPending(call) ? call.then((verified) => this.dispatchNow(verified)) : this.dispatchNow(call);
  }

  /** Steps 1-5: shape, signature, server id, freshness, replay. Returns the verified call. */
  async authenticate(params: unknown): Promise<CallRequest> {
    return this.authenticateNow(params);
  }

  /** Steps 6-8: tool, args, execution; failures carry a signed `data.response`. */
  async dispatch(call: CallRequest): Promise<Response> {
    return this.dispatchNow(call);
  }

  private authenticateNow(params: unknown): Eventually<CallRequest> {
    const envelope = checkEnvelope(params, this.deps.schemas, this.deps.settings.maxDepth);
    this.checkSignature(envelope);
    checkServer(envelope, this.deps.keyring.serverId);
    const now = this.now();
    checkFreshness(envelope, now, this.deps.settings.maxSkewMs);
    const expiresMs = now + 2 * this.deps.settings.maxSkewMs;
    const verdict = this.deps.replay.remember(envelope.client_id, envelope.nonce, expiresMs, now);
    if (isPending(verdict)) return verdict.then((settled) => this.afterReplayCheck(envelope, settled));
    return this.afterReplayCheck(envelope, verdict);
  }

  /** Step 5's outcome: the verified call, or -32003 / -32013. */
  private afterReplayCheck(envelope: Envelope, verdict: ReplayVerdict): CallRequest {
    if (verdict === 'replayed') throw new ToolsealError(ErrorCode.ReplayedNonce, 'replayed nonce');
    if (verdict === 'full') {
      this.deps.logger.warn('replay_cache_full', { client_id: envelope.client_id });
      throw new ToolsealError(ErrorCode.LimitExceeded, 'too many recent calls: the replay cache is full, try again later');
    }
    return fromWireEnvelope(envelope);
  }

  private dispatchNow(call: CallRequest): Eventually<Response> {
    try {
      const tool = this.lookupTool(call);
      validateArgs(tool, call.args);
      const reply = this.execute(tool, call);
      if (isPending(reply)) {
        return reply.then((settled) => this.signedSuccess(call, settled)).catch((err: unknown) => this.failCall(call, err));
      }
      return this.signedSuccess(call, reply);
    } catch (err) {
      return this.failCall(call, err);
    }
  }

  private signedSuccess(call: CallRequest, reply: ToolReply): Response {
    return this.signReply(call, { ok: true, status: reply.status, result: reply.result, error: reply.error ?? null });
  }

  /** Steps 6-8 failed: the error, carrying a signed error response. */
  private failCall(call: CallRequest, err: unknown): never {
    throw this.withSignedResponse(call, this.asCallError(err, call));
  }

  /** Signs a reply to `call` with the server key. */
  signReply(call: CallRequest, reply: Pick<CallReply, 'ok' | 'status' | 'result' | 'error'>): Response {
    const unsigned = toWireResponse({
      requestId: call.requestId,
      serverId: this.deps.keyring.serverId,
      tsMs: this.now(),
      ok: reply.ok,
      status: reply.status,
      result: reply.result,
      error: reply.error,
    });
    return signInPlace(this.deps.keyring.serverKey, unsigned);
  }

  private checkSignature(envelope: Envelope): void {
    const keys = this.deps.keyring.clients.get(envelope.client_id);
    const valid = verifySigned(keys ?? this.decoyKeys, envelope);
    if (!keys || !valid) throw new ToolsealError(ErrorCode.Unauthenticated, 'unauthenticated');
  }

  private lookupTool(call: CallRequest): RegisteredTool {
    const tool = this.deps.tools.get(call.tool);
    if (!tool) throw new ToolsealError(ErrorCode.UnknownTool, 'unknown tool', { tool: call.tool });
    return tool;
  }

  /** Step 8: runs the tool and checks what it answers. */
  private execute(tool: RegisteredTool, call: CallRequest): Eventually<ToolReply> {
    let reply: Eventually<ToolReply>;
    try {
      reply = tool.definition.run(call.args, this.contextFor(call));
    } catch (err) {
      throw this.toolFailure(err, call);
    }
    if (isPending(reply)) {
      return reply.then(
        (settled) => this.checkReply(tool, call, settled),
        (err: unknown) => {
          throw this.toolFailure(err, call);
        },
      );
    }
    return this.checkReply(tool, call, reply);
  }

  /** A handler that threw: its own ToolsealError, or -32014 with the first line of its message. */
  private toolFailure(err: unknown, call: CallRequest): ToolsealError {
    if (err instanceof ToolsealError) return err;
    const message = err instanceof Error ? err.message : String(err);
    this.deps.logger.warn('tool_failed', { tool: call.tool, request_id: call.requestId, error: message });
    return new ToolsealError(ErrorCode.ToolFailed, `tool failed: ${summarize(message)}`);
  }

  /** The handler's reply, if it is one the server can sign and send. */
  private checkReply(tool: RegisteredTool, call: CallRequest, reply: ToolReply): ToolReply {
    // A handler that answers no reply object failed as surely as one that threw
    // (reading `result` off undefined would otherwise end as -32603).
    if (typeof reply !== 'object' || reply === null) {
      this.deps.logger.error('tool_output_invalid', { tool: call.tool, error: 'the handler returned no reply' });
      throw new ToolsealError(ErrorCode.ToolFailed, 'tool failed: it returned no reply');
    }
    if (reply.result !== null) {
      // The output is signed as RFC 8785 JSON and sent as JSON.stringify writes it. A value
      // the two write differently (a function, undefined, a lone surrogate) would go out
      // with a signature that fails, and one they refuse (NaN, Infinity, a BigInt) would
      // end as -32603; deep nesting could overflow the writer. All are the tool's failure.
      const jsonIssue = checkJsonValue(reply.result, this.deps.settings.maxDepth);
      if (jsonIssue) {
        this.deps.logger.error('tool_output_invalid', { tool: call.tool, errors: [jsonIssue] });
        throw new ToolsealError(ErrorCode.ToolFailed, 'tool failed: its output is not valid JSON');
      }
      const issues = tool.schemas.output.check(reply.result);
      if (issues.length > 0) {
        this.deps.logger.error('tool_output_invalid', { tool: call.tool, errors: issues });
        throw new ToolsealError(ErrorCode.ToolFailed, 'tool failed: its output does not match its output schema');
      }
    }
    return reply;
  }

  private contextFor(call: CallRequest): ToolContext {
    return {
      clientId: call.clientId,
      requestId: call.requestId,
      serverId: this.deps.keyring.serverId,
      fingerprint: this.deps.fingerprint,
      jobs: this.deps.jobs,
      pollIntervalMs: this.deps.settings.pollIntervalMs,
      catalog: this.catalog,
    };
  }

  private asCallError(err: unknown, call: CallRequest): ToolsealError {
    if (err instanceof ToolsealError) return err;
    this.deps.logger.error('internal_error', { request_id: call.requestId, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return new ToolsealError(ErrorCode.InternalError, 'Internal error');
  }

  private withSignedResponse(call: CallRequest, err: ToolsealError): ToolsealError {
    const detail = describeError(err);
    const response = this.signReply(call, { ok: false, status: 'error', result: null, error: detail });
    return new ToolsealError(err.code, err.message, { ...err.data, response });
  }
}

/** Step 1: params is an object, not nested too deeply, canonicalizable, valid against the envelope schema. */
export function checkEnvelope(params: unknown, schemas: SchemaRegistry, maxDepth: number = MAX_DEPTH): Envelope {
  const valueIssue = checkJsonValue(params, maxDepth);
  if (valueIssue) throw new ToolsealError(ErrorCode.InvalidParams, 'Invalid params', { errors: [valueIssue] });
  const issues = schemas.envelope.check(params);
  if (issues.length > 0) throw new ToolsealError(ErrorCode.InvalidParams, 'Invalid params', { errors: issues });
  return params as Envelope;
}

/** Step 3: the envelope is addressed to this server. */
export function checkServer(envelope: Envelope, serverId: string): void {
  if (envelope.server_id !== serverId) throw new ToolsealError(ErrorCode.WrongServer, 'wrong server');
}

/** Step 4: ts_ms is within max skew of the server clock, either way. */
export function checkFreshness(envelope: Envelope, nowMs: number, maxSkewMs: number): void {
  if (Math.abs(nowMs - envelope.ts_ms) > maxSkewMs) {
    throw new ToolsealError(ErrorCode.StaleRequest, 'stale request', { server_ts_ms: nowMs, max_skew_ms: maxSkewMs });
  }
}

/** Step 7: the args (absent means {}) are valid against the tool's input schema. */
export function validateArgs(tool: RegisteredTool, args: unknown): void {
  const issues = tool.schemas.input.check(args);
  if (issues.length > 0) throw new ToolsealError(ErrorCode.InvalidArguments, 'invalid arguments', { errors: issues });
}

/**
 * A handler's error message as it may go on the wire: its first line, cut to
 * 200 characters, so that a message that embeds a stack trace or a dump does
 * not leak it to the caller (the whole message is logged).
 */
function summarize(message: string): string {
  const firstLine = message.split(/\r?\n/, 1)[0] ?? '';
  return firstLine.length > 200 ? `${firstLine.slice(0, 200)}...` : firstLine;
}

/** The human-readable `error` of a signed error response. */
function describeError(err: ToolsealError): string {
  const errors = err.data?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const first = errors[0] as { path?: unknown; message?: unknown };
    return `${err.message}: ${String(first.path)} ${String(first.message)}`;
  }
  return err.message;
}
