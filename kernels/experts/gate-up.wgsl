// Forward, first half, every expert in one launch: for the rows r of expert e,
//   g[r, :] = x[r, :] · Wgate_e,   u[r, :] = x[r, :] · Wup_e,   a = silu(g) ⊙ u
// x_RH [R, H] (xp, grouped by expert), Wgate_EHF and Wup_EHF [E, H, F];
// g_RF and u_RF are saved for backward, a_RF feeds the down projection.
//
// An invocation computes TM rows x TN/2 columns of both g and u (the same
// columns, so a is formed in registers): tile blocks 4i+0, 4i+1 hold gate
// columns col0 .. col0+7, blocks 4i+2, 4i+3 the up columns. Each x value it
// loads serves both products. Row tiles and unused rows as in
// down.wgsl.
override WG_ROWS: u32;
override WG_COLS: u32;

struct Params {
  rows: u32,      // R
  experts: u32,   // E
  k_dim: u32,     // H: the reduction
  n_dim: u32,     // F: columns of g, u and a
  row_tiles: u32, // R / BM + E (see tile_rows)
  col_tiles: u32, // column tiles of BN
}

@group(0) @binding(0) var<storage, read_write> g_out: array<f32>;
@group(0) @binding(1) var<storage, read_write> u_out: array<f32>;
@group(0) @binding(2) var<storage, read_write> a_out: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> w_gate: array<f32>;
@group(0) @binding(5) var<storage, read> w_up: array<f32>;
@group(0) @binding(6) var<storage, read> offsets: array<u32>;
@group(0) @binding(7) var<uniform> p: Params;

const COLS: u32 = TN / 2u;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

fn x4(r: vec4u, k: u32) -> vec4f {
  return vec4f(x[r.x + k], x[r.y + k], x[r.z + k], x[r.w + k]);
}

fn load_x(rows: Addr, k: u32) -> Quad {
  return Quad(x4(rows[0], k), x4(rows[1], k), x4(rows[2], k), x4(rows[3], k));
}

fn gate4(base: u32, c: vec4u) -> vec4f {
  return vec4f(w_gate[base + c.x], w_gate[base + c.y], w_gate[base + c.z], w_gate[base + c.w]);
}

fn up4(base: u32, c: vec4u) -> vec4f {
  return vec4f(w_up[base + c.x], w_up[base + c.y], w_up[base + c.z], w_up[base + c.w]);
}

fn load_w(base: u32, cols: Addr) -> Quad {
  return Quad(gate4(base, cols[0]), gate4(base, cols[1]), up4(base, cols[0]), up4(base, cols[1]));
}

fn put1(o: u32, g: f32, u: f32, a: f32) {
  g_out[o] = g;
  u_out[o] = u;
  a_out[o] = a;
}

fn put4(row: u32, col: u32, g: vec4f, u: vec4f) {
  let a = g * sigmoid4(g) * u;
  let o = row * p.n_dim + col;
  if (col < p.n_dim) { put1(o, g.x, u.x, a.x); }
  if (col + 1u < p.n_dim) { put1(o + 1u, g.y, u.y, a.y); }
  if (col + 2u < p.n_dim) { put1(o + 2u, g.z, u.z, a.z); }
  if (col + 3u < p.n_dim) { put1(o + 3u, g.w, u.w, a.w); }
}

fn put_block(g: mat4x4f, u: mat4x4f, row: u32, col: u32, hi: u32) {
  if (row < hi) { put4(row, col, g[0], u[0]); }
  if (row + 1u < hi) { put4(row + 1u, col, g[1], u[1]); }
  if (row + 2u < hi) { put4(row + 2u, col, g[2], u[2]); }
  if (row + 3u < hi) { put4(row + 3u, col, g[3], u[3]); }
}

fn store_tile(acc: ptr<function, Tile>, row: u32, col: u32, hi: u32) {
  put_block((*acc)[0], (*acc)[2], row, col, hi);
  put_block((*acc)[1], (*acc)[3], row, col + 4u, hi);
  put_block((*acc)[4], (*acc)[6], row + 4u, col, hi);
  put_block((*acc)[5], (*acc)[7], row + 4u, col + 4u, hi);
  put_block((*acc)[8], (*acc)[10], row + 8u, col, hi);
  put_block((*acc)[9], (*acc)[11], row + 8u, col + 4u, hi);
  put_block((*acc)[12], (*acc)[14], row + 12u, col, hi);
  put_block((*acc)[13], (*acc)[15], row + 12u, col + 4u, hi);
}

fn expert_rows(e: u32, row0: u32, col0: u32, hi: u32) {
  let rows = clamped16(row0, row0, hi - 1u, p.k_dim);
  let cols = clamped16(col0, 0u, p.n_dim - 1u, 1u);
  let w0 = e * p.k_dim * p.n_dim;
  var acc: Tile;
  for (var k = 0u; k < p.k_dim; k += 2u) {
    let k1 = min(k + 1u, p.k_dim - 1u);
    mma(&acc, load_x(rows, k), load_w(w0 + k * p.n_dim, cols));
    mma(&acc, scaled(load_x(rows, k1), f32(k + 1u < p.k_dim)), load_w(w0 + k1 * p.n_dim, cols));
  }
  store_tile(&acc, row0, col0, hi);
}

@compute @workgroup_size(WG_COLS, WG_ROWS, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  // Row tiles vary fastest: consecutive items share a column panel of the weights.
  let w = work_item(wid, nwg, p.row_tiles * p.col_tiles);
  if (w >= p.row_tiles * p.col_tiles) { return; }
  let col0 = ((w / p.row_tiles) * WG_COLS + lid.x) * COLS;
  if (col0 >= p.n_dim) { return; }
  let seg = tile_rows(w % p.row_tiles, p.experts, p.rows, TM * WG_ROWS);
  let row0 = seg.y + lid.y * TM;
  let row_end = min(row0 + TM, seg.z);
  if (row0 >= row_end) { return; }
  expert_rows(seg.x, row0, col0, row_end);
}
