/**
 * A vscode-jsonrpc MessageWriter that writes one JSON message per line to a
 * Writable, batching the messages of one event-loop tick into one write.
 */
import type { Writable } from 'node:stream';
// The `/node` entry installs vscode-jsonrpc's runtime layer, which its
// Emitter needs to report a throwing listener.
import { AbstractMessageWriter, Emitter, type Event, type Message, type MessageWriter } from 'vscode-jsonrpc/node';
import { jsonTextOf } from './jsonText';

/** How a writer batches lines. */
export interface NewlineMessageWriterOptions {
  /**
   * While this answers true, a batch ready to go waits one more event-loop
   * turn for more lines (a server: requests read but not answered yet will
   * answer within a few turns). Bounded by `maxBatchLines`, `maxHoldTurns` and `maxHoldMs`,
   * so a slow answer never holds the others back for long. When it answers
   * false as a line is queued, the batch is written at once. Without it,
   * the lines of one turn go out together at the end of the turn.
   */
  holdWhile?: () => boolean;
  /**
   * A batch this long is written at once (default 16), so the reader can
   * start on it while the rest of a burst of answers is still being made.
   */
  maxBatchLines?: number;
  /** Turns a batch may wait for `holdWhile` (default 32). */
  maxHoldTurns?: number;
  /** Time a batch may wait for `holdWhile`, ms (default 0.5): slow messages must not stall the pipe. */
  maxHoldMs?: number;
}

/** What `write` answers for a line that went out at once. */
const WRITTEN: Promise<void> = Promise.resolve();

/**
 * Writes line-delimited JSON-RPC. A broken stream (EPIPE, destroyed) is
 * reported once on `onError`; after that writes are dropped and their
 * promises resolve, so a vanished reader never crashes or stalls the server.
 */
export class NewlineMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private readonly backpressureEmitter = new Emitter<boolean>();
  /** Lines waiting for the next batch, and the promise their writers hold (one per batch). */
  private queue: string[] = [];
  private batchWritten: Promise<void> | undefined;
  private resolveBatch: (() => void) | undefined;
  private scheduled: NodeJS.Immediate | undefined;
  /** Batches handed to the stream whose write callback has not run yet. */
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private isBlocked = false;
  private broken = false;
  private readonly detach: () => void;

  private readonly holdWhile: (() => boolean) | undefined;
  private readonly maxBatchLines: number;
  private readonly maxHoldTurns: number;
  private readonly maxHoldMs: number;
  private heldTurns = 0;
  /** When the oldest queued line was queued (performance.now()). */
  private batchStartedAt = 0;

  constructor(
    private readonly stream: Writable,
    options: NewlineMessageWriterOptions = {},
  ) {
    super();
    this.holdWhile = options.holdWhile;
    this.maxBatchLines = options.maxBatchLines ?? 16;
    this.maxHoldTurns = options.maxHoldTurns ?? 32;
    this.maxHoldMs = options.maxHoldMs ?? 0.5;
    const onDrain = (): void => {
      this.setBlocked(false);
      this.settleIfIdle();
    };
    const onError = (error: unknown): void => this.fail(error);
    const onClose = (): void => {
      // Not an error by itself: a write after this fails and reports it.
      this.settleIdleWaiters();
      this.fireClose();
    };
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
    this.detach = () => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
  }

  /** `true` when the stream's buffer is full (stop producing), `false` once it drains. */
  get onBackpressure(): Event<boolean> {
    return this.backpressureEmitter.event;
  }

  /** Whether the stream asked us to wait for `drain`. */
  get blocked(): boolean {
    return this.isBlocked;
  }

  /**
   * Queues one message. Resolves when its batch has been handed to the
   * stream (not when it has drained); rejects only if it cannot be
   * serialized.
   */
  write(msg: Message): Promise<void> {
    if (this.broken) {
      return WRITTEN;
    }
    let line: string;
    try {
      line = serialize(msg);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.queue.length === 0) this.batchStartedAt = performance.now();
    this.queue.push(line);
    if (this.queue.length >= this.maxBatchLines || (this.holdWhile !== undefined && !this.holdWhile())) {
      // A full batch, or nothing more is coming soon: waiting a turn would
      // only add latency (and a full batch lets the reader start on it).
      this.writeBatch();
      return WRITTEN;
    }
    this.scheduled ??= setImmediate(() => this.onTurn());
    this.batchWritten ??= new Promise<void>((resolve) => (this.resolveBatch = resolve));
    return this.batchWritten;
  }

  /**
   * Resolves once everything queued so far has been written out and the
   * stream has drained, or the stream has closed or failed. Never hangs on
   * a dead stream.
   */
  flush(): Promise<void> {
    this.writeBatch();
    if (this.isIdle()) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes, then ends the stream. Resolves when the end has been requested. */
  async end(): Promise<void> {
    await this.flush();
    if (this.broken || this.stream.destroyed || this.stream.writableEnded) {
      return;
    }
    try {
      this.stream.end();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Removes the stream listeners and events; does not end the stream. */
  override dispose(): void {
    this.detach();
    this.backpressureEmitter.dispose();
    super.dispose();
  }

  /**
   * A turn after lines were queued: write them, unless more are coming soon
   * and the batch may still grow (a full batch never waits: `write` sends it
   * out at once). Fewer, larger writes cost far fewer
   * syscalls (and wake-ups of the reader) than one write per message.
   */
  private onTurn(): void {
    this.scheduled = undefined;
    if (
      this.holdWhile !== undefined &&
      this.heldTurns < this.maxHoldTurns &&
      performance.now() - this.batchStartedAt < this.maxHoldMs &&
      !this.broken &&
      this.holdWhile()
    ) {
      this.heldTurns += 1;
      this.scheduled = setImmediate(() => this.onTurn());
      return;
    }
    this.writeBatch();
  }

  /** Writes every queued line in one `stream.write`. */
  private writeBatch(): void {
    this.heldTurns = 0;
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.queue.length === 0) {
      return;
    }
    const data = this.queue.join('');
    const resolveBatch = this.resolveBatch;
    this.queue = [];
    this.batchWritten = undefined;
    this.resolveBatch = undefined;
    if (!this.broken) {
      this.handToStream(data);
    }
    resolveBatch?.();
  }

  private handToStream(data: string): void {
    this.inFlight += 1;
    let accepted: boolean;
    try {
      accepted = this.stream.write(data, (error) => {
        this.inFlight -= 1;
        if (error) {
          this.fail(error);
        } else {
          this.settleIfIdle();
        }
      });
    } catch (error) {
      // Some streams throw synchronously instead of calling back.
      this.inFlight -= 1;
      this.fail(error);
      return;
    }
    // A dead stream also answers false; its error arrives by callback and
    // must not masquerade as backpressure.
    if (!accepted && !this.broken && !this.stream.destroyed && !this.stream.writableEnded) {
      this.setBlocked(true);
    }
  }

  /** Marks the writer broken and reports the error, once. */
  private fail(error: unknown): void {
    if (this.broken) {
      return;
    }
    this.broken = true;
    this.fireError(error);
    // Nothing will drain any more: release whoever waits on it, so a
    // paused reader resumes and a flush before exit completes.
    this.setBlocked(false);
    this.settleIdleWaiters();
  }

  private setBlocked(blocked: boolean): void {
    if (this.isBlocked !== blocked) {
      this.isBlocked = blocked;
      this.backpressureEmitter.fire(blocked);
    }
  }

  private isIdle(): boolean {
    if (this.broken || this.stream.destroyed) {
      return true;
    }
    return this.inFlight === 0 && !this.isBlocked && this.queue.length === 0;
  }

  private settleIfIdle(): void {
    if (this.isIdle()) {
      this.settleIdleWaiters();
    }
  }

  private settleIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) {
      resolve();
    }
  }
}

/**
 * One message as one line. JSON.stringify escapes every control character,
 * so the text never holds a raw `\n`; U+2028/U+2029 are escaped as well for
 * peers that split lines on Unicode separators.
 */
function serialize(msg: Message): string {
  const text = messageText(msg) ?? JSON.stringify(msg);
  // Checked first: the replace allocates even when it finds nothing.
  const separated = text.includes('\u2028') || text.includes('\u2029');
  return (separated ? text.replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : text) + '\n';
}

/**
 * The message's JSON built around a body written out already (see
 * jsonText.ts): a request's or notification's params, a response's result.
 * The same text JSON.stringify would write for the message, members in the
 * order vscode-jsonrpc creates them. Undefined when there is no such body.
 */
function messageText(msg: Message): string | undefined {
  const m = msg as { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
  if (typeof m.method === 'string') {
    const params = jsonTextOf(m.params);
    if (params === undefined) return undefined;
    const id = m.id === undefined ? '' : `"id":${JSON.stringify(m.id)},`;
    return `{"jsonrpc":${JSON.stringify(msg.jsonrpc)},${id}"method":${JSON.stringify(m.method)},"params":${params}}`;
  }
  if (m.error === undefined) {
    const result = jsonTextOf(m.result);
    if (result === undefined) return undefined;
    return `{"jsonrpc":${JSON.stringify(msg.jsonrpc)},"id":${JSON.stringify(m.id)},"result":${result}}`;
  }
  return undefined;
}
