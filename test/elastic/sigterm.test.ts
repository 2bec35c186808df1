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

/** A long `moe train` child in `dir`; resolves once its first periodic save has started (or it died first). */
async function trainUntilFirstSave(dir: string, extraEnv: Record<string, string> = {}) {
  const ckpt = join(dir, 'ckpt');
  const env = {
    ...process.env,
    MOE_TRAINING__MAX_STEPS: '1000',
    MOE_TRAINING__EVAL_EVERY: '1000',
    MOE_CHECKPOINT__EVERY: '3',
    MOE_CHECKPOINT__DIR: ckpt,
    MOE_TELEMETRY__PATH: join(dir, 'telemetry.jsonl'),
    ...extraEnv,
  };
  const child = spawn(process.execPath, ['bin/moe.mjs', 'train', '--config', 'configs/smoke.yaml', '--no-sample'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const err = { text: '' };
  const out = { text: '' };
  child.stdout.on('data', (d: Buffer) => (out.text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err.text += d.toString()));
  // The exit code, or the signal that ended the process.
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
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
  return { child, ckpt, exited, err, out };
}

describe('SIGTERM during moe train', () => {
  it('flushes a committed checkpoint of the last finished step and exits 0', async () => {
    const { child, ckpt, exited, err } = await trainUntilFirstSave(tempDir('sigterm'));
    // Terminate mid-run (or fail here if the child died first).
    expect(child.exitCode, err.text).toBeNull();
    child.kill('SIGTERM');
    expect(await exited, err.text).toBe(0);
    const point = await findResumePoint(new LocalStore(ckpt), { modelHash: modelConfigHash(loadConfigFile('configs/smoke.yaml', {})), sha256: nodeSha256 });
    expect(point).not.toBeNull();
    // The newest directory is the final, committed step: the one the run stopped after.
    const steps = readdirSync(ckpt).map((n) => Number(n.slice('step='.length)));
    expect(point!.snapshot.step).toBe(Math.max(...steps));
    expect(point!.snapshot.step).toBeGreaterThanOrEqual(3);
    for (const s of steps) expect(readdirSync(join(ckpt, `step=${s}`)).sort()).toEqual(['MANIFEST.json', 'rank=0.safetensors']);
  }, 300_000);

  it('quits at once on a second signal, ended by that signal (no crash, no graceful exit 0)', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      // A long final validation pass (run after a stop) keeps the graceful exit from finishing before the second signal.
      const { child, exited, err, out } = await trainUntilFirstSave(tempDir(`signal-twice-${signal}`), { MOE_TRAINING__EVAL_BATCHES: '300' });
      expect(child.exitCode, err.text).toBeNull();
      child.kill(signal);
      // The second signal after the first was handled (two at once may merge into one).
      await waitFor(() => out.text.includes('stopping after this step'), 30_000);
      child.kill(signal);
      expect(await exited, err.text).toBe(signal);
    }
  }, 300_000);
});

async function waitFor(ready: () => boolean, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!ready()) {
    if (performance.now() > until) throw new Error(`waitFor: not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
