/** From a model's tool call to the runtime's tool-result message: run the call through a ToolClient, then format what came of it. */
export { runToolCall, toolsFor, type RunToolCallOptions, type ToolCallFailure, type ToolCallOutcome, type ToolCallSuccess } from './outcome';
export {
  describeToolError,
  outcomeText,
  toAnthropicToolResult,
  toOpenAiFunctionCallOutput,
  toOpenAiToolMessage,
  type AnthropicToolResult,
  type OpenAiFunctionCallOutput,
  type OpenAiToolMessage,
} from './results';
