import { longTaskWork, type JobContext } from '../../src/jobs';

function context(controller = new AbortController()) {
  const progress: Array<[number, number]> = [];
  const startedMs = Date.now();
  const ctx: JobContext = {
    jobId: 'job-1',
    signal: controller.signal,
    reportProgress: (fraction) => progress.push([Date.now() - startedMs, fraction]),
  };
  return { ctx, controller, progress };
}

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('longTaskWork', () => {
  it('reports elapsed/total every interval and resolves with the payload after `seconds`', async () => {
    const { ctx, progress } = context();
    const payload = { a: [1, 2, 3] };
    let result: unknown;
    void longTaskWork({ seconds: 2, payload })(ctx).then((r) => {
      result = r;
    });

    await jest.advanceTimersByTimeAsync(1_999);
    expect(result).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(result).toBe(payload);
    expect(progress).toEqual([
      [500, 0.25],
      [1_000, 0.5],
      [1_500, 0.75],
    ]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('uses the given progress interval', async () => {
    const { ctx, progress } = context();
    const done = longTaskWork({ seconds: 1, payload: {}, progressIntervalMs: 300 })(ctx);
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(done).resolves.toEqual({});
    expect(progress.map(([t]) => t)).toEqual([300, 600, 900]);
  });

  it('rejects at once when the signal aborts, and clears its timers', async () => {
    const { ctx, controller, progress } = context();
    const running = longTaskWork({ seconds: 10, payload: {} })(ctx);
    await jest.advanceTimersByTimeAsync(1_100);
    expect(jest.getTimerCount()).toBe(2);

    controller.abort();
    await expect(running).rejects.toThrow('long task cancelled');
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(progress).toHaveLength(2);
  });

  it('rejects without starting timers when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { ctx } = context(controller);
    await expect(longTaskWork({ seconds: 1, payload: {} })(ctx)).rejects.toThrow('long task cancelled');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stops listening to the signal once it has finished', async () => {
    const { ctx, controller } = context();
    const removed = jest.spyOn(controller.signal, 'removeEventListener');
    const done = longTaskWork({ seconds: 1, payload: {} })(ctx);
    await jest.advanceTimersByTimeAsync(1_000);
    await done;
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
    controller.abort(); // nothing left to react
  });

  it('refuses nonsense parameters', () => {
    expect(() => longTaskWork({ seconds: Number.NaN, payload: {} })).toThrow(RangeError);
    expect(() => longTaskWork({ seconds: -1, payload: {} })).toThrow(RangeError);
    expect(() => longTaskWork({ seconds: 1, payload: {}, progressIntervalMs: 0 })).toThrow(RangeError);
  });
});
