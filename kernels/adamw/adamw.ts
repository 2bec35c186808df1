/**
 * AdamW, one step over one flat tensor (call it per parameter tensor, or
 * once over a flat buffer of many). The caller decides weight decay per
 * tensor (matrices yes, norm gains and biases no) through `weightDecay`.
 * The learning rate and bias corrections come in the uniform block (the
 * schedule is computed on the host in float64); the gradient scale comes
 * from a GPU buffer, so global-norm clipping needs no readback:
 * pass GradNormResult.clipScale, or a [1] tensor holding 1 to not clip.
 * A scale of 0 skips the step entirely (param, m, v unchanged).
 */
import { dispatch1d, numel, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import body from './adamw.wgsl.ts';

export const ADAMW_TUNING = { WG: 64 } as const;
const kernel: KernelSource = { name: 'adamw_step', code: `${wgslConsts(ADAMW_TUNING)}\n${body}` };

export interface AdamWHyper {
  readonly lr: number;
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.95. */
  readonly beta2?: number;
  /** Default 1e-8. */
  readonly eps?: number;
  /** Decoupled weight decay; 0 (the default) for tensors that must not decay. */
  readonly weightDecay?: number;
}

export const ADAMW_DEFAULTS = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 } as const;

export interface AdamWTensors {
  readonly param: Tensor;
  readonly grad: Tensor;
  /** First moment, zero before the first step. */
  readonly m: Tensor;
  /** Second moment, zero before the first step. */
  readonly v: Tensor;
}

/** The uniform-block values of step `step` (1-based), in float64 then rounded once. */
export function adamwScalars(step: number, h: AdamWHyper): { stepSize: number; sqrtBc2: number; beta1: number; beta2: number; eps: number; weightDecay: number } {
  const beta1 = h.beta1 ?? ADAMW_DEFAULTS.beta1;
  const beta2 = h.beta2 ?? ADAMW_DEFAULTS.beta2;
  const eps = h.eps ?? ADAMW_DEFAULTS.eps;
  const weightDecay = h.weightDecay ?? ADAMW_DEFAULTS.weightDecay;
  const bad = (name: string, value: number, want: string) => new Error(`adamw: ${name} must be ${want}, got ${value}`);
  if (!Number.isInteger(step) || step < 1) throw bad('step', step, 'an integer >= 1 (steps count from 1 for the bias correction)');
  if (!(Number.isFinite(h.lr) && h.lr >= 0)) throw bad('lr', h.lr, 'finite and >= 0');
  if (!(beta1 >= 0 && beta1 < 1)) throw bad('beta1', beta1, 'in [0, 1)');
  if (!(beta2 >= 0 && beta2 < 1)) throw bad('beta2', beta2, 'in [0, 1)');
  if (!(eps > 0 && Number.isFinite(eps))) throw bad('eps', eps, 'finite and > 0');
  if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) throw bad('weightDecay', weightDecay, 'finite and >= 0');
  return { stepSize: h.lr / (1 - beta1 ** step), sqrtBc2: Math.sqrt(1 - beta2 ** step), beta1, beta2, eps, weightDecay };
}

/** Records one AdamW step; `gradScale` is an f32 [1] tensor (see the file comment). */
export function adamwStep(gpu: Gpu, t: AdamWTensors, step: number, gradScale: Tensor, h: AdamWHyper): void {
  const n = numel(t.param.shape);
  for (const [what, x] of [['grad', t.grad], ['m', t.m], ['v', t.v]] as const) {
    if (numel(x.shape) !== n || x.dtype !== 'f32') {
      throw new Error(`adamw: ${what} '${x.label}' must be f32 holding ${n} values like param '${t.param.label}' [${t.param.shape.join(', ')}], got ${x.dtype} [${x.shape.join(', ')}]`);
    }
  }
  if (t.param.dtype !== 'f32') throw new Error(`adamw: param '${t.param.label}' must be f32, got ${t.param.dtype}`);
  if (numel(gradScale.shape) !== 1 || gradScale.dtype !== 'f32') {
    throw new Error(`adamw: gradScale '${gradScale.label}' must be f32 [1], got ${gradScale.dtype} [${gradScale.shape.join(', ')}]; hint: pass GradNormResult.clipScale or upload [1]`);
  }
  const buffers = [t.param, t.m, t.v, t.grad].map((x) => x.buffer);
  if (new Set(buffers).size !== buffers.length) {
    throw new Error(`adamw: param '${t.param.label}', grad, m and v must be four different buffers (WebGPU forbids aliasing a writable binding)`);
  }
  const s = adamwScalars(step, h);
  const params = packParams([
    ['u32', n], ['f32', h.lr], ['f32', s.weightDecay], ['f32', s.beta1], ['f32', s.beta2], ['f32', s.eps], ['f32', s.stepSize], ['f32', s.sqrtBc2],
  ]);
  gpu.dispatch(kernel, [t.param, t.m, t.v, t.grad, gradScale], dispatch1d(n, ADAMW_TUNING.WG, gpu.maxWorkgroupsPerDimension), params);
}
