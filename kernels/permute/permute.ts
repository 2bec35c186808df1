/**
 * permuteRows gathers token rows into expert order; unpermuteGrad is its
 * backward (a deterministic gather, no scatter-add). Both consume the
 * RoutedSlots record from routeSlots and never read counts back to the host:
 * launches are sized for the worst case R = N·K and bound-check against
 * offsets[E] in the GPU buffer. Legend: N tokens, H hidden, K top-k, R = N·K.
 */
import { dispatch1d, packParams, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import permuteBody from './permute-rows.wgsl.ts';
import type { RoutedSlots } from './route.ts';
import { ROW_CHUNKS_WGSL, rowChunks } from './row-chunks.ts';
import { rowsOf } from './shapes.ts';
import unpermuteBody from './unpermute-grad.wgsl.ts';

/** The one definition of the permute kernels' workgroup size (a WGSL override); the row chunks are row-chunks.ts's. */
export const PERMUTE_TUNING = { WG: 256 } as const;
const PERMUTE: KernelSource = { name: 'permute_rows', code: `${ROW_CHUNKS_WGSL}\n${permuteBody}`, constants: PERMUTE_TUNING };
const UNPERMUTE: KernelSource = { name: 'unpermute_grad', code: `${ROW_CHUNKS_WGSL}\n${unpermuteBody}`, constants: PERMUTE_TUNING };

/** xp_RH [N·K, H]: xp[r] = x[rowSlot[r] / K] for r < offsets[E]; rows beyond are 0. */
export function permuteRows(gpu: Gpu, x_NH: Tensor, slots: RoutedSlots, label = 'xp_RH'): Tensor {
  const R = slots.N * slots.K;
  const H = rowsOf('permuteRows', 'x_NH', x_NH, slots.N, `slots route N=${slots.N} tokens; pass the activations the router saw`);
  const xp = gpu.empty([R, H], 'f32', label);
  const chunks = rowChunks(R, H);
  gpu.dispatch(
    PERMUTE,
    [xp, x_NH, slots.rowSlot_R, slots.offsets_E1],
    dispatch1d(chunks, PERMUTE_TUNING.WG, gpu.maxWorkgroupsPerDimension),
    packParams([['u32', chunks], ['u32', H], ['u32', slots.K], ['u32', slots.E]]),
  );
  return xp;
}

/** dx_NH [N, H]: dx[t] = Σ_k (ascending) dxp[slotRow[t·K + k]], dropped slots skipped (all dropped: exactly 0). */
export function unpermuteGrad(gpu: Gpu, dxp_RH: Tensor, slots: RoutedSlots, label = 'dx_NH'): Tensor {
  const { N, K } = slots;
  const H = rowsOf('unpermuteGrad', 'dxp_RH', dxp_RH, N * K, `the gradient of permuteRows' output has N·K = ${N * K} rows`);
  const dx = gpu.empty([N, H], 'f32', label);
  const chunks = rowChunks(N, H);
  gpu.dispatch(
    UNPERMUTE,
    [dx, dxp_RH, slots.slotRow_R],
    dispatch1d(chunks, PERMUTE_TUNING.WG, gpu.maxWorkgroupsPerDimension),
    packParams([['u32', chunks], ['u32', H], ['u32', K]]),
  );
  return dx;
}
