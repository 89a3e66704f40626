import fc from 'fast-check';
import { NonceTable } from '../../src/server/nonceTable';

/** The reference: a Map of live fingerprints, with the same verdicts. */
class ModelTable {
  private readonly live = new Map<string, number>();
  constructor(private readonly maxEntries: number) {}
  add(key: string, expiresMs: number, nowMs: number): 'fresh' | 'replayed' | 'full' {
    // The table keeps expiry in whole seconds, rounded up.
    expiresMs = Math.max(1, Math.ceil(expiresMs / 1000)) * 1000;
    // Live through the expiry instant, that instant included.
    for (const [k, e] of this.live) if (e < nowMs) this.live.delete(k);
    const known = this.live.get(key);
    if (known !== undefined) return 'replayed';
    if (this.live.size >= this.maxEntries) return 'full';
    this.live.set(key, expiresMs);
    return 'fresh';
  }
  get size(): number {
    return this.live.size;
  }
}

describe('NonceTable', () => {
  it('gives the same verdicts as a Map for any sequence of adds over advancing time', () => {
    const op = fc.record({
      // Few distinct values, so fingerprints repeat and home slots collide (long probe runs).
      a: fc.integer({ min: 0, max: 40 }),
      b: fc.integer({ min: 0, max: 3 }),
      advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 10_000 }), fc.array(op, { maxLength: 400 }), (maxEntries, ttl, ops) => {
        const table = new NonceTable(maxEntries, 2);
        const model = new ModelTable(maxEntries);
        let now = 1000;
        for (const { a, b, advance } of ops) {
          now += advance;
          const expected = model.add(`${a}/${b}`, now + ttl, now);
          expect(table.add(a, b, now + ttl, now)).toBe(expected);
          expect(table.size).toBe(model.size);
        }
      }),
      { seed: 20261125, numRuns: 300 },
    );
  });

  it('still catches every replay whose expiry the clock has not yet passed when the clock steps back', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ a: fc.integer({ min: 0, max: 20 }), step: fc.integer({ min: -50, max: 50 }) }), { maxLength: 300 }), (ops) => {
        const table = new NonceTable(1000, 2);
        const lastExpiry = new Map<number, number>();
        let now = 10_000;
        let latest = now;
        for (const { a, step } of ops) {
          now += step;
          latest = Math.max(latest, now);
          const verdict = table.add(a, 0, now + 100, now);
          const previous = lastExpiry.get(a);
          if (previous !== undefined && previous > latest) expect(verdict).toBe('replayed');
          if (verdict === 'fresh') lastExpiry.set(a, now + 100);
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('grows up to maxEntries and then refuses instead of forgetting', () => {
    const table = new NonceTable(5000, 16);
    for (let i = 0; i < 5000; i++) expect(table.add((i * 2654435761) >>> 0, i, 10_000, 0)).toBe('fresh');
    expect(table.add(123, 456, 10_000, 0)).toBe('full');
    for (let i = 0; i < 5000; i += 97) expect(table.add((i * 2654435761) >>> 0, i, 10_000, 0)).toBe('replayed');
    expect(table.add(123, 456, 20_000, 10_001)).toBe('fresh');
    expect(table.size).toBe(1);
  });
});
