/**
 * Combine: the weighted sum of each token's expert outputs, and its backward.
 *   forward   out[t] = Σ_k weight[t,k] · y[slotRow[t·K + k]]
 *   backward  dy[r] = weight[t,k] · dOut[t]      (row r holds slot t·K + k)
 *             dWeight[t,k] = dot(dOut[t], y[slotRow[t·K + k]])
 * Dropped slots contribute exactly 0 and receive no gradient (dWeight exactly
 * 0); the residual add happens outside. Every output element is owned by one
 * invocation that sums in a fixed order: deterministic without float atomics.
 * No host readback: launches are sized for R = N·K rows and bound-check
 * against offsets[E] on the GPU. Legend: N tokens, H hidden, K top-k, R = N·K.
 */
import { dispatch1d, packParams, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import type { RoutedSlots } from '../permute/route.ts';
import { ROW_CHUNKS_WGSL, rowChunks } from '../permute/row-chunks.ts';
import { rowsOf } from '../permute/shapes.ts';
import combineBody from './combine.wgsl.ts';
import dWeightBody from './combine-dweight.wgsl.ts';
import dyBody from './combine-dy.wgsl.ts';

/** The one definition of the combine kernels' workgroup size (a WGSL override); the row chunks of combine and combine_dy are row-chunks.ts's. */
export const COMBINE_TUNING = { WG: 256 } as const;
const COMBINE: KernelSource = { name: 'combine', code: `${ROW_CHUNKS_WGSL}\n${combineBody}`, constants: COMBINE_TUNING };
const COMBINE_DY: KernelSource = { name: 'combine_dy', code: `${ROW_CHUNKS_WGSL}\n${dyBody}`, constants: COMBINE_TUNING };
const COMBINE_DWEIGHT: KernelSource = { name: 'combine_dweight', code: dWeightBody, constants: COMBINE_TUNING };

function checkWeight(op: string, weight_NK: Tensor, slots: RoutedSlots): void {
  const { N, K } = slots;
  if (weight_NK.dtype !== 'f32' || weight_NK.shape.length !== 2 || weight_NK.shape[0] !== N || weight_NK.shape[1] !== K) {
    throw new Error(`${op}: weight_NK ('${weight_NK.label}') is ${weight_NK.dtype} [${weight_NK.shape.join(', ')}], expected f32 [${N}, ${K}]; hint: pass the router's combine weights for the same tokens as idx_NK`);
  }
}

/** out_NH [N, H]. y_RH rows at or beyond offsets[E] are never read. */
export function combine(gpu: Gpu, y_RH: Tensor, weight_NK: Tensor, slots: RoutedSlots, label = 'combine_out_NH'): Tensor {
  const { N, K } = slots;
  const H = rowsOf('combine', 'y_RH', y_RH, N * K, `expert outputs have N·K = ${N * K} rows (the permuted buffer)`);
  checkWeight('combine', weight_NK, slots);
  const out = gpu.empty([N, H], 'f32', label);
  const chunks = rowChunks(N, H);
  gpu.dispatch(
    COMBINE,
    [out, y_RH, weight_NK, slots.slotRow_R],
    dispatch1d(chunks, COMBINE_TUNING.WG, gpu.maxWorkgroupsPerDimension),
    packParams([['u32', chunks], ['u32', H], ['u32', K]]),
  );
  return out;
}

export interface CombineGrads {
  /** f32 [N·K, H]: gradient for the expert outputs; rows at or beyond offsets[E] are 0. */
  readonly dy_RH: Tensor;
  /** f32 [N, K]: gradient for the combine weights; exactly 0 for dropped slots. */
  readonly dWeight_NK: Tensor;
}

export function combineBackward(gpu: Gpu, dOut_NH: Tensor, y_RH: Tensor, weight_NK: Tensor, slots: RoutedSlots): CombineGrads {
  const { N, K, E } = slots;
  const R = N * K;
  const H = rowsOf('combineBackward', 'dOut_NH', dOut_NH, N, `the gradient of combine's output is [N=${N}, H]`);
  rowsOf('combineBackward', 'y_RH', y_RH, R, `expert outputs have N·K = ${R} rows and H = ${H} like dOut_NH`, H);
  checkWeight('combineBackward', weight_NK, slots);
  const dy = gpu.empty([R, H], 'f32', 'dy_RH');
  const dWeight = gpu.empty([N, K], 'f32', 'dWeight_NK');
  const max = gpu.maxWorkgroupsPerDimension;
  const chunks = rowChunks(R, H);
  gpu.dispatch(
    COMBINE_DY,
    [dy, dOut_NH, weight_NK, slots.rowSlot_R, slots.offsets_E1],
    dispatch1d(chunks, COMBINE_TUNING.WG, max),
    packParams([['u32', chunks], ['u32', H], ['u32', K], ['u32', E]]),
  );
  gpu.dispatch(
    COMBINE_DWEIGHT,
    [dWeight, dOut_NH, y_RH, slots.slotRow_R],
    dispatch1d(R, COMBINE_TUNING.WG, max),
    packParams([['u32', R], ['u32', H], ['u32', K]]),
  );
  return { dy_RH: dy, dWeight_NK: dWeight };
}
