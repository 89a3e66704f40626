/**
 * A vscode-jsonrpc connection over newline framing, with everything the
 * server and the client need around it in one place:
 *
 * - counting what has been read but not yet dispatched (vscode-jsonrpc
 *   queues messages without bound and takes one per turn), for flow control,
 *   for writer batching (`holdWhile`), and for "everything read was handled";
 * - serving (the server): a request reusing the id of one not yet answered
 *   is refused here (vscode-jsonrpc files requests by id and would lose
 *   one), answers can be dropped (a cancelled request), notifications no one
 *   handles and responses to nothing are ignored before they take queue
 *   space, and "every request read has been answered" is a signal;
 * - calling (the client): only the first answer to each request sent goes
 *   on (vscode-jsonrpc keeps the last of two with one id).
 *
 * Framing lives in NewlineMessageReader / NewlineMessageWriter; this file
 * wires them to vscode-jsonrpc and knows nothing of calls or envelopes.
 */
import type { Readable, Writable } from 'node:stream';
import {
  createMessageConnection,
  type Logger,
  type Message,
  type MessageConnection,
  type MessageReader,
  type MessageWriter,
} from 'vscode-jsonrpc/node';
import { AnswerLedger } from './answerLedger';
import { FramingErrorCode, type RejectedLine } from './messageParser';
import { NewlineMessageReader } from './newlineReader';
import { NewlineMessageWriter } from './newlineWriter';
import { NumberQueue } from './numberQueue';
import type { RequestId } from './requestId';

export type { RequestId } from './requestId';

/** Bounds on the read-but-not-dispatched queue: past either `high` bound reading pauses until both `low` bounds are met. */
export interface BacklogLimits {
  high: { messages: number; bytes: number };
  low: { messages: number; bytes: number };
}

/**
 * The server's defaults: a client that writes faster than the server works
 * cannot grow the server's memory without limit. Bytes are the lines'
 * lengths on the wire.
 */
export const DEFAULT_BACKLOG_LIMITS: BacklogLimits = {
  high: { messages: 1024, bytes: 8 * 1024 * 1024 },
  low: { messages: 256, bytes: 2 * 1024 * 1024 },
};

/** The side that answers requests. */
export interface ServingOptions {
  role: 'serve';
  /** Whether a notification of `method` has a handler; the others are dropped as they are read. */
  handlesNotification: (method: string) => boolean;
  /** Told about each message dropped unread (a notification nobody handles, a response to nothing). */
  onIgnored?: (message: Message) => void;
  /** Told about each line answered with an error without reaching vscode-jsonrpc. */
  onRejected?: (rejected: RejectedLine) => void;
  backlog?: BacklogLimits;
  logger?: Logger;
}

/** The side that sends requests. */
export interface CallingOptions {
  role: 'call';
  /** Told about an answer to a request that is already answered, or was never sent: it is dropped. */
  onUnexpectedAnswer: (id: RequestId, message: Message) => void;
  /** Told about each line that is not a JSON-RPC message. */
  onRejected?: (rejected: RejectedLine) => void;
}

export type NewlineConnectionOptions = (ServingOptions | CallingOptions) & {
  /** Longest line read, bytes. */
  maxLineBytes: number;
};

/**
 * A connection and the state its owner needs. Start it with
 * `connection.listen()` after registering handlers.
 */
export class NewlineConnection {
  readonly connection: MessageConnection;
  readonly reader: NewlineMessageReader;
  readonly writer: NewlineMessageWriter;

  /** Messages handed to vscode-jsonrpc and not yet dispatched, and their line lengths. */
  private backlogMessages = 0;
  private backlogBytes = 0;
  private readonly backlogSizes = new NumberQueue();
  private backlogWaiters: Array<() => void> = [];
  private readonly limits: BacklogLimits | undefined;
  private backlogged = false;
  private outputBlocked = false;
  private readingPaused = false;
  private readingStopped = false;

  /** Serving: ids of requests read and not answered yet; those whose answer is not to be sent. */
  private readonly openIds = new Set<string>();
  private readonly droppedIds = new Set<string>();
  private answeredWaiters: Array<() => void> = [];
  private currentId: RequestId = '';

  /** Calling: requests sent whose answer has not been read. */
  private readonly awaitingAnswer = new AnswerLedger<true>();

  constructor(input: Readable, output: Writable, options: NewlineConnectionOptions) {
    this.reader = new NewlineMessageReader(input, { maxLineBytes: options.maxLineBytes });
    // Messages read but not yet dispatched will answer (or make calls) within
    // a few turns: let what they write share one write.
    this.writer = new NewlineMessageWriter(output, { holdWhile: () => this.backlogMessages > 0 });
    const handleMessage = (message: Message, next: (message: Message) => void): void => {
      this.backlogMessages--;
      this.backlogBytes -= this.backlogSizes.shift();
      this.currentId = (message as { id?: RequestId }).id as RequestId;
      try {
        next(message);
      } finally {
        if (this.backlogMessages === 0) this.backlogEmptied();
        else this.updateReading();
      }
    };
    if (options.role === 'serve') {
      this.limits = options.backlog ?? DEFAULT_BACKLOG_LIMITS;
      this.writer.onBackpressure((blocked) => {
        this.outputBlocked = blocked;
        this.updateReading();
      });
      this.reader.onRejectedLine((rejected) => {
        options.onRejected?.(rejected);
        this.answerRejected(rejected);
      });
      this.connection = createMessageConnection(this.servingReader(options), this.servingWriter(), options.logger, { messageStrategy: { handleMessage } });
    } else {
      this.limits = undefined;
      if (options.onRejected) this.reader.onRejectedLine(options.onRejected);
      this.connection = createMessageConnection(this.callingReader(options), this.callingWriter(), undefined, { messageStrategy: { handleMessage } });
    }
  }

  /** Serving: requests read and not answered yet. */
  get openRequests(): number {
    return this.openIds.size;
  }

  /** Serving: the id of the request being dispatched now (vscode-jsonrpc calls its handler synchronously). */
  get dispatchingId(): RequestId {
    return this.currentId;
  }

  /** Serving: resolves once every request read so far has been answered. */
  whenAllAnswered(): Promise<void> {
    if (this.openIds.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.answeredWaiters.push(resolve));
  }

  /**
   * Serving: the answer to the open request `id` is not sent; it still
   * counts as answered. False when no request with that id is open.
   */
  dropAnswer(id: RequestId): boolean {
    const key = String(id);
    if (!this.openIds.has(key)) return false;
    this.droppedIds.add(key);
    return true;
  }

  /**
   * Resolves once vscode-jsonrpc has dispatched every message read so far,
   * and the promises those messages settled have run their reactions.
   */
  async whenDispatched(): Promise<void> {
    if (this.backlogMessages > 0) await new Promise<void>((resolve) => this.backlogWaiters.push(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Stops reading for good (shutdown, a broken output); what was read is still dispatched. */
  stopReading(): void {
    this.readingStopped = true;
    this.readingPaused = true;
    this.reader.pause();
  }

  dispose(): void {
    this.connection.dispose();
    this.reader.dispose();
  }

  /** Reads only while the output keeps up and the backlog is short (serving). */
  private updateReading(): void {
    const limits = this.limits;
    if (limits === undefined || this.readingStopped || this.reader.ended) return;
    if (this.backlogMessages >= limits.high.messages || this.backlogBytes >= limits.high.bytes) this.backlogged = true;
    else if (this.backlogMessages <= limits.low.messages && this.backlogBytes <= limits.low.bytes) this.backlogged = false;
    const pause = this.outputBlocked || this.backlogged;
    if (pause === this.readingPaused) return;
    this.readingPaused = pause;
    if (pause) this.reader.pause();
    else this.reader.resume();
  }

  private backlogEmptied(): void {
    this.updateReading();
    if (this.backlogWaiters.length === 0) return;
    const waiters = this.backlogWaiters;
    this.backlogWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Queues a message for vscode-jsonrpc, counted until it is dispatched. */
  private enqueue(message: Message, callback: (message: Message) => void): void {
    const bytes = this.reader.currentLineBytes;
    this.backlogSizes.push(bytes);
    this.backlogMessages++;
    this.backlogBytes += bytes;
    callback(message);
    this.updateReading();
  }

  private answerRejected(rejected: RejectedLine): void {
    void this.writer.write({ jsonrpc: '2.0', id: rejected.id, error: { code: rejected.code, message: rejected.message } } as Message);
  }

  private servingReader(options: ServingOptions): MessageReader {
    return filteredReader(this.reader, (message, callback) => {
      const m = message as { method?: unknown; id?: unknown };
      if (typeof m.method !== 'string' || (m.id === undefined && !options.handlesNotification(m.method))) {
        // Nothing would come of it: this side sends no requests, so no
        // response is awaited, and notifications without a handler are
        // ignored (docs/protocol.md section 1), `$/cancelRequest`
        // included. Dropped here, they take no queue space and never
        // reach vscode-jsonrpc's own handling, which throws on a
        // `$/cancelRequest` without params.
        options.onIgnored?.(message);
        return;
      }
      if (m.id !== undefined) {
        const key = String(m.id);
        if (this.openIds.has(key)) {
          const rejected: RejectedLine = {
            code: FramingErrorCode.InvalidRequest,
            message: 'Invalid Request: the id is already used by a request not yet answered',
            id: m.id as RequestId,
          };
          options.onRejected?.(rejected);
          this.answerRejected(rejected);
          return;
        }
        this.openIds.add(key);
      }
      this.enqueue(message, callback);
    });
  }

  private servingWriter(): MessageWriter {
    const writer = this.writer;
    return interceptingWriter(writer, (message) => {
      const m = message as { method?: unknown; id?: unknown };
      if (m.method !== undefined || m.id === undefined) return writer.write(message);
      const key = String(m.id);
      const written = this.droppedIds.size !== 0 && this.droppedIds.delete(key) ? Promise.resolve() : writer.write(message);
      if (this.openIds.delete(key) && this.openIds.size === 0 && this.answeredWaiters.length > 0) {
        const waiters = this.answeredWaiters;
        this.answeredWaiters = [];
        for (const resolve of waiters) resolve();
      }
      return written;
    });
  }

  private callingReader(options: CallingOptions): MessageReader {
    return filteredReader(this.reader, (message, callback) => {
      const m = message as { method?: unknown; id?: unknown };
      if (m.method === undefined && m.id !== undefined && m.id !== null && this.awaitingAnswer.take(m.id as RequestId) === undefined) {
        options.onUnexpectedAnswer(m.id as RequestId, message);
        return;
      }
      this.enqueue(message, callback);
    });
  }

  private callingWriter(): MessageWriter {
    const writer = this.writer;
    return interceptingWriter(writer, (message) => {
      const m = message as { method?: unknown; id?: unknown };
      if (typeof m.method === 'string' && m.id !== undefined) this.awaitingAnswer.sent(m.id as RequestId, true);
      return writer.write(message);
    });
  }

}

/** `reader` as vscode-jsonrpc sees it, each message first handed to `onMessage`, which passes it on (or not) with `callback`. */
function filteredReader(reader: NewlineMessageReader, onMessage: (message: Message, callback: (message: Message) => void) => void): MessageReader {
  return {
    onError: reader.onError,
    onClose: reader.onClose,
    onPartialMessage: reader.onPartialMessage,
    listen: (callback) => reader.listen((message) => onMessage(message, callback)),
    dispose: () => reader.dispose(),
  };
}

/** `writer` as vscode-jsonrpc sees it, every write going through `write`. */
function interceptingWriter(writer: NewlineMessageWriter, write: (message: Message) => Promise<void>): MessageWriter {
  return { onError: writer.onError, onClose: writer.onClose, write, end: () => writer.end(), dispose: () => writer.dispose() };
}
