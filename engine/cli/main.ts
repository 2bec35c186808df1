/**
 * `moe` entry: picks the command from the table, parses its flags, runs it
 * and turns errors into exit codes: 0 success, 1 failure (with the error's
 * message and hint, no stack unless MOE_DEBUG=1), 2 wrong invocation (with
 * usage). bin/moe.mjs loads this file through tsx; `npx tsx
 * engine/cli/main.ts <command>` works too.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { GpuUnavailableError } from '../gpu/errors.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, commandHelp, commandUsage, mainHelp, parseCommandArgs, type CliIo } from './command.ts';
import { COMMANDS, findCommand } from './commands.ts';

const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(`moe: missing command\n\n${mainHelp(COMMANDS)}`);
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h') {
    io.out(mainHelp(COMMANDS));
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    io.out(packageVersion());
    return EXIT_OK;
  }
  if (first === 'help') return help(rest, io);
  const command = findCommand(first);
  if (!command) {
    const what = first.startsWith('-') ? `unknown option '${first}' (options go after the command)` : `unknown command '${first}'`;
    io.err(`moe: ${what}\n\n${mainHelp(COMMANDS)}`);
    return EXIT_USAGE;
  }
  try {
    const args = parseCommandArgs(command, rest);
    if (args.help) {
      io.out(commandHelp(command));
      return EXIT_OK;
    }
    return await command.run(args, io);
  } catch (e) {
    return reportError(command.name, e, io);
  }
}

function help(topics: readonly string[], io: CliIo): number {
  if (topics.length === 0) {
    io.out(mainHelp(COMMANDS));
    return EXIT_OK;
  }
  const command = findCommand(topics[0]);
  if (!command) {
    io.err(`moe help: unknown command '${topics[0]}'\n\n${mainHelp(COMMANDS)}`);
    return EXIT_USAGE;
  }
  io.out(commandHelp(command));
  return EXIT_OK;
}

function reportError(commandName: string, e: unknown, io: CliIo): number {
  if (e instanceof UsageError) {
    io.err(`moe ${commandName}: ${e.message}\n${e.command ? commandUsage(e.command) : 'Usage: moe <command> [options]'}\nRun 'moe ${commandName} --help' for its options.`);
    return EXIT_USAGE;
  }
  const debug = process.env.MOE_DEBUG === '1';
  if (e instanceof GpuUnavailableError) {
    // The message is the hint (what to install, which variables to set); a stack would bury it.
    io.err(`moe ${commandName}: ${e.message}`);
  } else if (e instanceof Error) {
    io.err(`moe ${commandName}: ${e.name}: ${e.message}${debug ? '' : '\n(set MOE_DEBUG=1 for a stack trace)'}`);
  } else {
    io.err(`moe ${commandName}: ${String(e)}`);
  }
  if (debug && e instanceof Error && e.stack) io.err(e.stack);
  return EXIT_FAILURE;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}`;
}

/** Run directly (`tsx engine/cli/main.ts …`) rather than imported by bin/moe.mjs. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
