/**
 * How vscode-jsonrpc takes messages off its queue.
 *
 * vscode-jsonrpc handles one queued message per `setImmediate`, so each
 * message costs a whole event-loop iteration (timers, an epoll wait, the
 * check phase) before the next one starts. `installBurstDispatch` makes it
 * handle up to `maxBurst` queued messages back to back (each in its own
 * microtask, in order), then yield one event-loop turn, so I/O, timers and
 * signals still run between bursts. Messages are handled in the same order
 * and with the same results; only fewer loop iterations are spent on them.
 *
 * The change goes through vscode-jsonrpc's runtime abstraction (`RAL`), which
 * is process-wide: it applies to every connection in this process that uses
 * this copy of vscode-jsonrpc. `toolseal serve` installs it for its own
 * process; a host that owns its process may install it too (see docs/client.md, "Throughput in a host process").
 */
import { RAL, type Disposable } from 'vscode-jsonrpc/node';

/** Messages handled back to back before yielding to the event loop, by default. */
export const DEFAULT_MAX_DISPATCH_BURST = 64;

export interface BurstDispatchOptions {
  /**
   * Messages handled back to back before one event-loop turn (default 64).
   * 0 keeps vscode-jsonrpc's own scheduling: one message per turn.
   */
  maxBurst?: number;
}

/** The runtime layer that was in place before the current install, if any. */
let original: RAL | undefined;

/**
 * Makes vscode-jsonrpc handle queued messages in bursts (see the module
 * comment). Installing again replaces the previous setting. Returns a
 * function that restores vscode-jsonrpc's own scheduling.
 */
export function installBurstDispatch(options: BurstDispatchOptions = {}): () => void {
  const maxBurst = options.maxBurst ?? DEFAULT_MAX_DISPATCH_BURST;
  if (!Number.isInteger(maxBurst) || maxBurst < 0) throw new RangeError(`maxBurst must be an integer >= 0, got ${maxBurst}`);
  const base = original ?? RAL();
  original = base;
  if (maxBurst === 0) {
    RAL.install(base);
    return uninstallBurstDispatch;
  }

  // A callback scheduled while one of ours runs continues its burst (the
  // next queued message); one scheduled from anywhere else (input arriving,
  // the real setImmediate of a yield) starts a new burst.
  let burst = 0;
  let inCallback = false;
  const setImmediateInBursts = (callback: (...args: unknown[]) => void, ...args: unknown[]): Disposable => {
    if (!inCallback) burst = 0;
    if (burst >= maxBurst) return base.timer.setImmediate(callback, ...args);
    burst += 1;
    let live = true;
    queueMicrotask(() => {
      if (!live) return;
      inCallback = true;
      try {
        callback(...args);
      } finally {
        inCallback = false;
      }
    });
    return {
      dispose: () => {
        live = false;
      },
    };
  };
  RAL.install(Object.freeze({ ...base, timer: Object.freeze({ ...base.timer, setImmediate: setImmediateInBursts }) }));
  return uninstallBurstDispatch;
}

/** Restores vscode-jsonrpc's own scheduling (one message per event-loop turn). */
export function uninstallBurstDispatch(): void {
  if (original === undefined) return;
  RAL.install(original);
  original = undefined;
}
