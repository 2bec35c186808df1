/**
 * Router backward: dLogits from the combine-weight gradient, the z-loss and
 * the auxiliary loss (one invocation per token), then dx = dLogits·Wg^T and
 * dWg = x^T·dLogits with the tiled matmul. The bias has no gradient.
 *
 * Legend: N tokens, H hidden, E experts, K top-k.
 */
import { dispatch1d, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import { matmul, matmulTuning } from '../matmul/matmul.ts';
import { routerMatmulTuning } from './router-matmul.ts';
import backwardBody from './route-backward.wgsl.ts';
import { ROUTER_TUNING } from './router.ts';

const BACKWARD: KernelSource = {
  name: 'router_backward',
  code: `${wgslConsts({ TB: ROUTER_TUNING.BACKWARD_TB })}\n${backwardBody}`,
};

/** Forward results the backward reads (x and Wg are the forward's inputs). */
export interface RouterSaved {
  readonly x_NH: Tensor;
  readonly wg_HE: Tensor;
  readonly probs_NE: Tensor;
  readonly idx_NK: Tensor;
  readonly weight_NK: Tensor;
  readonly lse_N: Tensor;
  readonly counts_E: Tensor;
}

export interface RouterBackwardOptions {
  /** Weight of the z-loss mean_t lse_t^2 in the total loss. */
  readonly zLossWeight: number;
  /** Weight of the auxiliary load-balancing loss in the total loss. */
  readonly auxLossWeight: number;
  /** Counts f_e is computed from (the all-reduced ones under data parallelism); default the local counts_E. */
  readonly auxCounts?: Tensor;
  /** Token count of the batch the aux loss is defined over (global N); default the local N. */
  readonly auxTokens?: number;
  /** Token count the z-loss mean divides by (global N); default the local N. */
  readonly zTokens?: number;
  readonly label?: string;
}

export interface RouterGrads {
  readonly dLogits_NE: Tensor;
  readonly dx_NH: Tensor;
  readonly dWg_HE: Tensor;
}

/** dLogits [N, E] only; for callers that fold dx into another gradient with matmulInto. */
export function routerLogitsBackward(
  gpu: Gpu, saved: Omit<RouterSaved, 'x_NH' | 'wg_HE'>, dWeight_NK: Tensor, opts: RouterBackwardOptions,
): Tensor {
  const name = opts.label ?? 'router';
  const [N, E] = saved.probs_NE.shape;
  const K = saved.idx_NK.shape[1];
  const expect = (t: Tensor, shape: readonly number[], dtype: string, what: string) => {
    if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${name} backward: ${what} must be ${dtype} [${shape.join(', ')}], got ${t.dtype} [${t.shape.join(', ')}]; pass the forward's outputs`);
    }
  };
  expect(saved.idx_NK, [N, K], 'u32', 'idx_NK');
  expect(saved.weight_NK, [N, K], 'f32', 'weight_NK');
  expect(dWeight_NK, [N, K], 'f32', 'dWeight_NK');
  expect(saved.lse_N, [N], 'f32', 'lse_N');
  const auxCounts = opts.auxCounts ?? saved.counts_E;
  expect(auxCounts, [E], 'u32', opts.auxCounts ? 'auxCounts' : 'counts_E');
  const auxTokens = opts.auxTokens ?? N;
  const zTokens = opts.zTokens ?? N;
  for (const [k, v] of [['auxTokens', auxTokens], ['zTokens', zTokens]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${name} backward: ${k}=${v} must be a non-negative integer token count`);
  }
  for (const [k, v] of [['zLossWeight', opts.zLossWeight], ['auxLossWeight', opts.auxLossWeight]] as const) {
    if (!Number.isFinite(v)) throw new Error(`${name} backward: ${k}=${v} must be finite`);
  }
  // Computed in float64 and rounded once, so doubling a loss weight doubles the gradient exactly.
  const zScale = zTokens > 0 ? (opts.zLossWeight * 2) / zTokens : 0;
  const auxScale = auxTokens > 0 ? (opts.auxLossWeight * E) / (auxTokens * auxTokens * K) : 0;
  const dLogits_NE = gpu.empty([N, E], 'f32', `${name}.dLogits_NE`);
  gpu.dispatch(
    BACKWARD,
    [dLogits_NE, saved.probs_NE, saved.idx_NK, saved.weight_NK, dWeight_NK, saved.lse_N, auxCounts],
    dispatch1d(N, ROUTER_TUNING.BACKWARD_TB, gpu.maxWorkgroupsPerDimension),
    packParams([['u32', N], ['u32', E], ['u32', K], ['f32', zScale], ['f32', auxScale]]),
  );
  return dLogits_NE;
}

/** dLogits, dx = dLogits·Wg^T [N, H] and dWg = x^T·dLogits [H, E] (all owned by the caller). */
export function routerBackward(gpu: Gpu, saved: RouterSaved, dWeight_NK: Tensor, opts: RouterBackwardOptions): RouterGrads {
  const name = opts.label ?? 'router';
  const [N, H] = saved.x_NH.shape;
  const E = saved.probs_NE.shape[1];
  if (saved.probs_NE.shape[0] !== N || saved.wg_HE.shape[0] !== H || saved.wg_HE.shape[1] !== E) {
    throw new Error(`${name} backward: x_NH [${saved.x_NH.shape.join(', ')}], wg_HE [${saved.wg_HE.shape.join(', ')}] and probs_NE [${saved.probs_NE.shape.join(', ')}] disagree on N, H or E`);
  }
  const dLogits_NE = routerLogitsBackward(gpu, saved, dWeight_NK, opts);
  // Transposed layouts: both products get the 8 x 8 block.
  const dx_NH = matmul(gpu, dLogits_NE, saved.wg_HE, { transB: true, tuning: routerMatmulTuning(N, H, matmulTuning({ transB: true }, E, H)) }, `${name}.dx_NH`);
  const dWg_HE = matmul(gpu, saved.x_NH, dLogits_NE, { transA: true, tuning: routerMatmulTuning(H, E, matmulTuning({ transA: true }, N, E)) }, `${name}.dWg_HE`);
  return { dLogits_NE, dx_NH, dWg_HE };
}
