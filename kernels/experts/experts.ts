/**
 * Grouped SwiGLU expert FFN, forward and backward. Every stage is ONE launch
 * covering all experts (grouped GEMM over the permuted rows), sized for the
 * worst case and bound-checked against offsets_E1 on the GPU: offsets are
 * never read back.
 *
 *   forward   g = x·Wgate_e, u = x·Wup_e, a = silu(g) ⊙ u   (gate-up: 1 launch)
 *             y = a·Wdown_e                                  (down:    1 launch)
 *   backward  da = dy·Wdown_eᵀ -> dg, du, a                  (1 launch)
 *             dxp = dg·Wgate_eᵀ + du·Wup_eᵀ                  (1 launch)
 *             dWdown_e = a_eᵀ·dy_e                           (1 launch)
 *             dWgate_e = x_eᵀ·dg_e, dWup_e = x_eᵀ·du_e       (1 launch)
 *
 * Memory: the forward saves g_RF and u_RF (2·R·F floats, what silu' needs);
 * a_RF is a transient of each pass (the forward's feeds the down projection,
 * backward rebuilds it next to dg/du). Weight gradients are written, not
 * accumulated: each dW_e tile is owned by one workgroup that walks the
 * expert's rows in order (deterministic, no float atomics), and an expert
 * with no rows gets exact zeros.
 *
 * Legend: R permuted rows (N·K), H hidden, F expert FFN dim, E experts.
 * Rows at or beyond offsets[E] of xp_RH and dy_RH are never read; those rows
 * of y_RH and dxp_RH are not written.
 */
import { packParams, shapeString, type Gpu, type Tensor } from '../../engine/gpu/index.ts';
import { expertKernel, rowTileLaunch, weightTileLaunch, workgroupTile, type ExpertKernelName } from './launch.ts';

export interface ExpertWeights {
  readonly wGate_EHF: Tensor;
  readonly wUp_EHF: Tensor;
  readonly wDown_EFH: Tensor;
}

export interface ExpertDims {
  readonly R: number;
  readonly H: number;
  readonly F: number;
  readonly E: number;
}

/** What backward needs. The inputs stay the caller's; g_RF and u_RF are freed by releaseExpertsSaved. */
export interface ExpertsSaved extends ExpertWeights {
  readonly dims: ExpertDims;
  readonly label: string;
  readonly xp_RH: Tensor;
  readonly offsets_E1: Tensor;
  readonly g_RF: Tensor;
  readonly u_RF: Tensor;
}

export interface ExpertGrads {
  readonly dxp_RH: Tensor;
  readonly dWGate_EHF: Tensor;
  readonly dWUp_EHF: Tensor;
  readonly dWDown_EFH: Tensor;
}

export interface ExpertsOptions {
  /** Prefix of output labels, e.g. 'layers.0.moe.experts'. */
  readonly label?: string;
}

/** y_RH [R, H] for the rows of every expert, and what backward needs. */
export function expertsForward(
  gpu: Gpu, xp_RH: Tensor, offsets_E1: Tensor, w: ExpertWeights, o: ExpertsOptions = {},
): { y_RH: Tensor; saved: ExpertsSaved } {
  const label = o.label ?? 'experts';
  const dims = checkForward(xp_RH, offsets_E1, w);
  const { R, H, F } = dims;
  const g_RF = gpu.empty([R, F], 'f32', `${label}.g_RF`);
  const u_RF = gpu.empty([R, F], 'f32', `${label}.u_RF`);
  const a_RF = gpu.empty([R, F], 'f32', `${label}.a_RF`);
  rowTiled(gpu, 'experts_gate_up', dims, H, F, [g_RF, u_RF, a_RF, xp_RH, w.wGate_EHF, w.wUp_EHF, offsets_E1]);
  const y_RH = gpu.empty([R, H], 'f32', `${label}.y_RH`);
  rowTiled(gpu, 'experts_down', dims, F, H, [y_RH, a_RF, w.wDown_EFH, offsets_E1]);
  gpu.release(a_RF);
  const saved: ExpertsSaved = { dims, label, xp_RH, offsets_E1, wGate_EHF: w.wGate_EHF, wUp_EHF: w.wUp_EHF, wDown_EFH: w.wDown_EFH, g_RF, u_RF };
  return { y_RH, saved };
}

/** Gradients for dy_RH [R, H] (the gradient of y_RH). Releases nothing of `saved`. */
export function expertsBackward(gpu: Gpu, saved: ExpertsSaved, dy_RH: Tensor): ExpertGrads {
  const { dims, label } = saved;
  const { R, H, F, E } = dims;
  expectShape('expertsBackward', 'dy_RH', dy_RH, [R, H], 'the gradient of y_RH from expertsForward');
  const dg_RF = gpu.empty([R, F], 'f32', `${label}.dg_RF`);
  const du_RF = gpu.empty([R, F], 'f32', `${label}.du_RF`);
  const a_RF = gpu.empty([R, F], 'f32', `${label}.a_RF`);
  rowTiled(gpu, 'experts_down_bwd', dims, H, F, [dg_RF, du_RF, a_RF, dy_RH, saved.wDown_EFH, saved.g_RF, saved.u_RF, saved.offsets_E1]);
  const dxp_RH = gpu.empty([R, H], 'f32', `${label}.dxp_RH`);
  rowTiled(gpu, 'experts_input_grad', dims, F, H, [dxp_RH, dg_RF, du_RF, saved.wGate_EHF, saved.wUp_EHF, saved.offsets_E1]);
  const dWDown_EFH = gpu.empty([E, F, H], 'f32', `${label}.dWDown_EFH`);
  weightTiled(gpu, 'experts_down_wgrad', dims, F, H, [dWDown_EFH, a_RF, dy_RH, saved.offsets_E1]);
  const dWGate_EHF = gpu.empty([E, H, F], 'f32', `${label}.dWGate_EHF`);
  const dWUp_EHF = gpu.empty([E, H, F], 'f32', `${label}.dWUp_EHF`);
  weightTiled(gpu, 'experts_gate_up_wgrad', dims, H, F, [dWGate_EHF, dWUp_EHF, saved.xp_RH, dg_RF, du_RF, saved.offsets_E1]);
  gpu.release(dg_RF, du_RF, a_RF);
  return { dxp_RH, dWGate_EHF, dWUp_EHF, dWDown_EFH };
}

/** Frees the activations expertsForward saved (g_RF, u_RF); the inputs it references stay the caller's. */
export function releaseExpertsSaved(gpu: Gpu, saved: ExpertsSaved): void {
  gpu.release(saved.g_RF, saved.u_RF);
}

/** One row-tiled launch: `kDim` is the reduction, `nDim` the output columns. */
function rowTiled(gpu: Gpu, name: ExpertKernelName, d: ExpertDims, kDim: number, nDim: number, bindings: Tensor[]): void {
  const { workgroups, rowTiles, colTiles } = rowTileLaunch(d.R, d.E, nDim, workgroupTile(name), gpu.maxWorkgroupsPerDimension);
  const params = packParams([['u32', d.R], ['u32', d.E], ['u32', kDim], ['u32', nDim], ['u32', rowTiles], ['u32', colTiles]]);
  gpu.dispatch(expertKernel(name), bindings, workgroups, params);
}

/** One weight-tiled launch over E gradients of shape [mDim, nDim]. */
function weightTiled(gpu: Gpu, name: ExpertKernelName, d: ExpertDims, mDim: number, nDim: number, bindings: Tensor[]): void {
  const { workgroups, mTiles, nTiles } = weightTileLaunch(d.E, mDim, nDim, workgroupTile(name), gpu.maxWorkgroupsPerDimension);
  const params = packParams([['u32', d.R], ['u32', d.E], ['u32', mDim], ['u32', nDim], ['u32', mTiles], ['u32', nTiles]]);
  gpu.dispatch(expertKernel(name), bindings, workgroups, params);
}

function checkForward(xp_RH: Tensor, offsets_E1: Tensor, w: ExpertWeights): ExpertDims {
  const op = 'expertsForward';
  if (w.wGate_EHF.shape.length !== 3) {
    throw new Error(`${op}: wGate_EHF is ${shapeString(w.wGate_EHF)}, expected [E, H, F] (experts, hidden, FFN dim)`);
  }
  const [E, H, F] = w.wGate_EHF.shape;
  if (E < 1 || H < 1 || F < 1) throw new Error(`${op}: wGate_EHF is ${shapeString(w.wGate_EHF)}; E, H and F must be at least 1`);
  expectShape(op, 'wUp_EHF', w.wUp_EHF, [E, H, F], 'gate and up projections have the same shape');
  expectShape(op, 'wDown_EFH', w.wDown_EFH, [E, F, H], 'the down projection maps F back to H');
  if (xp_RH.shape.length !== 2 || xp_RH.shape[1] !== H) {
    throw new Error(`${op}: xp_RH is ${shapeString(xp_RH)}, expected [R, ${H}] (permuted rows of the hidden size H=${H} of wGate_EHF)`);
  }
  expectShape(op, 'offsets_E1', offsets_E1, [E + 1], 'offsets[e] is the first row of expert e, offsets[E] the rows in use');
  if (offsets_E1.dtype !== 'u32') throw new Error(`${op}: offsets_E1 must be u32, got ${offsets_E1.dtype}`);
  for (const [name, t] of [['xp_RH', xp_RH], ['wGate_EHF', w.wGate_EHF], ['wUp_EHF', w.wUp_EHF], ['wDown_EFH', w.wDown_EFH]] as const) {
    if (t.dtype !== 'f32') throw new Error(`${op}: ${name} must be f32, got ${t.dtype}`);
  }
  return { R: xp_RH.shape[0], H, F, E };
}

function expectShape(op: string, name: string, t: Tensor, want: readonly number[], hint: string): void {
  if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: ${name} is ${shapeString(t)}, expected [${want.join(', ')}] (${hint})`);
  }
}
