/**
 * The local tier's atomic write: a reader sees the old file or the whole
 * new one, never a part; temporaries are hidden from list() and deleted by
 * cleanTemporaries(); the store refuses paths that leave its directory.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as fsp from 'node:fs/promises';
import { LocalStore, TEMP_MARKER } from '../../elastic/local-store.ts';
import { NotFoundError } from '../../elastic/store.ts';
import { canonicalPath, ensureDir, ensureDirSync } from '../../engine/node/dirs.ts';
import { tempDir, removeTempDirs } from './fixtures.ts';

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, rename: vi.fn(real.rename) };
});

afterAll(removeTempDirs);

describe('LocalStore', () => {
  it('writes, reads, lists and removes files and step directories', async () => {
    const root = tempDir('store');
    const store = new LocalStore(root);
    await store.writeAtomic('step=3/a.bin', Uint8Array.of(1, 2, 3));
    await store.writeAtomic('step=3/a.bin', Uint8Array.of(9, 8));
    expect([...readFileSync(join(root, 'step=3/a.bin'))]).toEqual([9, 8]);
    expect([...(await store.read('step=3/a.bin'))]).toEqual([9, 8]);
    expect(await store.list('')).toEqual(['step=3']);
    expect(await store.list('step=3')).toEqual(['a.bin']);
    expect(await store.list('step=99')).toEqual([]);
    await expect(store.read('step=3/none.bin')).rejects.toBeInstanceOf(NotFoundError);
    await store.remove('step=3');
    expect(existsSync(join(root, 'step=3'))).toBe(false);
    await store.remove('step=3'); // absent is fine
    await expect(store.writeAtomic('../escape.bin', Uint8Array.of(1))).rejects.toThrow(/leaves the checkpoint directory/);
  });

  it('a write that dies before the rename leaves the old file under the real name and only a recognisable temporary', async () => {
    const root = tempDir('atomic');
    const store = new LocalStore(root);
    await store.writeAtomic('step=1/rank=0.safetensors', Uint8Array.of(1, 1, 1));
    vi.mocked(fsp.rename).mockRejectedValueOnce(new Error('simulated crash before rename'));
    await expect(store.writeAtomic('step=1/rank=0.safetensors', new Uint8Array(1000).fill(7))).rejects.toThrow(/simulated crash/);
    expect([...readFileSync(join(root, 'step=1/rank=0.safetensors'))]).toEqual([1, 1, 1]);
    const names = readdirSync(join(root, 'step=1'));
    expect(names.filter((n) => n.includes(TEMP_MARKER))).toHaveLength(1);
    expect(await store.list('step=1')).toEqual(['rank=0.safetensors']);
  });

  it('cleanTemporaries deletes leftovers in the root and step directories and nothing else', async () => {
    const root = tempDir('clean');
    mkdirSync(join(root, 'step=2'), { recursive: true });
    writeFileSync(join(root, 'step=2', 'rank=0.safetensors'), 'keep');
    writeFileSync(join(root, 'step=2', `${TEMP_MARKER}123-0-rank=0.safetensors`), 'partial');
    writeFileSync(join(root, `${TEMP_MARKER}9-1-x`), 'partial');
    // Not a step directory: whatever is in it is not ours to delete.
    mkdirSync(join(root, 'notes'));
    writeFileSync(join(root, 'notes', `${TEMP_MARKER}mine`), 'a user file');
    const store = new LocalStore(root);
    expect(await store.list('step=2')).toEqual(['rank=0.safetensors']);
    const removed = store.cleanTemporaries();
    expect(removed).toHaveLength(2);
    expect(readdirSync(join(root, 'step=2'))).toEqual(['rank=0.safetensors']);
    expect(readdirSync(root).sort()).toEqual(['notes', 'step=2']);
    expect(readdirSync(join(root, 'notes'))).toEqual([`${TEMP_MARKER}mine`]);
    expect(new LocalStore(join(root, 'absent')).cleanTemporaries()).toEqual([]);
  });

  it('a plain file where a step directory would be lists as empty instead of failing', async () => {
    const root = tempDir('stray');
    writeFileSync(join(root, 'step=10'), 'not a directory');
    expect(await new LocalStore(root).list('step=10')).toEqual([]);
  });

  it('creates nested directories, and fails at once (no endless loop) where none can be made', async () => {
    const root = tempDir('dirs');
    await ensureDir(join(root, 'a', 'b', 'c'));
    ensureDirSync(join(root, 'x', 'y'));
    expect(readdirSync(root).sort()).toEqual(['a', 'x']);
    await ensureDir(join(root, 'a', 'b', 'c'));
    writeFileSync(join(root, 'file'), '');
    await expect(ensureDir(join(root, 'file', 'sub'))).rejects.toThrow(/ENOTDIR/);
    // Node 20's recursive mkdir never returns on /proc/<new>/<new>: these must throw.
    if (existsSync('/proc/self')) {
      await expect(ensureDir('/proc/moe-engine-test/sub')).rejects.toThrow(/ENOENT/);
      expect(() => ensureDirSync('/proc/moe-engine-test/sub')).toThrow(/ENOENT/);
    }
    expect(canonicalPath(join(root, 'a', '..', 'x', 'new'))).toBe(join(realpathSync(root), 'x', 'new'));
  });
});
