import { describe, expect, it } from 'vitest';
import { MATMUL_TUNING } from '../../kernels/matmul/matmul.ts';
import { ROUTER_MATMUL_TUNING, routerMatmulTuning } from '../../kernels/router/router-matmul.ts';

const tiles = (M: number, N: number, t: { WG_X: number; WG_Y: number; TM: number; TN: number }) =>
  Math.ceil(N / (t.WG_X * t.TN)) * Math.ceil(M / (t.WG_Y * t.TM));

describe('routerMatmulTuning', () => {
  it('narrows the workgroup to the expert columns and gives the lanes to rows', () => {
    expect(routerMatmulTuning(4096, 16)).toEqual({ WG_X: 2, WG_Y: 32, TM: MATMUL_TUNING.TM, TN: MATMUL_TUNING.TN });
    expect(routerMatmulTuning(4096, 64)).toEqual({ WG_X: 8, WG_Y: 8, TM: 8, TN: 8 });
    expect(routerMatmulTuning(4096, 2048)).toEqual({ WG_X: MATMUL_TUNING.WG_X, WG_Y: 8, TM: 8, TN: 8 });
  });

  it('shrinks the rows per workgroup until there are enough workgroups, or one row of lanes', () => {
    // 1024 x 16: 32 rows of lanes give 4 tiles, 8 give 16.
    expect(routerMatmulTuning(1024, 16)).toEqual({ WG_X: 2, WG_Y: 8, TM: 8, TN: 8 });
    expect(routerMatmulTuning(100, 3)).toEqual({ WG_X: 1, WG_Y: 1, TM: 8, TN: 8 });
  });

  for (const [M, N] of [[512, 16], [4096, 64], [2048, 32], [256, 64], [37, 5], [1, 1], [0, 8], [4096, 300]]) {
    it(`M=${M} N=${N}: at most ${ROUTER_MATMUL_TUNING.LANES} lanes, columns covered up to the default width, enough tiles when possible`, () => {
      const t = routerMatmulTuning(M, N);
      expect(t.WG_X * t.WG_Y).toBeLessThanOrEqual(ROUTER_MATMUL_TUNING.LANES);
      expect(t.WG_X * t.TN).toBeGreaterThanOrEqual(Math.min(N, MATMUL_TUNING.WG_X * MATMUL_TUNING.TN));
      expect(tiles(M, N, t) >= ROUTER_MATMUL_TUNING.MIN_WORKGROUPS || t.WG_Y === 1).toBe(true);
    });
  }
});
