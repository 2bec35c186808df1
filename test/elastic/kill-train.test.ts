/**
 * kill -9 of a real `moe train` child (smoke config, a checkpoint every
 * step) at random moments, then a run to the end. After every kill resume
 * must find a complete step that never goes backwards, and every step the
 * interrupted runs trained (including the ones replayed after a resume)
 * must have exactly the loss of the same step in an uninterrupted run.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelConfigHash } from '../../engine/config/index.ts';
import { loadConfigFile } from '../../engine/config/node.ts';
import { LocalStore, TEMP_MARKER } from '../../elastic/local-store.ts';
import { nodeSha256 } from '../../elastic/node-sha256.ts';
import { findResumePoint } from '../../elastic/resume.ts';
import { rng } from '../helpers/rng.ts';
import { tempDir, removeTempDirs } from './fixtures.ts';

/** Kills of real training runs; `npm run test:chaos` asks for more (MOE_CHAOS_TRAIN_KILLS). */
const KILLS = Number(process.env.MOE_CHAOS_TRAIN_KILLS ?? 2);
/** A killed run gets through a few steps after its first save: enough steps that every kill lands mid-run. */
const STEPS = Math.max(10, 6 * KILLS);

function trainChild(dir: string, killAfterFirstSaveMs: number | null): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const env = {
    ...process.env,
    MOE_TRAINING__MAX_STEPS: String(STEPS),
    MOE_TRAINING__EVAL_EVERY: '1000',
    MOE_CHECKPOINT__EVERY: '1',
    MOE_CHECKPOINT__RETENTION: '2',
    MOE_CHECKPOINT__DIR: join(dir, 'ckpt'),
    MOE_TELEMETRY__PATH: join(dir, 'telemetry.jsonl'),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/moe.mjs', 'train', '--config', 'configs/smoke.yaml', '--no-sample'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const before = new Set(existsSync(join(dir, 'ckpt')) ? readdirSync(join(dir, 'ckpt')) : []);
    let poll: NodeJS.Timeout | undefined;
    if (killAfterFirstSaveMs !== null) {
      // Kill a random time after this run's first save started (a step directory it created).
      poll = setInterval(() => {
        const now = existsSync(join(dir, 'ckpt')) ? readdirSync(join(dir, 'ckpt')) : [];
        if (now.some((n) => !before.has(n))) {
          clearInterval(poll);
          setTimeout(() => child.kill('SIGKILL'), killAfterFirstSaveMs);
        }
      }, 20);
    }
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stderr });
    });
  });
}

function stepLosses(dir: string): { step: number; loss: number }[] {
  return readFileSync(join(dir, 'telemetry.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'step');
}

afterAll(removeTempDirs);

describe('kill -9 of moe train (smoke config, a checkpoint every step)', () => {
  it('resume always picks a complete step and replays every step with the uninterrupted loss', async () => {
    const config = loadConfigFile('configs/smoke.yaml', {});
    const reference = tempDir('kill-train-ref');
    expect((await trainChild(reference, null)).code).toBe(0);
    const expected = new Map(stepLosses(reference).map((r) => [r.step, r.loss]));
    expect(expected.size).toBe(STEPS);

    const dir = tempDir('kill-train');
    const random = rng(1203);
    let last = 0;
    let kills = 0;
    for (let i = 0; i < KILLS; i++) {
      const r = await trainChild(dir, Math.floor(random() * 800));
      // On a fast machine a run may finish before the kill lands; that is a valid outcome, not a kill.
      if (r.code === 0) break;
      expect(r.signal, r.stderr).toBe('SIGKILL');
      kills++;
      const point = await findResumePoint(new LocalStore(join(dir, 'ckpt')), { modelHash: modelConfigHash(config), sha256: nodeSha256 });
      // Killed before this directory's first commit: starting from scratch is the only correct answer.
      if (point === null) {
        expect(last).toBe(0);
        continue;
      }
      expect(point.snapshot.step).toBeGreaterThanOrEqual(last);
      last = point.snapshot.step;
    }
    console.log(`kill -9 of moe train: ${kills} of ${KILLS} runs killed mid-run, newest committed step before the last run ${last} of ${STEPS}`);
    expect(kills).toBeGreaterThanOrEqual(1);
    const final = await trainChild(dir, null);
    expect(final.code, final.stderr).toBe(0);
    expect(final.stderr).not.toMatch(/Error|at .*\.ts:/);
    const seen = stepLosses(dir);
    expect(new Set(seen.map((r) => r.step)).size).toBe(STEPS);
    for (const r of seen) expect(r.loss, `step ${r.step}`).toBe(expected.get(r.step));
    const names = readdirSync(join(dir, 'ckpt')).flatMap((d) => [d, ...readdirSync(join(dir, 'ckpt', d))]);
    expect(names.filter((n) => n.includes(TEMP_MARKER))).toEqual([]);
    // Retention 2: the final step and at most one earlier committed step (the
    // save of STEPS - 1 may have been superseded when the disk was busy).
    const kept = readdirSync(join(dir, 'ckpt'));
    expect(kept).toContain(`step=${STEPS}`);
    expect(kept.length).toBeLessThanOrEqual(2);
    // Four runs of a child that compiles its shaders at start: slow on shared software WebGPU.
  }, 400_000 + KILLS * 60_000);
});
