// Forward, second half, every expert in one launch:
//   y[r, :] = a[r, :] · Wdown_e   for the rows r of expert e
// a_RF [R, F] (from gate-up), Wdown_EFH [E, F, H], y_RH [R, H], F and H
// multiples of 4 (the launcher pads). Rows at or beyond offsets[E] are not
// written (unused by contract).
//
// A workgroup owns one work item (work_item in tile.wgsl): BN = FORWARD_TN·WG_COLS
// output columns of one row tile, BM = TM·WG_ROWS rows of one expert
// (tile_rows). There are R / BM + E row tiles, enough for any offsets; tiles
// without rows (beyond offsets[E], or of an empty expert) return at once, so
// an expert with no rows costs (almost) nothing.
//
// An invocation computes TM = 16 rows x FORWARD_TN = 8 columns in 32 named
// vec4 accumulators (c<r>_<j>: row r, columns col0 + 4j .. col0 + 4j + 3),
// written out as in gate-up.wgsl, which says why.
const_assert TM == 16u && FORWARD_TN == 8u;
override WG_ROWS: u32;
override WG_COLS: u32;

struct Params {
  rows: u32,      // R
  experts: u32,   // E
  k_dim: u32,     // F: the reduction
  n_dim: u32,     // H: output columns
  row_tiles: u32, // R / BM + E (see tile_rows)
  col_tiles: u32, // column tiles of BN
}

@group(0) @binding(0) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
// Binding 2, Wdown_EFH, with down_w, comes from weights-down-storage.wgsl or
// weights-down-texture.wgsl (the launcher picks one).
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

// Row `row` (< hi, checked by the caller), columns col0 .. col0+7; the second
// group only when H has it (H % 4 == 0, col0 < H).
fn put8(row: u32, col0: u32, v0: vec4f, v1: vec4f) {
  let o = (row * p.n_dim + col0) / 4u;
  y[o] = v0;
  if (col0 + 4u < p.n_dim) { y[o + 1u] = v1; }
}

// Rows [row0, hi) of this invocation belong to expert e; its columns are col0 .. col0+7.
fn expert_rows(e: u32, row0: u32, col0: u32, hi: u32) {
  let k4s = p.k_dim / 4u;
  // vec4 index of each row's start; rows at or beyond hi are read clamped (finite, never stored).
  let last = hi - 1u;
  let r0 = min(row0 + 0u, last) * k4s; let r1 = min(row0 + 1u, last) * k4s; let r2 = min(row0 + 2u, last) * k4s; let r3 = min(row0 + 3u, last) * k4s;
  let r4 = min(row0 + 4u, last) * k4s; let r5 = min(row0 + 5u, last) * k4s; let r6 = min(row0 + 6u, last) * k4s; let r7 = min(row0 + 7u, last) * k4s;
  let r8 = min(row0 + 8u, last) * k4s; let r9 = min(row0 + 9u, last) * k4s; let r10 = min(row0 + 10u, last) * k4s; let r11 = min(row0 + 11u, last) * k4s;
  let r12 = min(row0 + 12u, last) * k4s; let r13 = min(row0 + 13u, last) * k4s; let r14 = min(row0 + 14u, last) * k4s; let r15 = min(row0 + 15u, last) * k4s;
  // Column groups, the second clamped to the row (its results are not stored).
  let g0 = col0 / 4u;
  let g1 = min(g0 + 1u, p.n_dim / 4u - 1u);
  var c0_0 = vec4f(0.0); var c0_1 = vec4f(0.0); var c1_0 = vec4f(0.0); var c1_1 = vec4f(0.0);
  var c2_0 = vec4f(0.0); var c2_1 = vec4f(0.0); var c3_0 = vec4f(0.0); var c3_1 = vec4f(0.0);
  var c4_0 = vec4f(0.0); var c4_1 = vec4f(0.0); var c5_0 = vec4f(0.0); var c5_1 = vec4f(0.0);
  var c6_0 = vec4f(0.0); var c6_1 = vec4f(0.0); var c7_0 = vec4f(0.0); var c7_1 = vec4f(0.0);
  var c8_0 = vec4f(0.0); var c8_1 = vec4f(0.0); var c9_0 = vec4f(0.0); var c9_1 = vec4f(0.0);
  var c10_0 = vec4f(0.0); var c10_1 = vec4f(0.0); var c11_0 = vec4f(0.0); var c11_1 = vec4f(0.0);
  var c12_0 = vec4f(0.0); var c12_1 = vec4f(0.0); var c13_0 = vec4f(0.0); var c13_1 = vec4f(0.0);
  var c14_0 = vec4f(0.0); var c14_1 = vec4f(0.0); var c15_0 = vec4f(0.0); var c15_1 = vec4f(0.0);
  for (var k4 = 0u; k4 < k4s; k4++) {
    // a<r> = a[row r, 4k4 .. 4k4 + 3]; w0, w1 = Wdown_e [k, col0 .. col0 + 7] for each k.
    let a0 = a[r0 + k4]; let a1 = a[r1 + k4]; let a2 = a[r2 + k4]; let a3 = a[r3 + k4];
    let a4 = a[r4 + k4]; let a5 = a[r5 + k4]; let a6 = a[r6 + k4]; let a7 = a[r7 + k4];
    let a8 = a[r8 + k4]; let a9 = a[r9 + k4]; let a10 = a[r10 + k4]; let a11 = a[r11 + k4];
    let a12 = a[r12 + k4]; let a13 = a[r13 + k4]; let a14 = a[r14 + k4]; let a15 = a[r15 + k4];
    let k = 4u * k4;
    { let w0 = down_w(e, k, g0); let w1 = down_w(e, k, g1);
      c0_0 = fma(vec4f(a0.x), w0, c0_0); c0_1 = fma(vec4f(a0.x), w1, c0_1); c1_0 = fma(vec4f(a1.x), w0, c1_0); c1_1 = fma(vec4f(a1.x), w1, c1_1);
      c2_0 = fma(vec4f(a2.x), w0, c2_0); c2_1 = fma(vec4f(a2.x), w1, c2_1); c3_0 = fma(vec4f(a3.x), w0, c3_0); c3_1 = fma(vec4f(a3.x), w1, c3_1);
      c4_0 = fma(vec4f(a4.x), w0, c4_0); c4_1 = fma(vec4f(a4.x), w1, c4_1); c5_0 = fma(vec4f(a5.x), w0, c5_0); c5_1 = fma(vec4f(a5.x), w1, c5_1);
      c6_0 = fma(vec4f(a6.x), w0, c6_0); c6_1 = fma(vec4f(a6.x), w1, c6_1); c7_0 = fma(vec4f(a7.x), w0, c7_0); c7_1 = fma(vec4f(a7.x), w1, c7_1);
      c8_0 = fma(vec4f(a8.x), w0, c8_0); c8_1 = fma(vec4f(a8.x), w1, c8_1); c9_0 = fma(vec4f(a9.x), w0, c9_0); c9_1 = fma(vec4f(a9.x), w1, c9_1);
      c10_0 = fma(vec4f(a10.x), w0, c10_0); c10_1 = fma(vec4f(a10.x), w1, c10_1); c11_0 = fma(vec4f(a11.x), w0, c11_0); c11_1 = fma(vec4f(a11.x), w1, c11_1);
      c12_0 = fma(vec4f(a12.x), w0, c12_0); c12_1 = fma(vec4f(a12.x), w1, c12_1); c13_0 = fma(vec4f(a13.x), w0, c13_0); c13_1 = fma(vec4f(a13.x), w1, c13_1);
      c14_0 = fma(vec4f(a14.x), w0, c14_0); c14_1 = fma(vec4f(a14.x), w1, c14_1); c15_0 = fma(vec4f(a15.x), w0, c15_0); c15_1 = fma(vec4f(a15.x), w1, c15_1);
    }
    { let w0 = down_w(e, k + 1u, g0); let w1 = down_w(e, k + 1u, g1);
      c0_0 = fma(vec4f(a0.y), w0, c0_0); c0_1 = fma(vec4f(a0.y), w1, c0_1); c1_0 = fma(vec4f(a1.y), w0, c1_0); c1_1 = fma(vec4f(a1.y), w1, c1_1);
      c2_0 = fma(vec4f(a2.y), w0, c2_0); c2_1 = fma(vec4f(a2.y), w1, c2_1); c3_0 = fma(vec4f(a3.y), w0, c3_0); c3_1 = fma(vec4f(a3.y), w1, c3_1);
      c4_0 = fma(vec4f(a4.y), w0, c4_0); c4_1 = fma(vec4f(a4.y), w1, c4_1); c5_0 = fma(vec4f(a5.y), w0, c5_0); c5_1 = fma(vec4f(a5.y), w1, c5_1);
      c6_0 = fma(vec4f(a6.y), w0, c6_0); c6_1 = fma(vec4f(a6.y), w1, c6_1); c7_0 = fma(vec4f(a7.y), w0, c7_0); c7_1 = fma(vec4f(a7.y), w1, c7_1);
      c8_0 = fma(vec4f(a8.y), w0, c8_0); c8_1 = fma(vec4f(a8.y), w1, c8_1); c9_0 = fma(vec4f(a9.y), w0, c9_0); c9_1 = fma(vec4f(a9.y), w1, c9_1);
      c10_0 = fma(vec4f(a10.y), w0, c10_0); c10_1 = fma(vec4f(a10.y), w1, c10_1); c11_0 = fma(vec4f(a11.y), w0, c11_0); c11_1 = fma(vec4f(a11.y), w1, c11_1);
      c12_0 = fma(vec4f(a12.y), w0, c12_0); c12_1 = fma(vec4f(a12.y), w1, c12_1); c13_0 = fma(vec4f(a13.y), w0, c13_0); c13_1 = fma(vec4f(a13.y), w1, c13_1);
      c14_0 = fma(vec4f(a14.y), w0, c14_0); c14_1 = fma(vec4f(a14.y), w1, c14_1); c15_0 = fma(vec4f(a15.y), w0, c15_0); c15_1 = fma(vec4f(a15.y), w1, c15_1);
    }
    { let w0 = down_w(e, k + 2u, g0); let w1 = down_w(e, k + 2u, g1);
      c0_0 = fma(vec4f(a0.z), w0, c0_0); c0_1 = fma(vec4f(a0.z), w1, c0_1); c1_0 = fma(vec4f(a1.z), w0, c1_0); c1_1 = fma(vec4f(a1.z), w1, c1_1);
      c2_0 = fma(vec4f(a2.z), w0, c2_0); c2_1 = fma(vec4f(a2.z), w1, c2_1); c3_0 = fma(vec4f(a3.z), w0, c3_0); c3_1 = fma(vec4f(a3.z), w1, c3_1);
      c4_0 = fma(vec4f(a4.z), w0, c4_0); c4_1 = fma(vec4f(a4.z), w1, c4_1); c5_0 = fma(vec4f(a5.z), w0, c5_0); c5_1 = fma(vec4f(a5.z), w1, c5_1);
      c6_0 = fma(vec4f(a6.z), w0, c6_0); c6_1 = fma(vec4f(a6.z), w1, c6_1); c7_0 = fma(vec4f(a7.z), w0, c7_0); c7_1 = fma(vec4f(a7.z), w1, c7_1);
      c8_0 = fma(vec4f(a8.z), w0, c8_0); c8_1 = fma(vec4f(a8.z), w1, c8_1); c9_0 = fma(vec4f(a9.z), w0, c9_0); c9_1 = fma(vec4f(a9.z), w1, c9_1);
      c10_0 = fma(vec4f(a10.z), w0, c10_0); c10_1 = fma(vec4f(a10.z), w1, c10_1); c11_0 = fma(vec4f(a11.z), w0, c11_0); c11_1 = fma(vec4f(a11.z), w1, c11_1);
      c12_0 = fma(vec4f(a12.z), w0, c12_0); c12_1 = fma(vec4f(a12.z), w1, c12_1); c13_0 = fma(vec4f(a13.z), w0, c13_0); c13_1 = fma(vec4f(a13.z), w1, c13_1);
      c14_0 = fma(vec4f(a14.z), w0, c14_0); c14_1 = fma(vec4f(a14.z), w1, c14_1); c15_0 = fma(vec4f(a15.z), w0, c15_0); c15_1 = fma(vec4f(a15.z), w1, c15_1);
    }
    { let w0 = down_w(e, k + 3u, g0); let w1 = down_w(e, k + 3u, g1);
      c0_0 = fma(vec4f(a0.w), w0, c0_0); c0_1 = fma(vec4f(a0.w), w1, c0_1); c1_0 = fma(vec4f(a1.w), w0, c1_0); c1_1 = fma(vec4f(a1.w), w1, c1_1);
      c2_0 = fma(vec4f(a2.w), w0, c2_0); c2_1 = fma(vec4f(a2.w), w1, c2_1); c3_0 = fma(vec4f(a3.w), w0, c3_0); c3_1 = fma(vec4f(a3.w), w1, c3_1);
      c4_0 = fma(vec4f(a4.w), w0, c4_0); c4_1 = fma(vec4f(a4.w), w1, c4_1); c5_0 = fma(vec4f(a5.w), w0, c5_0); c5_1 = fma(vec4f(a5.w), w1, c5_1);
      c6_0 = fma(vec4f(a6.w), w0, c6_0); c6_1 = fma(vec4f(a6.w), w1, c6_1); c7_0 = fma(vec4f(a7.w), w0, c7_0); c7_1 = fma(vec4f(a7.w), w1, c7_1);
      c8_0 = fma(vec4f(a8.w), w0, c8_0); c8_1 = fma(vec4f(a8.w), w1, c8_1); c9_0 = fma(vec4f(a9.w), w0, c9_0); c9_1 = fma(vec4f(a9.w), w1, c9_1);
      c10_0 = fma(vec4f(a10.w), w0, c10_0); c10_1 = fma(vec4f(a10.w), w1, c10_1); c11_0 = fma(vec4f(a11.w), w0, c11_0); c11_1 = fma(vec4f(a11.w), w1, c11_1);
      c12_0 = fma(vec4f(a12.w), w0, c12_0); c12_1 = fma(vec4f(a12.w), w1, c12_1); c13_0 = fma(vec4f(a13.w), w0, c13_0); c13_1 = fma(vec4f(a13.w), w1, c13_1);
      c14_0 = fma(vec4f(a14.w), w0, c14_0); c14_1 = fma(vec4f(a14.w), w1, c14_1); c15_0 = fma(vec4f(a15.w), w0, c15_0); c15_1 = fma(vec4f(a15.w), w1, c15_1);
    }
  }
  // Rows at or beyond hi belong to another expert (or to no row at all).
  if (row0 + 0u < hi) { put8(row0 + 0u, col0, c0_0, c0_1); }
  if (row0 + 1u < hi) { put8(row0 + 1u, col0, c1_0, c1_1); }
  if (row0 + 2u < hi) { put8(row0 + 2u, col0, c2_0, c2_1); }
  if (row0 + 3u < hi) { put8(row0 + 3u, col0, c3_0, c3_1); }
  if (row0 + 4u < hi) { put8(row0 + 4u, col0, c4_0, c4_1); }
  if (row0 + 5u < hi) { put8(row0 + 5u, col0, c5_0, c5_1); }
  if (row0 + 6u < hi) { put8(row0 + 6u, col0, c6_0, c6_1); }
  if (row0 + 7u < hi) { put8(row0 + 7u, col0, c7_0, c7_1); }
  if (row0 + 8u < hi) { put8(row0 + 8u, col0, c8_0, c8_1); }
  if (row0 + 9u < hi) { put8(row0 + 9u, col0, c9_0, c9_1); }
  if (row0 + 10u < hi) { put8(row0 + 10u, col0, c10_0, c10_1); }
  if (row0 + 11u < hi) { put8(row0 + 11u, col0, c11_0, c11_1); }
  if (row0 + 12u < hi) { put8(row0 + 12u, col0, c12_0, c12_1); }
  if (row0 + 13u < hi) { put8(row0 + 13u, col0, c13_0, c13_1); }
  if (row0 + 14u < hi) { put8(row0 + 14u, col0, c14_0, c14_1); }
  if (row0 + 15u < hi) { put8(row0 + 15u, col0, c15_0, c15_1); }
}

@compute @workgroup_size(WG_COLS, WG_ROWS, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  // Blocks of row tiles, then column tiles (row_block_tile in tile.wgsl).
  let w = work_item(wid, nwg, row_block_items(p.row_tiles, p.col_tiles));
  let t = row_block_tile(w, p.col_tiles);
  if (t.x >= p.row_tiles) { return; }
  let col0 = (t.y * WG_COLS + lid.x) * FORWARD_TN;
  if (col0 >= p.n_dim) { return; }
  let seg = tile_rows(t.x, p.experts, p.rows, TM * WG_ROWS);
  let row0 = seg.y + lid.y * TM;
  let row_end = min(row0 + TM, seg.z);
  if (row0 >= row_end) { return; }
  expert_rows(seg.x, row0, col0, row_end);
}
