/**
 * A vscode-jsonrpc MessageReader for line-delimited JSON over a Readable,
 * replacing the library's Content-Length framing.
 */
import type { Readable } from 'node:stream';
// The `/node` entry installs vscode-jsonrpc's runtime layer, which its
// Emitter needs to report a throwing listener.
import {
  AbstractMessageReader,
  Disposable,
  Emitter,
  type DataCallback,
  type Event,
  type MessageReader,
} from 'vscode-jsonrpc/node';
import { LineBuffer, type LineEvent } from './lineBuffer';
import { FramingErrorCode, parseLine, type RejectedLine } from './messageParser';

export interface NewlineMessageReaderOptions {
  /** Longest accepted line in bytes; longer lines are rejected unread. */
  readonly maxLineBytes: number;
}

/**
 * Reads one JSON-RPC message per line. Lines that are not valid messages are
 * not reader errors: they are reported on {@link onRejectedLine} so the
 * server can answer them, and reading goes on.
 *
 * The end of input is reported on {@link onEnd}, not as the reader's close:
 * vscode-jsonrpc refuses to send anything on a closed connection, and a
 * server still has answers and job notifications to send after stdin ends.
 */
export class NewlineMessageReader extends AbstractMessageReader implements MessageReader {
  private readonly lines: LineBuffer;
  private readonly rejectedEmitter = new Emitter<RejectedLine>();
  private readonly endEmitter = new Emitter<void>();
  private callback: DataCallback | undefined;
  private detach: (() => void) | undefined;
  private paused = false;
  private closed = false;
  private lineBytes = 0;

  constructor(
    private readonly readable: Readable,
    options: NewlineMessageReaderOptions,
  ) {
    super();
    this.lines = new LineBuffer({ maxLineBytes: options.maxLineBytes });
  }

  /** Fired for each line that is not JSON, not a valid message, or too long. */
  get onRejectedLine(): Event<RejectedLine> {
    return this.rejectedEmitter.event;
  }

  /** Fired once when the input ends (EOF, or the stream was destroyed), after the last line was delivered. */
  get onEnd(): Event<void> {
    return this.endEmitter.event;
  }

  /**
   * The length in bytes of the line whose message is being delivered; read it
   * inside the `listen` callback (a consumer that queues messages can budget
   * its queue in bytes).
   */
  get currentLineBytes(): number {
    return this.lineBytes;
  }

  /** Whether the input has ended. */
  get ended(): boolean {
    return this.closed;
  }

  /** Starts reading; `callback` gets every valid message in arrival order. */
  listen(callback: DataCallback): Disposable {
    if (this.callback !== undefined) {
      throw new Error('NewlineMessageReader is already listening');
    }
    this.callback = callback;
    const onData = (chunk: Buffer | string): void => {
      this.deliver(this.lines.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
    };
    const onEnd = (): void => {
      this.deliver(this.lines.end());
      this.close();
    };
    // 'close' without 'end' means the stream was destroyed: still a close.
    const onClose = (): void => this.close();
    const onError = (error: unknown): void => this.fireError(error);
    this.readable.on('data', onData);
    this.readable.on('end', onEnd);
    this.readable.on('close', onClose);
    this.readable.on('error', onError);
    this.detach = () => {
      this.readable.off('data', onData);
      this.readable.off('end', onEnd);
      this.readable.off('close', onClose);
      this.readable.off('error', onError);
      this.detach = undefined;
    };
    // Adding a 'data' listener does not restart a stream paused explicitly.
    if (this.paused) {
      this.readable.pause();
    } else {
      this.readable.resume();
    }
    return Disposable.create(() => this.detach?.());
  }

  /** Stops reading from the stream (backpressure): its buffer fills, then the OS pipe. */
  pause(): void {
    this.paused = true;
    this.readable.pause();
  }

  /** Resumes reading after {@link pause}. */
  resume(): void {
    this.paused = false;
    if (this.detach !== undefined) {
      this.readable.resume();
    }
  }

  /** Removes the stream listeners and events; does not destroy the stream. */
  override dispose(): void {
    this.detach?.();
    this.rejectedEmitter.dispose();
    this.endEmitter.dispose();
    super.dispose();
  }

  private deliver(events: LineEvent[]): void {
    for (const event of events) {
      // One bad line or one throwing consumer must not cost the other lines.
      try {
        if (event.kind === 'overflow') {
          this.rejectedEmitter.fire({
            code: FramingErrorCode.InvalidRequest,
            message: `Invalid Request: message exceeds ${event.limit} bytes`,
            id: null,
          });
          continue;
        }
        const parsed = parseLine(event.bytes);
        if (parsed.kind === 'message') {
          this.lineBytes = event.bytes.length;
          this.callback?.(parsed.message);
        } else {
          this.rejectedEmitter.fire({ code: parsed.code, message: parsed.message, id: parsed.id });
        }
      } catch (error) {
        this.fireError(error);
      }
    }
  }

  private close(): void {
    if (!this.closed) {
      this.closed = true;
      this.endEmitter.fire();
    }
  }
}
