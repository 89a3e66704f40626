import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A test keyring: the JSON document plus the raw secrets. */
export interface TestKeys {
  serverId: string;
  serverSecret: string;
  clients: Record<string, string[]>;
  document: { server: { id: string; secret: string }; clients: Record<string, { secrets: string[] }> };
  file: string;
}

/** Writes a fresh keyring with clients `alice` (two secrets, for rotation) and `bob` to a temp file. */
export function makeTestKeys(): TestKeys {
  const secret = () => `hex:${randomBytes(32).toString('hex')}`;
  const serverId = 'toolseal-test-server';
  const serverSecret = secret();
  const clients = { alice: [secret(), secret()], bob: [secret()] };
  const document = {
    server: { id: serverId, secret: serverSecret },
    clients: Object.fromEntries(Object.entries(clients).map(([id, secrets]) => [id, { secrets }])),
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-test-'));
  const file = path.join(dir, 'keys.json');
  fs.writeFileSync(file, JSON.stringify(document), { mode: 0o600 });
  return { serverId, serverSecret, clients, document, file };
}
