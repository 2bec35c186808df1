/**
 * matmul in every transpose combination against the float64 reference, on
 * shapes that are not multiples of the workgroup tiles (32 x 64 for the 8 x 8
 * block, 64 x 64 for the 16 x 16 one), plus the batched
 * accumulate path and K = 0. Smaller than test/kernels/matmul.test.ts: these
 * exist to catch runtime differences (wgpu vs Dawn validation, WGSL
 * compilers), not to re-test the kernel's arithmetic exhaustively.
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { matmul, matmulInto } from '../../kernels/matmul/matmul.ts';
import { matmulRef } from '../../kernels/matmul/reference.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import type { SharedCase } from './case.ts';

async function product(gpu: Gpu, M: number, K: number, N: number, transA: boolean, transB: boolean): Promise<void> {
  const a = randomArray(M * K, M * 1000 + K);
  const b = randomArray(K * N, K * 1000 + N + 7);
  const A = gpu.upload(a, transA ? [K, M] : [M, K], 'A');
  const B = gpu.upload(b, transB ? [N, K] : [K, N], 'B');
  const C = matmul(gpu, A, B, { transA, transB });
  try {
    expectClose(`matmul C [${M}, ${N}]`, await gpu.readF32(C), matmulRef(a, b, M, K, N, { transA, transB }));
  } finally {
    gpu.release(A, B, C);
  }
}

const SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [37, 53, 29], // every dimension ragged against the tiles
  [5, 1, 7], // K = 1
  [1, 70, 3], // one output row: 7 of the 8 block rows read clamped, never stored; K % 4 != 0: the scalar body's k loop
  [37, 52, 36], // K and N multiples of 4: untransposed, the 16 x 16 body (vec4 A and B, C); its last column block holds 4 columns
];

const products: SharedCase[] = [];
for (const [M, K, N] of SHAPES) {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      // Every transpose variant on the ragged shapes; the small shapes once each with and without transposes.
      if (M !== 37 && transA !== transB) continue;
      products.push({
        name: `matmul: op(A)[${M},${K}]·op(B)[${K},${N}] transA=${transA} transB=${transB}`,
        run: (gpu) => product(gpu, M, K, N, transA, transB),
      });
    }
  }
}

/** Runs `f` with texture operands on (whatever the adapter), so every runtime runs the texture body. */
async function withTextures(gpu: Gpu, f: () => Promise<void>): Promise<void> {
  const saved = gpu.textureOperands;
  gpu.textureOperands = true;
  try {
    await f();
  } finally {
    gpu.textureOperands = saved;
  }
}

/** C = 0.5·A·B + C over 3 products of [19, K]·[K, N]; `seed` and the next two draw A, B and C. */
async function batchedAccumulate(gpu: Gpu, K: number, N: number, seed: number, what: string): Promise<void> {
  const [batch, M] = [3, 19];
  const a = randomArray(batch * M * K, seed);
  const b = randomArray(batch * K * N, seed + 1);
  const c0 = randomArray(batch * M * N, seed + 2);
  const A = gpu.upload(a, [batch, M, K], 'A');
  const B = gpu.upload(b, [batch, K, N], 'B');
  const C = gpu.upload(c0, [batch, M, N], 'C');
  matmulInto(gpu, C, A, B, { batch, accumulate: true, alpha: 0.5 });
  try {
    expectClose(`matmul C (${what})`, await gpu.readF32(C), matmulRef(a, b, M, K, N, { batch, alpha: 0.5, c0 }));
  } finally {
    gpu.release(A, B, C);
  }
}

export const matmulCases: readonly SharedCase[] = [
  ...products,
  {
    // N % 64 == 0 and untransposed: B read through a texture (the 16 x 8 texture body), M ragged.
    name: 'matmul: op(A)[37,52]·op(B)[52,64], B through a texture',
    run: (gpu) => withTextures(gpu, () => product(gpu, 37, 52, 64, false, false)),
  },
  {
    name: 'matmul: batched through a texture array (a layer per product), accumulate, alpha=0.5',
    run: (gpu) => withTextures(gpu, () => batchedAccumulate(gpu, 8, 64, 4, 'texture, batched, accumulate')),
  },
  {
    name: 'matmul: batched, accumulate, alpha=0.5',
    run: (gpu) => batchedAccumulate(gpu, 33, 21, 1, 'batched, accumulate'),
  },
  {
    name: 'matmul: K = 0 writes zeros',
    run: async (gpu) => {
      const A = gpu.upload(new Float32Array(0), [4, 0], 'A');
      const B = gpu.upload(new Float32Array(0), [0, 3], 'B');
      const C = matmul(gpu, A, B);
      try {
        // The pool may hand back a NaN-poisoned buffer: every output must still be written.
        expectEqual('matmul C (K = 0)', await gpu.readF32(C), new Float32Array(12));
      } finally {
        gpu.release(A, B, C);
      }
    },
  },
];
