// Gate and up weight gradients, every expert in one launch:
//   dWgate[e, h, f] = Σ_{r in expert e, ascending} x[r, h] · dg[r, f]
//   dWup[e, h, f]   = Σ_{r in expert e, ascending} x[r, h] · du[r, f]
// x_RH [R, H] (the forward's xp), dg_RF and du_RF [R, F], outputs [E, H, F];
// H and F multiples of 4 (the launcher pads).
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

@group(0) @binding(0) var<storage, read_write> dw_gate: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dw_up: array<vec4f>;
@group(0) @binding(2) var<storage, read> x: array<vec4f>;
@group(0) @binding(3) var<storage, read> dg: array<vec4f>;
@group(0) @binding(4) var<storage, read> du: array<vec4f>;
@group(0) @binding(5) var<storage, read> offsets: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;

const COLS: u32 = TN / 2u;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

// Row r of x (base = r·H/4) at the invocation's 16 columns h, and of dg
// and du at its 8 columns f (ns.xy).
fn load_x(base: u32, ms: vec4u) -> Quad {
  return Quad(x[base + ms.x], x[base + ms.y], x[base + ms.z], x[base + ms.w]);
}

fn load_grads(base: u32, ns: vec4u) -> Quad {
  return Quad(dg[base + ns.x], dg[base + ns.y], du[base + ns.x], du[base + ns.y]);
}

fn put4(o: u32, col: u32, g: vec4f, u: vec4f) {
  if (col < p.n_dim) {
    dw_gate[o / 4u] = g;
    dw_up[o / 4u] = u;
  }
}

fn put_block(g: mat4x4f, u: mat4x4f, base: u32, row: u32, col: u32) {
  let o = base + row * p.n_dim + col;
  if (row < p.m_dim) { put4(o, col, g[0], u[0]); }
  if (row + 1u < p.m_dim) { put4(o + p.n_dim, col, g[1], u[1]); }
  if (row + 2u < p.m_dim) { put4(o + 2u * p.n_dim, col, g[2], u[2]); }
  if (row + 3u < p.m_dim) { put4(o + 3u * p.n_dim, col, g[3], u[3]); }
}

// One loop over the 8 (gate, up) block pairs rather than 8 copies: the
// epilogue runs once per tile, and indexing a copy of the tile (only here)
// keeps the shader a fraction of the size to compile.
fn store_tile(acc: Tile, base: u32, row: u32, col: u32) {
  var blocks = acc;
  for (var b = 0u; b < 8u; b++) {
    let i = (b / 2u) * 4u;
    let j = b % 2u;
    put_block(blocks[i + j], blocks[i + j + 2u], base, row + i, col + j * 4u);
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
  let col0 = ((w % p.n_tiles) * WG_COLS + lid.x) * COLS;
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
    mma(&acc, load_x(r * m4, ms), load_grads(r * n4, ns));
    mma(&acc, scaled(load_x(r1 * m4, ms), f32(r + 1u < hi)), load_grads(r1 * n4, ns));
  }
  store_tile(acc, e * p.m_dim * p.n_dim, row0, col0);
}
