#!/usr/bin/env node
/**
 * `npm run stress`: the hardening scenarios of test/hardening at a larger
 * scale, against the built server (`dist/cli/main.js serve`) spawned the way
 * a host does. Prints one table row per scenario.
 *
 * Plain CommonJS on purpose (no ts-node here): it only needs the built
 * `dist/` modules to sign envelopes and verify answers.
 *
 * Options: --only NAME[,NAME]  run some scenarios (stall, flood, replay,
 *          badsig, fuzz, sigterm, stalljobs, payload); --scale X  multiply
 *          the call counts.
 */
'use strict';

const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const { HmacKey } = require(path.join(ROOT, 'dist', 'protocol', 'hmacKey'));
const { decodeSecret } = require(path.join(ROOT, 'dist', 'protocol', 'keyring'));
const { sign, verifySigned } = require(path.join(ROOT, 'dist', 'protocol', 'signing'));

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SCALE = Number(option('scale') ?? 1);
const ONLY = option('only')?.split(',');
const n = (count) => Math.max(1, Math.round(count * SCALE));
const k = (count) => (count >= 1000 && count % 1000 === 0 ? `${count / 1000}k` : String(count));

// ---------------------------------------------------------------------------
// Keys, envelopes, a spawned server

function makeKeys() {
  const secret = () => `hex:${randomBytes(32).toString('hex')}`;
  const document = { server: { id: 'stress-server', secret: secret() }, clients: { alice: { secrets: [secret()] }, bob: { secrets: [secret()] } } };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-stress-'));
  const file = path.join(dir, 'keys.json');
  fs.writeFileSync(file, JSON.stringify(document), { mode: 0o600 });
  return {
    file,
    serverId: document.server.id,
    serverKey: new HmacKey(decodeSecret(document.server.secret, 'server')),
    clientKey: new HmacKey(decodeSecret(document.clients.alice.secrets[0], 'alice')),
    otherKey: new HmacKey(decodeSecret(document.clients.bob.secrets[0], 'bob')),
  };
}

function envelope(keys, tool, args, { key = keys.clientKey, fields = {} } = {}) {
  const clientId = key === keys.otherKey ? 'bob' : 'alice';
  const unsigned = { v: 'mcp/0.1', request_id: randomUUID(), ts_ms: Date.now(), client_id: clientId, server_id: keys.serverId, tool, nonce: randomUUID(), ...fields };
  if (args !== undefined) unsigned.args = args;
  return sign(key, unsigned);
}

const callLine = (id, params) => JSON.stringify({ jsonrpc: '2.0', id, method: 'call', params }) + '\n';

/** A spawned `toolseal serve` whose stdout is tallied line by line. */
class Server {
  constructor(keys, args = []) {
    this.keys = keys;
    this.child = spawn(process.execPath, [CLI, 'serve', '--keys', keys.file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.answers = new Map(); // id key -> count
    this.errorsByCode = new Map();
    this.badLines = 0;
    this.badSignatures = 0;
    this.jobLast = new Map(); // job id -> last status
    this.responses = 0;
    this.jobNotifications = 0;
    this.jobErrors = 0;
    this.stderr = '';
    this.partial = '';
    this.peakRssMb = 0;
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => this.onData(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => {
      if (this.stderr.length < 100_000) this.stderr += chunk;
    });
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
    this.sampler = setInterval(() => this.sampleRss(), 100);
  }

  sampleRss() {
    try {
      const status = fs.readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const kb = /^VmHWM:\s+(\d+)/m.exec(status);
      if (kb) this.peakRssMb = Math.max(this.peakRssMb, Number(kb[1]) / 1024);
    } catch {
      // exited, or not Linux
    }
  }

  onData(chunk) {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop();
    for (const line of parts) this.onLine(line);
  }

  onLine(line) {
    let m;
    try {
      m = JSON.parse(line);
    } catch {
      this.badLines++;
      return;
    }
    if (m === null || typeof m !== 'object' || m.jsonrpc !== '2.0') {
      this.badLines++;
      return;
    }
    if (m.method === 'job/status') {
      if (!verifySigned([this.keys.serverKey], m.params)) this.badSignatures++;
      this.jobLast.set(m.params.job_id, m.params.status);
      this.jobNotifications++;
      if (m.params.status === 'error') this.jobErrors++;
      return;
    }
    if (m.method !== undefined) {
      this.badLines++;
      return;
    }
    this.responses++;
    if (m.id === 'bob') this.bobAnswer = m.error ? `refused ${m.error.code}` : m.result?.status;
    const key = `${typeof m.id}:${m.id}`;
    this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
    if (m.error) {
      this.errorsByCode.set(m.error.code, (this.errorsByCode.get(m.error.code) ?? 0) + 1);
      if (m.error.data?.response && !verifySigned([this.keys.serverKey], m.error.data.response)) this.badSignatures++;
    } else if (m.result?.v === 'mcp/0.1' && !verifySigned([this.keys.serverKey], m.result)) {
      this.badSignatures++;
    }
  }

  answered(id) {
    return this.answers.get(`${typeof id}:${id}`) ?? 0;
  }

  /** Writes `lines` with backpressure; stops when no drain comes within `stallMs`. */
  async write(lines, stallMs = 60_000) {
    let written = 0;
    for (const line of lines) {
      const accepted = this.child.stdin.write(line);
      written++;
      if (!accepted) {
        const drained = await new Promise((resolve) => {
          const timer = setTimeout(() => {
            this.child.stdin.off('drain', onDrain);
            resolve(false);
          }, stallMs);
          const onDrain = () => {
            clearTimeout(timer);
            resolve(true);
          };
          this.child.stdin.once('drain', onDrain);
        });
        if (!drained) return { written, stalled: true };
      }
    }
    return { written, stalled: false };
  }

  async until(condition, timeoutMs = 300_000) {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline || this.child.exitCode !== null) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }

  /** EOF, then waits for the exit. */
  async finish() {
    this.child.stdin.end();
    const exit = await this.exited;
    clearInterval(this.sampler);
    return exit;
  }

  kill() {
    clearInterval(this.sampler);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function* range(from, to) {
  for (let i = from; i < to; i++) yield i;
}
function* map(items, f) {
  for (const item of items) yield f(item);
}

/** A table row from a finished server. */
function row(scenario, server, { sent, seconds, exit, replaysCaught = '-', expectedExit = 0, extra = '' }) {
  const crashed = exit.signal !== null || exit.code !== expectedExit || server.badLines > 0 || server.badSignatures > 0;
  const errors = [...server.errorsByCode.entries()].sort((a, b) => b[1] - a[1]).map(([code, count]) => `${code}:${count}`).join(' ') || '-';
  return {
    scenario,
    sent,
    answered: server.responses,
    errors,
    crashes: crashed ? `YES (exit ${exit.code ?? exit.signal}, bad lines ${server.badLines}, bad signatures ${server.badSignatures})` : '0',
    replays: replaysCaught,
    rss: server.peakRssMb.toFixed(0),
    seconds: seconds.toFixed(1),
    extra,
  };
}

// ---------------------------------------------------------------------------
// Scenarios

const scenarios = {
  /** stdout stops being read while 100,000 calls are written; then it is read again. */
  async stall(keys) {
    const total = n(100_000);
    const server = new Server(keys);
    const started = Date.now();
    server.child.stdout.pause();
    const lines = (from) => map(range(from, total), (i) => callLine(i, envelope(keys, 'batch_sum', { numbers: [i, 1] })));
    const first = await server.write(lines(0), 3_000);
    server.sampleRss();
    const stalledRss = server.peakRssMb;
    server.child.stdout.resume();
    const rest = await server.write(lines(first.written));
    await server.until(() => server.responses >= total);
    const exit = await server.finish();
    const missing = [...range(0, total)].filter((i) => server.answered(i) !== 1).length;
    return row(`stdout stalled, ${k(total)} calls queued`, server, {
      sent: first.written + rest.written,
      seconds: (exit.at - started) / 1000,
      exit,
      extra: `server stopped reading after ${first.written} calls (stalled: ${first.stalled}); RSS while stalled ${stalledRss.toFixed(0)} MB; unanswered or twice: ${missing}`,
    });
  },

  /** A client that writes 200,000 calls as fast as the pipe takes them (stdout read normally). */
  async flood(keys) {
    const total = n(200_000);
    const server = new Server(keys);
    const started = Date.now();
    const { written } = await server.write(map(range(0, total), (i) => callLine(i, envelope(keys, 'batch_sum', { numbers: [i, 1] }))));
    await server.until(() => server.responses >= total);
    const exit = await server.finish();
    return row(`fast writer, ${k(total)} calls`, server, { sent: written, seconds: (exit.at - started) / 1000, exit });
  },

  /** 10,000 valid calls, then the same 10,000 lines again. */
  async replay(keys) {
    const total = n(10_000);
    const server = new Server(keys);
    const started = Date.now();
    const lines = [...map(range(0, total), (i) => callLine(i, envelope(keys, 'server_identity')))];
    await server.write(lines);
    await server.until(() => server.responses >= total);
    await server.write(lines);
    await server.until(() => server.responses >= 2 * total);
    const exit = await server.finish();
    return row(`${k(total)} calls, then the same ${k(total)} replayed`, server, {
      sent: 2 * total,
      seconds: (exit.at - started) / 1000,
      exit,
      replaysCaught: `${server.errorsByCode.get(-32003) ?? 0}/${total}`,
    });
  },

  /** 100,000 calls with bad signatures, then one valid call. */
  async badsig(keys) {
    const total = n(100_000);
    const server = new Server(keys);
    const started = Date.now();
    const forged = (i) => {
      const kind = i % 3;
      if (kind === 0) return envelope(keys, 'server_identity', undefined, { key: keys.otherKey });
      const e = envelope(keys, 'server_identity', undefined, kind === 1 ? {} : { fields: { client_id: 'mallory' } });
      if (kind === 1) e.signature = (e.signature[0] === '0' ? '1' : '0') + e.signature.slice(1);
      return e;
    };
    await server.write(map(range(0, total), (i) => callLine(i, forged(i))));
    await server.write([callLine('valid', envelope(keys, 'server_identity'))]);
    await server.until(() => server.responses >= total + 1);
    const exit = await server.finish();
    return row(`${k(total)} calls with bad signatures`, server, {
      sent: total + 1,
      seconds: (exit.at - started) / 1000,
      exit,
      extra: `the valid call after the flood: ${server.answered('valid') === 1 && (server.errorsByCode.get(-32001) ?? 0) === total ? 'answered ok' : 'FAILED'}`,
    });
  },

  /** Hostile lines interleaved with valid calls (a plain-JS cousin of test/hardening/fuzz.test.ts). */
  async fuzz(keys) {
    const total = n(50_000);
    let seed = 0x5eed;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const int = (k) => Math.floor(rand() * k);
    const deep = (d) => (int(2) ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(d) + '1' + '}'.repeat(d));
    const valid = [];
    const make = (i) => {
      const kind = int(12);
      // Valid calls and the lines damaged below use ids no single change turns into each other.
      const line = callLine(kind <= 2 ? `valid-${i}` : `victim-${i}`, envelope(keys, 'batch_sum', { numbers: [i, 2] })).slice(0, -1);
      switch (kind) {
        case 0:
        case 1:
        case 2:
          valid.push(`valid-${i}`);
          return line;
        case 3:
          return Buffer.from(Array.from({ length: 1 + int(200) }, () => int(256))).toString('latin1').replace(/\n/g, ' ');
        case 4:
          return line.slice(0, 1 + int(line.length - 1));
        case 5: {
          const at = int(line.length);
          return line.slice(0, at) + String.fromCharCode(32 + int(90)) + line.slice(at + 1);
        }
        case 6:
          return `{"jsonrpc":"2.0","id":${['1e400', '-0', '1e-400', 'null', '{}', '[]', 'true', '1.5', '12345678901234567890'][int(9)]},"method":"call","params":{}}`;
        case 7:
          return `{"jsonrpc":"2.0","id":"p-${i}","method":"call","params":{"__proto__":{"x":1},"constructor":{}}}`;
        case 8:
          return i % 500 === 0 ? `{"jsonrpc":"2.0","id":"d-${i}","method":"call","params":${deep(100_000)}}` : `{"jsonrpc":"2.0","id":"d-${i}","method":"call","params":${deep(70)}}`;
        case 9:
          return i % 1000 === 0 ? 'x'.repeat(2 * 1024 * 1024) : '   ';
        case 10:
          return `{"jsonrpc":"2.0","method":"$/cancelRequest"${int(2) ? '' : ',"params":{"id":null}'}}`;
        default:
          return `{"jsonrpc":"2.0","id":"dup","method":"nope"}`;
      }
    };
    const server = new Server(keys);
    const started = Date.now();
    const { written } = await server.write(map(range(0, total), (i) => Buffer.from(make(i) + '\n', 'latin1')));
    const exit = await server.finish();
    const validOk = valid.filter((id) => server.answered(id) === 1).length;
    return row(`fuzz, ${k(total)} lines`, server, {
      sent: written,
      seconds: (exit.at - started) / 1000,
      exit,
      extra: `valid calls answered: ${validOk}/${valid.length}`,
    });
  },

  /**
   * 10,000 jobs of 5 s with a 2 KB payload each are started, then stdout
   * stops being read until they are all over: each job's progress waits as
   * one update at most, so what queues is about one `running` and one `done`
   * per job, not a notification every 500 ms.
   */
  async stalljobs(keys) {
    const total = n(10_000);
    const limits = ['--max-jobs-per-client', String(total)];
    const server = new Server(keys, limits);
    const started = Date.now();
    const payload = { text: 'x'.repeat(2000) };
    await server.write(map(range(0, total), (i) => callLine(i, envelope(keys, 'start_long_task', { seconds: 5, payload }))));
    await server.until(() => server.responses >= total);
    server.child.stdout.pause();
    const pausedAt = Date.now();
    // Long enough for every job to end while nobody reads.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    server.sampleRss();
    const stalledRss = server.peakRssMb;
    const before = server.jobNotifications;
    server.child.stdout.resume();
    await server.until(() => [...server.jobLast.values()].filter((s) => s !== 'running').length >= total);
    const exit = await server.finish();
    const done = [...server.jobLast.values()].filter((s) => s === 'done').length;
    return row(`stdout stalled while ${k(total)} jobs run`, server, {
      sent: total,
      seconds: (exit.at - started) / 1000,
      exit,
      extra:
        `limits ${limits.join(' ')} (others default); stdout unread for ${((Date.now() - pausedAt) / 1000).toFixed(0)} s, peak RSS by then ${stalledRss.toFixed(0)} MB; ` +
        `${server.jobNotifications - before} notifications were waiting (${((server.jobNotifications - before) / total).toFixed(1)} per job); done ${done}/${total}`,
    });
  },

  /**
   * One client floods 20 s jobs with big payloads (900 KB strings, and
   * 300,000 empty objects in about 1 MB) with stdout read; what jobs keep is
   * bounded per client, so starts past it answer -32013 (running jobs are
   * never evicted), and another client still gets a job in.
   */
  async payload(keys) {
    const total = n(200);
    const server = new Server(keys);
    const started = Date.now();
    const blob = { blob: 'x'.repeat(900_000) };
    const empties = { items: Array.from({ length: 300_000 }, () => ({})) };
    await server.write(map(range(0, total), (i) => callLine(i, envelope(keys, 'start_long_task', { seconds: 20, payload: i % 4 === 0 ? empties : blob }))));
    await server.write([callLine('bob', envelope(keys, 'start_long_task', { seconds: 20, payload: empties }, { key: keys.otherKey }))]);
    await server.until(() => server.responses >= total + 1);
    const accepted = server.responses - [...server.errorsByCode.values()].reduce((a, b) => a + b, 0);
    await server.until(() => [...server.jobLast.values()].filter((s) => s !== 'running').length >= accepted);
    const exit = await server.finish();
    return row(`job payload flood, ${k(total)} x ~1 MB, 20 s jobs`, server, {
      sent: total + 1,
      seconds: (exit.at - started) / 1000,
      exit,
      extra:
        `default limits (--max-job-bytes-per-client 67108864, --max-job-bytes 268435456, estimated in memory); ` +
        `jobs accepted ${accepted}, refused -32013 ${server.errorsByCode.get(-32013) ?? 0}, ended error ${server.jobErrors}; ` +
        `another client's job after the flood: ${server.bobAnswer ?? 'MISSING'}`,
    });
  },

  /** SIGTERM while 1,000 jobs of 20 s run. */
  async sigterm(keys) {
    const total = 1_000;
    const server = new Server(keys);
    const started = Date.now();
    await server.write(map(range(0, total), (i) => callLine(i, envelope(keys, 'start_long_task', { seconds: 20 }))));
    await server.until(() => server.responses >= total && server.jobLast.size >= total);
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    clearInterval(server.sampler);
    const cancelled = [...server.jobLast.values()].filter((s) => s === 'cancelled').length;
    return row('SIGTERM during 1,000 running jobs', server, {
      sent: total,
      seconds: (exit.at - started) / 1000,
      exit,
      extra: `signal to exit ${exit.at - signalled} ms; cancelled notifications ${cancelled}/${total}`,
    });
  },
};

// ---------------------------------------------------------------------------

function printTable(rows) {
  const columns = [
    ['scenario', 'scenario'],
    ['sent', 'calls sent'],
    ['answered', 'answered'],
    ['errors', 'errors by code'],
    ['crashes', 'crashes'],
    ['replays', 'replays caught'],
    ['rss', 'peak RSS MB'],
    ['seconds', 'seconds'],
  ];
  const cell = (r, key) => String(r[key]);
  const widths = columns.map(([key, title]) => Math.max(title.length, ...rows.map((r) => cell(r, key).length)));
  const line = (values) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(columns.map(([, title]) => title)));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(columns.map(([key]) => cell(r, key))));
  console.log('');
  for (const r of rows) if (r.extra) console.log(`- ${r.scenario}: ${r.extra}`);
}

async function main() {
  if (!fs.existsSync(CLI)) {
    console.error(`stress: ${CLI} is missing; run npm run build first`);
    process.exit(2);
  }
  const keys = makeKeys();
  const rows = [];
  for (const [name, run] of Object.entries(scenarios)) {
    if (ONLY && !ONLY.includes(name)) continue;
    process.stderr.write(`stress: ${name}...\n`);
    rows.push(await run(keys));
  }
  console.log(`toolseal stress, node ${process.version}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, scale ${SCALE}\n`);
  printTable(rows);
  const failed = rows.filter((r) => r.crashes !== '0');
  process.exit(failed.length === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
