/**
 * Training end to end on the smoke config and the real Brown corpus: the
 * loss falls, the same seed gives bit-identical losses, and validation is
 * reported in bits per byte.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../engine/config/node.ts';
import { loadCorpusFromDisk } from '../../engine/data/node-files.ts';
import { Trainer } from '../../engine/train/trainer.ts';
import { testGpu } from '../helpers/gpu.ts';

const STEPS = 8;
const env = { MOE_TRAINING__MAX_STEPS: String(STEPS) };

async function run(): Promise<{ losses: number[]; valBpb: number; counts: number[][] }> {
  const gpu = await testGpu();
  const config = loadConfigFile('configs/smoke.yaml', env);
  const corpus = loadCorpusFromDisk(config.training.corpus, config.model.sequence_length);
  const trainer = new Trainer(gpu, config, corpus);
  const losses: number[] = [];
  let counts: number[][] = [];
  for (let i = 0; i < STEPS; i++) {
    const { loss, record } = await trainer.trainStep();
    losses.push(loss);
    counts = record.routing.counts_per_layer;
  }
  const ev = await trainer.evaluate();
  return { losses, valBpb: ev.val_bpb, counts };
}

describe('trainer (smoke config, Brown corpus)', () => {
  it('the loss falls, runs repeat exactly, and routing conserves tokens', async () => {
    const a = await run();
    // Uniform prediction over 256 bytes is ln 256 = 5.545 nats; an untrained model starts near it.
    expect(a.losses[0]).toBeGreaterThan(4.5);
    expect(a.losses[0]).toBeLessThan(7);
    const first = (a.losses[0] + a.losses[1]) / 2;
    const last = (a.losses[STEPS - 2] + a.losses[STEPS - 1]) / 2;
    expect(last).toBeLessThan(first - 0.3);
    expect(a.valBpb).toBeGreaterThan(0);
    expect(a.valBpb).toBeLessThan(a.losses[0] / Math.LN2);
    // Per step: 2 micro-batches x 2 sequences x 16 tokens x K=2 slots per layer.
    for (const layer of a.counts) expect(layer.reduce((x, y) => x + y, 0)).toBe(2 * 2 * 16 * 2);
    const b = await run();
    expect(b.losses).toEqual(a.losses);
    expect(b.valBpb).toBe(a.valBpb);
  });

  it('tokens per step are the tokens this process trains: its share of the batch when data_parallel > 1', async () => {
    const gpu = await testGpu();
    const config = loadConfigFile('configs/smoke.yaml', {
      ...env, MOE_PARALLELISM__WORLD_SIZE: '2', MOE_PARALLELISM__DATA_PARALLEL: '2', MOE_ELASTIC__MAX_WORKERS: '2',
    });
    const corpus = loadCorpusFromDisk(config.training.corpus, config.model.sequence_length);
    const trainer = new Trainer(gpu, config, corpus);
    const { record } = await trainer.trainStep();
    // global 4 sequences over 2 data-parallel workers: this one trains 1 micro-batch x 2 sequences x 16 tokens.
    expect(trainer.accumulation).toBe(1);
    expect(trainer.tokensPerStep).toBe(1 * 2 * 16);
    // Independently, from the routing counts: K = 2 slots per token in every layer.
    for (const layer of record.routing.counts_per_layer) expect(layer.reduce((x, y) => x + y, 0) / 2).toBe(trainer.tokensPerStep);
  });
});
