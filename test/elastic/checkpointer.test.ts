/**
 * Background saves and resume selection on the local tier, without a GPU:
 * committed steps and retention, corrupted shards (flipped byte, truncated,
 * a directory in place of a shard or manifest,
 * deleted) making resume fall back with a reason naming the file, leftover
 * uncommitted steps ignored and later overwritten, a model-shape mismatch
 * refused, and a stalled store that neither blocks save() nor deadlocks.
 */
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../elastic/checkpointer.ts';
import { LocalStore } from '../../elastic/local-store.ts';
import { nodeSha256 } from '../../elastic/node-sha256.ts';
import { CheckpointMismatchError, findResumePoint, verifyStep } from '../../elastic/resume.ts';
import type { CheckpointStore } from '../../elastic/store.ts';
import { MODEL_HASH, syntheticSnapshot, tempDir, valueAt, removeTempDirs, withWrites } from './fixtures.ts';

function checkpointer(store: CheckpointStore, extra: { retention?: number; depth?: number; warn?: (m: string) => void } = {}) {
  return new Checkpointer({ store, retention: extra.retention ?? 2, depth: extra.depth, modelHash: MODEL_HASH, numExperts: 4, engineVersion: 'test', host: 'test-host', sha256: nodeSha256, warn: extra.warn });
}

async function saveSteps(root: string, steps: number[], retention = 10): Promise<LocalStore> {
  const store = new LocalStore(root);
  const c = checkpointer(store, { retention });
  // One commit per step (saves queued faster than storage would supersede each other).
  for (const s of steps) {
    await c.save(syntheticSnapshot(s));
    await c.flush();
  }
  return store;
}

async function resumeStep(store: CheckpointStore): Promise<{ step: number | null; warnings: string[] }> {
  const warnings: string[] = [];
  const point = await findResumePoint(store, { modelHash: MODEL_HASH, warn: (m) => warnings.push(m) });
  return { step: point?.snapshot.step ?? null, warnings };
}

afterAll(removeTempDirs);

describe('Checkpointer + resume (local tier)', () => {
  it('commits shard then manifest, keeps the last `retention` steps, and resume restores the newest exactly', async () => {
    const root = tempDir('commit');
    const store = await saveSteps(root, [2, 4, 6, 8], 2);
    expect(readdirSync(root).sort()).toEqual(['step=6', 'step=8']);
    expect(readdirSync(join(root, 'step=8')).sort()).toEqual(['MANIFEST.json', 'rank=0.safetensors']);
    const manifest = JSON.parse(readFileSync(join(root, 'step=8/MANIFEST.json'), 'utf8'));
    const shard = readFileSync(join(root, 'step=8/rank=0.safetensors'));
    expect(manifest.shards).toEqual([{ name: 'rank=0.safetensors', bytes: shard.length, sha256: nodeSha256(shard) }]);
    expect(manifest.expert_placement).toEqual([{ rank: 0, experts: [0, 1, 2, 3] }]);
    const point = await findResumePoint(store, { modelHash: MODEL_HASH });
    expect(point!.snapshot.step).toBe(8);
    expect(point!.snapshot.sampler).toEqual({ prng: { algorithm: 'xoshiro128**', words: [9, 2, 3, 4] }, windowsDrawn: 32 });
    expect(point!.snapshot.tensors.m[1].data[5]).toBe(valueAt(8, 3, 5));
    expect(point!.snapshot.tensors.params[0].data[6]).toBe(valueAt(8, 0, 6));
  });

  it.each([
    ['a flipped byte', (p: string) => { const b = readFileSync(p); b[b.length - 3] ^= 0x10; writeFileSync(p, b); }, /rank=0.safetensors has sha256 .* \(corrupt\)/],
    ['a truncated file', (p: string) => truncateSync(p, 100), /rank=0.safetensors is 100 bytes, the manifest records \d+ \(truncated\?\)/],
    ['a deleted file', (p: string) => rmSync(p), /shard .*step=6\/rank=0.safetensors is missing/],
    // Unreadable in place (as a file without read permission for the training user): skipped like a corrupt one, not a crash.
    ['a directory in its place', (p: string) => { rmSync(p); mkdirSync(p); }, /shard .*step=6\/rank=0.safetensors cannot be read \(EISDIR/],
    ['an unreadable manifest', (p: string) => { const m = join(p, '..', 'MANIFEST.json'); rmSync(m); mkdirSync(m); }, /.*step=6\/MANIFEST.json cannot be read \(EISDIR/],
  ])('%s in the newest shard makes resume fall back to the previous step and say why', async (_label, damage, reason) => {
    const root = tempDir('corrupt');
    const store = await saveSteps(root, [3, 6]);
    damage(join(root, 'step=6/rank=0.safetensors'));
    const { step, warnings } = await resumeStep(store);
    expect(step).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/checkpoint step=6 skipped/);
    expect(warnings[0]).toMatch(reason);
    const check = await verifyStep(store, 6);
    expect(check.ok).toBe(false);
  });

  it('no verified step means a fresh start; a torn manifest is skipped with its parse error', async () => {
    const root = tempDir('none');
    expect((await resumeStep(new LocalStore(root))).step).toBeNull();
    const store = await saveSteps(root, [1, 2]);
    writeFileSync(join(root, 'step=2/MANIFEST.json'), '{"schema_version": 1, "st');
    const { step, warnings } = await resumeStep(store);
    expect(step).toBe(1);
    expect(warnings[0]).toMatch(/step=2\/MANIFEST.json: not valid JSON/);
  });

  it('a leftover step with a shard and no manifest is ignored, then overwritten cleanly by a later save', async () => {
    const root = tempDir('leftover');
    const store = await saveSteps(root, [4]);
    mkdirSync(join(root, 'step=8'));
    writeFileSync(join(root, 'step=8/rank=0.safetensors'), 'half a shard from a killed run');
    const first = await resumeStep(store);
    expect(first.step).toBe(4);
    expect(first.warnings[0]).toMatch(/step=8\/MANIFEST.json is missing \(save never committed\)/);
    const c = checkpointer(store, { retention: 5 });
    await c.save(syntheticSnapshot(8));
    await c.flush();
    const second = await resumeStep(store);
    expect(second).toEqual({ step: 8, warnings: [] });
  });

  it('retention deletes uncommitted leftovers older than the oldest kept step, never newer ones', async () => {
    const root = tempDir('retention');
    mkdirSync(join(root, 'step=1'));
    writeFileSync(join(root, 'step=1/rank=0.safetensors'), 'old leftover');
    mkdirSync(join(root, 'step=99'));
    writeFileSync(join(root, 'step=99/rank=0.safetensors'), 'newer leftover');
    await saveSteps(root, [2, 3, 4], 2);
    expect(readdirSync(root).sort()).toEqual(['step=3', 'step=4', 'step=99']);
  });

  it('retention counts only steps known good: a corrupt newer step neither costs a good one nor is deleted; foreign files stay', async () => {
    const root = tempDir('retention-good');
    const store = await saveSteps(root, [2, 4], 5);
    // A committed-looking step=100 copied in from elsewhere whose manifest names another step.
    mkdirSync(join(root, 'step=100'));
    writeFileSync(join(root, 'step=100/MANIFEST.json'), readFileSync(join(root, 'step=4/MANIFEST.json')));
    writeFileSync(join(root, 'step=1'), 'a stray plain file');
    mkdirSync(join(root, 'step=0'));
    writeFileSync(join(root, 'step=0/notes.txt'), 'precious');
    const { step, warnings } = await resumeStep(store);
    expect(step).toBe(4);
    expect(warnings[0]).toMatch(/step=100 skipped: .*records step 4, not 100/);
    const lines: string[] = [];
    const c = checkpointer(store, { retention: 2, warn: (m) => lines.push(m) });
    c.trust(4);
    for (const s of [6, 8]) {
      await c.save(syntheticSnapshot(s));
      await c.flush();
    }
    // Two good steps kept (8 and 6); 4 and 2 and the stray file deleted; step=100 and the user's notes untouched.
    expect(readdirSync(root).sort()).toEqual(['step=0', 'step=100', 'step=6', 'step=8']);
    expect(readdirSync(join(root, 'step=0'))).toEqual(['notes.txt']);
    expect(lines.some((l) => /left step=0 in .*: it holds files moe-engine did not write \(notes\.txt\)/.test(l))).toBe(true);
    expect((await resumeStep(store)).step).toBe(8);
  });

  it('a checkpoint of another model shape is refused with a clear error', async () => {
    const store = await saveSteps(tempDir('mismatch'), [2]);
    await expect(findResumePoint(store, { modelHash: 'cd'.repeat(32) })).rejects.toThrow(CheckpointMismatchError);
    await expect(findResumePoint(store, { modelHash: 'cd'.repeat(32) })).rejects.toThrow(/another model shape \(model hash abababababab…, the config gives cdcdcdcdcdcd…\)/);
  });

  it('a storage stall does not block save(): the queue holds 2, newer saves supersede the waiting one, and it drains after the stall', async () => {
    const root = tempDir('stall');
    const local = new LocalStore(root);
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const attempts: string[] = [];
    const stalling = withWrites(local, async (p, b) => {
      attempts.push(p);
      await stalled;
      return local.writeAtomic(p, b);
    });
    const warnings: string[] = [];
    const c = checkpointer(stalling, { depth: 2, retention: 10, warn: (m) => warnings.push(m) });
    // Six saves while every write hangs: each save() must return (a deadlock or back-pressure fails the race).
    for (let step = 1; step <= 6; step++) {
      const outcome = await Promise.race([c.save(syntheticSnapshot(step)).then(() => 'returned'), new Promise((r) => setTimeout(() => r('blocked'), 5000))]);
      expect(outcome, `save of step ${step}`).toBe('returned');
      expect(c.queueDepth).toBeLessThanOrEqual(2);
    }
    expect(c.queueDepth).toBe(2);
    // The first save reaches the store (its shard write hangs there); nothing else does.
    for (let i = 0; i < 200 && attempts.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(attempts).toEqual(['step=1/rank=0.safetensors']);
    expect(c.supersededSaves).toBe(4);
    // One warning for the four replacements (not a line per step while storage stays behind).
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/checkpoint storage .* is slower than training: the queued save of step=2 is replaced by step=3 \(telemetry superseded_saves counts them/);
    expect(c.lastCommittedStep).toBeNull();

    release();
    await c.flush();
    expect(c.queueDepth).toBe(0);
    expect(c.lastCommittedStep).toBe(6);
    expect(readdirSync(root).sort()).toEqual(['step=1', 'step=6']);
    expect((await resumeStep(local)).step).toBe(6);
  });

  it('with depth 1 nothing can wait, so save() waits for the write in progress', async () => {
    const root = tempDir('depth1');
    const local = new LocalStore(root);
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const stalling = withWrites(local, async (p, b) => {
      await stalled;
      return local.writeAtomic(p, b);
    });
    const c = checkpointer(stalling, { depth: 1, retention: 10 });
    await c.save(syntheticSnapshot(1));
    let second = false;
    const pending = c.save(syntheticSnapshot(2)).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(second).toBe(false);
    release();
    await pending;
    await c.flush();
    expect(readdirSync(root).sort()).toEqual(['step=1', 'step=2']);
    expect(c.supersededSaves).toBe(0);
  });

  it('a failed background write is reported by the next save() and by flush()', async () => {
    const root = tempDir('fail');
    const local = new LocalStore(root);
    const warnings: string[] = [];
    const broken = withWrites(local, async () => {
      throw new Error('disk full');
    });
    const c = checkpointer(broken, { warn: (m) => warnings.push(m) });
    await c.save(syntheticSnapshot(1));
    await expect(c.flush()).rejects.toThrow(/checkpoint save of step=1 to .* failed: disk full/);
    await expect(c.save(syntheticSnapshot(2))).rejects.toThrow(/disk full/);
    expect(warnings).toHaveLength(1);
  });
});
