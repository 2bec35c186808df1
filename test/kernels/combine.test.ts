import { describe, expect, it } from 'vitest';
import { combine, combineBackward } from '../../kernels/combine/combine.ts';
import { combineBackwardRef, combineRef } from '../../kernels/combine/reference.ts';
import { expertCapacity } from '../../kernels/permute/capacity.ts';
import { permuteRows } from '../../kernels/permute/permute.ts';
import { routeSlotsRef } from '../../kernels/permute/reference.ts';
import { readRouting, releaseSlots, routeSlots, type RouteOptions } from '../../kernels/permute/route.ts';
import { testGpu } from '../helpers/gpu.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray, rng } from '../helpers/rng.ts';
import { sampleTopK } from '../helpers/routing.ts';

interface Case {
  readonly what: string;
  readonly N: number;
  readonly K: number;
  readonly E: number;
  readonly H: number;
  readonly route: RouteOptions;
  readonly idx: () => Uint32Array;
}

const NO_DROP: RouteOptions = { capacityFactor: 1, dropTokens: false };
const drop = (capacityFactor: number): RouteOptions => ({ capacityFactor, dropTokens: true });
const skew = (e: number) => Math.exp(-e / 2);

const CASES: Case[] = [
  { what: 'N·K = 600 (not a multiple of 256), no dropping', N: 300, K: 2, E: 8, H: 7, route: NO_DROP, idx: () => sampleTopK(300, 2, 8, 11) },
  { what: 'skewed routing, capacity factor 1.0 drops', N: 300, K: 2, E: 8, H: 7, route: drop(1), idx: () => sampleTopK(300, 2, 8, 12, skew) },
  { what: 'K = 1', N: 77, K: 1, E: 4, H: 3, route: drop(1.25), idx: () => sampleTopK(77, 1, 4, 13, skew) },
  { what: 'K = E', N: 33, K: 4, E: 4, H: 5, route: drop(1), idx: () => sampleTopK(33, 4, 4, 14) },
  { what: 'experts 3 and 6 get no tokens', N: 40, K: 2, E: 8, H: 4, route: drop(1.5), idx: () => sampleTopK(40, 2, 8, 15, (e) => (e === 3 || e === 6 ? 0 : 1)) },
  { what: 'all tokens to one expert, C = 5 of 70', N: 70, K: 1, E: 16, H: 3, route: drop(1), idx: () => new Uint32Array(70).fill(2) },
  { what: 'capacity (80) above the token count, H = 1', N: 10, K: 2, E: 2, H: 1, route: drop(8), idx: () => sampleTopK(10, 2, 2, 16) },
  // combine sums ROW_CHUNK_COLS = 8 columns per invocation: whole chunks only here, then a tail (H = 300 = 37·8 + 4).
  { what: 'H = 16: whole 8-column chunks, K = 2', N: 50, K: 2, E: 6, H: 16, route: drop(1), idx: () => sampleTopK(50, 2, 6, 18, skew) },
  { what: 'H = 300 longer than a workgroup, K = 3', N: 20, K: 3, E: 6, H: 300, route: drop(1), idx: () => sampleTopK(20, 3, 6, 17, skew) },
];

const NaN32 = Number.NaN;

/** Per-token weights: positive, summing to 1 (renormalised top-k probabilities); NaN on dropped slots. */
function combineWeights(N: number, K: number, slotRow: readonly number[], seed: number): Float32Array {
  const r = rng(seed);
  const w = new Float32Array(N * K);
  for (let t = 0; t < N; t++) {
    const raw = Array.from({ length: K }, () => 0.1 + r());
    const sum = raw.reduce((a, b) => a + b, 0);
    // A dropped slot's weight must not reach the output or any gradient: poison it.
    for (let k = 0; k < K; k++) w[t * K + k] = slotRow[t * K + k] === 0xffffffff ? NaN32 : raw[k] / sum;
  }
  return w;
}

describe('combine and combineBackward', () => {
  for (const c of CASES) {
    it(`${c.what} (N=${c.N}, K=${c.K}, E=${c.E}, H=${c.H})`, async () => {
      const gpu = await testGpu();
      const { N, K, E, H } = c;
      const R = N * K;
      const idx = c.idx();
      const ref = routeSlotsRef(idx, E, c.route.dropTokens ? expertCapacity(N, K, E, c.route.capacityFactor) : Infinity);
      const kept = ref.offsets[E];
      const y = randomArray(R * H, 300 + N);
      y.fill(NaN32, kept * H); // unused rows must never be read
      const weight = combineWeights(N, K, ref.slotRow, 400 + N);
      const dOut = randomArray(N * H, 500 + N);

      const idxT = gpu.upload(idx, [N, K], 'idx_NK');
      const slots = routeSlots(gpu, idxT, E, c.route);
      const yT = gpu.upload(y, [R, H], 'y_RH');
      const wT = gpu.upload(weight, [N, K], 'weight_NK');
      const dOutT = gpu.upload(dOut, [N, H], 'dOut_NH');
      const out = combine(gpu, yT, wT, slots);
      const { dy_RH, dWeight_NK } = combineBackward(gpu, dOutT, yT, wT, slots);
      const [outGot, dyGot, dwGot] = (await gpu.readMany([out, dy_RH, dWeight_NK])) as Float32Array[];

      expectClose('out_NH', outGot, combineRef(y, weight, ref.slotRow, N, K, H));
      const want = combineBackwardRef(dOut, y, weight, ref.slotRow, N, K, H);
      expectClose('dy_RH (kept rows)', dyGot.subarray(0, kept * H), want.dy.subarray(0, kept * H));
      expectEqual('dy_RH (unused rows are 0)', dyGot.subarray(kept * H), new Array((R - kept) * H).fill(0));
      expectClose('dWeight_NK', dwGot, want.dWeight);
      for (let s = 0; s < R; s++) {
        if (ref.slotRow[s] === 0xffffffff && !Object.is(dwGot[s], 0)) throw new Error(`dWeight[${s}] of a dropped slot is ${dwGot[s]}, expected exactly 0`);
      }
      releaseSlots(gpu, slots);
      gpu.release(idxT, yT, wT, dOutT, out, dy_RH, dWeight_NK);
    });
  }

  it('case 1 (capacity overflow): dropped tokens 2-4 get exactly 0 output, dy and dWeight', async () => {
    const gpu = await testGpu();
    // 5 tokens, 4 experts, K = 1, all to expert 0, factor 1.0 -> C = 2: tokens 0, 1 kept.
    const [N, K, E, H] = [5, 1, 4, 3];
    const idxT = gpu.upload(new Uint32Array([0, 0, 0, 0, 0]), [N, K], 'idx_NK');
    const slots = routeSlots(gpu, idxT, E, { capacityFactor: 1.0, dropTokens: true });
    const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const xT = gpu.upload(x, [N, H], 'x_NH');
    const xp = permuteRows(gpu, xT, slots);
    // A stand-in expert that doubles its rows; rows 2-4 are unused and stay NaN.
    const xpHost = await gpu.readF32(xp);
    const y = new Float32Array(N * H).fill(NaN32);
    for (let i = 0; i < 2 * H; i++) y[i] = 2 * xpHost[i];
    expectEqual('y rows 0-1', y.subarray(0, 2 * H), [2, 4, 6, 8, 10, 12]);
    const yT = gpu.upload(y, [N * K, H], 'y_RH');
    const wT = gpu.upload(new Float32Array([1, 1, 1, 1, 1]), [N, K], 'weight_NK');
    const dOutT = gpu.upload(new Float32Array([1, 0, -1, 0.5, 0.5, 0.5, 3, 3, 3, 4, 4, 4, 5, 5, 5]), [N, H], 'dOut_NH');
    const out = combine(gpu, yT, wT, slots);
    const { dy_RH, dWeight_NK } = combineBackward(gpu, dOutT, yT, wT, slots);
    const host = await readRouting(gpu, slots, false);
    expect(host.dropped / (N * K)).toBe(0.6);
    const outGot = [...(await gpu.readF32(out))];
    expect(outGot).toEqual([2, 4, 6, 8, 10, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(outGot.slice(6).every((v) => Object.is(v, 0))).toBe(true);
    // dy: rows 0, 1 = weight · dOut of tokens 0, 1; rows 2-4 belong to nobody: 0.
    expect([...(await gpu.readF32(dy_RH))]).toEqual([1, 0, -1, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // dWeight[t] = dot(dOut[t], y[row]): token 0: 2 - 6 = -4; token 1: 0.5·(8 + 10 + 12) = 15; dropped: 0.
    const dw = [...(await gpu.readF32(dWeight_NK))];
    expect(dw).toEqual([-4, 15, 0, 0, 0]);
    expect(dw.slice(2).every((v) => Object.is(v, 0))).toBe(true);
    releaseSlots(gpu, slots);
    gpu.release(idxT, xT, xp, yT, wT, dOutT, out, dy_RH, dWeight_NK);
  });

  it('launchers name the operation and the shapes', async () => {
    const gpu = await testGpu();
    const idxT = gpu.upload(new Uint32Array([0, 1, 2, 3]), [2, 2], 'idx_NK');
    const slots = routeSlots(gpu, idxT, 4, NO_DROP);
    const y = gpu.upload(new Float32Array(12), [4, 3], 'y_RH');
    const w = gpu.upload(new Float32Array(3), [1, 3], 'w');
    const dOut = gpu.upload(new Float32Array(4), [2, 2], 'dOut');
    expect(() => combine(gpu, y, w, slots)).toThrow(/combine: weight_NK \('w'\) is f32 \[1, 3\], expected f32 \[2, 2\]/);
    expect(() => combine(gpu, dOut, w, slots)).toThrow(/combine: y_RH \('dOut'\) is f32 \[2, 2\], expected f32 \[4, H\]/);
    expect(() => combineBackward(gpu, dOut, y, w, slots)).toThrow(/combineBackward: y_RH \('y_RH'\) is f32 \[4, 3\], expected f32 \[4, 2\]/);
    releaseSlots(gpu, slots);
    gpu.release(idxT, y, w, dOut);
  });
});
