/**
 * Grouped SwiGLU experts (kernels/experts/), forward and backward, against
 * the float64 reference on awkward routing: an expert with no rows, all rows
 * to one expert, row counts that are not multiples of the 16-row tile, H and
 * F that take the zero-padding path, and no rows at all. Rows beyond
 * offsets[E] hold NaN: any read of them shows. Smaller than
 * test/kernels/experts.test.ts, which covers the arithmetic exhaustively.
 *
 * Legend: R permuted rows, H hidden, F expert FFN dim, E experts.
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { expertsBackward, expertsForward, releaseExpertsSaved } from '../../kernels/experts/experts.ts';
import { expertsBackwardRef, expertsForwardRef } from '../../kernels/experts/reference.ts';
import { expectClose } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import type { SharedCase } from './case.ts';

/** `counts`: rows of each expert in order; R - sum(counts) unused trailing rows. */
async function forwardBackward(gpu: Gpu, H: number, F: number, counts: readonly number[], R: number, seed: number): Promise<void> {
  const E = counts.length;
  const offsets = new Uint32Array(E + 1);
  counts.forEach((n, e) => (offsets[e + 1] = offsets[e] + n));
  const used = offsets[E];
  const x = randomArray(R * H, seed).fill(NaN, used * H);
  const dy = randomArray(R * H, seed + 1).fill(NaN, used * H);
  const wGate = randomArray(E * H * F, seed + 2, 1 / Math.sqrt(H));
  const wUp = randomArray(E * H * F, seed + 3, 1 / Math.sqrt(H));
  const wDown = randomArray(E * F * H, seed + 4, 1 / Math.sqrt(F));
  const xp_RH = gpu.upload(x, [R, H], 'xp_RH');
  const dy_RH = gpu.upload(dy, [R, H], 'dy_RH');
  const offsets_E1 = gpu.upload(offsets, [E + 1], 'offsets_E1');
  const w = {
    wGate_EHF: gpu.upload(wGate, [E, H, F], 'wGate_EHF'),
    wUp_EHF: gpu.upload(wUp, [E, H, F], 'wUp_EHF'),
    wDown_EFH: gpu.upload(wDown, [E, F, H], 'wDown_EFH'),
  };
  const { y_RH, saved } = expertsForward(gpu, xp_RH, offsets_E1, w, { label: 'shared.experts' });
  const d = expertsBackward(gpu, saved, dy_RH);
  try {
    const [y, g, u, dx, dWGate, dWUp, dWDown] = await gpu.readMany([y_RH, saved.g_RF, saved.u_RF, d.dxp_RH, d.dWGate_EHF, d.dWUp_EHF, d.dWDown_EFH]);
    const p = { H, F, E, x, offsets, wGate, wUp, wDown };
    const fwd = expertsForwardRef(p);
    const bwd = expertsBackwardRef(p, dy);
    // g and u are saved with F rounded up to a multiple of 4: compare the used rows' first F columns.
    const Fs = saved.g_RF.shape[1];
    const usedCols = (a: ArrayLike<number>) => Float32Array.from({ length: used * F }, (_, i) => a[Math.floor(i / F) * Fs + (i % F)]);
    expectClose('experts g_RF', usedCols(g), fwd.g);
    expectClose('experts u_RF', usedCols(u), fwd.u);
    expectClose('experts y_RH', y.subarray(0, used * H), fwd.y);
    expectClose('experts dxp_RH', dx.subarray(0, used * H), bwd.dx);
    expectClose('experts dWGate_EHF', dWGate, bwd.dWGate);
    expectClose('experts dWUp_EHF', dWUp, bwd.dWUp);
    expectClose('experts dWDown_EFH', dWDown, bwd.dWDown);
    // The tolerance would let a tiny value through; an expert without rows gets exactly 0 from a poisoned pool.
    for (const [name, grad] of [['dWGate_EHF', dWGate], ['dWUp_EHF', dWUp], ['dWDown_EFH', dWDown]] as const) {
      const n = grad.length / E;
      counts.forEach((c, e) => {
        if (c > 0) return;
        const bad = grad.subarray(e * n, (e + 1) * n).findIndex((v) => !Object.is(v, 0));
        if (bad >= 0) throw new Error(`experts ${name}[${e}] (an expert with no rows) holds ${grad[e * n + bad]} at ${bad}, expected exactly 0`);
      });
    }
  } finally {
    releaseExpertsSaved(gpu, saved);
    gpu.release(xp_RH, dy_RH, offsets_E1, w.wGate_EHF, w.wUp_EHF, w.wDown_EFH, y_RH, d.dxp_RH, d.dWGate_EHF, d.dWUp_EHF, d.dWDown_EFH);
  }
}

// The row tile is 16 rows (kernels/experts/launch.ts); counts 5, 19, 33 end on partial tiles.
export const expertsCases: readonly SharedCase[] = [
  {
    name: 'experts: rows [5, 0, 19] (an empty expert, partial tiles), 3 unused rows, H=8 F=12',
    run: (gpu) => forwardBackward(gpu, 8, 12, [5, 0, 19], 27, 10),
  },
  {
    name: 'experts: all 33 rows to expert 1 of 3, H=12 F=8',
    run: (gpu) => forwardBackward(gpu, 12, 8, [0, 33, 0], 33, 20),
  },
  {
    name: 'experts: H=6 F=10 (zero-padded to multiples of 4), rows [3, 17]',
    run: (gpu) => forwardBackward(gpu, 6, 10, [3, 17], 20, 30),
  },
  {
    // H and F multiples of 64: the forward kernels read every weight through a texture.
    name: 'experts: weights through textures, rows [5, 0, 19], H=64 F=128',
    run: async (gpu) => {
      const saved = gpu.textureOperands;
      gpu.textureOperands = true;
      try {
        await forwardBackward(gpu, 64, 128, [5, 0, 19], 27, 50);
      } finally {
        gpu.textureOperands = saved;
      }
    },
  },
  {
    name: 'experts: no rows in use (R=3 unused), every weight gradient exactly 0',
    run: (gpu) => forwardBackward(gpu, 4, 4, [0, 0], 3, 40),
  },
];
