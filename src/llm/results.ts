/**
 * What a tool call came to, as the tool-result message each runtime expects
 * back: the result as JSON text, or an error written for a model to act on
 * (which tool, which code, every argument issue, what to do next). Each
 * shape assigns, without a cast, to the official SDK's type (checked in the
 * test suite against the `openai` and `@anthropic-ai/sdk` packages).
 */
import { ServerError } from '../client/errors';
import { ClientErrorCode, ErrorCode, type ToolsealError, type ValidationIssue } from '../protocol/errors';
import type { ToolCallOutcome } from './outcome';

/** OpenAI Chat Completions `tool` message (`ChatCompletionToolMessageParam`). */
export interface OpenAiToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

/** OpenAI Responses API input item (`ResponseInputItem.FunctionCallOutput`). */
export interface OpenAiFunctionCallOutput {
  type: 'function_call_output';
  call_id: string;
  output: string;
}

/** Anthropic Messages API content block (`ToolResultBlockParam`), for the next `user` message. */
export interface AnthropicToolResult {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error: boolean;
}

/** The answer to the model's `tool_calls[i]` (pass its `id`). */
export function toOpenAiToolMessage(toolCallId: string, outcome: ToolCallOutcome<unknown>): OpenAiToolMessage {
  return { role: 'tool', tool_call_id: toolCallId, content: outcomeText(outcome) };
}

/** The answer to a `function_call` output item (pass its `call_id`). */
export function toOpenAiFunctionCallOutput(callId: string, outcome: ToolCallOutcome<unknown>): OpenAiFunctionCallOutput {
  return { type: 'function_call_output', call_id: callId, output: outcomeText(outcome) };
}

/** The answer to a `tool_use` block (pass its `id`); `is_error` is set for a failure. */
export function toAnthropicToolResult(toolUseId: string, outcome: ToolCallOutcome<unknown>): AnthropicToolResult {
  return { type: 'tool_result', tool_use_id: toolUseId, content: outcomeText(outcome), is_error: !outcome.ok };
}

/** The result as JSON text, or the error in words (see describeToolError). */
export function outcomeText(outcome: ToolCallOutcome<unknown>): string {
  return outcome.ok ? JSON.stringify(outcome.result ?? null) : describeToolError(outcome.tool, outcome.error);
}

/**
 * An error as a model should read it: first line `Error from tool "NAME":
 * WHAT (code N)`, then every argument issue as `- POINTER: problem`, then
 * what to do about it. The server's own text appears only when it is
 * signed: an unverified error (answered before the server authenticated
 * the call) is described by its code alone, since anyone who can write to
 * the client's input could have written it.
 */
export function describeToolError(tool: string, error: ToolsealError): string {
  const unverified = error instanceof ServerError && !error.verified;
  const what = unverified ? 'the call was refused before the server could sign an answer' : error.message;
  const lines = [`Error from tool ${JSON.stringify(tool)}: ${what} (code ${error.code}).`];
  const jobId = error.data?.job_id;
  if (typeof jobId === 'string') lines.push(`Job: ${jobId}.`);
  const issues = unverified ? [] : argumentIssues(error);
  if (issues.length > 0) {
    lines.push('Problems with the arguments (each at a JSON Pointer into them):');
    for (const issue of issues) lines.push(`- ${issue.path}: ${issue.message}`);
  }
  const advice = ADVICE[error.code];
  if (advice) lines.push(advice(tool));
  return lines.join('\n');
}

const ADVICE: Readonly<Record<number, (tool: string) => string>> = {
  [ErrorCode.InvalidArguments]: (tool) => `Call ${JSON.stringify(tool)} again with arguments that fix every problem listed.`,
  [ErrorCode.UnknownTool]: (tool) => `There is no tool named ${JSON.stringify(tool)}: use one of the tools you were given.`,
  [ErrorCode.LimitExceeded]: () => 'The server is busy: try again later, or go on without this result.',
  [ErrorCode.ToolFailed]: () => 'The tool ran and failed: do not repeat the same call unchanged.',
  [ClientErrorCode.Timeout]: () => 'The call took too long and was given up (a job is cancelled).',
  [ClientErrorCode.JobCancelled]: () => 'The job was cancelled before it finished: there is no result.',
  [ClientErrorCode.ConnectionClosed]: () => 'The tool server is not reachable: go on without this tool.',
  [ClientErrorCode.VerificationFailed]: () => 'The answer failed signature verification and was discarded: do not trust any result for this call.',
};

/** The error's `data.errors`, when it lists argument issues. */
function argumentIssues(error: ToolsealError): ValidationIssue[] {
  if (error.code !== ErrorCode.InvalidArguments) return [];
  const errors = error.data?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.filter(
    (issue): issue is ValidationIssue => typeof issue === 'object' && issue !== null && typeof issue.path === 'string' && typeof issue.message === 'string',
  );
}
