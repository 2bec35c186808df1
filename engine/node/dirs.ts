/**
 * mkdir -p, one level at a time. Node 20's recursive mkdir never returns on
 * a path it cannot create under some file systems (e.g. /proc/x loops
 * between ENOENT and EEXIST): these fail with the error instead. A plain
 * file where the directory should be is an error too.
 */
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** mkdir's EEXIST does not say that a plain file of that name is in the way: say it. */
function mustBeDirectory(dir: string): void {
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is a file, not a directory`);
}

export async function ensureDir(dir: string, mode?: number): Promise<void> {
  try {
    await mkdir(dir, { mode });
  } catch (e) {
    if (code(e) === 'EEXIST') return mustBeDirectory(dir);
    if (code(e) !== 'ENOENT' || dirname(dir) === dir) throw e;
    await ensureDir(dirname(dir), mode);
    try {
      await mkdir(dir, { mode });
    } catch (again) {
      if (code(again) !== 'EEXIST') throw again;
    }
  }
}

export function ensureDirSync(dir: string, mode?: number): void {
  try {
    mkdirSync(dir, { mode });
  } catch (e) {
    if (code(e) === 'EEXIST') return mustBeDirectory(dir);
    if (code(e) !== 'ENOENT' || dirname(dir) === dir) throw e;
    ensureDirSync(dirname(dir), mode);
    try {
      mkdirSync(dir, { mode });
    } catch (again) {
      if (code(again) !== 'EEXIST') throw again;
    }
  }
}

/**
 * The path with symbolic links resolved as far as it exists (the rest
 * appended), so two spellings of one directory compare equal.
 */
export function canonicalPath(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = dirname(abs);
  return parent === abs ? abs : join(canonicalPath(parent), basename(abs));
}
