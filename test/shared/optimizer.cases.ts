/**
 * The optimizer step's kernels: the global gradient norm (per-tensor sums,
 * clip scale, first NaN/Inf found by its bits) and AdamW reading that scale
 * from the GPU, against the float64 references.
 */
import type { Gpu, Tensor } from '../../engine/gpu/index.ts';
import { ADAMW_DEFAULTS, ADAMW_TUNING, adamwStep, type AdamWHyper } from '../../kernels/adamw/adamw.ts';
import { adamwRef } from '../../kernels/adamw/reference.ts';
import { GRAD_NORM_CHUNK, NO_TENSOR, gradNorm, releaseGradNorm } from '../../kernels/grad-norm/grad-norm.ts';
import { gradNormRef } from '../../kernels/grad-norm/reference.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import type { SharedCase } from './case.ts';

/** Updates compare as deltas (p' - p), about lr in size; float32 rounding of p' is ~1e-7. */
const DELTA = { atol: 2.5e-7, rtol: 1e-4 };
const deltas = (after: ArrayLike<number>, before: ArrayLike<number>) => Array.from(after, (a, i) => a - before[i]);

async function normOf(gpu: Gpu, arrays: readonly Float32Array[], maxNorm?: number) {
  const grads = arrays.map((a, t) => gpu.upload(a, [a.length], `grad${t}`));
  const r = gradNorm(gpu, grads, maxNorm === undefined ? {} : { maxNorm });
  try {
    const [sumSquares, norm, scale, bad] = await gpu.readMany([r.sumSquares, r.norm, r.clipScale, r.firstNonFinite]);
    return { sumSquares, norm: norm[0], scale: scale[0], bad };
  } finally {
    releaseGradNorm(gpu, r);
    gpu.release(...grads);
  }
}

/** Chunk edges, an empty tensor and a multi-chunk one. */
const sizes = (...n: number[]) => n.map((len, t) => randomArray(len, len * 13 + t, 0.5));

export const optimizerCases: readonly SharedCase[] = [
  {
    name: 'grad-norm: per-tensor sums, norm and clip scale over chunk edges and an empty tensor',
    run: async (gpu) => {
      const arrays = sizes(1, GRAD_NORM_CHUNK - 1, GRAD_NORM_CHUNK, 0, GRAD_NORM_CHUNK + 1, 3 * GRAD_NORM_CHUNK + 17);
      const ref = gradNormRef(arrays);
      const maxNorm = ref.norm / 3; // clips
      const got = await normOf(gpu, arrays, maxNorm);
      expectClose('grad-norm sumSquares', got.sumSquares, ref.sumSquares);
      expectClose('grad-norm norm', [got.norm], [ref.norm]);
      expectClose('grad-norm clip scale', [got.scale], [gradNormRef(arrays, maxNorm).clipScale]);
      expectEqual('grad-norm first non-finite', got.bad, [NO_TENSOR, NO_TENSOR]);
    },
  },
  {
    name: 'grad-norm: the first NaN/Inf is found by its bits and the scale becomes 0',
    run: async (gpu) => {
      const arrays = sizes(100, 3 * GRAD_NORM_CHUNK + 10, 50);
      arrays[1][2 * GRAD_NORM_CHUNK + 5] = Infinity;
      arrays[1][GRAD_NORM_CHUNK + 3] = NaN; // the first bad element of the first bad tensor
      arrays[2][0] = -Infinity; // a later tensor must not win
      const got = await normOf(gpu, arrays, 1);
      expectEqual('grad-norm first non-finite', got.bad, [1, GRAD_NORM_CHUNK + 3]);
      expectEqual('grad-norm clip scale', [got.scale], [0]);
    },
  },
  {
    name: 'adamw: one step with decay, scaled by the clip scale grad-norm left on the GPU',
    run: async (gpu) => {
      const n = ADAMW_TUNING.WG * 3 + 1;
      const p = randomArray(n, n, 1.5);
      const g = randomArray(n, n + 1, 2);
      const m = randomArray(n, n + 2, 0.1);
      const v = randomArray(n, n + 3, 0.1).map(Math.abs);
      const h: AdamWHyper = { lr: 0.01, weightDecay: 0.1 };
      const maxNorm = 1;
      const expectedScale = gradNormRef([g], maxNorm).clipScale;
      const t: Record<'param' | 'grad' | 'm' | 'v', Tensor> = {
        param: gpu.upload(p, [n], 'param'), grad: gpu.upload(g, [n], 'grad'), m: gpu.upload(m, [n], 'm'), v: gpu.upload(v, [n], 'v'),
      };
      const norm = gradNorm(gpu, [t.grad], { maxNorm });
      adamwStep(gpu, t, 7, norm.clipScale, h);
      try {
        const [gp, gm, gv] = await gpu.readMany([t.param, t.m, t.v]);
        // The GPU's scale is a float32 of expectedScale; the reference uses the float64 one.
        const ref = adamwRef(p, g, m, v, 7, expectedScale, { ...ADAMW_DEFAULTS, ...h });
        expectClose('adamw param delta', deltas(gp, p), deltas(ref.param, p), DELTA);
        expectClose('adamw m', gm, ref.m);
        expectClose('adamw v', gv, ref.v);
      } finally {
        releaseGradNorm(gpu, norm);
        gpu.release(t.param, t.grad, t.m, t.v);
      }
    },
  },
  {
    name: 'adamw: a grad scale of 0 skips the step (param, m, v keep their bits)',
    run: async (gpu) => {
      const n = 33;
      const [p, g, m, v] = [randomArray(n, 1), randomArray(n, 2), randomArray(n, 3, 0.1), randomArray(n, 4, 0.1).map(Math.abs)];
      const t = { param: gpu.upload(p, [n], 'param'), grad: gpu.upload(g, [n], 'grad'), m: gpu.upload(m, [n], 'm'), v: gpu.upload(v, [n], 'v') };
      const zero = gpu.upload(new Float32Array([0]), [1], 'grad_scale');
      adamwStep(gpu, t, 3, zero, { lr: 0.1, weightDecay: 0.5 });
      try {
        const [gp, gm, gv] = await gpu.readMany([t.param, t.m, t.v]);
        expectEqual('adamw param', new Uint32Array(gp.buffer), new Uint32Array(p.buffer));
        expectEqual('adamw m', new Uint32Array(gm.buffer), new Uint32Array(m.buffer));
        expectEqual('adamw v', new Uint32Array(gv.buffer), new Uint32Array(v.buffer));
      } finally {
        gpu.release(t.param, t.grad, t.m, t.v, zero);
      }
    },
  },
];
