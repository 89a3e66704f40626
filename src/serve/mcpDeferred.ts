/**
 * The MCP front end as `createServer` installs it: its methods are known
 * from the start, but its modules are loaded, and its handlers made, when
 * the first MCP message arrives. A host that only speaks `call` never loads
 * them, and a server's first answer does not wait for them.
 */
import type { McpFrontEndOptions, McpHandlers } from '../mcp/frontEnd';
import type { ToolServer } from '../server/server';

/** The MCP methods, as in mcp/frontEnd.ts (a test holds the two lists equal). */
export const DEFERRED_MCP_REQUESTS: readonly string[] = ['initialize', 'ping', 'tools/list', 'tools/call', 'tasks/get', 'tasks/result', 'tasks/cancel', 'tasks/list'];
export const DEFERRED_MCP_NOTIFICATIONS: readonly string[] = ['notifications/initialized', 'notifications/cancelled'];

/* eslint-disable @typescript-eslint/no-require-imports */
/** Loads the front end's modules. */
function frontEndModule(): typeof import('../mcp/frontEnd') {
  return require('../mcp/frontEnd') as typeof import('../mcp/frontEnd');
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Adds the MCP methods to `server` (before `start`); what `checkMcpOptions`
 * refuses is refused now. The handlers are made with the first MCP message.
 */
export function installDeferredMcpFrontEnd(server: ToolServer, options: McpFrontEndOptions): void {
  // What --allow-unsigned-mcp may refuse is refused at start, and its warning logged there.
  if (options.allowUnsigned === true) frontEndModule().checkMcpOptions(options);
  let handlers: McpHandlers | undefined;
  const loaded = (): McpHandlers => (handlers ??= frontEndModule().mcpHandlers(server, options));
  for (const method of DEFERRED_MCP_REQUESTS) server.addMethod(method, (params, id) => loaded().methods.get(method)!(params, id));
  for (const method of DEFERRED_MCP_NOTIFICATIONS) server.addNotificationHandler(method, (params) => loaded().notifications.get(method)!(params));
}

