/**
 * stdout is the protocol channel: a tool that logs with console.log, or a
 * dependency that writes to process.stdout, must not corrupt it.
 */
import { Console } from 'node:console';
import type { Writable } from 'node:stream';

let reserved: Writable | undefined;

/**
 * Takes the real stdout for the protocol and points everything else at
 * stderr: `process.stdout` (for code that reads it from now on) and the
 * global console. Returns the stream the server must write to. Idempotent.
 * A write to file descriptor 1 itself (`fs.writeSync(1, ...)`) cannot be
 * redirected from here.
 */
export function reserveStdoutForProtocol(): Writable {
  if (reserved !== undefined) return reserved;
  const stdout = process.stdout;
  reserved = stdout;
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: true,
    get: () => process.stderr,
  });
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
  return stdout;
}
