/**
 * Workgroup shapes for the router's products on kernels/matmul. Its
 * default tile is 64 columns wide, but router outputs are often E = 16..64
 * columns: a narrower workgroup (fewer invocations along the columns, more
 * along the rows) stops most lanes from computing clamped, discarded
 * columns. Rows per workgroup shrink when the output has too few tiles to
 * keep every core busy.
 */
import { ceilDiv } from '../../engine/gpu/index.ts';
import { MATMUL_TUNING, type MatmulTuning } from '../matmul/matmul.ts';

/** Invocations per workgroup, and the fewest workgroups worth shrinking rows for. */
export const ROUTER_MATMUL_TUNING = { LANES: 64, MIN_WORKGROUPS: 16 } as const;

/** The matmul tuning for an output of M rows and N columns (pure). */
export function routerMatmulTuning(M: number, N: number): MatmulTuning {
  const { TM, TN } = MATMUL_TUNING;
  const { LANES, MIN_WORKGROUPS } = ROUTER_MATMUL_TUNING;
  const wgX = Math.min(MATMUL_TUNING.WG_X, Math.max(1, ceilDiv(N, TN)));
  let wgY = Math.max(1, Math.floor(LANES / wgX));
  const workgroups = (y: number) => ceilDiv(Math.max(N, 1), wgX * TN) * ceilDiv(Math.max(M, 1), y * TM);
  while (wgY > 1 && workgroups(wgY) < MIN_WORKGROUPS) wgY = Math.floor(wgY / 2);
  return { WG_X: wgX, WG_Y: wgY, TM, TN };
}
