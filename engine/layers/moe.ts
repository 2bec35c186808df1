/**
 * The MoE layer as four small pieces (router -> dispatch -> grouped experts
 * -> combine), each a kernel family; this file only wires them and owns the
 * saved activations. Forward records everything on the GPU without reading
 * back; per-step statistics are returned as GPU tensors for one readback.
 *
 * Legend: N tokens, H hidden, E experts, K top-k, F expert FFN dim, R = N·K.
 */
import type { Gpu, Tensor } from '../gpu/index.ts';
import { combine, combineBackward } from '../../kernels/combine/combine.ts';
import { expertsBackward, expertsForward, releaseExpertsSaved, type ExpertsSaved } from '../../kernels/experts/experts.ts';
import { matmulInto } from '../../kernels/matmul/matmul.ts';
import { permuteRows, unpermuteGrad } from '../../kernels/permute/permute.ts';
import { routeSlots, type RoutedSlots } from '../../kernels/permute/route.ts';
import { routerForward, type RouterOutputs } from '../../kernels/router/router.ts';
import { routerLogitsBackward } from '../../kernels/router/router-backward.ts';

export interface MoeWeights {
  readonly router_HE: Tensor;
  readonly wGate_EHF: Tensor;
  readonly wUp_EHF: Tensor;
  readonly wDown_EFH: Tensor;
  /** Selection-only bias for bias-based balancing; no gradient. */
  readonly bias_E?: Tensor;
}

export interface MoeGrads {
  readonly router_HE: Tensor;
  readonly wGate_EHF: Tensor;
  readonly wUp_EHF: Tensor;
  readonly wDown_EFH: Tensor;
}

export interface MoeOptions {
  readonly K: number;
  readonly capacityFactor: number;
  readonly dropTokens: boolean;
  readonly zLossWeight: number;
  readonly auxLossWeight: number;
  /** Names the layer in labels and errors, e.g. 'layers.0.moe'. */
  readonly label: string;
}

/** What backward needs, plus the routing statistics of this call. */
export interface MoeForward {
  readonly out_NH: Tensor;
  readonly x_NH: Tensor;
  readonly router: RouterOutputs;
  readonly slots: RoutedSlots;
  readonly experts: ExpertsSaved;
  readonly y_RH: Tensor;
}

export function moeForward(gpu: Gpu, x_NH: Tensor, w: MoeWeights, o: MoeOptions): MoeForward {
  const E = w.router_HE.shape[1];
  const router = routerForward(gpu, x_NH, w.router_HE, { K: o.K, bias_E: w.bias_E, label: `${o.label}.router` });
  const slots = routeSlots(gpu, router.idx_NK, E, { capacityFactor: o.capacityFactor, dropTokens: o.dropTokens });
  const xp_RH = permuteRows(gpu, x_NH, slots, `${o.label}.xp_RH`);
  const { y_RH, saved } = expertsForward(gpu, xp_RH, slots.offsets_E1, w, { label: `${o.label}.experts` });
  const out_NH = combine(gpu, y_RH, router.weight_NK, slots, `${o.label}.out_NH`);
  return { out_NH, x_NH, router, slots, experts: saved, y_RH };
}

/**
 * Gradients of the layer given dOut. dx sums the expert path (unpermuted)
 * and the router path (dLogits·Wg^T, accumulated in place by the matmul).
 */
export function moeBackward(gpu: Gpu, f: MoeForward, w: MoeWeights, dOut_NH: Tensor, o: MoeOptions): { dx_NH: Tensor; grads: MoeGrads } {
  const { dy_RH, dWeight_NK } = combineBackward(gpu, dOut_NH, f.y_RH, f.router.weight_NK, f.slots);
  const e = expertsBackward(gpu, f.experts, dy_RH);
  gpu.release(dy_RH);
  const dx_NH = unpermuteGrad(gpu, e.dxp_RH, f.slots, `${o.label}.dx_NH`);
  gpu.release(e.dxp_RH);
  const dLogits_NE = routerLogitsBackward(gpu, f.router, dWeight_NK, {
    zLossWeight: o.zLossWeight,
    auxLossWeight: o.auxLossWeight,
    label: `${o.label}.router`,
  });
  gpu.release(dWeight_NK);
  matmulInto(gpu, dx_NH, dLogits_NE, w.router_HE, { transB: true, accumulate: true });
  const dRouter_HE = gpu.empty(w.router_HE.shape, 'f32', `${o.label}.router.grad`);
  matmulInto(gpu, dRouter_HE, f.x_NH, dLogits_NE, { transA: true });
  gpu.release(dLogits_NE);
  return { dx_NH, grads: { router_HE: dRouter_HE, wGate_EHF: e.dWGate_EHF, wUp_EHF: e.dWUp_EHF, wDown_EFH: e.dWDown_EFH } };
}

/** The small per-call statistics, read back once per step (telemetry, invariants). */
export interface MoeStats {
  readonly counts_E: Tensor;
  readonly dropped_1: Tensor;
  readonly zLoss_1: Tensor;
  readonly auxLoss_1: Tensor;
}

export function moeStats(f: MoeForward): MoeStats {
  return { counts_E: f.router.counts_E, dropped_1: f.slots.dropped, zLoss_1: f.router.zLoss_1, auxLoss_1: f.router.auxLoss_1 };
}

/**
 * Frees the activations of one forward, keeping its MoeStats (release those
 * with releaseMoeStats after the step's readback). Not x_NH or out_NH,
 * which the caller owns.
 */
export function releaseMoeForward(gpu: Gpu, f: MoeForward): void {
  const r = f.router;
  gpu.release(r.idx_NK, r.weight_NK, r.probs_NE, r.lse_N, r.meanProbs_E);
  const s = f.slots;
  gpu.release(s.offsets_E1, s.slotRow_R, s.rowSlot_R, s.counts_E);
  releaseExpertsSaved(gpu, f.experts);
  gpu.release(f.experts.xp_RH); // the permuted rows this layer made (the experts kernels do not own them)
  gpu.release(f.y_RH);
}

export function releaseMoeStats(gpu: Gpu, s: MoeStats): void {
  gpu.release(s.counts_E, s.dropped_1, s.zLoss_1, s.auxLoss_1);
}
