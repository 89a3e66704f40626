import {
  JobLimitError,
  JobManager,
  longTaskWork,
  MemoryJobStore,
  type FinishedJobRecord,
  type JobContext,
  type JobManagerOptions,
  type JobStore,
  type JobUpdate,
  type JobWork,
} from '../../src/jobs';

const OWNER = 'client-a';
const OTHER = 'client-b';
const TTL_MS = 60_000;

/** Runs due timers (setImmediate included) and the promise callbacks they queue. */
async function advance(ms = 0): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

/** Work that finishes only when the test says so. */
class ManualWork {
  ctx: JobContext | undefined;
  calls = 0;
  private settle: { resolve(r: Record<string, unknown>): void; reject(e: unknown): void } | undefined;

  readonly work: JobWork = (ctx) => {
    this.ctx = ctx;
    this.calls += 1;
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  };

  resolve(result: Record<string, unknown>): void {
    this.settle!.resolve(result);
  }

  reject(error: unknown): void {
    this.settle!.reject(error);
  }
}

let managers: JobManager[] = [];

function setup(overrides: Partial<JobManagerOptions> = {}) {
  const updates: JobUpdate[] = [];
  const failures: unknown[] = [];
  const store = new MemoryJobStore();
  const manager = new JobManager({
    store,
    maxJobs: 10,
    ttlMs: TTL_MS,
    onUpdate: (update) => updates.push(update),
    onError: (error) => failures.push(error),
    ...overrides,
  });
  managers.push(manager);
  const start = (work: JobWork, requestId = 'req-1', ownerClientId = OWNER) =>
    manager.start({ ownerClientId, requestId, tool: 'start_long_task', work });
  const updatesOf = (jobId: string) => updates.filter((u) => u.jobId === jobId);
  return { manager, store, updates, failures, start, updatesOf };
}

function expectSeqs(updates: JobUpdate[]): void {
  expect(updates.map((u) => u.seq)).toEqual(updates.map((_, i) => i + 1));
}

beforeEach(() => {
  jest.useFakeTimers({ now: 1_700_000_000_000 });
});

afterEach(() => {
  for (const manager of managers) manager.close();
  managers = [];
  jest.useRealTimers();
});

describe('JobManager lifecycle', () => {
  it('accepts, then runs on a later macrotask, reports progress and ends with done', async () => {
    const { manager, start, updates } = setup();
    const manual = new ManualWork();

    const accepted = await start(manual.work, 'req-42');
    expect(accepted).toMatchObject({
      ownerClientId: OWNER,
      requestId: 'req-42',
      tool: 'start_long_task',
      state: 'accepted',
      seq: 0,
      createdMs: Date.now(),
    });
    expect(accepted.jobId).toEqual(expect.any(String));
    // Promise callbacks alone do not start it: the caller answers first.
    for (let i = 0; i < 20; i += 1) await Promise.resolve();
    expect(updates).toEqual([]);
    expect(manual.calls).toBe(0);
    expect(manager.runningCount).toBe(1);

    await advance();
    expect(manual.calls).toBe(1);
    expect(updates).toEqual([
      { jobId: accepted.jobId, requestId: 'req-42', ownerClientId: OWNER, seq: 1, state: 'running', progress: 0 },
    ]);

    manual.ctx!.reportProgress(0.25);
    manual.ctx!.reportProgress(7); // clamped
    manual.ctx!.reportProgress(-3); // clamped
    manual.ctx!.reportProgress(Number.NaN); // ignored
    await advance();
    expect(updates.slice(1).map((u) => [u.seq, u.state, u.progress])).toEqual([
      [2, 'running', 0.25],
      [3, 'running', 1],
      [4, 'running', 0],
    ]);

    manual.resolve({ answer: 42 });
    await advance();
    expect(updates[4]).toEqual({
      jobId: accepted.jobId,
      requestId: 'req-42',
      ownerClientId: OWNER,
      seq: 5,
      state: 'done',
      progress: 1,
      result: { answer: 42 },
      finishedMs: expect.any(Number),
      expiresMs: expect.any(Number),
    });
    expect(updates).toHaveLength(5);
    expect(manager.runningCount).toBe(0);

    // Progress after the end is ignored.
    manual.ctx!.reportProgress(0.5);
    await advance(1_000);
    expect(updates).toHaveLength(5);

    const polled = await manager.get(accepted.jobId, OWNER);
    expect(polled).toMatchObject({
      state: 'done',
      seq: 5,
      result: { answer: 42 },
      finishedMs: Date.now() - 1_000,
      expiresMs: Date.now() - 1_000 + TTL_MS,
    });
    // The terminal update carries the record's end and expiry.
    expect(updates[4]).toMatchObject({ finishedMs: (polled as FinishedJobRecord).finishedMs, expiresMs: (polled as FinishedJobRecord).expiresMs });
  });

  it('keeps seq gap-free and in onUpdate order under interleaved progress', async () => {
    const { start, updatesOf } = setup();
    const jobs = await Promise.all([1, 2, 3].map(() => new ManualWork()).map(async (m) => ({ m, rec: await start(m.work) })));
    await advance();
    for (let round = 1; round <= 5; round += 1) {
      for (const { m } of jobs) m.ctx!.reportProgress(round / 10);
    }
    jobs[1].m.resolve({});
    jobs[0].m.reject(new Error('boom'));
    jobs[2].m.ctx!.reportProgress(0.9);
    jobs[2].m.resolve({ last: true });
    await advance();
    for (const { rec } of jobs) {
      const mine = updatesOf(rec.jobId);
      expectSeqs(mine);
      expect(mine.slice(0, 6).map((u) => u.progress)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
      expect(mine.filter((u) => u.state !== 'running')).toEqual([mine[mine.length - 1]]);
    }
  });

  it('hands out copies: mutating an update or a returned record changes nothing', async () => {
    const { manager, start, updates } = setup();
    const manual = new ManualWork();
    const payload = { nested: { n: 1 } };
    const accepted = await start(manual.work);
    await advance();
    manual.resolve(payload);
    await advance();
    payload.nested.n = 2;
    (updates[1].result!.nested as { n: number }).n = 3;
    const first = (await manager.get(accepted.jobId, OWNER))!;
    first.state = 'error';
    expect(await manager.get(accepted.jobId, OWNER)).toMatchObject({ state: 'done', result: { nested: { n: 1 } } });
  });
});

describe('JobManager with longTaskWork', () => {
  it('reports progress at least once a second for a 3 s task and ends with its payload', async () => {
    const { manager, start, updates } = setup();
    const startedMs = Date.now();
    const accepted = await start(longTaskWork({ seconds: 3, payload: { hello: 'world' } }));
    const times: number[] = [];
    const seen = (): void => {
      while (times.length < updates.length) times.push(Date.now() - startedMs);
    };
    for (let t = 0; t < 4_000; t += 50) {
      await advance(50);
      seen();
    }
    expectSeqs(updates);
    const last = updates[updates.length - 1];
    expect(last).toMatchObject({ state: 'done', result: { hello: 'world' } });
    expect(updates.slice(0, -1).every((u) => u.state === 'running')).toBe(true);
    expect(times[times.length - 1]).toBe(3_000);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_000);
    const progress = updates.slice(0, -1).map((u) => u.progress!);
    // Timers are fake: the first status, then a report every 500 ms until the task ends at 3 s.
    expect(progress).toEqual([0, 500, 1_000, 1_500, 2_000, 2_500].map((ms) => ms / 3_000));
    expect(await manager.get(accepted.jobId, OWNER)).toMatchObject({ state: 'done', result: { hello: 'world' } });
    manager.close();
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('JobManager cancel', () => {
  it('cancels a job still accepted: one cancelled update, the work never runs', async () => {
    const { manager, start, updates } = setup();
    const manual = new ManualWork();
    const accepted = await start(manual.work);

    const cancelled = await manager.cancel(accepted.jobId, OWNER);
    expect(cancelled).toMatchObject({ jobId: accepted.jobId, state: 'cancelled', seq: 1 });
    await advance(1_000);
    expect(manual.calls).toBe(0);
    expect(updates).toEqual([
      { jobId: accepted.jobId, requestId: 'req-1', ownerClientId: OWNER, seq: 1, state: 'cancelled', finishedMs: expect.any(Number), expiresMs: expect.any(Number) },
    ]);
    expect(manager.runningCount).toBe(0);
  });

  it('cancels a running job: its signal fires, cancelled is the last update, timers are cleared', async () => {
    const { manager, start, updates } = setup();
    let signal: AbortSignal | undefined;
    const work = longTaskWork({ seconds: 10, payload: { never: true } });
    const accepted = await start((ctx) => {
      signal = ctx.signal;
      return work(ctx);
    });
    await advance(1_200);
    expect(signal!.aborted).toBe(false);

    const cancelled = await manager.cancel(accepted.jobId, OWNER);
    expect(signal!.aborted).toBe(true);
    expect(cancelled).toMatchObject({ state: 'cancelled' });
    expect(cancelled).not.toHaveProperty('result');
    expect((cancelled as FinishedJobRecord).finishedMs).toBe(Date.now());

    await advance(20_000);
    expectSeqs(updates);
    expect(updates.map((u) => u.state)).toEqual(['running', 'running', 'running', 'cancelled']);
    expect(cancelled!.seq).toBe(4);
    manager.close();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('is idempotent: cancelling a finished job returns it unchanged and sends nothing', async () => {
    const { manager, start, updates } = setup();
    const manual = new ManualWork();
    const accepted = await start(manual.work);
    await advance();
    manual.resolve({ ok: 1 });
    await advance();
    const done = await manager.get(accepted.jobId, OWNER);
    expect(updates).toHaveLength(2);

    expect(await manager.cancel(accepted.jobId, OWNER)).toEqual(done);
    expect(manual.ctx!.signal.aborted).toBe(false);

    const other = new ManualWork();
    const second = await start(other.work);
    const once = await manager.cancel(second.jobId, OWNER);
    const twice = await manager.cancel(second.jobId, OWNER);
    expect(twice).toEqual(once);
    await advance();
    expect(updates).toHaveLength(3);
  });

  it('lets a cancel win over a result that arrives after it', async () => {
    const { manager, start, updates } = setup();
    const manual = new ManualWork();
    const accepted = await start(manual.work);
    await advance();
    const cancelling = manager.cancel(accepted.jobId, OWNER);
    manual.resolve({ late: true });
    expect(await cancelling).toMatchObject({ state: 'cancelled' });
    await advance();
    expect(updates.map((u) => u.state)).toEqual(['running', 'cancelled']);
  });

  it('returns the finished record when the job ended before the cancel arrived', async () => {
    const { manager, start, updates } = setup();
    const manual = new ManualWork();
    const accepted = await start(manual.work);
    await advance();
    manual.resolve({ first: true });
    await Promise.resolve(); // the manager has seen the result; its update is not sent yet
    expect(updates).toHaveLength(1);
    const cancelling = manager.cancel(accepted.jobId, OWNER);
    expect(await cancelling).toMatchObject({ state: 'done', result: { first: true } });
    await advance();
    expect(updates.map((u) => u.state)).toEqual(['running', 'done']);
  });
});

describe('JobManager ownership and expiry', () => {
  it('answers another owner, and unknown ids, with undefined and leaves the job alone', async () => {
    const { manager, start, updates } = setup();
    const manual = new ManualWork();
    const accepted = await start(manual.work);
    await advance();

    expect(await manager.get(accepted.jobId, OTHER)).toBeUndefined();
    expect(await manager.cancel(accepted.jobId, OTHER)).toBeUndefined();
    expect(await manager.get('no-such-job', OWNER)).toBeUndefined();
    expect(await manager.cancel('no-such-job', OWNER)).toBeUndefined();
    expect(manual.ctx!.signal.aborted).toBe(false);
    expect(await manager.get(accepted.jobId, OWNER)).toMatchObject({ state: 'running' });

    manual.resolve({});
    await advance();
    expect(await manager.get(accepted.jobId, OTHER)).toBeUndefined();
    expect(await manager.cancel(accepted.jobId, OTHER)).toBeUndefined();
    expect(updates.map((u) => u.state)).toEqual(['running', 'done']);
  });

  it('forgets a finished job after the TTL, in lookups at once and in the store on the next sweep', async () => {
    const { manager, store, start } = setup({ ttlMs: 1_000, sweepIntervalMs: 10_000 });
    const manual = new ManualWork();
    const accepted = await start(manual.work);
    await advance();
    manual.resolve({});
    await advance();

    await advance(999);
    expect(await manager.get(accepted.jobId, OWNER)).toMatchObject({ state: 'done' });
    await advance(1);
    expect(await manager.get(accepted.jobId, OWNER)).toBeUndefined();
    expect(await manager.cancel(accepted.jobId, OWNER)).toBeUndefined();
    expect(await store.get(accepted.jobId)).toBeDefined(); // no sweep yet

    await advance(10_000);
    expect(await store.get(accepted.jobId)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('never expires a running job', async () => {
    const { manager, store, start } = setup({ ttlMs: 1_000, sweepIntervalMs: 500 });
    const manual = new ManualWork();
    const accepted = await start(manual.work);
    await advance(60_000);
    expect(await manager.get(accepted.jobId, OWNER)).toMatchObject({ state: 'running' });
    expect(await store.get(accepted.jobId)).toMatchObject({ state: 'running' });
  });
});

describe('JobManager limits', () => {
  it('refuses a start beyond maxJobs, and finished or cancelled jobs free their slot', async () => {
    const { manager, start } = setup({ maxJobs: 2 });
    const a = new ManualWork();
    const b = new ManualWork();
    await start(a.work);
    const second = await start(b.work);
    await expect(start(new ManualWork().work)).rejects.toThrow(JobLimitError);
    await expect(start(new ManualWork().work)).rejects.toThrow('too many jobs: the limit is 2 running at once');
    expect(manager.runningCount).toBe(2);

    await advance();
    a.resolve({});
    await advance();
    expect(manager.runningCount).toBe(1);
    await start(new ManualWork().work);
    await expect(start(new ManualWork().work)).rejects.toBeInstanceOf(JobLimitError);

    await manager.cancel(second.jobId, OWNER);
    await start(new ManualWork().work);
    expect(manager.runningCount).toBe(2);
  });

  it('does not overshoot when starts race', async () => {
    const { manager, start } = setup({ maxJobs: 3 });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => start(new ManualWork().work)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected).toHaveLength(2);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(JobLimitError);
    expect(manager.runningCount).toBe(3);
  });

  it('validates its options', () => {
    const store = new MemoryJobStore();
    const onUpdate = () => undefined;
    expect(() => new JobManager({ store, maxJobs: 0, ttlMs: 1, onUpdate })).toThrow(RangeError);
    expect(() => new JobManager({ store, maxJobs: 1.5, ttlMs: 1, onUpdate })).toThrow(RangeError);
    expect(() => new JobManager({ store, maxJobs: 1, ttlMs: -1, onUpdate })).toThrow(RangeError);
    expect(() => new JobManager({ store, maxJobs: 1, ttlMs: 1, onUpdate, sweepIntervalMs: 0 })).toThrow(RangeError);
  });
});

describe('JobManager failures', () => {
  it('turns a rejecting work into an error update carrying only its message', async () => {
    const { manager, start, updates } = setup();
    const accepted = await start(async () => {
      throw new Error('disk on fire');
    });
    await advance();
    expect(updates.map((u) => u.state)).toEqual(['running', 'error']);
    expect(updates[1]).toEqual({
      jobId: accepted.jobId,
      requestId: 'req-1',
      ownerClientId: OWNER,
      seq: 2,
      state: 'error',
      progress: 0,
      error: 'disk on fire',
      finishedMs: expect.any(Number),
      expiresMs: expect.any(Number),
    });
    expect(await manager.get(accepted.jobId, OWNER)).toMatchObject({ state: 'error', error: 'disk on fire' });
  });

  it('handles a work that throws synchronously, throws a non-Error or returns a non-object', async () => {
    const { start, updatesOf } = setup();
    const sync = await start(() => {
      throw new Error('sync failure');
    });
    const odd = await start(() => Promise.reject({ weird: true }));
    const empty = await start(() => Promise.reject(new Error('')));
    const notObject = await start(() => Promise.resolve(42 as unknown as Record<string, unknown>));
    const withFunction = await start(() => Promise.resolve({ f: () => 1 }));
    await advance();
    const last = (jobId: string) => updatesOf(jobId).at(-1)!;
    expect(last(sync.jobId)).toMatchObject({ state: 'error', error: 'sync failure' });
    expect(last(odd.jobId)).toMatchObject({ state: 'error', error: 'job failed' });
    expect(last(empty.jobId)).toMatchObject({ state: 'error', error: 'job failed' });
    expect(last(notObject.jobId)).toMatchObject({ state: 'error', error: 'job result is not a plain object' });
    expect(last(withFunction.jobId)).toMatchObject({ state: 'error', error: 'job result is not a plain object' });
  });

  it('survives an onUpdate that throws, and reports it to onError', async () => {
    const seen: JobUpdate[] = [];
    const { manager, start, failures } = setup({
      onUpdate: (update) => {
        seen.push(update);
        throw new Error('writer broke');
      },
    });
    const manual = new ManualWork();
    const accepted = await start(manual.work);
    await advance();
    manual.ctx!.reportProgress(0.5);
    manual.resolve({ fine: true });
    const idle = manager.whenIdle();
    await advance();
    await idle;
    expectSeqs(seen);
    expect(seen.map((u) => u.state)).toEqual(['running', 'running', 'done']);
    expect(failures).toHaveLength(3);
    expect(await manager.get(accepted.jobId, OWNER)).toMatchObject({ state: 'done', seq: 3 });
    // A throwing onError is survived too.
    const { manager: m2, start: start2, updates } = setup({
      onUpdate: () => {
        throw new Error('writer broke');
      },
      onError: () => {
        throw new Error('logger broke');
      },
    });
    const job = await start2(async () => ({}));
    await advance();
    expect(await m2.get(job.jobId, OWNER)).toMatchObject({ state: 'done' });
    expect(updates).toEqual([]);
  });

  it('still sends every update, the terminal one included, when the store fails to write', async () => {
    const inner = new MemoryJobStore();
    const failing: JobStore = {
      create: (r) => inner.create(r),
      get: (id) => inner.get(id),
      update: async () => {
        throw new Error('store down');
      },
      delete: (id) => inner.delete(id),
      deleteExpired: (now) => inner.deleteExpired(now),
    };
    const { manager, start, updates, failures } = setup({ store: failing });
    const manual = new ManualWork();
    const accepted = await start(manual.work);
    await advance();
    expect(await manager.get(accepted.jobId, OWNER)).toMatchObject({ state: 'running' });
    manual.reject(new Error('nope'));
    await advance();
    expect(updates.map((u) => u.state)).toEqual(['running', 'error']);
    expect(failures.length).toBe(2);
    expect(manager.runningCount).toBe(0);
  });

  it('rejects a start whose record cannot be created, and frees its slot', async () => {
    const failing = new MemoryJobStore();
    failing.create = async () => {
      throw new Error('store down');
    };
    const { manager, start } = setup({ store: failing, maxJobs: 1 });
    await expect(start(new ManualWork().work)).rejects.toThrow('store down');
    expect(manager.runningCount).toBe(0);
    await expect(manager.whenIdle()).resolves.toBeUndefined();
  });
});

describe('JobManager cancelAll and whenIdle', () => {
  it('cancelAll sends one cancelled per accepted or running job and none for finished ones', async () => {
    const { manager, start, updates, updatesOf } = setup();
    const running = await Promise.all([1, 2, 3].map(() => start(longTaskWork({ seconds: 20, payload: {} }))));
    const finished = new ManualWork();
    const done = await start(finished.work);
    await advance(700);
    finished.resolve({});
    await advance();
    const accepted = await start(new ManualWork().work); // not yet running
    const inFlight = start(new ManualWork().work); // its record is still being created
    const before = updates.length;

    const idle = manager.whenIdle();
    let idleResolved = false;
    void idle.then(() => {
      idleResolved = true;
    });
    await manager.cancelAll();
    const lateStart = await inFlight;
    await advance(30_000);

    const cancelled = updates.slice(before);
    expect(cancelled.map((u) => u.state)).toEqual(Array(5).fill('cancelled'));
    expect(new Set(cancelled.map((u) => u.jobId))).toEqual(
      new Set([...running, accepted, lateStart].map((r) => r.jobId)),
    );
    for (const r of [...running, done, accepted, lateStart]) expectSeqs(updatesOf(r.jobId));
    expect(updatesOf(done.jobId).map((u) => u.state)).toEqual(['running', 'done']);
    expect(manager.runningCount).toBe(0);
    expect(idleResolved).toBe(true);
    manager.close();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('whenIdle resolves at once when nothing runs, and after the last job ends otherwise', async () => {
    const { manager, start } = setup();
    await expect(manager.whenIdle()).resolves.toBeUndefined();

    await start(longTaskWork({ seconds: 1, payload: {} }));
    await start(longTaskWork({ seconds: 3, payload: {} }));
    let resolved = false;
    void manager.whenIdle().then(() => {
      resolved = true;
    });
    await advance(1_500);
    expect(resolved).toBe(false);
    expect(manager.runningCount).toBe(1);
    await advance(1_500);
    expect(resolved).toBe(true);
    expect(manager.runningCount).toBe(0);
  });

  it('cancelAll on an idle manager does nothing', async () => {
    const { manager, updates } = setup();
    await manager.cancelAll();
    expect(updates).toEqual([]);
  });
});
