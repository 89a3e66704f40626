/**
 * `toolseal serve` and its keyring file: a file others can read is warned
 * about on stderr; a client sharing the server's secret stops the server.
 */
import * as fs from 'node:fs';
import { makeTestKeys } from '../support/keys';
import { ServerProcess } from '../support/serverProcess';

describe('toolseal serve and the keyring file', () => {
  (process.platform === 'win32' ? it.skip : it)('warns once on stderr about a keyring readable by group/others, then serves', async () => {
    const keys = makeTestKeys();
    fs.chmodSync(keys.file, 0o644);
    const server = new ServerProcess(keys);
    expect((await server.call('server_identity')).result?.ok).toBe(true);
    server.end();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const warnings = server.stderr.split('\n').filter((line) => line.includes('keyring file'));
    expect(warnings).toEqual([`toolseal serve: warning: keyring file ${JSON.stringify(keys.file)} is readable by group/others (mode 0644); chmod 600 it`]);
    expect(server.violations).toEqual([]);
  });

  it('says nothing about a keyring file only its owner can read', async () => {
    const keys = makeTestKeys();
    const server = new ServerProcess(keys);
    expect((await server.call('server_identity')).result?.ok).toBe(true);
    server.end();
    await server.exited;
    expect(server.stderr).not.toMatch(/keyring/);
  });

  it('refuses a keyring where a client has the server secret: exit 2, the client named, no secret', async () => {
    const keys = makeTestKeys();
    const document = { ...keys.document, clients: { ...keys.document.clients, mallory: { secrets: [keys.serverSecret] } } };
    fs.writeFileSync(keys.file, JSON.stringify(document));
    const server = new ServerProcess(keys);
    expect(await server.exited).toEqual({ code: 2, signal: null });
    expect(server.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.stderr).toMatch(/^toolseal serve: .*client "mallory"/);
    expect(server.stderr).not.toContain(keys.serverSecret.slice(4));
    expect(server.lines).toEqual([]);
  });
});
