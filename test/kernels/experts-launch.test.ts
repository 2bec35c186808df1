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

  it('row tiles: R / BM + E of them; BATCHES·ceil(items / BATCHES) workgroups, folded', () => {
    const tile = { rows: 16, cols: 64 };
    // 100 / 16 + 3 = 9 row tiles x 3 column tiles = 27 items -> 32 workgroups
    expect(rowTileLaunch(100, 3, 130, tile, 65535)).toEqual({ workgroups: [32, 1, 1], rowTiles: 9, colTiles: 3 });
    // 1000 / 16 + 8 = 70 items -> 80 workgroups, at most 32 per dimension
    expect(rowTileLaunch(1000, 8, 64, tile, 32)).toEqual({ workgroups: [32, 3, 1], rowTiles: 70, colTiles: 1 });
    expect(rowTileLaunch(0, 8, 64, tile, 65535).workgroups[0]).toBe(0);
  });

  it('weight tiles: one item per tile of each expert', () => {
    expect(weightTileLaunch(5, 100, 64, { rows: 64, cols: 64 }, 65535)).toEqual({ workgroups: [16, 1, 1], mTiles: 2, nTiles: 1 });
    // 64 experts x 64 x 64 tiles = 262144 items: folded into 65535 x 5
    expect(weightTileLaunch(64, 4096, 2048, { rows: 64, cols: 32 }, 65535)).toEqual({ workgroups: [65535, 5, 1], mTiles: 64, nTiles: 64 });
  });

  // work_item (tile.wgsl) gives workgroup i the item (i % B)·run + i / B,
  // run = ceil(items / B): every item exactly once, and each batch i % B a
  // contiguous run of items (what SwiftShader runs in order on one thread).
  it('the work-item numbering is a permutation with contiguous runs per batch', () => {
    const B = EXPERTS_TUNING.BATCHES;
    for (const items of [1, 15, 16, 17, 100, 1280]) {
      const run = Math.ceil(items / B);
      const seen = new Uint8Array(items);
      for (let i = 0; i < B * run; i++) {
        const w = (i % B) * run + Math.floor(i / B);
        if (w < items) seen[w]++;
        if (i >= B && w < items) expect(w - ((i - B) % B) * run - Math.floor((i - B) / B)).toBe(1);
      }
      expect(seen.every((n) => n === 1), `${items} items`).toBe(true);
    }
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
