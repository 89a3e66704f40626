/**
 * Puts one job's notifications back into seq order. Pure: items in, items
 * out, no timers. Duplicates (a seq already delivered or held) are dropped;
 * an item past a gap is held until the gap fills or the caller gives up on
 * it with {@link SeqOrder.flush}.
 */
export class SeqOrder<T extends { readonly seq: number }> {
  private nextSeq = 1;
  private readonly held = new Map<number, T>();

  /** @param maxHeld items held past a gap before the gap is given up on. */
  constructor(private readonly maxHeld = 256) {}

  /** The seq expected next. */
  get expected(): number {
    return this.nextSeq;
  }

  /** Whether items are waiting behind a gap. */
  get holding(): boolean {
    return this.held.size > 0;
  }

  /** Takes one item; returns the items now deliverable, in seq order (often just this one). */
  push(item: T): T[] {
    if (!Number.isSafeInteger(item.seq) || item.seq < this.nextSeq || this.held.has(item.seq)) return [];
    this.held.set(item.seq, item);
    if (this.held.size > this.maxHeld) return this.flush();
    const ready: T[] = [];
    for (let next = this.held.get(this.nextSeq); next !== undefined; next = this.held.get(this.nextSeq)) {
      this.held.delete(this.nextSeq);
      ready.push(next);
      this.nextSeq++;
    }
    return ready;
  }

  /** Gives up on every gap: returns all held items in seq order; later seqs continue after the last. */
  flush(): T[] {
    const ready = [...this.held.values()].sort((a, b) => a.seq - b.seq);
    this.held.clear();
    if (ready.length > 0) this.nextSeq = ready[ready.length - 1]!.seq + 1;
    return ready;
  }
}
