import { JobLimitError, JobManager, MemoryJobStore, type JobContext, type JobManagerOptions, type JobUpdate, type JobWork } from '../../src/jobs';
import { estimateRetainedBytes } from '../../src/jobs/retainedSize';

const TTL_MS = 60_000;

/** Work that finishes only when the test says so. */
function manualWork(): { work: JobWork; ctx: () => JobContext; resolve: (r: Record<string, unknown>) => void } {
  let context: JobContext | undefined;
  let resolver: ((r: Record<string, unknown>) => void) | undefined;
  return {
    work: (ctx) => {
      context = ctx;
      return new Promise((resolve) => (resolver = resolve));
    },
    ctx: () => context!,
    resolve: (r) => resolver!(r),
  };
}

let managers: JobManager[] = [];

function setup(overrides: Partial<JobManagerOptions> = {}) {
  const updates: JobUpdate[] = [];
  const manager = new JobManager({ store: new MemoryJobStore(), maxJobs: 100, ttlMs: TTL_MS, onUpdate: (u) => updates.push(u), ...overrides });
  managers.push(manager);
  const start = (ownerClientId: string, work: JobWork = manualWork().work, heldBytes?: number) =>
    manager.start({ ownerClientId, requestId: 'req', tool: 't', work, heldBytes });
  return { manager, updates, start };
}

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => {
  for (const manager of managers) manager.close();
  managers = [];
  jest.useRealTimers();
});

describe('estimateRetainedBytes', () => {
  it('counts what parsed values cost, not their text: many empty objects weigh far more than their bytes', () => {
    const text = JSON.stringify({ payload: Array.from({ length: 340_000 }, () => ({})) });
    expect(text.length).toBeLessThan(1_100_000);
    expect(estimateRetainedBytes(JSON.parse(text))).toBeGreaterThan(20 * text.length);
  });

  it('survives deep nesting', () => {
    let value: unknown = {};
    for (let i = 0; i < 200_000; i++) value = [value];
    expect(estimateRetainedBytes(value)).toBeGreaterThan(200_000);
  });
});

describe('JobManager limits per client and in all', () => {
  it("gives each client its share of the running jobs: one client's flood leaves room for another", async () => {
    const { start } = setup({ maxJobs: 10, limits: { maxJobsPerClient: 3 } });
    for (let i = 0; i < 3; i++) await start('alice');
    await expect(start('alice')).rejects.toThrow(new JobLimitError('too many jobs: the limit is 3 running at once per client'));
    await expect(start('bob')).resolves.toMatchObject({ ownerClientId: 'bob', state: 'accepted' });
  });

  it('refuses work whose arguments would take a client past its bytes, before accepting it', async () => {
    const { start } = setup({ limits: { maxJobBytesPerClient: 100_000 } });
    await start('alice', undefined, 60_000);
    await expect(start('alice', undefined, 60_000)).rejects.toThrow(/jobs hold too much: the limit is 100000 bytes per client/);
    await expect(start('bob', undefined, 60_000)).resolves.toMatchObject({ state: 'accepted' });
  });

  it('evicts finished jobs oldest first to make room (they then poll as unknown), never a running one', async () => {
    const { manager, start } = setup({ limits: { maxJobRecordsPerClient: 3 } });
    const jobs = [manualWork(), manualWork(), manualWork()];
    const records = [];
    for (const job of jobs) records.push(await start('alice', job.work));
    await jest.advanceTimersByTimeAsync(0);
    jobs[0]!.resolve({ n: 0 });
    await jest.advanceTimersByTimeAsync(1);
    jobs[1]!.resolve({ n: 1 });
    await jest.advanceTimersByTimeAsync(1);
    // Full: the oldest finished job makes room.
    const fourth = await start('alice');
    expect(await manager.get(records[0]!.jobId, 'alice')).toBeUndefined();
    expect(await manager.get(records[1]!.jobId, 'alice')).toMatchObject({ state: 'done', result: { n: 1 } });
    // Then the next one.
    await start('alice');
    expect(await manager.get(records[1]!.jobId, 'alice')).toBeUndefined();
    // Only running jobs are left: refused, and they all stay.
    await expect(start('alice')).rejects.toThrow(/too many jobs kept: the limit is 3 per client/);
    await jest.advanceTimersByTimeAsync(0);
    for (const id of [records[2]!.jobId, fourth.jobId]) expect(await manager.get(id, 'alice')).toMatchObject({ state: 'running' });
  });

  it('ends a job in error, with its terminal update, when its result does not fit', async () => {
    const { manager, start, updates } = setup({ limits: { maxJobBytesPerClient: 50_000 } });
    const job = manualWork();
    const record = await start('alice', job.work);
    await jest.advanceTimersByTimeAsync(0);
    job.resolve({ items: Array.from({ length: 10_000 }, () => ({})) });
    await jest.advanceTimersByTimeAsync(0);
    const last = updates[updates.length - 1]!;
    expect(last).toMatchObject({ jobId: record.jobId, state: 'error', error: expect.stringMatching(/^job result too large to keep: the limit is 50000 bytes per client/) });
    expect(await manager.get(record.jobId, 'alice')).toMatchObject({ state: 'error' });
  });

  it('forgets finished jobs in its tally as they expire, so their room comes back', async () => {
    const { start } = setup({ limits: { maxJobRecordsPerClient: 1 } });
    const job = manualWork();
    await start('alice', job.work);
    await expect(start('alice')).rejects.toThrow(JobLimitError);
    await jest.advanceTimersByTimeAsync(0);
    job.resolve({});
    await jest.advanceTimersByTimeAsync(TTL_MS);
    await expect(start('alice')).resolves.toMatchObject({ state: 'accepted' });
  });
});

describe('JobManager holding progress while the output is stalled', () => {
  it('keeps only the latest progress of each job, sends it once released, and never holds a terminal update', async () => {
    const { manager, start, updates } = setup();
    const a = manualWork();
    const b = manualWork();
    const ra = await start('alice', a.work);
    const rb = await start('alice', b.work);
    await jest.advanceTimersByTimeAsync(0);
    expect(updates).toHaveLength(2); // running, progress 0, for each
    manager.holdProgress(true);
    for (let i = 1; i <= 1000; i++) {
      a.ctx().reportProgress(i / 2000);
      b.ctx().reportProgress(i / 2000);
    }
    b.resolve({ ok: true });
    await jest.advanceTimersByTimeAsync(0);
    expect(updates.slice(2).map((u) => [u.jobId, u.state])).toEqual([[rb.jobId, 'done']]);
    manager.holdProgress(false);
    await jest.advanceTimersByTimeAsync(0);
    expect(updates.slice(3).map((u) => [u.jobId, u.state, u.progress, u.seq])).toEqual([[ra.jobId, 'running', 0.5, 2]]);
  });
});
