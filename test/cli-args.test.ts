/**
 * Argument parsing and help for `moe` commands, in process, on a made-up
 * command with the kinds of options later commands (train, sample) need.
 */
import { describe, expect, it } from 'vitest';
import { UsageError, commandHelp, parseCommandArgs, type Command } from '../engine/cli/command.ts';

const fake: Command = {
  name: 'fake',
  summary: 'a command for tests',
  synopsis: '--config PATH [--steps N] [FILE...]',
  options: {
    config: { type: 'string', short: 'c', valueName: 'PATH', description: 'config file' },
    steps: { type: 'string', default: '10', valueName: 'N', description: 'how many steps' },
    tag: { type: 'string', multiple: true, description: 'a label, repeatable' },
    verbose: { type: 'boolean', short: 'v', description: 'say more' },
  },
  positionals: true,
  run: () => Promise.resolve(0),
};

describe('parseCommandArgs', () => {
  it('parses short and long flags, defaults, repeats and positionals', () => {
    const a = parseCommandArgs(fake, ['-c', 'x.yaml', '--tag', 'a', '--tag=b', '-v', 'one', 'two']);
    expect(a.values).toEqual({ config: 'x.yaml', steps: '10', tag: ['a', 'b'], verbose: true });
    expect(a.positionals).toEqual(['one', 'two']);
    expect(a.help).toBe(false);
  });

  it('recognises --help and -h without treating them as command options', () => {
    expect(parseCommandArgs(fake, ['--help']).help).toBe(true);
    expect(parseCommandArgs(fake, ['-h']).help).toBe(true);
    expect(parseCommandArgs(fake, ['-h']).values).not.toHaveProperty('help');
  });

  it('turns an unknown flag, a missing value and a stray positional into a UsageError naming them', () => {
    const usage = (argv: string[], cmd: Command = fake) => {
      try {
        parseCommandArgs(cmd, argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        expect((e as UsageError).command).toBe(cmd);
        return (e as Error).message;
      }
      throw new Error(`no UsageError for ${argv.join(' ')}`);
    };
    expect(usage(['--stpes', '3'])).toMatch(/'--stpes'/);
    expect(usage(['--config'])).toMatch(/--config/);
    expect(usage(['extra'], { ...fake, positionals: false })).toMatch(/'extra'/);
  });
});

describe('commandHelp', () => {
  it('lists every option with its flag, value name, description and string default', () => {
    const help = commandHelp(fake);
    expect(help.split('\n')[0]).toBe('Usage: moe fake --config PATH [--steps N] [FILE...]');
    expect(help).toMatch(/^ {2}-c, --config PATH\s+config file$/m);
    expect(help).toMatch(/^ {6}--steps N\s+how many steps \(default: 10\)$/m);
    expect(help).toMatch(/^ {6}--tag VALUE\s+a label, repeatable$/m);
    expect(help).toMatch(/^ {2}-v, --verbose\s+say more$/m);
    expect(help).toMatch(/^ {2}-h, --help\s+show this help$/m);
  });
});
