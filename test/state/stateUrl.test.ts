import { parseStateUrl, StateUrlError } from '../../src/state/stateUrl';

describe('parseStateUrl', () => {
  it('reads redis://HOST:PORT/DB', () => {
    expect(parseStateUrl('redis://10.0.0.5:6380/3')).toEqual({ host: '10.0.0.5', port: 6380, db: 3, display: 'redis://10.0.0.5:6380/3' });
  });

  it('defaults the port to 6379 and the database to 0', () => {
    expect(parseStateUrl('redis://cache.internal')).toMatchObject({ host: 'cache.internal', port: 6379, db: 0 });
    expect(parseStateUrl('redis://cache.internal:7000/')).toMatchObject({ port: 7000, db: 0 });
  });

  it('takes a password (and user) and keeps them out of the display form', () => {
    const location = parseStateUrl('redis://app:s%40cret@127.0.0.1:6379/1');
    expect(location).toMatchObject({ username: 'app', password: 's@cret', db: 1 });
    expect(location.display).not.toContain('cret');
  });

  it('reads IPv6 hosts', () => {
    expect(parseStateUrl('redis://[::1]:6379/0')).toMatchObject({ host: '::1', port: 6379 });
  });

  it.each([
    ['not a URL', 'localhost:6379'],
    ['another scheme', 'http://localhost:6379/0'],
    ['rediss (TLS is not supported)', 'rediss://localhost:6379/0'],
    ['a database that is not a number', 'redis://localhost:6379/zero'],
    ['a path below the database', 'redis://localhost:6379/0/1'],
    ['a database out of range', 'redis://localhost:6379/99999'],
    ['a query', 'redis://localhost:6379/0?tls=1'],
    ['no host', 'redis://:6379/0'],
  ])('refuses %s with a one-line reason', (_what, text) => {
    let error: unknown;
    try {
      parseStateUrl(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StateUrlError);
    expect((error as Error).message).toMatch(/^--state /);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never repeats a password in its message', () => {
    expect(() => parseStateUrl('redis//user:hunter2hunter2@host')).toThrow(StateUrlError);
    try {
      parseStateUrl('redis//user:hunter2hunter2@host');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});

describe('loadStateModule', () => {
  it('says which packages to install when bullmq or ioredis is missing', () => {
    jest.isolateModules(() => {
      jest.doMock('bullmq', () => {
        throw Object.assign(new Error("Cannot find module 'bullmq' from 'src/state/sharedState.ts'"), { code: 'MODULE_NOT_FOUND' });
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { loadStateModule: load } = require('../../src/state/load') as typeof import('../../src/state/load');
      const { StateUrlError: Refusal } = require('../../src/state/stateUrl') as typeof import('../../src/state/stateUrl');
      expect(() => load()).toThrow(Refusal);
      expect(() => load()).toThrow('--state needs the packages bullmq and ioredis (bullmq not found): npm install bullmq ioredis');
    });
  });
});
