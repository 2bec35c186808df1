/**
 * Router forward (logits, softmax, top-k with lower-index ties, weights,
 * counts, z-loss, aux loss) against the float64 reference. Inputs sit on a
 * grid of 1/steps so the float32 logits are exact: ties are real ties and
 * indices compare exactly, on every runtime.
 */
import type { Gpu, Tensor } from '../../engine/gpu/index.ts';
import { assertRouting } from '../../kernels/router/assert-routing.ts';
import { routeRef, routerLogitsRef } from '../../kernels/router/reference.ts';
import { ROUTER_TUNING, releaseRouterOutputs, routerForward } from '../../kernels/router/router.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import type { SharedCase } from './case.ts';

function gridArray(n: number, seed: number, steps: number, scale = 1): Float32Array {
  return randomArray(n, seed, scale).map((v) => Math.round(v * steps) / steps);
}

async function routeAndCompare(gpu: Gpu, x: Float32Array, wg: Float32Array, N: number, H: number, E: number, K: number, bias?: Float32Array): Promise<void> {
  const X = gpu.upload(x, [N, H], 'x');
  const W = gpu.upload(wg, [H, E], 'wg');
  const B: Tensor | undefined = bias ? gpu.upload(bias, [E], 'bias') : undefined;
  const o = routerForward(gpu, X, W, { K, bias_E: B, label: 'shared.router' });
  try {
    const [idx, weight, probs, counts, lse, meanProbs, z, aux] = await gpu.readMany([
      o.idx_NK, o.weight_NK, o.probs_NE, o.counts_E, o.lse_N, o.meanProbs_E, o.zLoss_1, o.auxLoss_1,
    ]);
    const ref = routeRef(routerLogitsRef(x, wg, N, H, E), N, E, K, bias);
    expectEqual('router idx', idx, ref.idx);
    expectEqual('router counts', counts, ref.counts);
    expectClose('router weight', weight, ref.weight);
    expectClose('router probs', probs, ref.probs);
    expectClose('router lse', lse, ref.lse);
    expectClose('router meanProbs', meanProbs, ref.meanProbs);
    expectClose('router zLoss', z, [ref.zLoss]);
    expectClose('router auxLoss', aux, [ref.auxLoss]);
    assertRouting(idx, weight, counts, N, K, E, 'shared.router');
  } finally {
    releaseRouterOutputs(gpu, o);
    gpu.release(X, W, ...(B ? [B] : []));
  }
}

// [N, H, E, K]: N not a multiple of the token block with K = 1; K = E over several blocks.
const SHAPES: ReadonlyArray<readonly [number, number, number, number]> = [
  [ROUTER_TUNING.TB + 5, 16, 16, 1],
  [130, 24, 5, 5],
];

export const routerCases: readonly SharedCase[] = [
  ...SHAPES.map(([N, H, E, K]): SharedCase => ({
    name: `router: forward N=${N} H=${H} E=${E} K=${K}`,
    run: (gpu) => routeAndCompare(gpu, gridArray(N * H, N * 31 + H, 8), gridArray(H * E, E * 17 + K, 16, 0.5), N, H, E, K),
  })),
  {
    name: 'router: duplicated expert columns tie and go to the lower index',
    run: async (gpu) => {
      const [N, H, E, K] = [45, 10, 6, 2];
      const x = gridArray(N * H, 8, 8);
      const wg = gridArray(H * E, 9, 16, 0.5);
      // Experts 1 and 4 share a column and win by a constant feature: every token picks [1, 4].
      for (let h = 0; h < H; h++) wg[h * E + 4] = wg[h * E + 1];
      for (let t = 0; t < N; t++) x[t * H] = 4;
      for (const e of [1, 4]) wg[e] = 8;
      await routeAndCompare(gpu, x, wg, N, H, E, K);
    },
  },
  {
    name: 'router: a bias changes the selection only',
    run: (gpu) => {
      const [N, H, E, K] = [100, 16, 8, 2];
      return routeAndCompare(gpu, gridArray(N * H, 12, 8), gridArray(H * E, 13, 16, 0.5), N, H, E, K, gridArray(E, 14, 4, 2));
    },
  },
];
