import * as readline from 'node:readline';
import { resolveCredentials } from '../client/credentials';
import { defaultSchemas, signEnvelope } from '../client/envelopes';
import { ToolsealError } from '../protocol/errors';
import { KeyringError } from '../protocol/keyring';
import { CALL_METHOD } from '../protocol/wire';
import { parseCommandLine, UsageError, type CommandModule } from './args';
import { flushed, writeJsonLine } from './output';

export const SIGN_USAGE = `Usage: toolseal sign --keys FILE [--client ID] [--id-prefix P]

Reads lines of {"tool": NAME, "args": {...}} ("args" optional) on stdin and
writes, for each, one signed JSON-RPC "call" request line on stdout with a
fresh request_id, nonce and ts_ms. Pipe it into a server:

  toolseal sign --keys keys.json < calls.jsonl | toolseal serve --keys keys.json

The server answers every request and, on end of input, lets running jobs
finish, so the output holds whole job lifecycles.

Options:
  --keys FILE        keyring file (required)
  --client ID        the client to sign as (default: the keyring's first)
  --id-prefix P      JSON-RPC ids are the strings P1, P2, ... (default: the numbers 1, 2, ...)
  -h, --help         this help

Blank lines are skipped. A line that is not such an object is reported on
stderr with its line number and skipped; signing goes on.

Exit codes: 0 every line signed, 1 some line was bad, 2 bad options or a bad keyring.
`;

/** One input line, checked: a tool name and optional args. */
function parseCallLine(line: string): { tool: string; args?: object } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  const { tool, args, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new Error(`unexpected field ${JSON.stringify(unknown[0])} (only "tool" and "args")`);
  if (typeof tool !== 'string' || tool === '') throw new Error('"tool" must be a non-empty string');
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) throw new Error('"args" must be a JSON object');
  return args === undefined ? { tool } : { tool, args };
}

/** `toolseal sign`. */
export async function signCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    keys: { type: 'string' },
    client: { type: 'string' },
    'id-prefix': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values.keys === undefined) throw new UsageError('--keys FILE is required');
  const prefix = values['id-prefix'];

  let keys;
  try {
    keys = resolveCredentials({ keysFile: values.keys, clientId: values.client }, defaultSchemas());
  } catch (err) {
    if (err instanceof KeyringError) {
      process.stderr.write(`toolseal sign: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  // A reader that went away (EPIPE) ends the run instead of crashing it.
  let outputGone = false;
  process.stdout.on('error', () => (outputGone = true));

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNumber = 0;
  let signed = 0;
  let bad = 0;
  for await (const line of lines) {
    lineNumber++;
    if (outputGone) break;
    if (line.trim() === '') continue;
    let params;
    try {
      const call = parseCallLine(line);
      params = signEnvelope(keys.clientKey, { clientId: keys.clientId, serverId: keys.serverId, tool: call.tool, args: call.args });
    } catch (err) {
      bad++;
      const detail = err instanceof ToolsealError && Array.isArray(err.data?.errors) ? `${err.message}: ${JSON.stringify(err.data.errors[0])}` : (err as Error).message;
      process.stderr.write(`toolseal sign: line ${lineNumber}: ${detail}\n`);
      continue;
    }
    signed++;
    const id = prefix === undefined ? signed : `${prefix}${signed}`;
    try {
      await writeJsonLine({ jsonrpc: '2.0', id, method: CALL_METHOD, params });
    } catch {
      outputGone = true;
      break;
    }
  }
  lines.close();
  await flushed();
  if (outputGone) {
    process.stderr.write('toolseal sign: stdout closed before all lines were written\n');
    return 1;
  }
  return bad > 0 ? 1 : 0;
}

/** This command, for the CLI table. */
export const command: CommandModule = { usage: SIGN_USAGE, run: signCommand };
