/**
 * `tasks/get`, `tasks/result`, `tasks/cancel` and `tasks/list`. Each is
 * authenticated like `tools/call` (a signed envelope naming the method, or
 * unsigned under `--allow-unsigned-mcp`), and a task is only visible to the
 * client id that started it: unknown, expired and another client's task get
 * the same `-32602` "task not found".
 */
import type { McpAuthenticator } from './authentication';
import { jobOutcomeResult } from './callResults';
import { McpMethod } from './constants';
import { parseTaskIdParams, parseListParams, type TaskIdParams } from './params';
import type { TaskRegistry } from './taskRegistry';
import type { CallToolResult, McpTask } from './types';

export class TaskHandlers {
  constructor(
    private readonly authenticator: McpAuthenticator,
    private readonly tasks: TaskRegistry,
  ) {}

  /** `tasks/get`: the task's state now. */
  async get(params: unknown): Promise<McpTask> {
    const { taskId, clientId } = await this.caller(McpMethod.TasksGet, params);
    return this.tasks.toTask(await this.tasks.get(taskId, clientId));
  }

  /**
   * `tasks/result`: blocks until the task's job ends, then answers its
   * result as the tool call's. `cancel` (MCP `notifications/cancelled`)
   * stops the wait; the task runs on.
   */
  async result(params: unknown, cancel?: AbortSignal): Promise<CallToolResult> {
    const { taskId, clientId } = await this.caller(McpMethod.TasksResult, params);
    return jobOutcomeResult(taskId, await this.tasks.outcome(taskId, clientId, cancel));
  }

  /** `tasks/cancel`: cancels the job; a finished task is refused with -32602, as MCP says. */
  async cancel(params: unknown): Promise<McpTask> {
    const { taskId, clientId } = await this.caller(McpMethod.TasksCancel, params);
    return this.tasks.toTask(await this.tasks.cancel(taskId, clientId));
  }

  /** `tasks/list`: the caller's own tasks. */
  async list(params: unknown): Promise<{ tasks: McpTask[]; nextCursor?: string }> {
    const request = parseListParams(McpMethod.TasksList, params);
    const call = await this.authenticator.authenticate(request.meta.envelope, request.target);
    return this.tasks.list(call.clientId, request.cursor);
  }

  private async caller(method: string, params: unknown): Promise<{ taskId: string; clientId: string }> {
    const request: TaskIdParams = parseTaskIdParams(method, params);
    const call = await this.authenticator.authenticate(request.meta.envelope, request.target);
    return { taskId: request.taskId, clientId: call.clientId };
  }
}
