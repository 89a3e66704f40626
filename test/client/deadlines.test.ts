import { Deadlines } from '../../src/client/deadlines';

describe('Deadlines', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  /** An entry due `ms` from now that records when it expires. */
  function entry(ms: number, log: string[], name: string) {
    return { deadline: performance.now() + ms, expire: () => log.push(name) };
  }

  it('expires each entry once its deadline has passed, earliest first, whatever the order they came in', () => {
    const deadlines = new Deadlines();
    const log: string[] = [];
    deadlines.add(entry(300, log, 'c'));
    deadlines.add(entry(100, log, 'a'));
    deadlines.add(entry(200, log, 'b'));
    jest.advanceTimersByTime(99);
    expect(log).toEqual([]);
    jest.advanceTimersByTime(2);
    expect(log).toEqual(['a']);
    jest.advanceTimersByTime(100);
    expect(log).toEqual(['a', 'b']);
    jest.advanceTimersByTime(100);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(deadlines.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('never expires an entry deleted before its deadline, and holds no timer once empty', () => {
    const deadlines = new Deadlines();
    const log: string[] = [];
    const a = entry(100, log, 'a');
    const b = entry(50, log, 'b');
    deadlines.add(a);
    deadlines.add(b);
    deadlines.delete(b);
    jest.advanceTimersByTime(60);
    expect(log).toEqual([]);
    deadlines.delete(a);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(log).toEqual([]);
  });

  it('lets an expiring entry delete others, and keeps the rest armed', () => {
    const deadlines = new Deadlines();
    const log: string[] = [];
    const late = entry(500, log, 'late');
    deadlines.add({ deadline: performance.now() + 10, expire: () => { log.push('first'); deadlines.delete(late); } });
    deadlines.add(late);
    deadlines.add(entry(20, log, 'second'));
    jest.advanceTimersByTime(25);
    expect(log).toEqual(['first', 'second']);
    jest.advanceTimersByTime(1000);
    expect(log).toEqual(['first', 'second']);
  });
});
