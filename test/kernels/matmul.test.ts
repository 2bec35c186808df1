import { describe, expect, it } from 'vitest';
import { matmul, matmulInto } from '../../kernels/matmul/matmul.ts';
import { matmulRef } from '../../kernels/matmul/reference.ts';
import { expectClose } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import { testGpu } from '../helpers/gpu.ts';

// Shapes: square, sizes not a multiple of the 64x64 tile, K = 1, skinny, empty K.
const SHAPES: Array<[number, number, number]> = [
  [64, 64, 64],
  [37, 53, 29],
  [5, 1, 7],
  [1, 130, 3],
  [130, 17, 65],
  // K % 4 == 0 (untransposed A is read as vec4): ragged M and N, K = 4, several row and column blocks.
  [37, 52, 29],
  [3, 4, 5],
  [130, 20, 65],
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

  // K = 32 takes the vec4 body (untransposed A, K % 4 == 0), K = 33 the scalar one.
  for (const K of [33, 32]) {
    it(`accumulates with alpha and runs batched products (K=${K})`, async () => {
      const gpu = await testGpu();
      const [batch, M, N] = [3, 19, 21];
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
