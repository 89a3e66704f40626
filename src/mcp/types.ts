/**
 * The MCP shapes the front end reads and writes, as far as it uses them
 * (revision 2025-11-25). Only tests depend on the MCP SDK; these are ours.
 */
import type { JsonObject } from '../protocol/wire';

export type ProgressToken = string | number;

/** An entry of `tools/list` (tools/formats.ts makes them). */
export type { McpTool } from '../tools/formats';

export interface TextContent {
  type: 'text';
  text: string;
}

/** The result of `tools/call` (and of `tasks/result` for a tool call). */
export interface CallToolResult {
  content: TextContent[];
  structuredContent?: JsonObject;
  isError?: boolean;
  _meta?: JsonObject;
}

export type McpTaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** A task as `tasks/get`, `tasks/cancel`, `tasks/list` and `notifications/tasks/status` carry it. */
export interface McpTask {
  taskId: string;
  status: McpTaskStatus;
  statusMessage?: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  lastUpdatedAt: string;
  /** ms from creation the task is kept at least; null for unlimited. */
  ttl: number | null;
  pollInterval?: number;
}

/** The answer to a task-augmented request. */
export interface CreateTaskResult {
  task: McpTask;
  _meta?: JsonObject;
}

/** The params of `notifications/progress`. */
export interface ProgressParams {
  progressToken: ProgressToken;
  progress: number;
  total?: number;
  message?: string;
  _meta?: JsonObject;
}

/** The answer to `initialize`. */
export interface InitializeResult {
  protocolVersion: string;
  capabilities: JsonObject;
  serverInfo: { name: string; version: string };
  instructions?: string;
}
