import { describe, expect, it } from 'vitest';
import { crossEntropy, CROSS_ENTROPY_TUNING, IGNORE_TARGET } from '../../kernels/cross-entropy/cross-entropy.ts';
import { crossEntropyRef } from '../../kernels/cross-entropy/reference.ts';
import type { Gpu } from '../../engine/gpu/index.ts';
import { expectClose, expectEqual, type Tolerance } from '../helpers/numerics.ts';
import { randomArray, rng } from '../helpers/rng.ts';
import { testGpu } from '../helpers/gpu.ts';

const LOWEST = -3.4028234663852886e38;
const { WG, MEAN_WG } = CROSS_ENTROPY_TUNING;

/** Gradients are O(1/valid): scale the absolute tolerance with them so it still bites. */
const gradTol = (valid: number): Tolerance => ({ atol: 1e-6 / Math.max(valid, 1), rtol: 1e-4 });

function randomTargets(N: number, V: number, seed: number, ignoreEvery = 0): Uint32Array {
  const r = rng(seed);
  return Uint32Array.from({ length: N }, (_, n) => (ignoreEvery && n % ignoreEvery === ignoreEvery - 1 ? IGNORE_TARGET : Math.floor(r() * V)));
}

async function run(gpu: Gpu, logits: Float32Array, targets: Uint32Array, N: number, V: number, gradScale = 1) {
  const L = gpu.upload(logits, [N, V], 'logits');
  const T = gpu.upload(targets, [N], 'targets');
  const r = crossEntropy(gpu, L, T, { gradScale });
  const [loss, mean, count, dlogits] = await gpu.readMany([r.loss, r.meanLoss, r.validCount, r.dlogits!]);
  gpu.release(L, T, r.loss, r.meanLoss, r.validCount, r.dlogits!);
  return { loss, mean: mean[0], count: count[0], dlogits: dlogits as Float32Array };
}

// [N, V, ignore every k-th row (0: none)]: V not a multiple of WG and above
// 4·WG, V = 1, a single row, N above the mean workgroup, V = WG exactly.
const CASES: Array<[number, number, number]> = [
  [4, 10, 0],
  [7, 4 * WG + 3, 3],
  [5, 1, 0],
  [1, 50, 0],
  [MEAN_WG + 45, 13, 4],
  [33, WG, 5],
];

describe('cross-entropy', () => {
  for (const [N, V, ignoreEvery] of CASES) {
    it(`loss, mean and dlogits [${N}, ${V}]${ignoreEvery ? `, every ${ignoreEvery}th row ignored` : ''}`, async () => {
      const gpu = await testGpu();
      const logits = randomArray(N * V, N * 7 + V, 4);
      const targets = randomTargets(N, V, N + V, ignoreEvery);
      const got = await run(gpu, logits, targets, N, V);
      const ref = crossEntropyRef(logits, targets, N, V, IGNORE_TARGET);
      expectClose('loss', got.loss, ref.loss);
      expectClose('mean', [got.mean], [ref.mean]);
      expect(got.count).toBe(ref.valid);
      expectClose('dlogits', got.dlogits, ref.dlogits, gradTol(ref.valid));
    });
  }

  it('uniform logits give ln V per row and (1/V - onehot)/N', async () => {
    const gpu = await testGpu();
    const [N, V] = [6, 37];
    const targets = randomTargets(N, V, 3);
    const got = await run(gpu, new Float32Array(N * V).fill(2.5), targets, N, V);
    expectClose('loss', got.loss, new Array(N).fill(Math.log(V)));
    expectClose('mean', [got.mean], [Math.log(V)]);
    const want = Array.from({ length: N * V }, (_, i) => (1 / V - (i % V === targets[Math.floor(i / V)] ? 1 : 0)) / N);
    expectClose('dlogits', got.dlogits, want, gradTol(N));
  });

  it('huge logits stay finite (max-subtracted)', async () => {
    const gpu = await testGpu();
    const [N, V] = [3, 20];
    const logits = randomArray(N * V, 8).map((v) => 1000 + v); // exp(1000) overflows float32 and float64
    const targets = randomTargets(N, V, 9);
    const got = await run(gpu, logits, targets, N, V);
    const ref = crossEntropyRef(logits.map((v) => v - 1000), targets, N, V, IGNORE_TARGET);
    expectClose('loss', got.loss, ref.loss, { atol: 1e-4, rtol: 1e-4 }); // logits near 1000 carry ~6e-5 of float32 rounding
    expectClose('dlogits', got.dlogits, ref.dlogits, { atol: 1e-4 / N, rtol: 1e-3 });
  });

  it('a fully masked row (all lowest float, or -inf) is uniform: loss ln V, never NaN', async () => {
    const gpu = await testGpu();
    const V = 8;
    const logits = new Float32Array(3 * V);
    logits.fill(LOWEST, 0, V); // row 0: every logit masked with the lowest float
    logits.fill(-Infinity, V, 2 * V); // row 1: masked with -inf
    logits.set([5, LOWEST, 1, LOWEST, LOWEST, 0, -Infinity, 2], 2 * V); // row 2: partly masked
    const targets = new Uint32Array([3, 0, 2]);
    const got = await run(gpu, logits, targets, 3, V);
    const ref = crossEntropyRef(logits, targets, 3, V, IGNORE_TARGET);
    expect(ref.loss[0]).toBeCloseTo(Math.log(V), 12); // the reference itself states the policy
    expectClose('loss', got.loss, ref.loss);
    expectClose('dlogits', got.dlogits, ref.dlogits, gradTol(3));
    const masked = got.dlogits.subarray(0, 2 * V);
    expect(masked.every(Number.isFinite)).toBe(true);
  });

  it('ignored rows contribute nothing; all ignored gives mean 0, count 0, zero gradient', async () => {
    const gpu = await testGpu();
    const [N, V] = [5, 6];
    const logits = randomArray(N * V, 31, 3);
    const some = new Uint32Array([1, IGNORE_TARGET, 4, IGNORE_TARGET, 0]);
    const got = await run(gpu, logits, some, N, V);
    const kept = [0, 2, 4];
    const sub = crossEntropyRef(logits.filter((_, i) => kept.includes(Math.floor(i / V))), [1, 4, 0], 3, V, IGNORE_TARGET);
    expectClose('mean over kept rows', [got.mean], [sub.mean]);
    expect(got.count).toBe(3);
    expectEqual('ignored loss', [got.loss[1], got.loss[3]], [0, 0]);
    expectEqual('ignored dlogits', [...got.dlogits.subarray(V, 2 * V), ...got.dlogits.subarray(3 * V, 4 * V)], new Array(2 * V).fill(0));
    const none = await run(gpu, logits, new Uint32Array(N).fill(IGNORE_TARGET), N, V);
    expect([none.mean, none.count]).toEqual([0, 0]);
    expectEqual('dlogits', none.dlogits, new Array(N * V).fill(0));
  });

  it('an out-of-range target poisons its row with NaN (loss and gradient)', async () => {
    const gpu = await testGpu();
    const [N, V] = [3, 4];
    const got = await run(gpu, randomArray(N * V, 5), new Uint32Array([1, 4, 2]), N, V);
    expect(Number.isNaN(got.loss[1]) && Number.isNaN(got.mean)).toBe(true);
    expect([...got.dlogits.subarray(V, 2 * V)].every(Number.isNaN)).toBe(true);
    expect([got.loss[0], got.loss[2], ...got.dlogits.subarray(0, V)].every(Number.isFinite)).toBe(true);
  });

  it('gradScale multiplies the gradient only', async () => {
    const gpu = await testGpu();
    const [N, V] = [9, 11];
    const logits = randomArray(N * V, 41, 2);
    const targets = randomTargets(N, V, 42, 4);
    const got = await run(gpu, logits, targets, N, V, 0.25);
    const ref = crossEntropyRef(logits, targets, N, V, IGNORE_TARGET, 0.25);
    expectClose('mean', [got.mean], [ref.mean]);
    expectClose('dlogits', got.dlogits, ref.dlogits, gradTol(4 * ref.valid));
  });

  it('is deterministic: the same inputs twice give the same bits', async () => {
    const gpu = await testGpu();
    const [N, V] = [MEAN_WG * 2 + 3, 5 * WG + 1];
    const logits = randomArray(N * V, 51, 6);
    const targets = randomTargets(N, V, 52, 7);
    const a = await run(gpu, logits, targets, N, V);
    const b = await run(gpu, logits, targets, N, V);
    const bits = (x: ArrayLike<number>) => new Uint32Array(Float32Array.from(x).buffer);
    expectEqual('loss bits', bits(b.loss), bits(a.loss));
    expectEqual('mean bits', bits([b.mean]), bits([a.mean]));
    expectEqual('dlogits bits', bits(b.dlogits), bits(a.dlogits));
  });
});
