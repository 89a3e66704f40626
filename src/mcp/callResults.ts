/**
 * What `tools/call` and `tasks/result` answer: our signed responses and
 * errors, and finished jobs, as MCP `CallToolResult`s.
 */
import { FALLBACK_ERROR_MESSAGE } from '../jobs/jobChanges';
import { codesWith, type ToolsealError } from '../protocol/errors';
import type { JsonObject, Response } from '../protocol/wire';
import { ERROR_META_KEY, RELATED_TASK_META_KEY, RESPONSE_META_KEY } from './constants';
import type { CallToolResult, TextContent } from './types';

/** Errors of a tool's execution: `isError` results, as MCP prescribes (see ErrorTraits.toolExecution). */
const TOOL_EXECUTION_ERRORS = codesWith('toolExecution');

/** Whether a failure of `dispatch` is answered as an `isError` result. */
export function isToolExecutionError(err: ToolsealError): boolean {
  return TOOL_EXECUTION_ERRORS.has(err.code);
}

function text(value: string): TextContent {
  return { type: 'text', text: value };
}

/**
 * A successful call: the result as `structuredContent` plus its JSON as text.
 * A null result (poll_job of a running job, cancel_job) has no structured
 * content; the text then says the status (and the job's error, if any).
 * `_meta["toolseal/response"]` is the signed response, status included.
 */
export function successResult(response: Response): CallToolResult {
  const meta: JsonObject = { [RESPONSE_META_KEY]: response };
  const result = response.result as JsonObject | null;
  if (result !== null) {
    return { content: [text(JSON.stringify(result))], structuredContent: result, _meta: meta };
  }
  const summary: JsonObject = { status: response.status };
  if (typeof response.error === 'string') summary.error = response.error;
  return { content: [text(JSON.stringify(summary))], _meta: meta };
}

/**
 * A tool execution error: the signed response's `error` as the text (it
 * names the first invalid argument, if any), and under `_meta` the error's
 * code, message and data, and the signed response.
 */
export function toolErrorResult(err: ToolsealError): CallToolResult {
  const { response, ...details } = err.data ?? {};
  const signed = response as Response | undefined;
  const error: JsonObject = { code: err.code, message: err.message };
  if (Object.keys(details).length > 0) error.data = details;
  const meta: JsonObject = { [ERROR_META_KEY]: error };
  if (signed !== undefined) meta[RESPONSE_META_KEY] = signed;
  const message = typeof signed?.error === 'string' ? signed.error : err.message;
  return { content: [text(message)], isError: true, _meta: meta };
}

/** How a job ended, as a job record or its terminal update carries it. */
export interface JobOutcome {
  state: 'done' | 'error' | 'cancelled';
  result?: JsonObject;
  error?: string;
}

/**
 * A task's result (`tasks/result`): the finished job's result as a tool
 * result, or an `isError` result when it failed or was cancelled (a failed
 * task is one whose result has `isError`).
 */
export function jobOutcomeResult(taskId: string, outcome: JobOutcome): CallToolResult {
  const meta: JsonObject = { [RELATED_TASK_META_KEY]: { taskId } };
  switch (outcome.state) {
    case 'done': {
      const result = outcome.result ?? {};
      return { content: [text(JSON.stringify(result))], structuredContent: result, _meta: meta };
    }
    case 'error':
      return { content: [text(`job failed: ${outcome.error ?? FALLBACK_ERROR_MESSAGE}`)], isError: true, _meta: meta };
    case 'cancelled':
      return { content: [text('job cancelled')], isError: true, _meta: meta };
  }
}
