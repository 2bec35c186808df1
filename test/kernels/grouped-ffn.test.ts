/**
 * Grouped SwiGLU experts against the float64 reference. Pooled buffers are
 * NaN-poisoned and rows past offsets[E] hold NaN, so a kernel that reads a
 * row or a buffer element it should not fails here.
 */
import { describe, expect, it } from 'vitest';
import { expertsBackward, expertsForward, releaseExpertsSaved } from '../../kernels/grouped-ffn/grouped-ffn.ts';
import { groupedFfnRef } from '../../kernels/grouped-ffn/reference.ts';
import { testGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';

interface Case {
  readonly name: string;
  readonly H: number;
  readonly F: number;
  /** Rows per expert; R may exceed their sum (unused trailing rows). */
  readonly rows: readonly number[];
  readonly R?: number;
}

const CASES: Case[] = [
  { name: 'rows per expert not multiples of the 8-row tile', H: 24, F: 40, rows: [5, 13, 1, 9] },
  { name: 'an expert with zero rows, trailing unused rows', H: 16, F: 12, rows: [7, 0, 6, 0], R: 20 },
  { name: 'all rows to one expert', H: 9, F: 70, rows: [0, 0, 33] },
  { name: 'E = 1, H and F not multiples of 64', H: 65, F: 3, rows: [17] },
  { name: 'tiny F = 1, K = 1 style single rows', H: 8, F: 1, rows: [1, 1, 1, 1, 1] },
  { name: 'case 5: E = 8, 4 rows', H: 6, F: 5, rows: [1, 0, 2, 0, 0, 1, 0, 0] },
];

describe('grouped SwiGLU experts', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const gpu = await testGpu();
      const E = c.rows.length;
      const kept = c.rows.reduce((a, b) => a + b, 0);
      const R = c.R ?? kept;
      const { H, F } = c;
      const offsets = new Uint32Array(E + 1);
      c.rows.forEach((n, e) => (offsets[e + 1] = offsets[e] + n));
      const xp = randomArray(R * H, 1 + R, 1);
      const dy = randomArray(R * H, 2 + R, 1);
      for (let i = kept * H; i < R * H; i++) {
        xp[i] = NaN; // unused rows: must not leak into any result
        dy[i] = NaN;
      }
      const wGate = randomArray(E * H * F, 3, 0.5);
      const wUp = randomArray(E * H * F, 4, 0.5);
      const wDown = randomArray(E * F * H, 5, 0.5);
      const ref = groupedFfnRef(xp, offsets, wGate, wUp, wDown, dy, { R, H, F, E });

      const XP = gpu.upload(xp, [R, H], 'xp');
      const OFF = gpu.upload(offsets, [E + 1], 'offsets');
      const w = { wGate_EHF: gpu.upload(wGate, [E, H, F], 'wGate'), wUp_EHF: gpu.upload(wUp, [E, H, F], 'wUp'), wDown_EFH: gpu.upload(wDown, [E, F, H], 'wDown') };
      const { y_RH, saved } = expertsForward(gpu, XP, OFF, w);
      const DY = gpu.upload(dy, [R, H], 'dy');
      const g = expertsBackward(gpu, saved, DY);
      const [y, dxp, dWGate, dWUp, dWDown] = await gpu.readMany([y_RH, g.dxp_RH, g.dWGate_EHF, g.dWUp_EHF, g.dWDown_EFH]);
      expectClose('y (kept rows)', y.subarray(0, kept * H), ref.y.subarray(0, kept * H));
      expectClose('dxp (kept rows)', dxp.subarray(0, kept * H), ref.dxp.subarray(0, kept * H));
      expectClose('dWGate', dWGate, ref.dWGate);
      expectClose('dWUp', dWUp, ref.dWUp);
      expectClose('dWDown', dWDown, ref.dWDown);
      // Experts with no rows: exactly 0.0 gradients (not just close), despite NaN-poisoned buffers.
      c.rows.forEach((n, e) => {
        if (n > 0) return;
        for (const [name, t, size] of [['dWGate', dWGate, H * F], ['dWUp', dWUp, H * F], ['dWDown', dWDown, F * H]] as const) {
          const block = [...t.subarray(e * size, (e + 1) * size)];
          expect(block.every((v) => Object.is(v, 0)), `${name} of empty expert ${e} is exactly +0`).toBe(true);
        }
      });
      releaseExpertsSaved(gpu, saved);
      gpu.release(XP, OFF, DY, y_RH, g.dxp_RH, g.dWGate_EHF, g.dWUp_EHF, g.dWDown_EFH, w.wGate_EHF, w.wUp_EHF, w.wDown_EFH);
    });
  }

  it('names the tensor and the expected shape on bad input', async () => {
    const gpu = await testGpu();
    const XP = gpu.upload(new Float32Array(12), [3, 4], 'xp');
    const OFF = gpu.upload(new Uint32Array([0, 3]), [2], 'offsets');
    const w = { wGate_EHF: gpu.upload(new Float32Array(10), [1, 5, 2], 'wGate'), wUp_EHF: gpu.upload(new Float32Array(10), [1, 5, 2], 'wUp'), wDown_EFH: gpu.upload(new Float32Array(10), [1, 2, 5], 'wDown') };
    expect(() => expertsForward(gpu, XP, OFF, w)).toThrow(/xp_RH 'xp' is f32 \[3, 4\], expected f32 \[R, 5\]/);
    gpu.release(XP, OFF, w.wGate_EHF, w.wUp_EHF, w.wDown_EFH);
  });
});
