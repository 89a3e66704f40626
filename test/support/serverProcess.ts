import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { SchemaRegistry } from '../../src/protocol/schemas';
import { HmacKey } from '../../src/protocol/hmacKey';
import { decodeSecret } from '../../src/protocol/keyring';
import { verifySigned } from '../../src/protocol/signing';
import { signTestEnvelope, type EnvelopeOptions } from './envelopes';
import type { TestKeys } from './keys';

export type { EnvelopeOptions } from './envelopes';

/** The built CLI, spawned the way a host does. */
export const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

const schemas = new SchemaRegistry();

export type JsonRpcMessage = {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: any };
};

/**
 * A spawned `toolseal serve` with a line reader on its stdout. Every stdout
 * line is checked as it arrives: it must be one JSON-RPC 2.0 message, and
 * responses and notifications must match their schemas and verify with the
 * server key. Any violation is recorded in `violations`.
 */
export class ServerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  readonly messages: JsonRpcMessage[] = [];
  readonly violations: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the process exited and its stdout and stderr were read to the end. */
  readonly closed: Promise<void>;
  private partial = '';
  /** How many of `violations` a test was already failed for (see `takeViolations`). */
  private violationsReported = 0;
  private waiters: Array<() => void> = [];
  private readonly serverKey: HmacKey;

  constructor(
    readonly keys: TestKeys,
    args: string[] = [],
    env: NodeJS.ProcessEnv = {},
    /** What node runs instead of `toolseal serve --keys FILE` (a user's server script, say); `args` follow it. */
    entry: string[] = [CLI, 'serve', '--keys', keys.file],
  ) {
    this.serverKey = new HmacKey(decodeSecret(keys.serverSecret, 'server'));
    this.child = spawn(process.execPath, [...entry, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stdout.on('end', () => {
      if (this.partial !== '') this.violations.push(`last line not ended by a newline: ${this.partial.slice(0, 200)}`);
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.closed = new Promise((resolve) => this.child.on('close', () => resolve()));
  }

  /** Writes raw text to the server's stdin. */
  write(text: string | Buffer): void {
    this.child.stdin.write(text);
  }

  /** Writes one JSON-RPC message as a line. */
  send(message: unknown): void {
    this.write(JSON.stringify(message) + '\n');
  }

  /** Closes stdin (EOF). */
  end(): void {
    this.child.stdin.end();
  }

  /** Closes stdin and resolves with how the process exited, once everything it wrote was read. */
  async close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.end();
    await this.closed;
    return this.exited;
  }

  /** The violations recorded since the last call: each one is handed out once. */
  takeViolations(): string[] {
    const fresh = this.violations.slice(this.violationsReported);
    this.violationsReported = this.violations.length;
    return fresh;
  }

  /** A signed envelope for `tool`, with overrides applied before signing. */
  envelope(tool: string, args?: Record<string, unknown>, options: EnvelopeOptions = {}): Record<string, unknown> {
    return signTestEnvelope(this.keys, tool, args, options);
  }

  /** Sends a `call` request and resolves with its response message. */
  async call(tool: string, args?: Record<string, unknown>, options: EnvelopeOptions = {}): Promise<JsonRpcMessage> {
    return this.request('call', this.envelope(tool, args, options));
  }

  /** Sends a request with a fresh id and resolves with the response carrying that id. */
  async request(method: string, params: unknown): Promise<JsonRpcMessage> {
    const id = randomUUID();
    this.send({ jsonrpc: '2.0', id, method, params });
    return this.waitFor((m) => m.id === id && m.method === undefined);
  }

  /** Resolves with the first message (already received or future) matching `predicate`. */
  async waitFor(predicate: (m: JsonRpcMessage) => boolean, timeoutMs = 15000): Promise<JsonRpcMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for a message; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The job/status notifications of a job, in arrival order. */
  jobStatuses(jobId: string): any[] {
    return this.messages.filter((m) => m.method === 'job/status' && m.params?.job_id === jobId).map((m) => m.params);
  }

  /** Resolves once a job's terminal notification arrived. */
  async waitForJobEnd(jobId: string, timeoutMs = 30000): Promise<any[]> {
    await this.waitFor((m) => m.method === 'job/status' && m.params?.job_id === jobId && m.params.status !== 'running', timeoutMs);
    return this.jobStatuses(jobId);
  }

  /** Kills the process if it is still running. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private onStdout(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.onLine(line);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private onLine(line: string): void {
    this.lines.push(line);
    let message: JsonRpcMessage;
    try {
      message = JSON.parse(line);
    } catch {
      this.violations.push(`not JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (message === null || typeof message !== 'object' || message.jsonrpc !== '2.0') {
      this.violations.push(`not JSON-RPC 2.0: ${line.slice(0, 200)}`);
      return;
    }
    this.messages.push(message);
    if (message.method === 'job/status') this.checkSigned('job-status', message.params);
    else if (message.method !== undefined) this.violations.push(`unexpected server request/notification: ${message.method}`);
    else if (message.result !== undefined && message.result !== null && (message.result as any).v === 'mcp/0.1') this.checkSigned('response', message.result);
    else if (message.error?.data?.response !== undefined) this.checkSigned('response', message.error.data.response);
  }

  private checkSigned(kind: 'response' | 'job-status', value: any): void {
    const schema = kind === 'response' ? schemas.response : schemas.jobStatus;
    const issues = schema.check(value);
    if (issues.length > 0) this.violations.push(`${kind} fails its schema: ${JSON.stringify(issues)}`);
    else if (!verifySigned([this.serverKey], value)) this.violations.push(`${kind} signature does not verify`);
  }
}

/**
 * Fails each test during which the server wrote a line outside the protocol
 * (not JSON-RPC, a bad schema, a bad signature), naming the lines. A line
 * that arrives after its test ended (from a job the test left running) fails
 * the test that is running when it arrives, and the message says so.
 */
export function failTestsOnProtocolViolations(server: () => ServerProcess | undefined): void {
  afterEach(() => {
    const fresh = server()?.takeViolations() ?? [];
    if (fresh.length === 0) return;
    throw new Error(
      `the server wrote ${fresh.length} line(s) outside the protocol while this test ran (or after an earlier test, from work it left running):\n` +
        fresh.map((violation) => `  - ${violation}`).join('\n'),
    );
  });
}
