import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const DEMO = path.resolve(__dirname, '..', '..', 'dist', 'demo.js');

describe('npm start (dist/demo.js)', () => {
  it('runs the reference flow through ToolClient and exits 0, one line per step', () => {
    const run = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 60_000 });
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/^server_identity -> demo-server, key fingerprint [0-9a-f]{16}/m);
    expect(out).toMatch(/^batch_sum \[1, 2, 3\] -> total 6 \(count 3\)$/m);
    expect(out).toMatch(/^batch_sum \[\] -> error -32011 invalid arguments/m);
    expect(out).toMatch(/^ {2}job\/status seq \d+: done progress 100% result \{"task":"demo"\}$/m);
    expect(out).toMatch(/^closed: the server exited with code 0$/m);
    expect(run.stderr).not.toMatch(/demo failed/);
  });
});
