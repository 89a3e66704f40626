import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseKeyring } from '../../src/protocol/keyring';
import { SchemaRegistry } from '../../src/protocol/schemas';
import { runCli } from '../support/cli';

const schemas = new SchemaRegistry();
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-keygen-'));
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('toolseal keygen', () => {
  it('writes a valid keyring with mode 0600 and refuses to overwrite it without --force', async () => {
    const file = path.join(dir, 'keys.json');
    const run = await runCli(['keygen', '--clients', '3', '--server-id', 'my-server', '--out', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const document = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(Object.keys(document.clients)).toEqual(['client-1', 'client-2', 'client-3']);
    expect(document.server.id).toBe('my-server');
    const keyring = parseKeyring(document, schemas);
    expect(keyring.clients.size).toBe(3);
    for (const secret of [document.server.secret, ...Object.values<{ secrets: string[] }>(document.clients).map((c) => c.secrets[0])]) {
      expect(Buffer.from(secret.replace(/^base64:/, ''), 'base64')).toHaveLength(32);
    }

    const before = fs.readFileSync(file, 'utf8');
    const again = await runCli(['keygen', '--out', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*--force/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('replaces the file with --force, still 0600 even if it was not', async () => {
    const file = path.join(dir, 'keys.json');
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    const run = await runCli(['keygen', '--out', file, '--force', '--encoding', 'hex']);
    expect(run.code).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const document = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(document.server.secret).toMatch(/^hex:[0-9a-f]{64}$/);
    expect(parseKeyring(document, schemas).clients.has('client-1')).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['keys.json']);
  });

  it('prints the keyring on stdout without --out, with fresh secrets each time', async () => {
    const first = await runCli(['keygen']);
    const second = await runCli(['keygen']);
    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout);
    const b = JSON.parse(second.stdout);
    expect(parseKeyring(a, schemas).serverId).toBe('toolseal-server');
    expect(a.server.secret).not.toBe(b.server.secret);
  });

  it('exits 2 on bad options', async () => {
    for (const args of [['--clients', '0'], ['--clients', 'x'], ['--encoding', 'rot13'], ['--force'], ['extra']]) {
      const run = await runCli(['keygen', ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/Usage: toolseal keygen/);
    }
  });
});
