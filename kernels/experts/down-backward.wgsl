// Backward through the down projection and the SwiGLU, every expert in one
// launch: for the rows r of expert e,
//   da[r, :] = dy[r, :] · Wdown_eᵀ
//   dg = da ⊙ u ⊙ silu'(g),   du = da ⊙ silu(g),   a = silu(g) ⊙ u
// with silu'(g) = σ(g)·(1 + g·(1 − σ(g))). dy_RH [R, H], Wdown_EFH [E, F, H]
// (read transposed), g_RF and u_RF saved by the forward. a is rebuilt here
// for the down weight gradient instead of being kept since the forward.
// Row tiles and unused rows as in down.wgsl.
override WG_ROWS: u32;
override WG_COLS: u32;

struct Params {
  rows: u32,      // R
  experts: u32,   // E
  k_dim: u32,     // H: the reduction
  n_dim: u32,     // F: columns of dg, du and a
  row_tiles: u32, // R / BM + E (see tile_rows)
  col_tiles: u32, // column tiles of BN
}

@group(0) @binding(0) var<storage, read_write> dg_out: array<f32>;
@group(0) @binding(1) var<storage, read_write> du_out: array<f32>;
@group(0) @binding(2) var<storage, read_write> a_out: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> w_down: array<f32>;
@group(0) @binding(5) var<storage, read> g_in: array<f32>;
@group(0) @binding(6) var<storage, read> u_in: array<f32>;
@group(0) @binding(7) var<storage, read> offsets: array<u32>;
@group(0) @binding(8) var<uniform> p: Params;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

fn dy4(r: vec4u, k: u32) -> vec4f {
  return vec4f(dy[r.x + k], dy[r.y + k], dy[r.z + k], dy[r.w + k]);
}

fn load_dy(rows: Addr, k: u32) -> Quad {
  return Quad(dy4(rows[0], k), dy4(rows[1], k), dy4(rows[2], k), dy4(rows[3], k));
}

// `cols` holds f·H, so base + cols reads Wdown[e, f, k]: the transposed operand.
fn w4(base: u32, c: vec4u) -> vec4f {
  return vec4f(w_down[base + c.x], w_down[base + c.y], w_down[base + c.z], w_down[base + c.w]);
}

fn load_w(base: u32, cols: Addr) -> Quad {
  return Quad(w4(base, cols[0]), w4(base, cols[1]), w4(base, cols[2]), w4(base, cols[3]));
}

fn put1(o: u32, da: f32) {
  let g = g_in[o];
  let u = u_in[o];
  let s = 1.0 / (1.0 + exp(-g));
  let silu = g * s;
  dg_out[o] = da * u * s * (1.0 + g * (1.0 - s));
  du_out[o] = da * silu;
  a_out[o] = silu * u;
}

fn put4(row: u32, col: u32, da: vec4f) {
  let o = row * p.n_dim + col;
  if (col < p.n_dim) { put1(o, da.x); }
  if (col + 1u < p.n_dim) { put1(o + 1u, da.y); }
  if (col + 2u < p.n_dim) { put1(o + 2u, da.z); }
  if (col + 3u < p.n_dim) { put1(o + 3u, da.w); }
}

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

fn expert_rows(e: u32, row0: u32, col0: u32, hi: u32) {
  let rows = clamped16(row0, row0, hi - 1u, p.k_dim);
  let cols = clamped16(col0, 0u, p.n_dim - 1u, p.k_dim);
  let w0 = e * p.n_dim * p.k_dim;
  var acc: Tile;
  for (var k = 0u; k < p.k_dim; k += 2u) {
    let k1 = min(k + 1u, p.k_dim - 1u);
    mma(&acc, load_dy(rows, k), load_w(w0 + k, cols));
    mma(&acc, scaled(load_dy(rows, k1), f32(k + 1u < p.k_dim)), load_w(w0 + k1, cols));
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
