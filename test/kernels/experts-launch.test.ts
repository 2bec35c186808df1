import { describe, expect, it } from 'vitest';
import { checkPaths } from '../../kernels/experts/forward-rows.ts';
import { EXPERTS_TUNING, rowTileLaunch, weightTileLaunch, workgroupTile } from '../../kernels/experts/launch.ts';
import { rng } from '../helpers/rng.ts';

describe('expert kernels: launch arithmetic', () => {
  it('workgroup tiles follow the tuning object', () => {
    const t = EXPERTS_TUNING;
    // the forward kernels have their own block width (FORWARD_TN); gate and up share an invocation's
    // block: half the columns each
    expect(workgroupTile('experts_down')).toEqual({ rows: t.TM * t.ROW_WG_ROWS, cols: t.FORWARD_TN * t.ROW_WG_COLS });
    expect(workgroupTile('experts_gate_up')).toEqual({ rows: t.TM * t.ROW_WG_ROWS, cols: (t.FORWARD_TN / 2) * t.ROW_WG_COLS });
    expect(workgroupTile('experts_down_bwd')).toEqual({ rows: t.TM * t.ROW_WG_ROWS, cols: t.TN * t.ROW_WG_COLS });
    expect(workgroupTile('experts_gate_up_wgrad')).toEqual({ rows: t.TM * t.WEIGHT_WG_ROWS, cols: (t.TN / 2) * t.WEIGHT_WG_COLS });
  });

  it('forward row paths: ascending row counts that end with the whole tile, or an error that names them', () => {
    expect(() => checkPaths(EXPERTS_TUNING.FORWARD_ROW_PATHS, EXPERTS_TUNING.TM)).not.toThrow();
    expect(() => checkPaths([16], 16)).not.toThrow();
    for (const bad of [[], [4, 8], [8, 4, 16], [0, 16], [4.5, 16], [4, 4, 16], [4, 20]]) {
      expect(() => checkPaths(bad, 16), `[${bad.join(', ')}]`).toThrow(`FORWARD_ROW_PATHS must be ascending positive row counts ending with TM = 16; got [${bad.join(', ')}]`);
    }
  });

  it('row tiles: R / BM + E of them, in whole blocks; BATCHES·ceil(items / BATCHES) workgroups, folded', () => {
    expect(EXPERTS_TUNING.ROW_BLOCK).toBe(4); // the counts below are worked out for blocks of 4 row tiles
    const tile = { rows: 16, cols: 64 };
    // 100 / 16 + 3 = 9 row tiles -> 3 blocks = 12, x 3 column tiles = 36 items -> 48 workgroups
    expect(rowTileLaunch(100, 3, 130, tile, 65535)).toEqual({ workgroups: [48, 1, 1], rowTiles: 9, colTiles: 3 });
    // 1000 / 16 + 8 = 70 row tiles -> 72 items -> 80 workgroups, at most 32 per dimension
    expect(rowTileLaunch(1000, 8, 64, tile, 32)).toEqual({ workgroups: [32, 3, 1], rowTiles: 70, colTiles: 1 });
    expect(rowTileLaunch(0, 8, 64, tile, 65535).workgroups[0]).toBe(0);
  });

  it('weight tiles: one item per tile of each expert', () => {
    expect(weightTileLaunch(5, 100, 64, { rows: 64, cols: 64 }, 65535)).toEqual({ workgroups: [16, 1, 1], mTiles: 2, nTiles: 1 });
    // 64 experts x 64 x 64 tiles = 262144 items: folded into 65535 x 5
    expect(weightTileLaunch(64, 4096, 2048, { rows: 64, cols: 32 }, 65535)).toEqual({ workgroups: [65535, 5, 1], mTiles: 64, nTiles: 64 });
  });

  // row_block_tile (tile.wgsl), written again here: item w of a block of ROW_BLOCK row tiles has
  // row tile block·RB + inner % RB and column tile inner / RB, inner = w % (RB·colTiles).
  it('the row-block order visits every (row tile, column tile) once, row tiles fastest within a block', () => {
    const RB = EXPERTS_TUNING.ROW_BLOCK;
    for (const [rowTiles, colTiles] of [[1, 1], [9, 3], [4, 5], [70, 1], [13, 7]]) {
      const items = Math.ceil(rowTiles / RB) * RB * colTiles;
      const seen = new Map<string, number>();
      let previous: [number, number] | null = null;
      for (let w = 0; w < items; w++) {
        const inner = w % (RB * colTiles);
        const t: [number, number] = [Math.floor(w / (RB * colTiles)) * RB + (inner % RB), Math.floor(inner / RB)];
        if (previous && inner % RB !== 0) expect(t).toEqual([previous[0] + 1, previous[1]]);
        previous = t;
        if (t[0] >= rowTiles) continue; // no work: beyond the last row tile
        const key = t.join(',');
        expect(seen.has(key), `tile ${key} twice`).toBe(false);
        seen.set(key, w);
      }
      expect(seen.size).toBe(rowTiles * colTiles);
    }
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
