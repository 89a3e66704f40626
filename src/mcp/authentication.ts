/**
 * Who is asking: an MCP request either carries a signed toolseal envelope
 * in `params._meta["toolseal/envelope"]`, checked by the same pipeline as
 * `call` (steps 1-5) and bound to the request, or it is unsigned, which only
 * `--allow-unsigned-mcp` lets through.
 */
import { randomUUID } from 'node:crypto';
import { canonicalize } from '../protocol/canonical';
import { ErrorCode, ToolsealError, type ValidationIssue } from '../protocol/errors';
import type { CallRequest } from '../protocol/wire';
import type { CallPipeline } from '../server/pipeline';
import { ENVELOPE_META_KEY, UNSIGNED_CLIENT_ID } from './constants';
import type { SignedTarget } from './params';

/**
 * Checks that a verified envelope covers the request it came with: its
 * `tool` equals the target's and its `args` equal the target's args in RFC
 * 8785 canonical form, absent counting as `{}` on both sides. That is what
 * `call` runs (`args` absent means `{}`), and MCP hosts differ in sending
 * `arguments: {}` or nothing; the signature itself still covers the envelope
 * exactly as signed. Both values passed `checkJsonValue` already.
 */
export function checkEnvelopeBinding(call: CallRequest, target: SignedTarget): void {
  const errors: ValidationIssue[] = [];
  if (call.tool !== target.tool) {
    errors.push({ path: '/tool', message: `must be ${JSON.stringify(target.tool)}, what the request asks for` });
  }
  if (canonicalize(call.args) !== canonicalize(target.args ?? {})) {
    errors.push({ path: '/args', message: "must equal the request's arguments" });
  }
  if (errors.length > 0) {
    throw new ToolsealError(ErrorCode.Unauthenticated, 'unauthenticated: the signed envelope does not match this request', {
      reason: 'envelope_mismatch',
      errors,
    });
  }
}

/** The answer to an unsigned request when unsigned requests are not allowed. */
export function unsignedRefused(): ToolsealError {
  return new ToolsealError(
    ErrorCode.Unauthenticated,
    `unauthenticated: this request is unsigned; put a signed toolseal envelope in params._meta["${ENVELOPE_META_KEY}"], ` +
      'or start the server with --allow-unsigned-mcp',
    { reason: 'unsigned' },
  );
}

export interface McpAuthenticatorOptions {
  pipeline: CallPipeline;
  serverId: string;
  /** `--allow-unsigned-mcp`: unsigned requests run as UNSIGNED_CLIENT_ID. */
  allowUnsigned: boolean;
  now?: () => number;
}

export class McpAuthenticator {
  private readonly now: () => number;

  constructor(private readonly options: McpAuthenticatorOptions) {
    this.now = options.now ?? Date.now;
  }

  get allowsUnsigned(): boolean {
    return this.options.allowUnsigned;
  }

  /**
   * The call a request makes. With an envelope (whatever the mode): the
   * pipeline's steps 1-5 (shape, signature, server id, freshness, replay;
   * the nonce is spent once they pass), then the binding to `target`.
   * Without one: refused, or under `--allow-unsigned-mcp` a call by
   * UNSIGNED_CLIENT_ID with a fresh request id.
   */
  async authenticate(envelope: unknown, target: SignedTarget): Promise<CallRequest> {
    if (envelope === undefined) {
      if (!this.options.allowUnsigned) throw unsignedRefused();
      return {
        requestId: `mcp:${randomUUID()}`,
        tsMs: this.now(),
        clientId: UNSIGNED_CLIENT_ID,
        serverId: this.options.serverId,
        tool: target.tool,
        args: target.args ?? {},
        nonce: randomUUID(),
      };
    }
    const call = await this.options.pipeline.authenticate(envelope);
    checkEnvelopeBinding(call, target);
    return call;
  }
}
