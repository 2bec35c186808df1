/**
 * `moe validate <files...>`: checks config files exactly as training loads
 * them (schema, rules between fields, MOE_<SECTION>__<KEY> environment
 * overrides) and prints OK or every error of each file. Exit code 0 when
 * all are valid, 1 when any has an error, 2 on wrong usage.
 */
import { formatIssues } from '../../config/errors.ts';
import type { Env } from '../../config/env.ts';
import { modelConfigHash } from '../../config/hash.ts';
import { checkConfigFile } from '../../config/node.ts';

/** Where the command writes (same shape as the CLI's CliIo). */
export interface ValidateIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const VALIDATE_USAGE = 'Usage: moe validate [--no-env] <config.yaml> [more.yaml ...]';

export const VALIDATE_HELP = [
  VALIDATE_USAGE,
  '',
  'Check config files: unknown keys, types, ranges, rules between fields, keys that look like credentials.',
  'Environment overrides MOE_<SECTION>__<KEY> (e.g. MOE_TRAINING__MAX_STEPS=10) are applied as training applies them.',
  '',
  'Options:',
  '  --no-env    ignore MOE_<SECTION>__<KEY> environment overrides',
  '  -h, --help  show this help',
].join('\n');

const processIo: ValidateIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Checks each file; prints `OK <file> (model hash ...)` or its errors. Returns 1 if any file is invalid. */
export function validateFiles(paths: readonly string[], env: Env, io: ValidateIo): number {
  let failed = 0;
  for (const path of paths) {
    const result = checkConfigFile(path, env);
    if (result.config) {
      io.out(`OK ${path} (model hash ${modelConfigHash(result.config).slice(0, 12)})`);
    } else {
      failed++;
      const n = result.issues.length;
      io.err(`${path}: ${n} error${n === 1 ? '' : 's'}\n${formatIssues(result.issues)}`);
    }
  }
  if (failed > 0 && paths.length > 1) io.err(`${failed} of ${paths.length} config files invalid`);
  return failed > 0 ? 1 : 0;
}

/** `moe validate` entry: `argv` is what follows the command name. */
export async function validateCommand(argv: string[], io: ValidateIo = processIo, env: Env = process.env): Promise<number> {
  const files: string[] = [];
  let useEnv = true;
  let rest = false;
  for (const arg of argv) {
    if (rest || !arg.startsWith('-') || arg === '-') files.push(arg);
    else if (arg === '--') rest = true;
    else if (arg === '--no-env') useEnv = false;
    else if (arg === '--help' || arg === '-h') {
      io.out(VALIDATE_HELP);
      return 0;
    } else {
      io.err(`moe validate: unknown option '${arg}'\n${VALIDATE_USAGE}`);
      return 2;
    }
  }
  if (files.length === 0) {
    io.err(`moe validate: no config file given\n${VALIDATE_USAGE}`);
    return 2;
  }
  return validateFiles(files, useEnv ? env : {}, io);
}
