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
 * The kernels read H and F four floats at a time. When H or F is not a
 * multiple of 4, the operands are copied zero-padded first and the results
 * cropped back (exact: padded columns contribute zeros); model sizes never
 * need it.
 *
 * Legend: R permuted rows (N·K), H hidden, F expert FFN dim, E experts.
 * Rows at or beyond offsets[E] of xp_RH and dy_RH are never read; those rows
 * of y_RH and dxp_RH are not written.
 */
import { packParams, shapeString, type Binding, type Gpu, type MatrixStack, type Tensor } from '../../engine/gpu/index.ts';
import { EXPERTS_TUNING, expertKernel, rowTileLaunch, weightTileLaunch, workgroupTile, type ExpertKernelName, type WeightSource } from './launch.ts';
import { resizeMatrices, roundUp4 } from './pad.ts';

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

/**
 * What backward needs. xp_RH and the weights are the caller's tensors, or
 * zero-padded copies of them (H, F rounded up to multiples of 4) owned by
 * this record; g_RF and u_RF are [R, F rounded up to a multiple of 4].
 * releaseExpertsSaved frees what the record owns.
 */
export interface ExpertsSaved extends ExpertWeights {
  readonly dims: ExpertDims;
  readonly label: string;
  readonly xp_RH: Tensor;
  readonly offsets_E1: Tensor;
  readonly g_RF: Tensor;
  readonly u_RF: Tensor;
  /** Padded copies made by the forward (empty when H and F are multiples of 4). */
  readonly copies: readonly Tensor[];
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

/** H and F as the kernels see them (multiples of 4). */
interface KernelDims {
  readonly R: number;
  readonly E: number;
  readonly H: number;
  readonly F: number;
}

function kernelDims(d: ExpertDims): KernelDims {
  return { R: d.R, E: d.E, H: roundUp4(d.H), F: roundUp4(d.F) };
}

/** y_RH [R, H] for the rows of every expert, and what backward needs. */
export function expertsForward(
  gpu: Gpu, xp_RH: Tensor, offsets_E1: Tensor, w: ExpertWeights, o: ExpertsOptions = {},
): { y_RH: Tensor; saved: ExpertsSaved } {
  const label = o.label ?? 'experts';
  const dims = checkForward(xp_RH, offsets_E1, w);
  const k = kernelDims(dims);
  const padded = k.H !== dims.H || k.F !== dims.F;
  const copies: Tensor[] = [];
  const pad = (t: Tensor, m: number, n: number, name: string): Tensor => {
    if (!padded) return t;
    const c = resizeMatrices(gpu, t, m, n, `${label}.${name}(padded)`);
    copies.push(c);
    return c;
  };
  const x = pad(xp_RH, k.R, k.H, 'xp_RH');
  const wGate = pad(w.wGate_EHF, k.H, k.F, 'wGate_EHF');
  const wUp = pad(w.wUp_EHF, k.H, k.F, 'wUp_EHF');
  const wDown = pad(w.wDown_EFH, k.F, k.H, 'wDown_EFH');
  const g_RF = gpu.empty([k.R, k.F], 'f32', `${label}.g_RF`);
  const u_RF = gpu.empty([k.R, k.F], 'f32', `${label}.u_RF`);
  const a_RF = gpu.empty([k.R, k.F], 'f32', `${label}.a_RF`);
  // The forward GEMMs read the weights through textures where the Gpu allows (texture-operand.ts)
  // and the copy pays: enough rows per expert (EXPERTS_TUNING.TEXTURE_MIN_ROWS_PER_EXPERT).
  const upStack: MatrixStack = { layers: k.E, rows: k.H, cols: k.F };
  const downStack: MatrixStack = { layers: k.E, rows: k.F, cols: k.H };
  const enoughRows = k.R >= EXPERTS_TUNING.TEXTURE_MIN_ROWS_PER_EXPERT * k.E;
  const upTex = enoughRows && gpu.canTexture(upStack);
  const downTex = enoughRows && gpu.canTexture(downStack);
  const gateB: Binding = upTex ? gpu.texture('experts.w_gate', wGate, upStack) : wGate;
  const upB: Binding = upTex ? gpu.texture('experts.w_up', wUp, upStack) : wUp;
  rowTiled(gpu, 'experts_gate_up', k, k.H, k.F, [g_RF, u_RF, a_RF, x, gateB, upB, offsets_E1], upTex ? 'texture' : 'storage');
  const y = gpu.empty([k.R, k.H], 'f32', `${label}.y_RH`);
  const downB: Binding = downTex ? gpu.texture('experts.w_down', wDown, downStack) : wDown;
  rowTiled(gpu, 'experts_down', k, k.F, k.H, [y, a_RF, downB, offsets_E1], downTex ? 'texture' : 'storage');
  gpu.release(a_RF);
  const saved: ExpertsSaved = { dims, label, xp_RH: x, offsets_E1, wGate_EHF: wGate, wUp_EHF: wUp, wDown_EFH: wDown, g_RF, u_RF, copies };
  return { y_RH: crop(gpu, y, dims.R, dims.H), saved };
}

/** Gradients for dy_RH [R, H] (the gradient of y_RH). Releases nothing of `saved`. */
export function expertsBackward(gpu: Gpu, saved: ExpertsSaved, dy_RH: Tensor): ExpertGrads {
  const { dims, label } = saved;
  const { R, H, F, E } = dims;
  expectShape('expertsBackward', 'dy_RH', dy_RH, [R, H], 'the gradient of y_RH from expertsForward');
  if (dy_RH.dtype !== 'f32') throw new Error(`expertsBackward: dy_RH must be f32, got ${dy_RH.dtype}`);
  const k = kernelDims(dims);
  const dy = k.H === H ? dy_RH : resizeMatrices(gpu, dy_RH, R, k.H, `${label}.dy_RH(padded)`);
  const dg_RF = gpu.empty([R, k.F], 'f32', `${label}.dg_RF`);
  const du_RF = gpu.empty([R, k.F], 'f32', `${label}.du_RF`);
  const a_RF = gpu.empty([R, k.F], 'f32', `${label}.a_RF`);
  rowTiled(gpu, 'experts_down_bwd', k, k.H, k.F, [dg_RF, du_RF, a_RF, dy, saved.wDown_EFH, saved.g_RF, saved.u_RF, saved.offsets_E1]);
  const dxp = gpu.empty([R, k.H], 'f32', `${label}.dxp_RH`);
  rowTiled(gpu, 'experts_input_grad', k, k.F, k.H, [dxp, dg_RF, du_RF, saved.wGate_EHF, saved.wUp_EHF, saved.offsets_E1]);
  const dWDown = gpu.empty([E, k.F, k.H], 'f32', `${label}.dWDown_EFH`);
  weightTiled(gpu, 'experts_down_wgrad', k, k.F, k.H, [dWDown, a_RF, dy, saved.offsets_E1]);
  const dWGate = gpu.empty([E, k.H, k.F], 'f32', `${label}.dWGate_EHF`);
  const dWUp = gpu.empty([E, k.H, k.F], 'f32', `${label}.dWUp_EHF`);
  weightTiled(gpu, 'experts_gate_up_wgrad', k, k.H, k.F, [dWGate, dWUp, saved.xp_RH, dg_RF, du_RF, saved.offsets_E1]);
  gpu.release(dg_RF, du_RF, a_RF);
  if (dy !== dy_RH) gpu.release(dy);
  return {
    dxp_RH: crop(gpu, dxp, R, H),
    dWGate_EHF: crop(gpu, dWGate, H, F),
    dWUp_EHF: crop(gpu, dWUp, H, F),
    dWDown_EFH: crop(gpu, dWDown, F, H),
  };
}

/** Frees what expertsForward saved (g_RF, u_RF, padded copies); the caller's inputs stay the caller's. */
export function releaseExpertsSaved(gpu: Gpu, saved: ExpertsSaved): void {
  gpu.release(saved.g_RF, saved.u_RF, ...saved.copies);
}

/** `t` itself when its matrices are already [m, n]; else a cropped copy, and `t` is released. */
function crop(gpu: Gpu, t: Tensor, m: number, n: number): Tensor {
  const [tm, tn] = t.shape.slice(-2);
  if (tm === m && tn === n) return t;
  const out = resizeMatrices(gpu, t, m, n, t.label);
  gpu.release(t);
  return out;
}

/** One row-tiled launch: `kDim` is the reduction, `nDim` the output columns. */
function rowTiled(gpu: Gpu, name: ExpertKernelName, d: KernelDims, kDim: number, nDim: number, bindings: Binding[], weights: WeightSource = 'storage'): void {
  const { workgroups, rowTiles, colTiles } = rowTileLaunch(d.R, d.E, nDim, workgroupTile(name), gpu.maxWorkgroupsPerDimension);
  const params = packParams([['u32', d.R], ['u32', d.E], ['u32', kDim], ['u32', nDim], ['u32', rowTiles], ['u32', colTiles]]);
  gpu.dispatch(expertKernel(name, weights), bindings, workgroups, params);
}

/** One weight-tiled launch over E gradients of shape [mDim, nDim]. */
function weightTiled(gpu: Gpu, name: ExpertKernelName, d: KernelDims, mDim: number, nDim: number, bindings: Tensor[]): void {
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
