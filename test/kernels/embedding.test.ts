import { describe, expect, it } from 'vitest';
import { embeddingBackward, embeddingBackwardInto, embeddingForward, EMBEDDING_TUNING, sortTokenPositions } from '../../kernels/embedding/embedding.ts';
import { embeddingBackwardRef, embeddingForwardRef } from '../../kernels/embedding/reference.ts';
import { checkTokenIds, uploadTokenIds } from '../../kernels/embedding/token-ids.ts';
import { expectClose, expectEqual } from '../helpers/numerics.ts';
import { randomArray, rng } from '../helpers/rng.ts';
import { testGpu } from '../helpers/gpu.ts';

const { SORT_WG } = EMBEDDING_TUNING;

/** Ids drawn from the first `used` tokens only, so the rest of the vocabulary is unused. */
function randomIds(N: number, used: number, seed: number): Uint32Array {
  const r = rng(seed);
  return Uint32Array.from({ length: N }, () => Math.floor(r() * used));
}

// [N, V, H, used tokens]: small; more positions than one sort block with
// heavy repeats; V = 1; several blocks and many unused rows; H = 1 with a
// large mostly unused vocabulary; N not a multiple of anything.
const CASES: Array<[number, number, number, number]> = [
  [16, 10, 8, 6],
  [SORT_WG + 44, 7, 5, 7],
  [5, 1, 3, 1],
  [2 * SORT_WG + 1, 256, 33, 100],
  [37, 1000, 1, 20],
  [SORT_WG * 3, 3, 4, 1],
];

describe('embedding', () => {
  for (const [N, V, H, used] of CASES) {
    it(`forward and backward N=${N} V=${V} H=${H} (${used} tokens used)`, async () => {
      const gpu = await testGpu();
      const table = randomArray(V * H, V + H);
      const ids = randomIds(N, used, N * 31 + V);
      const dOut = randomArray(N * H, N + 3 * H);
      const T = gpu.upload(table, [V, H], 'table');
      const I = uploadTokenIds(gpu, ids, [N], V, 'ids');
      const D = gpu.upload(dOut, [N, H], 'dOut');
      const out = embeddingForward(gpu, T, I);
      const dTable = embeddingBackward(gpu, D, I, V);
      const [gOut, gdT] = await gpu.readMany([out, dTable]);
      // The gather copies values: exact.
      expectEqual('out', gOut, embeddingForwardRef(table, ids, V, H));
      const ref = embeddingBackwardRef(dOut, ids, V, H);
      expectClose('dTable', gdT, ref);
      // Rows of tokens that never occur are exactly 0, not merely small.
      const unused = Array.from({ length: V }, (_, v) => v).filter((v) => !ids.includes(v));
      expectEqual('unused rows', unused.flatMap((v) => [...gdT.subarray(v * H, (v + 1) * H)]), new Array(unused.length * H).fill(0));
      gpu.release(T, I, D, out, dTable);
    });
  }

  it('groups positions by token, ascending within each token (a stable sort)', async () => {
    const gpu = await testGpu();
    const [N, V] = [2 * SORT_WG + 77, 19];
    const ids = randomIds(N, 12, 5);
    const I = uploadTokenIds(gpu, ids, [N], V, 'ids');
    const { offsets, sortedPos } = sortTokenPositions(gpu, I, V);
    const [gOff, gPos] = await gpu.readMany([offsets, sortedPos]);
    // Independent expectation: for each token in order, the positions holding it.
    const wantPos: number[] = [];
    const wantOff: number[] = [];
    for (let v = 0; v < V; v++) {
      wantOff.push(wantPos.length);
      ids.forEach((id, n) => id === v && wantPos.push(n));
    }
    wantOff.push(wantPos.length);
    expectEqual('offsets', gOff, wantOff);
    expectEqual('sortedPos', gPos, wantPos);
    gpu.release(I, offsets, sortedPos);
  });

  it('sums each row in ascending position order: bitwise a float32 running sum', async () => {
    const gpu = await testGpu();
    const [N, V, H] = [SORT_WG * 2 + 9, 4, 6];
    const ids = randomIds(N, V, 77);
    // Mixed magnitudes make float32 sums order-sensitive.
    const dOut = randomArray(N * H, 78).map((v, i) => v * 10 ** ((i % 7) - 3));
    const I = uploadTokenIds(gpu, ids, [N], V, 'ids');
    const D = gpu.upload(dOut, [N, H], 'dOut');
    const dTable = embeddingBackward(gpu, D, I, V);
    const want = new Float32Array(V * H);
    for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) want[ids[n] * H + h] = Math.fround(want[ids[n] * H + h] + dOut[n * H + h]);
    expectEqual('dTable', await gpu.readF32(dTable), want);
    gpu.release(I, D, dTable);
  });

  it('is deterministic: the same inputs twice give the same bits', async () => {
    const gpu = await testGpu();
    const [N, V, H] = [3 * SORT_WG + 5, 50, 9];
    const ids = randomIds(N, 30, 9);
    const I = uploadTokenIds(gpu, ids, [N], V, 'ids');
    const D = gpu.upload(randomArray(N * H, 10, 100), [N, H], 'dOut');
    const a = embeddingBackward(gpu, D, I, V);
    const b = embeddingBackward(gpu, D, I, V);
    const [ga, gb] = await gpu.readMany([a, b]);
    expectEqual('bits', new Uint32Array(gb.buffer), new Uint32Array(ga.buffer));
    gpu.release(I, D, a, b);
  });

  it('accumulates into dTable when asked; no positions leaves it unchanged', async () => {
    const gpu = await testGpu();
    const [N, V, H] = [20, 9, 3];
    const ids = randomIds(N, 5, 3);
    const dOut = randomArray(N * H, 4);
    const dT0 = randomArray(V * H, 5);
    const I = uploadTokenIds(gpu, ids, [4, 5], V, 'ids');
    const D = gpu.upload(dOut, [4, 5, H], 'dOut');
    const DT = gpu.upload(dT0, [V, H], 'dTable');
    embeddingBackwardInto(gpu, DT, D, I, { accumulate: true });
    const ref = embeddingBackwardRef(dOut, ids, V, H);
    expectClose('dTable', await gpu.readF32(DT), ref.map((v, i) => v + dT0[i]));
    const none = gpu.upload(new Uint32Array(0), [0], 'no ids');
    const dNone = gpu.upload(new Float32Array(0), [0, H], 'no dOut');
    embeddingBackwardInto(gpu, DT, dNone, none, { accumulate: true });
    expectClose('dTable after no positions', await gpu.readF32(DT), ref.map((v, i) => v + dT0[i]));
    const zero = embeddingBackward(gpu, dNone, none, V);
    expectEqual('dTable from no positions', await gpu.readF32(zero), new Array(V * H).fill(0));
    gpu.release(I, D, DT, none, dNone, zero);
  });

  it('rejects out-of-range ids on the host, naming the id and its position', async () => {
    const gpu = await testGpu();
    expect(() => checkTokenIds([1, 2, 9, 3], 5)).toThrow(/token ids: id 9 at position 2 is outside the vocabulary \[0, 5\)/);
    expect(() => checkTokenIds([0, -1], 5)).toThrow(/id -1 at position 1/);
    expect(() => uploadTokenIds(gpu, [0, 1, 2, 3, 4, 7], [2, 3], 5, 'batch')).toThrow(/batch: id 7 at position 5 \(index \[1, 2\] of shape \[2, 3\]\)/);
    expect(() => checkTokenIds([0, 0xffffffff], 5, { ignore: 0xffffffff })).not.toThrow();
  });

  it('on the GPU an unchecked out-of-range id gives a zero row and no gradient', async () => {
    const gpu = await testGpu();
    const [V, H] = [3, 4];
    const table = randomArray(V * H, 1);
    const ids = new Uint32Array([2, 3, 0, 0xffffffff, 2]);
    const dOut = randomArray(ids.length * H, 2);
    const T = gpu.upload(table, [V, H], 'table');
    const I = gpu.upload(ids, [ids.length], 'ids');
    const D = gpu.upload(dOut, [ids.length, H], 'dOut');
    const out = embeddingForward(gpu, T, I);
    const dT = embeddingBackward(gpu, D, I, V);
    expectEqual('out', await gpu.readF32(out), embeddingForwardRef(table, ids, V, H));
    expectClose('dTable', await gpu.readF32(dT), embeddingBackwardRef(dOut, ids, V, H));
    gpu.release(T, I, D, out, dT);
  });
});
