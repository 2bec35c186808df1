import { describe, expect, it } from 'vitest';
import { MATMUL_TUNING, matmulTuning } from '../../kernels/matmul/matmul.ts';
import { ROUTER_MATMUL_TUNING, routerMatmulTuning } from '../../kernels/router/router-matmul.ts';

const tiles = (M: number, N: number, t: { WG_X: number; WG_Y: number; TM: number; TN: number }) =>
  Math.ceil(N / (t.WG_X * t.TN)) * Math.ceil(M / (t.WG_Y * t.TM));

const { block8, block16 } = MATMUL_TUNING;

describe('routerMatmulTuning', () => {
  it('narrows the workgroup to the expert columns and gives the lanes to rows (8 x 8 block)', () => {
    expect(routerMatmulTuning(4096, 16, block8)).toEqual({ WG_X: 2, WG_Y: 32, TM: block8.TM, TN: block8.TN });
    expect(routerMatmulTuning(4096, 64, block8)).toEqual({ WG_X: 8, WG_Y: 8, TM: 8, TN: 8 });
    expect(routerMatmulTuning(4096, 2048, block8)).toEqual({ WG_X: block8.WG_X, WG_Y: 8, TM: 8, TN: 8 });
  });

  it('the same on the 16 x 16 block: one column of lanes per 16 experts, at most its WG_X', () => {
    expect(routerMatmulTuning(4096, 16, block16)).toEqual({ WG_X: 1, WG_Y: 16, TM: 16, TN: 16 });
    expect(routerMatmulTuning(4096, 64, block16)).toEqual({ WG_X: 4, WG_Y: 16, TM: 16, TN: 16 });
    expect(routerMatmulTuning(4096, 2048, block16)).toEqual({ WG_X: block16.WG_X, WG_Y: 16, TM: 16, TN: 16 });
  });

  it('shrinks the rows per workgroup until there are enough workgroups, or MIN_LANES lanes', () => {
    // 1024 x 16 on 8 x 8: 32 rows of lanes give 4 tiles, 8 give 16.
    expect(routerMatmulTuning(1024, 16, block8)).toEqual({ WG_X: 2, WG_Y: 8, TM: 8, TN: 8 });
    // 512 x 16 on 16 x 16 (the benchmark's first router product): 4 rows of lanes give 8 tiles; 2 would leave half a SIMD group idle.
    expect(routerMatmulTuning(512, 16, block16)).toEqual({ WG_X: 1, WG_Y: 4, TM: 16, TN: 16 });
    expect(routerMatmulTuning(100, 3, block8)).toEqual({ WG_X: 1, WG_Y: 4, TM: 8, TN: 8 });
  });

  it('the router forward gets the 16 x 16 block when H and E are multiples of 4, the backward products 8 x 8', () => {
    expect(matmulTuning({}, 256, 16)).toBe(block16);
    expect(matmulTuning({}, 256, 6)).toBe(block8);
    expect(matmulTuning({ transB: true }, 16, 256)).toBe(block8);
    expect(matmulTuning({ transA: true }, 512, 16)).toBe(block8);
  });

  for (const block of [block8, block16]) {
    for (const [M, N] of [[512, 16], [4096, 64], [2048, 32], [256, 64], [37, 5], [1, 1], [0, 8], [4096, 300]]) {
      it(`${block.TM} x ${block.TN} block, M=${M} N=${N}: ${ROUTER_MATMUL_TUNING.MIN_LANES} to ${ROUTER_MATMUL_TUNING.LANES} lanes, columns covered up to the default width, enough tiles when possible`, () => {
        const t = routerMatmulTuning(M, N, block);
        expect([t.TM, t.TN]).toEqual([block.TM, block.TN]);
        expect(t.WG_X * t.WG_Y).toBeLessThanOrEqual(ROUTER_MATMUL_TUNING.LANES);
        expect(t.WG_X * t.WG_Y).toBeGreaterThanOrEqual(ROUTER_MATMUL_TUNING.MIN_LANES);
        expect(t.WG_X * t.TN).toBeGreaterThanOrEqual(Math.min(N, block.WG_X * block.TN));
        const halved = { ...t, WG_Y: Math.floor(t.WG_Y / 2) };
        expect(tiles(M, N, t) >= ROUTER_MATMUL_TUNING.MIN_WORKGROUPS || t.WG_Y === 1 || halved.WG_X * halved.WG_Y < ROUTER_MATMUL_TUNING.MIN_LANES).toBe(true);
      });
    }
  }
});
