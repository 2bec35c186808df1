/**
 * permuteRows gathers token rows into expert order; unpermuteGrad is its
 * backward (a deterministic gather, no scatter-add). Both consume the
 * RoutedSlots record from routeSlots and never read counts back to the host:
 * launches are sized for the worst case R = N·K and bound-check against
 * offsets[E] in the GPU buffer. Legend: N tokens, H hidden, K top-k, R = N·K.
 */
import { ceilDiv, dispatch1d, packParams, wgslConsts, type Gpu, type KernelSource, type Tensor } from '../../engine/gpu/index.ts';
import permuteBody from './permute-rows.wgsl.ts';
import type { RoutedSlots } from './route.ts';
import { rowsOf } from './shapes.ts';
import unpermuteBody from './unpermute-grad.wgsl.ts';

/**
 * The one definition of the permute kernels' sizes: WG, the workgroup
 * size (a WGSL override, tunable); COLS, the columns of a row that one
 * invocation handles (a WGSL const: permute-rows.wgsl and
 * unpermute-grad.wgsl are written out for 8 and assert it).
 */
export const PERMUTE_TUNING = { WG: 256, COLS: 8 } as const;
const HEADER = wgslConsts({ COLS: PERMUTE_TUNING.COLS });
const WG = { WG: PERMUTE_TUNING.WG };
const PERMUTE: KernelSource = { name: 'permute_rows', code: `${HEADER}\n${permuteBody}`, constants: WG };
const UNPERMUTE: KernelSource = { name: 'unpermute_grad', code: `${HEADER}\n${unpermuteBody}`, constants: WG };

/** xp_RH [N·K, H]: xp[r] = x[rowSlot[r] / K] for r < offsets[E]; rows beyond are 0. */
export function permuteRows(gpu: Gpu, x_NH: Tensor, slots: RoutedSlots, label = 'xp_RH'): Tensor {
  const R = slots.N * slots.K;
  const H = rowsOf('permuteRows', 'x_NH', x_NH, slots.N, `slots route N=${slots.N} tokens; pass the activations the router saw`);
  const xp = gpu.empty([R, H], 'f32', label);
  gpu.dispatch(
    PERMUTE,
    [xp, x_NH, slots.rowSlot_R, slots.offsets_E1],
    dispatch1d(R * ceilDiv(H, PERMUTE_TUNING.COLS), PERMUTE_TUNING.WG, gpu.maxWorkgroupsPerDimension),
    packParams([['u32', R * ceilDiv(H, PERMUTE_TUNING.COLS)], ['u32', H], ['u32', slots.K], ['u32', slots.E]]),
  );
  return xp;
}

/** dx_NH [N, H]: dx[t] = Σ_k (ascending) dxp[slotRow[t·K + k]], dropped slots skipped (all dropped: exactly 0). */
export function unpermuteGrad(gpu: Gpu, dxp_RH: Tensor, slots: RoutedSlots, label = 'dx_NH'): Tensor {
  const { N, K } = slots;
  const H = rowsOf('unpermuteGrad', 'dxp_RH', dxp_RH, N * K, `the gradient of permuteRows' output has N·K = ${N * K} rows`);
  const dx = gpu.empty([N, H], 'f32', label);
  gpu.dispatch(
    UNPERMUTE,
    [dx, dxp_RH, slots.slotRow_R],
    dispatch1d(N * ceilDiv(H, PERMUTE_TUNING.COLS), PERMUTE_TUNING.WG, gpu.maxWorkgroupsPerDimension),
    packParams([['u32', N * ceilDiv(H, PERMUTE_TUNING.COLS)], ['u32', H], ['u32', K]]),
  );
  return dx;
}
