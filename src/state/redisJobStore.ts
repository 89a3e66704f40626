/**
 * Job records in Redis, shared by every process of a server_id: any process
 * can poll or cancel any job, and a record outlives the process that
 * started it. A record is a hash:
 *
 * - `rec`: the JobRecord as JSON;
 * - `seq`: its seq, compared and set atomically with `rec` (see `transition`),
 *   so a job's updates are numbered 1, 2, 3, ... whichever process writes them;
 * - `ttl`: how long the job stays pollable once finished (the starting
 *   server's `--job-ttl-ms`); a finished record expires in Redis by itself;
 * - `n`: the process that reports the job's updates (signs and sends its
 *   `job/status`): the one the owner last started, polled or cancelled it
 *   through;
 * - `s`: the process that started it, told when it ends (its job limits).
 *
 * Every accepted transition is published, in the same atomic step, to the
 * reporting process's channel, so updates reach it in seq order.
 */
import type { Redis } from 'ioredis';
import { applyJobChange, type JobChange } from '../jobs/jobChanges';
import { expiryOf, isFinished, type JobRecord, type JobStore } from '../jobs/jobStore';
import { asStateError, whenReady } from './redisConnection';
import type { StateKeys } from './stateKeys';

/** What a process hears on its updates channel: the update's record and its progress message. */
export interface PublishedUpdate {
  /** The process that reports this job now (only it sends the job/status). */
  reporter: string;
  record: JobRecord;
  message?: string;
}

/** Creates the record unless it exists; answers 1 when created. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'rec', ARGV[1], 'seq', ARGV[2], 'ttl', ARGV[3], 'n', ARGV[4], 's', ARGV[4])
return 1`;

/**
 * Compare-and-set on seq: writes the record when the stored seq is the one
 * it was computed from, sets the expiry of a finished one and publishes the
 * update to the reporting process (and, for a terminal update, to the
 * starting process too). 1 written, 0 seq moved on (re-read and retry), -1 gone.
 */
const TRANSITION = `
local seq = redis.call('HGET', KEYS[1], 'seq')
if not seq then return -1 end
if seq ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'seq', ARGV[3])
if ARGV[4] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
local n = redis.call('HGET', KEYS[1], 'n')
local s = redis.call('HGET', KEYS[1], 's')
if n then redis.call('PUBLISH', ARGV[5] .. n, n .. '|' .. ARGV[6]) end
if ARGV[4] ~= '' and s and s ~= n then redis.call('PUBLISH', ARGV[5] .. s, (n or '') .. '|' .. ARGV[6]) end
return 1`;

/** Makes ARGV[1] the reporting process of a record that exists. */
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'n', ARGV[1])
return 1`;

interface ScriptedRedis {
  toolsealJobCreate(key: string, rec: string, seq: string, ttl: string, processId: string): Promise<number>;
  toolsealJobTransition(key: string, expectedSeq: string, rec: string, seq: string, pexpire: string, channel: string, payload: string): Promise<number>;
  toolsealJobClaim(key: string, processId: string): Promise<number>;
}

/** Tries of a compare-and-set before giving up (only concurrent writers of one job make it retry). */
const MAX_CAS_TRIES = 16;

export class RedisJobStore implements JobStore {
  private readonly scripted: ScriptedRedis;

  constructor(
    private readonly redis: Redis,
    private readonly keys: StateKeys,
  ) {
    redis.defineCommand('toolsealJobCreate', { numberOfKeys: 1, lua: CREATE });
    redis.defineCommand('toolsealJobTransition', { numberOfKeys: 1, lua: TRANSITION });
    redis.defineCommand('toolsealJobClaim', { numberOfKeys: 1, lua: CLAIM });
    this.scripted = redis as unknown as ScriptedRedis;
  }

  /** JobStore: a record with this process as its reporter, kept `ttlMs` once finished (0 if not given). */
  async create(record: JobRecord, ttlMs = 0, processId = ''): Promise<void> {
    const created = await this.run(() => this.scripted.toolsealJobCreate(this.keys.job(record.jobId), JSON.stringify(record), String(record.seq), String(ttlMs), processId));
    if (created !== 1) throw new Error(`job ${record.jobId} already exists`);
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const text = await this.run(() => this.redis.hget(this.keys.job(jobId), 'rec'));
    return text === null ? undefined : (JSON.parse(text) as JobRecord);
  }

  /** The record and the process that reports it (undefined when there is no record). */
  async getWithReporter(jobId: string): Promise<{ record: JobRecord; reporter: string | null } | undefined> {
    const [text, reporter] = await this.run(() => this.redis.hmget(this.keys.job(jobId), 'rec', 'n'));
    return text === null || text === undefined ? undefined : { record: JSON.parse(text) as JobRecord, reporter: reporter ?? null };
  }

  /** JobStore: replaces the record as it is (no seq check, no update published); `transition` is the shared way. */
  async update(record: JobRecord): Promise<void> {
    const key = this.keys.job(record.jobId);
    const exists = await this.run(() => this.redis.exists(key));
    if (exists !== 1) throw new Error(`job ${record.jobId} does not exist`);
    await this.run(() => this.redis.hset(key, 'rec', JSON.stringify(record), 'seq', String(record.seq)));
    const expiresMs = expiryOf(record);
    if (expiresMs !== undefined) await this.run(() => this.redis.pexpireat(key, Math.ceil(expiresMs)));
  }

  async delete(jobId: string): Promise<void> {
    await this.run(() => this.redis.del(this.keys.job(jobId)));
  }

  /** Finished records expire in Redis by themselves. */
  async deleteExpired(): Promise<number> {
    return 0;
  }

  /** Makes `processId` the process that reports the job's updates; false when there is no such job. */
  async claim(jobId: string, processId: string): Promise<boolean> {
    return (await this.run(() => this.scripted.toolsealJobClaim(this.keys.job(jobId), processId))) === 1;
  }

  /**
   * Applies `change` to the stored record, whichever process wrote it last:
   * the new record when the state machine allows it (stored, its seq one
   * more, published), `refused` when it does not (e.g. the job already
   * ended), `gone` when there is no record (expired, evicted, never made).
   */
  async transition(jobId: string, change: JobChange, nowMs: number): Promise<JobRecord | 'refused' | 'gone'> {
    const key = this.keys.job(jobId);
    for (let attempt = 0; attempt < MAX_CAS_TRIES; attempt++) {
      const [text, ttl] = await this.run(() => this.redis.hmget(key, 'rec', 'ttl'));
      if (text === null || text === undefined) return 'gone';
      const record = JSON.parse(text) as JobRecord;
      const next = applyJobChange(record, change, nowMs, Number(ttl ?? 0));
      if (next === undefined) return 'refused';
      const pexpire = isFinished(next) ? String(Math.max(1, next.expiresMs - nowMs)) : '';
      const update: Omit<PublishedUpdate, 'reporter'> = { record: next };
      if (change.state === 'running' && change.message !== undefined) update.message = change.message;
      const written = await this.run(() =>
        this.scripted.toolsealJobTransition(key, String(record.seq), JSON.stringify(next), String(next.seq), pexpire, this.keys.updatesChannel, JSON.stringify(update)),
      );
      if (written === 1) return next;
      if (written === -1) return 'gone';
    }
    throw new Error(`job ${jobId}: too many concurrent updates`);
  }

  /** Runs a command once the connection is ready; failures to reach Redis become -32015. */
  private run<T>(command: () => Promise<T>): Promise<T> {
    const result = this.redis.status === 'ready' ? command() : whenReady(this.redis).then(command);
    return result.catch((err: unknown) => {
      throw asStateError(err);
    });
  }
}

/** Reads a message of an updates channel; undefined when it is not one. */
export function parseUpdate(text: string): PublishedUpdate | undefined {
  const bar = text.indexOf('|');
  if (bar < 0) return undefined;
  try {
    const body = JSON.parse(text.slice(bar + 1)) as Omit<PublishedUpdate, 'reporter'>;
    if (typeof body !== 'object' || body === null || typeof body.record?.jobId !== 'string') return undefined;
    return { reporter: text.slice(0, bar), ...body };
  } catch {
    return undefined;
  }
}
