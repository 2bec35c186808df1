/**
 * Workgroup shapes for the router's products on kernels/matmul, for the
 * register block each product's layout gets (matmulTuning: the 16 x 16 block
 * for the plain layout with H and E multiples of 4, else 8 x 8). matmul's
 * default workgroup tiles are 64 columns wide, but router outputs are often
 * E = 16..64 columns: a narrower workgroup (fewer invocations along the
 * columns, more along the rows) stops most lanes from computing clamped,
 * discarded columns. Rows per workgroup shrink when the output has too few
 * tiles to keep every core busy, down to MIN_LANES invocations (software
 * WebGPU runs invocations 4 to a SIMD group: a workgroup of 2 leaves half of
 * it idle).
 */
import { ceilDiv } from '../../engine/gpu/index.ts';
import type { MatmulTuning } from '../matmul/matmul.ts';

/** Invocations per workgroup (at most, at least), and the fewest workgroups worth shrinking rows for. */
export const ROUTER_MATMUL_TUNING = { LANES: 64, MIN_LANES: 4, MIN_WORKGROUPS: 16 } as const;

/**
 * The matmul tuning for an output of M rows and N columns on `block` (a
 * MATMUL_TUNING entry, whose TM x TN is kept and whose WG_X bounds the
 * columns of lanes) (pure).
 */
export function routerMatmulTuning(M: number, N: number, block: MatmulTuning): MatmulTuning {
  const { TM, TN } = block;
  const { LANES, MIN_LANES, MIN_WORKGROUPS } = ROUTER_MATMUL_TUNING;
  const wgX = Math.min(block.WG_X, Math.max(1, ceilDiv(N, TN)));
  let wgY = Math.max(1, Math.floor(LANES / wgX));
  const workgroups = (y: number) => ceilDiv(Math.max(N, 1), wgX * TN) * ceilDiv(Math.max(M, 1), y * TM);
  while (wgY > 1 && wgX * Math.floor(wgY / 2) >= MIN_LANES && workgroups(wgY) < MIN_WORKGROUPS) wgY = Math.floor(wgY / 2);
  return { WG_X: wgX, WG_Y: wgY, TM, TN };
}
