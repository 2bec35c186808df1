// Backward through the down projection and the SwiGLU, every expert in one
// launch: for the rows r of expert e,
//   da[r, :] = dy[r, :] · Wdown_eᵀ
//   dg = da ⊙ u ⊙ silu'(g),   du = da ⊙ silu(g),   a = silu(g) ⊙ u
// with silu'(g) = σ(g)·(1 + g·(1 − σ(g))). dy_RH [R, H], Wdown_EFH [E, F, H]
// (read transposed), g_RF and u_RF saved by the forward; H and F multiples
// of 4 (the launcher pads). a is rebuilt here for the down weight gradient
// instead of being kept since the forward.
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

@group(0) @binding(0) var<storage, read_write> dg_out: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> du_out: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> a_out: array<vec4f>;
@group(0) @binding(3) var<storage, read> dy: array<vec4f>;
@group(0) @binding(4) var<storage, read> w_down: array<vec4f>;
@group(0) @binding(5) var<storage, read> g_in: array<vec4f>;
@group(0) @binding(6) var<storage, read> u_in: array<vec4f>;
@group(0) @binding(7) var<storage, read> offsets: array<u32>;
@group(0) @binding(8) var<uniform> p: Params;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

// Rows `rows` (vec4 index of each row's start) at reduction steps 4·k4 .. 4·k4+3.
fn load_dy(rows: Addr, k4: u32) -> Strip {
  return Strip(dy[rows[0].x + k4], dy[rows[0].y + k4], dy[rows[0].z + k4], dy[rows[0].w + k4],
               dy[rows[1].x + k4], dy[rows[1].y + k4], dy[rows[1].z + k4], dy[rows[1].w + k4],
               dy[rows[2].x + k4], dy[rows[2].y + k4], dy[rows[2].z + k4], dy[rows[2].w + k4],
               dy[rows[3].x + k4], dy[rows[3].y + k4], dy[rows[3].z + k4], dy[rows[3].w + k4]);
}

// The transposed operand: Wdown[e, f, 4·k4 .. 4·k4+3] for the invocation's 16
// columns f (`cols` = vec4 index of each Wdown_e row f).
fn load_w(cols: Addr, k4: u32) -> Strip {
  return Strip(w_down[cols[0].x + k4], w_down[cols[0].y + k4], w_down[cols[0].z + k4], w_down[cols[0].w + k4],
               w_down[cols[1].x + k4], w_down[cols[1].y + k4], w_down[cols[1].z + k4], w_down[cols[1].w + k4],
               w_down[cols[2].x + k4], w_down[cols[2].y + k4], w_down[cols[2].z + k4], w_down[cols[2].w + k4],
               w_down[cols[3].x + k4], w_down[cols[3].y + k4], w_down[cols[3].z + k4], w_down[cols[3].w + k4]);
}

fn put4(row: u32, col: u32, da: vec4f) {
  if (col < p.n_dim) {
    let o = (row * p.n_dim + col) / 4u;
    let g = g_in[o];
    let u = u_in[o];
    let s = sigmoid4(g);
    let silu = g * s;
    dg_out[o] = da * u * s * (1.0 + g * (1.0 - s));
    du_out[o] = da * silu;
    a_out[o] = silu * u;
  }
}

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

fn expert_rows(e: u32, row0: u32, col0: u32, hi: u32) {
  let k4s = p.k_dim / 4u;
  let rows = clamped16(row0, row0, hi - 1u, k4s);
  let cols = clamped16(e * p.n_dim + col0, e * p.n_dim, e * p.n_dim + p.n_dim - 1u, k4s);
  var acc: Tile;
  for (var k4 = 0u; k4 < k4s; k4++) {
    let dy4 = load_dy(rows, k4);
    let w4 = load_w(cols, k4);
    mma(&acc, step_of(dy4, 0u), step_of(w4, 0u));
    mma(&acc, step_of(dy4, 1u), step_of(w4, 1u));
    mma(&acc, step_of(dy4, 2u), step_of(w4, 2u));
    mma(&acc, step_of(dy4, 3u), step_of(w4, 3u));
  }
  store_tile(acc, row0, col0, hi);
}

@compute @workgroup_size(WG_COLS, WG_ROWS, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  // Blocks of row tiles, then column tiles (row_block_tile in tile.wgsl).
  let w = work_item(wid, nwg, row_block_items(p.row_tiles, p.col_tiles));
  let t = row_block_tile(w, p.col_tiles);
  if (t.x >= p.row_tiles) { return; }
  let col0 = (t.y * WG_COLS + lid.x) * TN;
  if (col0 >= p.n_dim) { return; }
  let seg = tile_rows(t.x, p.experts, p.rows, TM * WG_ROWS);
  let row0 = seg.y + lid.y * TM;
  let row_end = min(row0 + TM, seg.z);
  if (row0 >= row_end) { return; }
  expert_rows(seg.x, row0, col0, row_end);
}
