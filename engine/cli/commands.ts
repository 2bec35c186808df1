/**
 * The one table of `moe` commands, in the order `moe --help` lists them.
 * To add a command: write engine/cli/commands/<name>.ts exporting a
 * `Command` (./command.ts), then add it here. Import heavy modules inside
 * `run` (dynamic import) so that `moe --help` stays fast.
 */
import { UsageError, type Command } from './command.ts';
import { validateFiles } from './commands/validate.ts';
import { infoCommand } from './info.ts';
import { benchCommand } from './commands/bench.ts';
import { ckptCommand } from './commands/ckpt.ts';
import { sampleCommand } from './commands/sample.ts';
import { trainCommand } from './commands/train.ts';

/**
 * `moe validate` on the shared parser and help. Adapter around
 * validateFiles until commands/validate.ts exports a `Command` itself.
 */
const validateEntry: Command = {
  name: 'validate',
  summary: 'check config files: schema, rules between fields, environment overrides',
  synopsis: '[--no-env] <config.yaml> [more.yaml ...]',
  details:
    'Checks each file exactly as training loads it and prints OK (with the model hash) or every error. ' +
    'Environment overrides MOE_<SECTION>__<KEY> (e.g. MOE_TRAINING__MAX_STEPS=10) are applied as training applies them.',
  options: {
    'no-env': { type: 'boolean', description: 'ignore MOE_<SECTION>__<KEY> environment overrides' },
  },
  positionals: true,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('no config file given', validateEntry);
    return validateFiles(args.positionals, args.values['no-env'] === true ? {} : process.env, io);
  },
};

export const COMMANDS: readonly Command[] = [trainCommand, sampleCommand, validateEntry, infoCommand, benchCommand, ckptCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
