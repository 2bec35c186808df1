import { describe, expect, it } from 'vitest';
import { EXPERTS_TUNING, rowTileLaunch, weightTileLaunch, workgroupTile } from '../../kernels/experts/launch.ts';
import { rng } from '../helpers/rng.ts';

describe('expert kernels: launch arithmetic', () => {
  it('workgroup tiles follow the tuning object', () => {
    const t = EXPERTS_TUNING;
    expect(workgroupTile('experts_down')).toEqual({ rows: t.TM * t.ROW_WG_ROWS, cols: t.TN * t.ROW_WG_COLS });
    // gate and up share an invocation's tile: half the columns each
    expect(workgroupTile('experts_gate_up')).toEqual({ rows: t.TM * t.ROW_WG_ROWS, cols: (t.TN / 2) * t.ROW_WG_COLS });
    expect(workgroupTile('experts_gate_up_wgrad')).toEqual({ rows: t.TM * t.WEIGHT_WG_ROWS, cols: (t.TN / 2) * t.WEIGHT_WG_COLS });
  });

  it('row tiles: R / BM + E of them, folded into z past the per-dimension limit', () => {
    const tile = { rows: 16, cols: 64 };
    expect(rowTileLaunch(100, 3, 130, tile, 65535)).toEqual({ workgroups: [3, 9, 1], rowTiles: 9 });
    expect(rowTileLaunch(160, 4, 64, tile, 65535)).toEqual({ workgroups: [1, 14, 1], rowTiles: 14 });
    // 1000 / 16 + 8 = 70 tiles with at most 32 per dimension: 32 x 3 (the shader skips t >= 70)
    expect(rowTileLaunch(1000, 8, 64, tile, 32)).toEqual({ workgroups: [1, 32, 3], rowTiles: 70 });
    expect(rowTileLaunch(0, 8, 64, tile, 65535).workgroups).toEqual([0, 0, 0]);
    expect(() => rowTileLaunch(16, 1, 64 * 40, tile, 32)).toThrow(/40 column tiles .* exceed maxComputeWorkgroupsPerDimension \(32\)/);
  });

  it('weight tiles: one z layer per expert; too many along one axis names it', () => {
    expect(weightTileLaunch(5, 100, 64, { rows: 64, cols: 64 }, 65535)).toEqual([1, 2, 5]);
    expect(() => weightTileLaunch(70, 64, 64, { rows: 64, cols: 64 }, 64)).toThrow(/\[1, 1, 70\].*along z/);
  });

  // tile_rows (kernels/experts/tile.wgsl) numbers expert e's tiles from
  // offsets[e] / BM + e. The launch size R / BM + E rests on this numbering
  // giving every used row exactly one tile below that bound; check the claim
  // on random offsets, empty experts and full buffers included.
  it('the tile numbering covers every used row once within R / BM + E tiles', () => {
    const r = rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const E = 1 + Math.floor(r() * 12);
      const BM = [1, 4, 16, 64][Math.floor(r() * 4)];
      const counts = Array.from({ length: E }, () => (r() < 0.3 ? 0 : Math.floor(r() * 3 * BM)));
      const offsets = [0];
      for (const n of counts) offsets.push(offsets[offsets.length - 1] + n);
      const R = offsets[E] + Math.floor(r() * BM);
      const seen = new Uint8Array(R);
      const tiles = Math.floor(R / BM) + E;
      for (let t = 0; t < tiles + BM + E; t++) {
        let e = 0;
        for (let k = 1; k < E; k++) if (Math.floor(offsets[k] / BM) + k <= t) e = k;
        const start = offsets[e] + (t - (Math.floor(offsets[e] / BM) + e)) * BM;
        const end = Math.min(start + BM, offsets[e + 1], R);
        if (end > start && t >= tiles) throw new Error(`tile ${t} has rows but the launch has ${tiles} (offsets [${offsets}], BM=${BM})`);
        for (let row = start; row < end; row++) seen[row]++;
      }
      const wrong = Array.from(seen).findIndex((n, row) => n !== (row < offsets[E] ? 1 : 0));
      expect(wrong, `row ${wrong} is covered ${seen[wrong]} times (offsets [${offsets}], BM=${BM})`).toBe(-1);
    }
  });
});
