/**
 * kill -9 at random moments during saves: a child process saves
 * checkpoints back to back (test/elastic/kill-child.ts) and is killed with
 * SIGKILL after a random delay, again and again in the same directory.
 * After every kill, resume must pick a complete step whose tensors are
 * exactly that step's values, the resumed step must never go backwards,
 * and the next start must clean every temporary the kill left behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStore, TEMP_MARKER } from '../../elastic/local-store.ts';
import { nodeSha256 } from '../../elastic/node-sha256.ts';
import { findResumePoint } from '../../elastic/resume.ts';
import { rng } from '../helpers/rng.ts';
import { MODEL_HASH, tempDir, valueAt, removeTempDirs } from './fixtures.ts';

const MIN_TRIALS = 20;
/** Keep killing until this much time has passed (and at least MIN_TRIALS times); `npm run test:chaos` sets a longer one. */
const BUDGET_MS = Number(process.env.MOE_CHAOS_SECONDS ?? 30) * 1000;
/** 6 tensors of 256 KiB: a save takes long enough (~0.1 s) that kills land inside writes. */
const FLOATS = 65536;

interface Trial {
  readonly resumedByChild: string;
  readonly sawSaving: boolean;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function runAndKill(dir: string, delayMs: number): Promise<Trial> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/elastic/kill-child.ts', dir, String(FLOATS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (timer === undefined && stdout.includes('saving')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A child that never starts saving is a failure, not a hang.
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      const m = /resumed (\S+)/.exec(stdout);
      resolve({ resumedByChild: m?.[1] ?? '(no output)', sawSaving: stdout.includes('saving'), signal, stderr });
    });
  });
}

afterAll(removeTempDirs);

describe('kill -9 during background saves', () => {
  it(`resume always finds a complete step, never goes back, and temporaries are cleaned (>= ${MIN_TRIALS} trials)`, async () => {
    const dir = tempDir('kill');
    const random = rng(20261203);
    const started = performance.now();
    let lastStep = 0;
    let trials = 0;
    let sawTemporary = 0;
    let advanced = 0;
    while (trials < MIN_TRIALS || performance.now() - started < BUDGET_MS) {
      const trial = await runAndKill(dir, Math.floor(random() * 400));
      trials++;
      expect(trial.stderr).toBe('');
      expect(trial.sawSaving).toBe(true);
      expect(trial.signal).toBe('SIGKILL');
      // The child's own startup resume saw what the previous check saw.
      expect(trial.resumedByChild).toBe(lastStep === 0 ? 'none' : String(lastStep));
      const leftovers = readdirSync(dir).flatMap((d) => (d.includes(TEMP_MARKER) ? [d] : readdirSync(join(dir, d)).filter((n) => n.includes(TEMP_MARKER))));
      if (leftovers.length > 0) sawTemporary++;
      const point = await findResumePoint(new LocalStore(dir), { modelHash: MODEL_HASH, sha256: nodeSha256 });
      if (point === null) {
        // Killed before the first commit: nothing to resume yet is the only correct answer.
        expect(lastStep).toBe(0);
        continue;
      }
      const step = point.snapshot.step;
      expect(step).toBeGreaterThanOrEqual(lastStep);
      if (step > lastStep) advanced++;
      // The shard holds exactly the values of the step its manifest names.
      for (const [k, list] of [point.snapshot.tensors.params, point.snapshot.tensors.m, point.snapshot.tensors.v].entries()) {
        list.forEach((t, i) => {
          expect(t.data.length).toBe(FLOATS);
          expect(t.data[0]).toBe(valueAt(step, k * 2 + i, 0));
          expect(t.data[FLOATS - 1]).toBe(valueAt(step, k * 2 + i, FLOATS - 1));
        });
      }
      expect(point.snapshot.sampler.windowsDrawn).toBe(step * 4);
      lastStep = step;
    }
    // One more start cleans whatever the last kill left.
    new LocalStore(dir).cleanTemporaries();
    const all = readdirSync(dir).flatMap((d) => [d, ...readdirSync(join(dir, d))]);
    expect(all.filter((n) => n.includes(TEMP_MARKER))).toEqual([]);
    console.log(`kill -9: ${trials} trials in ${((performance.now() - started) / 1000).toFixed(1)} s, ${advanced} committed a newer step (newest ${lastStep}), ${sawTemporary} kills left temporaries`);
    expect(trials).toBeGreaterThanOrEqual(MIN_TRIALS);
    // The trials must have exercised what they claim: kills that landed after
    // commits (most delays exceed one save) and kills in the middle of writes.
    expect(advanced).toBeGreaterThanOrEqual(trials / 2);
    expect(sawTemporary).toBeGreaterThan(0);
  }, BUDGET_MS + 300_000);
});
