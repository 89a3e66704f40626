import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { Keyring as KeyringFile } from '../generated/schemas';
import { HmacKey } from './hmacKey';
import type { SchemaRegistry } from './schemas';

/** Secrets shorter than this (after decoding) are refused. */
export const MIN_SECRET_BYTES = 16;

/** The size of each secret generateKeyring makes. */
export const GENERATED_SECRET_BYTES = 32;
/** The server id generateKeyring gives when none is asked for. */
export const DEFAULT_SERVER_ID = 'toolseal-server';

export interface GenerateKeyringOptions {
  /** How many clients, named client-1, client-2, ... (default 1). */
  clients?: number;
  /** The server's id (default DEFAULT_SERVER_ID). */
  serverId?: string;
  /** How the secrets are written (default base64). */
  encoding?: 'base64' | 'hex';
}

/**
 * A keyring document with fresh random secrets: what `toolseal keygen`
 * writes, and an ephemeral keyring for a host that spawns its own server
 * (`ToolClient.spawn({ keyring: generateKeyring() })`: the keyring reaches
 * the child through its environment and is never written to disk).
 */
export function generateKeyring(options: GenerateKeyringOptions = {}): KeyringFile {
  const secret = (): string => {
    const bytes = randomBytes(GENERATED_SECRET_BYTES);
    return options.encoding === 'hex' ? `hex:${bytes.toString('hex')}` : `base64:${bytes.toString('base64')}`;
  };
  const clients: KeyringFile['clients'] = {};
  for (let i = 1; i <= (options.clients ?? 1); i++) clients[`client-${i}`] = { secrets: [secret()] };
  return { server: { id: options.serverId ?? DEFAULT_SERVER_ID, secret: secret() }, clients };
}

/** A keyring that cannot be used. Its message never contains a secret. */
export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

/** The keyring in the form the code uses: prepared keys, no secret text. */
export interface Keyring {
  readonly serverId: string;
  readonly serverKey: HmacKey;
  /** Every valid key of each client id (several allow rotation). */
  readonly clients: ReadonlyMap<string, readonly HmacKey[]>;
  /** The tools each restricted client may call besides the protocol tools; clients without a `tools` list are not here. */
  readonly allowedTools: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Decodes one secret: `base64:` and `hex:` prefixes select those encodings,
 * anything else is UTF-8. `where` names the secret's place in error messages.
 */
export function decodeSecret(text: string, where: string): Buffer {
  let bytes: Buffer;
  if (text.startsWith('base64:')) {
    const body = text.slice('base64:'.length);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new KeyringError(`${where}: not valid base64 after the 'base64:' prefix`);
    }
    bytes = Buffer.from(body, 'base64');
  } else if (text.startsWith('hex:')) {
    const body = text.slice('hex:'.length);
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(body)) {
      throw new KeyringError(`${where}: not valid hex after the 'hex:' prefix`);
    }
    bytes = Buffer.from(body, 'hex');
  } else {
    bytes = Buffer.from(text, 'utf8');
  }
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new KeyringError(`${where}: a secret must be at least ${MIN_SECRET_BYTES} bytes, this one has ${bytes.length}`);
  }
  return bytes;
}

/** Validates a parsed keyring document against `keyring.schema.json` and prepares its keys. */
export function parseKeyring(document: unknown, schemas: SchemaRegistry): Keyring {
  const issues = schemas.keyring.check(document);
  if (issues.length > 0) {
    const first = issues[0]!;
    throw new KeyringError(`keyring is invalid at ${first.path}: ${first.message}`);
  }
  const file = document as KeyringFile;
  const serverKey = new HmacKey(decodeSecret(file.server.secret, 'server.secret'));
  const clients = new Map<string, HmacKey[]>();
  const allowedTools = new Map<string, ReadonlySet<string>>();
  for (const [clientId, entry] of Object.entries(file.clients)) {
    const keys = entry.secrets.map((secret, i) => new HmacKey(decodeSecret(secret, `clients[${JSON.stringify(clientId)}].secrets[${i}]`)));
    clients.set(clientId, keys);
    if (entry.tools !== undefined) allowedTools.set(clientId, new Set(entry.tools));
  }
  return checkKeyring({ serverId: file.server.id, serverKey, clients, allowedTools });
}

/**
 * Refuses a keyring in which a client holds the server's secret: that
 * client could sign answers and job notifications as the server, and its
 * calls could be answers replayed back. Returns the keyring.
 */
export function checkKeyring(keyring: Keyring): Keyring {
  for (const [clientId, keys] of keyring.clients) {
    if (keys.some((key) => key.sameSecretAs(keyring.serverKey))) {
      throw new KeyringError(
        `client ${JSON.stringify(clientId)} has the server's secret: it could sign answers as the server; give each client a secret of its own`,
      );
    }
  }
  return keyring;
}

/** Parses keyring JSON text; `source` names where it came from in error messages. */
export function parseKeyringText(text: string, source: string, schemas: SchemaRegistry): Keyring {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new KeyringError(`${source} is not valid JSON`);
  }
  try {
    return parseKeyring(document, schemas);
  } catch (err) {
    if (err instanceof KeyringError) throw new KeyringError(`${source}: ${err.message}`);
    throw err;
  }
}

/** Where a keyring may come from, in order of precedence. */
export interface KeyringSources {
  /** `--keys PATH`. */
  keysPath?: string;
  /** The process environment (`TOOLSEAL_KEYS_JSON`, then `TOOLSEAL_KEYS`). */
  env?: NodeJS.ProcessEnv;
  /** Told about a keyring file that group or others may read (default: nothing said). */
  warn?: (message: string) => void;
}

/** Where the keyring is, as `locateKeyring` finds it: a file (and the option or variable naming it), or the JSON itself. */
export type KeyringLocation = { kind: 'file'; path: string; from: '--keys' | 'TOOLSEAL_KEYS' } | { kind: 'inline'; text: string };

/**
 * Finds the keyring: `--keys` wins over `TOOLSEAL_KEYS_JSON`, which wins
 * over `TOOLSEAL_KEYS`. Throws KeyringError when none is given.
 */
export function locateKeyring(sources: Pick<KeyringSources, 'keysPath' | 'env'>): KeyringLocation {
  const env = sources.env ?? {};
  if (sources.keysPath !== undefined) return { kind: 'file', path: sources.keysPath, from: '--keys' };
  const inline = env.TOOLSEAL_KEYS_JSON;
  if (inline !== undefined && inline !== '') return { kind: 'inline', text: inline };
  const file = env.TOOLSEAL_KEYS;
  if (file !== undefined && file !== '') return { kind: 'file', path: file, from: 'TOOLSEAL_KEYS' };
  throw new KeyringError('no keyring: pass --keys FILE, or set TOOLSEAL_KEYS_JSON or TOOLSEAL_KEYS (toolseal keygen makes one)');
}

/** Loads the keyring from where `locateKeyring` finds it. Throws KeyringError when none is given or it is bad. */
export function loadKeyring(sources: KeyringSources, schemas: SchemaRegistry): Keyring {
  const location = locateKeyring(sources);
  if (location.kind === 'inline') return parseKeyringText(location.text, 'TOOLSEAL_KEYS_JSON', schemas);
  return loadKeyringFile(location.path, location.from, schemas, sources.warn ?? (() => undefined));
}

function loadKeyringFile(file: string, option: string, schemas: SchemaRegistry, warn: (message: string) => void): Keyring {
  let text: string;
  let mode: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mode = fs.statSync(file).mode;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new KeyringError(`cannot read keyring file ${JSON.stringify(file)} (from ${option}): ${code}`);
  }
  const keyring = parseKeyringText(text, `keyring file ${JSON.stringify(file)}`, schemas);
  const open = openPermissions(mode);
  if (open !== undefined) {
    warn(`keyring file ${JSON.stringify(file)} is ${open} by group/others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`);
  }
  return keyring;
}

/**
 * What group and others may do to a file that holds secrets, if anything.
 * A warning rather than a refusal (ssh refuses): keyrings are also mounted
 * from secret stores and containers whose modes the user does not choose.
 * Windows has no such mode bits.
 */
function openPermissions(mode: number): string | undefined {
  if (process.platform === 'win32') return undefined;
  if ((mode & 0o044) !== 0) return 'readable';
  if ((mode & 0o022) !== 0) return 'writable';
  return undefined;
}
