/** The work behind the `start_long_task` tool. */
import type { JobContext } from './jobChanges';

const DEFAULT_PROGRESS_INTERVAL_MS = 500;

export interface LongTaskParams {
  /** How long the task takes. */
  seconds: number;
  /** The task's result. */
  payload: Record<string, unknown>;
  /** How often progress is reported; defaults to 500 ms. */
  progressIntervalMs?: number;
}

/**
 * Waits `seconds`, reporting the elapsed fraction every
 * `progressIntervalMs`, then resolves with `payload`. Rejects at once when
 * the job's signal aborts. Its timers are deliberately not unref'd: a
 * running job keeps the process alive until it ends or is cancelled.
 */
export function longTaskWork(params: LongTaskParams): (ctx: Pick<JobContext, 'signal' | 'reportProgress'>) => Promise<Record<string, unknown>> {
  const totalMs = params.seconds * 1000;
  const intervalMs = params.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  if (!Number.isFinite(totalMs) || totalMs < 0) {
    throw new RangeError(`seconds must be a finite number >= 0, got ${params.seconds}`);
  }
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new RangeError(`progressIntervalMs must be a positive number, got ${intervalMs}`);
  }
  return ({ signal, reportProgress }) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new Error('long task cancelled'));
        return;
      }
      // performance.now() is monotonic: a wall-clock step cannot skew progress.
      const startedMs = performance.now();
      const finish = (): void => {
        clearTimeout(finisher);
        clearInterval(ticker);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        finish();
        reject(new Error('long task cancelled'));
      };
      const finisher = setTimeout(() => {
        finish();
        resolve(params.payload);
      }, totalMs);
      const ticker = setInterval(() => {
        reportProgress(Math.min(1, (performance.now() - startedMs) / totalMs));
      }, intervalMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
}
