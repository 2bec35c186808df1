/**
 * RMSNorm forward (y, rinv) and backward (dx, dg through the two-stage
 * column reduction) against the float64 reference, including accumulation.
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { rmsnormBackwardRef, rmsnormForwardRef } from '../../kernels/rmsnorm/reference.ts';
import { RMSNORM_TUNING, rmsnormBackward, rmsnormBackwardInto, rmsnormForward } from '../../kernels/rmsnorm/rmsnorm.ts';
import { expectClose } from '../helpers/numerics.ts';
import { randomArray } from '../helpers/rng.ts';
import type { SharedCase } from './case.ts';

const EPS = 1e-5;
const { WG, CHUNK_ROWS } = RMSNORM_TUNING;

async function forwardBackward(gpu: Gpu, N: number, H: number): Promise<void> {
  const x = randomArray(N * H, N * 100 + H, 2);
  const g = randomArray(H, H + 5);
  const dy = randomArray(N * H, N + H * 7);
  const X = gpu.upload(x, [N, H], 'x');
  const G = gpu.upload(g, [H], 'g');
  const DY = gpu.upload(dy, [N, H], 'dy');
  const { y, rinv } = rmsnormForward(gpu, X, G, EPS);
  const { dx, dg } = rmsnormBackward(gpu, DY, X, G, rinv);
  try {
    const ref = rmsnormForwardRef(x, g, N, H, EPS);
    const bref = rmsnormBackwardRef(dy, x, g, N, H, EPS);
    const [gy, gr, gdx, gdg] = await gpu.readMany([y, rinv, dx, dg]);
    expectClose('rmsnorm y', gy, ref.y);
    expectClose('rmsnorm rinv', gr, ref.rinv);
    expectClose('rmsnorm dx', gdx, bref.dx);
    expectClose('rmsnorm dg', gdg, bref.dg);
  } finally {
    gpu.release(X, G, DY, y, rinv, dx, dg);
  }
}

// [N, H]: H not a multiple of the workgroup over several dg chunks; H above 4 workgroups.
const SHAPES: ReadonlyArray<readonly [number, number]> = [
  [CHUNK_ROWS * 2 + 5, 33],
  [3, 4 * WG + 1],
];

export const rmsnormCases: readonly SharedCase[] = [
  ...SHAPES.map(([N, H]): SharedCase => ({ name: `rmsnorm: forward and backward [${N}, ${H}]`, run: (gpu) => forwardBackward(gpu, N, H) })),
  {
    name: 'rmsnorm: backward accumulates into dx and dg',
    run: async (gpu) => {
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
      try {
        const bref = rmsnormBackwardRef(dy, x, g, N, H, EPS);
        const [gdx, gdg] = await gpu.readMany([DX, DG]);
        expectClose('rmsnorm dx (accumulated)', gdx, bref.dx.map((v, i) => v + dx0[i]));
        expectClose('rmsnorm dg (accumulated)', gdg, bref.dg.map((v, i) => v + dg0[i]));
      } finally {
        gpu.release(X, G, DY, DX, DG, y, rinv);
      }
    },
  },
];
