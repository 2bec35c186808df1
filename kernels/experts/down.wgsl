// Forward, second half, every expert in one launch:
//   y[r, :] = a[r, :] · Wdown_e   for the rows r of expert e
// a_RF [R, F] (from gate-up), Wdown_EFH [E, F, H], y_RH [R, H], F and H
// multiples of 4 (the launcher pads). Rows at or beyond offsets[E] are not
// written (unused by contract).
//
// A workgroup owns one work item (work_item in tile.wgsl): BN = TN·WG_COLS
// output columns of one row tile, BM = TM·WG_ROWS rows of one expert
// (tile_rows). There are R / BM + E row tiles, enough for any offsets; tiles
// without rows (beyond offsets[E], or of an empty expert) return at once, so
// an expert with no rows costs (almost) nothing.
override WG_ROWS: u32;
override WG_COLS: u32;

struct Params {
  rows: u32,      // R
  experts: u32,   // E
  k_dim: u32,     // F: the reduction
  n_dim: u32,     // H: output columns
  row_tiles: u32, // R / BM + E (see tile_rows)
  col_tiles: u32, // column tiles of BN
}

@group(0) @binding(0) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> w_down: array<vec4f>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

// Rows `rows` (vec4 index of each row's start) at reduction steps 4·k4 .. 4·k4+3.
fn load_a(rows: Addr, k4: u32) -> Strip {
  return Strip(a[rows[0].x + k4], a[rows[0].y + k4], a[rows[0].z + k4], a[rows[0].w + k4],
               a[rows[1].x + k4], a[rows[1].y + k4], a[rows[1].z + k4], a[rows[1].w + k4],
               a[rows[2].x + k4], a[rows[2].y + k4], a[rows[2].z + k4], a[rows[2].w + k4],
               a[rows[3].x + k4], a[rows[3].y + k4], a[rows[3].z + k4], a[rows[3].w + k4]);
}

// Wdown_e row k, the invocation's 16 columns: `base` = vec4 index of the row.
fn load_w(base: u32, cols: vec4u) -> Quad {
  return Quad(w_down[base + cols.x], w_down[base + cols.y], w_down[base + cols.z], w_down[base + cols.w]);
}

fn put4(row: u32, col: u32, v: vec4f) {
  if (col < p.n_dim) { y[(row * p.n_dim + col) / 4u] = v; }
}

// Rows at or beyond hi belong to another expert (or to no row at all).
fn put_block(m: mat4x4f, row: u32, col: u32, hi: u32) {
  if (row < hi) { put4(row, col, m[0]); }
  if (row + 1u < hi) { put4(row + 1u, col, m[1]); }
  if (row + 2u < hi) { put4(row + 2u, col, m[2]); }
  if (row + 3u < hi) { put4(row + 3u, col, m[3]); }
}

// One loop over the 16 blocks rather than 16 copies: the epilogue runs once
// per tile, and indexing a copy of the tile (only here) keeps the shader a
// fraction of the size to compile.
fn store_tile(acc: Tile, row: u32, col: u32, hi: u32) {
  var blocks = acc;
  for (var b = 0u; b < 16u; b++) {
    put_block(blocks[b], row + (b / 4u) * 4u, col + (b % 4u) * 4u, hi);
  }
}

// Rows [row0, hi) of this invocation belong to expert e.
fn expert_rows(e: u32, row0: u32, col0: u32, hi: u32) {
  let k4s = p.k_dim / 4u;
  let n4 = p.n_dim / 4u;
  let rows = clamped16(row0, row0, hi - 1u, k4s);
  let cols = col_groups(col0, n4);
  var acc: Tile;
  for (var k4 = 0u; k4 < k4s; k4++) {
    let a4 = load_a(rows, k4);
    let w = (e * p.k_dim + 4u * k4) * n4;
    mma(&acc, step_of(a4, 0u), load_w(w, cols));
    mma(&acc, step_of(a4, 1u), load_w(w + n4, cols));
    mma(&acc, step_of(a4, 2u), load_w(w + 2u * n4, cols));
    mma(&acc, step_of(a4, 3u), load_w(w + 3u * n4, cols));
  }
  store_tile(acc, row0, col0, hi);
}

@compute @workgroup_size(WG_COLS, WG_ROWS, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  // Row tiles vary fastest: consecutive items share a column panel of the weights.
  let w = work_item(wid, nwg, p.row_tiles * p.col_tiles);
  if (w >= p.row_tiles * p.col_tiles) { return; }
  let col0 = ((w / p.row_tiles) * WG_COLS + lid.x) * TN;
  if (col0 >= p.n_dim) { return; }
  let seg = tile_rows(w % p.row_tiles, p.experts, p.rows, TM * WG_ROWS);
  let row0 = seg.y + lid.y * TM;
  let row_end = min(row0 + TM, seg.z);
  if (row0 >= row_end) { return; }
  expert_rows(seg.x, row0, col0, row_end);
}
