import type { ServerIdentityInput, ServerIdentityOutput } from '../../generated/schemas';
import { PROTOCOL_VERSION } from '../../protocol/wire';
import { defineTool, type Tool } from '../tool';
import { toolSchemaFile } from './schemaFiles';
import type { ProtocolServices } from './services';

export function serverIdentityTool(server: ProtocolServices): Tool<ServerIdentityInput, ServerIdentityOutput> {
  return defineTool<ServerIdentityInput, ServerIdentityOutput>({
    name: 'server_identity',
    description:
      "Returns this server's id, a fingerprint of its signing key (16 hex chars, safe to show) and its capabilities. " +
      'Call it first to check which server you are talking to.',
    inputSchema: toolSchemaFile('server_identity', 'input'),
    outputSchema: toolSchemaFile('server_identity', 'output'),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    run: () => ({
      server_id: server.serverId,
      fingerprint: server.fingerprint,
      capabilities: { async: true, stateless: true, notifications: true, protocol: PROTOCOL_VERSION },
    }),
  });
}
