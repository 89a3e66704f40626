import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../server/logger';
import { protocolToolsForListing } from '../tools/builtin';
import { loadToolModules } from '../tools/modules';
import { precompileValidators } from '../tools/precompile';
import { ToolRegistry } from '../tools/registry';
import { ToolSetError } from '../tools/schemaCompiler';
import { parseCommandLine, UsageError, type CommandModule } from './args';

export const COMPILE_USAGE = `Usage: toolseal compile --tools PATH... --out FILE

Compiles the JSON Schemas of your tools ahead of time (Ajv standalone code) into
one file. 'toolseal serve --validators FILE' then starts without
loading Ajv or checking those schemas again: run this in your build, and again
whenever a schema changes (a schema changed since is compiled at start, with a
warning; a file made by another version's Ajv is not used, with a warning).

Options:
  --tools PATH      the tools of a module or directory, as for toolseal serve
                    (repeatable, at least one)
  --out FILE        the file to write (replaced if it exists)
  -h, --help        this help

Example:
  toolseal compile --tools ./tools.js --out ./tools.validators
  toolseal serve --tools ./tools.js --validators ./tools.validators
`;

/** `toolseal compile`. */
export async function compileCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    tools: { type: 'string', multiple: true },
    out: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const toolPaths = values.tools ?? [];
  if (toolPaths.length === 0) throw new UsageError('--tools is required');
  if (values.out === undefined) throw new UsageError('--out is required');
  const warn = (message: string): void => void process.stderr.write(`toolseal compile: warning: ${message}\n`);
  let made;
  try {
    const tools = await loadToolModules(toolPaths);
    // The checks `toolseal serve` makes (names, meta-schemas, compilation), then the code.
    const registry = new ToolRegistry({ protocol: protocolToolsForListing(), tools }, createLogger('warn'));
    made = precompileValidators(registry, toolPaths, warn);
  } catch (err) {
    if (!(err instanceof ToolSetError)) throw err;
    process.stderr.write(`toolseal compile: ${err.message}\n`);
    return 2;
  }
  writeReplacing(values.out, made.bytes);
  process.stderr.write(`toolseal compile: wrote the validators of ${made.schemas} schema${made.schemas === 1 ? '' : 's'} to ${values.out}\n`);
  return 0;
}

/** Writes `text` to a fresh file beside `file`, then renames it over `file`: a server never loads half a module. */
function writeReplacing(file: string, bytes: Buffer): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temporary, bytes, { flag: 'wx' });
    fs.renameSync(temporary, file);
  } catch (err) {
    fs.rmSync(temporary, { force: true });
    throw err;
  }
}

/** This command, for the CLI table. */
export const command: CommandModule = { usage: COMPILE_USAGE, run: compileCommand };
