import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkKeyring, decodeSecret, KeyringError, loadKeyring, parseKeyring, parseKeyringText } from '../../src/protocol/keyring';
import { SchemaRegistry } from '../../src/protocol/schemas';

const schemas = new SchemaRegistry();
const SERVER_SECRET = 'server-secret-value-0123456789';
const CLIENT_SECRET = 'client-secret-value-0123456789';

function doc(overrides: Record<string, unknown> = {}) {
  return { server: { id: 'srv', secret: SERVER_SECRET }, clients: { alice: { secrets: [CLIENT_SECRET] } }, ...overrides };
}

function failure(fn: () => unknown): KeyringError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KeyringError);
    return err as KeyringError;
  }
  throw new Error('expected a KeyringError');
}

describe('decodeSecret', () => {
  it('reads UTF-8, base64: and hex:', () => {
    expect(decodeSecret('0123456789abcdef', 's')).toEqual(Buffer.from('0123456789abcdef'));
    expect(decodeSecret('base64:' + Buffer.alloc(16, 7).toString('base64'), 's')).toEqual(Buffer.alloc(16, 7));
    expect(decodeSecret('hex:' + '0a'.repeat(16), 's')).toEqual(Buffer.alloc(16, 10));
  });

  it('refuses secrets under 16 bytes, after decoding', () => {
    expect(failure(() => decodeSecret('short', 'server.secret')).message).toMatch(/at least 16 bytes/);
    expect(() => decodeSecret('hex:' + '00'.repeat(15), 's')).toThrow(KeyringError);
    expect(() => decodeSecret('base64:' + Buffer.alloc(15).toString('base64'), 's')).toThrow(KeyringError);
  });

  it('refuses malformed base64 and hex without echoing them', () => {
    const bad = 'hex:zz' + 'ab'.repeat(20);
    expect(failure(() => decodeSecret(bad, 's')).message).not.toContain(bad);
    expect(() => decodeSecret('base64:not*base64*at*all*', 's')).toThrow(KeyringError);
    expect(() => decodeSecret('hex:abc', 's')).toThrow(KeyringError);
  });
});

describe('parseKeyring', () => {
  it('prepares the server key and every client key', () => {
    const keyring = parseKeyring(doc({ clients: { alice: { secrets: [CLIENT_SECRET, CLIENT_SECRET + 'x'] } } }), schemas);
    expect(keyring.serverId).toBe('srv');
    expect(keyring.clients.get('alice')).toHaveLength(2);
  });

  it.each([
    ['no clients', doc({ clients: {} })],
    ['a client without secrets', doc({ clients: { alice: { secrets: [] } } })],
    ['an extra field', doc({ extra: true })],
    ['a missing server', { clients: { alice: { secrets: [CLIENT_SECRET] } } }],
    ['a non-string secret', doc({ server: { id: 'srv', secret: 42 } })],
  ])('refuses %s', (_name, document) => {
    expect(() => parseKeyring(document, schemas)).toThrow(KeyringError);
  });

  it('never puts a secret into an error message', () => {
    const shortSecret = 'tooshort-secret';
    const err = failure(() => parseKeyring(doc({ clients: { alice: { secrets: [shortSecret] } } }), schemas));
    expect(err.message).not.toContain(shortSecret);
    expect(err.message).toContain('alice');
    const text = failure(() => parseKeyringText(`{"server": {"id": "srv", "secret": "${SERVER_SECRET}"`, 'inline', schemas));
    expect(text.message).not.toContain(SERVER_SECRET);
  });
});

describe('loadKeyring precedence', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-keyring-'));
  const write = (name: string, serverId: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(doc({ server: { id: serverId, secret: SERVER_SECRET } })));
    return file;
  };
  const fromFlag = write('flag.json', 'from-flag');
  const fromEnvFile = write('env.json', 'from-env-file');
  const inline = JSON.stringify(doc({ server: { id: 'from-env-json', secret: SERVER_SECRET } }));

  it('--keys wins over TOOLSEAL_KEYS_JSON, which wins over TOOLSEAL_KEYS', () => {
    const env = { TOOLSEAL_KEYS_JSON: inline, TOOLSEAL_KEYS: fromEnvFile };
    expect(loadKeyring({ keysPath: fromFlag, env }, schemas).serverId).toBe('from-flag');
    expect(loadKeyring({ env }, schemas).serverId).toBe('from-env-json');
    expect(loadKeyring({ env: { TOOLSEAL_KEYS: fromEnvFile } }, schemas).serverId).toBe('from-env-file');
  });

  it('says how to get a keyring when none is given, and names a missing file', () => {
    expect(failure(() => loadKeyring({ env: {} }, schemas)).message).toMatch(/--keys/);
    expect(failure(() => loadKeyring({ keysPath: path.join(dir, 'missing.json') }, schemas)).message).toMatch(/ENOENT/);
  });
});

describe('a client secret equal to the server secret', () => {
  it('is refused, naming the client, never the secret (whatever the encodings)', () => {
    const hex = 'hex:' + Buffer.from(SERVER_SECRET).toString('hex');
    const err = failure(() => parseKeyring(doc({ clients: { alice: { secrets: [CLIENT_SECRET] }, bob: { secrets: [CLIENT_SECRET, hex] } } }), schemas));
    expect(err.message).toMatch(/client "bob"/);
    expect(err.message).toMatch(/server/);
    expect(err.message).not.toContain(SERVER_SECRET);
    expect(err.message).not.toContain(hex);
  });

  it('is refused in an already parsed keyring too', () => {
    const parsed = parseKeyring(doc(), schemas);
    const shared = { ...parsed, clients: new Map([['carol', [parsed.serverKey]]]) };
    expect(failure(() => checkKeyring(shared)).message).toMatch(/client "carol"/);
    expect(() => checkKeyring(parsed)).not.toThrow();
  });
});

describe('keyring file permissions', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-keyring-mode-'));
  const write = (mode: number) => {
    const file = path.join(dir, `keys-${mode.toString(8)}.json`);
    fs.writeFileSync(file, JSON.stringify(doc()));
    fs.chmodSync(file, mode);
    return file;
  };

  (process.platform === 'win32' ? it.skip : it)('warns about a file readable by group or others, naming it and its mode, and still loads it', () => {
    const warnings: string[] = [];
    const open = write(0o644);
    expect(loadKeyring({ keysPath: open, warn: (m) => warnings.push(m) }, schemas).serverId).toBe('srv');
    expect(warnings).toEqual([`keyring file ${JSON.stringify(open)} is readable by group/others (mode 0644); chmod 600 it`]);
    warnings.length = 0;
    loadKeyring({ env: { TOOLSEAL_KEYS: write(0o640) }, warn: (m) => warnings.push(m) }, schemas);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/mode 0640/);
  });

  it('says nothing about a file only its owner can read', () => {
    const warnings: string[] = [];
    loadKeyring({ keysPath: write(0o600), warn: (m) => warnings.push(m) }, schemas);
    loadKeyring({ keysPath: write(0o400), warn: (m) => warnings.push(m) }, schemas);
    expect(warnings).toEqual([]);
  });
});
