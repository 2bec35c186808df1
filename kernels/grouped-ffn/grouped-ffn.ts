/**
 * Grouped SwiGLU expert FFN over the permuted rows of all experts:
 *   y = (silu(x·Wgate_e) ∘ (x·Wup_e))·Wdown_e
 * forward and backward, each GEMM ONE launch covering every expert (see
 * grouped-rows.wgsl and grouped-wgrad.wgsl). Expert row ranges come from
 * offsets_E1 on the GPU; nothing is read back.
 *
 * Legend: R permuted rows (N·K), H hidden, F expert FFN dim, E experts.
 */
import { ceilDiv, dispatch1d, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor, type Workgroups } from '../../engine/gpu/index.ts';
import rowsBody from './grouped-rows.wgsl.ts';
import swigluBackwardBody from './swiglu-backward.wgsl.ts';
import wgradBody from './grouped-wgrad.wgsl.ts';

/**
 * The one definition of the tile sizes. TM and TN are 8 (the shaders write
 * the 8 x 8 block out by hand); WG_Y = 1 keeps a row tile at 8 rows, so an
 * expert's last partial tile wastes little.
 */
export const GROUPED_FFN_TUNING = { TM: 8, TN: 8, ROWS_WG_X: 8, ROWS_WG_Y: 1, WGRAD_WG_X: 8, WGRAD_WG_Y: 2, ELEMENTWISE_WG: 64 } as const;

const T = GROUPED_FFN_TUNING;
const ROWS_CODE = `${wgslConsts({ TM: T.TM, TN: T.TN, WG_X: T.ROWS_WG_X, WG_Y: T.ROWS_WG_Y })}\n${rowsBody}`;
const WGRAD_CODE = `${wgslConsts({ TM: T.TM, TN: T.TN, WG_X: T.WGRAD_WG_X, WG_Y: T.WGRAD_WG_Y })}\n${wgradBody}`;
const SWIGLU_BWD: KernelSource = { name: 'experts_swiglu_bwd', code: `${wgslConsts({ WG: T.ELEMENTWISE_WG })}\n${swigluBackwardBody}` };

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

/** What backward needs. xp_RH, offsets and weights stay the caller's; g and u are freed by releaseExpertsSaved. */
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
  readonly label?: string;
}

interface RowsVariant {
  readonly transW?: boolean;
  readonly swiglu?: boolean;
  readonly accumulate?: boolean;
}

function rowsKernel(v: RowsVariant): KernelSource {
  const name = `experts_rows${v.transW ? '_wt' : ''}${v.swiglu ? '_swiglu' : ''}${v.accumulate ? '_acc' : ''}`;
  return { name, code: ROWS_CODE, constants: { TRANS_W: v.transW ? 1 : 0, SWIGLU_A: v.swiglu ? 1 : 0, ACCUMULATE: v.accumulate ? 1 : 0 } };
}

function wgradKernel(swiglu: boolean): KernelSource {
  return { name: `experts_wgrad${swiglu ? '_swiglu' : ''}`, code: WGRAD_CODE, constants: { SWIGLU_A: swiglu ? 1 : 0, ACCUMULATE: 0 } };
}

/** Worst-case row tiles: every expert may end in a partial tile. */
export function rowTileCount(R: number, E: number): number {
  return ceilDiv(R, T.TM * T.ROWS_WG_Y) + E;
}

function rowsLaunch(gpu: Gpu, R: number, E: number, N: number): Workgroups {
  const max = gpu.maxWorkgroupsPerDimension;
  const x = ceilDiv(N, T.ROWS_WG_X * T.TN);
  const tiles = rowTileCount(R, E);
  const y = Math.min(tiles, max);
  const z = ceilDiv(tiles, y);
  if (x > max || z > max) throw new Error(`experts: launch of ${x} x ${tiles} tiles exceeds maxComputeWorkgroupsPerDimension (${max})`);
  return [x, y, z];
}

/** C[R, N] = op_A · W_e for every expert's rows (one launch). */
function groupedRows(gpu: Gpu, v: RowsVariant, C: Tensor, A: Tensor, A2: Tensor, W: Tensor, offsets: Tensor, d: { R: number; E: number; K: number; N: number }): void {
  gpu.dispatch(rowsKernel(v), [C, A, A2, W, offsets], rowsLaunch(gpu, d.R, d.E, d.N), packParams([['u32', d.R], ['u32', d.E], ['u32', d.K], ['u32', d.N]]));
}

/** dW[E, M, N] = Σ_rows op_A[r, m] · B[r, n] per expert (one launch). */
function groupedWgrad(gpu: Gpu, swiglu: boolean, dW: Tensor, A: Tensor, A2: Tensor, B: Tensor, offsets: Tensor, d: { E: number; M: number; N: number }): void {
  const max = gpu.maxWorkgroupsPerDimension;
  const wg: Workgroups = [ceilDiv(d.N, T.WGRAD_WG_X * T.TN), ceilDiv(d.M, T.WGRAD_WG_Y * T.TM), d.E];
  if (wg.some((n) => n > max)) throw new Error(`experts weight gradient: launch [${wg.join(', ')}] exceeds maxComputeWorkgroupsPerDimension (${max})`);
  gpu.dispatch(wgradKernel(swiglu), [dW, A, A2, B, offsets], wg, packParams([['u32', d.M], ['u32', d.N]]));
}

function checkForward(xp: Tensor, offsets: Tensor, w: ExpertWeights): ExpertDims {
  const [E, H, F] = w.wGate_EHF.shape;
  const bad = (what: string, t: Tensor, want: string) =>
    new Error(`expertsForward: ${what} '${t.label}' is ${t.dtype} [${t.shape.join(', ')}], expected ${want}`);
  if (w.wGate_EHF.shape.length !== 3) throw bad('wGate_EHF', w.wGate_EHF, 'f32 [E, H, F]');
  if (xp.dtype !== 'f32' || xp.shape.length !== 2 || xp.shape[1] !== H) throw bad('xp_RH', xp, `f32 [R, ${H}]`);
  const same = (t: Tensor, s: number[]) => t.dtype === 'f32' && t.shape.length === 3 && t.shape.every((d, i) => d === s[i]);
  if (!same(w.wUp_EHF, [E, H, F])) throw bad('wUp_EHF', w.wUp_EHF, `f32 [${E}, ${H}, ${F}]`);
  if (!same(w.wDown_EFH, [E, F, H])) throw bad('wDown_EFH', w.wDown_EFH, `f32 [${E}, ${F}, ${H}]`);
  if (offsets.dtype !== 'u32' || offsets.shape.length !== 1 || offsets.shape[0] !== E + 1) throw bad('offsets_E1', offsets, `u32 [${E + 1}]`);
  return { R: xp.shape[0], H, F, E };
}

/** y_RH [R, H] for the rows of every expert (rows >= offsets[E] are not written), and what backward needs. */
export function expertsForward(gpu: Gpu, xp_RH: Tensor, offsets_E1: Tensor, w: ExpertWeights, o: ExpertsOptions = {}): { y_RH: Tensor; saved: ExpertsSaved } {
  const label = o.label ?? 'experts';
  const dims = checkForward(xp_RH, offsets_E1, w);
  const { R, H, F, E } = dims;
  const g_RF = gpu.empty([R, F], 'f32', `${label}.g_RF`);
  const u_RF = gpu.empty([R, F], 'f32', `${label}.u_RF`);
  groupedRows(gpu, {}, g_RF, xp_RH, xp_RH, w.wGate_EHF, offsets_E1, { R, E, K: H, N: F });
  groupedRows(gpu, {}, u_RF, xp_RH, xp_RH, w.wUp_EHF, offsets_E1, { R, E, K: H, N: F });
  const y_RH = gpu.empty([R, H], 'f32', `${label}.y_RH`);
  groupedRows(gpu, { swiglu: true }, y_RH, g_RF, u_RF, w.wDown_EFH, offsets_E1, { R, E, K: F, N: H });
  return { y_RH, saved: { dims, label, xp_RH, offsets_E1, ...w, g_RF, u_RF } };
}

/** Gradients for dy_RH [R, H]. Rows >= offsets[E] of dxp are not written; weight gradients are complete (0 for empty experts). */
export function expertsBackward(gpu: Gpu, saved: ExpertsSaved, dy_RH: Tensor): ExpertGrads {
  const { dims, label, offsets_E1: off } = saved;
  const { R, H, F, E } = dims;
  if (dy_RH.dtype !== 'f32' || dy_RH.shape.length !== 2 || dy_RH.shape[0] !== R || dy_RH.shape[1] !== H) {
    throw new Error(`expertsBackward: dy_RH '${dy_RH.label}' is ${dy_RH.dtype} [${dy_RH.shape.join(', ')}], expected f32 [${R}, ${H}] (the gradient of y_RH)`);
  }
  // da = dy · Wdown_e^T; dWdown_e = a_e^T · dy_e with a = silu(g)·u recomputed in the load.
  const da_RF = gpu.empty([R, F], 'f32', `${label}.da_RF`);
  groupedRows(gpu, { transW: true }, da_RF, dy_RH, dy_RH, saved.wDown_EFH, off, { R, E, K: H, N: F });
  const dWDown_EFH = gpu.empty([E, F, H], 'f32', `${label}.dWDown_EFH`);
  groupedWgrad(gpu, true, dWDown_EFH, saved.g_RF, saved.u_RF, dy_RH, off, { E, M: F, N: H });
  const dg_RF = gpu.empty([R, F], 'f32', `${label}.dg_RF`);
  const du_RF = gpu.empty([R, F], 'f32', `${label}.du_RF`);
  gpu.dispatch(SWIGLU_BWD, [dg_RF, du_RF, da_RF, saved.g_RF, saved.u_RF, off], dispatch1d(R * F, T.ELEMENTWISE_WG, gpu.maxWorkgroupsPerDimension), packParams([['u32', R], ['u32', F], ['u32', E]]));
  gpu.release(da_RF);
  // dxp = dg · Wgate_e^T + du · Wup_e^T; dWgate_e = xp_e^T · dg_e; dWup_e = xp_e^T · du_e.
  const dxp_RH = gpu.empty([R, H], 'f32', `${label}.dxp_RH`);
  groupedRows(gpu, { transW: true }, dxp_RH, dg_RF, dg_RF, saved.wGate_EHF, off, { R, E, K: F, N: H });
  groupedRows(gpu, { transW: true, accumulate: true }, dxp_RH, du_RF, du_RF, saved.wUp_EHF, off, { R, E, K: F, N: H });
  const dWGate_EHF = gpu.empty([E, H, F], 'f32', `${label}.dWGate_EHF`);
  const dWUp_EHF = gpu.empty([E, H, F], 'f32', `${label}.dWUp_EHF`);
  groupedWgrad(gpu, false, dWGate_EHF, saved.xp_RH, saved.xp_RH, dg_RF, off, { E, M: H, N: F });
  groupedWgrad(gpu, false, dWUp_EHF, saved.xp_RH, saved.xp_RH, du_RF, off, { E, M: H, N: F });
  gpu.release(dg_RF, du_RF);
  return { dxp_RH, dWGate_EHF, dWUp_EHF, dWDown_EFH };
}

export function releaseExpertsSaved(gpu: Gpu, saved: ExpertsSaved): void {
  gpu.release(saved.g_RF, saved.u_RF);
}
