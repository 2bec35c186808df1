/**
 * Softmax cross-entropy (per-row loss, mean over non-ignored rows, fused
 * gradient) against the float64 reference, including ignored rows and a
 * fully masked row (the lowest float everywhere: uniform, never NaN).
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { CROSS_ENTROPY_TUNING, IGNORE_TARGET, crossEntropy } from '../../kernels/cross-entropy/cross-entropy.ts';
import { crossEntropyRef } from '../../kernels/cross-entropy/reference.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray, rng } from '../helpers/rng.ts';
import type { SharedCase } from './case.ts';

const LOWEST_F32 = -3.4028234663852886e38;
const { WG, MEAN_WG } = CROSS_ENTROPY_TUNING;

async function compare(gpu: Gpu, logits: Float32Array, targets: Uint32Array, N: number, V: number): Promise<void> {
  const L = gpu.upload(logits, [N, V], 'logits');
  const T = gpu.upload(targets, [N], 'targets');
  const r = crossEntropy(gpu, L, T);
  try {
    if (!r.dlogits) throw new Error('cross-entropy: no dlogits although computeGrad defaults to true');
    const [loss, mean, count, dlogits] = await gpu.readMany([r.loss, r.meanLoss, r.validCount, r.dlogits]);
    const ref = crossEntropyRef(logits, targets, N, V, IGNORE_TARGET);
    expectClose('cross-entropy loss', loss, ref.loss);
    expectClose('cross-entropy mean', mean, [ref.mean]);
    expectEqual('cross-entropy valid rows', count, [ref.valid]);
    // Gradients are O(1/valid): scale the absolute tolerance with them so it still bites.
    expectClose('cross-entropy dlogits', dlogits, ref.dlogits, { atol: 1e-6 / Math.max(ref.valid, 1), rtol: 1e-4 });
  } finally {
    gpu.release(L, T, r.loss, r.meanLoss, r.validCount, ...(r.dlogits ? [r.dlogits] : []));
  }
}

function randomTargets(N: number, V: number, seed: number, ignoreEvery: number): Uint32Array {
  const r = rng(seed);
  return Uint32Array.from({ length: N }, (_, n) => (ignoreEvery && n % ignoreEvery === ignoreEvery - 1 ? IGNORE_TARGET : Math.floor(r() * V)));
}

// [N, V, ignore every k-th row]: V above 4 workgroups and ragged; N above the mean workgroup.
const SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [7, 4 * WG + 3, 3],
  [MEAN_WG + 45, 13, 4],
];

export const crossEntropyCases: readonly SharedCase[] = [
  ...SHAPES.map(([N, V, ignoreEvery]): SharedCase => ({
    name: `cross-entropy: [${N}, ${V}], 1 row in ${ignoreEvery} ignored`,
    run: (gpu) => compare(gpu, randomArray(N * V, N * 7 + V, 4), randomTargets(N, V, N + V, ignoreEvery), N, V),
  })),
  {
    name: 'cross-entropy: a fully masked row (lowest float) is uniform, not NaN',
    run: (gpu) => {
      const [N, V] = [3, 9];
      const logits = randomArray(N * V, 5, 3);
      logits.fill(LOWEST_F32, V, 2 * V); // row 1 entirely masked
      return compare(gpu, logits, Uint32Array.from([2, 4, 8]), N, V);
    },
  },
];
