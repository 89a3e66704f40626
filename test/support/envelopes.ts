import { randomUUID } from 'node:crypto';
import { HmacKey } from '../../src/protocol/hmacKey';
import { decodeSecret } from '../../src/protocol/keyring';
import { sign } from '../../src/protocol/signing';
import type { TestKeys } from './keys';

export interface EnvelopeOptions {
  /** Who calls (default alice). */
  clientId?: string;
  /** Secret to sign with (default: the client's first). */
  secret?: string;
  /** Fields to set or override before signing. */
  fields?: Record<string, unknown>;
}

/**
 * A signed envelope for `tool` (a tool name, or an MCP method such as
 * `tasks/get`) as a client would send it; `args` is omitted when undefined.
 */
export function signTestEnvelope(keys: TestKeys, tool: string, args?: Record<string, unknown>, options: EnvelopeOptions = {}): Record<string, unknown> {
  const clientId = options.clientId ?? 'alice';
  const unsigned: Record<string, unknown> = {
    v: 'mcp/0.1',
    request_id: randomUUID(),
    ts_ms: Date.now(),
    client_id: clientId,
    server_id: keys.serverId,
    tool,
    nonce: randomUUID(),
    ...(args === undefined ? {} : { args }),
    ...options.fields,
  };
  const secret = options.secret ?? keys.clients[clientId]?.[0] ?? 'hex:' + '00'.repeat(32);
  return sign(new HmacKey(decodeSecret(secret, 'test')), unsigned);
}
