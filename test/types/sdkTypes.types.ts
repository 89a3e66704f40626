/**
 * Compile-time checks (this file is type-checked by `npm test`, never run):
 * what formatTools, toolsFor and the result helpers return assigns to the
 * official SDKs' types, with no cast.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Tool as McpSdkTool } from '@modelcontextprotocol/sdk/types.js';
import type { ChatCompletionMessageParam, ChatCompletionTool, ChatCompletionToolMessageParam } from 'openai/resources/chat/completions';
import type { FunctionTool, ResponseInputItem, Tool as ResponsesTool } from 'openai/resources/responses/responses';
import {
  formatTools,
  toAnthropicToolResult,
  toOpenAiFunctionCallOutput,
  toOpenAiToolMessage,
  toolsFor,
  type ToolCallOutcome,
  type ToolClient,
  type ToolDescriptor,
} from '../../src';

declare const descriptors: ToolDescriptor[];
declare const client: ToolClient;
declare const outcome: ToolCallOutcome;

// Tool definitions, one format each.
export const chatTools: ChatCompletionTool[] = formatTools(descriptors, 'openai');
export const responsesTools: FunctionTool[] = formatTools(descriptors, 'openai-responses');
export const responsesToolUnion: ResponsesTool[] = formatTools(descriptors, 'openai-responses');
export const anthropicTools: Anthropic.Tool[] = formatTools(descriptors, 'anthropic');
export const anthropicToolUnion: Anthropic.ToolUnion[] = formatTools(descriptors, 'anthropic');
export async function fetched(): Promise<void> {
  const chat: ChatCompletionTool[] = await toolsFor(client, 'openai');
  const responses: FunctionTool[] = await toolsFor(client, 'openai-responses');
  const anthropic: Anthropic.Tool[] = await toolsFor(client, 'anthropic', { includeProtocolTools: true });
  void [chat, responses, anthropic];
}

// Tool results, one runtime each.
export const chatMessage: ChatCompletionToolMessageParam = toOpenAiToolMessage('call_1', outcome);
export const chatMessages: ChatCompletionMessageParam[] = [toOpenAiToolMessage('call_1', outcome)];
export const responsesItem: ResponseInputItem = toOpenAiFunctionCallOutput('call_1', outcome);
export const anthropicBlock: Anthropic.ToolResultBlockParam = toAnthropicToolResult('toolu_1', outcome);
export const anthropicMessage: Anthropic.MessageParam = { role: 'user', content: [toAnthropicToolResult('toolu_1', outcome)] };

// The MCP format, against the MCP SDK's Tool (what tools/list answers).
export const mcpTools: McpSdkTool[] = formatTools(descriptors, 'mcp');
