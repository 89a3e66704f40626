#!/usr/bin/env node
import { UsageError } from './args';
import { CALL_USAGE, callCommand } from './call';
import { KEYGEN_USAGE, keygenCommand } from './keygen';
import { SERVE_USAGE, serveCommand } from './serve';
import { SIGN_USAGE, signCommand } from './sign';
import { TOOLS_USAGE, toolsCommand } from './tools';

/** A subcommand: its usage text and what it runs. */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Every subcommand of `toolseal`. */
export const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the tool server on stdin/stdout', usage: SERVE_USAGE, run: serveCommand },
  keygen: { summary: 'make a keyring with random secrets', usage: KEYGEN_USAGE, run: keygenCommand },
  call: { summary: 'start a server, make one signed call, print the verified response', usage: CALL_USAGE, run: callCommand },
  sign: { summary: 'turn {"tool", "args"} lines into signed call requests', usage: SIGN_USAGE, run: signCommand },
  tools: { summary: 'print the tool definitions for an LLM runtime', usage: TOOLS_USAGE, run: toolsCommand },
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
