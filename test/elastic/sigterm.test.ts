/**
 * SIGTERM (and SIGINT, the same handler) during `moe train`: the run stops
 * after the current step, commits a checkpoint of that step (the queue is
 * flushed before exit) and exits 0; nothing uncommitted or temporary stays.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelConfigHash } from '../../engine/config/index.ts';
import { loadConfigFile } from '../../engine/config/node.ts';
import { LocalStore } from '../../elastic/local-store.ts';
import { nodeSha256 } from '../../elastic/node-sha256.ts';
import { findResumePoint } from '../../elastic/resume.ts';
import { tempDir, removeTempDirs } from './fixtures.ts';

afterAll(removeTempDirs);

describe('SIGTERM during moe train', () => {
  it('flushes a committed checkpoint of the last finished step and exits 0', async () => {
    const dir = tempDir('sigterm');
    const ckpt = join(dir, 'ckpt');
    const env = {
      ...process.env,
      MOE_TRAINING__MAX_STEPS: '1000',
      MOE_TRAINING__EVAL_EVERY: '1000',
      MOE_CHECKPOINT__EVERY: '3',
      MOE_CHECKPOINT__DIR: ckpt,
      MOE_TELEMETRY__PATH: join(dir, 'telemetry.jsonl'),
    };
    const child = spawn(process.execPath, ['bin/moe.mjs', 'train', '--config', 'configs/smoke.yaml', '--no-sample'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Terminate once the first periodic save has started, mid-run (or fail below if the child died first).
    let poll: NodeJS.Timeout | undefined;
    await Promise.race([
      exited,
      new Promise<void>((resolve) => {
        poll = setInterval(() => {
          if (existsSync(ckpt) && readdirSync(ckpt).length > 0) resolve();
        }, 20);
      }),
    ]);
    clearInterval(poll);
    expect(child.exitCode, stderr).toBeNull();
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    const point = await findResumePoint(new LocalStore(ckpt), { modelHash: modelConfigHash(loadConfigFile('configs/smoke.yaml', {})), sha256: nodeSha256 });
    expect(point).not.toBeNull();
    // The newest directory is the final, committed step: the one the run stopped after.
    const steps = readdirSync(ckpt).map((n) => Number(n.slice('step='.length)));
    expect(point!.snapshot.step).toBe(Math.max(...steps));
    expect(point!.snapshot.step).toBeGreaterThanOrEqual(3);
    for (const s of steps) expect(readdirSync(join(ckpt, `step=${s}`)).sort()).toEqual(['MANIFEST.json', 'rank=0.safetensors']);
  }, 300_000);
});
