import { describe, expect, it } from 'vitest';
import { ADAMW_DEFAULTS, ADAMW_TUNING, adamwStep, type AdamWHyper } from '../../kernels/adamw/adamw.ts';
import { adamwRef } from '../../kernels/adamw/reference.ts';
import type { Gpu, Tensor } from '../../engine/gpu/index.ts';
import { expectClose, expectEqual, type Tolerance } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import { testGpu } from '../helpers/gpu.ts';

const { WG } = ADAMW_TUNING;
/** Updates are compared as deltas (p' - p), ~lr in size; float32 rounding of p' is ~1e-7. */
const DELTA: Tolerance = { atol: 2.5e-7, rtol: 1e-4 };

interface State { param: Tensor; grad: Tensor; m: Tensor; v: Tensor; scale: Tensor }

function upload(gpu: Gpu, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, scale: number): State {
  return {
    param: gpu.upload(p, [p.length], 'param'),
    grad: gpu.upload(g, [g.length], 'grad'),
    m: gpu.upload(m, [m.length], 'm'),
    v: gpu.upload(v, [v.length], 'v'),
    scale: gpu.upload(new Float32Array([scale]), [1], 'grad_scale'),
  };
}

const full = (h: AdamWHyper) => ({ ...ADAMW_DEFAULTS, ...h });
const deltas = (after: ArrayLike<number>, before: ArrayLike<number>) => Array.from(after, (a, i) => a - before[i]);

describe('adamw', () => {
  // n: 1, one below/at/above the workgroup, several workgroups, odd large.
  for (const n of [1, WG - 1, WG, WG + 1, 1000, 4097]) {
    it(`one step from a mid-training state, n=${n}, with decay and a grad scale`, async () => {
      const gpu = await testGpu();
      const p = randomArray(n, n, 1.5);
      const g = randomArray(n, n + 1, 2);
      const m = randomArray(n, n + 2, 0.1);
      const v = randomArray(n, n + 3, 0.1).map(Math.abs);
      const h: AdamWHyper = { lr: 0.01, weightDecay: 0.1 };
      const s = upload(gpu, p, g, m, v, 0.7);
      adamwStep(gpu, s, 7, s.scale, h);
      const [gp, gm, gv] = await gpu.readMany([s.param, s.m, s.v]);
      const ref = adamwRef(p, g, m, v, 7, 0.7, full(h));
      expectClose('param delta', deltas(gp, p), deltas(ref.param, p), DELTA);
      expectClose('m', gm, ref.m);
      expectClose('v', gv, ref.v);
      gpu.release(s.param, s.grad, s.m, s.v, s.scale);
    });
  }

  it('the first step moves each parameter by about lr·sign(g)', async () => {
    const gpu = await testGpu();
    const n = 100;
    const p = randomArray(n, 5);
    const g = randomArray(n, 6).map((x) => x + Math.sign(x) * 0.01); // |g| >= 0.01 >> eps
    const lr = 0.001;
    const s = upload(gpu, p, g, new Float32Array(n), new Float32Array(n), 1);
    adamwStep(gpu, s, 1, s.scale, { lr });
    // m^ = g and v^ = g^2 at step 1, so the step is lr·g/(|g| + eps).
    const want = Array.from(g, (x) => -lr * Math.sign(x));
    expectClose('param delta', deltas(await gpu.readF32(s.param), p), want, { atol: 2.5e-7, rtol: 1e-5 });
    gpu.release(s.param, s.grad, s.m, s.v, s.scale);
  });

  it('decoupled weight decay: a zero gradient shrinks p by (1 - lr·wd); wd = 0 leaves it', async () => {
    const gpu = await testGpu();
    const n = 70;
    const p = randomArray(n, 9, 3);
    const zeros = new Float32Array(n);
    const a = upload(gpu, p, zeros, zeros, zeros, 1);
    adamwStep(gpu, a, 3, a.scale, { lr: 0.05, weightDecay: 0.2 });
    expectClose('decayed', await gpu.readF32(a.param), Array.from(p, (x) => x * (1 - 0.05 * 0.2)));
    const b = upload(gpu, p, zeros, zeros, zeros, 1);
    adamwStep(gpu, b, 3, b.scale, { lr: 0.05 });
    expectEqual('not decayed', await gpu.readF32(b.param), p);
    gpu.release(a.param, a.grad, a.m, a.v, a.scale, b.param, b.grad, b.m, b.v, b.scale);
  });

  it('a grad scale of 0 skips the step: param, m and v keep their bits', async () => {
    const gpu = await testGpu();
    const n = 33;
    const [p, g, m] = [randomArray(n, 1), randomArray(n, 2), randomArray(n, 3, 0.1)];
    const v = randomArray(n, 4, 0.1).map(Math.abs);
    g[5] = NaN; // the reason a step gets skipped
    const s = upload(gpu, p, g, m, v, 0);
    adamwStep(gpu, s, 2, s.scale, { lr: 0.1, weightDecay: 0.1 });
    const [gp, gm, gv] = await gpu.readMany([s.param, s.m, s.v]);
    expectEqual('param', gp, p);
    expectEqual('m', gm, m);
    expectEqual('v', gv, v);
    gpu.release(s.param, s.grad, s.m, s.v, s.scale);
  });

  it('five steps track the float64 optimizer run on its own state', async () => {
    const gpu = await testGpu();
    const n = 257;
    const h = full({ lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.05 });
    const p0 = randomArray(n, 11);
    const s = upload(gpu, p0, new Float32Array(n), new Float32Array(n), new Float32Array(n), 1);
    let ref: ReturnType<typeof adamwRef> = { param: Float64Array.from(p0), m: new Float64Array(n), v: new Float64Array(n) };
    for (let step = 1; step <= 5; step++) {
      const g = randomArray(n, 100 + step);
      gpu.write(s.grad, g);
      adamwStep(gpu, s, step, s.scale, h);
      ref = adamwRef(ref.param, g, ref.m, ref.v, step, 1, h);
    }
    expectClose('param delta after 5 steps', deltas(await gpu.readF32(s.param), p0), deltas(ref.param, p0), { atol: 1e-6, rtol: 1e-4 });
    gpu.release(s.param, s.grad, s.m, s.v, s.scale);
  });

  it('is deterministic and rejects aliased or mis-shaped tensors', async () => {
    const gpu = await testGpu();
    const n = 129;
    const args = [randomArray(n, 1), randomArray(n, 2), randomArray(n, 3, 0.1), randomArray(n, 4, 0.1).map(Math.abs)] as const;
    const a = upload(gpu, ...args, 0.5);
    const b = upload(gpu, ...args, 0.5);
    adamwStep(gpu, a, 4, a.scale, { lr: 0.02, weightDecay: 0.1 });
    adamwStep(gpu, b, 4, b.scale, { lr: 0.02, weightDecay: 0.1 });
    const [pa, pb] = await gpu.readMany([a.param, b.param]);
    expectEqual('param bits', new Uint32Array(pb.buffer), new Uint32Array(pa.buffer));
    expect(() => adamwStep(gpu, { ...a, m: a.v }, 1, a.scale, { lr: 0.1 })).toThrow(/four different buffers/);
    expect(() => adamwStep(gpu, { ...a, grad: a.scale }, 1, a.scale, { lr: 0.1 })).toThrow(/grad 'grad_scale' must be f32 holding 129 values/);
    expect(() => adamwStep(gpu, a, 0, a.scale, { lr: 0.1 })).toThrow(/step must be an integer >= 1/);
    gpu.release(a.param, a.grad, a.m, a.v, a.scale, b.param, b.grad, b.m, b.v, b.scale);
  });
});
