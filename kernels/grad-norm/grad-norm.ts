/**
 * Global gradient norm over many tensors of different sizes, with the clip
 * scale and a finite check, all on the GPU (no readback needed to clip):
 *   pass 1, per tensor: partial sums of squares over fixed chunks, and the
 *           first NaN/Inf element of each chunk (by bits);
 *   pass 2, one workgroup: per-tensor sums, the total in tensor order, the
 *           norm, the clip scale and the first tensor holding NaN/Inf.
 * Fixed-order trees throughout: the same bits every run. AdamW reads
 * `clipScale` directly; a non-finite gradient gives clipScale = 0, which
 * makes AdamW skip the step. Read the report once per step
 * (readGradNormReport in report.ts) to raise an error naming the parameter.
 * Legend: T tensors.
 */
import { foldWorkgroups, numel, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import finalBody from './final.wgsl.ts';
import partialBody from './partial.wgsl.ts';

/** The one definition of the tunables; WG and FINAL_WG are powers of two (tree reductions). */
export const GRAD_NORM_TUNING = { WG: 64, ITEMS: 32, FINAL_WG: 64 } as const;
const HEADER = wgslConsts(GRAD_NORM_TUNING);
for (const k of ['WG', 'FINAL_WG'] as const) {
  const v = GRAD_NORM_TUNING[k];
  if ((v & (v - 1)) !== 0) throw new Error(`GRAD_NORM_TUNING.${k} must be a power of two for the tree reductions, got ${v}`);
}
/** Elements one pass-1 workgroup covers. */
export const GRAD_NORM_CHUNK = GRAD_NORM_TUNING.WG * GRAD_NORM_TUNING.ITEMS;
/** first_bad holds this when every gradient is finite. */
export const NO_TENSOR = 0xffffffff;

const partialKernel: KernelSource = { name: 'grad_norm_partial', code: `${HEADER}\n${partialBody}` };
const finalKernel: KernelSource = { name: 'grad_norm_final', code: `${HEADER}\n${finalBody}` };

export interface GradNormOptions {
  /** Clip to this global norm (scale = min(1, maxNorm / (norm + 1e-6))). Omit to not clip. */
  readonly maxNorm?: number;
}

export interface GradNormResult {
  /** f32 [T]: each tensor's sum of squares. */
  readonly sumSquares: Tensor;
  /** f32 [1]: sqrt of the total sum of squares. */
  readonly norm: Tensor;
  /** f32 [1]: the factor AdamW multiplies gradients by; 0 when not finite (skip the step). */
  readonly clipScale: Tensor;
  /** u32 [2]: [tensor index, element index] of the first NaN/Inf, or [NO_TENSOR, NO_TENSOR]. */
  readonly firstNonFinite: Tensor;
}

export function gradNorm(gpu: Gpu, grads: readonly Tensor[], o: GradNormOptions = {}): GradNormResult {
  if (o.maxNorm !== undefined && !(o.maxNorm > 0 && Number.isFinite(o.maxNorm))) {
    throw new Error(`gradNorm: maxNorm must be finite and > 0, got ${o.maxNorm}; hint: omit it to not clip`);
  }
  const T = grads.length;
  const slotStart = new Uint32Array(T + 1);
  grads.forEach((g, t) => {
    if (g.dtype !== 'f32') throw new Error(`gradNorm: gradient ${t} '${g.label}' must be f32, got ${g.dtype}`);
    // Every tensor gets at least one slot, so an empty one still writes its zero.
    slotStart[t + 1] = slotStart[t] + Math.max(1, Math.ceil(numel(g.shape) / GRAD_NORM_CHUNK));
  });
  const slots = slotStart[T];
  // One small upload per call (gpu.upload submits the commands recorded so far);
  // cache the slot starts per tensor list if that ever shows in a profile.
  const starts = gpu.upload(slotStart, [T + 1], 'grad_norm_slot_start');
  const partialSumsq = gpu.empty([slots], 'f32', 'grad_norm_partial_sumsq');
  const partialBad = gpu.empty([slots], 'u32', 'grad_norm_partial_bad');
  const max = gpu.maxWorkgroupsPerDimension;
  grads.forEach((g, t) => {
    const count = slotStart[t + 1] - slotStart[t];
    const params = packParams([['u32', numel(g.shape)], ['u32', slotStart[t]], ['u32', count]]);
    gpu.dispatch(partialKernel, [partialSumsq, partialBad, g], foldWorkgroups(count, max), params);
  });
  const result: GradNormResult = {
    sumSquares: gpu.empty([T], 'f32', 'grad_norm_sumsq'),
    norm: gpu.empty([1], 'f32', 'grad_norm'),
    clipScale: gpu.empty([1], 'f32', 'grad_clip_scale'),
    firstNonFinite: gpu.empty([2], 'u32', 'grad_first_non_finite'),
  };
  const params = packParams([['u32', T], ['f32', o.maxNorm ?? 1], ['u32', o.maxNorm === undefined ? 0 : 1]]);
  gpu.dispatch(finalKernel, [result.sumSquares, result.norm, result.clipScale, result.firstNonFinite, partialSumsq, partialBad, starts], [1, 1, 1], params);
  gpu.release(starts, partialSumsq, partialBad);
  return result;
}

export function releaseGradNorm(gpu: Gpu, r: GradNormResult): void {
  gpu.release(r.sumSquares, r.norm, r.clipScale, r.firstNonFinite);
}
