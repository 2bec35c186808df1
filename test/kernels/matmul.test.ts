import { describe, expect, it } from 'vitest';
import { MATMUL_TUNING, matmul, matmulBody, matmulInto } from '../../kernels/matmul/matmul.ts';
import { matmulRef } from '../../kernels/matmul/reference.ts';
import { expectClose } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import { testGpu } from '../helpers/gpu.ts';

// Shapes [M, K, N]: square, sizes not a multiple of the workgroup tiles (32 x 64 for the 8 x 8
// block, 64 x 64 for the 16 x 16 one, 64 x 64 for the 16 x 8 texture one), K = 1, skinny.
// Untransposed operands take the texture body when K % 4 == 0 and N % 64 == 0 (the test GPU is
// software, where texture operands are on), else the 16 x 16 body (vec4ab) when K and N are
// multiples of 4, else the vec4a body when K is, else the scalar one.
const SHAPES: Array<[number, number, number]> = [
  [64, 64, 64],
  [37, 53, 29],
  [5, 1, 7],
  [1, 130, 3],
  [130, 17, 65],
  // K % 4 == 0, N % 4 != 0 (untransposed A read as vec4): ragged M and N, K = 4, several row and column blocks.
  [37, 52, 29],
  [3, 4, 5],
  [130, 20, 65],
  // K and N multiples of 4 (both read as vec4 when untransposed): ragged M; the last 16-column block
  // holds 4, 8 or 12 columns; one row; K = 4; several row and column workgroups.
  [37, 52, 36],
  [17, 36, 24],
  [65, 8, 140],
  [1, 4, 4],
  [130, 20, 68],
  // N % 64 == 0 (B through a texture when untransposed): ragged M, one row, K = 4, several row and
  // column workgroups.
  [37, 52, 64],
  [1, 4, 64],
  [130, 20, 192],
];

describe('matmul', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const [M, K, N] of SHAPES) {
        it(`op(A)[${M},${K}]·op(B)[${K},${N}] transA=${transA} transB=${transB}`, async () => {
          const gpu = await testGpu();
          const a = randomArray(M * K, M * 1000 + K);
          const b = randomArray(K * N, K * 1000 + N + 7);
          const A = gpu.upload(a, transA ? [K, M] : [M, K], 'A');
          const B = gpu.upload(b, transB ? [N, K] : [K, N], 'B');
          const C = matmul(gpu, A, B, { transA, transB });
          expectClose('C', await gpu.readF32(C), matmulRef(a, b, M, K, N, { transA, transB }));
          gpu.release(A, B, C);
        });
      }
    }
  }

  // K = 33 takes the scalar body, K = 32 the vec4a one (N = 21), K = 32 with N = 24 the vec4ab one,
  // K = 32 with N = 64 the texture one (a texture layer per product).
  for (const [K, N] of [[33, 21], [32, 21], [32, 24], [32, 64]]) {
    it(`accumulates with alpha and runs batched products (K=${K} N=${N}: ${matmulBody({}, K, N, N % 64 === 0)})`, async () => {
      const gpu = await testGpu();
      const [batch, M] = [3, 19];
      const a = randomArray(batch * M * K, 1);
      const b = randomArray(batch * K * N, 2);
      const c0 = randomArray(batch * M * N, 3);
      const A = gpu.upload(a, [batch, M, K], 'A');
      const B = gpu.upload(b, [batch, K, N], 'B');
      const C = gpu.upload(c0, [batch, M, N], 'C');
      matmulInto(gpu, C, A, B, { batch, accumulate: true, alpha: 0.5 });
      expectClose('C', await gpu.readF32(C), matmulRef(a, b, M, K, N, { batch, alpha: 0.5, c0 }));
      gpu.release(A, B, C);
    });
  }

  it('picks the body from the layout, or from the block of a given tuning', () => {
    expect(matmulBody({}, 64, 64)).toBe('vec4ab');
    expect(matmulBody({}, 64, 66)).toBe('vec4a');
    expect(matmulBody({ transB: true }, 64, 64)).toBe('vec4a');
    expect(matmulBody({}, 66, 64)).toBe('scalar');
    expect(matmulBody({ transA: true }, 64, 64)).toBe('scalar');
    expect(matmulBody({}, 0, 64)).toBe('scalar');
    expect(matmulBody({ tuning: MATMUL_TUNING.block8 }, 64, 64)).toBe('vec4a');
    expect(() => matmulBody({ transB: true, tuning: MATMUL_TUNING.block16 }, 64, 64)).toThrow(/16 x 16 block needs untransposed A and B.*K=64 N=64 transB/);
    expect(matmulBody({}, 64, 64, true)).toBe('tex');
    expect(matmulBody({}, 64, 66, true)).toBe('vec4a');
    expect(matmulBody({ transB: true }, 64, 64, true)).toBe('vec4a');
    expect(matmulBody({ tuning: MATMUL_TUNING.block16 }, 64, 64, true)).toBe('vec4ab');
    expect(() => matmulBody({ tuning: MATMUL_TUNING.blockTex }, 64, 64)).toThrow(/16 x 8 block reads B through a texture.*K=64 N=64 \(no texture for B\)/);
    expect(() => matmulBody({ tuning: { WG_X: 8, WG_Y: 4, TM: 8, TN: 16 } }, 64, 64)).toThrow(/no body is written for a 8 x 16 block/);
  });

  it('takes storage buffers for B when texture operands are off, with the same result', async () => {
    const gpu = await testGpu();
    const [M, K, N] = [37, 52, 64];
    const a = randomArray(M * K, 21);
    const b = randomArray(K * N, 22);
    const A = gpu.upload(a, [M, K], 'A');
    const B = gpu.upload(b, [K, N], 'B');
    const saved = gpu.textureOperands;
    gpu.textureOperands = false;
    try {
      expect(gpu.canTexture({ layers: 1, rows: K, cols: N })).toBe(false);
      const C = matmul(gpu, A, B);
      expectClose('C', await gpu.readF32(C), matmulRef(a, b, M, K, N, {}));
      gpu.release(C);
    } finally {
      gpu.textureOperands = saved;
    }
    gpu.release(A, B);
  });

  it('refills the shared B texture in order: products recorded back to back each see their own B', async () => {
    const gpu = await testGpu();
    expect(gpu.canTexture({ layers: 1, rows: 8, cols: 64 })).toBe(true);
    const [M, K, N] = [20, 8, 64];
    const a = randomArray(M * K, 31);
    const b1 = randomArray(K * N, 32);
    const b2 = randomArray(K * N, 33);
    const A = gpu.upload(a, [M, K], 'A');
    const B1 = gpu.upload(b1, [K, N], 'B1');
    const B2 = gpu.upload(b2, [K, N], 'B2');
    const C1 = matmul(gpu, A, B1);
    const C2 = matmul(gpu, A, B2);
    const [c1, c2] = await gpu.readMany([C1, C2]);
    expectClose('C1', c1 as Float32Array, matmulRef(a, b1, M, K, N, {}));
    expectClose('C2', c2 as Float32Array, matmulRef(a, b2, M, K, N, {}));
    gpu.release(A, B1, B2, C1, C2);
  });

  it('runs the plain layout on the 8 x 8 block when a tuning asks for it (as the router does)', async () => {
    const gpu = await testGpu();
    const [M, K, N] = [37, 52, 36];
    const a = randomArray(M * K, 11);
    const b = randomArray(K * N, 12);
    const A = gpu.upload(a, [M, K], 'A');
    const B = gpu.upload(b, [K, N], 'B');
    const C = matmul(gpu, A, B, { tuning: { WG_X: 2, WG_Y: 16, TM: 8, TN: 8 } });
    expectClose('C', await gpu.readF32(C), matmulRef(a, b, M, K, N, {}));
    gpu.release(A, B, C);
  });

  it('K = 0 gives zeros, and mismatched shapes name both operands', async () => {
    const gpu = await testGpu();
    const A = gpu.upload(new Float32Array(0), [4, 0], 'A');
    const B = gpu.upload(new Float32Array(0), [0, 3], 'B');
    const C = matmul(gpu, A, B);
    expect([...(await gpu.readF32(C))]).toEqual(new Array(12).fill(0));
    const X = gpu.upload(randomArray(6, 1), [2, 3], 'X');
    expect(() => matmul(gpu, X, X)).toThrow(/inner dimensions differ.*\[2, 3\]/);
  });
});
