/**
 * The one table of `moe` commands, in the order `moe --help` lists them.
 * To add a command: write engine/cli/<name>.ts exporting a `Command`, then
 * add it here.
 */
import type { Command } from './command.ts';
import { infoCommand } from './info.ts';

export const COMMANDS: readonly Command[] = [infoCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
