// Gate and up weight gradients, every expert in one launch:
//   dWgate[e, h, f] = Σ_{r in expert e, ascending} x[r, h] · dg[r, f]
//   dWup[e, h, f]   = Σ_{r in expert e, ascending} x[r, h] · du[r, f]
// x_RH [R, H] (the forward's xp), dg_RF and du_RF [R, F], outputs [E, H, F].
//
// An invocation owns TM rows (h) x TN/2 columns (f) of both gradients, so
// each x value it loads serves both: tile blocks 4i+0, 4i+1 are dWgate,
// 4i+2, 4i+3 dWup. Ownership, row order and empty experts as in
// down-weight-grad.wgsl.
override WG_ROWS: u32;
override WG_COLS: u32;

struct Params {
  rows: u32,    // R
  experts: u32, // E
  m_dim: u32,   // H: rows of the gradients
  n_dim: u32,   // F: columns of the gradients
  m_tiles: u32, // row tiles of BM
  n_tiles: u32, // column tiles of BN
}

@group(0) @binding(0) var<storage, read_write> dw_gate: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw_up: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dg: array<f32>;
@group(0) @binding(4) var<storage, read> du: array<f32>;
@group(0) @binding(5) var<storage, read> offsets: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;

const COLS: u32 = TN / 2u;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

fn x4(base: u32, c: vec4u) -> vec4f {
  return vec4f(x[base + c.x], x[base + c.y], x[base + c.z], x[base + c.w]);
}

fn load_x(base: u32, ms: Addr) -> Quad {
  return Quad(x4(base, ms[0]), x4(base, ms[1]), x4(base, ms[2]), x4(base, ms[3]));
}

fn dg4(base: u32, c: vec4u) -> vec4f {
  return vec4f(dg[base + c.x], dg[base + c.y], dg[base + c.z], dg[base + c.w]);
}

fn du4(base: u32, c: vec4u) -> vec4f {
  return vec4f(du[base + c.x], du[base + c.y], du[base + c.z], du[base + c.w]);
}

fn load_grads(base: u32, ns: Addr) -> Quad {
  return Quad(dg4(base, ns[0]), dg4(base, ns[1]), du4(base, ns[0]), du4(base, ns[1]));
}

fn put1(o: u32, g: f32, u: f32) {
  dw_gate[o] = g;
  dw_up[o] = u;
}

fn put4(o: u32, col: u32, g: vec4f, u: vec4f) {
  if (col < p.n_dim) { put1(o, g.x, u.x); }
  if (col + 1u < p.n_dim) { put1(o + 1u, g.y, u.y); }
  if (col + 2u < p.n_dim) { put1(o + 2u, g.z, u.z); }
  if (col + 3u < p.n_dim) { put1(o + 3u, g.w, u.w); }
}

fn put_block(g: mat4x4f, u: mat4x4f, base: u32, row: u32, col: u32) {
  let o = base + row * p.n_dim + col;
  if (row < p.m_dim) { put4(o, col, g[0], u[0]); }
  if (row + 1u < p.m_dim) { put4(o + p.n_dim, col, g[1], u[1]); }
  if (row + 2u < p.m_dim) { put4(o + 2u * p.n_dim, col, g[2], u[2]); }
  if (row + 3u < p.m_dim) { put4(o + 3u * p.n_dim, col, g[3], u[3]); }
}

fn store_tile(acc: ptr<function, Tile>, base: u32, row: u32, col: u32) {
  put_block((*acc)[0], (*acc)[2], base, row, col);
  put_block((*acc)[1], (*acc)[3], base, row, col + 4u);
  put_block((*acc)[4], (*acc)[6], base, row + 4u, col);
  put_block((*acc)[5], (*acc)[7], base, row + 4u, col + 4u);
  put_block((*acc)[8], (*acc)[10], base, row + 8u, col);
  put_block((*acc)[9], (*acc)[11], base, row + 8u, col + 4u);
  put_block((*acc)[12], (*acc)[14], base, row + 12u, col);
  put_block((*acc)[13], (*acc)[15], base, row + 12u, col + 4u);
}

@compute @workgroup_size(WG_COLS, WG_ROWS, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  // Column tiles vary fastest, then row tiles, then the expert.
  let tiles = p.m_tiles * p.n_tiles;
  let w = work_item(wid, nwg, p.experts * tiles);
  if (w >= p.experts * tiles) { return; }
  let e = w / tiles;
  let row0 = (((w % tiles) / p.n_tiles) * WG_ROWS + lid.y) * TM;
  let col0 = ((w % p.n_tiles) * WG_COLS + lid.x) * COLS;
  if (row0 >= p.m_dim || col0 >= p.n_dim) { return; }
  let lo = min(offset_at(e), p.rows);
  let hi = min(offset_at(e + 1u), p.rows);
  let ms = clamped16(row0, 0u, p.m_dim - 1u, 1u);
  let ns = clamped16(col0, 0u, p.n_dim - 1u, 1u);
  var acc: Tile;
  for (var r = lo; r < hi; r += 2u) {
    let r1 = min(r + 1u, hi - 1u);
    mma(&acc, load_x(r * p.m_dim, ms), load_grads(r * p.n_dim, ns));
    mma(&acc, scaled(load_x(r1 * p.m_dim, ms), f32(r + 1u < hi)), load_grads(r1 * p.n_dim, ns));
  }
  store_tile(&acc, e * p.m_dim * p.n_dim, row0, col0);
}
