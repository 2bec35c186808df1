/**
 * Storage stalls. (1) Real training steps continue while every checkpoint
 * write hangs, the queue stays bounded, and it drains to the newest step once
 * storage answers again (the original system's chaos scenario B). (2) Case 9
 * of ../shared/cases, pointer before durability: a save stalled for 10 s with
 * retention 1 and the process killed 1 s after the save was requested leaves
 * the previous committed step in place and resumable, locally and on S3.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelConfigHash } from '../../engine/config/index.ts';
import { loadConfigFile } from '../../engine/config/node.ts';
import { loadCorpusFromDisk } from '../../engine/data/node-files.ts';
import { Trainer } from '../../engine/train/trainer.ts';
import { Checkpointer } from '../../elastic/checkpointer.ts';
import { LocalStore } from '../../elastic/local-store.ts';
import { nodeSha256 } from '../../elastic/node-sha256.ts';
import { RemoteMirror } from '../../elastic/remote-mirror.ts';
import { openRemoteTier, type RemoteTier } from '../../elastic/remote-tier.ts';
import { findResumePoint } from '../../elastic/resume.ts';
import { restoreNewestFromRemote } from '../../elastic/s3-mirror.ts';
import { captureTrainer } from '../../elastic/trainer-state.ts';
import { testGpu } from '../helpers/gpu.ts';
import { type S3rverHandle, startS3rver, testCredentials } from '../helpers/s3rver.ts';
import { MODEL_HASH, removeTempDirs, syntheticSnapshot, tempDir, valueAt, withWrites } from './fixtures.ts';

const BUCKET = 'stall-test';
const { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } = testCredentials();
let server: S3rverHandle;

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET], accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
});

afterAll(async () => {
  await server?.stop();
  removeTempDirs();
});

/** A local store whose writes hang until release() while `stalled` is on. */
function stallingStore(root: string) {
  const local = new LocalStore(root);
  const held: (() => void)[] = [];
  let stalled = false;
  const store = withWrites(local, async (p, b) => {
    if (stalled) await new Promise<void>((go) => held.push(go));
    return local.writeAtomic(p, b);
  });
  return {
    store,
    local,
    stall: () => (stalled = true),
    release: () => {
      stalled = false;
      held.splice(0).forEach((go) => go());
    },
    held: () => held.length,
  };
}

describe('storage stalls', () => {
  it('training steps go on while every write hangs; the queue stays at 2 and drains to the newest step afterwards', async () => {
    const gpu = await testGpu();
    const config = loadConfigFile('configs/smoke.yaml', { MOE_TRAINING__MAX_STEPS: '8' });
    const corpus = loadCorpusFromDisk(config.training.corpus, config.model.sequence_length);
    const trainer = new Trainer(gpu, config, corpus);
    const root = tempDir('stall-train');
    const s = stallingStore(root);
    const c = new Checkpointer({ store: s.store, retention: 2, modelHash: modelConfigHash(config), numExperts: config.model.num_experts, engineVersion: 'test', host: 'test', sha256: nodeSha256 });
    await trainer.trainStep();
    await c.save(await captureTrainer(trainer));
    await c.flush();
    s.stall();
    const depths: number[] = [];
    // Six steps, a save after each, all while storage hangs.
    for (let i = 0; i < 6; i++) {
      await trainer.trainStep();
      await c.save(await captureTrainer(trainer));
      depths.push(c.queueDepth);
    }
    expect(trainer.step).toBe(7);
    expect(Math.max(...depths)).toBe(2);
    expect(s.held()).toBe(1);
    expect(c.lastCommittedStep).toBe(1);
    expect(c.supersededSaves).toBe(4);

    s.release();
    await c.flush();
    expect(c.queueDepth).toBe(0);
    expect(c.lastCommittedStep).toBe(7);
    const point = await findResumePoint(s.local, { modelHash: modelConfigHash(config), sha256: nodeSha256 });
    expect(point?.snapshot.step).toBe(7);
    const now = await captureTrainer(trainer);
    expect(point!.snapshot.sampler).toEqual(now.sampler);
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const kind of ['params', 'm', 'v'] as const) {
      now.tensors[kind].forEach((t, i) => expect(bytes(point!.snapshot.tensors[kind][i].data).equals(bytes(t.data)), `${kind}/${t.name}`).toBe(true));
    }
  }, 120_000);

  it('case 9, local: killed 1 s into a 10 s stalled save with retention 1, the previous step is still there and is resumed', async () => {
    const dir = tempDir('case9');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/elastic/stall-child.ts', dir, '10000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('requested 2')) setTimeout(() => child.kill('SIGKILL'), 1000);
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    expect(await exited, stderr).toBe('SIGKILL');
    clearTimeout(guard);
    expect(stdout).toContain('requested 2');
    const store = new LocalStore(dir);
    store.cleanTemporaries();
    expect(readdirSync(dir)).toContain('step=1');
    const point = await findResumePoint(store, { modelHash: MODEL_HASH, sha256: nodeSha256 });
    expect(point?.snapshot.step).toBe(1);
    expect(point!.snapshot.tensors.params[1].data[3]).toBe(valueAt(1, 1, 3));
  }, 60_000);

  it('case 9, S3: while the upload of the next step stalls, with remote retention 1 the remote still holds the previous committed step', async () => {
    const root = join(tempDir('case9-s3'), 'ckpt');
    const real = openRemoteTier(`s3://${BUCKET}/case9/`, root, { S3_ENDPOINT_URL: server.endpoint, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET });
    let gate: Promise<void> | null = null;
    let open!: () => void;
    const tier: RemoteTier = {
      ...real,
      async mirror(from, step) {
        if (gate) await gate;
        await real.mirror(from, step);
      },
    };
    const warnings: string[] = [];
    const mirror = new RemoteMirror({ tier, localRoot: root, retention: 1, warn: (m) => warnings.push(m) });
    const c = new Checkpointer({
      store: new LocalStore(root), retention: 1, modelHash: MODEL_HASH, numExperts: 4, engineVersion: 'test', host: 'test', sha256: nodeSha256,
      onCommit: (step) => mirror.committed(step), pinned: () => mirror.pinned(), warn: (m) => warnings.push(m),
    });
    mirror.onCopied(() => c.retainNow());
    await c.save(syntheticSnapshot(1));
    await c.flush();
    expect(await mirror.flush()).toBe(true);
    gate = new Promise<void>((resolve) => (open = resolve));
    await c.save(syntheticSnapshot(2));
    await c.flush();
    expect(mirror.pinned()).toEqual([2]);
    expect(await real.committedSteps()).toEqual([1]);
    const restored = join(tempDir('case9-restore'), 'ckpt');
    expect(await restoreNewestFromRemote(real.store, restored, { sha256: nodeSha256 })).toBe(1);
    open();
    expect(await mirror.flush()).toBe(true);
    expect(await real.committedSteps()).toEqual([2]);
    expect(warnings).toEqual([]);
    real.close();
  }, 60_000);
});
