/**
 * Exact resume on the smoke config and the real Brown corpus: (train 4
 * steps) equals (train 2, save through the background checkpointer, start a
 * fresh trainer, resume from disk, train 2) loss for loss and bit for bit
 * in every parameter and moment.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { modelConfigHash } from '../../engine/config/index.ts';
import { loadConfigFile } from '../../engine/config/node.ts';
import { loadCorpusFromDisk } from '../../engine/data/node-files.ts';
import { Trainer } from '../../engine/train/trainer.ts';
import { Checkpointer } from '../../elastic/checkpointer.ts';
import { LocalStore } from '../../elastic/local-store.ts';
import { nodeSha256 } from '../../elastic/node-sha256.ts';
import { findResumePoint } from '../../elastic/resume.ts';
import { captureTrainer, restoreTrainer } from '../../elastic/trainer-state.ts';
import { testGpu } from '../helpers/gpu.ts';
import { tempDir, removeTempDirs } from './fixtures.ts';

const K = 2;

afterAll(removeTempDirs);

describe('exact resume (smoke config)', () => {
  it('losses and final state after resume equal the uninterrupted run', async () => {
    const gpu = await testGpu();
    const config = loadConfigFile('configs/smoke.yaml', { MOE_TRAINING__MAX_STEPS: String(2 * K) });
    const corpus = loadCorpusFromDisk(config.training.corpus, config.model.sequence_length);
    const hash = modelConfigHash(config);

    const straight = new Trainer(gpu, config, corpus);
    const straightLosses: number[] = [];
    for (let i = 0; i < 2 * K; i++) straightLosses.push((await straight.trainStep()).loss);

    const dir = tempDir('exact');
    const first = new Trainer(gpu, config, corpus);
    for (let i = 0; i < K; i++) await first.trainStep();
    const ckpt = new Checkpointer({ store: new LocalStore(dir), retention: 2, modelHash: hash, numExperts: config.model.num_experts, engineVersion: 'test', host: 'test', sha256: nodeSha256 });
    await ckpt.save(await captureTrainer(first));
    // Training goes on after the save is queued; it must not leak into the checkpoint.
    await first.trainStep();
    await ckpt.flush();

    const resumed = new Trainer(gpu, config, corpus);
    const point = await findResumePoint(new LocalStore(dir), { modelHash: hash, sha256: nodeSha256 });
    expect(point?.snapshot.step).toBe(K);
    restoreTrainer(resumed, point!.snapshot, dir);
    expect(resumed.step).toBe(K);
    const resumedLosses: number[] = [];
    for (let i = 0; i < K; i++) resumedLosses.push((await resumed.trainStep()).loss);

    expect(resumedLosses).toEqual(straightLosses.slice(K));
    const a = await captureTrainer(straight);
    const b = await captureTrainer(resumed);
    expect(b.step).toBe(a.step);
    expect(b.sampler).toEqual(a.sampler);
    for (const kind of ['params', 'm', 'v'] as const) {
      a.tensors[kind].forEach((t, i) => expect(Buffer.from(b.tensors[kind][i].data.buffer).equals(Buffer.from(t.data.buffer)), `${kind}/${t.name}`).toBe(true));
    }
  });
});
