import { describe, expect, it } from 'vitest';
import { add, addInto, axpby, ELEMENTWISE_TUNING, fill, scaleInPlace } from '../../kernels/elementwise/elementwise.ts';
import { addRef, axpbyRef } from '../../kernels/elementwise/reference.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import { testGpu } from '../helpers/gpu.ts';

const { WG } = ELEMENTWISE_TUNING;

describe('elementwise', () => {
  for (const n of [1, WG - 1, WG, WG + 1, 1000]) {
    it(`fill, scale, axpby and add over n=${n}`, async () => {
      const gpu = await testGpu();
      const a = randomArray(n, n + 1);
      const b = randomArray(n, n + 2);
      const A = gpu.upload(a, [n], 'a');
      const B = gpu.upload(b, [n], 'b');
      const F = gpu.empty([n], 'f32', 'filled');
      fill(gpu, F, -2.5);
      const S = gpu.upload(a, [n], 's');
      scaleInPlace(gpu, S, 0.25);
      const Y = gpu.upload(b, [n], 'y');
      axpby(gpu, Y, A, 0.5, -2);
      const O = add(gpu, A, B, 1, 3);
      const [gf, gs, gy, go] = await gpu.readMany([F, S, Y, O]);
      expectEqual('fill', gf, new Array(n).fill(-2.5));
      expectClose('scale', gs, Array.from(a, (x) => 0.25 * x));
      expectClose('axpby', gy, axpbyRef(b, a, 0.5, -2));
      expectClose('add', go, addRef(a, b, 1, 3));
      gpu.release(A, B, F, S, Y, O);
    });
  }

  it('covers every element of a launch folded past 65,535 workgroups', async () => {
    const gpu = await testGpu();
    const n = 65535 * WG + 100;
    const big = gpu.empty([n], 'f32', 'big');
    fill(gpu, big, 7);
    const got = await gpu.readF32(big);
    expect(got.every((v) => v === 7)).toBe(true);
    gpu.release(big);
  });

  it('a + a is allowed; aliasing a written buffer is refused with a hint', async () => {
    const gpu = await testGpu();
    const a = randomArray(10, 3);
    const A = gpu.upload(a, [10], 'a');
    const O = gpu.empty([10], 'f32', 'o');
    addInto(gpu, O, A, A);
    expectClose('a + a', await gpu.readF32(O), Array.from(a, (x) => 2 * x));
    expect(() => axpby(gpu, A, A)).toThrow(/one buffer; hint: use scaleInPlace/);
    expect(() => addInto(gpu, A, A, O)).toThrow(/aliases an input/);
    expect(() => fill(gpu, O, NaN)).toThrow(/value must be finite/);
    gpu.release(A, O);
  });
});
