#!/usr/bin/env node
// A server that never answers, ignores the end of its stdin and ignores
// SIGTERM: only SIGKILL ends it. Says "ready" on stderr once its handlers
// are installed.
'use strict';
process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\n'));
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => process.stderr.write('ignoring end of input\n'));
setInterval(() => undefined, 1000);
process.stderr.write('ready\n');
