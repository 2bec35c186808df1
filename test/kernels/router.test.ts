import { describe, expect, it } from 'vitest';
import type { Gpu, Tensor } from '../../engine/gpu/index.ts';
import { assertRouting, RoutingInvariantError } from '../../kernels/router/assert-routing.ts';
import { routeRef, routerLogitsRef, type RouteRef } from '../../kernels/router/reference.ts';
import { releaseRouterOutputs, ROUTER_TUNING, routerForward } from '../../kernels/router/router.ts';
import { testGpu } from '../helpers/gpu.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';

/**
 * Values on a grid of 1/steps: with these x and Wg every product and partial
 * sum is exact in float32, so the GPU logits equal the float64 ones bit for
 * bit, ties are real ties, and top-k indices can be compared exactly.
 */
function gridArray(n: number, seed: number, steps: number, scale = 1): Float32Array {
  return randomArray(n, seed, scale).map((v) => Math.round(v * steps) / steps);
}

interface Routed {
  idx: Uint32Array;
  weight: Float32Array;
  probs: Float32Array;
  counts: Uint32Array;
  lse: Float32Array;
  meanProbs: Float32Array;
  zLoss: number;
  auxLoss: number;
}

async function route(gpu: Gpu, x: Float32Array, wg: Float32Array, N: number, H: number, E: number, K: number, bias?: Float32Array): Promise<Routed> {
  const X = gpu.upload(x, [N, H], 'x');
  const W = gpu.upload(wg, [H, E], 'wg');
  const B: Tensor | undefined = bias ? gpu.upload(bias, [E], 'bias') : undefined;
  const o = routerForward(gpu, X, W, { K, bias_E: B, label: 'test.router' });
  const r: Routed = {
    idx: await gpu.readU32(o.idx_NK),
    weight: await gpu.readF32(o.weight_NK),
    probs: await gpu.readF32(o.probs_NE),
    counts: await gpu.readU32(o.counts_E),
    lse: await gpu.readF32(o.lse_N),
    meanProbs: await gpu.readF32(o.meanProbs_E),
    zLoss: (await gpu.readF32(o.zLoss_1))[0],
    auxLoss: (await gpu.readF32(o.auxLoss_1))[0],
  };
  releaseRouterOutputs(gpu, o);
  gpu.release(X, W, ...(B ? [B] : []));
  return r;
}

/** Everything the router outputs against the float64 reference, plus the invariants. */
function expectMatches(got: Routed, ref: RouteRef, N: number, K: number, E: number): void {
  expectEqual('idx', got.idx, ref.idx);
  expectEqual('counts', got.counts, ref.counts);
  expectClose('weight', got.weight, ref.weight);
  expectClose('probs', got.probs, ref.probs);
  expectClose('lse', got.lse, ref.lse);
  expectClose('meanProbs', got.meanProbs, ref.meanProbs);
  expectClose('zLoss', [got.zLoss], [ref.zLoss]);
  expectClose('auxLoss', [got.auxLoss], [ref.auxLoss]);
  expect(got.counts.reduce((a, b) => a + b, 0)).toBe(N * K);
  expect(got.idx.every((e) => e < E)).toBe(true);
  for (let t = 0; t < N; t++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += got.weight[t * K + k];
    expect(Math.abs(s - 1)).toBeLessThan(1e-5);
  }
  assertRouting(got.idx, got.weight, got.counts, N, K, E, 'test.router');
}

// [N, H, E, K]: a whole block, N not a multiple of the block with K = 1,
// K = E over several blocks (K > 4: the multi-pass selection), E = 64,
// many experts (E = 300), K = E = 3 (the register selection with fewer
// experts than registers), one token.
const SHAPES: Array<[number, number, number, number]> = [
  [ROUTER_TUNING.TB, 32, 8, 2],
  [37, 16, 16, 1],
  [130, 24, 5, 5],
  [200, 64, 64, 4],
  [9, 8, 300, 3],
  [50, 13, 3, 3],
  [150, 20, 12, 7],
  [1, 3, 2, 1],
];

describe('router forward', () => {
  for (const [N, H, E, K] of SHAPES) {
    it(`N=${N} H=${H} E=${E} K=${K} matches the float64 reference`, async () => {
      const gpu = await testGpu();
      const x = gridArray(N * H, N * 31 + H, 8);
      const wg = gridArray(H * E, E * 17 + K, 16, 0.5);
      const got = await route(gpu, x, wg, N, H, E, K);
      expectMatches(got, routeRef(routerLogitsRef(x, wg, N, H, E), N, E, K), N, K, E);
    });
  }

  for (const K of [3, 6]) {
    it(`rows whose logits all tie choose experts 0..K-1 (K=${K}); losses match the hand-derived values`, async () => {
      const gpu = await testGpu();
      const [N, H, E] = [70, 6, 12];
      const got = await route(gpu, randomArray(N * H, 5), new Float32Array(H * E), N, H, E, K);
      const first = [...Array(K).keys()];
      for (let t = 0; t < N; t++) expect([...got.idx.slice(t * K, t * K + K)]).toEqual(first);
      expectClose('weight', got.weight, new Array(N * K).fill(1 / K));
      expectClose('probs', got.probs, new Array(N * E).fill(1 / E));
      expectEqual('counts', got.counts, [...Array(E).keys()].map((e) => (e < K ? N : 0)));
      // lse = log E for every token; f_e = 1/K for the first K experts, P_e = 1/E: aux = E·K·(1/K)(1/E) = 1.
      expectClose('zLoss', [got.zLoss], [Math.log(E) ** 2]);
      expectClose('auxLoss', [got.auxLoss], [1]);
    });
  }

  it('gives bit-identical outputs on every run (counts by integer atomics, losses by fixed-order sums)', async () => {
    const gpu = await testGpu();
    const [N, H, E, K] = [300, 16, 32, 4];
    const x = randomArray(N * H, 23);
    const wg = randomArray(H * E, 24);
    const a = await route(gpu, x, wg, N, H, E, K);
    const b = await route(gpu, x, wg, N, H, E, K);
    for (const k of ['idx', 'weight', 'probs', 'counts', 'lse', 'meanProbs'] as const) expectEqual(k, b[k], a[k]);
    expect([b.zLoss, b.auxLoss]).toEqual([a.zLoss, a.auxLoss]);
  });

  it('duplicated Wg columns tie exactly and go to the lower expert index', async () => {
    const gpu = await testGpu();
    const [N, H, E, K] = [45, 10, 6, 2];
    const x = gridArray(N * H, 8, 8);
    const wg = gridArray(H * E, 9, 16, 0.5);
    // Experts 4 and 1 share a column, and get the largest logits by a constant feature.
    for (let h = 0; h < H; h++) wg[h * E + 4] = wg[h * E + 1];
    for (let t = 0; t < N; t++) x[t * H] = 4;
    for (const e of [1, 4]) wg[e] = 8;
    const got = await route(gpu, x, wg, N, H, E, K);
    for (let t = 0; t < N; t++) {
      expect([...got.idx.slice(t * K, t * K + K)]).toEqual([1, 4]);
      expect(got.weight[t * K]).toBe(got.weight[t * K + 1]);
    }
    expectMatches(got, routeRef(routerLogitsRef(x, wg, N, H, E), N, E, K), N, K, E);
  });

  it('an expert that no token chooses has count 0 and finite statistics', async () => {
    const gpu = await testGpu();
    const [N, H, E, K] = [90, 8, 8, 3];
    const x = gridArray(N * H, 10, 8);
    const wg = gridArray(H * E, 11, 16, 0.5);
    for (let t = 0; t < N; t++) x[t * H] = 1;
    wg[5] = -32; // expert 5 is always at least 32 - 8 behind: never in the top 3
    const got = await route(gpu, x, wg, N, H, E, K);
    expect(got.counts[5]).toBe(0);
    expectMatches(got, routeRef(routerLogitsRef(x, wg, N, H, E), N, E, K), N, K, E);
  });

  it('a bias changes the selection but not the probabilities', async () => {
    const gpu = await testGpu();
    const [N, H, E, K] = [100, 16, 8, 2];
    const x = gridArray(N * H, 12, 8);
    const wg = gridArray(H * E, 13, 16, 0.5);
    const bias = gridArray(E, 14, 4, 2);
    const logits = routerLogitsRef(x, wg, N, H, E);
    const plain = await route(gpu, x, wg, N, H, E, K);
    const biased = await route(gpu, x, wg, N, H, E, K, bias);
    expectMatches(biased, routeRef(logits, N, E, K, bias), N, K, E);
    expectEqual('probs with and without bias', biased.probs, plain.probs);
    expectEqual('lse with and without bias', biased.lse, plain.lse);
    const changed = plain.idx.filter((e, i) => e !== biased.idx[i]).length;
    expect(changed).toBeGreaterThan(N / 10);
  });

  it('a large bias sends every token to one expert, even one whose probability underflows', async () => {
    const gpu = await testGpu();
    const [N, H, E, K] = [77, 8, 16, 1];
    const x = gridArray(N * H, 15, 8);
    const wg = gridArray(H * E, 16, 16, 0.5);
    for (let t = 0; t < N; t++) x[t * H] = 1;
    wg[9] = -160; // exp(-160) is 0 in float32: p[t, 9] underflows
    const bias = new Float32Array(E);
    bias[9] = 1000;
    const got = await route(gpu, x, wg, N, H, E, K, bias);
    expectEqual('idx', got.idx, new Array(N).fill(9));
    expectEqual('weight', got.weight, new Array(N).fill(1));
    expect(got.counts[9]).toBe(N);
    expectMatches(got, routeRef(routerLogitsRef(x, wg, N, H, E), N, E, K, bias), N, K, E);
    // Two experts where the bias-chosen one underflows: weights stay finite and match the reference.
    const two = await route(gpu, x, wg, N, H, E, 2, bias);
    expectMatches(two, routeRef(routerLogitsRef(x, wg, N, H, E), N, E, 2, bias), N, 2, E);
  });

  it('an empty batch gives zero counts and zero losses', async () => {
    const gpu = await testGpu();
    const got = await route(gpu, new Float32Array(0), randomArray(4 * 6, 17), 0, 4, 6, 2);
    expectEqual('counts', got.counts, new Array(6).fill(0));
    expectEqual('meanProbs', got.meanProbs, new Array(6).fill(0));
    expect([got.zLoss, got.auxLoss]).toEqual([0, 0]);
  });

  it('NaN in the input keeps indices in range and assertRouting names the layer', async () => {
    const gpu = await testGpu();
    const [N, H, E, K] = [20, 4, 8, 2];
    const x = randomArray(N * H, 18);
    x[3 * H + 1] = NaN;
    const got = await route(gpu, x, randomArray(H * E, 19), N, H, E, K);
    expect(got.idx.every((e) => e < E)).toBe(true);
    expect(got.counts.reduce((a, b) => a + b, 0)).toBe(N * K);
    expect(Number.isNaN(got.weight[3 * K])).toBe(true);
    expect(() => assertRouting(got.idx, got.weight, got.counts, N, K, E, 'layer7.router')).toThrow(RoutingInvariantError);
    expect(() => assertRouting(got.idx, got.weight, got.counts, N, K, E, 'layer7.router')).toThrow(/layer7\.router.*token 3/);
  });

  it('rejects K outside 1..E, no experts and a bias of the wrong shape, naming the values', async () => {
    const gpu = await testGpu();
    const X = gpu.upload(randomArray(8, 20), [2, 4], 'x');
    const none = gpu.upload(new Float32Array(0), [4, 0], 'wg');
    const W = gpu.upload(randomArray(12, 21), [4, 3], 'wg');
    const B = gpu.upload(new Float32Array(4), [4], 'bias');
    expect(() => routerForward(gpu, X, none, { K: 1, label: 'L0.router' })).toThrow(/L0\.router forward: E=0/);
    expect(() => routerForward(gpu, X, W, { K: 4 })).toThrow(/K=4 must be an integer in 1\.\.E \(E=3\)/);
    expect(() => routerForward(gpu, X, W, { K: 0 })).toThrow(/K=0/);
    expect(() => routerForward(gpu, X, W, { K: 1, bias_E: B })).toThrow(/bias_E must be f32 \[3\], got f32 \[4\]/);
    const W5 = gpu.upload(randomArray(15, 22), [5, 3], 'wg5');
    expect(() => routerForward(gpu, X, W5, { K: 1 })).toThrow(/disagree on H/);
    await gpu.sync(); // nothing was recorded, so no asynchronous error either
    gpu.release(X, none, W, B, W5);
  });
});
