/**
 * AdamW over the model's parameters: moments per parameter, weight decay
 * on matrices only (the ParamSpec says which), and the global-norm clip
 * scale read by the kernel from a GPU buffer, so clipping needs no readback.
 */
import type { Gpu, Tensor } from '../gpu/index.ts';
import { adamwStep } from '../../kernels/adamw/adamw.ts';
import type { ParamSpec } from '../model/params.ts';

export interface AdamWSettings {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

export class AdamW {
  readonly m = new Map<string, Tensor>();
  readonly v = new Map<string, Tensor>();

  constructor(
    private readonly gpu: Gpu,
    private readonly specs: readonly ParamSpec[],
    private readonly settings: AdamWSettings,
  ) {
    for (const s of specs) {
      this.m.set(s.name, gpu.zeros(s.shape, 'f32', `${s.name}.adam_m`));
      this.v.set(s.name, gpu.zeros(s.shape, 'f32', `${s.name}.adam_v`));
    }
  }

  /** Records one update of every parameter. `step` counts from 1 (bias correction). */
  update(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>, step: number, lr: number, clipScale: Tensor): void {
    const s = this.settings;
    for (const spec of this.specs) {
      adamwStep(
        this.gpu,
        { param: params.get(spec.name)!, grad: grads.get(spec.name)!, m: this.m.get(spec.name)!, v: this.v.get(spec.name)! },
        step,
        clipScale,
        { lr, beta1: s.beta1, beta2: s.beta2, eps: s.eps, weightDecay: spec.decay ? s.weightDecay : 0 },
      );
    }
  }
}
