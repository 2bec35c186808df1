// Down-projection weight gradient, every expert in one launch:
//   dWdown[e, f, h] = Σ_{r in expert e, ascending} a[r, f] · dy[r, h]
// a_RF [R, F] (rebuilt by down-backward), dy_RH [R, H], dWdown_EFH [E, F, H].
//
// Each workgroup owns one BM x BN tile of one dWdown_e (work_item) and
// walks the expert's rows in order: each output has one owner and one
// summation order, so the result is deterministic without float atomics. An
// expert with no rows writes exact zeros (pooled buffers are dirty).
override WG_ROWS: u32;
override WG_COLS: u32;

struct Params {
  rows: u32,    // R
  experts: u32, // E
  m_dim: u32,   // F: rows of dWdown_e
  n_dim: u32,   // H: columns of dWdown_e
  m_tiles: u32, // row tiles of BM
  n_tiles: u32, // column tiles of BN
}

@group(0) @binding(0) var<storage, read_write> dw_down: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

// a[r, f] for the 16 columns f of this invocation; `base` = r·F.
fn a4(base: u32, c: vec4u) -> vec4f {
  return vec4f(a[base + c.x], a[base + c.y], a[base + c.z], a[base + c.w]);
}

fn load_a(base: u32, ms: Addr) -> Quad {
  return Quad(a4(base, ms[0]), a4(base, ms[1]), a4(base, ms[2]), a4(base, ms[3]));
}

fn dy4(base: u32, c: vec4u) -> vec4f {
  return vec4f(dy[base + c.x], dy[base + c.y], dy[base + c.z], dy[base + c.w]);
}

fn load_dy(base: u32, ns: Addr) -> Quad {
  return Quad(dy4(base, ns[0]), dy4(base, ns[1]), dy4(base, ns[2]), dy4(base, ns[3]));
}

fn put4(o: u32, col: u32, v: vec4f) {
  if (col < p.n_dim) { dw_down[o] = v.x; }
  if (col + 1u < p.n_dim) { dw_down[o + 1u] = v.y; }
  if (col + 2u < p.n_dim) { dw_down[o + 2u] = v.z; }
  if (col + 3u < p.n_dim) { dw_down[o + 3u] = v.w; }
}

fn put_block(m: mat4x4f, base: u32, row: u32, col: u32) {
  let o = base + row * p.n_dim + col;
  if (row < p.m_dim) { put4(o, col, m[0]); }
  if (row + 1u < p.m_dim) { put4(o + p.n_dim, col, m[1]); }
  if (row + 2u < p.m_dim) { put4(o + 2u * p.n_dim, col, m[2]); }
  if (row + 3u < p.m_dim) { put4(o + 3u * p.n_dim, col, m[3]); }
}

fn store_tile(acc: ptr<function, Tile>, base: u32, row: u32, col: u32) {
  put_block((*acc)[0], base, row, col);
  put_block((*acc)[1], base, row, col + 4u);
  put_block((*acc)[2], base, row, col + 8u);
  put_block((*acc)[3], base, row, col + 12u);
  put_block((*acc)[4], base, row + 4u, col);
  put_block((*acc)[5], base, row + 4u, col + 4u);
  put_block((*acc)[6], base, row + 4u, col + 8u);
  put_block((*acc)[7], base, row + 4u, col + 12u);
  put_block((*acc)[8], base, row + 8u, col);
  put_block((*acc)[9], base, row + 8u, col + 4u);
  put_block((*acc)[10], base, row + 8u, col + 8u);
  put_block((*acc)[11], base, row + 8u, col + 12u);
  put_block((*acc)[12], base, row + 12u, col);
  put_block((*acc)[13], base, row + 12u, col + 4u);
  put_block((*acc)[14], base, row + 12u, col + 8u);
  put_block((*acc)[15], base, row + 12u, col + 12u);
}

@compute @workgroup_size(WG_COLS, WG_ROWS, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  // Column tiles vary fastest, then row tiles, then the expert.
  let tiles = p.m_tiles * p.n_tiles;
  let w = work_item(wid, nwg, p.experts * tiles);
  if (w >= p.experts * tiles) { return; }
  let e = w / tiles;
  let row0 = (((w % tiles) / p.n_tiles) * WG_ROWS + lid.y) * TM;
  let col0 = ((w % p.n_tiles) * WG_COLS + lid.x) * TN;
  if (row0 >= p.m_dim || col0 >= p.n_dim) { return; }
  let lo = min(offset_at(e), p.rows);
  let hi = min(offset_at(e + 1u), p.rows);
  let ms = clamped16(row0, 0u, p.m_dim - 1u, 1u);
  let ns = clamped16(col0, 0u, p.n_dim - 1u, 1u);
  var acc: Tile;
  for (var r = lo; r < hi; r += 2u) {
    let r1 = min(r + 1u, hi - 1u);
    mma(&acc, load_a(r * p.m_dim, ms), load_dy(r * p.n_dim, ns));
    mma(&acc, scaled(load_a(r1 * p.m_dim, ms), f32(r + 1u < hi)), load_dy(r1 * p.n_dim, ns));
  }
  store_tile(&acc, e * p.m_dim * p.n_dim, row0, col0);
}
