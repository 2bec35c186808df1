// Gradient of the expert input rows, every expert in one launch:
//   dxp[r, :] = dg[r, :] · Wgate_eᵀ + du[r, :] · Wup_eᵀ   for the rows r of expert e
// dg_RF and du_RF [R, F] from down-backward, Wgate_EHF and Wup_EHF [E, H, F]
// (read transposed), dxp_RH [R, H]. Both products accumulate into one tile:
// a reduction of length 2F. Row tiles and unused rows as in
// down.wgsl.
override WG_ROWS: u32;
override WG_COLS: u32;

struct Params {
  rows: u32,      // R
  experts: u32,   // E
  k_dim: u32,     // F: the reduction (twice: gate and up)
  n_dim: u32,     // H: output columns
  row_tiles: u32, // R / BM + E (see tile_rows)
  col_tiles: u32, // column tiles of BN
}

@group(0) @binding(0) var<storage, read_write> dxp: array<f32>;
@group(0) @binding(1) var<storage, read> dg: array<f32>;
@group(0) @binding(2) var<storage, read> du: array<f32>;
@group(0) @binding(3) var<storage, read> w_gate: array<f32>;
@group(0) @binding(4) var<storage, read> w_up: array<f32>;
@group(0) @binding(5) var<storage, read> offsets: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

fn dg4(r: vec4u, k: u32) -> vec4f {
  return vec4f(dg[r.x + k], dg[r.y + k], dg[r.z + k], dg[r.w + k]);
}

fn du4(r: vec4u, k: u32) -> vec4f {
  return vec4f(du[r.x + k], du[r.y + k], du[r.z + k], du[r.w + k]);
}

fn load_dg(rows: Addr, k: u32) -> Quad {
  return Quad(dg4(rows[0], k), dg4(rows[1], k), dg4(rows[2], k), dg4(rows[3], k));
}

fn load_du(rows: Addr, k: u32) -> Quad {
  return Quad(du4(rows[0], k), du4(rows[1], k), du4(rows[2], k), du4(rows[3], k));
}

// `cols` holds h·F, so base + cols reads W[e, h, k]: the transposed operand.
fn gate4(base: u32, c: vec4u) -> vec4f {
  return vec4f(w_gate[base + c.x], w_gate[base + c.y], w_gate[base + c.z], w_gate[base + c.w]);
}

fn up4(base: u32, c: vec4u) -> vec4f {
  return vec4f(w_up[base + c.x], w_up[base + c.y], w_up[base + c.z], w_up[base + c.w]);
}

fn load_gate(base: u32, cols: Addr) -> Quad {
  return Quad(gate4(base, cols[0]), gate4(base, cols[1]), gate4(base, cols[2]), gate4(base, cols[3]));
}

fn load_up(base: u32, cols: Addr) -> Quad {
  return Quad(up4(base, cols[0]), up4(base, cols[1]), up4(base, cols[2]), up4(base, cols[3]));
}

fn put4(row: u32, col: u32, v: vec4f) {
  let o = row * p.n_dim + col;
  if (col < p.n_dim) { dxp[o] = v.x; }
  if (col + 1u < p.n_dim) { dxp[o + 1u] = v.y; }
  if (col + 2u < p.n_dim) { dxp[o + 2u] = v.z; }
  if (col + 3u < p.n_dim) { dxp[o + 3u] = v.w; }
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
  for (var k = 0u; k < p.k_dim; k++) {
    mma(&acc, load_dg(rows, k), load_gate(w0 + k, cols));
    mma(&acc, load_du(rows, k), load_up(w0 + k, cols));
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
