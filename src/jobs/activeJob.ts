import type { JobChange } from './jobChanges';
import { JOB_RECORD_BYTES } from './jobLedger';
import type { JobRecord } from './jobStore';

/** The in-process side of a job that is accepted or running here. */
export class ActiveJob {
  readonly controller = new AbortController();
  /** Serialises the job's transitions, so seq order is update order. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The latest progress report held back while updates are held (see `holdProgress`). */
  heldProgress: JobChange | undefined;
  /** What the job keeps once over, bytes (see JobLedger). */
  keptBytes = JOB_RECORD_BYTES;

  constructor(public record: JobRecord) {}

  /** Runs `step` after every step queued before it. `step` must not reject. */
  enqueue<T>(step: () => Promise<T>): Promise<T> {
    const run = this.tail.then(step);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
