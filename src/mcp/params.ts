/**
 * Reading the params of MCP requests: shape checks that answer `-32602`
 * with `data.errors` (as the `call` pipeline does), and the part a signed
 * envelope has to match.
 */
import { checkJsonValue, MAX_DEPTH } from '../protocol/canonical';
import { ErrorCode, ToolsealError, type ValidationIssue } from '../protocol/errors';
import type { JsonObject } from '../protocol/wire';
import { ENVELOPE_META_KEY } from './constants';
import type { ProgressToken } from './types';
import { duplicateKeyIn, duplicateKeyIssue } from '../transport/duplicateKeys';

/**
 * What a signed envelope must match: its `tool` and its `args` (absent and
 * `{}` are the same, as for `call`). For `tools/call` that is the call's
 * `name` and `arguments`; for the other signed methods the method name and
 * the params without `_meta`.
 */
export interface SignedTarget {
  tool: string;
  args: JsonObject | undefined;
}

/** The parts of `params._meta` the front end reads. */
export interface RequestMeta {
  /** `_meta["toolseal/envelope"]`, unchecked; undefined when absent. */
  envelope: unknown;
  progressToken: ProgressToken | undefined;
}

export interface ToolCallParams {
  name: string;
  arguments: JsonObject | undefined;
  meta: RequestMeta;
  /** `params.task`: present when the call is task-augmented. */
  task: { ttl?: number } | undefined;
}

export interface TaskIdParams {
  taskId: string;
  meta: RequestMeta;
  target: SignedTarget;
}

export interface TaskListParams {
  cursor: string | undefined;
  meta: RequestMeta;
  target: SignedTarget;
}

export interface InitializeParams {
  protocolVersion: string;
  capabilities: JsonObject;
  clientInfo: JsonObject | undefined;
}

function invalid(path: string, message: string): ToolsealError {
  return new ToolsealError(ErrorCode.InvalidParams, 'Invalid params', { errors: [{ path, message }] });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: `__proto__` and friends are data here, never the prototype. */
function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function paramsObject(params: unknown, optional: boolean): JsonObject {
  if (params === undefined && optional) return {};
  if (!isObject(params)) throw invalid('/', 'must be an object');
  // Found by the framing, which read the text: a signed envelope in _meta must not be read two ways.
  const duplicate = duplicateKeyIn(params);
  if (duplicate) {
    const issue = duplicateKeyIssue(duplicate);
    throw invalid(issue.path, issue.message);
  }
  return params;
}

function readMeta(params: JsonObject): RequestMeta {
  const meta = own(params, '_meta');
  if (meta === undefined) return { envelope: undefined, progressToken: undefined };
  if (!isObject(meta)) throw invalid('/_meta', 'must be an object');
  const token = own(meta, 'progressToken');
  if (token !== undefined && typeof token !== 'string' && !Number.isSafeInteger(token)) {
    throw invalid('/_meta/progressToken', 'must be a string or an integer');
  }
  return { envelope: own(meta, ENVELOPE_META_KEY), progressToken: token as ProgressToken | undefined };
}

/** A JSON object of arguments, no deeper than `call` allows its `args` (they sit at level 2 there too). */
function readArguments(value: unknown, path: string, maxDepth: number): JsonObject | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid(path, 'must be an object');
  const issue: ValidationIssue | undefined = checkJsonValue(value, maxDepth - 1);
  if (issue) throw invalid(issue.path === '/' ? path || '/' : path + issue.path, issue.message);
  return value;
}

/** The params of `tools/call`. */
export function parseToolCallParams(params: unknown, maxDepth: number = MAX_DEPTH): ToolCallParams {
  const p = paramsObject(params, false);
  const name = own(p, 'name');
  if (typeof name !== 'string' || name.length === 0) throw invalid('/name', 'must be a non-empty string');
  const args = readArguments(own(p, 'arguments'), '/arguments', maxDepth);
  const task = own(p, 'task');
  if (task !== undefined) {
    if (!isObject(task)) throw invalid('/task', 'must be an object');
    const ttl = own(task, 'ttl');
    if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0)) {
      throw invalid('/task/ttl', 'must be a number >= 0');
    }
  }
  return { name, arguments: args, meta: readMeta(p), task: task as { ttl?: number } | undefined };
}

/** The params of `tasks/get`, `tasks/result` and `tasks/cancel`; `method` is what a signed envelope names. */
export function parseTaskIdParams(method: string, params: unknown): TaskIdParams {
  const p = paramsObject(params, false);
  const taskId = own(p, 'taskId');
  if (typeof taskId !== 'string' || taskId.length === 0) throw invalid('/taskId', 'must be a non-empty string');
  return { taskId, meta: readMeta(p), target: { tool: method, args: signedArgs(p) } };
}

/** The params of a list method (`tasks/list`, `tools/list`). */
export function parseListParams(method: string, params: unknown): TaskListParams {
  const p = paramsObject(params, true);
  const cursor = own(p, 'cursor');
  if (cursor !== undefined && typeof cursor !== 'string') throw invalid('/cursor', 'must be a string');
  return { cursor, meta: readMeta(p), target: { tool: method, args: signedArgs(p) } };
}

/** The params of `initialize`; missing capabilities count as none. */
export function parseInitializeParams(params: unknown): InitializeParams {
  const p = paramsObject(params, false);
  const protocolVersion = own(p, 'protocolVersion');
  if (typeof protocolVersion !== 'string') throw invalid('/protocolVersion', 'must be a string');
  const capabilities = own(p, 'capabilities') ?? {};
  if (!isObject(capabilities)) throw invalid('/capabilities', 'must be an object');
  const clientInfo = own(p, 'clientInfo');
  return { protocolVersion, capabilities, clientInfo: isObject(clientInfo) ? clientInfo : undefined };
}

/** The params without `_meta`: what an envelope for a method other than `tools/call` signs as its `args`. */
function signedArgs(params: JsonObject): JsonObject | undefined {
  const { _meta: _ignored, ...rest } = params;
  const args = readArguments(rest, '', MAX_DEPTH);
  return args !== undefined && Object.keys(args).length > 0 ? args : undefined;
}
