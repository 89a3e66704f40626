/** A FIFO of numbers in a growable ring: no allocation per entry. */
export class NumberQueue {
  private items = new Float64Array(64);
  private head = 0;
  private length = 0;

  push(value: number): void {
    if (this.length === this.items.length) {
      const grown = new Float64Array(this.items.length * 2);
      for (let i = 0; i < this.length; i++) grown[i] = this.items[(this.head + i) % this.items.length]!;
      this.items = grown;
      this.head = 0;
    }
    this.items[(this.head + this.length) % this.items.length] = value;
    this.length++;
  }

  /** The oldest value, removed; 0 when empty. */
  shift(): number {
    if (this.length === 0) return 0;
    const value = this.items[this.head]!;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return value;
  }
}
