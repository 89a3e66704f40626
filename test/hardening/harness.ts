/**
 * Shared pieces of the hardening tests: a seeded PRNG, backpressure-aware
 * writing to a child's stdin, peak-RSS sampling, the per-line model of what
 * the server must answer (docs/protocol.md section 1), and an in-process server
 * on PassThrough streams for faults that need custom tools or stores.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { HmacKey } from '../../src/protocol/hmacKey';
import { parseKeyring } from '../../src/protocol/keyring';
import { SCHEMA_DIR, SchemaRegistry } from '../../src/protocol/schemas';
import { verifySigned } from '../../src/protocol/signing';
import { createLogger } from '../../src/server/logger';
import { ToolServer, type ToolServerOptions } from '../../src/server/server';
import { signTestEnvelope, type EnvelopeOptions } from '../support/envelopes';
import type { TestKeys } from '../support/keys';

/** mulberry32: a tiny seeded PRNG, so a fuzz run is reproducible from its seed. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** Peak resident set size of a process in MB (VmHWM, Linux), or undefined when it cannot be read. */
export function peakRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return kb ? Number(kb[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `chunks` in order, waiting for `drain` whenever the stream asks.
 * Stops early when a drain does not come within `stallMs` (the reader has
 * stopped reading) and resolves with how many chunks were fully handed over.
 */
export async function writeWithBackpressure(
  stream: Writable,
  chunks: Iterable<string | Buffer>,
  stallMs = 30_000,
): Promise<{ written: number; stalled: boolean }> {
  let written = 0;
  for (const chunk of chunks) {
    if (stream.destroyed || stream.writableEnded) return { written, stalled: false };
    const accepted = stream.write(chunk);
    written++;
    if (!accepted) {
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          stream.off('drain', onDrain);
          resolve(false);
        }, stallMs);
        const onDrain = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        stream.once('drain', onDrain);
      });
      // The last chunk was accepted into the stream's buffer: it is written.
      if (!drained) return { written, stalled: true };
    }
  }
  return { written, stalled: false };
}

/** Waits until `condition` holds, polling; throws with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What the server must send for one input line: nothing, or exactly one answer carrying `id`. */
export type Expectation = { readonly answers: 0 } | { readonly answers: 1; readonly id: string | number | null };

const NONE: Expectation = { answers: 0 };
const answer = (id: string | number | null): Expectation => ({ answers: 1, id });
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The answer docs/protocol.md section 1 requires for one line (without its `\n`),
 * written from the spec rather than from the server's code:
 * - over the size limit: -32600 with id null; blank: nothing;
 * - not UTF-8 or not JSON: -32700 with id null;
 * - not a JSON-RPC 2.0 object: -32600 with its id when usable (string or
 *   finite number), else null;
 * - a request (method + string or integer id): exactly one answer with that id;
 * - a notification (no id), or a well-formed response from the client: nothing.
 */
export function expectedAnswer(line: Buffer, maxLineBytes: number): Expectation {
  const body = line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
  if (body.length > maxLineBytes) return answer(null);
  if (body.every((b) => b === 0x20 || (b >= 0x09 && b <= 0x0d))) return NONE;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    return answer(null);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return answer(null);
  const m = value as Record<string, unknown>;
  const usable = typeof m.id === 'string' || (typeof m.id === 'number' && Number.isFinite(m.id));
  const echo = usable ? (m.id as string | number) : null;
  if (m.jsonrpc !== '2.0') return answer(echo);
  if (Object.hasOwn(m, 'method')) {
    if (typeof m.method !== 'string') return answer(echo);
    if (Object.hasOwn(m, 'id')) return answer(echo);
    const paramsOk = !Object.hasOwn(m, 'params') || (typeof m.params === 'object' && m.params !== null);
    return paramsOk ? NONE : answer(null);
  }
  // No method: a response from the client (never answered) or an invalid object.
  const hasResult = Object.hasOwn(m, 'result');
  const hasError = Object.hasOwn(m, 'error');
  const error = m.error as Record<string, unknown> | null | undefined;
  const errorOk = !hasError || (typeof error === 'object' && error !== null && !Array.isArray(error) && Number.isSafeInteger(error.code) && typeof error.message === 'string');
  const validResponse = (hasResult || hasError) && !(hasResult && hasError) && Object.hasOwn(m, 'id') && (m.id === null || usable) && errorOk;
  return validResponse ? NONE : answer(echo);
}

/** A key for counting answers per id: 1 and "1" are different ids on the wire. */
export function idKey(id: unknown): string {
  return `${typeof id}:${String(id)}`;
}

// ---------------------------------------------------------------------------
// In-process servers: a ToolServer on PassThrough streams, for faults that
// need custom tools, stores or settings.

/** A signed envelope as the client library would send it. */
export function signEnvelope(
  keys: TestKeys,
  tool: string,
  args?: Record<string, unknown>,
  options: EnvelopeOptions = {},
): Record<string, unknown> {
  return signTestEnvelope(keys, tool, args, options);
}


/** A ToolServer on PassThrough streams, with its output parsed and its log captured. */
export class InProcessServer {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  readonly server: ToolServer;
  readonly messages: any[] = [];
  readonly logLines: string[] = [];
  readonly serverKey: HmacKey;
  private partial = '';

  constructor(
    readonly keys: TestKeys,
    options: Partial<Omit<ToolServerOptions, 'keyring' | 'logger'>> = {},
  ) {
    const schemas = options.schemas ?? new SchemaRegistry();
    const keyring = parseKeyring(keys.document, schemas);
    this.serverKey = keyring.serverKey;
    const logger = createLogger('debug', (line) => this.logLines.push(line));
    this.server = new ToolServer({ ...options, keyring, logger, schemas }, { input: this.input, output: this.output });
    this.output.setEncoding('utf8');
    this.output.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) this.messages.push(JSON.parse(line));
    });
    this.server.start();
  }

  send(message: unknown): void {
    this.input.write(JSON.stringify(message) + '\n');
  }

  /** Sends a signed `call` and resolves with its JSON-RPC answer. */
  async call(tool: string, args?: Record<string, unknown>, options: Parameters<typeof signEnvelope>[3] = {}): Promise<any> {
    return this.request('call', signEnvelope(this.keys, tool, args, options));
  }

  async request(method: string, params: unknown): Promise<any> {
    const id = randomUUID();
    this.send({ jsonrpc: '2.0', id, method, params });
    return this.waitFor((m) => m.id === id && m.method === undefined);
  }

  async waitFor(predicate: (m: any) => boolean, timeoutMs = 10_000): Promise<any> {
    let found: any;
    await until(() => (found = this.messages.find(predicate)) !== undefined, 'an answer', timeoutMs);
    return found;
  }

  /** Whether a signed response verifies under the server key. */
  verifies(response: { signature: string }): boolean {
    return verifySigned([this.serverKey], response);
  }

  /** Ends the input and waits for the server to finish. */
  async close(): Promise<void> {
    this.input.end();
    await this.server.finished;
  }
}
