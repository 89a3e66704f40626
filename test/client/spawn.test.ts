import * as path from 'node:path';
import { DEFAULT_INHERITED_ENV, DEFAULT_SERVER_SCRIPT, serverCommand } from '../../src/client/spawn';

const keyring = { server: { id: 's', secret: `hex:${'11'.repeat(32)}` }, clients: { c: { secrets: [`hex:${'22'.repeat(32)}`] } } };

describe('serverCommand', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.TOOLSEAL_TEST_SECRET_TOKEN = 'do-not-leak';
    process.env.TOOLSEAL_KEYS_JSON = 'stale';
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('hands the keyring to a custom command through the environment', () => {
    const fromDocument = serverCommand({ command: 'my-server', args: ['--x'] }, { keyring });
    expect(fromDocument).toMatchObject({ command: 'my-server', args: ['--x'] });
    expect(JSON.parse(fromDocument.env.TOOLSEAL_KEYS_JSON!)).toEqual(keyring);
    const fromFile = serverCommand({ command: 'my-server' }, { keysFile: 'keys.json' });
    expect(fromFile.env.TOOLSEAL_KEYS).toBe(path.resolve('keys.json'));
    expect(fromFile.env.TOOLSEAL_KEYS_JSON).toBeUndefined();
  });

  it('starts the child with a short list of the host environment plus what the host adds', () => {
    const { env } = serverCommand({ env: { EXTRA: '1' } }, { keyring });
    expect(env.TOOLSEAL_TEST_SECRET_TOKEN).toBeUndefined();
    expect(env.EXTRA).toBe('1');
    expect(env.PATH).toBe(process.env.PATH);
    for (const name of Object.keys(env)) expect([...DEFAULT_INHERITED_ENV, 'EXTRA', 'TOOLSEAL_KEYS_JSON']).toContain(name);
    expect(serverCommand({ inheritEnv: true }, { keyring }).env.TOOLSEAL_TEST_SECRET_TOKEN).toBe('do-not-leak');
  });

  it('runs this package\'s toolseal serve by default, with the keyring', () => {
    const withFile = serverCommand({ serveArgs: ['--drain-ms', '0'] }, { keysFile: 'k.json' });
    expect(withFile).toMatchObject({ command: process.execPath, args: [DEFAULT_SERVER_SCRIPT, 'serve', '--keys', 'k.json', '--drain-ms', '0'] });
    expect(withFile.env.TOOLSEAL_KEYS_JSON).toBeUndefined();
  });
});
