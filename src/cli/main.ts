#!/usr/bin/env node
import { packageVersion } from '../version';
import { UsageError, type CommandModule } from './args';

export type { CommandModule } from './args';

/** A subcommand: a one-line summary, and its module, loaded only when it runs. */
export interface Command {
  summary: string;
  load(): CommandModule;
}

// Each command's module is required on demand, so `toolseal serve` (what a
// host spawns, and waits for) does not load the client or the other commands.
/* eslint-disable @typescript-eslint/no-require-imports */
/** Every subcommand of `toolseal`. */
export const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the tool server on stdin/stdout', load: () => (require('./serve') as typeof import('./serve')).command },
  keygen: { summary: 'make a keyring with random secrets', load: () => (require('./keygen') as typeof import('./keygen')).command },
  call: {
    summary: 'start a server, make one signed call, print the verified response',
    load: () => (require('./call') as typeof import('./call')).command,
  },
  sign: { summary: 'turn {"tool", "args"} lines into signed call requests', load: () => (require('./sign') as typeof import('./sign')).command },
  tools: { summary: 'print the tool definitions for an LLM runtime', load: () => (require('./tools') as typeof import('./tools')).command },
  compile: {
    summary: 'compile your tools\' schemas ahead of time, for serve --validators',
    load: () => (require('./compile') as typeof import('./compile')).command,
  },
  worker: {
    summary: 'run the jobs of a server id from shared state (--state redis://...)',
    load: () => (require('./worker') as typeof import('./worker')).command,
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

function mainUsage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `Usage: toolseal <command> [options]\n       toolseal --version\n\nCommands:\n${lines.join('\n')}\n\nRun 'toolseal <command> --help' for a command's options.\n`;
}

/** `--help` or `-h` among a command's options (not after `--`). */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const options = end === -1 ? argv : argv.slice(0, end);
  return options.includes('--help') || options.includes('-h');
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainUsage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`toolseal ${packageVersion()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`toolseal: unknown command ${JSON.stringify(name)}\n\n${mainUsage()}`);
    return 2;
  }
  const command = entry.load();
  if (asksForHelp(rest)) {
    process.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`toolseal ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    process.stderr.write(`toolseal ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/**
 * Runs the command line on this process's arguments and exits with its
 * code: the `toolseal` program. The build's dist/cli/main.js runs it from
 * the bundle of the package's runtime (scripts/bundle.js).
 */
export function runCommandLine(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`toolseal: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) runCommandLine();
