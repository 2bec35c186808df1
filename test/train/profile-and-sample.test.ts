/**
 * Step telemetry with profiling (per-kernel GPU ms), and sampling from the
 * weights a run saved: same seed, same text; a file from another model shape
 * is refused with a message naming both hashes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelConfigHash } from '../../engine/config/index.ts';
import { loadConfigFile } from '../../engine/config/node.ts';
import { loadCorpusFromDisk } from '../../engine/data/node-files.ts';
import { acquireNodeGpu } from '../../engine/gpu/node.ts';
import { MoeModel } from '../../engine/model/model.ts';
import { loadWeights, saveWeights } from '../../engine/model/node-weights.ts';
import { pick, sampleText } from '../../engine/model/sample.ts';
import { modelDims, Trainer } from '../../engine/train/trainer.ts';

describe('profiling and sampling', () => {
  it('a profiled step reports GPU time for the MoE kernels by name', async () => {
    const gpu = await acquireNodeGpu({ profile: true, notice: () => {} });
    try {
      const config = loadConfigFile('configs/smoke.yaml', {});
      const trainer = new Trainer(gpu, config, loadCorpusFromDisk('brown', config.model.sequence_length));
      const { record } = await trainer.trainStep();
      const k = record.kernel_ms!;
      for (const name of ['router_route', 'experts_gate_up', 'experts_down_wgrad', 'combine', 'adamw_step']) {
        expect(k[name], name).toBeGreaterThanOrEqual(0);
      }
    } finally {
      gpu.destroy();
    }
  });

  it('samples the same text for the same seed from saved weights, and refuses another shape', async () => {
    const gpu = await acquireNodeGpu({ notice: () => {} });
    try {
      const config = loadConfigFile('configs/smoke.yaml', {});
      const trainer = new Trainer(gpu, config, loadCorpusFromDisk('brown', config.model.sequence_length));
      await trainer.trainStep();
      const path = join(mkdtempSync(join(tmpdir(), 'moe-weights-')), 'final.safetensors');
      await saveWeights(trainer.model, path, { model_hash: modelConfigHash(config) });
      const loaded = MoeModel.create(gpu, modelDims(config), 999); // different init: the file must overwrite it
      loadWeights(loaded, path, modelConfigHash(config));
      const o = { prompt: 'The ', bytes: 12, temperature: 0.8, seed: 5, contextLength: config.model.sequence_length };
      const a = await sampleText(trainer.model, o);
      expect(await sampleText(loaded, o)).toBe(a);
      expect(new TextEncoder().encode(a).length).toBeLessThanOrEqual(12 * 3);
      const other = loadConfigFile('configs/smoke.yaml', { MOE_MODEL__HIDDEN_DIM: '8' });
      const small = MoeModel.create(gpu, modelDims(other), 1);
      expect(() => loadWeights(small, path, modelConfigHash(other))).toThrow(/different model shape \(model hash [0-9a-f]+, config gives [0-9a-f]+\)/);
    } finally {
      gpu.destroy();
    }
  });

  it('pick: temperature 0 is argmax; sampling follows the softmax', () => {
    expect(pick([0.1, 2, -1], 0, 0.99)).toBe(1);
    // softmax([0, ln 3]) = [0.25, 0.75]: u below 0.25 picks 0, above picks 1.
    expect(pick([0, Math.log(3)], 1, 0.2)).toBe(0);
    expect(pick([0, Math.log(3)], 1, 0.3)).toBe(1);
  });
});
