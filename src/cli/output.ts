/** Writing results from CLI commands: whole lines, backpressure respected, flushed before exit. */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Writes one line (a newline is added), waiting for `drain` when the stream
 * asks. Rejects when the stream is gone (a closed pipe), so a writer loop
 * stops instead of waiting for a drain that never comes.
 */
export async function writeLine(line: string, stream: Writable = process.stdout): Promise<void> {
  if (stream.destroyed || stream.writableEnded) throw new Error('output closed');
  if (stream.write(`${line}\n`)) return;
  const ac = new AbortController();
  try {
    await Promise.race([once(stream, 'drain', { signal: ac.signal }), once(stream, 'close', { signal: ac.signal }).then(() => Promise.reject(new Error('output closed')))]);
  } finally {
    ac.abort();
  }
}

/** Writes `value` as one line of JSON. */
export function writeJsonLine(value: unknown, stream: Writable = process.stdout): Promise<void> {
  return writeLine(JSON.stringify(value), stream);
}

/** Resolves once everything written so far has been handed to the OS (main exits right after a command returns). */
export function flushed(stream: Writable = process.stdout): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) {
      resolve();
      return;
    }
    stream.write('', () => resolve());
  });
}
