/** The MCP front end: toolseal's tools for MCP hosts, on the same stdio as `call`. */
export { installMcpFrontEnd, type McpFrontEnd, type McpFrontEndOptions } from './frontEnd';
export {
  ENVELOPE_META_KEY,
  ERROR_META_KEY,
  LATEST_MCP_PROTOCOL_VERSION,
  MCP_PROTOCOL_VERSIONS,
  RESPONSE_META_KEY,
  UNSIGNED_CLIENT_ID,
} from './constants';
export { negotiateProtocolVersion } from './session';
