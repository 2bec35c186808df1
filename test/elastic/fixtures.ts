/**
 * Synthetic training snapshots for checkpoint tests that need no GPU: the
 * values are a pure function of (step, tensor, index), so a test can tell
 * which step a restored shard came from without trusting the code under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStore } from '../../elastic/local-store.ts';
import type { CheckpointStore } from '../../elastic/store.ts';
import type { TrainingSnapshot } from '../../elastic/trainer-state.ts';

export const MODEL_HASH = 'ab'.repeat(32);

export function valueAt(step: number, tensor: number, i: number): number {
  return step * 1000 + tensor * 10 + (i % 7) * 0.25;
}

/** Parameters `w0..w{count-1}` of `size` floats each, moments derived the same way. */
export function syntheticSnapshot(step: number, size = 64, count = 2): TrainingSnapshot {
  const make = (offset: number) =>
    Array.from({ length: count }, (_, t) => ({
      name: `w${t}`,
      shape: [size],
      data: Float32Array.from({ length: size }, (_, i) => valueAt(step, t + offset, i)),
    }));
  return {
    step,
    tensors: { params: make(0), m: make(count), v: make(2 * count) },
    sampler: { prng: { algorithm: 'xoshiro128**', words: [step + 1, 2, 3, 4] }, windowsDrawn: step * 4 },
  };
}

const created: string[] = [];

export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `moe-elastic-${label}-`));
  created.push(dir);
  return dir;
}

/** Deletes the directories tempDir made in this process (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** `local` with its writes replaced (slow, stalled or failing storage); reads, lists and removals go through. */
export function withWrites(local: LocalStore, writeAtomic: (path: string, bytes: Uint8Array) => Promise<void>): CheckpointStore {
  return { where: local.root, read: (p) => local.read(p), list: (d) => local.list(d), remove: (p) => local.remove(p), writeAtomic };
}
