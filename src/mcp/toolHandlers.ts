/**
 * `tools/list` and `tools/call`. A call is authenticated (signed envelope,
 * or unsigned under `--allow-unsigned-mcp`), then dispatched by the same
 * pipeline as `call` (steps 6-8). A task-augmented call of an async tool
 * answers a task (the job) instead of the job handle.
 */
import { ErrorCode, ToolsealError } from '../protocol/errors';
import type { CallRequest, JsonObject, Response } from '../protocol/wire';
import type { JobService } from '../jobs';
import type { CallPipeline } from '../server/pipeline';
import type { ToolRegistry } from '../tools/registry';
import type { McpAuthenticator } from './authentication';
import { isToolExecutionError, successResult, toolErrorResult } from './callResults';
import type { CancelScope } from './cancellation';
import { IMMEDIATE_RESPONSE_META_KEY, MCP_JOB_ORIGIN, McpMethod, RESPONSE_META_KEY } from './constants';
import { parseListParams, parseToolCallParams, type ToolCallParams } from './params';
import type { McpSession } from './session';
import type { TaskRegistry } from './taskRegistry';
import { toMcpListing } from '../tools/formats';
import type { CallToolResult, CreateTaskResult, McpTool } from './types';

export interface ToolHandlerDeps {
  session: McpSession;
  authenticator: McpAuthenticator;
  pipeline: CallPipeline;
  tools: ToolRegistry;
  jobs: JobService;
  tasks: TaskRegistry;
}

export class ToolHandlers {
  constructor(private readonly deps: ToolHandlerDeps) {}

  /**
   * `tools/list`, in one page (so any cursor is invalid). Needs no
   * signature: unsigned, it lists every tool. With a signed envelope naming
   * `tools/list`, it lists what that client may call.
   */
  async list(params: unknown): Promise<{ tools: McpTool[] }> {
    const request = parseListParams(McpMethod.ToolsList, params);
    if (request.cursor !== undefined) throw new ToolsealError(ErrorCode.InvalidParams, 'invalid cursor');
    let descriptors = this.deps.tools.list();
    if (request.meta.envelope !== undefined) {
      const call = await this.deps.authenticator.authenticate(request.meta.envelope, request.target);
      descriptors = this.deps.pipeline.toolsFor(call.clientId);
    }
    const tasks = this.deps.session.tasks;
    return {
      tools: descriptors.map((descriptor) => toMcpListing(this.deps.tools.get(descriptor.name)!, { tasks })),
    };
  }

  /**
   * `tools/call`. `scope` (MCP `notifications/cancelled`) aborts a running
   * plain tool's `ctx.signal`, and its answer is not sent. Calls of job
   * tools detach from it: a task is cancelled with `tasks/cancel` only (as
   * MCP says), and a plain call of a job tool answers the job handle at once,
   * which is how the job can be cancelled (`cancel_job`); dropping that
   * answer would leave a job nobody knows of.
   */
  async call(params: unknown, scope?: CancelScope): Promise<CallToolResult | CreateTaskResult> {
    const request = parseToolCallParams(params, this.deps.pipeline.maxDepth);
    const asTask = request.task !== undefined && this.deps.session.tasks;
    if (asTask || this.deps.tools.get(request.name)?.descriptor.async === true) scope?.detach();
    const call = await this.deps.authenticator.authenticate(request.meta.envelope, {
      tool: request.name,
      args: request.arguments,
    });
    if (asTask) return this.callAsTask(request, call);

    let response: Response;
    try {
      response = await this.deps.pipeline.dispatch(call, { cancel: scope?.signal, origin: MCP_JOB_ORIGIN });
    } catch (err) {
      if (err instanceof ToolsealError && isToolExecutionError(err)) return toolErrorResult(err);
      throw err;
    }
    return successResult(response);
  }

  /**
   * A task-augmented call: only async tools take one (MCP: -32601 for the
   * others). The job the tool starts is the task. A call that starts no job
   * (its arguments are invalid, too many jobs run) created no task, so it
   * fails as a JSON-RPC error, which task-aware clients surface as such.
   */
  private async callAsTask(request: ToolCallParams, call: CallRequest): Promise<CreateTaskResult> {
    const tool = this.deps.tools.get(call.tool);
    if (tool !== undefined && tool.descriptor.async !== true) {
      throw new ToolsealError(ErrorCode.MethodNotFound, `tool ${call.tool} does not support task-augmented calls`, { tool: call.tool });
    }
    const response = await this.deps.pipeline.dispatch(call, { origin: MCP_JOB_ORIGIN });
    const jobId = (response.result as JsonObject | null)?.job_id;
    const record = typeof jobId === 'string' ? await this.deps.jobs.get(jobId, call.clientId) : undefined;
    if (record === undefined) throw new ToolsealError(ErrorCode.InternalError, 'Internal error');
    const task = this.deps.tasks.add(record, request.meta.progressToken);
    return {
      task,
      _meta: {
        [RESPONSE_META_KEY]: response,
        [IMMEDIATE_RESPONSE_META_KEY]: `Started ${call.tool} as task ${task.taskId}; its result follows when the job ends.`,
      },
    };
  }
}
