/**
 * The MCP front end: MCP methods on the same connection as `call`, over the
 * same pipeline, jobs and tools. `initialize`, `ping` and `tools/list` need
 * no signature; `tools/call` and the task methods do, unless the server runs
 * with `--allow-unsigned-mcp` (trust whoever holds the pipe).
 */
import type { JobUpdate } from '../jobs';
import { KeyringError, type Keyring } from '../protocol/keyring';
import type { Logger } from '../server/logger';
import type { MethodHandler, RequestId, ToolServer } from '../server/server';
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

/**
 * Adds the MCP methods to a server (before `start`). Throws a KeyringError
 * when unsigned calls are allowed and the keyring has a client named like
 * their pseudo client id, which would let that client and unsigned callers
 * share jobs.
 */
export function installMcpFrontEnd(server: ToolServer, options: McpFrontEndOptions): McpFrontEnd {
  const allowUnsigned = options.allowUnsigned === true;
  if (allowUnsigned && options.keyring.clients.has(UNSIGNED_CLIENT_ID)) {
    throw new KeyringError(`the keyring has a client named ${JSON.stringify(UNSIGNED_CLIENT_ID)}, which --allow-unsigned-mcp reserves`);
  }
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
  /** An MCP method: its errors answer with MCP's codes (see errors.ts). */
  const addMethod = (method: string, handler: (params: unknown, id: RequestId) => Promise<unknown>): void => {
    const answer: MethodHandler = (params, id) =>
      handler(params, id).catch((err: unknown) => {
        throw toMcpError(err);
      });
    server.addMethod(method, answer);
  };

  addMethod(McpMethod.Initialize, async (params) => {
    const result = session.initialize(params);
    options.logger.info('mcp_initialize', { protocol_version: result.protocolVersion, client: session.clientInfo?.name });
    return result;
  });
  server.addNotificationHandler(McpMethod.Initialized, () => session.markInitialized());
  addMethod(McpMethod.Ping, async () => ({}));
  addMethod(McpMethod.ToolsList, (params) => toolHandlers.list(params));
  // The requests worth cancelling: a running tool, a tasks/result waiting for its job.
  addMethod(McpMethod.ToolsCall, (params, id) => cancellable.run(id, (scope) => toolHandlers.call(params, scope)));
  addMethod(McpMethod.TasksGet, (params) => taskHandlers.get(params));
  addMethod(McpMethod.TasksResult, (params, id) => cancellable.run(id, (scope) => taskHandlers.result(params, scope.signal)));
  addMethod(McpMethod.TasksCancel, (params) => taskHandlers.cancel(params));
  addMethod(McpMethod.TasksList, (params) => taskHandlers.list(params));
  server.addNotificationHandler(McpMethod.Cancelled, (params) => cancellable.cancel(params));

  server.onJobUpdate((update: JobUpdate) => {
    const notifications = tasks.onJobUpdate(update);
    if (notifications.progress !== undefined) server.notify(McpMethod.Progress, notifications.progress);
    if (notifications.status !== undefined) server.notify(McpMethod.TaskStatus, notifications.status);
  });

  if (allowUnsigned) {
    options.logger.warn('mcp_unsigned_allowed', { client_id: UNSIGNED_CLIENT_ID, note: 'unsigned MCP calls are trusted: whoever holds the pipe may call every tool' });
  }
  return { session, tasks };
}
