/**
 * toolseal: a signed, schema-validated JSON-RPC tool server over stdio, and
 * the client that spawns and drives it.
 */
export { ErrorCode, ErrorMessage, ToolsealError, type ValidationIssue } from './protocol/errors';
export { HmacKey } from './protocol/hmacKey';
export { sign, verify, verifySigned, withoutSignature, signingInput } from './protocol/signing';
export { canonicalize, checkJsonValue, MAX_DEPTH } from './protocol/canonical';
export { SchemaRegistry, SCHEMA_DIR } from './protocol/schemas';
export {
  decodeSecret,
  DEFAULT_SERVER_ID,
  generateKeyring,
  GENERATED_SECRET_BYTES,
  loadKeyring,
  parseKeyring,
  KeyringError,
  MIN_SECRET_BYTES,
  type GenerateKeyringOptions,
  type Keyring,
} from './protocol/keyring';
export * from './protocol/wire';
export { ToolServer, keyFingerprint, type ToolServerOptions, type ServerStreams } from './server/server';
export { DEFAULT_SETTINGS, type ServerSettings } from './server/settings';
export { MemoryReplayStore, type ReplayStore, type ReplayVerdict } from './server/replayStore';
export { createLogger, type Logger, type LogLevel } from './server/logger';
export { MemoryJobStore, type JobStore, type JobRecord, type JobState } from './jobs';
export {
  defineTool,
  isTool,
  statusReply,
  StatusReply,
  type InferredToolSpec,
  type JsonSchemaObject,
  type SchemaType,
  type Tool,
  type ToolAnnotations,
  type ToolContext,
  type ToolDescriptor,
  type ToolLogger,
  type ToolOutcome,
  type ToolSpec,
} from './tools/tool';
export { createServer, type CreateServerOptions, type KeyringDocument, type ToolsealServer } from './serve/createServer';
export { reserveStdoutForProtocol } from './serve/stdio';
export { loadToolModules } from './tools/modules';
export { ToolRegistry, TOOL_NAME_PATTERN, type RegisteredTool, type ToolSet } from './tools/registry';
export { MAX_REPORTED_ISSUES, ToolSetError, type ToolSchema } from './tools/schemaCompiler';
export { PrecompiledValidators, type PrecompiledPair } from './tools/precompiled';
export { EXAMPLE_TOOLS, PROTOCOL_TOOL_NAMES } from './tools/builtin';
export * from './client';
export { DEFAULT_MAX_DISPATCH_BURST, installBurstDispatch, uninstallBurstDispatch, type BurstDispatchOptions } from './transport/burstDispatch';
export {
  formatTools,
  isToolFormat,
  modelDescription,
  MODEL_TOOL_FORMATS,
  toAnthropicTool,
  toJsonSchemaTool,
  toMcpListing,
  toMcpTool,
  toOpenAiResponsesTool,
  toOpenAiTool,
  TOOL_FORMATS,
  type AnthropicTool,
  type FormattedTools,
  type FormatToolsOptions,
  type McpListingOptions,
  type McpTool,
  type McpToolExtras,
  type ObjectSchema,
  type OpenAiResponsesTool,
  type OpenAiTool,
  type ToolFormat,
} from './tools/formats';
export * from './llm';
