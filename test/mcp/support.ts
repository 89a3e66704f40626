/**
 * MCP test helpers: the SDK's Client on a StdioClientTransport that spawns
 * the built server the way an MCP host does, and signed envelopes for
 * `params._meta["toolseal/envelope"]`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { HmacKey } from '../../src/protocol/hmacKey';
import { decodeSecret } from '../../src/protocol/keyring';
import { verifySigned } from '../../src/protocol/signing';
import { signTestEnvelope, type EnvelopeOptions } from '../support/envelopes';
import type { TestKeys } from '../support/keys';
import { CLI } from '../support/serverProcess';

export const ENVELOPE_KEY = 'toolseal/envelope';

/** A connected SDK client and what it saw go wrong. */
export interface McpConnection {
  client: Client;
  transport: StdioClientTransport;
  /** Everything the client reported on `onerror` (bad lines, progress for unknown tokens, ...). */
  errors: Error[];
  /** The errors reported since the last call: each one is handed out once. */
  takeErrors(): Error[];
  stderr: () => string;
  close(): Promise<void>;
}

/**
 * Spawns `toolseal serve --keys FILE ...args` and connects an SDK client
 * (initialize + notifications/initialized). `--drain-ms 0` is added so that
 * closing never waits for jobs a test left running.
 */
export async function connectMcp(keys: TestKeys, args: string[] = [], clientOptions: ConstructorParameters<typeof Client>[1] = {}): Promise<McpConnection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', '--keys', keys.file, '--drain-ms', '0', ...args],
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'toolseal-mcp-test', version: '1.0.0' }, clientOptions);
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  let reported = 0;
  const takeErrors = (): Error[] => {
    const fresh = errors.slice(reported);
    reported = errors.length;
    return fresh;
  };
  return { client, transport, errors, takeErrors, stderr: () => stderr, close: () => client.close() };
}

/**
 * Fails each test during which the SDK client reported an error (a line it
 * could not parse, progress for an unknown token, ...), naming the errors.
 * One reported after its test ended fails the test running when it arrives.
 */
export function failTestsOnClientErrors(connection: () => McpConnection | undefined): void {
  afterEach(() => {
    const fresh = connection()?.takeErrors() ?? [];
    if (fresh.length === 0) return;
    throw new Error(
      `the MCP client reported ${fresh.length} error(s) while this test ran (or after an earlier test, from work it left running):\n` +
        fresh.map((error) => `  - ${error.message}`).join('\n'),
    );
  });
}

export type { EnvelopeOptions } from '../support/envelopes';

/** A signed envelope for `tool` (a tool name, or an MCP method such as `tasks/get`); `args` omitted when undefined. */
export function envelope(keys: TestKeys, tool: string, args?: Record<string, unknown>, options: EnvelopeOptions = {}): Record<string, unknown> {
  return signTestEnvelope(keys, tool, args, options);
}

/** `_meta` carrying a signed envelope. */
export function signedMeta(signed: Record<string, unknown>): Record<string, unknown> {
  return { [ENVELOPE_KEY]: signed };
}

/** Whether a signed toolseal object (a response) verifies with the server key. */
export function verifiesWithServerKey(keys: TestKeys, value: unknown): boolean {
  return verifySigned([new HmacKey(decodeSecret(keys.serverSecret, 'server'))], value as { signature: string });
}

/** Resolves once `predicate` holds, checking whenever `wake` is called (no timers, no sleeps). */
export class Waiter<T> {
  readonly items: T[] = [];
  private waiting: Array<{ predicate: (items: T[]) => boolean; resolve: () => void }> = [];

  push(item: T): void {
    this.items.push(item);
    this.waiting = this.waiting.filter((w) => {
      if (!w.predicate(this.items)) return true;
      w.resolve();
      return false;
    });
  }

  until(predicate: (items: T[]) => boolean): Promise<void> {
    if (predicate(this.items)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ predicate, resolve }));
  }
}
