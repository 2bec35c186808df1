/**
 * Router backward (dLogits through renormalisation, z-loss and aux loss,
 * then dx and dWg by matmul) after a GPU forward, against the float64
 * reference (itself checked by finite differences in the Node tests).
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { routeRef, routerInputGradsRef, routerLogitsBackwardRef, routerLogitsRef } from '../../kernels/router/reference.ts';
import { routerBackward } from '../../kernels/router/router-backward.ts';
import { releaseRouterOutputs, routerForward } from '../../kernels/router/router.ts';
import { expectClose } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import type { SharedCase } from './case.ts';

/** Grid values: the GPU logits equal the float64 ones, so both pick the same experts. */
function gridArray(n: number, seed: number, steps: number, scale = 1): Float32Array {
  return randomArray(n, seed, scale).map((v) => Math.round(v * steps) / steps);
}

async function backward(gpu: Gpu, N: number, H: number, E: number, K: number, withBias: boolean): Promise<void> {
  const x = gridArray(N * H, N + H, 8);
  const wg = gridArray(H * E, E + K, 16, 0.5);
  const dWeight = randomArray(N * K, N * K);
  const bias = withBias ? gridArray(E, E, 4, 0.5) : undefined;
  const [zLossWeight, auxLossWeight] = [0.3, 0.05];
  const X = gpu.upload(x, [N, H], 'x');
  const W = gpu.upload(wg, [H, E], 'wg');
  const B = bias ? gpu.upload(bias, [E], 'bias') : undefined;
  const dW = gpu.upload(dWeight, [N, K], 'dWeight');
  const fwd = routerForward(gpu, X, W, { K, bias_E: B, label: 'shared.router' });
  const g = routerBackward(gpu, { ...fwd, x_NH: X, wg_HE: W }, dW, { zLossWeight, auxLossWeight, label: 'shared.router' });
  try {
    const [dLogits, dx, dWg] = await gpu.readMany([g.dLogits_NE, g.dx_NH, g.dWg_HE]);
    const route = routeRef(routerLogitsRef(x, wg, N, H, E), N, E, K, bias);
    const refLogits = routerLogitsBackwardRef({ route, N, E, K, dWeight, zLossWeight, auxLossWeight });
    const ref = routerInputGradsRef(refLogits, x, wg, N, H, E);
    expectClose('router dLogits', dLogits, refLogits);
    expectClose('router dx', dx, ref.dx);
    expectClose('router dWg', dWg, ref.dWg);
  } finally {
    releaseRouterOutputs(gpu, fwd);
    gpu.release(X, W, dW, g.dLogits_NE, g.dx_NH, g.dWg_HE, ...(B ? [B] : []));
  }
}

export const routerBackwardCases: readonly SharedCase[] = [
  { name: 'router backward: N=70 H=8 E=5 K=5 (K = E)', run: (gpu) => backward(gpu, 70, 8, 5, 5, false) },
  { name: 'router backward: N=37 H=12 E=16 K=1 with bias', run: (gpu) => backward(gpu, 37, 12, 16, 1, true) },
];
