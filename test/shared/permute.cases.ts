/**
 * routeSlots (stable counting sort by expert, capacity, no readback),
 * permuteRows and unpermuteGrad against the float64 references from the MoE
 * data contract, with and without dropped slots, plus the hand-derived
 * capacity-overflow case.
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { expertCapacity } from '../../kernels/permute/capacity.ts';
import { checkRouting } from '../../kernels/permute/check.ts';
import { permuteRows, unpermuteGrad } from '../../kernels/permute/permute.ts';
import { permuteRowsRef, routeSlotsRef, unpermuteGradRef } from '../../kernels/permute/reference.ts';
import { NO_ROW, readRouting, releaseSlots, routeSlots, type RouteOptions } from '../../kernels/permute/route.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import { sampleTopK } from '../helpers/routing.ts';
import type { SharedCase } from './case.ts';

async function routePermute(gpu: Gpu, N: number, K: number, E: number, H: number, route: RouteOptions, idx: Uint32Array): Promise<void> {
  const R = N * K;
  const capacity = route.dropTokens ? expertCapacity(N, K, E, route.capacityFactor) : Infinity;
  const ref = routeSlotsRef(idx, E, capacity);
  const kept = ref.offsets[E];
  const x = randomArray(N * H, 100 + N);
  // Rows at or beyond offsets[E] must never be read: poison them.
  const dxp = randomArray(R * H, 200 + N).fill(NaN, kept * H);
  const idxT = gpu.upload(idx, [N, K], 'idx_NK');
  const xT = gpu.upload(x, [N, H], 'x_NH');
  const dxpT = gpu.upload(dxp, [R, H], 'dxp_RH');
  const slots = routeSlots(gpu, idxT, E, route);
  // Permute straight after routing, before any readback: offsets[E] comes from the GPU buffer.
  const xp = permuteRows(gpu, xT, slots);
  const dx = unpermuteGrad(gpu, dxpT, slots);
  try {
    const host = await readRouting(gpu, slots);
    expectEqual('permute counts_E', host.counts_E, ref.counts);
    expectEqual('permute offsets_E1', host.offsets_E1, ref.offsets);
    expectEqual('permute slotRow_R', host.slotRow_R ?? [], ref.slotRow);
    expectEqual('permute rowSlot_R (kept rows)', (host.rowSlot_R ?? new Uint32Array(0)).subarray(0, kept), ref.rowSlot);
    expectEqual('permute rowSlot_R (unused rows)', (host.rowSlot_R ?? new Uint32Array(0)).subarray(kept), new Array(R - kept).fill(NO_ROW));
    expectEqual('permute dropped', [host.dropped], [ref.dropped]);
    checkRouting('shared.permute', host);
    const [xpGot, dxGot] = await gpu.readMany([xp, dx]);
    expectClose('permute xp_RH (kept rows)', xpGot.subarray(0, kept * H), permuteRowsRef(x, H, K, ref.rowSlot));
    expectEqual('permute xp_RH (unused rows are 0)', xpGot.subarray(kept * H), new Array((R - kept) * H).fill(0));
    expectClose('permute dx_NH', dxGot, unpermuteGradRef(dxp, N, H, K, ref.slotRow));
  } finally {
    releaseSlots(gpu, slots);
    gpu.release(idxT, xT, dxpT, xp, dx);
  }
}

const skew = (e: number) => Math.exp(-e / 2);

export const permuteCases: readonly SharedCase[] = [
  {
    name: 'permute: N·K = 600 over 3 blocks, no capacity',
    run: (gpu) => routePermute(gpu, 300, 2, 8, 5, { capacityFactor: 1, dropTokens: false }, sampleTopK(300, 2, 8, 1)),
  },
  {
    name: 'permute: skewed routing, capacity factor 1.0 drops slots',
    run: (gpu) => routePermute(gpu, 300, 2, 8, 5, { capacityFactor: 1, dropTokens: true }, sampleTopK(300, 2, 8, 2, skew)),
  },
  {
    name: 'permute: E = 300 experts, most of them empty, C = 1',
    run: (gpu) => routePermute(gpu, 50, 3, 300, 2, { capacityFactor: 2, dropTokens: true }, sampleTopK(50, 3, 300, 7, skew)),
  },
  {
    name: 'permute: 5 tokens to expert 0 of 4, C = 2 keeps slots 0 and 1 (hand-derived)',
    run: async (gpu) => {
      const idxT = gpu.upload(new Uint32Array([0, 0, 0, 0, 0]), [5, 1], 'idx_NK');
      const slots = routeSlots(gpu, idxT, 4, { capacityFactor: 1, dropTokens: true });
      try {
        const host = await readRouting(gpu, slots);
        expectEqual('counts_E', host.counts_E, [5, 0, 0, 0]);
        expectEqual('offsets_E1', host.offsets_E1, [0, 2, 2, 2, 2]);
        expectEqual('slotRow_R', host.slotRow_R ?? [], [0, 1, NO_ROW, NO_ROW, NO_ROW]);
        expectEqual('dropped', [host.dropped], [3]);
      } finally {
        releaseSlots(gpu, slots);
        gpu.release(idxT);
      }
    },
  },
];
