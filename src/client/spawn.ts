/**
 * Starting the server process: which command, which arguments, which
 * environment, and where its stderr goes. The connection knows nothing of
 * processes; this file knows nothing of the protocol.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { packagePath } from '../packagePath';
import type { Credentials } from './credentials';

/** This package's own CLI, `dist/cli/main.js`. */
export const DEFAULT_SERVER_SCRIPT = packagePath('dist', 'cli', 'main.js');

/** How to start the server process. */
export interface ProcessOptions {
  /**
   * The program to run. Default: this Node binary (`process.execPath`)
   * running this package's `toolseal serve`. Any command gets the keyring
   * through its environment (see serverCommand).
   */
  command?: string;
  /** The full argument list for `command`. Default: `[serverScript, 'serve', ...serveArgs]`. */
  args?: string[];
  /** The toolseal CLI script the default server runs. Default: this package's `dist/cli/main.js`. */
  serverScript?: string;
  /** Extra `toolseal serve` options for the default server, e.g. `['--drain-ms', '5000']`. */
  serveArgs?: string[];
  /**
   * Variables for the child, added to the few it inherits (see
   * `inheritEnv`); a variable set to undefined is removed.
   */
  env?: NodeJS.ProcessEnv;
  /**
   * Hand the child this process's whole environment instead of only
   * DEFAULT_INHERITED_ENV (default false: a host's tokens and keys stay
   * with the host unless it names them in `env`).
   */
  inheritEnv?: boolean;
  /** The child's working directory. Default: this process's. */
  cwd?: string;
  /**
   * Gets each line the server writes to stderr (its log). Default: written
   * to this process's stderr prefixed with `[toolseal] `. Pass `() => {}` to
   * discard.
   */
  stderr?: (line: string) => void;
}

/** The command line and environment of the server process. */
export interface ServerCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * What a server child inherits of this process's environment by default,
 * as the MCP SDK's stdio client does; anything else it needs, the host
 * passes in `env`.
 */
export const DEFAULT_INHERITED_ENV: readonly string[] =
  process.platform === 'win32'
    ? ['APPDATA', 'HOMEDRIVE', 'HOMEPATH', 'LOCALAPPDATA', 'PATH', 'PROCESSOR_ARCHITECTURE', 'SYSTEMDRIVE', 'SYSTEMROOT', 'TEMP', 'USERNAME', 'USERPROFILE', 'PROGRAMFILES']
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

/**
 * Works out what to run. The keyring travels with the server: for the
 * default server a keyring document in `TOOLSEAL_KEYS_JSON` and a keyring
 * file as `--keys FILE`; for a custom `command` both through the
 * environment (`TOOLSEAL_KEYS_JSON`, or `TOOLSEAL_KEYS` with the file's
 * absolute path), unless `env` names them itself.
 */
export function serverCommand(options: ProcessOptions, credentials: Credentials): ServerCommand {
  const env: NodeJS.ProcessEnv = options.inheritEnv === true ? { ...process.env } : inheritedEnv();
  const custom = options.command !== undefined || options.args !== undefined;
  if (credentials.keyring !== undefined) env.TOOLSEAL_KEYS_JSON = JSON.stringify(credentials.keyring);
  else if (credentials.keysFile !== undefined && custom) {
    env.TOOLSEAL_KEYS = path.resolve(options.cwd ?? '.', credentials.keysFile);
    delete env.TOOLSEAL_KEYS_JSON; // it would win over TOOLSEAL_KEYS
  }
  Object.assign(env, options.env);
  if (custom) return { command: options.command ?? process.execPath, args: options.args ?? [], env };
  const args = [options.serverScript ?? DEFAULT_SERVER_SCRIPT, 'serve'];
  if (credentials.keyring === undefined && credentials.keysFile !== undefined) args.push('--keys', credentials.keysFile);
  args.push(...(options.serveArgs ?? []));
  return { command: process.execPath, args, env };
}

function inheritedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of DEFAULT_INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Starts the process with all three stdio streams piped. */
export function startServerProcess(command: ServerCommand, cwd: string | undefined): ChildProcessWithoutNullStreams {
  // Required here: a server whose tools module imports this package (which
  // exports the client) does not load child_process, some ms at every start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  // Node drops undefined values from env, which is how a caller removes a variable.
  return spawn(command.command, command.args, { env: command.env, cwd, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
}

/** The default stderr sink: this process's stderr, each line prefixed. */
export function prefixedStderr(prefix = '[toolseal] '): (line: string) => void {
  return (line) => {
    try {
      process.stderr.write(`${prefix}${line}\n`);
    } catch {
      // A closed stderr must not take the client down.
    }
  };
}

/** Longest stderr line passed on whole; longer ones are passed on in pieces. */
const MAX_STDERR_LINE = 64 * 1024;

/** Splits `stream` into lines (without terminators) for `sink`; a final unterminated line is passed on at the end. */
export function forwardLines(stream: Readable, sink: (line: string) => void): void {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = (line: string): void => {
    try {
      sink(line.endsWith('\r') ? line.slice(0, -1) : line);
    } catch {
      // The caller's sink failing is not the connection's problem.
    }
  };
  stream.on('data', (chunk: Buffer) => {
    const parts = (partial + decoder.write(chunk)).split('\n');
    partial = parts.pop()!;
    for (const line of parts) emit(line);
    while (partial.length > MAX_STDERR_LINE) {
      emit(partial.slice(0, MAX_STDERR_LINE));
      partial = partial.slice(MAX_STDERR_LINE);
    }
  });
  stream.on('end', () => {
    const rest = partial + decoder.end();
    partial = '';
    if (rest !== '') emit(rest);
  });
  stream.on('error', () => undefined);
}
