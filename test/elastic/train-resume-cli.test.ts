/**
 * `moe train` with checkpoints, end to end on the smoke config: it saves
 * every checkpoint.every steps and at the end, a second run resumes from
 * the newest verified step and reproduces the uninterrupted losses, `moe
 * ckpt ls|verify` report what is stored, a corrupt shard makes training
 * fall back with a warning naming it, and another model shape is refused.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ckptCommand } from '../../engine/cli/commands/ckpt.ts';
import { runTraining } from '../../engine/train/node-run.ts';
import { tempDir, removeTempDirs } from './fixtures.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

function train(dir: string, extra: Record<string, string> = {}) {
  const c = capture();
  const env = {
    MOE_TRAINING__MAX_STEPS: '4',
    MOE_CHECKPOINT__EVERY: '2',
    MOE_CHECKPOINT__RETENTION: '2',
    MOE_CHECKPOINT__DIR: join(dir, 'ckpt'),
    MOE_TELEMETRY__PATH: join(dir, 'telemetry.jsonl'),
    ...extra,
  };
  return runTraining({ configPath: 'configs/smoke.yaml', env, io: c.io, sample: false }).then((r) => ({ ...r, ...c }));
}

async function ckpt(action: string, dir: string) {
  const c = capture();
  const code = await ckptCommand.run({ values: { config: 'configs/smoke.yaml', dir: join(dir, 'ckpt') }, positionals: [action] }, c.io);
  return { code, ...c };
}

afterAll(removeTempDirs);

describe('moe train with checkpoints (smoke config)', () => {
  it('saves, resumes exactly, lists and verifies, falls back from a corrupt shard and refuses another model shape', async () => {
    const dir = tempDir('cli');
    const full = await train(dir);
    expect(full.ok).toBe(true);
    expect(full.losses).toHaveLength(4);
    expect(readdirSync(join(dir, 'ckpt')).sort()).toEqual(['step=2', 'step=4']);
    const records = readFileSync(join(dir, 'telemetry.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const ck = records.filter((r) => r.type === 'checkpoint');
    // One record as each save is queued, and one once the final save has committed.
    expect(ck.map((r) => r.step)).toEqual([2, 4, 4]);
    expect(ck.slice(0, 2).every((r) => Number.isInteger(r.queue_depth) && r.queue_depth >= 1 && r.queue_depth <= 2 && r.superseded_saves === 0)).toBe(true);
    expect(ck[2]).toMatchObject({ queue_depth: 0, last_committed_step: 4, superseded_saves: 0 });
    expect(ck[2].last_commit_ms).toBeGreaterThan(0);

    const ls = await ckpt('ls', dir);
    expect(ls.code).toBe(0);
    expect(ls.out.join('\n')).toMatch(/step=4 +committed {2}1 shard\(s\)/);
    const verify = await ckpt('verify', dir);
    expect(verify.code).toBe(0);
    expect(verify.out.at(-1)).toBe('resume would load step=4');

    // Pretend the run died before step 4 committed: drop it and train again to step 4.
    rmSync(join(dir, 'ckpt', 'step=4'), { recursive: true });
    const again = await train(dir);
    expect(again.out.join('\n')).toContain(`resumed from ${join(dir, 'ckpt')}/step=2`);
    expect(again.losses).toEqual(full.losses.slice(2));

    // A flipped byte in the newest shard: verify fails naming it, training falls back to step 2.
    const shard = join(dir, 'ckpt', 'step=4', 'rank=0.safetensors');
    const bytes = readFileSync(shard);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(shard, bytes);
    const bad = await ckpt('verify', dir);
    expect(bad.code).toBe(1);
    expect(bad.out.join('\n')).toMatch(/step=4 +FAIL: shard .*step=4\/rank=0.safetensors has sha256/);
    const fallback = await train(dir);
    expect(fallback.err.join('\n')).toMatch(/warning: checkpoint step=4 skipped: shard .*rank=0.safetensors has sha256 .*\(corrupt\)/);
    expect(fallback.losses).toEqual(full.losses.slice(2));

    // Step 4 is committed and max_steps is 4: nothing to train, and the run says why instead of a bare "0 tokens".
    const done = await train(dir);
    expect(done.ok).toBe(true);
    expect(done.losses).toEqual([]);
    expect(done.out.join('\n')).toContain('nothing to train: the checkpoint is at step 4 and training.max_steps is 4');

    const other = await train(dir, { MOE_MODEL__FFN_DIM: '16' });
    expect(other.ok).toBe(false);
    expect(other.err.join('\n')).toMatch(/moe train: checkpoint .*step=4 was trained with another model shape/);
  }, 400_000);
});
