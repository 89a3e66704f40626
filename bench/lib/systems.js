// @ts-check
/**
 * The four systems under test, each behind the same small Session
 * interface, so every workload drives them with the same harness code:
 *
 * - toolseal: ToolClient.spawn -> `toolseal serve --tools --validators` with
 *   50 user tools (bench/baselines/user-tools.js) and their schemas compiled
 *   by `toolseal compile` once per run, as a user's build would; every call
 *   signed, verified and validated on both sides;
 * - minimal:  the minimal signed server and its lean client
 *   (bench/baselines/minimal-signed.js): the same wire format with only
 *   what a signed call needs, the floor of toolseal's design;
 * - bare:     our newline framing on plain vscode-jsonrpc connections, no
 *   envelope (bench/baselines/bare-server.js): the transport's ceiling;
 * - sdk:      the MCP TypeScript SDK's Client + StdioClientTransport against
 *   its McpServer (bench/baselines/mcp-server.js).
 *
 * Every server starts with a small environment (PATH, and for toolseal and
 * the SDK their clients' default HOME, LOGNAME, SHELL, TERM, USER), never the
 * harness's whole one: a variable such as NODE_EXTRA_CA_CERTS costs a Node
 * process tens of ms at start.
 */
'use strict';

const path = require('node:path');
const crypto = require('node:crypto');
const v8 = require('node:v8');
const fs = require('node:fs');
const os = require('node:os');
const { execFileSync, spawn } = require('node:child_process');
const { createMessageConnection } = require('vscode-jsonrpc/node');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { ToolClient } = require('../../dist/client');
const { NewlineMessageReader, NewlineMessageWriter, installBurstDispatch } = require('../../dist/transport');
const { MinimalSignedClient } = require('../baselines/minimal-signed');
const children = require('./children');

/**
 * How the harness process is set up; the same for the four clients, which
 * all run in it.
 * - V8 flags: none by default: the comparison runs with V8's defaults.
 *   `BENCH_HARNESS_FLAGS=1` sets `--no-allocation-site-pretenuring` (see the
 *   docs/client.md, "Throughput in a host process"), and the tables say so. With
 *   many calls in flight, V8's allocation-site pretenuring may decide that
 *   a client's per-call objects (envelopes, parsed answers, promises) live
 *   long and allocate them in the old generation, where they die.
 * - Burst dispatch: the harness owns its process, so, like `toolseal serve`,
 *   it lets vscode-jsonrpc take queued messages in bursts (the toolseal and
 *   bare clients; the MCP SDK's client does not use vscode-jsonrpc, it
 *   handles every message of a read as it parses it).
 */
const HARNESS = {
  v8Flags: process.env.BENCH_HARNESS_FLAGS === '1' ? ['--no-allocation-site-pretenuring'] : [],
  burstDispatch: true,
};
for (const flag of HARNESS.v8Flags) v8.setFlagsFromString(flag);
installBurstDispatch();

const BARE_SERVER = path.join(__dirname, '..', 'baselines', 'bare-server.js');
const MCP_SERVER = path.join(__dirname, '..', 'baselines', 'mcp-server.js');
const MINIMAL_SERVER = path.join(__dirname, '..', 'baselines', 'minimal-signed.js');
/** The 50 user tools `toolseal serve` is started with, unless a workload gives its own arguments. */
const USER_TOOLS = path.join(__dirname, '..', 'baselines', 'user-tools.js');
const CLI = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** @type {string | undefined} */
let validatorsFile;
/**
 * The user tools' validators, made by `toolseal compile` at the first call
 * (once per run, into a temporary directory removed at exit).
 */
function userToolValidators() {
  if (validatorsFile === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-bench-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'user-tools.validators');
    execFileSync(process.execPath, [CLI, 'compile', '--tools', USER_TOOLS, '--out', file], { stdio: ['ignore', 'ignore', 'inherit'] });
    validatorsFile = file;
  }
  return validatorsFile;
}

/** The longest line a harness client accepts from a server. */
const CLIENT_MAX_LINE_BYTES = 64 * 1024 * 1024;
/** How long a closing server may take before it is killed. */
const CLOSE_BUDGET_MS = 8_000;

/**
 * @typedef {object} Session A running server and a connected client.
 * @property {number | undefined} pid The server process.
 * @property {(numbers: number[]) => Promise<{count: number, total: number}>} sum One `batch_sum` call.
 * @property {() => Promise<void>} close Ends the server (drain, then kill) and forgets its pid.
 * @property {() => void} startCounting Starts counting the request bytes written to the server.
 * @property {() => number} stopCounting Stops counting; the bytes counted.
 * @property {() => string} stderrTail The server's last stderr lines, for failure reports.
 * @property {import('../../dist/client').ToolClient} [client] The ToolClient (toolseal only).
 */

/**
 * @typedef {object} SystemUnderTest
 * @property {'toolseal' | 'toolsealCompiling' | 'minimal' | 'bare' | 'sdk'} key
 * @property {string} label
 * @property {(options?: {serveArgs?: string[]}) => Promise<Session>} start
 */

/**
 * A throwaway keyring for one bench run: random 32-byte secrets, never
 * written to disk. ToolClient.spawn hands it to the server in
 * TOOLSEAL_KEYS_JSON.
 */
function ephemeralKeyring() {
  const secret = () => `hex:${crypto.randomBytes(32).toString('hex')}`;
  return {
    server: { id: 'bench-server', secret: secret() },
    clients: { 'bench-client': { secrets: [secret()] } },
  };
}

const KEYRING = ephemeralKeyring();

/** Keeps the last `max` lines given to it. */
function lineRing(max = 20) {
  /** @type {string[]} */
  const lines = [];
  return {
    push(/** @type {string} */ line) {
      lines.push(line);
      if (lines.length > max) lines.shift();
    },
    text: () => lines.join('\n'),
  };
}

/**
 * Wraps a Writable's `write` so that, while counting, the bytes handed to it
 * are added up (strings as UTF-8).
 * @param {import('node:stream').Writable} stream
 */
function byteCounter(stream) {
  let counting = false;
  let bytes = 0;
  const original = stream.write;
  stream.write = /** @type {typeof stream.write} */ (
    function (/** @type {any} */ chunk, /** @type {any[]} */ ...rest) {
      if (counting) bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return Reflect.apply(original, this, [chunk, ...rest]);
    }
  );
  return {
    start() {
      bytes = 0;
      counting = true;
    },
    stop() {
      counting = false;
      return bytes;
    },
  };
}

/** Resolves true once `promise` settles, false after `ms`. */
function within(/** @type {Promise<unknown>} */ promise, /** @type {number} */ ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(true)),
    );
  });
}

/** Kills `pid` if close did not end it in time. */
function ensureDead(/** @type {number | undefined} */ pid) {
  if (pid === undefined) return;
  try {
    process.kill(pid, 0);
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  children.untrack(pid);
}

/** @type {SystemUnderTest} */
const toolseal = {
  key: 'toolseal',
  label: 'toolseal',
  async start(options = {}) {
    const stderr = lineRing();
    const client = await ToolClient.spawn({
      keyring: KEYRING,
      clientId: 'bench-client',
      serveArgs: options.serveArgs ?? ['--tools', USER_TOOLS, '--validators', userToolValidators()],
      stderr: (line) => stderr.push(line),
    });
    const child = /** @type {import('node:child_process').ChildProcess} */ (client.process);
    const pid = child.pid;
    children.track(pid);
    const counter = byteCounter(/** @type {import('node:stream').Writable} */ (child.stdin));
    return {
      pid,
      client,
      async sum(numbers) {
        const response = await client.call('batch_sum', { numbers });
        return /** @type {{count: number, total: number}} */ (/** @type {unknown} */ (response.result));
      },
      async close() {
        await within(client.close({ graceMs: 5_000, killAfterMs: 2_000 }), CLOSE_BUDGET_MS);
        ensureDead(pid);
      },
      startCounting: counter.start,
      stopCounting: counter.stop,
      stderrTail: stderr.text,
    };
  },
};

/** @type {SystemUnderTest} */
const minimal = {
  key: 'minimal',
  label: 'minimal signed',
  async start() {
    const stderr = lineRing();
    const child = spawn(process.execPath, [MINIMAL_SERVER], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', TOOLSEAL_KEYS_JSON: JSON.stringify(KEYRING) },
    });
    children.track(child.pid);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (/** @type {string} */ text) => text.split('\n').forEach((line) => line && stderr.push(line)));
    child.stdin.on('error', () => undefined);
    const counter = byteCounter(child.stdin);
    const reader = new NewlineMessageReader(child.stdout, { maxLineBytes: CLIENT_MAX_LINE_BYTES });
    const writer = new NewlineMessageWriter(child.stdin);
    const connection = createMessageConnection(reader, writer);
    connection.listen();
    const client = new MinimalSignedClient(connection, {
      clientId: 'bench-client',
      clientSecret: /** @type {string} */ (KEYRING.clients['bench-client']?.secrets[0]),
      serverId: KEYRING.server.id,
      serverSecret: KEYRING.server.secret,
    });
    return {
      pid: child.pid,
      async sum(numbers) {
        return /** @type {{count: number, total: number}} */ (await client.call('batch_sum', { numbers }));
      },
      async close() {
        await writer.end().catch(() => undefined);
        if (!(await within(exited, CLOSE_BUDGET_MS))) child.kill('SIGKILL');
        connection.dispose();
        ensureDead(child.pid);
      },
      startCounting: counter.start,
      stopCounting: counter.stop,
      stderrTail: stderr.text,
    };
  },
};

/** @type {SystemUnderTest} */
const bare = {
  key: 'bare',
  label: 'bare transport',
  async start() {
    const stderr = lineRing();
    const child = spawn(process.execPath, [BARE_SERVER], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    children.track(child.pid);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (/** @type {string} */ text) => text.split('\n').forEach((line) => line && stderr.push(line)));
    child.stdin.on('error', () => undefined);
    const counter = byteCounter(child.stdin);
    const reader = new NewlineMessageReader(child.stdout, { maxLineBytes: CLIENT_MAX_LINE_BYTES });
    const writer = new NewlineMessageWriter(child.stdin);
    const connection = createMessageConnection(reader, writer);
    connection.listen();
    return {
      pid: child.pid,
      sum(numbers) {
        return connection.sendRequest('batch_sum', { numbers });
      },
      async close() {
        await writer.end().catch(() => undefined);
        if (!(await within(exited, CLOSE_BUDGET_MS))) child.kill('SIGKILL');
        connection.dispose();
        ensureDead(child.pid);
      },
      startCounting: counter.start,
      stopCounting: counter.stop,
      stderrTail: stderr.text,
    };
  },
};

/** @type {SystemUnderTest} */
const sdk = {
  key: 'sdk',
  label: 'MCP SDK',
  async start() {
    const stderr = lineRing();
    const transport = new StdioClientTransport({ command: process.execPath, args: [MCP_SERVER], stderr: 'pipe' });
    const client = new Client({ name: 'toolseal-bench', version: '1.0.0' });
    transport.stderr?.on('data', (/** @type {Buffer} */ chunk) =>
      chunk
        .toString('utf8')
        .split('\n')
        .forEach((line) => line && stderr.push(line)),
    );
    const connecting = client.connect(transport);
    // StdioClientTransport spawns inside connect(); track the pid at once.
    children.track(transport.pid ?? undefined);
    await connecting;
    const pid = transport.pid ?? undefined;
    children.track(pid);
    // The transport adds a 'drain' listener per write that met backpressure;
    // with 16 large requests in flight that is more than Node's default 10.
    /** @type {{_process?: {stdin?: import('node:stream').Writable}}} */ (/** @type {unknown} */ (transport))._process?.stdin?.setMaxListeners(0);
    let counting = false;
    let bytes = 0;
    const send = transport.send.bind(transport);
    // The transport writes JSON.stringify(message) + '\n' per message: count exactly that.
    transport.send = (message, ...rest) => {
      if (counting) bytes += Buffer.byteLength(JSON.stringify(message) + '\n');
      return send(message, ...rest);
    };
    return {
      pid,
      async sum(numbers) {
        const result = await client.callTool({ name: 'batch_sum', arguments: { numbers } });
        return /** @type {{count: number, total: number}} */ (result.structuredContent);
      },
      async close() {
        await within(client.close(), CLOSE_BUDGET_MS);
        ensureDead(pid);
      },
      startCounting() {
        bytes = 0;
        counting = true;
      },
      stopCounting() {
        counting = false;
        return bytes;
      },
      stderrTail: stderr.text,
    };
  },
};

/** In the order every round runs them: A B C D. */
const SYSTEMS = [toolseal, minimal, bare, sdk];

/** toolseal without `--validators` (the user tools' schemas checked at start, compiled on first use): the cold start only. */
/** @type {SystemUnderTest} */
const toolsealCompiling = {
  key: 'toolsealCompiling',
  label: 'toolseal without --validators',
  start: (/** @type {{serveArgs?: string[]}} */ options = {}) => toolseal.start({ serveArgs: options.serveArgs ?? ['--tools', USER_TOOLS] }),
};

module.exports = { SYSTEMS, toolseal, toolsealCompiling, minimal, bare, sdk, KEYRING, ephemeralKeyring, HARNESS, USER_TOOLS };
