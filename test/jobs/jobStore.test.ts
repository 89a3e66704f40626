import { canTransition, isTerminal, MemoryJobStore, type JobRecord, type JobState } from '../../src/jobs';

function record(jobId: string): JobRecord {
  return { jobId, ownerClientId: 'client-a', requestId: `req-${jobId}`, tool: 'start_long_task', state: 'running', seq: 1, progress: 0, createdMs: 1_000 };
}

function finished(jobId: string, expiresMs: number, result: Record<string, unknown> = {}): JobRecord {
  return { ...record(jobId), state: 'done', seq: 2, result, finishedMs: expiresMs - 100, expiresMs };
}

describe('the job state machine', () => {
  const states: JobState[] = ['accepted', 'running', 'done', 'error', 'cancelled'];

  it('allows only the protocol lifecycle', () => {
    const allowed = states.flatMap((from) =>
      states.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'accepted->running',
        'accepted->cancelled',
        'running->running',
        'running->done',
        'running->error',
        'running->cancelled',
      ].sort(),
    );
  });

  it('calls done, error and cancelled terminal', () => {
    expect(states.filter(isTerminal)).toEqual(['done', 'error', 'cancelled']);
  });
});

describe('MemoryJobStore', () => {
  it('creates, gets, updates and deletes records', async () => {
    const store = new MemoryJobStore();
    await store.create(record('a'));
    expect(await store.get('a')).toEqual(record('a'));
    await store.update({ ...record('a'), progress: 0.5, seq: 2 });
    expect(await store.get('a')).toMatchObject({ progress: 0.5, seq: 2 });
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    await expect(store.delete('a')).resolves.toBeUndefined();
  });

  it('refuses a duplicate create and an update of an unknown job', async () => {
    const store = new MemoryJobStore();
    await store.create(record('a'));
    await expect(store.create(record('a'))).rejects.toThrow(/already exists/);
    await expect(store.update(record('b'))).rejects.toThrow(/does not exist/);
  });

  it('keeps copies, so callers cannot change stored state', async () => {
    const store = new MemoryJobStore();
    const original = finished('a', 5_000, { nested: { n: 1 } });
    await store.create(original);
    original.seq = 7;
    ((original as { result: Record<string, unknown> }).result.nested as { n: number }).n = 2;

    const got = (await store.get('a'))!;
    expect(got).toMatchObject({ state: 'done', seq: 2, result: { nested: { n: 1 } } });

    got.seq = 9;
    ((got as { result: Record<string, unknown> }).result.nested as { n: number }).n = 3;
    expect(await store.get('a')).toMatchObject({ state: 'done', seq: 2, result: { nested: { n: 1 } } });
  });

  it('deleteExpired deletes exactly the records whose expiry has come', async () => {
    const store = new MemoryJobStore();
    await store.create(record('running-1'));
    await store.create(finished('f-1', 5_000));
    await store.create(finished('f-2', 6_000));
    await store.create(record('running-2'));
    await store.create(finished('f-3', 7_000));

    expect(await store.deleteExpired(4_999)).toBe(0);
    expect(await store.deleteExpired(6_000)).toBe(2);
    expect(await store.get('f-1')).toBeUndefined();
    expect(await store.get('f-2')).toBeUndefined();
    expect(await store.get('f-3')).toEqual(finished('f-3', 7_000));
    expect(await store.deleteExpired(1e12)).toBe(1);
    // Running jobs never expire.
    expect(await store.get('running-1')).toEqual(record('running-1'));
    expect(await store.get('running-2')).toEqual(record('running-2'));
    expect(store.size).toBe(2);
  });

  it('deleteExpired picks up jobs that finish through update', async () => {
    const store = new MemoryJobStore();
    await store.create(record('a'));
    await store.update(finished('a', 2_000));
    expect(await store.deleteExpired(1_999)).toBe(0);
    expect(await store.deleteExpired(2_000)).toBe(1);
    expect(store.size).toBe(0);
  });

  it('deleteExpired does not count records deleted or re-expired since', async () => {
    const store = new MemoryJobStore();
    await store.create(finished('deleted', 1_000));
    await store.create(finished('moved', 1_000));
    await store.delete('deleted');
    await store.update(finished('moved', 3_000));

    expect(await store.deleteExpired(2_000)).toBe(0);
    expect(await store.get('moved')).toEqual(finished('moved', 3_000));
    expect(await store.deleteExpired(3_000)).toBe(1);
    expect(await store.get('moved')).toBeUndefined();
  });

  it('deleteExpired copes with expiries that arrive out of order', async () => {
    const store = new MemoryJobStore();
    await store.create(finished('late', 9_000));
    await store.create(finished('early', 2_000));
    await store.create(finished('middle', 5_000));

    expect(await store.deleteExpired(2_000)).toBe(1);
    expect(await store.get('early')).toBeUndefined();
    expect(await store.deleteExpired(5_000)).toBe(1);
    expect(await store.get('middle')).toBeUndefined();
    expect(await store.get('late')).toEqual(finished('late', 9_000));
  });

  it('handles many expiries across queue compaction', async () => {
    const store = new MemoryJobStore();
    for (let i = 0; i < 5_000; i += 1) {
      await store.create(finished(`job-${i}`, 10_000 + i));
    }
    let deleted = 0;
    for (let t = 10_000; t < 15_000; t += 700) {
      deleted += await store.deleteExpired(t);
      expect(store.size).toBe(5_000 - deleted);
      expect(await store.get(`job-${t - 10_000}`)).toBeUndefined();
      expect(await store.get(`job-${t - 10_000 + 1}`)).toEqual(finished(`job-${t - 10_000 + 1}`, t + 1));
    }
    await store.create(finished('after', 20_000));
    expect(await store.deleteExpired(19_999)).toBe(5_000 - deleted);
    expect(await store.deleteExpired(20_000)).toBe(1);
    expect(store.size).toBe(0);
  });

  it('deleteExpired looks only at due entries, never scans the running jobs', async () => {
    const store = new MemoryJobStore();
    for (let i = 0; i < 1_000; i += 1) {
      await store.create(record(`running-${i}`));
    }
    await store.create(finished('due', 1_000));
    await store.create(finished('not-due', 9_000));

    const lookups = jest.spyOn(Map.prototype, 'get');
    const scans = [
      jest.spyOn(Map.prototype, 'values'),
      jest.spyOn(Map.prototype, 'keys'),
      jest.spyOn(Map.prototype, 'entries'),
      jest.spyOn(Map.prototype, 'forEach'),
    ];
    try {
      const deleted = store.deleteExpired(5_000);
      expect(lookups).toHaveBeenCalledTimes(1);
      for (const scan of scans) expect(scan).not.toHaveBeenCalled();
      expect(await deleted).toBe(1);
    } finally {
      jest.restoreAllMocks();
    }
  });
});
