/**
 * A job's updates as MCP progress notifications for one progress token.
 * MCP wants the value to increase with every notification, so running
 * progress is capped below the total and only sent when it grew; the job's
 * end is always the last notification, at the total.
 */
import { FALLBACK_ERROR_MESSAGE, type JobUpdate } from '../jobs';
import type { JsonObject } from '../protocol/wire';
import type { ProgressParams, ProgressToken } from './types';

/** Progress is reported in percent. */
export const PROGRESS_TOTAL = 100;
/** Running progress stops here: only the job's end reaches the total. */
const RUNNING_CAP = 99;

/** A job update's progress value (percent, one decimal) and message. */
export function progressOf(update: Pick<JobUpdate, 'state' | 'progress' | 'error' | 'message'>): { progress: number; message: string } {
  switch (update.state) {
    case 'running': {
      const percent = Math.min(RUNNING_CAP, Math.round((update.progress ?? 0) * 1000) / 10);
      return { progress: percent, message: update.message ?? `running (${percent}%)` };
    }
    case 'done':
      return { progress: PROGRESS_TOTAL, message: 'done' };
    case 'cancelled':
      return { progress: PROGRESS_TOTAL, message: 'cancelled' };
    case 'error':
      return { progress: PROGRESS_TOTAL, message: `failed: ${update.error ?? FALLBACK_ERROR_MESSAGE}` };
  }
}

/** The progress notifications of one job for one token. */
export class ProgressStream {
  private last: number | undefined;

  constructor(
    readonly token: ProgressToken,
    private readonly meta?: JsonObject,
  ) {}

  /** The notification params for `update`, or undefined when it would not increase the progress. */
  next(update: Pick<JobUpdate, 'state' | 'progress' | 'error' | 'message'>): ProgressParams | undefined {
    const { progress, message } = progressOf(update);
    if (this.last !== undefined && progress <= this.last) return undefined;
    this.last = progress;
    const params: ProgressParams = { progressToken: this.token, progress, total: PROGRESS_TOTAL, message };
    if (this.meta !== undefined) params._meta = this.meta;
    return params;
  }
}
