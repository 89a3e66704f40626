import type { JobService } from '../jobs';
import { MAX_DEPTH } from '../protocol/canonical';
import { ErrorCode, ToolsealError } from '../protocol/errors';
import { isPending, type Eventually } from '../protocol/eventually';
import type { HmacKey } from '../protocol/hmacKey';
import type { Keyring } from '../protocol/keyring';
import type { SchemaRegistry } from '../protocol/schemas';
import { signatureProblem, signedTextOf, type SignedMessageProblem } from '../protocol/signing';
import {
  fromWireEnvelope,
  type CallReply,
  type CallRequest,
  type Envelope,
  type Response,
} from '../protocol/wire';
import { OpenSignals } from '../tools/context';
import { ToolRegistry, type RegisteredTool } from '../tools/registry';
import { duplicateKeyIn, duplicateKeyIssue } from '../transport/duplicateKeys';
import { logsAt, type Logger } from './logger';
import type { ReplayStore, ReplayVerdict } from './replayStore';
import { ServerSigner } from './signer';
import { ToolRunner, type DispatchOptions, type ToolReply } from './toolRunner';

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
  jobs: JobService;
  logger: Logger;
  settings: PipelineSettings;
  /** Server clock, Unix ms. */
  now?: () => number;
  /** Signs the answers (default: one with `keyring` and `now`). */
  signer?: ServerSigner;
}

/**
 * The checks of a `call`, in the order of docs/protocol.md section 6. Each step is
 * a small function; the first failure throws a ToolsealError and nothing
 * after it runs. `authenticate` covers steps 1-5 and `dispatch` steps 6-8, so
 * other front ends (an MCP `tools/call` carrying an envelope) reuse the same
 * checks.
 */
export class CallPipeline {
  private readonly now: () => number;
  /** Verified against when the client id is unknown, so both failures cost the same. */
  private readonly decoyKeys: readonly HmacKey[];

  private readonly runner: ToolRunner;
  private readonly signer: ServerSigner;
  /** Decided once: at `debug` each call is timed and logged, above it nothing is. */
  private readonly logsCalls: boolean;
  private readonly logsRefusals: boolean;
  /** Calls whose tools took `ctx.signal`: a shutdown aborts them. */
  readonly openSignals = new OpenSignals();

  constructor(private readonly deps: PipelineDeps) {
    this.now = deps.now ?? Date.now;
    this.decoyKeys = [deps.keyring.serverKey];
    this.signer = deps.signer ?? new ServerSigner(deps.keyring, this.now);
    this.logsCalls = logsAt(deps.logger, 'debug');
    this.logsRefusals = logsAt(deps.logger, 'info');
    this.runner = new ToolRunner({
      jobs: deps.jobs,
      logger: deps.logger,
      scope: { logger: deps.logger, openSignals: this.openSignals },
      pollIntervalMs: deps.settings.pollIntervalMs,
      maxDepth: deps.settings.maxDepth,
    });
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
    return this.logsCalls ? this.handleLogged(params) : this.handleNow(params);
  }

  private handleNow(params: unknown): Eventually<Response> {
    // Each step's "later" branch builds its closure only when it is taken.
    const call = this.authenticate(params);
    return isPending(call) ? call.then((verified) => this.execute(verified)) : this.execute(call);
  }

  /** handleNow plus one debug line per call: who, what, the outcome code (0 for an answer) and how long it took. */
  private handleLogged(params: unknown): Eventually<Response> {
    return this.withCallLine(() => callIdentity(params), () => this.handleNow(params));
  }

  /**
   * Steps 6-8 for a call a front end authenticated (an MCP `tools/call`):
   * tool, args, execution; failures carry a signed `data.response`. At
   * debug level it logs the call's line, naming the front end.
   */
  dispatch(call: CallRequest, options?: DispatchOptions): Eventually<Response> {
    if (!this.logsCalls) return this.execute(call, options);
    const identity = (): Record<string, unknown> => ({ request_id: call.requestId, client_id: call.clientId, tool: call.tool, via: options?.origin ?? 'front end' });
    return this.withCallLine(identity, () => this.execute(call, options));
  }

  /** Runs `run` and logs the call's debug line once it has answered or failed. */
  private withCallLine<T>(identity: () => Record<string, unknown>, run: () => Eventually<T>): Eventually<T> {
    const started = performance.now();
    const failed = (err: unknown): never => {
      this.logCall(identity(), started, outcomeCode(err));
      throw err;
    };
    try {
      const answer = run();
      if (!isPending(answer)) {
        this.logCall(identity(), started, 0);
        return answer;
      }
      return answer.then((settled) => {
        this.logCall(identity(), started, 0);
        return settled;
      }, failed);
    } catch (err) {
      return failed(err);
    }
  }

  /** The debug line of one call: who, what, the outcome code (0 for an answer) and how long it took since `started`. */
  private logCall(identity: Record<string, unknown>, started: number, code: number): void {
    this.deps.logger.debug('call', { ...identity, code, duration_ms: Math.round((performance.now() - started) * 1000) / 1000 });
  }

  /**
   * Steps 1-5: shape, signature, server id, freshness, replay. Returns the
   * verified call; synchronous (a value or a throw) when the replay store
   * is, a promise otherwise. Refusals are logged at info.
   */
  authenticate(params: unknown): Eventually<CallRequest> {
    if (!this.logsRefusals) return this.authenticateChecked(params);
    try {
      const call = this.authenticateChecked(params);
      return isPending(call) ? call.catch((err: unknown) => this.refused(params, err)) : call;
    } catch (err) {
      return this.refused(params, err);
    }
  }

  /** Logs a call refused at steps 1-5 (info), then rethrows. Never a secret, a signature or an argument value. */
  private refused(params: unknown, err: unknown): never {
    if (err instanceof ToolsealError) {
      const identity = callIdentity(params);
      const reason = err.code === ErrorCode.Unauthenticated && !this.deps.keyring.clients.has(String(identity.client_id)) ? 'unknown_client' : REFUSAL_REASONS[err.code];
      this.deps.logger.info('call_refused', { ...identity, reason: reason ?? 'error', code: err.code });
    }
    throw err;
  }

  private authenticateChecked(params: unknown): Eventually<CallRequest> {
    const signedText = checkEnvelope(params, this.deps.schemas, this.deps.settings.maxDepth);
    const envelope = params as Envelope;
    this.checkSignature(envelope, signedText);
    checkServer(envelope, this.deps.keyring.serverId);
    const now = this.now();
    checkFreshness(envelope, now, this.deps.settings.maxSkewMs);
    // An envelope fresh now has ts_ms <= now + skew, so it stays fresh at most
    // through now + 2 skew: the store keeps the nonce through that instant
    // included (a clock that only moves forward can never see it fresh again).
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
      throw new ToolsealError(ErrorCode.LimitExceeded, 'too many recent calls: the replay cache (or this client\'s share of it) is full, try again later');
    }
    return fromWireEnvelope(envelope);
  }

  /** Steps 6-8: tool, args, execution; failures carry a signed `data.response`. */
  private execute(call: CallRequest, options?: DispatchOptions): Eventually<Response> {
    try {
      const tool = this.lookupTool(call);
      validateArgs(tool, call.args);
      const reply = this.runner.run(tool, call, options);
      if (isPending(reply)) {
        return reply.then((settled) => this.signedSuccess(call, settled)).catch((err: unknown) => this.failCall(call, err));
      }
      return this.signedSuccess(call, reply);
    } catch (err) {
      return this.failCall(call, err);
    }
  }

  private signedSuccess(call: CallRequest, reply: ToolReply): Response {
    return this.signer.response(call.requestId, { ok: true, status: reply.status, result: reply.result, error: reply.error }, reply.resultOrder);
  }

  /** Steps 6-8 failed: the error, carrying a signed error response. */
  private failCall(call: CallRequest, err: unknown): never {
    throw this.withSignedResponse(call, this.asCallError(err, call));
  }

  /** Signs a reply to `call` with the server key. */
  signReply(call: CallRequest, reply: Pick<CallReply, 'ok' | 'status' | 'result' | 'error'>): Response {
    return this.signer.response(call.requestId, reply);
  }

  /**
   * Step 2: the signature, over `signedText` (checkEnvelope's). A signature
   * that is not even 64 lowercase hex digits fails step 1 after all (its
   * pattern is checked only now, see signedTextOf).
   */
  private checkSignature(envelope: Envelope, signedText: string): void {
    const keys = this.deps.keyring.clients.get(envelope.client_id);
    const problem = signatureProblem(keys ?? this.decoyKeys, envelope, signedText, this.deps.schemas.envelope);
    if (problem?.step === 'schema') throw invalidParams(problem);
    if (!keys || problem) throw new ToolsealError(ErrorCode.Unauthenticated, 'unauthenticated');
  }

  /** Step 6: the tool, if it exists and the client may call it (a tool it may not call answers as an unknown one). */
  private lookupTool(call: CallRequest): RegisteredTool {
    const tool = this.deps.tools.get(call.tool);
    if (tool !== undefined && ToolRegistry.allows(tool, this.deps.keyring.allowedTools.get(call.clientId))) return tool;
    if (tool !== undefined) {
      this.deps.logger.info('call_refused', { request_id: call.requestId, client_id: call.clientId, tool: call.tool, reason: 'tool_not_allowed', code: ErrorCode.UnknownTool });
    }
    throw new ToolsealError(ErrorCode.UnknownTool, 'unknown tool', { tool: call.tool });
  }

  /** The tools `clientId` may call, as list_tools lists them. */
  toolsFor(clientId: string): ReturnType<ToolRegistry['list']> {
    return this.deps.tools.listAllowed(this.deps.keyring.allowedTools.get(clientId));
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

/** Why a call was refused at steps 1-5, for the log (-32001 is `unknown_client` when the client id is not in the keyring). */
const REFUSAL_REASONS: Readonly<Record<number, string>> = {
  [ErrorCode.InvalidParams]: 'invalid_params',
  [ErrorCode.Unauthenticated]: 'bad_signature',
  [ErrorCode.StaleRequest]: 'stale',
  [ErrorCode.ReplayedNonce]: 'replay',
  [ErrorCode.WrongServer]: 'wrong_server',
  [ErrorCode.LimitExceeded]: 'replay_cache_full',
  [ErrorCode.StateUnavailable]: 'state_unavailable',
};

/** A failed call's code for the log: its ToolsealError's, else -32603. */
function outcomeCode(err: unknown): number {
  return err instanceof ToolsealError ? err.code : ErrorCode.InternalError;
}

/** Longest id or name copied from a call into the log: they come from the peer, checked or not. */
const MAX_LOGGED_TEXT = 200;

/** The envelope's request_id, client_id and tool, as far as they are readable strings; nothing else. */
function callIdentity(params: unknown): { request_id?: string; client_id?: string; tool?: string } {
  if (typeof params !== 'object' || params === null) return {};
  const p = params as Record<string, unknown>;
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length <= MAX_LOGGED_TEXT ? value : undefined);
  return { request_id: text(p.request_id), client_id: text(p.client_id), tool: text(p.tool) };
}

/**
 * Step 1: params is an object without duplicate keys, not nested too deeply,
 * canonicalizable, valid against the envelope schema: an Envelope. Returns
 * the text its signature must be the HMAC of (see signedTextOf, which
 * leaves the signature's pattern to the signature check).
 */
export function checkEnvelope(params: unknown, schemas: SchemaRegistry, maxDepth: number = MAX_DEPTH): string {
  // Found by the framing, which read the text (JSON.parse keeps the last of them).
  const duplicate = duplicateKeyIn(params);
  if (duplicate) throw new ToolsealError(ErrorCode.InvalidParams, 'Invalid params', { errors: [duplicateKeyIssue(duplicate)] });
  const signedText = signedTextOf(params, schemas.envelope, maxDepth);
  if (typeof signedText !== 'string') throw invalidParams(signedText);
  return signedText;
}

/** Step 1's refusal (-32602) of an envelope that is not canonicalizable or fails its schema. */
function invalidParams(problem: SignedMessageProblem): ToolsealError {
  const errors = problem.step === 'json' ? [problem.issue] : problem.step === 'schema' ? problem.issues : [];
  return new ToolsealError(ErrorCode.InvalidParams, 'Invalid params', { errors });
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

/**
 * Step 7: the args (absent means {}) are valid against the tool's input
 * schema. A valid call costs one first-error pass; an invalid one is then
 * checked again for every issue (capped), so a model can fix its call at once.
 */
export function validateArgs(tool: RegisteredTool, args: unknown): void {
  const first = tool.input.check(args);
  if (first.length === 0) return;
  const all = tool.input.checkAll(args);
  throw new ToolsealError(ErrorCode.InvalidArguments, 'invalid arguments', { errors: all.length > 0 ? all : first });
}

/** The human-readable `error` of a signed error response. */
function describeError(err: ToolsealError): string {
  const errors = err.data?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const first = errors[0] as { path?: unknown; message?: unknown };
    return `${err.message}: ${String(first.path)} ${String(first.message)}`;
  }
  // The name the caller asked for (envelope-checked: a short string), so the text says which tool.
  if (err.code === ErrorCode.UnknownTool && typeof err.data?.tool === 'string') return `${err.message} ${JSON.stringify(err.data.tool)}`;
  return err.message;
}
