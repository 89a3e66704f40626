import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SERVER_ID, GENERATED_SECRET_BYTES, generateKeyring } from '../protocol/keyring';
import { integerOption, parseCommandLine, UsageError, type CommandModule } from './args';
import { flushed } from './output';

const MAX_CLIENTS = 1000;

export const KEYGEN_USAGE = `Usage: toolseal keygen [options]

Makes a keyring: a server key and N client keys, each a fresh random
${GENERATED_SECRET_BYTES}-byte secret. Clients are named client-1, client-2, ...

Options:
  --clients N        how many clients (default 1, at most ${MAX_CLIENTS})
  --server-id ID     the server's id (default ${DEFAULT_SERVER_ID})
  --encoding ENC     base64 | hex: how the secrets are written (default base64)
  --out FILE         write the keyring to FILE, readable by its owner only
                     (mode 0600), instead of printing it; refuses to replace
                     an existing FILE
  --force            with --out, replace an existing FILE
  -h, --help         this help

Example:
  toolseal keygen --clients 2 --out keys.json

Exit codes: 0 written, 1 the file exists or cannot be written, 2 bad options.
`;

/** `toolseal keygen`. */
export async function keygenCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    clients: { type: 'string' },
    'server-id': { type: 'string' },
    encoding: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const serverId = values['server-id'] ?? DEFAULT_SERVER_ID;
  if (serverId.length < 1 || serverId.length > 128) throw new UsageError('--server-id must be 1 to 128 characters');
  const encoding = values.encoding ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'hex') throw new UsageError('--encoding must be base64 or hex');
  if (values.force && values.out === undefined) throw new UsageError('--force only makes sense with --out');
  const clients = integerOption('clients', values.clients, 1, MAX_CLIENTS) ?? 1;

  const text = `${JSON.stringify(generateKeyring({ clients, serverId, encoding }), null, 2)}\n`;
  if (values.out === undefined) {
    process.stdout.write(text);
    await flushed();
    return 0;
  }
  writePrivateFile(values.out, text, values.force === true);
  process.stderr.write(`toolseal keygen: wrote ${clients} client key${clients === 1 ? '' : 's'} and the server key to ${values.out}\n`);
  return 0;
}

/**
 * Writes `text` to a new file only its owner can read. With `replace`, it
 * goes to a fresh file beside `file` first and is renamed over it, so the
 * result has mode 0600 whatever the old file's mode was, and a reader never
 * sees half a keyring.
 */
function writePrivateFile(file: string, text: string, replace: boolean): void {
  const target = replace ? path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`) : file;
  let fd: number;
  try {
    fd = fs.openSync(target, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`${file} already exists; pass --force to replace it`);
    throw new Error(`cannot create ${target}: ${code ?? String(err)}`);
  }
  try {
    // The umask may have taken bits away but never adds any; make it exact.
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(target, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  if (replace) {
    try {
      fs.renameSync(target, file);
    } catch (err) {
      fs.rmSync(target, { force: true });
      throw err;
    }
  }
}

/** This command, for the CLI table. */
export const command: CommandModule = { usage: KEYGEN_USAGE, run: keygenCommand };
