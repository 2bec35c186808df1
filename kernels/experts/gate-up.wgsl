// Forward, first half, every expert in one launch: for the rows r of expert e,
//   g[r, :] = x[r, :] · Wgate_e,   u[r, :] = x[r, :] · Wup_e,   a = silu(g) ⊙ u
// x_RH [R, H] (xp, grouped by expert), Wgate_EHF and Wup_EHF [E, H, F], H
// and F multiples of 4 (the launcher pads); g_RF and u_RF are saved for
// backward, a_RF feeds the down projection.
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

@group(0) @binding(0) var<storage, read_write> g_out: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> u_out: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> a_out: array<vec4f>;
@group(0) @binding(3) var<storage, read> x: array<vec4f>;
@group(0) @binding(4) var<storage, read> w_gate: array<vec4f>;
@group(0) @binding(5) var<storage, read> w_up: array<vec4f>;
@group(0) @binding(6) var<storage, read> offsets: array<u32>;
@group(0) @binding(7) var<uniform> p: Params;

const COLS: u32 = TN / 2u;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

// Rows `rows` (vec4 index of each row's start) at reduction steps 4·k4 .. 4·k4+3.
fn load_x(rows: Addr, k4: u32) -> Strip {
  return Strip(x[rows[0].x + k4], x[rows[0].y + k4], x[rows[0].z + k4], x[rows[0].w + k4],
               x[rows[1].x + k4], x[rows[1].y + k4], x[rows[1].z + k4], x[rows[1].w + k4],
               x[rows[2].x + k4], x[rows[2].y + k4], x[rows[2].z + k4], x[rows[2].w + k4],
               x[rows[3].x + k4], x[rows[3].y + k4], x[rows[3].z + k4], x[rows[3].w + k4]);
}

// Row k of Wgate_e and Wup_e, the invocation's 8 columns: `base` = vec4 index
// of the row, cols.xy its two column groups.
fn load_w(base: u32, cols: vec4u) -> Quad {
  return Quad(w_gate[base + cols.x], w_gate[base + cols.y], w_up[base + cols.x], w_up[base + cols.y]);
}

fn put4(row: u32, col: u32, g: vec4f, u: vec4f) {
  if (col < p.n_dim) {
    let o = (row * p.n_dim + col) / 4u;
    g_out[o] = g;
    u_out[o] = u;
    a_out[o] = g * sigmoid4(g) * u;
  }
}

fn put_block(g: mat4x4f, u: mat4x4f, row: u32, col: u32, hi: u32) {
  if (row < hi) { put4(row, col, g[0], u[0]); }
  if (row + 1u < hi) { put4(row + 1u, col, g[1], u[1]); }
  if (row + 2u < hi) { put4(row + 2u, col, g[2], u[2]); }
  if (row + 3u < hi) { put4(row + 3u, col, g[3], u[3]); }
}

// One loop over the 8 (gate, up) block pairs rather than 8 copies: the
// epilogue runs once per tile, and indexing a copy of the tile (only here)
// keeps the shader a fraction of the size to compile.
fn store_tile(acc: Tile, row: u32, col: u32, hi: u32) {
  var blocks = acc;
  for (var b = 0u; b < 8u; b++) {
    let i = (b / 2u) * 4u;
    let j = b % 2u;
    put_block(blocks[i + j], blocks[i + j + 2u], row + i, col + j * 4u, hi);
  }
}

fn expert_rows(e: u32, row0: u32, col0: u32, hi: u32) {
  let k4s = p.k_dim / 4u;
  let n4 = p.n_dim / 4u;
  let rows = clamped16(row0, row0, hi - 1u, k4s);
  let cols = col_groups(col0, n4);
  var acc: Tile;
  for (var k4 = 0u; k4 < k4s; k4++) {
    let x4 = load_x(rows, k4);
    let w = (e * p.k_dim + 4u * k4) * n4;
    mma(&acc, step_of(x4, 0u), load_w(w, cols));
    mma(&acc, step_of(x4, 1u), load_w(w + n4, cols));
    mma(&acc, step_of(x4, 2u), load_w(w + 2u * n4, cols));
    mma(&acc, step_of(x4, 3u), load_w(w + 3u * n4, cols));
  }
  store_tile(acc, row0, col0, hi);
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
