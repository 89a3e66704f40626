/**
 * Newline framing as a pure state machine: bytes in, whole lines out.
 *
 * It works on bytes rather than strings because a chunk may end inside a
 * multi-byte UTF-8 character; lines are decoded only once they are whole.
 */

/** What {@link LineBuffer} reports for each line it finishes. */
export type LineEvent =
  /** A complete, non-blank line without its `\n` / `\r\n` terminator. */
  | { readonly kind: 'line'; readonly bytes: Buffer }
  /** A line longer than the limit was dropped (reported once per line). */
  | { readonly kind: 'overflow'; readonly limit: number };

export interface LineBufferOptions {
  /** Longest accepted line in bytes, not counting its terminator. */
  readonly maxLineBytes: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream on `\n`, accepting `\r\n`, skipping blank lines and
 * dropping over-long lines without ever holding them whole.
 *
 * Memory held between calls is at most `maxLineBytes + 1` bytes (the `+ 1`
 * is a `\r` that may turn out to be half of a `\r\n`).
 */
export class LineBuffer {
  private readonly maxLineBytes: number;
  /** Copies of the unterminated tail, joined once when its `\n` arrives. */
  private pieces: Buffer[] = [];
  private buffered = 0;
  /** True while skipping the rest of a line that already overflowed. */
  private discarding = false;

  constructor(options: LineBufferOptions) {
    if (!Number.isSafeInteger(options.maxLineBytes) || options.maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${options.maxLineBytes}`);
    }
    this.maxLineBytes = options.maxLineBytes;
  }

  /** Bytes of the current unterminated line held in memory. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds one chunk. Returned `line` buffers may be views onto `chunk`: use
   * them before the caller reuses that memory, or copy them.
   */
  push(chunk: Uint8Array): LineEvent[] {
    const events: LineEvent[] = [];
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < data.length) {
      const newline = data.indexOf(LF, start);
      if (newline === -1) {
        this.hold(data.subarray(start), events);
        break;
      }
      const segment = data.subarray(start, newline);
      start = newline + 1;
      if (this.discarding) {
        // This `\n` ends the line that already overflowed; resume framing.
        this.discarding = false;
      } else {
        this.finish(segment, events);
      }
    }
    return events;
  }

  /** Signals end of input: a non-empty unterminated last line still counts. */
  end(): LineEvent[] {
    const events: LineEvent[] = [];
    if (!this.discarding && this.buffered > 0) {
      this.finish(Buffer.alloc(0), events);
    }
    this.reset();
    return events;
  }

  /** Completes the held pieces plus `segment` into one line. */
  private finish(segment: Buffer, events: LineEvent[]): void {
    const total = this.buffered + segment.length;
    const lastByte = segment.length > 0 ? segment[segment.length - 1] : this.lastHeldByte();
    const length = lastByte === CR ? total - 1 : total;
    if (length > this.maxLineBytes) {
      // Only reachable when the whole line arrived inside one chunk; held
      // tails overflow earlier, in hold().
      this.reset();
      events.push({ kind: 'overflow', limit: this.maxLineBytes });
      return;
    }
    let line: Buffer;
    if (this.pieces.length === 0) {
      line = segment;
    } else {
      this.pieces.push(segment);
      line = Buffer.concat(this.pieces, total);
    }
    this.reset();
    line = line.subarray(0, length);
    if (!isBlank(line)) {
      events.push({ kind: 'line', bytes: line });
    }
  }

  /** Keeps an unterminated tail, or starts discarding once it is too long. */
  private hold(tail: Buffer, events: LineEvent[]): void {
    if (this.discarding) {
      return;
    }
    const total = this.buffered + tail.length;
    // A line of exactly maxLineBytes may still be waiting for the `\n` of
    // its `\r\n`, so one trailing `\r` beyond the limit is tolerated.
    const overLimit =
      total > this.maxLineBytes + 1 ||
      (total === this.maxLineBytes + 1 && tail[tail.length - 1] !== CR);
    if (overLimit) {
      this.reset();
      this.discarding = true;
      events.push({ kind: 'overflow', limit: this.maxLineBytes });
      return;
    }
    // Copy so a small tail does not pin the caller's whole chunk in memory.
    this.pieces.push(Buffer.from(tail));
    this.buffered = total;
  }

  private lastHeldByte(): number | undefined {
    const last = this.pieces[this.pieces.length - 1];
    return last === undefined ? undefined : last[last.length - 1];
  }

  private reset(): void {
    this.pieces = [];
    this.buffered = 0;
    this.discarding = false;
  }
}

/** True for lines made only of ASCII whitespace (space, tab, LF, VT, FF, CR). */
function isBlank(line: Buffer): boolean {
  for (const byte of line) {
    if (byte !== 0x20 && (byte < 0x09 || byte > 0x0d)) {
      return false;
    }
  }
  return true;
}
