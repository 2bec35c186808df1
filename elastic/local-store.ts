/**
 * The local checkpoint tier (Node): every file is written under a
 * temporary name in the same directory, fsynced, renamed over the real
 * name, and the directory fsynced, so a crash at any moment leaves either
 * the old state or the whole new file. Temporaries carry TEMP_MARKER in
 * their name, so they are recognisable: list() hides them and
 * cleanTemporaries() (run at startup) deletes what a killed writer left.
 */
import { readdirSync, rmSync } from 'node:fs';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureDir } from '../engine/node/dirs.ts';
import { parseStepDir } from './format.ts';
import { NotFoundError, UnreadableError, type CheckpointStore } from './store.ts';

export const TEMP_MARKER = '.moe-tmp-';

/** Errors that make one file unusable (a directory in its place, permissions, a bad sector), not the whole store. */
const UNREADABLE = new Set(['EISDIR', 'EACCES', 'EPERM', 'EIO', 'ELOOP']);

let counter = 0;

export const isTemporary = (name: string): boolean => name.includes(TEMP_MARKER);

export class LocalStore implements CheckpointStore {
  constructor(readonly root: string) {}

  get where(): string {
    return this.root;
  }

  private abs(path: string): string {
    if (path.split('/').some((p) => p === '..')) throw new Error(`LocalStore: path '${path}' leaves the checkpoint directory ${this.root}`);
    return join(this.root, path);
  }

  async writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
    const target = this.abs(path);
    const dir = dirname(target);
    await ensureDir(dir);
    // Unique per process and call, so two writers never share a temporary.
    const tmp = join(dir, `${TEMP_MARKER}${process.pid}-${counter++}-${target.slice(dir.length + 1)}`);
    // fs/promises: the writes and fsyncs run on libuv's thread pool, not on the training loop's thread.
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    await fsyncDir(dir);
  }

  async read(path: string): Promise<Uint8Array> {
    try {
      return await readFile(this.abs(path));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a plain file where a step directory would be, so nothing under it exists.
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`${join(this.root, path)} does not exist`);
      if (code !== undefined && UNREADABLE.has(code)) throw new UnreadableError(`${join(this.root, path)} cannot be read (${(e as Error).message})`);
      throw e;
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return (await readdir(this.abs(dir))).filter((n) => !isTemporary(n)).sort();
    } catch (e) {
      // Absent, or a plain file where a step directory would be: nothing under it.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw e;
    }
  }

  async remove(path: string): Promise<void> {
    const target = this.abs(path);
    try {
      await rm(target, { recursive: true, force: true });
    } catch (e) {
      // A path under a plain file (step=10 being a file) does not exist either.
      if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
      return;
    }
    try {
      await fsyncDir(dirname(target));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  /**
   * Deletes temporaries left by killed writers in the root and each step
   * directory (`step=<N>`, nothing else); returns their paths. Call before
   * anything writes here.
   */
  cleanTemporaries(): string[] {
    const removed: string[] = [];
    const sweep = (dir: string, depth: number) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (isTemporary(e.name)) {
          rmSync(p, { recursive: true, force: true });
          removed.push(p);
        } else if (e.isDirectory() && depth > 0 && parseStepDir(e.name) !== null) sweep(p, depth - 1);
      }
    };
    sweep(this.root, 1);
    return removed;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** This machine's name for manifests. */
export const localHost = (): string => hostname();
