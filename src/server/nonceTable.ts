/**
 * A set of 64-bit fingerprints with expiry times, in typed arrays: about 24
 * bytes per entry at full load (8 of fingerprint, 4 of expiry in whole
 * seconds, 4 of owner, 8 of hash table at half load), against a few hundred
 * for a Map of strings, and nothing for the garbage collector to trace.
 * An entry is live up to and including its expiry instant: expiry times are
 * rounded up to the second, so an entry may be kept up to a second longer
 * than asked, never shorter.
 *
 * Each entry has an owner (a small integer: the replay store's index of a
 * client id), and each owner may hold at most `maxPerOwner` live entries,
 * so one owner cannot fill the table for all.
 *
 * Entries sit in a ring in insertion order. Every entry of a replay window
 * lives equally long, so insertion order is expiry order and expired entries
 * leave from the head in amortised O(1). Membership is an open-addressing
 * hash table (linear probing, backward-shift deletion) of ring positions.
 * The arrays grow by doubling up to `maxEntries`, so memory follows the
 * number of live entries.
 */
export class NonceTable {
  private capacity: number;
  private head = 0;
  private count = 0;
  private fp0: Uint32Array;
  private fp1: Uint32Array;
  /** Unix seconds, rounded up; 0 marks a forgotten entry (a tombstone). */
  private expires: Uint32Array;
  private owners: Uint32Array;
  /** Live entries (tombstones included until they leave the head) per owner. */
  private ownerCounts: Uint32Array = new Uint32Array(16);
  /** Ring position + 1 per slot; 0 is an empty slot. */
  private slots: Int32Array;
  private mask: number;

  constructor(
    private readonly maxEntries: number,
    initialCapacity = 1024,
    /** Live entries one owner may hold; defaults to `maxEntries` (no share). */
    private readonly maxPerOwner = maxEntries,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    if (!Number.isInteger(maxPerOwner) || maxPerOwner < 1) throw new RangeError('maxPerOwner must be a positive integer');
    this.capacity = Math.min(maxEntries, initialCapacity);
    this.fp0 = new Uint32Array(this.capacity);
    this.fp1 = new Uint32Array(this.capacity);
    this.expires = new Uint32Array(this.capacity);
    this.owners = new Uint32Array(this.capacity);
    this.slots = new Int32Array(tableSize(this.capacity));
    this.mask = this.slots.length - 1;
  }

  /** Live entries (expired ones still at the head are dropped on the next add). */
  get size(): number {
    return this.count;
  }

  /** Live entries of `owner`. */
  sizeOf(owner: number): number {
    return owner < this.ownerCounts.length ? this.ownerCounts[owner]! : 0;
  }

  /**
   * Adds the fingerprint `(a, b)` (two uint32) through `expiresMs` unless it
   * is present and unexpired: `fresh` when added, `replayed` when present,
   * `full` when `maxEntries` live entries, or `maxPerOwner` of `owner`'s,
   * leave no room.
   */
  add(a: number, b: number, expiresMs: number, nowMs: number, owner = 0): 'fresh' | 'replayed' | 'full' {
    a >>>= 0;
    b >>>= 0;
    const nowSec = nowMs / 1000;
    this.dropExpired(nowSec);
    let slot = a & this.mask;
    for (let entry = this.slots[slot]!; entry !== 0; entry = this.slots[slot]!) {
      const at = entry - 1;
      if (this.fp0[at] === a && this.fp1[at] === b) {
        // Inclusive: an entry still stands at its very expiry instant.
        if (this.expires[at]! >= nowSec) return 'replayed';
        // Expired but not at the head yet (the clock stepped back): forget
        // it here; its ring position becomes a tombstone.
        this.expires[at] = 0;
        this.deleteSlot(slot);
        break;
      }
      slot = (slot + 1) & this.mask;
    }
    if (owner >= this.ownerCounts.length) this.growOwners(owner);
    if (this.ownerCounts[owner]! >= this.maxPerOwner) return 'full';
    if (this.count === this.capacity) {
      if (this.capacity === this.maxEntries) return 'full';
      this.grow();
    }
    const at = (this.head + this.count) % this.capacity;
    this.fp0[at] = a;
    this.fp1[at] = b;
    this.expires[at] = Math.max(1, Math.ceil(expiresMs / 1000));
    this.owners[at] = owner;
    this.ownerCounts[owner]++;
    this.count++;
    this.insertSlot(at);
    return 'fresh';
  }

  private dropExpired(nowSec: number): void {
    while (this.count > 0 && this.expires[this.head]! < nowSec) {
      if (this.expires[this.head] !== 0) this.deleteSlot(this.findSlot(this.head));
      this.ownerCounts[this.owners[this.head]!]--;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  private growOwners(owner: number): void {
    let length = this.ownerCounts.length;
    while (length <= owner) length *= 2;
    const counts = new Uint32Array(length);
    counts.set(this.ownerCounts);
    this.ownerCounts = counts;
  }

  private insertSlot(at: number): void {
    let slot = this.fp0[at]! & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = at + 1;
  }

  private findSlot(at: number): number {
    let slot = this.fp0[at]! & this.mask;
    while (this.slots[slot] !== at + 1) slot = (slot + 1) & this.mask;
    return slot;
  }

  /** Empties `slot` and shifts later members of its probe run back, so no lookup stops early. */
  private deleteSlot(slot: number): void {
    let hole = slot;
    let next = slot;
    for (;;) {
      next = (next + 1) & this.mask;
      const entry = this.slots[next]!;
      if (entry === 0) break;
      const home = this.fp0[entry - 1]! & this.mask;
      // The entry may move back into the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (!stays) {
        this.slots[hole] = entry;
        hole = next;
      }
    }
    this.slots[hole] = 0;
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, this.capacity * 2);
    const fp0 = new Uint32Array(capacity);
    const fp1 = new Uint32Array(capacity);
    const expires = new Uint32Array(capacity);
    const owners = new Uint32Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.capacity;
      fp0[i] = this.fp0[from]!;
      fp1[i] = this.fp1[from]!;
      expires[i] = this.expires[from]!;
      owners[i] = this.owners[from]!;
    }
    this.fp0 = fp0;
    this.fp1 = fp1;
    this.expires = expires;
    this.owners = owners;
    this.capacity = capacity;
    this.head = 0;
    this.slots = new Int32Array(tableSize(capacity));
    this.mask = this.slots.length - 1;
    for (let i = 0; i < this.count; i++) if (this.expires[i] !== 0) this.insertSlot(i);
  }
}

/** A power of two at least twice `capacity`: the table stays at most half full. */
function tableSize(capacity: number): number {
  let size = 16;
  while (size < capacity * 2) size *= 2;
  return size;
}
