import type { ServerIdentityInput } from '../../generated/schemas';
import { PROTOCOL_VERSION } from '../../protocol/wire';
import { defineTool, ok } from '../tool';

export default defineTool<ServerIdentityInput>({
  name: 'server_identity',
  description:
    "Returns this server's id, a fingerprint of its signing key (16 hex chars, safe to show) and its capabilities. " +
    'Call it first to check which server you are talking to.',
  run: (_args, ctx) =>
    ok({
      server_id: ctx.serverId,
      fingerprint: ctx.fingerprint,
      capabilities: { async: true, stateless: true, notifications: true, protocol: PROTOCOL_VERSION },
    }),
});
