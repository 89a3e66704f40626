/** Something that times out: its deadline on the performance.now() clock, and what happens then. */
export interface Expiring {
  readonly deadline: number;
  expire(): void;
}

/**
 * The timeouts of many calls on one timer. A timer per call costs an
 * allocation and a timer-list insert and removal on every call; here a
 * call records its deadline, and one timer, armed for the earliest
 * deadline, expires whatever is due when it fires. It is cleared as soon
 * as nothing is tracked, so it never holds the process open by itself.
 */
export class Deadlines<T extends Expiring> {
  private readonly entries = new Set<T>();
  private timer: NodeJS.Timeout | undefined;
  /** The deadline the timer is armed for; Infinity when it is not. */
  private armedFor = Infinity;

  /** Tracks `entry` until it is deleted or expires. */
  add(entry: T): void {
    this.entries.add(entry);
    if (entry.deadline < this.armedFor) this.arm(entry.deadline);
  }

  /** Stops tracking `entry` (settled before its deadline). */
  delete(entry: T): void {
    if (this.entries.delete(entry) && this.entries.size === 0) this.disarm();
  }

  get size(): number {
    return this.entries.size;
  }

  private arm(deadline: number): void {
    clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.ceil(deadline - performance.now())));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  /** Expires every entry that is due (in the order they were added), then re-arms for the next. */
  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    const due: T[] = [];
    let next = Infinity;
    for (const entry of this.entries) {
      if (entry.deadline <= now) due.push(entry);
      else if (entry.deadline < next) next = entry.deadline;
    }
    for (const entry of due) this.entries.delete(entry);
    if (next !== Infinity) this.arm(next);
    for (const entry of due) entry.expire();
  }
}
