/**
 * The codes of JSON-RPC errors on MCP requests. toolseal's own codes sit in
 * JSON-RPC's server-error range (-32000 to -32099), where the MCP SDK gives
 * codes meanings of its own: -32000 connection closed, -32001 request
 * timeout (our `unauthenticated`), -32042 URL elicitation required; and MCP
 * answers a missing resource with -32002 (our `stale request`). So on MCP
 * requests each toolseal code answers as the same digits in -33000..-33099,
 * outside JSON-RPC's reserved range (-32768 to -32000), where MCP and its
 * SDK define no code; `data.toolseal_code` keeps toolseal's own. An unknown
 * tool answers as MCP's own example: -32602 "Unknown tool: <name>". The
 * standard JSON-RPC codes (-32700, -32600 to -32603) are unchanged, and so
 * are the answers of the `call` method.
 */
import { ErrorCode, ToolsealError } from '../protocol/errors';
import { RequestCancelledError } from './cancellation';

/** toolseal code -> MCP code. */
export const MCP_ERROR_CODES: ReadonlyMap<number, number> = new Map([
  [ErrorCode.Unauthenticated, -33001],
  [ErrorCode.StaleRequest, -33002],
  [ErrorCode.ReplayedNonce, -33003],
  [ErrorCode.WrongServer, -33004],
  [ErrorCode.UnknownTool, ErrorCode.InvalidParams],
  [ErrorCode.InvalidArguments, -33011],
  [ErrorCode.UnknownJob, -33012],
  [ErrorCode.LimitExceeded, -33013],
  [ErrorCode.ToolFailed, -33014],
  [ErrorCode.StateUnavailable, -33015],
]);

/**
 * LSP's code for a cancelled request. Never sent: a cancelled request's
 * answer is dropped. It only keeps the server from logging the cancellation
 * as an internal error.
 */
const REQUEST_CANCELLED = -32800;

/** A failure of an MCP request as it is answered. */
export function toMcpError(err: unknown): unknown {
  if (err instanceof RequestCancelledError) return new ToolsealError(REQUEST_CANCELLED, err.message);
  if (!(err instanceof ToolsealError)) return err;
  const code = MCP_ERROR_CODES.get(err.code);
  if (code === undefined) return err;
  const data = { ...err.data, toolseal_code: err.code };
  const message = err.code === ErrorCode.UnknownTool ? `Unknown tool: ${String(err.data?.tool)}` : err.message;
  return new ToolsealError(code, message, data);
}
