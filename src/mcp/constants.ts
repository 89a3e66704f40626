/**
 * The names the MCP front end speaks: protocol versions, methods, `_meta`
 * keys and the pseudo client id of unsigned calls.
 */

/** MCP revisions this server speaks, newest first. */
export const MCP_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18'] as const;
export type McpProtocolVersion = (typeof MCP_PROTOCOL_VERSIONS)[number];

/** The newest revision: the answer to a client that asks for one we do not speak. */
export const LATEST_MCP_PROTOCOL_VERSION: McpProtocolVersion = MCP_PROTOCOL_VERSIONS[0];

/** The first revision with the tasks utility (revisions are dates, so they compare as strings). */
export const TASKS_PROTOCOL_VERSION = '2025-11-25';

/** What `initialize` answers as `serverInfo.name`. */
export const SERVER_NAME = 'toolseal';

/** The JSON-RPC methods of the MCP front end. */
export const McpMethod = {
  Initialize: 'initialize',
  Initialized: 'notifications/initialized',
  Cancelled: 'notifications/cancelled',
  Ping: 'ping',
  ToolsList: 'tools/list',
  ToolsCall: 'tools/call',
  TasksGet: 'tasks/get',
  TasksResult: 'tasks/result',
  TasksCancel: 'tasks/cancel',
  TasksList: 'tasks/list',
  Progress: 'notifications/progress',
  TaskStatus: 'notifications/tasks/status',
} as const;

/** Where a request carries its signed toolseal envelope: `params._meta[ENVELOPE_META_KEY]`. */
export const ENVELOPE_META_KEY = 'toolseal/envelope';
/** Where a `tools/call` result carries the signed toolseal response. */
export const RESPONSE_META_KEY = 'toolseal/response';
/** Where an `isError` result carries the toolseal error (code, message, data). */
export const ERROR_META_KEY = 'toolseal/error';
/**
 * The origin of jobs started by `tools/call` (JobRecord.origin): they report
 * through MCP (progress and task notifications) and send no `job/status`.
 */
export const MCP_JOB_ORIGIN = 'mcp';
/** MCP's key tying a message to a task. */
export const RELATED_TASK_META_KEY = 'io.modelcontextprotocol/related-task';
/** MCP's key for the text a host may hand the model while a task runs. */
export const IMMEDIATE_RESPONSE_META_KEY = 'io.modelcontextprotocol/model-immediate-response';

/**
 * The client id unsigned MCP calls run as under `--allow-unsigned-mcp`, so
 * their jobs still have an owner. It is not a keyring client: nothing signed
 * can act as it, and it can act as no signed client.
 */
export const UNSIGNED_CLIENT_ID = 'mcp:unsigned';
