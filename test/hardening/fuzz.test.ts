/**
 * Stdio fuzzing of the built server (`dist/cli/main.js serve`), spawned once
 * the way a host does. Hostile lines are interleaved with valid signed calls;
 * every line's required answer is computed from docs/protocol.md sections 1 and 6 (harness.ts
 * `expectedAnswer`) and compared with what came back.
 *
 * Reproducible: the PRNG is seeded (TOOLSEAL_FUZZ_SEED overrides the default
 * seed, TOOLSEAL_FUZZ_LINES the number of generated lines). Bounded: a few
 * seconds with the defaults.
 *
 * The second part replays test/fixtures/fuzz-regressions/*.jsonl: inputs that
 * once crashed or misbehaved, kept so they stay fixed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTestKeys, type TestKeys } from '../support/keys';
import { ServerProcess, type JsonRpcMessage } from '../support/serverProcess';
import { expectedAnswer, idKey, Rng, writeWithBackpressure, type Expectation } from './harness';

const SEED = Number(process.env.TOOLSEAL_FUZZ_SEED ?? 20251125);
const LINES = Number(process.env.TOOLSEAL_FUZZ_LINES ?? 2500);
const MAX_LINE_BYTES = 1024 * 1024;
const DEEP = 100_000;

jest.setTimeout(120_000);

/** One input line and, for valid calls, how to check its answer. */
interface Item {
  readonly label: string;
  readonly line: Buffer;
  readonly check?: (answer: JsonRpcMessage) => void;
  /** For a valid start_long_task: the payload its job must finish with. */
  readonly jobPayload?: Record<string, unknown>;
  /** For a `call` sent as a notification: its request_id, which must start no job. */
  readonly silentRequestId?: string;
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const rpc = (id: unknown, params: unknown, method = 'call'): string => JSON.stringify({ jsonrpc: '2.0', id, method, params });

/** Builds the fuzz corpus from a seed. `server` signs envelopes with the test keys. */
class Corpus {
  private n = 0;

  constructor(
    private readonly rng: Rng,
    private readonly server: ServerProcess,
    private readonly keys: TestKeys,
  ) {}

  private next(prefix: string): string {
    return `${prefix}-${++this.n}`;
  }

  /** A valid signed call with a correct answer to check. Ids alternate between strings and integers. */
  valid(): Item {
    const id: string | number = this.rng.int(2) === 0 ? this.next('v') : 1_000_000 + ++this.n;
    const s = this.server;
    switch (this.rng.int(6)) {
      case 0: {
        const numbers = Array.from({ length: 1 + this.rng.int(20) }, () => this.rng.int(2_000_001) - 1_000_000);
        const total = numbers.reduce((a, b) => a + b, 0);
        return {
          label: 'valid batch_sum',
          line: text(rpc(id, s.envelope('batch_sum', { numbers }))),
          check: (m) => expect(m.result?.result).toEqual({ count: numbers.length, total }),
        };
      }
      case 1: {
        // Signed over [0, 1, 0, 2]; sent as spellings that JSON.parse reads as the same doubles
        // (-0 and 1e-400 read as zeros, whose canonical text is "0"): still a valid signature.
        const line = rpc(id, s.envelope('batch_sum', { numbers: [0, 1, 0, 2] })).replace('[0,1,0,2]', '[-0,1e0,1e-400,2.0]');
        return { label: 'valid batch_sum, odd number spellings', line: text(line), check: (m) => expect(m.result?.result).toEqual({ count: 4, total: 3 }) };
      }
      case 2:
        return {
          label: 'valid server_identity',
          line: text(rpc(id, s.envelope('server_identity'))),
          check: (m) => expect(m.result).toMatchObject({ ok: true, status: 'ok', result: { server_id: this.keys.serverId } }),
        };
      case 3:
        return {
          label: 'valid list_tools',
          line: text(rpc(id, s.envelope('list_tools', {}, { clientId: 'bob' }))),
          check: (m) => expect(m.result?.result.tools.map((t: { name: string }) => t.name).sort()).toEqual(['batch_sum', 'cancel_job', 'list_tools', 'poll_job', 'server_identity', 'start_long_task']),
        };
      case 4: {
        // A payload with keys that are dangerous on plain objects: they must come back as data.
        const payload = JSON.parse(`{"__proto__":{"polluted":${this.n}},"constructor":{"prototype":{"x":1}},"n":${this.n}}`);
        return {
          label: 'valid start_long_task with __proto__ payload',
          line: text(rpc(id, s.envelope('start_long_task', { seconds: 1, payload }))),
          check: (m) => expect(m.result).toMatchObject({ ok: true, status: 'accepted' }),
          jobPayload: payload,
        };
      }
      default: {
        const secret = this.keys.clients.alice![1]!; // the rotated second secret
        return {
          label: 'valid call signed with a rotated secret',
          line: text(rpc(id, s.envelope('batch_sum', { numbers: [1e16, 1, -1e16] }, { secret }))),
          check: (m) => expect(m.result?.result.total).toBe(1),
        };
      }
    }
  }

  /** A fresh signed call line with its own id, to be damaged (never sent intact). */
  private victim(): Buffer {
    const s = this.server;
    const id = this.next('victim');
    return text(rpc(id, s.envelope(this.rng.pick(['batch_sum', 'server_identity', 'poll_job']), { numbers: [1, 2, 3] })));
  }

  randomBytes(): Item {
    const bytes = this.rng.bytes(1 + this.rng.int(300));
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) bytes[i] = 0x20;
    return { label: 'random bytes', line: bytes };
  }

  truncated(): Item {
    const line = this.victim();
    return { label: 'truncated request', line: line.subarray(0, 1 + this.rng.int(line.length - 1)) };
  }

  mutated(): Item {
    let line = Buffer.from(this.victim());
    for (let k = 1 + this.rng.int(3); k > 0; k--) {
      const at = this.rng.int(line.length);
      let byte = this.rng.int(256);
      if (byte === 0x0a) byte = 0x7b;
      switch (this.rng.int(3)) {
        case 0:
          line[at] = byte;
          break;
        case 1:
          line = Buffer.concat([line.subarray(0, at), line.subarray(at + 1)]);
          break;
        default:
          line = Buffer.concat([line.subarray(0, at), Buffer.from([byte]), line.subarray(at)]);
      }
    }
    return { label: 'mutated request', line };
  }

  invalidUtf8(): Item {
    const line = this.victim();
    const bad = this.rng.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]]);
    const at = this.rng.int(line.length);
    return { label: 'invalid UTF-8', line: Buffer.concat([line.subarray(0, at), Buffer.from(bad), line.subarray(at)]) };
  }

  /** 1e400, -0 and 1e-400 where ids, timestamps, args and params go. */
  odd(): Item {
    const s = this.server;
    const id = this.next('num');
    const choices: Array<() => string> = [
      () => `{"jsonrpc":"2.0","id":1e400,"method":"call","params":{}}`,
      () => `{"jsonrpc":"2.0","id":-0,"method":"call","params":{}}`,
      () => `{"jsonrpc":"2.0","id":1e-400,"method":"call","params":{}}`,
      () => `{"jsonrpc":"2.0","id":-1e400,"method":"nope"}`,
      () => rpc(id, s.envelope('batch_sum', { numbers: [7] })).replace('"numbers":[7]', '"numbers":[1e400]'),
      () => rpc(id, s.envelope('batch_sum', { numbers: [7] })).replace('"numbers":[7]', '"numbers":[-1e400,1e400]'),
      () => rpc(id, s.envelope('batch_sum', { numbers: [7] })).replace(/"ts_ms":\d+/, '"ts_ms":1e400'),
      () => rpc(id, s.envelope('batch_sum', { numbers: [7] }, { fields: { ts_ms: 0 } })).replace('"ts_ms":0', '"ts_ms":-0'),
      () => rpc(id, s.envelope('batch_sum', { numbers: [7] })).replace(/"ts_ms":\d+/, '"ts_ms":1e-400'),
      () => `{"jsonrpc":"2.0","id":"${id}","method":"call","params":1e400}`,
      () => `{"jsonrpc":"2.0","id":"${id}","method":"call","params":[1e400,-0,1e-400]}`,
      () => rpc(id, s.envelope('batch_sum', { numbers: [1.7976931348623157e308, 1.7976931348623157e308] })),
    ];
    return { label: 'odd numbers', line: text(this.rng.pick(choices)()) };
  }

  /** `__proto__` and `constructor` as keys, tool names, job ids and methods. */
  proto(): Item {
    const s = this.server;
    const id = this.next('proto');
    const name = this.rng.pick(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '__defineGetter__', 'valueOf']);
    const choices: Array<() => string> = [
      () => rpc(id, s.envelope('server_identity')).replace('"params":{', `"params":{"${name}":{"polluted":true},`),
      () => rpc(id, s.envelope('batch_sum', JSON.parse(`{"numbers":[1],"${name}":{"polluted":true}}`))),
      () => rpc(id, s.envelope('start_long_task', JSON.parse(`{"seconds":1,"${name}":1}`))),
      () => rpc(id, s.envelope(name, {})),
      () => rpc(id, s.envelope(this.rng.pick(['poll_job', 'cancel_job']), { job_id: name })),
      () => rpc(id, {}, name),
      () => `{"${name}":{"jsonrpc":"2.0","method":"call"},"id":"${id}"}`,
      () => `{"jsonrpc":"2.0","id":"${id}","method":"call","params":{"${name}":{"${name}":{"${name}":null}}}}`,
      () => `{"jsonrpc":"2.0","method":"${name}","params":{"${name}":1}}`,
      () => `{"jsonrpc":"2.0","id":"${name}","method":"call","params":{}}`,
    ];
    return { label: `__proto__-like name ${name}`, line: text(this.rng.pick(choices)()) };
  }

  /** 100,000-deep nesting in every place it can go. */
  deep(): Item {
    const s = this.server;
    const arrays = '['.repeat(DEEP) + ']'.repeat(DEEP);
    const objects = '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP);
    const nest = this.rng.pick([arrays, objects]);
    const id = this.next('deep');
    const envelope = JSON.stringify(s.envelope('batch_sum', { numbers: [1] }));
    const choices: Array<() => string> = [
      () => nest,
      () => `{"jsonrpc":"2.0","id":"${id}","method":"call","params":${nest}}`,
      () => `{"jsonrpc":"2.0","id":"${id}","method":"call","params":{"deep":${nest}}}`,
      () => `{"jsonrpc":"2.0","id":"${id}","method":"call","params":${envelope.replace('"args":{"numbers":[1]}', `"args":{"numbers":[1],"deep":${nest}}`)}}`,
      () => `{"jsonrpc":"2.0","id":${nest},"method":"call","params":{}}`,
      () => `{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x","data":${nest}}}`,
      () => `{"jsonrpc":"2.0","id":"${id}","result":${nest}}`,
      () => `{"jsonrpc":"2.0","method":"notify","params":${nest}}`,
      () => `{"jsonrpc":"2.0","id":"${id}","method":"nope","params":${nest}}`,
    ];
    return { label: 'deep nesting', line: text(this.rng.pick(choices)()) };
  }

  /** Lines of 2 MiB: over the 1 MiB limit, whatever they hold. */
  huge(): Item {
    const size = 2 * 1024 * 1024;
    const id = this.next('huge');
    const choices: Array<() => string> = [
      () => 'x'.repeat(size),
      () => ' '.repeat(size),
      () => {
        const head = `{"jsonrpc":"2.0","id":"${id}","method":"call","params":{"numbers":[`;
        return head + '1,'.repeat((size - head.length) / 2) + '1]}}';
      },
      () => `{"jsonrpc":"2.0","id":"${id}","method":"call","params":{"s":"${'\\u0041'.repeat(size / 6)}"}}`,
    ];
    return { label: '2 MiB line', line: text(this.rng.pick(choices)()) };
  }

  /** A request with an id of every JSON type. */
  ids(): Item {
    const id = this.rng.pick<string>([
      '""', '"x"', `"${'i'.repeat(10_000)}"`, '0', '-1', '9007199254740991', '9007199254740992', '-9007199254740993',
      '12345678901234567890', '1e300', '1.5', '-0.0', 'null', '{}', '{"a":1}', '[]', '[1]', 'true', 'false',
      '"\\u0000"', '"\\ud800"', '"😀"', '"__proto__"',
    ]);
    return { label: `id ${id.slice(0, 20)}`, line: text(`{"jsonrpc":"2.0","id":${id},"method":"call","params":{}}`) };
  }

  /** Two requests with one id, back to back (and 7 beside "7"). */
  duplicates(): Item[] {
    const s = this.server;
    const id = this.next('dup');
    const pick = this.rng.int(3);
    if (pick === 0) return [0, 1].map(() => ({ label: 'duplicate id (valid calls)', line: text(rpc(id, s.envelope('server_identity'))) }));
    if (pick === 1) return [0, 1].map(() => ({ label: 'duplicate id (bad params)', line: text(rpc(id, {})) }));
    const n = 2_000_000 + this.n;
    return [
      { label: 'number id', line: text(rpc(n, s.envelope('server_identity'))) },
      { label: 'same id as string', line: text(rpc(String(n), s.envelope('server_identity'))) },
    ];
  }

  /** Notifications, client responses, cancellations, blank lines and other odd-but-legal lines. */
  misc(): Item {
    const s = this.server;
    const id = this.next('misc');
    const envelope = s.envelope('start_long_task', { seconds: 1 });
    const choices: Array<() => Item> = [
      () => ({ label: 'call as notification', line: text(JSON.stringify({ jsonrpc: '2.0', method: 'call', params: envelope })), silentRequestId: envelope.request_id as string }),
      () => ({ label: 'cancelRequest without params', line: text('{"jsonrpc":"2.0","method":"$/cancelRequest"}') }),
      () => ({ label: 'cancelRequest id null', line: text('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":null}}') }),
      () => ({ label: 'cancelRequest of a pending id', line: text(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"v-${this.rng.int(this.n + 1)}"}}`) }),
      () => ({ label: 'setTrace', line: text('{"jsonrpc":"2.0","method":"$/setTrace","params":{"value":"verbose"}}') }),
      () => ({ label: 'client response', line: text(`{"jsonrpc":"2.0","id":"${id}","result":{}}`) }),
      () => ({ label: 'client error response, id null', line: text('{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}') }),
      () => ({ label: 'bad client error response', line: text(`{"jsonrpc":"2.0","id":"${id}","error":{"code":"1","message":"x"}}`) }),
      () => ({ label: 'result and error', line: text(`{"jsonrpc":"2.0","id":"${id}","result":1,"error":{"code":1,"message":"x"}}`) }),
      () => ({ label: 'blank', line: text(this.rng.pick(['', ' ', '\t', '\r', ' \t\r', '\f\v'])) }),
      () => ({ label: 'NBSP', line: text('\u00a0') }),
      () => ({ label: 'BOM + request', line: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(rpc(id, {}))]) }),
      () => ({ label: 'CRLF request', line: text(rpc(id, {}) + '\r') }),
      () => ({ label: 'batch', line: text(`[${rpc(id, {})}]`) }),
      () => ({ label: 'empty batch', line: text('[]') }),
      () => ({ label: 'scalar', line: text(this.rng.pick(['1', '"s"', 'null', 'true'])) }),
      () => ({ label: 'jsonrpc 1.0', line: text(`{"jsonrpc":"1.0","id":"${id}","method":"call","params":{}}`) }),
      () => ({ label: 'method not a string', line: text(`{"jsonrpc":"2.0","id":"${id}","method":7}`) }),
      () => ({ label: 'params a string', line: text(`{"jsonrpc":"2.0","id":"${id}","method":"call","params":"x"}`) }),
      () => ({ label: 'notification with params a string', line: text('{"jsonrpc":"2.0","method":"call","params":"x"}') }),
      () => ({ label: 'NUL and controls', line: Buffer.from([0x00, 0x01, 0x7b, 0x7d, 0x1b]) }),
      () => ({ label: 'unsigned call', line: text(rpc(id, { ...envelope, signature: 'f'.repeat(64) })) }),
    ];
    return this.rng.pick(choices)();
  }

  /** The whole corpus: mostly cheap lines, a few big ones, valid calls throughout. */
  build(count: number): Item[] {
    const items: Item[] = [];
    const kinds: Array<[number, () => Item | Item[]]> = [
      [30, () => this.valid()],
      [8, () => this.randomBytes()],
      [8, () => this.truncated()],
      [10, () => this.mutated()],
      [5, () => this.invalidUtf8()],
      [8, () => this.odd()],
      [10, () => this.proto()],
      [6, () => this.ids()],
      [4, () => this.duplicates()],
      [10, () => this.misc()],
    ];
    const total = kinds.reduce((sum, [w]) => sum + w, 0);
    while (items.length < count) {
      let r = this.rng.int(total);
      for (const [weight, make] of kinds) {
        if (r < weight) {
          const made = make();
          items.push(...(Array.isArray(made) ? made : [made]));
          break;
        }
        r -= weight;
      }
    }
    // The expensive ones, spread through the run: every deep shape and a few huge lines.
    for (let i = 0; i < 12; i++) items.splice(this.rng.int(items.length), 0, this.deep());
    for (let i = 0; i < 4; i++) items.splice(this.rng.int(items.length), 0, this.huge());
    return items;
  }
}

/** Checks one stdout message beyond what ServerProcess already checks (JSON, jsonrpc, signatures). */
function shapeProblems(m: JsonRpcMessage): string[] {
  const problems: string[] = [];
  if (m.method !== undefined) {
    if (m.method !== 'job/status' || m.id !== undefined) problems.push(`unexpected server message ${m.method}`);
    return problems;
  }
  if (!Object.hasOwn(m, 'id')) problems.push('response without id');
  if (Object.hasOwn(m, 'result') === Object.hasOwn(m, 'error')) problems.push('response needs exactly one of result and error');
  if (m.error) {
    if (!Number.isSafeInteger(m.error.code)) problems.push(`error code ${String(m.error.code)}`);
    if (typeof m.error.message !== 'string' || m.error.message.length > 300 || /\n|\bat .+:\d+:\d+/.test(m.error.message)) {
      problems.push(`error message looks like a stack or is too long: ${String(m.error.message).slice(0, 200)}`);
    }
    if (m.error.code === -32603 && m.error.data !== undefined && JSON.stringify(m.error.data).includes('    at ')) problems.push('internal error data holds a stack');
  }
  return problems;
}

/**
 * Sends `items` (each followed by `\n`) to a fresh server, then EOF, and
 * checks: never exits early, exits 0, every line answered as the protocol
 * requires, every valid call answered correctly, stdout well-formed.
 */
async function runAgainstServer(items: Item[], server: ServerProcess): Promise<void> {
  let ended = false;
  let exitedEarly = false;
  void server.exited.then(() => (exitedEarly = !ended));

  const chunks = items.map((item) => Buffer.concat([item.line, Buffer.from('\n')]));
  const { written, stalled } = await writeWithBackpressure(server.child.stdin, chunks);
  expect(stalled).toBe(false);
  expect(written).toBe(items.length);
  expect(exitedEarly).toBe(false);
  expect(server.child.exitCode).toBeNull();
  ended = true;
  server.end();
  const exit = await server.exited;
  expect(exit).toEqual({ code: 0, signal: null });

  expect(server.violations).toEqual([]);
  expect(server.messages.length).toBe(server.lines.length);
  expect(server.messages.flatMap(shapeProblems)).toEqual([]);
  // Nothing thrown while reading either (vscode-jsonrpc internals used to throw on some lines).
  expect(server.stderr).not.toMatch(/uncaught_exception|unhandled_rejection|input_error/);

  // Exactly the answers the protocol requires, per id (a multiset: duplicates count twice).
  const expected = new Map<string, number>();
  const labels = new Map<string, string[]>();
  for (const item of items) {
    const e: Expectation = expectedAnswer(item.line, MAX_LINE_BYTES);
    if (e.answers === 0) continue;
    const key = idKey(e.id);
    expected.set(key, (expected.get(key) ?? 0) + 1);
    labels.set(key, [...(labels.get(key) ?? []), item.label]);
  }
  const actual = new Map<string, number>();
  for (const m of server.messages) {
    if (m.method !== undefined) continue;
    const key = idKey(m.id);
    actual.set(key, (actual.get(key) ?? 0) + 1);
  }
  const mismatches = [...new Set([...expected.keys(), ...actual.keys()])]
    .filter((key) => (expected.get(key) ?? 0) !== (actual.get(key) ?? 0))
    .map((key) => `${key.slice(0, 60)}: expected ${expected.get(key) ?? 0}, got ${actual.get(key) ?? 0} (${[...new Set(labels.get(key) ?? [])].slice(0, 8).join(', ')})`);
  expect(mismatches).toEqual([]);

  // Every valid call: exactly one answer, and the right one.
  for (const item of items.filter((i) => i.check)) {
    const id = (JSON.parse(item.line.toString('utf8')) as { id: string | number }).id;
    const answers = server.messages.filter((m) => m.method === undefined && m.id === id);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.error).toBeUndefined();
    item.check!(answers[0]!);
  }

  // Jobs started by valid calls finished (drain on EOF) with their payload, __proto__ keys and all.
  for (const item of items.filter((i) => i.jobPayload)) {
    const id = (JSON.parse(item.line.toString('utf8')) as { id: string | number }).id;
    const jobId = server.messages.find((m) => m.method === undefined && m.id === id)!.result.result.job_id as string;
    const statuses = server.jobStatuses(jobId);
    expect(statuses.at(-1)).toMatchObject({ status: 'done' });
    expect(JSON.stringify(statuses.at(-1).result)).toBe(JSON.stringify(item.jobPayload));
  }

  // A `call` sent as a notification started nothing.
  const silent = new Set(items.flatMap((i) => (i.silentRequestId ? [i.silentRequestId] : [])));
  expect(server.messages.filter((m) => m.method === 'job/status' && silent.has(m.params.request_id))).toEqual([]);
}

describe('stdio fuzzing', () => {
  it(`survives ${LINES} hostile lines interleaved with valid calls (seed ${SEED}) and answers each as the protocol requires`, async () => {
    const keys = makeTestKeys();
    const server = new ServerProcess(keys);
    try {
      const items = new Corpus(new Rng(SEED), server, keys).build(LINES);
      await runAgainstServer(items, server);
    } finally {
      server.kill();
    }
  });
});

// ---------------------------------------------------------------------------
// Regressions: inputs that once crashed or misbehaved, replayed one by one.

const REGRESSION_DIR = path.join(__dirname, '..', 'fixtures', 'fuzz-regressions');

/** One regression record: the line as text, as base64 (for bytes that are not UTF-8), or as a generator. */
interface Regression {
  name: string;
  finding: string;
  line?: string;
  line_base64?: string;
  generate?: { template: string; repeat: Record<string, number> };
}

function regressionLine(r: Regression): Buffer {
  if (r.line !== undefined) return text(r.line);
  if (r.line_base64 !== undefined) return Buffer.from(r.line_base64, 'base64');
  // A template with {{name}} placeholders, each replaced by its own text repeated: big inputs stay small on disk.
  let out = r.generate!.template;
  for (const [placeholder, count] of Object.entries(r.generate!.repeat)) {
    const [token, body] = placeholder.split('=', 2) as [string, string];
    out = out.split(`{{${token}}}`).join(body.repeat(count));
  }
  return text(out);
}

const regressions: Regression[] = fs
  .readdirSync(REGRESSION_DIR)
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap((f) =>
    fs
      .readFileSync(path.join(REGRESSION_DIR, f), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Regression),
  );

describe('fuzz regressions (test/fixtures/fuzz-regressions)', () => {
  it('reads every recorded regression, each with a name, a finding and one form of input', () => {
    expect(regressions.map((r) => r.name)).toEqual([
      'cancelRequest without params',
      'cancelRequest with id null',
      'cancelRequest with an object id',
      'client error response with id null and 100,000-deep data',
      'client response with 100,000-deep result',
      'notification with 100,000-deep params',
    ]);
    for (const r of regressions) {
      expect({ name: r.name, finding: typeof r.finding, inputs: ['line', 'line_base64', 'generate'].filter((key) => key in r) }).toEqual({
        name: r.name,
        finding: 'string',
        inputs: [expect.any(String)],
      });
    }
  });

  it('replays every recorded input, each followed by a valid call, and the server answers all and exits 0', async () => {
    const keys = makeTestKeys();
    const server = new ServerProcess(keys);
    try {
      const items: Item[] = [];
      for (const [i, r] of regressions.entries()) {
        items.push({ label: `regression ${r.name}`, line: regressionLine(r) });
        const id = `canary-${i}`;
        items.push({
          label: `canary after ${r.name}`,
          line: text(rpc(id, server.envelope('batch_sum', { numbers: [i, 1] }))),
          check: (m) => expect(m.result?.result).toEqual({ count: 2, total: i + 1 }),
        });
      }
      await runAgainstServer(items, server);
    } finally {
      server.kill();
    }
  });
});
