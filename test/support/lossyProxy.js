#!/usr/bin/env node
// A lossy pipe: runs `node SCRIPT ARGS...` and passes its stdin and stdout
// through, except that every job/status notification line is dropped.
// Used to test the client's polling fallback. Plain JS so tests can spawn it
// with node directly.
'use strict';
const { spawn } = require('node:child_process');

const [script, ...args] = process.argv.slice(2);
const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
child.stdin.on('error', () => undefined);
process.stdin.pipe(child.stdin);

const dropped = (line) => line.includes('"method":"job/status"');
let partial = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop();
  const kept = lines.filter((line) => !dropped(line));
  if (kept.length > 0) process.stdout.write(kept.join('\n') + '\n');
});
child.stdout.on('end', () => {
  if (partial !== '' && !dropped(partial)) process.stdout.write(partial);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
// 'close' comes after the child's stdout ended, so nothing is cut off.
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
