/**
 * Token embedding: forward gather and the deterministic backward (counting
 * sort of positions by id, then fixed-order row sums) against the float64
 * reference, with repeated and unused ids.
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { EMBEDDING_TUNING, embeddingBackward, embeddingForward } from '../../kernels/embedding/embedding.ts';
import { embeddingBackwardRef, embeddingForwardRef } from '../../kernels/embedding/reference.ts';
import { uploadTokenIds } from '../../kernels/embedding/token-ids.ts';
import { expectClose } from '../helpers/numerics.ts';
import { randomArray, rng } from '../helpers/rng.ts';
import type { SharedCase } from './case.ts';

async function forwardBackward(gpu: Gpu, N: number, V: number, H: number, used: number): Promise<void> {
  // Ids drawn from the first `used` tokens: repeats, and rows of the table no position touches.
  const r = rng(N * 7 + V);
  const ids = Uint32Array.from({ length: N }, () => Math.floor(r() * used));
  const table = randomArray(V * H, V + H);
  const dOut = randomArray(N * H, N + 3);
  const T = gpu.upload(table, [V, H], 'table');
  const I = uploadTokenIds(gpu, ids, [N], V, 'ids');
  const D = gpu.upload(dOut, [N, H], 'dOut');
  const out = embeddingForward(gpu, T, I);
  const dTable = embeddingBackward(gpu, D, I, V);
  try {
    const [gOut, gdTable] = await gpu.readMany([out, dTable]);
    expectClose('embedding out', gOut, embeddingForwardRef(table, ids, V, H));
    expectClose('embedding dTable', gdTable, embeddingBackwardRef(dOut, ids, V, H));
  } finally {
    gpu.release(T, I, D, out, dTable);
  }
}

// [N, V, H, used]: more positions than the sorting workgroup; a single hidden unit.
const SHAPES: ReadonlyArray<readonly [number, number, number, number]> = [
  [EMBEDDING_TUNING.SORT_WG + 44, 7, 5, 7],
  [37, 50, 1, 20],
];

export const embeddingCases: readonly SharedCase[] = SHAPES.map(([N, V, H, used]) => ({
  name: `embedding: forward and backward N=${N} V=${V} H=${H} (${used} ids used)`,
  run: (gpu) => forwardBackward(gpu, N, V, H, used),
}));
