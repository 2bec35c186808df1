import { describe, expect, it } from 'vitest';
import { adamwStep } from '../../kernels/adamw/adamw.ts';
import { adamwRef } from '../../kernels/adamw/reference.ts';
import { GRAD_NORM_CHUNK, GRAD_NORM_TUNING, gradNorm, NO_TENSOR, releaseGradNorm } from '../../kernels/grad-norm/grad-norm.ts';
import { gradNormRef } from '../../kernels/grad-norm/reference.ts';
import { assertFiniteGradients, NonFiniteGradientError, readGradNormReport } from '../../kernels/grad-norm/report.ts';
import type { Gpu, Tensor } from '../../engine/gpu/index.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray, rng } from '../helpers/rng.ts';
import { testGpu } from '../helpers/gpu.ts';

const CHUNK = GRAD_NORM_CHUNK;
const { FINAL_WG } = GRAD_NORM_TUNING;

function uploadAll(gpu: Gpu, arrays: readonly Float32Array[]): Tensor[] {
  return arrays.map((a, t) => gpu.upload(a, [a.length], `grad${t}`));
}

async function runNorm(gpu: Gpu, arrays: readonly Float32Array[], maxNorm?: number) {
  const grads = uploadAll(gpu, arrays);
  const r = gradNorm(gpu, grads, { maxNorm });
  const [sumSquares, norm, scale, bad] = await gpu.readMany([r.sumSquares, r.norm, r.clipScale, r.firstNonFinite]);
  releaseGradNorm(gpu, r);
  gpu.release(...grads);
  return { sumSquares, norm: norm[0], scale: scale[0], bad: [...bad] };
}

const sizes = (...n: number[]) => n.map((len, t) => randomArray(len, len * 13 + t, 0.5));
const r = rng(99);
// Tensor sets: one; chunk edges with an empty tensor; more tensors than the
// final workgroup; one tensor with more slots than the final workgroup.
const SETS: Array<[string, Float32Array[]]> = [
  ['one tensor of 10', sizes(10)],
  ['chunk edges and an empty tensor', sizes(1, CHUNK - 1, CHUNK, 0, CHUNK + 1, 3 * CHUNK + 17)],
  [`${FINAL_WG + 44} small tensors`, sizes(...Array.from({ length: FINAL_WG + 44 }, () => 1 + Math.floor(r() * 300)))],
  [`${FINAL_WG + 3} slots in one tensor`, sizes((FINAL_WG + 2) * CHUNK + 5, 7)],
  ['a matrix-sized and a gain-sized tensor', sizes(64 * 96, 96)],
];

describe('grad-norm', () => {
  for (const [name, arrays] of SETS) {
    it(`${name}: per-tensor sums, norm, clip scale`, async () => {
      const gpu = await testGpu();
      const ref = gradNormRef(arrays);
      const maxNorm = ref.norm / 3; // clips
      const got = await runNorm(gpu, arrays, maxNorm);
      expectClose('sumSquares', got.sumSquares, ref.sumSquares);
      expectClose('norm', [got.norm], [ref.norm]);
      expectClose('clip scale', [got.scale], [gradNormRef(arrays, maxNorm).clipScale]);
      expect(got.bad).toEqual([NO_TENSOR, NO_TENSOR]);
    });
  }

  it('hand-derived: [3, 4] has norm 5; clip to 1 scales by 1/(5 + 1e-6); a larger bound or none gives 1', async () => {
    const gpu = await testGpu();
    const g = [new Float32Array([3]), new Float32Array([]), new Float32Array([4])];
    const clipped = await runNorm(gpu, g, 1);
    expectClose('sumSquares', clipped.sumSquares, [9, 0, 16]);
    expectClose('norm', [clipped.norm], [5]);
    expectClose('scale', [clipped.scale], [1 / (5 + 1e-6)]);
    expect((await runNorm(gpu, g, 10)).scale).toBe(1);
    expect((await runNorm(gpu, g)).scale).toBe(1);
    const none = await runNorm(gpu, []);
    expect([none.norm, none.scale, ...none.bad]).toEqual([0, 1, NO_TENSOR, NO_TENSOR]);
  });

  it('reports the FIRST tensor holding NaN/Inf and its first bad element; the scale becomes 0', async () => {
    const gpu = await testGpu();
    const arrays = sizes(100, 3 * CHUNK + 10, 50, 2 * CHUNK, 7);
    arrays[1][2 * CHUNK + 5] = Infinity; // later chunk, larger index
    arrays[1][CHUNK + 3] = NaN; // the first bad element of tensor 1
    arrays[3][0] = -Infinity; // a later tensor must not win
    const got = await runNorm(gpu, arrays, 1);
    expect(got.bad).toEqual([1, CHUNK + 3]);
    expect(got.scale).toBe(0);
    expect(Number.isFinite(got.norm)).toBe(false);
    const only = sizes(9, 9);
    only[1][8] = -Infinity;
    expect((await runNorm(gpu, only)).bad).toEqual([1, 8]);
  });

  it('a sum of squares past float32 skips the step although every value is finite', async () => {
    const gpu = await testGpu();
    const arrays = [new Float32Array([1e20, 1e20]), new Float32Array([1])];
    const got = await runNorm(gpu, arrays);
    expect(got.bad).toEqual([NO_TENSOR, NO_TENSOR]);
    expect(got.scale).toBe(gradNormRef(arrays).clipScale);
    expect(got.scale).toBe(0);
  });

  it('the host report names the parameter; finite gradients pass', async () => {
    const gpu = await testGpu();
    const names = ['embed.table', 'layers.0.norm.gain', 'lm_head'];
    const arrays = sizes(40, 8, 30);
    arrays[2][17] = NaN;
    const grads = uploadAll(gpu, arrays);
    const res = gradNorm(gpu, grads, { maxNorm: 1 });
    const report = await readGradNormReport(gpu, res, names);
    expect(report.nonFinite).toEqual({ tensor: 2, element: 17, name: 'lm_head' });
    expect(() => assertFiniteGradients(report, 12)).toThrow(NonFiniteGradientError);
    expect(() => assertFiniteGradients(report, 12)).toThrow(/gradient of 'lm_head' \(tensor 2\) holds NaN\/Inf at step 12, first at element 17/);
    gpu.write(grads[2], sizes(30)[0]);
    const ok = gradNorm(gpu, grads, { maxNorm: 1 });
    const okReport = await readGradNormReport(gpu, ok, names);
    expect(okReport.nonFinite).toBeNull();
    expect(() => assertFiniteGradients(okReport)).not.toThrow();
    releaseGradNorm(gpu, res);
    releaseGradNorm(gpu, ok);
    gpu.release(...grads);
  });

  it('clips AdamW on the GPU without a readback: the step uses g·min(1, clip/norm)', async () => {
    const gpu = await testGpu();
    const arrays = sizes(300, 45);
    const params = sizes(300, 45).map((a) => a.map((x) => x * 2));
    const ref = gradNormRef(arrays, 0.5);
    const grads = uploadAll(gpu, arrays);
    const res = gradNorm(gpu, grads, { maxNorm: 0.5 });
    const state = params.map((p, t) => ({
      param: gpu.upload(p, [p.length], `param${t}`),
      grad: grads[t],
      m: gpu.zeros([p.length], 'f32', `m${t}`),
      v: gpu.zeros([p.length], 'f32', `v${t}`),
    }));
    // Tensor 0 decays (a matrix), tensor 1 does not (a gain): the caller decides.
    state.forEach((s, t) => adamwStep(gpu, s, 3, res.clipScale, { lr: 0.01, weightDecay: t === 0 ? 0.1 : 0 }));
    const got = await gpu.readMany(state.map((s) => s.param));
    state.forEach((s, t) => {
      const want = adamwRef(params[t], arrays[t], new Float64Array(arrays[t].length), new Float64Array(arrays[t].length), 3, ref.clipScale, {
        lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: t === 0 ? 0.1 : 0,
      });
      const delta = (a: ArrayLike<number>) => Array.from(a, (x, i) => x - params[t][i]);
      expectClose(`param ${t} delta`, delta(got[t]), delta(want.param), { atol: 2.5e-7, rtol: 1e-4 });
      gpu.release(s.param, s.m, s.v);
    });
    releaseGradNorm(gpu, res);
    gpu.release(...grads);
  });

  it('is deterministic: the same inputs twice give the same bits', async () => {
    const gpu = await testGpu();
    const arrays = sizes(5 * CHUNK + 3, 999, 1, 2 * CHUNK);
    const a = await runNorm(gpu, arrays, 0.1);
    const b = await runNorm(gpu, arrays, 0.1);
    const bits = (x: ArrayLike<number>) => new Uint32Array(Float32Array.from(x).buffer);
    expectEqual('sumSquares bits', bits(b.sumSquares), bits(a.sumSquares));
    expectEqual('norm and scale bits', bits([b.norm, b.scale]), bits([a.norm, a.scale]));
  });
});
