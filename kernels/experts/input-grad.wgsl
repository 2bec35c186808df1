// Gradient of the expert input rows, every expert in one launch:
//   dxp[r, :] = dg[r, :] · Wgate_eᵀ + du[r, :] · Wup_eᵀ   for the rows r of expert e
// dg_RF and du_RF [R, F] from down-backward, Wgate_EHF and Wup_EHF [E, H, F]
// (read transposed), dxp_RH [R, H]; H and F multiples of 4 (the launcher
// pads). Both products accumulate into one tile: a reduction of length 2F. Row tiles and unused rows as in
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

@group(0) @binding(0) var<storage, read_write> dxp: array<vec4f>;
@group(0) @binding(1) var<storage, read> dg: array<vec4f>;
@group(0) @binding(2) var<storage, read> du: array<vec4f>;
@group(0) @binding(3) var<storage, read> w_gate: array<vec4f>;
@group(0) @binding(4) var<storage, read> w_up: array<vec4f>;
@group(0) @binding(5) var<storage, read> offsets: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

// Strips at reduction steps 4·k4 .. 4·k4+3 of the invocation's 16 rows of
// dg or du, or of its 16 columns h of the transposed W[e, h, :] (the index
// vectors hold the vec4 index of each row's start).
fn load_dg(r: Addr, k4: u32) -> Strip {
  return Strip(dg[r[0].x + k4], dg[r[0].y + k4], dg[r[0].z + k4], dg[r[0].w + k4],
               dg[r[1].x + k4], dg[r[1].y + k4], dg[r[1].z + k4], dg[r[1].w + k4],
               dg[r[2].x + k4], dg[r[2].y + k4], dg[r[2].z + k4], dg[r[2].w + k4],
               dg[r[3].x + k4], dg[r[3].y + k4], dg[r[3].z + k4], dg[r[3].w + k4]);
}

fn load_du(r: Addr, k4: u32) -> Strip {
  return Strip(du[r[0].x + k4], du[r[0].y + k4], du[r[0].z + k4], du[r[0].w + k4],
               du[r[1].x + k4], du[r[1].y + k4], du[r[1].z + k4], du[r[1].w + k4],
               du[r[2].x + k4], du[r[2].y + k4], du[r[2].z + k4], du[r[2].w + k4],
               du[r[3].x + k4], du[r[3].y + k4], du[r[3].z + k4], du[r[3].w + k4]);
}

fn load_gate(r: Addr, k4: u32) -> Strip {
  return Strip(w_gate[r[0].x + k4], w_gate[r[0].y + k4], w_gate[r[0].z + k4], w_gate[r[0].w + k4],
               w_gate[r[1].x + k4], w_gate[r[1].y + k4], w_gate[r[1].z + k4], w_gate[r[1].w + k4],
               w_gate[r[2].x + k4], w_gate[r[2].y + k4], w_gate[r[2].z + k4], w_gate[r[2].w + k4],
               w_gate[r[3].x + k4], w_gate[r[3].y + k4], w_gate[r[3].z + k4], w_gate[r[3].w + k4]);
}

fn load_up(r: Addr, k4: u32) -> Strip {
  return Strip(w_up[r[0].x + k4], w_up[r[0].y + k4], w_up[r[0].z + k4], w_up[r[0].w + k4],
               w_up[r[1].x + k4], w_up[r[1].y + k4], w_up[r[1].z + k4], w_up[r[1].w + k4],
               w_up[r[2].x + k4], w_up[r[2].y + k4], w_up[r[2].z + k4], w_up[r[2].w + k4],
               w_up[r[3].x + k4], w_up[r[3].y + k4], w_up[r[3].z + k4], w_up[r[3].w + k4]);
}

fn put4(row: u32, col: u32, v: vec4f) {
  if (col < p.n_dim) { dxp[(row * p.n_dim + col) / 4u] = v; }
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
    let g4 = load_dg(rows, k4);
    let wg4 = load_gate(cols, k4);
    mma(&acc, step_of(g4, 0u), step_of(wg4, 0u));
    mma(&acc, step_of(g4, 1u), step_of(wg4, 1u));
    mma(&acc, step_of(g4, 2u), step_of(wg4, 2u));
    mma(&acc, step_of(g4, 3u), step_of(wg4, 3u));
    let u4 = load_du(rows, k4);
    let wu4 = load_up(cols, k4);
    mma(&acc, step_of(u4, 0u), step_of(wu4, 0u));
    mma(&acc, step_of(u4, 1u), step_of(wu4, 1u));
    mma(&acc, step_of(u4, 2u), step_of(wu4, 2u));
    mma(&acc, step_of(u4, 3u), step_of(wu4, 3u));
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
