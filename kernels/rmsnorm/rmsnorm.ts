/**
 * RMSNorm: y = x / sqrt(mean(x^2) + eps) * g, row by row, with the inverse
 * RMS per row saved for backward. Backward gives dx (one invocation per row)
 * and dg (a fixed-order two-stage column reduction: no float atomics, the
 * same bits every run).
 * Legend: N rows (tokens), H hidden size. x_NH, g_H, y_NH, rinv_N.
 */
import { dispatch1d, numel, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import backwardBody from './backward.wgsl.ts';
import dgainFinalBody from './dgain-final.wgsl.ts';
import dgainPartialBody from './dgain-partial.wgsl.ts';
import forwardBody from './forward.wgsl.ts';

/**
 * The one definition of RMSNorm's tunables. WG: invocations per workgroup
 * (rows for the row kernels, columns for dg). CHUNK_ROWS is how many rows one dg partial sum covers: smaller
 * means more parallel work in stage 1 and a longer loop in stage 2.
 */
export const RMSNORM_TUNING = { WG: 64, CHUNK_ROWS: 32 } as const;
const HEADER = wgslConsts(RMSNORM_TUNING);
const { WG, CHUNK_ROWS } = RMSNORM_TUNING;

export const DEFAULT_RMS_EPS = 1e-5;

const forwardKernel: KernelSource = { name: 'rmsnorm_fwd', code: `${HEADER}\n${forwardBody}` };
const dgainPartialKernel: KernelSource = { name: 'rmsnorm_bwd_dg_partial', code: `${HEADER}\n${dgainPartialBody}` };
const backwardKernel = (accumulate: boolean): KernelSource => ({
  name: `rmsnorm_bwd_dx${accumulate ? '_acc' : ''}`,
  code: `${HEADER}\n${backwardBody}`,
  constants: { ACCUMULATE: accumulate ? 1 : 0 },
});
const dgainFinalKernel = (accumulate: boolean): KernelSource => ({
  name: `rmsnorm_bwd_dg_final${accumulate ? '_acc' : ''}`,
  code: `${HEADER}\n${dgainFinalBody}`,
  constants: { ACCUMULATE: accumulate ? 1 : 0 },
});

/** Rows and width of an [..., H] activation; the gain must be [H]. */
export function rmsnormDims(op: string, x: Tensor, g: Tensor): { N: number; H: number } {
  if (x.shape.length < 1) throw new Error(`${op}: x '${x.label}' must be at least 1-D ([N, H]), got [${x.shape.join(', ')}]`);
  const H = x.shape[x.shape.length - 1];
  const N = numel(x.shape.slice(0, -1));
  if (g.shape.length !== 1 || g.shape[0] !== H) {
    throw new Error(`${op}: gain '${g.label}' must be [${H}] to match x [${x.shape.join(', ')}], got [${g.shape.join(', ')}]; hint: the gain is per hidden unit`);
  }
  return { N, H };
}

function expectShape(op: string, t: Tensor, shape: readonly number[], what: string): void {
  if (numel(t.shape) !== numel(shape) || t.dtype !== 'f32') {
    throw new Error(`${op}: ${what} '${t.label}' must be f32 holding [${shape.join(', ')}], got ${t.dtype} [${t.shape.join(', ')}]`);
  }
}

/** Records y = rmsnorm(x) * g into `y`, and the inverse RMS of each row into `rinv`. */
export function rmsnormForwardInto(gpu: Gpu, y: Tensor, rinv: Tensor, x: Tensor, g: Tensor, eps = DEFAULT_RMS_EPS): void {
  const { N, H } = rmsnormDims('rmsnorm forward', x, g);
  expectShape('rmsnorm forward', y, [N, H], 'output y');
  expectShape('rmsnorm forward', rinv, [N], 'output rinv');
  if (!(eps > 0)) throw new Error(`rmsnorm forward: eps must be > 0 (it keeps a zero row finite), got ${eps}`);
  if (H === 0) return;
  const params = packParams([['u32', N], ['u32', H], ['f32', eps]]);
  gpu.dispatch(forwardKernel, [y, rinv, x, g], dispatch1d(N, WG, gpu.maxWorkgroupsPerDimension), params);
}

/** Allocates y_NH (shaped like x) and rinv_N, and records the forward pass. */
export function rmsnormForward(gpu: Gpu, x: Tensor, g: Tensor, eps = DEFAULT_RMS_EPS): { y: Tensor; rinv: Tensor } {
  const { N } = rmsnormDims('rmsnorm forward', x, g);
  const y = gpu.empty(x.shape, 'f32', 'rmsnorm_y');
  const rinv = gpu.empty([N], 'f32', 'rmsnorm_rinv');
  rmsnormForwardInto(gpu, y, rinv, x, g, eps);
  return { y, rinv };
}

export interface RmsnormBackwardOptions {
  /** dx += result instead of dx = result (the residual stream's gradient). */
  readonly accumulateDx?: boolean;
  /** dg += result instead of dg = result (micro-batch accumulation). */
  readonly accumulateDg?: boolean;
}

/** Records dx_NH and dg_H from dy_NH and the saved x_NH, g_H, rinv_N. */
export function rmsnormBackwardInto(
  gpu: Gpu, dx: Tensor, dg: Tensor, dy: Tensor, x: Tensor, g: Tensor, rinv: Tensor, o: RmsnormBackwardOptions = {},
): void {
  const op = 'rmsnorm backward';
  const { N, H } = rmsnormDims(op, x, g);
  expectShape(op, dy, [N, H], 'dy');
  expectShape(op, rinv, [N], 'saved rinv');
  expectShape(op, dx, [N, H], 'output dx');
  expectShape(op, dg, [H], 'output dg');
  if (H === 0) return;
  gpu.dispatch(backwardKernel(o.accumulateDx ?? false), [dx, dy, x, g, rinv], dispatch1d(N, WG, gpu.maxWorkgroupsPerDimension), packParams([['u32', N], ['u32', H]]));
  // Stage 1 needs at least one chunk so that N = 0 still writes dg = 0 (or leaves it when accumulating).
  const chunks = Math.max(1, Math.ceil(N / CHUNK_ROWS));
  const partial = gpu.empty([chunks, H], 'f32', 'rmsnorm_dg_partial');
  gpu.dispatch(dgainPartialKernel, [partial, dy, x, rinv], dispatch1d(chunks * H, WG, gpu.maxWorkgroupsPerDimension), packParams([['u32', N], ['u32', H], ['u32', chunks]]));
  gpu.dispatch(dgainFinalKernel(o.accumulateDg ?? false), [dg, partial], dispatch1d(H, WG, gpu.maxWorkgroupsPerDimension), packParams([['u32', H], ['u32', chunks]]));
  // Safe to release now: later users of this buffer are recorded after these dispatches.
  gpu.release(partial);
}

/** Allocates dx (shaped like x) and dg_H, and records the backward pass. */
export function rmsnormBackward(gpu: Gpu, dy: Tensor, x: Tensor, g: Tensor, rinv: Tensor): { dx: Tensor; dg: Tensor } {
  const { H } = rmsnormDims('rmsnorm backward', x, g);
  const dx = gpu.empty(x.shape, 'f32', 'rmsnorm_dx');
  const dg = gpu.empty([H], 'f32', 'rmsnorm_dg');
  rmsnormBackwardInto(gpu, dx, dg, dy, x, g, rinv);
  return { dx, dg };
}
