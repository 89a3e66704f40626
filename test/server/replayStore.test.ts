import { MemoryReplayStore } from '../../src/server/replayStore';

describe('MemoryReplayStore', () => {
  it('records a pair once and reports the second sighting as replayed', async () => {
    const store = new MemoryReplayStore(10);
    expect(await store.remember('alice', 'nonce-0001', 2000, 1000)).toBe('fresh');
    expect(await store.remember('alice', 'nonce-0001', 2001, 1001)).toBe('replayed');
    expect(await store.remember('bob', 'nonce-0001', 2001, 1001)).toBe('fresh');
  });

  it('keeps client ids and nonces apart even when their concatenations match', async () => {
    const store = new MemoryReplayStore(10);
    expect(await store.remember('a', 'bcdefghij', 2000, 1000)).toBe('fresh');
    expect(await store.remember('ab', 'cdefghij', 2000, 1000)).toBe('fresh');
  });

  it('forgets entries once they expire, and only then', async () => {
    const store = new MemoryReplayStore(10);
    await store.remember('alice', 'nonce-0001', 2000, 1000);
    expect(await store.remember('alice', 'nonce-0001', 2999, 1999)).toBe('replayed');
    // Live through its expiry instant, that instant included.
    expect(await store.remember('alice', 'nonce-0001', 3000, 2000)).toBe('replayed');
    expect(await store.remember('alice', 'nonce-0001', 3001, 2001)).toBe('fresh');
  });

  it('drops expired entries as time passes, so its size stays bounded by the window', async () => {
    const store = new MemoryReplayStore(1_000_000);
    // One call every 100 ms, each remembered for 1 s (kept to the next whole second).
    for (let t = 0; t < 10_000; t++) await store.remember('alice', `nonce-${t}`, t * 100 + 1000, t * 100);
    expect(await store.size()).toBeLessThanOrEqual(21);
  });

  it('refuses new pairs when full instead of forgetting unexpired ones', async () => {
    const store = new MemoryReplayStore(2);
    expect(await store.remember('alice', 'nonce-0001', 5000, 1000)).toBe('fresh');
    expect(await store.remember('alice', 'nonce-0002', 5000, 1000)).toBe('fresh');
    expect(await store.remember('alice', 'nonce-0003', 5000, 1000)).toBe('full');
    expect(await store.remember('alice', 'nonce-0001', 5000, 1000)).toBe('replayed');
    expect(await store.remember('alice', 'nonce-0003', 6001, 5001)).toBe('fresh');
  });

  it("gives each client its own share: one client's flood is refused while the others keep calling", async () => {
    const store = new MemoryReplayStore(10, 4);
    for (let i = 0; i < 4; i++) expect(await store.remember('alice', `nonce-${i}`, 5000, 1000)).toBe('fresh');
    expect(await store.remember('alice', 'nonce-4', 5000, 1000)).toBe('full');
    expect(await store.remember('alice', 'nonce-0', 5000, 1000)).toBe('replayed');
    for (let i = 0; i < 4; i++) expect(await store.remember('bob', `nonce-${i}`, 5000, 1000)).toBe('fresh');
    expect(store.sizeOf('alice')).toBe(4);
    expect(store.sizeOf('bob')).toBe(4);
    // The total cap still holds: two left for everyone else.
    expect(await store.remember('carol', 'nonce-0', 5000, 1000)).toBe('fresh');
    expect(await store.remember('dave', 'nonce-0', 5000, 1000)).toBe('fresh');
    expect(await store.remember('erin', 'nonce-0', 5000, 1000)).toBe('full');
    // A share frees up as its entries expire.
    expect(await store.remember('alice', 'nonce-4', 9000, 5001)).toBe('fresh');
    expect(store.sizeOf('alice')).toBe(1);
  });
});
