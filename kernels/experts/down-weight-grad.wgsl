// Down-projection weight gradient, every expert in one launch:
//   dWdown[e, f, h] = Σ_{r in expert e, ascending} a[r, f] · dy[r, h]
// a_RF [R, F] (rebuilt by down-backward), dy_RH [R, H], dWdown_EFH [E, F, H];
// H and F multiples of 4 (the launcher pads).
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

@group(0) @binding(0) var<storage, read_write> dw_down: array<vec4f>;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> dy: array<vec4f>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

// Row r of a (base = r·F/4) at the invocation's 16 columns f, and of dy at
// its 16 columns h.
fn load_a(base: u32, ms: vec4u) -> Quad {
  return Quad(a[base + ms.x], a[base + ms.y], a[base + ms.z], a[base + ms.w]);
}

fn load_dy(base: u32, ns: vec4u) -> Quad {
  return Quad(dy[base + ns.x], dy[base + ns.y], dy[base + ns.z], dy[base + ns.w]);
}

fn put4(o: u32, col: u32, v: vec4f) {
  if (col < p.n_dim) { dw_down[o / 4u] = v; }
}

fn put_block(m: mat4x4f, base: u32, row: u32, col: u32) {
  let o = base + row * p.n_dim + col;
  if (row < p.m_dim) { put4(o, col, m[0]); }
  if (row + 1u < p.m_dim) { put4(o + p.n_dim, col, m[1]); }
  if (row + 2u < p.m_dim) { put4(o + 2u * p.n_dim, col, m[2]); }
  if (row + 3u < p.m_dim) { put4(o + 3u * p.n_dim, col, m[3]); }
}

// One loop over the 16 blocks rather than 16 copies: the epilogue runs once
// per tile, and indexing a copy of the tile (only here) keeps the shader a
// fraction of the size to compile.
fn store_tile(acc: Tile, base: u32, row: u32, col: u32) {
  var blocks = acc;
  for (var b = 0u; b < 16u; b++) {
    put_block(blocks[b], base, row + (b / 4u) * 4u, col + (b % 4u) * 4u);
  }
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
  let m4 = p.m_dim / 4u;
  let n4 = p.n_dim / 4u;
  let ms = col_groups(row0, m4);
  let ns = col_groups(col0, n4);
  var acc: Tile;
  for (var r = lo; r < hi; r += 2u) {
    let r1 = min(r + 1u, hi - 1u);
    mma(&acc, load_a(r * m4, ms), load_dy(r * n4, ns));
    mma(&acc, scaled(load_a(r1 * m4, ms), f32(r + 1u < hi)), load_dy(r1 * n4, ns));
  }
  store_tile(acc, e * p.m_dim * p.n_dim, row0, col0);
}
