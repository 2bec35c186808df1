/**
 * combine (weighted sum of each token's expert rows) and its backward (dy,
 * dWeight) against the float64 references, on routing from routeSlots, with
 * dropped slots whose weights are NaN: they must contribute exactly nothing.
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { combine, combineBackward } from '../../kernels/combine/combine.ts';
import { combineBackwardRef, combineRef } from '../../kernels/combine/reference.ts';
import { expertCapacity } from '../../kernels/permute/capacity.ts';
import { routeSlotsRef } from '../../kernels/permute/reference.ts';
import { NO_ROW, releaseSlots, routeSlots, type RouteOptions } from '../../kernels/permute/route.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray, rng } from '../helpers/rng.ts';
import { sampleTopK } from '../helpers/routing.ts';
import type { SharedCase } from './case.ts';

/** Positive per-token weights summing to 1; NaN on dropped slots. */
function combineWeights(N: number, K: number, slotRow: readonly number[], seed: number): Float32Array {
  const r = rng(seed);
  const w = new Float32Array(N * K);
  for (let t = 0; t < N; t++) {
    const raw = Array.from({ length: K }, () => 0.1 + r());
    const sum = raw.reduce((a, b) => a + b, 0);
    for (let k = 0; k < K; k++) w[t * K + k] = slotRow[t * K + k] === NO_ROW ? NaN : raw[k] / sum;
  }
  return w;
}

async function combineBoth(gpu: Gpu, N: number, K: number, E: number, H: number, route: RouteOptions, idx: Uint32Array): Promise<void> {
  const R = N * K;
  const ref = routeSlotsRef(idx, E, route.dropTokens ? expertCapacity(N, K, E, route.capacityFactor) : Infinity);
  const kept = ref.offsets[E];
  const y = randomArray(R * H, 300 + N).fill(NaN, kept * H); // unused rows must never be read
  const weight = combineWeights(N, K, ref.slotRow, 400 + N);
  const dOut = randomArray(N * H, 500 + N);
  const idxT = gpu.upload(idx, [N, K], 'idx_NK');
  const yT = gpu.upload(y, [R, H], 'y_RH');
  const wT = gpu.upload(weight, [N, K], 'weight_NK');
  const dOutT = gpu.upload(dOut, [N, H], 'dOut_NH');
  const slots = routeSlots(gpu, idxT, E, route);
  const out = combine(gpu, yT, wT, slots);
  const { dy_RH, dWeight_NK } = combineBackward(gpu, dOutT, yT, wT, slots);
  try {
    const [outGot, dyGot, dwGot] = await gpu.readMany([out, dy_RH, dWeight_NK]);
    expectClose('combine out_NH', outGot, combineRef(y, weight, ref.slotRow, N, K, H));
    const want = combineBackwardRef(dOut, y, weight, ref.slotRow, N, K, H);
    expectClose('combine dy_RH (kept rows)', dyGot.subarray(0, kept * H), want.dy.subarray(0, kept * H));
    expectEqual('combine dy_RH (unused rows are 0)', dyGot.subarray(kept * H), new Array((R - kept) * H).fill(0));
    expectClose('combine dWeight_NK', dwGot, want.dWeight);
    // The tolerance above would let a tiny value through; a dropped slot's gradient must be exactly 0.
    const droppedNonZero = ref.slotRow.findIndex((row, s) => row === NO_ROW && !Object.is(dwGot[s], 0));
    if (droppedNonZero >= 0) throw new Error(`combine dWeight[${droppedNonZero}] of a dropped slot is ${dwGot[droppedNonZero]}, expected exactly 0`);
  } finally {
    releaseSlots(gpu, slots);
    gpu.release(idxT, yT, wT, dOutT, out, dy_RH, dWeight_NK);
  }
}

const skew = (e: number) => Math.exp(-e / 2);

export const combineCases: readonly SharedCase[] = [
  {
    name: 'combine: forward and backward, no capacity, N·K = 600',
    run: (gpu) => combineBoth(gpu, 300, 2, 8, 7, { capacityFactor: 1, dropTokens: false }, sampleTopK(300, 2, 8, 11)),
  },
  {
    name: 'combine: forward and backward, skewed routing drops slots, H = 300',
    run: (gpu) => combineBoth(gpu, 20, 3, 6, 300, { capacityFactor: 1, dropTokens: true }, sampleTopK(20, 3, 6, 17, skew)),
  },
];
