/**
 * The keys a client signs and verifies with, from whichever form the caller
 * has them in: explicit secrets, a parsed keyring document, or a keyring file.
 */
import * as fs from 'node:fs';
import type { Keyring as KeyringDocument } from '../generated/schemas';
import { HmacKey } from '../protocol/hmacKey';
import { decodeSecret, KeyringError, parseKeyring, parseKeyringText } from '../protocol/keyring';
import type { SchemaRegistry } from '../protocol/schemas';

/**
 * A keyring document as parsed from JSON: `{server: {id, secret}, clients:
 * {<id>: {secrets: [...], tools?: [...]}}}`, typed from keyring.schema.json
 * and checked against it when used.
 */
export type { Keyring as KeyringDocument } from '../generated/schemas';

/** A secret as keyring text (`base64:...`, `hex:...` or UTF-8) or as raw bytes. */
export type Secret = string | Uint8Array;

/** One client's own secret plus the server's id and secret. */
export interface ExplicitCredentials {
  clientId: string;
  /** Signs the envelopes. */
  clientSecret: Secret;
  serverId: string;
  /** Verifies responses and job notifications. */
  serverSecret: Secret;
  keyring?: never;
  keysFile?: never;
}

/** A whole keyring document (parsed JSON) and which of its clients to be. */
export interface KeyringCredentials {
  keyring: KeyringDocument;
  /** Defaults to the keyring's first client. */
  clientId?: string;
  keysFile?: never;
  clientSecret?: never;
  serverId?: never;
  serverSecret?: never;
}

/** A keyring file and which of its clients to be. */
export interface KeysFileCredentials {
  keysFile: string;
  /** Defaults to the keyring's first client. */
  clientId?: string;
  keyring?: never;
  clientSecret?: never;
  serverId?: never;
  serverSecret?: never;
}

/** Who the client is and whom it talks to, in one of three forms. */
export type Credentials = ExplicitCredentials | KeyringCredentials | KeysFileCredentials;

/** The prepared keys of one client: no secret text is kept. */
export interface ClientKeys {
  readonly clientId: string;
  readonly clientKey: HmacKey;
  readonly serverId: string;
  readonly serverKey: HmacKey;
}

/**
 * Prepares the keys for `credentials`. A keyring client signs with its
 * first secret (the server accepts any of them). Throws KeyringError for a
 * bad keyring, an unknown client id or a short secret.
 */
export function resolveCredentials(credentials: Credentials, schemas: SchemaRegistry): ClientKeys {
  if (credentials.keyring !== undefined) {
    return fromKeyring(parseKeyring(credentials.keyring, schemas), credentials.clientId, 'keyring');
  }
  if (credentials.keysFile !== undefined) {
    const file = credentials.keysFile;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new KeyringError(`cannot read keyring file ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return fromKeyring(parseKeyringText(text, `keyring file ${JSON.stringify(file)}`, schemas), credentials.clientId, `keyring file ${JSON.stringify(file)}`);
  }
  const { clientId, clientSecret, serverId, serverSecret } = credentials as ExplicitCredentials;
  if (typeof clientId !== 'string' || clientId === '') throw new KeyringError('clientId is required');
  if (typeof serverId !== 'string' || serverId === '') throw new KeyringError('serverId is required');
  const clientBytes = secretBytes(clientSecret, 'clientSecret');
  const serverBytes = secretBytes(serverSecret, 'serverSecret');
  // As in a keyring: a client holding the server's secret could forge the server's answers to itself.
  if (Buffer.from(clientBytes).equals(serverBytes)) {
    throw new KeyringError("clientSecret is the server's secret: give the client a secret of its own");
  }
  return { clientId, clientKey: new HmacKey(clientBytes), serverId, serverKey: new HmacKey(serverBytes) };
}

function fromKeyring(keyring: ReturnType<typeof parseKeyring>, clientId: string | undefined, source: string): ClientKeys {
  const id = clientId ?? keyring.clients.keys().next().value;
  const keys = id === undefined ? undefined : keyring.clients.get(id);
  if (id === undefined || keys === undefined) {
    throw new KeyringError(`${source} has no client ${JSON.stringify(id)}`);
  }
  return { clientId: id, clientKey: keys[0]!, serverId: keyring.serverId, serverKey: keyring.serverKey };
}

function secretBytes(secret: Secret | undefined, where: string): Uint8Array {
  if (typeof secret === 'string') return decodeSecret(secret, where);
  if (secret instanceof Uint8Array) {
    // Same floor as the keyring, for the same reason.
    return decodeSecret(`hex:${Buffer.from(secret).toString('hex')}`, where);
  }
  throw new KeyringError(`${where} is required (a string in keyring encoding, or bytes)`);
}
