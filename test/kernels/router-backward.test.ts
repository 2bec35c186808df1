import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../engine/gpu/index.ts';
import {
  routeRef, routerInputGradsRef, routerLogitsBackwardRef, routerLogitsRef, routerLossRef,
} from '../../kernels/router/reference.ts';
import { routerBackward, type RouterBackwardOptions, type RouterGrads } from '../../kernels/router/router-backward.ts';
import { releaseRouterOutputs, routerForward } from '../../kernels/router/router.ts';
import { testGpu } from '../helpers/gpu.ts';
import { expectClose, type Tolerance } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';

/** Grid values: GPU logits equal the float64 ones exactly, so both pick the same experts. */
function gridArray(n: number, seed: number, steps: number, scale = 1): Float32Array {
  return randomArray(n, seed, scale).map((v) => Math.round(v * steps) / steps);
}

interface Problem {
  N: number; H: number; E: number; K: number;
  x: Float32Array; wg: Float32Array; dWeight: Float32Array; bias?: Float32Array;
}

interface HostGrads { dLogits: Float32Array; dx: Float32Array; dWg: Float32Array; counts: Uint32Array }

/** Forward then backward on the GPU; reads the three gradients and the counts. */
async function gpuGrads(gpu: Gpu, pr: Problem, opts: RouterBackwardOptions): Promise<HostGrads> {
  const { N, H, E, K } = pr;
  const X = gpu.upload(pr.x, [N, H], 'x');
  const W = gpu.upload(pr.wg, [H, E], 'wg');
  const B = pr.bias ? gpu.upload(pr.bias, [E], 'bias') : undefined;
  const dW = gpu.upload(pr.dWeight, [N, K], 'dWeight');
  const fwd = routerForward(gpu, X, W, { K, bias_E: B });
  const g: RouterGrads = routerBackward(gpu, { ...fwd, x_NH: X, wg_HE: W }, dW, opts);
  const out = {
    dLogits: await gpu.readF32(g.dLogits_NE),
    dx: await gpu.readF32(g.dx_NH),
    dWg: await gpu.readF32(g.dWg_HE),
    counts: await gpu.readU32(fwd.counts_E),
  };
  releaseRouterOutputs(gpu, fwd);
  gpu.release(X, W, dW, g.dLogits_NE, g.dx_NH, g.dWg_HE, ...(B ? [B] : []));
  return out;
}

function refGrads(pr: Problem, zLossWeight: number, auxLossWeight: number) {
  const { N, H, E, K } = pr;
  const route = routeRef(routerLogitsRef(pr.x, pr.wg, N, H, E), N, E, K, pr.bias);
  const dLogits = routerLogitsBackwardRef({ route, N, E, K, dWeight: pr.dWeight, zLossWeight, auxLossWeight });
  return { dLogits, ...routerInputGradsRef(dLogits, pr.x, pr.wg, N, H, E) };
}

/** Central differences of f at every entry of v (float64). */
function centralDiff(v: Float64Array, f: () => number, eps = 1e-6): Float64Array {
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + eps;
    const up = f();
    v[i] = keep - eps;
    const down = f();
    v[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

/** Finite differences in float64 agree to ~1e-9; this leaves room and still catches any wrong term. */
const FD: Tolerance = { atol: 1e-7, rtol: 1e-6 };

// [N, H, E, K]: N not a multiple of the block (K = 1), K = E, several blocks, E = 64.
const SHAPES: Array<[number, number, number, number]> = [
  [64, 16, 8, 2],
  [37, 12, 16, 1],
  [70, 8, 5, 5],
  [150, 32, 64, 4],
  [3, 5, 4, 3],
];

describe('router backward', () => {
  for (const [N, H, E, K] of SHAPES) {
    it(`N=${N} H=${H} E=${E} K=${K}: dLogits, dx and dWg match the float64 reference`, async () => {
      const gpu = await testGpu();
      const pr: Problem = {
        N, H, E, K,
        x: gridArray(N * H, N + H, 8),
        wg: gridArray(H * E, E + K, 16, 0.5),
        dWeight: randomArray(N * K, N * K),
        bias: K < E ? gridArray(E, E, 4, 0.5) : undefined,
      };
      const [zw, aw] = [0.3, 0.05];
      const got = await gpuGrads(gpu, pr, { zLossWeight: zw, auxLossWeight: aw });
      const ref = refGrads(pr, zw, aw);
      expectClose('dLogits', got.dLogits, ref.dLogits);
      expectClose('dx', got.dx, ref.dx);
      expectClose('dWg', got.dWg, ref.dWg);
    });
  }

  // The reference itself, against central differences of the loss it differentiates.
  for (const [K, withBias] of [[2, false], [1, true], [4, false], [2, true]] as const) {
    it(`float64 reference equals finite differences of sum(dW·w) + zw·z + aw·aux (N=5 H=3 E=4 K=${K}${withBias ? ', bias' : ''})`, () => {
      const [N, H, E] = [5, 3, 4];
      const x = Float64Array.from(randomArray(N * H, 40 + K));
      const wg = Float64Array.from(randomArray(H * E, 50 + K));
      const bias = withBias ? Float64Array.from(randomArray(E, 60)) : undefined;
      const dWeight = randomArray(N * K, 70 + K);
      const [zw, aw] = [0.3, 0.7];
      const loss = () => routerLossRef(routeRef(routerLogitsRef(x, wg, N, H, E), N, E, K, bias), dWeight, zw, aw);
      const route = routeRef(routerLogitsRef(x, wg, N, H, E), N, E, K, bias);
      const dLogits = routerLogitsBackwardRef({ route, N, E, K, dWeight, zLossWeight: zw, auxLossWeight: aw });
      const { dx, dWg } = routerInputGradsRef(dLogits, x, wg, N, H, E);
      expectClose('dx vs finite differences', dx, centralDiff(x, loss), FD);
      expectClose('dWg vs finite differences', dWg, centralDiff(wg, loss), FD);
      const logits = routerLogitsRef(x, wg, N, H, E);
      const lossOfLogits = () => routerLossRef(routeRef(logits, N, E, K, bias), dWeight, zw, aw);
      expectClose('dLogits vs finite differences', dLogits, centralDiff(logits, lossOfLogits), FD);
    });
  }

  describe('case 3: auxiliary-loss gradient', () => {
    const [N, H, E, K] = [16, 8, 8, 2];
    const pr: Problem = { N, H, E, K, x: randomArray(N * H, 80), wg: randomArray(H * E, 81, 0.5), dWeight: new Float32Array(N * K) };

    it('with dWeight = 0 and aux weight 0.01, dLogits equals finite differences of 0.01·L_aux; 0.02 doubles it exactly; 0 gives exactly 0', async () => {
      const gpu = await testGpu();
      const at = (auxLossWeight: number) => gpuGrads(gpu, pr, { zLossWeight: 0, auxLossWeight });
      const g1 = await at(0.01);
      const logits = routerLogitsRef(pr.x, pr.wg, N, H, E);
      const fd = centralDiff(logits, () => 0.01 * routeRef(logits, N, E, K).auxLoss);
      let err = 0;
      let norm = 0;
      for (let i = 0; i < fd.length; i++) {
        err += (g1.dLogits[i] - fd[i]) ** 2;
        norm += fd[i] ** 2;
      }
      expect(norm).toBeGreaterThan(0);
      expect(Math.sqrt(err / norm)).toBeLessThanOrEqual(1e-3);
      expectClose('dLogits vs finite differences', g1.dLogits, fd, { atol: 1e-9, rtol: 1e-3 });

      const g2 = await at(0.02);
      for (const k of ['dLogits', 'dx', 'dWg'] as const) {
        const bad = g2[k].findIndex((v, i) => v !== 2 * g1[k][i]);
        expect(bad, `${k}[${bad}]: ${g2[k][bad]} != 2 · ${g1[k][bad]}`).toBe(-1);
      }
      const g0 = await at(0);
      for (const k of ['dLogits', 'dx', 'dWg'] as const) {
        const bad = g0[k].findIndex((v) => v !== 0);
        expect(bad, `${k}[${bad}] = ${g0[k][bad]} with aux weight 0`).toBe(-1);
      }
    });

    it('1 worker × 16 tokens and 2 workers × 8 tokens give the same reduced gradient (global counts and token count)', async () => {
      const gpu = await testGpu();
      const full: Problem = { ...pr, dWeight: randomArray(N * K, 82) };
      const opts = { zLossWeight: 0.2, auxLossWeight: 0.01 };
      const whole = await gpuGrads(gpu, full, opts);
      const half = (w: number): Problem => ({
        ...full,
        N: N / 2,
        x: full.x.slice((w * N * H) / 2, ((w + 1) * N * H) / 2),
        dWeight: full.dWeight.slice((w * N * K) / 2, ((w + 1) * N * K) / 2),
      });
      // The all-reduced counts: what each worker would receive before its backward.
      const local = [await gpuGrads(gpu, half(0), opts), await gpuGrads(gpu, half(1), opts)];
      const globalCounts = local[0].counts.map((c, e) => c + local[1].counts[e]);
      expect([...globalCounts]).toEqual([...whole.counts]);
      const auxCounts = gpu.upload(globalCounts, [E], 'auxCounts');
      const workers: HostGrads[] = [];
      for (const w of [0, 1]) workers.push(await gpuGrads(gpu, half(w), { ...opts, auxCounts, auxTokens: N, zTokens: N }));
      gpu.release(auxCounts);
      expectClose('dLogits rows', [...workers[0].dLogits, ...workers[1].dLogits], whole.dLogits);
      expectClose('dx rows', [...workers[0].dx, ...workers[1].dx], whole.dx);
      expectClose('all-reduced dWg', workers[0].dWg.map((v, i) => v + workers[1].dWg[i]), whole.dWg);
      // Local counts and token counts would give a different (wrong) gradient.
      const wrong = local[0].dLogits.some((v, i) => Math.abs(v - whole.dLogits[i]) > 1e-4);
      expect(wrong).toBe(true);
    });
  });

  it('rejects a dWeight of the wrong shape and non-finite loss weights, naming them', async () => {
    const gpu = await testGpu();
    const [N, H, E, K] = [4, 3, 5, 2];
    const X = gpu.upload(randomArray(N * H, 90), [N, H], 'x');
    const W = gpu.upload(randomArray(H * E, 91), [H, E], 'wg');
    const fwd = routerForward(gpu, X, W, { K });
    const saved = { ...fwd, x_NH: X, wg_HE: W };
    const dW = gpu.upload(new Float32Array(N * 3), [N, 3], 'dWeight');
    const dWok = gpu.upload(new Float32Array(N * K), [N, K], 'dWeight');
    expect(() => routerBackward(gpu, saved, dW, { zLossWeight: 0, auxLossWeight: 0, label: 'L2.router' })).toThrow(/L2\.router backward: dWeight_NK must be f32 \[4, 2\], got f32 \[4, 3\]/);
    expect(() => routerBackward(gpu, saved, dWok, { zLossWeight: NaN, auxLossWeight: 0 })).toThrow(/zLossWeight=NaN must be finite/);
    expect(() => routerBackward(gpu, saved, dWok, { zLossWeight: 0, auxLossWeight: 0, auxTokens: 2.5 })).toThrow(/auxTokens=2\.5/);
    await gpu.sync();
    releaseRouterOutputs(gpu, fwd);
    gpu.release(X, W, dW, dWok);
  });
});
