import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../engine/gpu/index.ts';
import { expertsBackward, expertsForward, releaseExpertsSaved } from '../../kernels/experts/experts.ts';
import { EXPERTS_TUNING } from '../../kernels/experts/launch.ts';
import { resizeMatrices } from '../../kernels/experts/pad.ts';
import { expertsBackwardRef, expertsForwardRef, type ExpertsProblem } from '../../kernels/experts/reference.ts';
import { testGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';

// Legend: R permuted rows, H hidden, F expert FFN dim, E experts.
interface Case {
  readonly name: string;
  readonly H: number;
  readonly F: number;
  /** Rows of each expert, in order; their sum is offsets[E]. */
  readonly counts: readonly number[];
  /** Rows of the buffers; rows beyond sum(counts) hold NaN and must not leak. */
  readonly R: number;
}

// The row tile is 16 rows, the column tiles 32 (gate/up) or 64 columns, the
// weight-gradient tiles 64 x 64 (kernels/experts/launch.ts).
const CASES: readonly Case[] = [
  { name: 'rows per expert not multiples of the tile', H: 24, F: 20, counts: [5, 19, 33], R: 57 },
  { name: 'empty experts between full ones, unused trailing rows', H: 16, F: 32, counts: [7, 0, 12, 0], R: 30 },
  { name: 'all rows to one expert', H: 20, F: 12, counts: [0, 0, 40, 0], R: 40 },
  { name: 'E = 1', H: 36, F: 8, counts: [23], R: 23 },
  { name: 'tiny F, odd H', H: 17, F: 3, counts: [6, 9], R: 20 },
  { name: 'H and F not multiples of any tile, several tiles each way', H: 72, F: 81, counts: [40, 70, 25], R: 150 },
  { name: 'tile boundaries: 0, 1, 15, 16, 17, 32, 33 rows', H: 8, F: 8, counts: [0, 1, 15, 16, 17, 0, 32, 33, 2], R: 130 },
  // The forward kernels have a loop for 4, 8, 12 and 16 rows (FORWARD_ROW_PATHS, forward-rows.ts); an
  // expert's last tile runs the smallest that covers it: every count 1 .. 16, and more than one tile.
  { name: 'last tiles of every row count 1 .. 16 (each forward row path and its edges)', H: 12, F: 16, counts: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 30], R: 185 },
  // H and F multiples of 64: on the (software) test GPU the forward kernels read the weights through
  // textures (texture-operand.ts); the last case only the down projection's (F = 72 is not).
  { name: 'weights through textures, tile boundaries and empty experts', H: 64, F: 128, counts: [0, 1, 15, 17, 33, 0], R: 70 },
  { name: 'weights through textures, all rows to one expert', H: 128, F: 64, counts: [0, 50, 0], R: 50 },
  { name: 'weights through textures, last tiles of 3, 4, 5, 8, 9, 12, 13 and 16 rows', H: 64, F: 128, counts: [3, 4, 5, 8, 9, 12, 13, 16, 29], R: 99 },
  { name: 'down weights through a texture, gate and up from storage', H: 64, F: 72, counts: [9, 0, 20], R: 31 },
];

interface HostProblem extends ExpertsProblem {
  readonly x: Float32Array;
  readonly dy: Float32Array;
  readonly offsets: Uint32Array;
  readonly wGate: Float32Array;
  readonly wUp: Float32Array;
  readonly wDown: Float32Array;
}

function problem(c: Case, seed: number): HostProblem {
  const { H, F, R } = c;
  const E = c.counts.length;
  const offsets = new Uint32Array(E + 1);
  c.counts.forEach((n, e) => (offsets[e + 1] = offsets[e] + n));
  const used = offsets[E];
  const x = randomArray(R * H, seed);
  const dy = randomArray(R * H, seed + 1);
  // Unused rows hold garbage by contract: NaN, so that any read of them shows.
  x.fill(NaN, used * H);
  dy.fill(NaN, used * H);
  return {
    H, F, E, x, dy, offsets,
    wGate: randomArray(E * H * F, seed + 2, 1 / Math.sqrt(H)),
    wUp: randomArray(E * H * F, seed + 3, 1 / Math.sqrt(H)),
    wDown: randomArray(E * F * H, seed + 4, 1 / Math.sqrt(F)),
  };
}

interface Run {
  readonly used: number;
  readonly y: Float32Array;
  readonly g: Float32Array;
  readonly u: Float32Array;
  readonly dx: Float32Array;
  readonly dWGate: Float32Array;
  readonly dWUp: Float32Array;
  readonly dWDown: Float32Array;
}

async function runOnGpu(gpu: Gpu, c: Case, p: HostProblem): Promise<Run> {
  const { H, F, E } = p;
  const used = p.offsets[E];
  const xp = gpu.upload(p.x, [c.R, H], 'xp_RH');
  const offsets = gpu.upload(p.offsets, [E + 1], 'offsets_E1');
  const w = {
    wGate_EHF: gpu.upload(p.wGate, [E, H, F], 'wGate_EHF'),
    wUp_EHF: gpu.upload(p.wUp, [E, H, F], 'wUp_EHF'),
    wDown_EFH: gpu.upload(p.wDown, [E, F, H], 'wDown_EFH'),
  };
  const { y_RH, saved } = expertsForward(gpu, xp, offsets, w, { label: 'test.experts' });
  const dy = gpu.upload(p.dy, [c.R, H], 'dy_RH');
  const grads = expertsBackward(gpu, saved, dy);
  // g and u are saved with F rounded up to a multiple of 4 (kernels read 4 floats at a time).
  const savedCols = saved.g_RF.shape[1];
  const usedCols = (a: Float32Array) => Float32Array.from({ length: used * F }, (_, i) => a[Math.floor(i / F) * savedCols + (i % F)]);
  const run: Run = {
    used,
    y: (await gpu.readF32(y_RH)).slice(0, used * H),
    g: usedCols(await gpu.readF32(saved.g_RF)),
    u: usedCols(await gpu.readF32(saved.u_RF)),
    dx: (await gpu.readF32(grads.dxp_RH)).slice(0, used * H),
    dWGate: await gpu.readF32(grads.dWGate_EHF),
    dWUp: await gpu.readF32(grads.dWUp_EHF),
    dWDown: await gpu.readF32(grads.dWDown_EFH),
  };
  releaseExpertsSaved(gpu, saved);
  gpu.release(xp, offsets, w.wGate_EHF, w.wUp_EHF, w.wDown_EFH, y_RH, dy, grads.dxp_RH, grads.dWGate_EHF, grads.dWUp_EHF, grads.dWDown_EFH);
  return run;
}

/** The values of expert e's slice of an [E, ...] gradient. */
function expertSlice(a: Float32Array, E: number, e: number): Float32Array {
  const n = a.length / E;
  return a.subarray(e * n, (e + 1) * n);
}

describe('experts (grouped SwiGLU FFN)', () => {
  CASES.forEach((c, i) => {
    it(`${c.name}: H=${c.H} F=${c.F} rows per expert [${c.counts.join(', ')}], R=${c.R}`, async () => {
      const gpu = await testGpu();
      const p = problem(c, 100 * (i + 1));
      const got = await runOnGpu(gpu, c, p);
      const fwd = expertsForwardRef(p);
      const bwd = expertsBackwardRef(p, p.dy);
      expectClose('g', got.g, fwd.g);
      expectClose('u', got.u, fwd.u);
      expectClose('y', got.y, fwd.y);
      expectClose('dxp', got.dx, bwd.dx);
      expectClose('dWGate', got.dWGate, bwd.dWGate);
      expectClose('dWUp', got.dWUp, bwd.dWUp);
      expectClose('dWDown', got.dWDown, bwd.dWDown);
      // An expert without rows gets exactly 0.0, not a tiny or NaN value from a dirty pooled buffer.
      c.counts.forEach((n, e) => {
        if (n > 0) return;
        for (const [name, grad] of [['dWGate', got.dWGate], ['dWUp', got.dWUp], ['dWDown', got.dWDown]] as const) {
          const s = expertSlice(grad, c.counts.length, e);
          expect(s.every((v) => v === 0), `${name} of empty expert ${e} is exactly 0`).toBe(true);
        }
      });
    });
  });

  /** What `f` returns, and the names of the kernels it dispatches. */
  async function kernelsOf<T>(gpu: Gpu, f: () => Promise<T>): Promise<{ result: T; names: string[] }> {
    const names: string[] = [];
    const dispatch = gpu.dispatch.bind(gpu);
    gpu.dispatch = (kernel, ...rest) => {
      names.push(kernel.name);
      dispatch(kernel, ...rest);
    };
    try {
      return { result: await f(), names };
    } finally {
      gpu.dispatch = dispatch;
    }
  }

  it('the texture cases do take textures on the test GPU, and the storage kernels give the same results', async () => {
    const gpu = await testGpu();
    const c = CASES.find((k) => k.H === 64 && k.F === 128) as Case;
    const E = c.counts.length;
    expect(gpu.canTexture({ layers: E, rows: c.H, cols: c.F })).toBe(true);
    expect(gpu.canTexture({ layers: E, rows: c.F, cols: c.H })).toBe(true);
    expect(gpu.canTexture({ layers: 3, rows: 72, cols: 64 })).toBe(true);
    expect(gpu.canTexture({ layers: 3, rows: 64, cols: 72 })).toBe(false);
    const p = problem(c, 4242);
    const fwd = expertsForwardRef(p);
    const withTextures = (await kernelsOf(gpu, () => runOnGpu(gpu, c, p))).names;
    expect(withTextures).toEqual(expect.arrayContaining(['experts_gate_up_tex', 'experts_down_tex']));
    const saved = gpu.textureOperands;
    gpu.textureOperands = false;
    try {
      const { result: run, names } = await kernelsOf(gpu, () => runOnGpu(gpu, c, p));
      expect(names.filter((n) => n.endsWith('_tex'))).toEqual([]);
      expectClose('g', run.g, fwd.g);
      expectClose('u', run.u, fwd.u);
      expectClose('y', run.y, fwd.y);
    } finally {
      gpu.textureOperands = saved;
    }
  });

  it('with fewer than TEXTURE_MIN_ROWS_PER_EXPERT rows per expert the weights stay in storage (the copy would cost more)', async () => {
    const gpu = await testGpu();
    // E = 6, R = 20 < 8·6: textures would be allowed by the sizes (H, F multiples of 64), not by the rows.
    const c: Case = { name: 'few rows', H: 64, F: 128, counts: [3, 0, 5, 0, 2, 10], R: 20 };
    expect(c.R).toBeLessThan(EXPERTS_TUNING.TEXTURE_MIN_ROWS_PER_EXPERT * c.counts.length);
    expect(gpu.canTexture({ layers: 6, rows: 64, cols: 128 })).toBe(true);
    const p = problem(c, 999);
    const { result: got, names } = await kernelsOf(gpu, () => runOnGpu(gpu, c, p));
    expect(names).toContain('experts_gate_up');
    expect(names.filter((n) => n.endsWith('_tex'))).toEqual([]);
    expectClose('y', got.y, expertsForwardRef(p).y);
  });

  it('case 5: E=8, 4 tokens (K=1), NaN-poisoned pools: the empty experts weight gradients are exactly 0.0', async () => {
    const gpu = await testGpu();
    // 4 tokens routed to experts 1, 1, 4 and 6: five experts receive nothing.
    const c: Case = { name: 'case 5', H: 12, F: 24, counts: [0, 2, 0, 0, 1, 0, 1, 0], R: 4 };
    const p = problem(c, 5);
    const got = await runOnGpu(gpu, c, p);
    const bwd = expertsBackwardRef(p, p.dy);
    for (const e of [0, 2, 3, 5, 7]) {
      for (const [name, grad] of [['dWGate', got.dWGate], ['dWUp', got.dWUp], ['dWDown', got.dWDown]] as const) {
        expect([...new Set(expertSlice(grad, 8, e))], `${name}[${e}]`).toEqual([0]);
      }
    }
    expectClose('dWGate', got.dWGate, bwd.dWGate);
    expectClose('dWUp', got.dWUp, bwd.dWUp);
    expectClose('dWDown', got.dWDown, bwd.dWDown);
    expectClose('dxp', got.dx, bwd.dx);
  });

  it('is deterministic: two backward passes give bit-identical gradients', async () => {
    const gpu = await testGpu();
    const c = CASES[5];
    const p = problem(c, 77);
    const a = await runOnGpu(gpu, c, p);
    const b = await runOnGpu(gpu, c, p);
    for (const k of ['dx', 'dWGate', 'dWUp', 'dWDown'] as const) {
      expect(new Uint32Array(b[k].buffer).every((v, i) => v === new Uint32Array(a[k].buffer)[i]), k).toBe(true);
    }
  });

  it('resizeMatrices zero-pads and crops batches of matrices', async () => {
    const gpu = await testGpu();
    const src = gpu.upload(Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i + 1), [2, 2, 3], 'src');
    const padded = resizeMatrices(gpu, src, 3, 4, 'padded');
    expect(padded.shape).toEqual([2, 3, 4]);
    expect([...(await gpu.readF32(padded))]).toEqual([1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0, 7, 8, 9, 0, 10, 11, 12, 0, 0, 0, 0, 0]);
    const cropped = resizeMatrices(gpu, padded, 1, 2, 'cropped');
    expect([...(await gpu.readF32(cropped))]).toEqual([1, 2, 7, 8]);
    gpu.release(src, padded, cropped);
  });

  it('rejects inconsistent shapes with the names and a hint', async () => {
    const gpu = await testGpu();
    const [E, H, F, R] = [2, 4, 6, 5];
    const xp = gpu.upload(randomArray(R * H, 1), [R, H], 'xp_RH');
    const offsets = gpu.upload(new Uint32Array([0, 2, 5]), [E + 1], 'offsets_E1');
    const wGate_EHF = gpu.upload(randomArray(E * H * F, 2), [E, H, F], 'wGate_EHF');
    const wDown_EFH = gpu.upload(randomArray(E * F * H, 3), [E, F, H], 'wDown_EFH');
    const wrongUp = gpu.upload(randomArray(E * F * H, 4), [E, F, H], 'wUp');
    expect(() => expertsForward(gpu, xp, offsets, { wGate_EHF, wUp_EHF: wrongUp, wDown_EFH })).toThrow(/wUp_EHF is \[2, 6, 4\], expected \[2, 4, 6\]/);
    const shortOffsets = gpu.upload(new Uint32Array([0, 5]), [2], 'offsets');
    expect(() => expertsForward(gpu, xp, shortOffsets, { wGate_EHF, wUp_EHF: wGate_EHF, wDown_EFH })).toThrow(/offsets_E1 is \[2\], expected \[3\]/);
    const { y_RH, saved } = expertsForward(gpu, xp, offsets, { wGate_EHF, wUp_EHF: wGate_EHF, wDown_EFH });
    const dyWrong = gpu.upload(randomArray(R * F, 5), [R, F], 'dy');
    expect(() => expertsBackward(gpu, saved, dyWrong)).toThrow(/dy_RH is \[5, 6\], expected \[5, 4\]/);
    await gpu.sync();
    releaseExpertsSaved(gpu, saved);
    gpu.release(xp, offsets, wGate_EHF, wDown_EFH, wrongUp, shortOffsets, y_RH, dyWrong);
  });
});
