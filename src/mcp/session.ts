/**
 * The MCP lifecycle of the one connection a server has: `initialize`
 * (version negotiation, capabilities, server info), `notifications/initialized`
 * and `ping`.
 */
import type { JsonObject } from '../protocol/wire';
import { packageVersion } from '../version';
import {
  LATEST_MCP_PROTOCOL_VERSION,
  MCP_PROTOCOL_VERSIONS,
  SERVER_NAME,
  TASKS_PROTOCOL_VERSION,
  type McpProtocolVersion,
} from './constants';
import { parseInitializeParams } from './params';
import type { InitializeResult } from './types';

/** The version the client asked for if we speak it, else our newest (MCP lifecycle, version negotiation). */
export function negotiateProtocolVersion(requested: string): McpProtocolVersion {
  return (MCP_PROTOCOL_VERSIONS as readonly string[]).includes(requested)
    ? (requested as McpProtocolVersion)
    : LATEST_MCP_PROTOCOL_VERSION;
}

/** Whether a negotiated revision has the tasks utility. */
export function hasTasks(version: McpProtocolVersion): boolean {
  return version >= TASKS_PROTOCOL_VERSION;
}

/** What the server offers under a revision: tools always; tasks (list, cancel, task-augmented tools/call) where they exist. */
export function serverCapabilities(version: McpProtocolVersion): JsonObject {
  const capabilities: JsonObject = { tools: { listChanged: false } };
  if (hasTasks(version)) {
    capabilities.tasks = { list: {}, cancel: {}, requests: { tools: { call: {} } } };
  }
  return capabilities;
}

const INSTRUCTIONS =
  'toolseal tools check their arguments against JSON Schemas. A tool that runs as a job answers with its job_id at once: ' +
  'follow it with poll_job and cancel_job, or call it as a task.';

/** This package's version (MCP serverInfo). */
export function serverVersion(): string {
  return packageVersion();
}

/**
 * What has been negotiated on the connection. Before `initialize` the
 * front end behaves as for the newest revision (MCP asks clients not to send
 * requests before it, but answering them does no harm).
 */
export class McpSession {
  protocolVersion: McpProtocolVersion = LATEST_MCP_PROTOCOL_VERSION;
  clientCapabilities: JsonObject = {};
  clientInfo: JsonObject | undefined;
  initialized = false;

  /** Answers `initialize`. A second one renegotiates. */
  initialize(params: unknown): InitializeResult {
    const request = parseInitializeParams(params);
    this.protocolVersion = negotiateProtocolVersion(request.protocolVersion);
    this.clientCapabilities = request.capabilities;
    this.clientInfo = request.clientInfo;
    this.initialized = false;
    return {
      protocolVersion: this.protocolVersion,
      capabilities: serverCapabilities(this.protocolVersion),
      serverInfo: { name: SERVER_NAME, version: serverVersion() },
      instructions: INSTRUCTIONS,
    };
  }

  /** `notifications/initialized`. */
  markInitialized(): void {
    this.initialized = true;
  }

  /** Whether the negotiated revision has tasks. */
  get tasks(): boolean {
    return hasTasks(this.protocolVersion);
  }
}
