#!/usr/bin/env node
import { UsageError } from './args';
import { SERVE_USAGE, serveCommand } from './serve';

/** A subcommand: its usage text and what it runs. */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Every subcommand of `toolseal`. */
export const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the tool server on stdin/stdout', usage: SERVE_USAGE, run: serveCommand },
};

function mainUsage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `Usage: toolseal <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'toolseal <command> --help' for a command's options.\n`;
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainUsage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`toolseal: unknown command ${JSON.stringify(name)}\n\n${mainUsage()}`);
    return 2;
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

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`toolseal: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
