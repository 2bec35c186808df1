/**
 * Moving a Trainer's state to and from host memory: parameters and AdamW
 * moments with ONE readMany (the only part of a save the training loop
 * pays), plus the step and the sampler state. Restoring writes them back
 * so that the next trainStep is exactly the step the saved run would take.
 */
import type { NamedTensor } from '../engine/model/safetensors.ts';
import type { Trainer } from '../engine/train/trainer.ts';
import type { ShardTensors } from './format.ts';
import type { SamplerState } from '../engine/data/index.ts';

export interface TrainingSnapshot {
  readonly step: number;
  readonly tensors: ShardTensors;
  readonly sampler: SamplerState;
}

export async function captureTrainer(trainer: Trainer): Promise<TrainingSnapshot> {
  const specs = trainer.model.specs;
  const { m, v } = trainer.optimizer;
  const tensors = [...specs.map((s) => trainer.model.param(s.name)), ...specs.map((s) => m.get(s.name)!), ...specs.map((s) => v.get(s.name)!)];
  const host = await trainer.gpu.readMany(tensors);
  const slice = (k: number): NamedTensor[] => specs.map((s, i) => ({ name: s.name, shape: s.shape, data: host[k * specs.length + i] as Float32Array }));
  return { step: trainer.step, tensors: { params: slice(0), m: slice(1), v: slice(2) }, sampler: trainer.sampler.state() };
}

/** Writes a snapshot into the trainer; refuses missing or mis-shaped tensors, naming them. */
export function restoreTrainer(trainer: Trainer, snap: TrainingSnapshot, source: string): void {
  const gpu = trainer.gpu;
  const kinds: [keyof ShardTensors, string, (name: string) => import('../engine/gpu/index.ts').Tensor][] = [
    ['params', 'param', (n) => trainer.model.param(n)],
    ['m', 'adam_m', (n) => trainer.optimizer.m.get(n)!],
    ['v', 'adam_v', (n) => trainer.optimizer.v.get(n)!],
  ];
  // Check everything before writing anything, so a bad checkpoint leaves the trainer untouched.
  const writes: [import('../engine/gpu/index.ts').Tensor, Float32Array][] = [];
  for (const [kind, prefix, target] of kinds) {
    const byName = new Map(snap.tensors[kind].map((t) => [t.name, t]));
    for (const s of trainer.model.specs) {
      const t = byName.get(s.name);
      if (!t) throw new Error(`${source}: no tensor '${prefix}/${s.name}'; hint: the checkpoint is from another model shape`);
      if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
        throw new Error(`${source}: '${prefix}/${s.name}' is [${t.shape.join(', ')}], the config's model needs [${s.shape.join(', ')}]`);
      }
      writes.push([target(s.name), t.data]);
    }
  }
  for (const [t, data] of writes) gpu.write(t, data);
  trainer.sampler.restore(snap.sampler);
  trainer.step = snap.step;
}
