/**
 * The MCP front end: MCP methods on the same connection as `call`, over the
 * same pipeline, jobs and tools. `initialize`, `ping` and `tools/list` need
 * no signature; `tools/call` and the task methods do, unless the server runs
 * with `--allow-unsigned-mcp` (trust whoever holds the pipe).
 */
import type { JobUpdate } from '../jobs';
import { KeyringError, type Keyring } from '../protocol/keyring';
import type { Logger } from '../server/logger';
import type { MethodHandler, NotificationHandler, RequestId, ToolServer } from '../server/server';
import { McpAuthenticator } from './authentication';
import { CancellableRequests } from './cancellation';
import { McpMethod, UNSIGNED_CLIENT_ID } from './constants';
import { toMcpError } from './errors';
import { McpSession } from './session';
import { TaskHandlers } from './taskHandlers';
import { TaskRegistry } from './taskRegistry';
import { ToolHandlers } from './toolHandlers';

export interface McpFrontEndOptions {
  /** The server's keyring (its id, and its client ids, none of which may be the unsigned one). */
  keyring: Keyring;
  logger: Logger;
  /** `--allow-unsigned-mcp`. */
  allowUnsigned?: boolean;
  /** Server clock, Unix ms. */
  now?: () => number;
}

/** What was installed, for tests and embedders. */
export interface McpFrontEnd {
  readonly session: McpSession;
  readonly tasks: TaskRegistry;
}

/** The MCP methods' handlers, made for one server. */
export interface McpHandlers extends McpFrontEnd {
  readonly methods: ReadonlyMap<string, MethodHandler>;
  readonly notifications: ReadonlyMap<string, NotificationHandler>;
}

/** The JSON-RPC requests of the MCP front end. */
export const MCP_REQUEST_METHODS: readonly string[] = [
  McpMethod.Initialize,
  McpMethod.Ping,
  McpMethod.ToolsList,
  McpMethod.ToolsCall,
  McpMethod.TasksGet,
  McpMethod.TasksResult,
  McpMethod.TasksCancel,
  McpMethod.TasksList,
];
/** The client notifications the MCP front end handles. */
export const MCP_NOTIFICATION_METHODS: readonly string[] = [McpMethod.Initialized, McpMethod.Cancelled];

/**
 * Throws a KeyringError when unsigned calls are allowed and the keyring has
 * a client named like their pseudo client id, which would let that client
 * and unsigned callers share jobs; logs that unsigned calls are allowed.
 */
export function checkMcpOptions(options: McpFrontEndOptions): void {
  if (options.allowUnsigned === true && options.keyring.clients.has(UNSIGNED_CLIENT_ID)) {
    throw new KeyringError(`the keyring has a client named ${JSON.stringify(UNSIGNED_CLIENT_ID)}, which --allow-unsigned-mcp reserves`);
  }
  if (options.allowUnsigned === true) {
    options.logger.warn('mcp_unsigned_allowed', { client_id: UNSIGNED_CLIENT_ID, note: 'unsigned MCP calls are trusted: whoever holds the pipe may call every tool' });
  }
}

/**
 * Adds the MCP methods to a server (before `start`). Throws a KeyringError
 * when unsigned calls are allowed and the keyring has a client named like
 * their pseudo client id (see `checkMcpOptions`).
 */
export function installMcpFrontEnd(server: ToolServer, options: McpFrontEndOptions): McpFrontEnd {
  checkMcpOptions(options);
  const handlers = mcpHandlers(server, options);
  for (const [method, handler] of handlers.methods) server.addMethod(method, handler);
  for (const [method, handler] of handlers.notifications) server.addNotificationHandler(method, handler);
  return { session: handlers.session, tasks: handlers.tasks };
}

/**
 * Makes the MCP methods' handlers for `server` and follows its jobs (for
 * tasks); the caller adds the handlers to the server, now or when a first
 * MCP message arrives (serve/mcpDeferred.ts).
 */
export function mcpHandlers(server: ToolServer, options: McpFrontEndOptions): McpHandlers {
  const allowUnsigned = options.allowUnsigned === true;
  const session = new McpSession();
  const authenticator = new McpAuthenticator({
    pipeline: server.pipeline,
    serverId: options.keyring.serverId,
    allowUnsigned,
    now: options.now,
  });
  const tasks = new TaskRegistry({
    jobs: server.jobs,
    jobTtlMs: server.settings.jobTtlMs,
    pollIntervalMs: server.settings.pollIntervalMs,
    now: options.now,
  });
  const toolHandlers = new ToolHandlers({ session, authenticator, pipeline: server.pipeline, tools: server.tools, jobs: server.jobs, tasks });
  const taskHandlers = new TaskHandlers(authenticator, tasks);
  const cancellable = new CancellableRequests(server);
  const methods = new Map<string, MethodHandler>();
  const notifications = new Map<string, NotificationHandler>();
  /** An MCP method: its errors answer with MCP's codes (see errors.ts). */
  const addMethod = (method: string, handler: (params: unknown, id: RequestId) => Promise<unknown>): void => {
    methods.set(method, (params, id) =>
      handler(params, id).catch((err: unknown) => {
        throw toMcpError(err);
      }),
    );
  };

  addMethod(McpMethod.Initialize, async (params) => {
    const result = session.initialize(params);
    options.logger.info('mcp_initialize', { protocol_version: result.protocolVersion, client: session.clientInfo?.name });
    return result;
  });
  notifications.set(McpMethod.Initialized, () => session.markInitialized());
  addMethod(McpMethod.Ping, async () => ({}));
  addMethod(McpMethod.ToolsList, (params) => toolHandlers.list(params));
  // The requests worth cancelling: a running tool, a tasks/result waiting for its job.
  addMethod(McpMethod.ToolsCall, (params, id) => cancellable.run(id, (scope) => toolHandlers.call(params, scope)));
  addMethod(McpMethod.TasksGet, (params) => taskHandlers.get(params));
  addMethod(McpMethod.TasksResult, (params, id) => cancellable.run(id, (scope) => taskHandlers.result(params, scope.signal)));
  addMethod(McpMethod.TasksCancel, (params) => taskHandlers.cancel(params));
  addMethod(McpMethod.TasksList, (params) => taskHandlers.list(params));
  notifications.set(McpMethod.Cancelled, (params) => cancellable.cancel(params));

  server.onJobUpdate((update: JobUpdate) => {
    const sent = tasks.onJobUpdate(update);
    if (sent.progress !== undefined) server.notify(McpMethod.Progress, sent.progress);
    if (sent.status !== undefined) server.notify(McpMethod.TaskStatus, sent.status);
  });
  return { session, tasks, methods, notifications };
}
