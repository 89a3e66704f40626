/**
 * How long the server on the other end lives, as the client sees it: when
 * the connection counts as lost (its output ended, or its process exited,
 * each given a moment to catch up with the other), how it ended, and how
 * `close()` stops it.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { ExitInfo } from './errors';

/** The two ends of a running server's stdio, seen from the client. */
export interface ClientStreams {
  /** What the server writes: its stdout. */
  readable: Readable;
  /** What the server reads: its stdin. */
  writable: Writable;
}

/** How long to wait for the other half of "stdout ended" and "process exited" once one has happened. */
const EXIT_SETTLE_MS = 1_000;

export class ServerLifetime {
  /** Resolves once the server is gone and `onLost` has run; never rejects. */
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;

  constructor(
    private readonly child: ChildProcess | undefined,
    private readonly streams: ClientStreams,
    /** Resolves when the server's output has ended. */
    inputEnded: Promise<void>,
    /** Runs once, when the connection is lost (every pending call then rejects). */
    onLost: () => Promise<void>,
  ) {
    if (!child) {
      this.exited = inputEnded.then(onLost).then(() => ({ code: null, signal: null }));
      return;
    }
    const childExited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      // 'error' without a pid: the process never started, and 'exit' may never come.
      // ('on', not 'once': a failed kill is also an 'error', and an unheard one would throw.)
      child.on('error', (error) => {
        if (child.pid === undefined) resolve({ code: null, signal: null, error });
      });
    });
    void childExited.then((info) => (this.exitInfo = info));
    // Whichever comes first, give the other a moment: answers still in the
    // pipe when the process exits are read before anything is rejected.
    const lost = Promise.race([
      inputEnded.then(() => settleWithin(childExited, EXIT_SETTLE_MS)),
      childExited.then(() => settleWithin(inputEnded, EXIT_SETTLE_MS)),
    ]).then(onLost);
    this.exited = Promise.all([childExited, lost]).then(([info]) => info);
  }

  /** How the process ended, once it has (nulls before, and for connected streams). */
  get exit(): ExitInfo {
    return this.exitInfo ?? { code: null, signal: null };
  }

  /**
   * Waits `graceMs` for the server to end after its input was closed; then
   * SIGTERM, and after `killAfterMs` more SIGKILL. A server the client did
   * not start is not signalled: its streams are destroyed instead.
   */
  async stop(graceMs: number, killAfterMs: number): Promise<ExitInfo> {
    const child = this.child;
    if (child) {
      if (!(await settleWithin(this.exited, graceMs, true))) {
        child.kill('SIGTERM');
        if (!(await settleWithin(this.exited, killAfterMs, true))) child.kill('SIGKILL');
      }
    } else if (!(await settleWithin(this.exited, graceMs, true))) {
      this.streams.readable.destroy();
      this.streams.writable.destroy();
    }
    return this.exited;
  }
}

/** Resolves true once `promise` settles, or false after `ms` (a timer that holds the process open only if `ref`). */
function settleWithin(promise: Promise<unknown>, ms: number, ref = false): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    if (!ref) timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}
