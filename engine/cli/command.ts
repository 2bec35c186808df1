/**
 * What a `moe` command is, how its arguments are parsed and how its help is
 * printed. Each command lives in its own file and is registered once in
 * ./commands.ts; main.ts only dispatches. Parsing is node:util parseArgs,
 * strict: an unknown flag is a usage error, never silently ignored.
 */
import { parseArgs } from 'node:util';

export interface CliOption {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  /** One line for `--help`. */
  readonly description: string;
  /** Placeholder shown in help for a string option, e.g. 'PATH'. */
  readonly valueName?: string;
}

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface ParsedArgs {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

/** Where a command writes; tests and embedders can capture it. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Synopsis after `moe <name>`, e.g. '[--json]' or '--config PATH'. */
  readonly synopsis: string;
  /** A paragraph for `moe <name> --help` (optional). */
  readonly details?: string;
  readonly options: Readonly<Record<string, CliOption>>;
  /** Accepts positional arguments (default: none, so a stray word is a usage error). */
  readonly positionals?: boolean;
  /** Returns the process exit code: 0 success, 1 failure. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** Wrong invocation (unknown command or flag, bad value): exit code 2 with usage. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    /** The command whose usage should be shown, or null for the top-level usage. */
    readonly command: Command | null,
  ) {
    super(message);
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Every command accepts --help; it is handled by main.ts before run(). */
const HELP_OPTION: CliOption = { type: 'boolean', short: 'h', description: 'show this help' };

export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs & { help: boolean } {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean; default?: string | boolean }> = {};
  for (const [name, o] of Object.entries({ ...command.options, help: HELP_OPTION })) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}), ...(o.default !== undefined ? { default: o.default } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: command.positionals ?? false });
    const { help, ...rest } = values as OptionValues;
    return { values: rest, positionals, help: help === true };
  } catch (e) {
    // parseArgs messages name the flag ("Unknown option '--jsn'"); keep them, drop Node's error code noise.
    throw new UsageError((e as Error).message, command);
  }
}

export function commandUsage(command: Command): string {
  return `Usage: moe ${command.name}${command.synopsis ? ` ${command.synopsis}` : ''}`;
}

export function commandHelp(command: Command): string {
  const lines = [commandUsage(command), '', command.summary];
  if (command.details) lines.push('', command.details);
  const rows = Object.entries({ ...command.options, help: HELP_OPTION }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
    const dflt = o.default !== undefined && o.type === 'string' ? ` (default: ${o.default})` : '';
    return [flag, `${o.description}${dflt}`] as const;
  });
  lines.push('', 'Options:', ...table(rows));
  return lines.join('\n');
}

export function mainHelp(commands: readonly Command[]): string {
  return [
    'Usage: moe <command> [options]',
    '',
    'Mixture-of-Experts training on WebGPU.',
    '',
    'Commands:',
    ...table(commands.map((c) => [c.name, c.summary] as const)),
    '',
    'Run `moe <command> --help` for the options of a command.',
    'Environment: MOE_ADAPTER=auto|hardware|software picks the GPU adapter; MOE_DEBUG=1 prints stack traces.',
  ].join('\n');
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(0, ...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`);
}
