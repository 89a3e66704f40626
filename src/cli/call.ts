import * as path from 'node:path';
import { ClientErrorCode, ServerError } from '../client/errors';
import type { SecurityEvent } from '../client/toolClient';
import { ToolClient } from '../client/toolClient';
import { ToolsealError } from '../protocol/errors';
import type { KeyringDocument } from '../client/credentials';
import { KeyringError, locateKeyring, parseKeyringText } from '../protocol/keyring';
import { SchemaRegistry } from '../protocol/schemas';
import { integerOption, parseCommandLine, UsageError, type CommandModule } from './args';
import { flushed, writeJsonLine } from './output';

const DEFAULT_TIMEOUT_MS = 60_000;

export const CALL_USAGE = `Usage: toolseal call TOOL [ARGS_JSON] [--keys FILE] [options]

Starts a server with the keyring, makes one signed call to TOOL with
ARGS_JSON (a JSON object; omitted means the envelope carries no args), and
prints the verified response as one JSON line on stdout.

Options:
  --keys FILE        keyring file; the server and the client both use it. Without
                     it: TOOLSEAL_KEYS_JSON (the keyring itself), then
                     TOOLSEAL_KEYS (a path), as for toolseal serve
  --tools PATH       serve the tools of a module or directory, as toolseal serve
                     does (repeatable); without it, the example tools
  --example-tools    serve the example tools beside those of --tools
  --client ID        the client to call as (default: the keyring's first)
  --wait             if the call starts a job, also print each verified
                     job/status notification as one JSON line, until the job ends
  --timeout-ms N     give up after N ms, the job included (default ${DEFAULT_TIMEOUT_MS});
                     a job still running then is cancelled
  -h, --help         this help

Output: stdout carries only JSON lines. On success: the verified response
(snake_case, as signed by the server), then with --wait the job's
notifications. On failure the last stdout line is the error object
{"code", "message", "data", "verified"} and stderr says what went wrong.
"verified" is set for the server's JSON-RPC errors: true when the error came
with a response signed by the server (its message is the signed text), false
for errors answered before authentication, which cannot be signed (their
text is not the server's word). Client-side failures have no "verified" and
codes of their own: -31001 server gone, -31002 timeout, -31004 an answer
failed verification, -31005 job cancelled.

Examples:
  toolseal call batch_sum '{"numbers": [1, 2, 3]}' --keys keys.json
  toolseal call start_long_task '{"seconds": 2}' --keys keys.json --wait

Exit codes: 0 success (with --wait: the job ended done); 1 the call failed,
a response failed verification, or the job ended error or cancelled;
2 bad options or a bad keyring.
`;

/** `toolseal call`. */
export async function callCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    keys: { type: 'string' },
    tools: { type: 'string', multiple: true },
    'example-tools': { type: 'boolean' },
    client: { type: 'string' },
    wait: { type: 'boolean' },
    'timeout-ms': { type: 'string' },
  });
  const [tool, argsText, ...extra] = positionals;
  if (tool === undefined) throw new UsageError('TOOL is required');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const args = argsText === undefined ? undefined : parseArgsJson(argsText);
  const timeoutMs = integerOption('timeout-ms', values['timeout-ms'], 1) ?? DEFAULT_TIMEOUT_MS;

  let client: ToolClient;
  try {
    const serveArgs = (values.tools ?? []).flatMap((p) => ['--tools', path.resolve(p)]);
    if (values['example-tools'] === true) serveArgs.push('--example-tools');
    client = await ToolClient.spawn({ ...keyringSource(values.keys, process.env), clientId: values.client, onSecurityEvent: reportSecurityEvent, timeoutMs: 0, serveArgs });
  } catch (err) {
    if (err instanceof KeyringError) {
      process.stderr.write(`toolseal call: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const timedOut = () => new ToolsealError(ClientErrorCode.Timeout, `no answer within ${timeoutMs} ms`, { tool, timeout_ms: timeoutMs });
  try {
    const response = await client.call(tool, args, { signal: deadline.signal });
    await writeJsonLine(response.wire);
    if (values.wait && response.status === 'accepted') {
      const job = client.trackJob(response);
      const cancelOnDeadline = () => void job.cancel({ timeoutMs: 5_000 }).catch(() => undefined);
      deadline.signal.addEventListener('abort', cancelOnDeadline, { once: true });
      try {
        for await (const status of job) await writeJsonLine(status.wire);
        await job.result();
      } finally {
        deadline.signal.removeEventListener('abort', cancelOnDeadline);
      }
    }
    return 0;
  } catch (err) {
    let error = err;
    if (deadline.signal.aborted && err instanceof ToolsealError && (err.code === ClientErrorCode.Aborted || err.code === ClientErrorCode.JobCancelled)) {
      error = timedOut();
    }
    if (!(error instanceof ToolsealError)) throw error;
    await writeJsonLine(errorObject(error));
    process.stderr.write(`toolseal call: ${errorSummary(error)}\n`);
    return 1;
  } finally {
    clearTimeout(timer);
    await client.close();
    await flushed();
  }
}

/**
 * The keyring from where `toolseal serve` looks (see locateKeyring), as the
 * client takes it; the server started for the call gets the same keyring.
 */
function keyringSource(keysFile: string | undefined, env: NodeJS.ProcessEnv): { keysFile: string } | { keyring: KeyringDocument } {
  const location = locateKeyring({ keysPath: keysFile, env });
  if (location.kind === 'file') return { keysFile: location.path };
  // Checked here for a message naming the variable; the client checks the document again.
  parseKeyringText(location.text, 'TOOLSEAL_KEYS_JSON', new SchemaRegistry());
  return { keyring: JSON.parse(location.text) as KeyringDocument };
}

/** The error as stdout prints it: `{code, message, data?}`, plus `verified` for the server's errors. */
export function errorObject(error: ToolsealError): Record<string, unknown> {
  return {
    code: error.code,
    message: error.message,
    ...(error.data === undefined ? {} : { data: error.data }),
    ...(error instanceof ServerError ? { verified: error.verified } : {}),
  };
}

/** The error in one line for stderr; an unverified one says so first. */
export function errorSummary(error: ToolsealError): string {
  const summary = `${error.message} (${error.code})`;
  return error instanceof ServerError && !error.verified ? `unverified error, not signed by the server: ${summary}` : summary;
}

/** ARGS_JSON: one JSON object. */
function parseArgsJson(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('ARGS_JSON is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('ARGS_JSON must be a JSON object');
  return value as Record<string, unknown>;
}

function reportSecurityEvent(event: SecurityEvent): void {
  process.stderr.write(`toolseal call: security: ${event.kind} rejected (${event.reason}): ${event.message}\n`);
}

/** This command, for the CLI table. */
export const command: CommandModule = { usage: CALL_USAGE, run: callCommand };
