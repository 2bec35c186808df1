/**
 * Router forward: logits = x·Wg (kernels/matmul, narrow tiles); one
 * invocation per token for softmax, top-k, renormalisation and the counts
 * (integer atomics); one per (block of tokens, expert) for partial sums; one
 * workgroup for the totals and the two losses (fixed-order sums: deterministic).
 * Outputs follow the MoE data contract in kernels/README.md.
 *
 * Legend: N tokens, H hidden, E experts, K top-k, B blocks of BT tokens.
 */
import { dispatch1d, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import { matmul, matmulTuning } from '../matmul/matmul.ts';
import { routerMatmulTuning } from './router-matmul.ts';
import lossesBody from './route-losses.wgsl.ts';
import partialsBody from './route-partials.wgsl.ts';
import routeBody from './route.wgsl.ts';

/**
 * The one definition of the router's tunables. TB: tokens per route
 * workgroup (one invocation each); BT: tokens per block of partial sums;
 * WG: invocations per partials workgroup; FIN_WG: the losses kernel's
 * workgroup (a power of two); BACKWARD_TB: tokens per backward workgroup.
 * No kernel keeps an E-sized array, so E has no limit beyond memory.
 */
export const ROUTER_TUNING = { TB: 64, BT: 64, WG: 64, FIN_WG: 256, BACKWARD_TB: 64 } as const;

const ROUTE: KernelSource = {
  name: 'router_route',
  code: `${wgslConsts({ TB: ROUTER_TUNING.TB })}\n${routeBody}`,
};
const PARTIALS: KernelSource = {
  name: 'router_partials',
  code: `${wgslConsts({ BT: ROUTER_TUNING.BT, WG: ROUTER_TUNING.WG })}\n${partialsBody}`,
};
const LOSSES: KernelSource = {
  name: 'router_losses',
  code: `${wgslConsts({ FIN_WG: ROUTER_TUNING.FIN_WG })}\n${lossesBody}`,
};

export interface RouterForwardOptions {
  /** Experts per token, 1..E. */
  readonly K: number;
  /** Per-expert bias [E] added to the logits for selection only (probabilities and weights ignore it). */
  readonly bias_E?: Tensor;
  /** Names the layer in buffer labels and errors, e.g. 'layer3.router'. */
  readonly label?: string;
}

/** What the router hands on (owned by the caller; release with releaseRouterOutputs). */
export interface RouterOutputs {
  readonly idx_NK: Tensor;
  readonly weight_NK: Tensor;
  readonly probs_NE: Tensor;
  readonly counts_E: Tensor;
  /** log-sum-exp of each token's logits (the z-loss backward needs it). */
  readonly lse_N: Tensor;
  /** P_e = mean_t probs[t, e] (telemetry; its all-reduce gives the global P). */
  readonly meanProbs_E: Tensor;
  /** [1] mean_t lse_t^2. */
  readonly zLoss_1: Tensor;
  /** [1] E · sum_e f_e · P_e, f_e = counts_e / (N·K). */
  readonly auxLoss_1: Tensor;
}

export function routerForward(gpu: Gpu, x_NH: Tensor, wg_HE: Tensor, opts: RouterForwardOptions): RouterOutputs {
  const name = opts.label ?? 'router';
  if (x_NH.shape.length !== 2 || wg_HE.shape.length !== 2 || x_NH.dtype !== 'f32' || wg_HE.dtype !== 'f32') {
    throw new Error(`${name} forward: expected f32 x_NH [N, H] and wg_HE [H, E], got x ${x_NH.dtype} [${x_NH.shape.join(', ')}], wg ${wg_HE.dtype} [${wg_HE.shape.join(', ')}]`);
  }
  if (x_NH.shape[1] !== wg_HE.shape[0]) {
    throw new Error(`${name} forward: x_NH [${x_NH.shape.join(', ')}] and wg_HE [${wg_HE.shape.join(', ')}] disagree on H; wg must be [H, E]`);
  }
  checkRouting(name, wg_HE.shape[1], opts); // before any work is recorded
  const [N, H] = x_NH.shape;
  const E = wg_HE.shape[1];
  const tuning = routerMatmulTuning(N, E, matmulTuning({}, H, E));
  const logits_NE = matmul(gpu, x_NH, wg_HE, { tuning }, `${name}.logits_NE`);
  const out = routeLogits(gpu, logits_NE, opts);
  gpu.release(logits_NE);
  return out;
}

/** Softmax, top-k, weights, counts and losses from precomputed logits [N, E]. */
export function routeLogits(gpu: Gpu, logits_NE: Tensor, opts: RouterForwardOptions): RouterOutputs {
  const name = opts.label ?? 'router';
  if (logits_NE.shape.length !== 2 || logits_NE.dtype !== 'f32') {
    throw new Error(`${name} forward: logits must be f32 [N, E], got ${logits_NE.dtype} [${logits_NE.shape.join(', ')}]`);
  }
  const [N, E] = logits_NE.shape;
  const K = opts.K;
  checkRouting(name, E, opts);
  const bias = opts.bias_E;
  const { TB, BT, WG } = ROUTER_TUNING;
  const blocks = Math.ceil(N / BT);
  const out: RouterOutputs = {
    idx_NK: gpu.empty([N, K], 'u32', `${name}.idx_NK`),
    weight_NK: gpu.empty([N, K], 'f32', `${name}.weight_NK`),
    probs_NE: gpu.empty([N, E], 'f32', `${name}.probs_NE`),
    counts_E: gpu.zeros([E], 'u32', `${name}.counts_E`), // counted with integer atomics
    lse_N: gpu.empty([N], 'f32', `${name}.lse_N`),
    meanProbs_E: gpu.empty([E], 'f32', `${name}.meanProbs_E`),
    zLoss_1: gpu.empty([1], 'f32', `${name}.zLoss`),
    auxLoss_1: gpu.empty([1], 'f32', `${name}.auxLoss`),
  };
  const blockSums = gpu.empty([blocks, E + 1], 'f32', `${name}.blockSums`);
  // Without a bias the shader never reads its bias binding, but it needs a
  // buffer: the logits again (two read-only bindings may alias).
  gpu.dispatch(
    ROUTE,
    [out.idx_NK, out.weight_NK, out.probs_NE, out.lse_N, out.counts_E, logits_NE, bias ?? logits_NE],
    dispatch1d(N, TB, gpu.maxWorkgroupsPerDimension),
    packParams([['u32', N], ['u32', E], ['u32', K], ['u32', bias ? 1 : 0]]),
  );
  gpu.dispatch(
    PARTIALS,
    [blockSums, out.probs_NE, out.lse_N],
    dispatch1d(blocks * (E + 1), WG, gpu.maxWorkgroupsPerDimension),
    packParams([['u32', N], ['u32', E], ['u32', blocks]]),
  );
  gpu.dispatch(
    LOSSES,
    [out.meanProbs_E, out.zLoss_1, out.auxLoss_1, out.counts_E, blockSums],
    [1, 1, 1],
    packParams([['u32', N], ['u32', E], ['u32', K], ['u32', blocks]]),
  );
  gpu.release(blockSums);
  return out;
}

function checkRouting(name: string, E: number, opts: RouterForwardOptions): void {
  const K = opts.K;
  if (!Number.isInteger(E) || E < 1) throw new Error(`${name} forward: E=${E}; the router needs at least one expert`);
  if (!Number.isInteger(K) || K < 1 || K > E) throw new Error(`${name} forward: K=${K} must be an integer in 1..E (E=${E})`);
  const bias = opts.bias_E;
  if (bias && (bias.dtype !== 'f32' || bias.shape.length !== 1 || bias.shape[0] !== E)) {
    throw new Error(`${name} forward: bias_E must be f32 [${E}], got ${bias.dtype} [${bias.shape.join(', ')}]`);
  }
}

export function releaseRouterOutputs(gpu: Gpu, out: RouterOutputs): void {
  gpu.release(out.idx_NK, out.weight_NK, out.probs_NE, out.counts_E, out.lse_N, out.meanProbs_E, out.zLoss_1, out.auxLoss_1);
}
