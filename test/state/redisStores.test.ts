import { Redis } from 'ioredis';
import type { JobRecord } from '../../src/jobs';
import { silentLogger } from '../../src/server/logger';
import { RedisJobStore } from '../../src/state/redisJobStore';
import { RedisReplayStore } from '../../src/state/redisReplayStore';
import { openCommandConnection } from '../../src/state/redisConnection';
import { parseUpdate } from '../../src/state/redisJobStore';
import { stateKeys } from '../../src/state/stateKeys';
import { parseStateUrl } from '../../src/state/stateUrl';
import { ErrorCode, ToolsealError } from '../../src/protocol/errors';
import { describeWithRedis, RedisServer } from '../support/redisServer';

describeWithRedis('Redis stores (a real redis-server on loopback)', () => {
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = openCommandConnection(parseStateUrl(server.url()), 'test', silentLogger);
  });

  afterAll(async () => {
    redis.disconnect();
    await server.dispose();
  });

  describe('RedisReplayStore', () => {
    it('records a pair once: fresh, then replayed, across stores of one server id', async () => {
      const a = new RedisReplayStore(redis, stateKeys('srv'));
      const b = new RedisReplayStore(redis, stateKeys('srv'));
      const now = Date.now();
      await expect(a.remember('alice', 'nonce-0001', now + 60_000, now)).resolves.toBe('fresh');
      await expect(b.remember('alice', 'nonce-0001', now + 60_000, now)).resolves.toBe('replayed');
      // Another client, or another server id, has its own window.
      await expect(b.remember('bob', 'nonce-0001', now + 60_000, now)).resolves.toBe('fresh');
      await expect(new RedisReplayStore(redis, stateKeys('other')).remember('alice', 'nonce-0001', now + 60_000, now)).resolves.toBe('fresh');
      // The length prefix keeps ("a", "bc") and ("ab", "c") apart.
      await expect(a.remember('a', 'bcdefghij', now + 60_000, now)).resolves.toBe('fresh');
      await expect(a.remember('ab', 'cdefghij', now + 60_000, now)).resolves.toBe('fresh');
      expect(await a.size()).toBe(4);
    });

    it('forgets a pair once its window has passed (the expiry instant included)', async () => {
      const store = new RedisReplayStore(redis, stateKeys('srv-expiry'));
      const now = Date.now();
      await expect(store.remember('alice', 'short-lived', now + 150, now)).resolves.toBe('fresh');
      await expect(store.remember('alice', 'short-lived', now + 150, now)).resolves.toBe('replayed');
      await new Promise((resolve) => setTimeout(resolve, 400));
      await expect(store.remember('alice', 'short-lived', Date.now() + 150, Date.now())).resolves.toBe('fresh');
    });

    it('answers full when Redis is out of memory (noeviction), never forgetting a live nonce', async () => {
      const store = new RedisReplayStore(redis, stateKeys('srv-oom'));
      await redis.config('SET', 'maxmemory', '1');
      try {
        await expect(store.remember('alice', 'no-room-here', Date.now() + 60_000, Date.now())).resolves.toBe('full');
      } finally {
        await redis.config('SET', 'maxmemory', '0');
      }
    });
  });

  describe('RedisJobStore', () => {
    const keys = stateKeys('srv-jobs');
    const record = (jobId: string): JobRecord => ({ jobId, ownerClientId: 'alice', requestId: 'r1', tool: 'start_long_task', state: 'accepted', seq: 0, createdMs: Date.now() });

    it('creates once, reads back, and numbers transitions 1, 2, 3 whoever writes them', async () => {
      const a = new RedisJobStore(redis, keys);
      const b = new RedisJobStore(redis, keys);
      await a.create(record('job-1'), 60_000, 'proc-a');
      await expect(a.create(record('job-1'), 60_000, 'proc-a')).rejects.toThrow(/already exists/);
      await expect(b.get('job-1')).resolves.toMatchObject({ jobId: 'job-1', state: 'accepted', seq: 0 });
      const now = Date.now();
      await expect(a.transition('job-1', { state: 'running', progress: 0 }, now)).resolves.toMatchObject({ state: 'running', seq: 1 });
      await expect(b.transition('job-1', { state: 'running', progress: 0.5 }, now)).resolves.toMatchObject({ state: 'running', seq: 2, progress: 0.5 });
      // Concurrent writers: each transition gets its own seq.
      const both = await Promise.all([a.transition('job-1', { state: 'running', progress: 0.6 }, now), b.transition('job-1', { state: 'running', progress: 0.7 }, now)]);
      expect(both.map((r) => (r as JobRecord).seq).sort()).toEqual([3, 4]);
      await expect(b.transition('job-1', { state: 'cancelled' }, now)).resolves.toMatchObject({ state: 'cancelled', seq: 5, expiresMs: now + 60_000 });
      // The state machine holds across processes: nothing after a terminal state.
      await expect(a.transition('job-1', { state: 'done', result: {} }, now)).resolves.toBe('refused');
      await expect(a.transition('nope', { state: 'cancelled' }, now)).resolves.toBe('gone');
      // A finished record expires in Redis by itself, after the job TTL.
      const ttl = await redis.pttl(keys.job('job-1'));
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('publishes each transition to the reporting process, and a terminal one to the starting process too', async () => {
      const store = new RedisJobStore(redis, keys);
      const subscriber = redis.duplicate({ enableOfflineQueue: true, enableAutoPipelining: false, commandTimeout: undefined });
      const heard: Array<[string, string]> = [];
      try {
        subscriber.on('message', (channel: string, message: string) => heard.push([channel, message]));
        await subscriber.subscribe(`${keys.updatesChannel}proc-a`, `${keys.updatesChannel}proc-b`);
        await store.create(record('job-2'), 60_000, 'proc-a');
        await store.transition('job-2', { state: 'running', progress: 0 }, Date.now());
        await store.claim('job-2', 'proc-b');
        await store.transition('job-2', { state: 'done', result: { ok: true } }, Date.now());
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        subscriber.disconnect();
      }
      const seen = heard.map(([channel, text]) => [channel.slice(keys.updatesChannel.length), parseUpdate(text)!.reporter, parseUpdate(text)!.record.seq]);
      expect(seen).toEqual([
        ['proc-a', 'proc-a', 1],
        ['proc-b', 'proc-b', 2],
        ['proc-a', 'proc-b', 2],
      ]);
    });

    it('claims only a record that exists (no stray key for an expired job)', async () => {
      const store = new RedisJobStore(redis, keys);
      await expect(store.claim('never-made', 'proc-a')).resolves.toBe(false);
      await expect(redis.exists(keys.job('never-made'))).resolves.toBe(0);
    });
  });

  describe('Redis away', () => {
    it('answers -32015 (retryable) within about a second, and recovers on its own', async () => {
      const own = await RedisServer.start();
      const connection = openCommandConnection(parseStateUrl(own.url()), 'test-away', silentLogger);
      try {
        const store = new RedisReplayStore(connection, stateKeys('srv-away'));
        await expect(store.remember('alice', 'before-stop', Date.now() + 60_000, Date.now())).resolves.toBe('fresh');
        await own.stop();
        const started = Date.now();
        const error = await store.remember('alice', 'while-down', Date.now() + 60_000, Date.now()).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(ToolsealError);
        expect((error as ToolsealError).code).toBe(ErrorCode.StateUnavailable);
        expect((error as ToolsealError).data).toMatchObject({ retryable: true });
        expect(Date.now() - started).toBeLessThan(3_000);
        await own.restart();
        const deadline = Date.now() + 10_000;
        let verdict: unknown;
        while (Date.now() < deadline) {
          verdict = await store.remember('alice', `after-restart`, Date.now() + 60_000, Date.now()).catch((err: unknown) => err);
          if (verdict === 'fresh') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(verdict).toBe('fresh');
      } finally {
        connection.disconnect();
        await own.dispose();
      }
    });
  });
});
