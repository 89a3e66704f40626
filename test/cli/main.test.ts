import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../support/cli';

const VERSION = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

describe('toolseal', () => {
  it('--version (and -V) prints the package version and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      expect(run).toEqual({ code: 0, stdout: `toolseal ${VERSION}\n`, stderr: '' });
    }
  });

  it('lists the commands on --help, and refuses an unknown one with exit 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--version/);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
