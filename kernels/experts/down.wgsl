// Forward, second half, every expert in one launch:
//   y[r, :] = a[r, :] · Wdown_e   for the rows r of expert e
// a_RF [R, F] (from gate-up), Wdown_EFH [E, F, H], y_RH [R, H]. Rows at or
// beyond offsets[E] are not written (unused by contract).
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

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> w_down: array<f32>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

fn a4(r: vec4u, k: u32) -> vec4f {
  return vec4f(a[r.x + k], a[r.y + k], a[r.z + k], a[r.w + k]);
}

fn load_a(rows: Addr, k: u32) -> Quad {
  return Quad(a4(rows[0], k), a4(rows[1], k), a4(rows[2], k), a4(rows[3], k));
}

fn w4(base: u32, c: vec4u) -> vec4f {
  return vec4f(w_down[base + c.x], w_down[base + c.y], w_down[base + c.z], w_down[base + c.w]);
}

fn load_w(base: u32, cols: Addr) -> Quad {
  return Quad(w4(base, cols[0]), w4(base, cols[1]), w4(base, cols[2]), w4(base, cols[3]));
}

fn put4(row: u32, col: u32, v: vec4f) {
  let o = row * p.n_dim + col;
  if (col < p.n_dim) { y[o] = v.x; }
  if (col + 1u < p.n_dim) { y[o + 1u] = v.y; }
  if (col + 2u < p.n_dim) { y[o + 2u] = v.z; }
  if (col + 3u < p.n_dim) { y[o + 3u] = v.w; }
}

// Rows at or beyond hi belong to another expert (or to no row at all).
fn put_block(m: mat4x4f, row: u32, col: u32, hi: u32) {
  if (row < hi) { put4(row, col, m[0]); }
  if (row + 1u < hi) { put4(row + 1u, col, m[1]); }
  if (row + 2u < hi) { put4(row + 2u, col, m[2]); }
  if (row + 3u < hi) { put4(row + 3u, col, m[3]); }
}

fn store_tile(acc: ptr<function, Tile>, row: u32, col: u32, hi: u32) {
  put_block((*acc)[0], row, col, hi);
  put_block((*acc)[1], row, col + 4u, hi);
  put_block((*acc)[2], row, col + 8u, hi);
  put_block((*acc)[3], row, col + 12u, hi);
  put_block((*acc)[4], row + 4u, col, hi);
  put_block((*acc)[5], row + 4u, col + 4u, hi);
  put_block((*acc)[6], row + 4u, col + 8u, hi);
  put_block((*acc)[7], row + 4u, col + 12u, hi);
  put_block((*acc)[8], row + 8u, col, hi);
  put_block((*acc)[9], row + 8u, col + 4u, hi);
  put_block((*acc)[10], row + 8u, col + 8u, hi);
  put_block((*acc)[11], row + 8u, col + 12u, hi);
  put_block((*acc)[12], row + 12u, col, hi);
  put_block((*acc)[13], row + 12u, col + 4u, hi);
  put_block((*acc)[14], row + 12u, col + 8u, hi);
  put_block((*acc)[15], row + 12u, col + 12u, hi);
}

// Rows [row0, hi) of this invocation belong to expert e.
fn expert_rows(e: u32, row0: u32, col0: u32, hi: u32) {
  let rows = clamped16(row0, row0, hi - 1u, p.k_dim);
  let cols = clamped16(col0, 0u, p.n_dim - 1u, 1u);
  let w0 = e * p.k_dim * p.n_dim;
  var acc: Tile;
  for (var k = 0u; k < p.k_dim; k += 2u) {
    let k1 = min(k + 1u, p.k_dim - 1u);
    mma(&acc, load_a(rows, k), load_w(w0 + k * p.n_dim, cols));
    mma(&acc, scaled(load_a(rows, k1), f32(k + 1u < p.k_dim)), load_w(w0 + k1 * p.n_dim, cols));
  }
  store_tile(&acc, row0, col0, hi);
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
