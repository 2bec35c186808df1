import { describe, expect, it } from 'vitest';
import { rmsnormBackward, rmsnormBackwardInto, rmsnormForward, RMSNORM_TUNING } from '../../kernels/rmsnorm/rmsnorm.ts';
import { rmsnormBackwardRef, rmsnormForwardRef } from '../../kernels/rmsnorm/reference.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import { testGpu } from '../helpers/gpu.ts';

const EPS = 1e-5;
const { WG, CHUNK_ROWS } = RMSNORM_TUNING;
// [N, H]: a full workgroup, H not a multiple of WG, a single row, more rows
// than one dg chunk with a tiny H, H = 1, H just above 4·WG, many chunks.
const SHAPES: Array<[number, number]> = [
  [4, WG],
  [7, 33],
  [1, 100],
  [CHUNK_ROWS * 2 + 5, 3],
  [9, 1],
  [3, 4 * WG + 1],
  [CHUNK_ROWS * 3 + 1, 40],
];

describe('rmsnorm', () => {
  for (const [N, H] of SHAPES) {
    it(`forward and backward [${N}, ${H}]`, async () => {
      const gpu = await testGpu();
      const x = randomArray(N * H, N * 100 + H, 2);
      const g = randomArray(H, H + 5);
      const dy = randomArray(N * H, N + H * 7);
      const X = gpu.upload(x, [N, H], 'x');
      const G = gpu.upload(g, [H], 'g');
      const DY = gpu.upload(dy, [N, H], 'dy');
      const { y, rinv } = rmsnormForward(gpu, X, G, EPS);
      const { dx, dg } = rmsnormBackward(gpu, DY, X, G, rinv);
      const ref = rmsnormForwardRef(x, g, N, H, EPS);
      const bref = rmsnormBackwardRef(dy, x, g, N, H, EPS);
      const [gy, gr, gdx, gdg] = await gpu.readMany([y, rinv, dx, dg]);
      expectClose('y', gy, ref.y);
      expectClose('rinv', gr, ref.rinv);
      expectClose('dx', gdx, bref.dx);
      expectClose('dg', gdg, bref.dg);
      gpu.release(X, G, DY, y, rinv, dx, dg);
    });
  }

  it('a zero row gives y = 0 and rinv = 1/sqrt(eps), never NaN', async () => {
    const gpu = await testGpu();
    const [N, H] = [2, 5];
    const x = new Float32Array([0, 0, 0, 0, 0, 3, 4, 0, 0, 0]);
    const g = new Float32Array([1, 1, 1, 1, 2]);
    const X = gpu.upload(x, [N, H], 'x');
    const G = gpu.upload(g, [H], 'g');
    const { y, rinv } = rmsnormForward(gpu, X, G, EPS);
    // Row 1: mean square = 25/5 = 5, so rinv = 1/sqrt(5 + eps).
    expectClose('rinv', await gpu.readF32(rinv), [1 / Math.sqrt(EPS), 1 / Math.sqrt(5 + EPS)]);
    const s = 1 / Math.sqrt(5 + EPS);
    expectClose('y', await gpu.readF32(y), [0, 0, 0, 0, 0, 3 * s, 4 * s, 0, 0, 0]);
    gpu.release(X, G, y, rinv);
  });

  it('backward accumulates into dx and dg when asked', async () => {
    const gpu = await testGpu();
    const [N, H] = [CHUNK_ROWS + 3, 17];
    const x = randomArray(N * H, 11);
    const g = randomArray(H, 12);
    const dy = randomArray(N * H, 13);
    const dx0 = randomArray(N * H, 14);
    const dg0 = randomArray(H, 15);
    const X = gpu.upload(x, [N, H], 'x');
    const G = gpu.upload(g, [H], 'g');
    const DY = gpu.upload(dy, [N, H], 'dy');
    const DX = gpu.upload(dx0, [N, H], 'dx');
    const DG = gpu.upload(dg0, [H], 'dg');
    const { y, rinv } = rmsnormForward(gpu, X, G, EPS);
    rmsnormBackwardInto(gpu, DX, DG, DY, X, G, rinv, { accumulateDx: true, accumulateDg: true });
    const bref = rmsnormBackwardRef(dy, x, g, N, H, EPS);
    expectClose('dx', await gpu.readF32(DX), bref.dx.map((v, i) => v + dx0[i]));
    expectClose('dg', await gpu.readF32(DG), bref.dg.map((v, i) => v + dg0[i]));
    gpu.release(X, G, DY, DX, DG, y, rinv);
  });

  it('is deterministic: the same inputs twice give the same bits', async () => {
    const gpu = await testGpu();
    const [N, H] = [CHUNK_ROWS * 4 + 7, 129];
    const X = gpu.upload(randomArray(N * H, 21, 3), [N, H], 'x');
    const G = gpu.upload(randomArray(H, 22), [H], 'g');
    const DY = gpu.upload(randomArray(N * H, 23), [N, H], 'dy');
    const bits = async () => {
      const { y, rinv } = rmsnormForward(gpu, X, G, EPS);
      const { dx, dg } = rmsnormBackward(gpu, DY, X, G, rinv);
      const out = (await gpu.readMany([y, rinv, dx, dg])).map((a) => new Uint32Array(a.buffer.slice(0)));
      gpu.release(y, rinv, dx, dg);
      return out;
    };
    const a = await bits();
    const b = await bits();
    for (let i = 0; i < a.length; i++) expectEqual(`output ${i} bits`, b[i], a[i]);
    gpu.release(X, G, DY);
  });

  it('names the shapes when the gain does not match', async () => {
    const gpu = await testGpu();
    const X = gpu.upload(randomArray(6, 1), [2, 3], 'x');
    const G = gpu.upload(randomArray(4, 2), [4], 'g');
    expect(() => rmsnormForward(gpu, X, G)).toThrow(/gain 'g' must be \[3\] to match x \[2, 3\], got \[4\]/);
    gpu.release(X, G);
  });
});
