// Forward, first half, every expert in one launch: for the rows r of expert e,
//   g[r, :] = x[r, :] · Wgate_e,   u[r, :] = x[r, :] · Wup_e,   a = silu(g) ⊙ u
// x_RH [R, H] (xp, grouped by expert), Wgate_EHF and Wup_EHF [E, H, F], H
// and F multiples of 4 (the launcher pads); g_RF and u_RF are saved for
// backward, a_RF feeds the down projection.
//
// An invocation computes TM = 16 rows x 4 columns of both g and u (the same
// columns, so a is formed in registers): 32 named vec4 accumulators, c<r>g
// and c<r>u for row r. Each x value it loads serves both products; the four
// invocations of a SwiftShader SIMD group share their rows (the same
// addresses) and take neighbouring columns. Written out with constant
// indices because SwiftShader neither unrolls loops nor keeps indexed arrays
// in registers; 16 x 8 outputs (FORWARD_TN) rather than the 16 x 16 of the
// backward kernels because with the weights read through textures the
// spilled accumulators, not the loads, set the speed (bench/README.md).
// Row tiles and unused rows as in down.wgsl.
const_assert TM == 16u && FORWARD_TN == 8u;
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
// Bindings 4 and 5, Wgate_EHF and Wup_EHF, with gate_w and up_w, come from
// weights-gate-up-storage.wgsl or weights-gate-up-texture.wgsl (the launcher
// picks one: texture operands where the Gpu allows them).
@group(0) @binding(6) var<storage, read> offsets: array<u32>;
@group(0) @binding(7) var<uniform> p: Params;

// Columns of g and u per invocation.
const COLS: u32 = FORWARD_TN / 2u;

fn offset_at(e: u32) -> u32 {
  return offsets[e];
}

// Row `row` (< hi, checked by the caller) at columns col .. col+3 (< F: F % 4 == 0).
fn put4(row: u32, col: u32, g: vec4f, u: vec4f) {
  let o = (row * p.n_dim + col) / 4u;
  g_out[o] = g;
  u_out[o] = u;
  a_out[o] = g * sigmoid4(g) * u;
}

// Rows [row0, hi) of this invocation belong to expert e; its columns are col0 .. col0+3.
fn expert_rows(e: u32, row0: u32, col0: u32, hi: u32) {
  let k4s = p.k_dim / 4u;
  // vec4 index of each row's start; rows at or beyond hi are read clamped (finite, never stored).
  let last = hi - 1u;
  let r0 = min(row0 + 0u, last) * k4s; let r1 = min(row0 + 1u, last) * k4s; let r2 = min(row0 + 2u, last) * k4s; let r3 = min(row0 + 3u, last) * k4s;
  let r4 = min(row0 + 4u, last) * k4s; let r5 = min(row0 + 5u, last) * k4s; let r6 = min(row0 + 6u, last) * k4s; let r7 = min(row0 + 7u, last) * k4s;
  let r8 = min(row0 + 8u, last) * k4s; let r9 = min(row0 + 9u, last) * k4s; let r10 = min(row0 + 10u, last) * k4s; let r11 = min(row0 + 11u, last) * k4s;
  let r12 = min(row0 + 12u, last) * k4s; let r13 = min(row0 + 13u, last) * k4s; let r14 = min(row0 + 14u, last) * k4s; let r15 = min(row0 + 15u, last) * k4s;
  let col = col0 / 4u;
  var c0g = vec4f(0.0); var c0u = vec4f(0.0); var c1g = vec4f(0.0); var c1u = vec4f(0.0);
  var c2g = vec4f(0.0); var c2u = vec4f(0.0); var c3g = vec4f(0.0); var c3u = vec4f(0.0);
  var c4g = vec4f(0.0); var c4u = vec4f(0.0); var c5g = vec4f(0.0); var c5u = vec4f(0.0);
  var c6g = vec4f(0.0); var c6u = vec4f(0.0); var c7g = vec4f(0.0); var c7u = vec4f(0.0);
  var c8g = vec4f(0.0); var c8u = vec4f(0.0); var c9g = vec4f(0.0); var c9u = vec4f(0.0);
  var c10g = vec4f(0.0); var c10u = vec4f(0.0); var c11g = vec4f(0.0); var c11u = vec4f(0.0);
  var c12g = vec4f(0.0); var c12u = vec4f(0.0); var c13g = vec4f(0.0); var c13u = vec4f(0.0);
  var c14g = vec4f(0.0); var c14u = vec4f(0.0); var c15g = vec4f(0.0); var c15u = vec4f(0.0);
  for (var k4 = 0u; k4 < k4s; k4++) {
    // x<r> = x[row r, 4k4 .. 4k4 + 3]; wg, wu = Wgate_e, Wup_e [k, col0 .. col0 + 3] for each k.
    let x0 = x[r0 + k4]; let x1 = x[r1 + k4]; let x2 = x[r2 + k4]; let x3 = x[r3 + k4];
    let x4 = x[r4 + k4]; let x5 = x[r5 + k4]; let x6 = x[r6 + k4]; let x7 = x[r7 + k4];
    let x8 = x[r8 + k4]; let x9 = x[r9 + k4]; let x10 = x[r10 + k4]; let x11 = x[r11 + k4];
    let x12 = x[r12 + k4]; let x13 = x[r13 + k4]; let x14 = x[r14 + k4]; let x15 = x[r15 + k4];
    let k = 4u * k4;
    { let wg = gate_w(e, k, col); let wu = up_w(e, k, col);
      c0g = fma(vec4f(x0.x), wg, c0g); c0u = fma(vec4f(x0.x), wu, c0u); c1g = fma(vec4f(x1.x), wg, c1g); c1u = fma(vec4f(x1.x), wu, c1u);
      c2g = fma(vec4f(x2.x), wg, c2g); c2u = fma(vec4f(x2.x), wu, c2u); c3g = fma(vec4f(x3.x), wg, c3g); c3u = fma(vec4f(x3.x), wu, c3u);
      c4g = fma(vec4f(x4.x), wg, c4g); c4u = fma(vec4f(x4.x), wu, c4u); c5g = fma(vec4f(x5.x), wg, c5g); c5u = fma(vec4f(x5.x), wu, c5u);
      c6g = fma(vec4f(x6.x), wg, c6g); c6u = fma(vec4f(x6.x), wu, c6u); c7g = fma(vec4f(x7.x), wg, c7g); c7u = fma(vec4f(x7.x), wu, c7u);
      c8g = fma(vec4f(x8.x), wg, c8g); c8u = fma(vec4f(x8.x), wu, c8u); c9g = fma(vec4f(x9.x), wg, c9g); c9u = fma(vec4f(x9.x), wu, c9u);
      c10g = fma(vec4f(x10.x), wg, c10g); c10u = fma(vec4f(x10.x), wu, c10u); c11g = fma(vec4f(x11.x), wg, c11g); c11u = fma(vec4f(x11.x), wu, c11u);
      c12g = fma(vec4f(x12.x), wg, c12g); c12u = fma(vec4f(x12.x), wu, c12u); c13g = fma(vec4f(x13.x), wg, c13g); c13u = fma(vec4f(x13.x), wu, c13u);
      c14g = fma(vec4f(x14.x), wg, c14g); c14u = fma(vec4f(x14.x), wu, c14u); c15g = fma(vec4f(x15.x), wg, c15g); c15u = fma(vec4f(x15.x), wu, c15u);
    }
    { let wg = gate_w(e, k + 1u, col); let wu = up_w(e, k + 1u, col);
      c0g = fma(vec4f(x0.y), wg, c0g); c0u = fma(vec4f(x0.y), wu, c0u); c1g = fma(vec4f(x1.y), wg, c1g); c1u = fma(vec4f(x1.y), wu, c1u);
      c2g = fma(vec4f(x2.y), wg, c2g); c2u = fma(vec4f(x2.y), wu, c2u); c3g = fma(vec4f(x3.y), wg, c3g); c3u = fma(vec4f(x3.y), wu, c3u);
      c4g = fma(vec4f(x4.y), wg, c4g); c4u = fma(vec4f(x4.y), wu, c4u); c5g = fma(vec4f(x5.y), wg, c5g); c5u = fma(vec4f(x5.y), wu, c5u);
      c6g = fma(vec4f(x6.y), wg, c6g); c6u = fma(vec4f(x6.y), wu, c6u); c7g = fma(vec4f(x7.y), wg, c7g); c7u = fma(vec4f(x7.y), wu, c7u);
      c8g = fma(vec4f(x8.y), wg, c8g); c8u = fma(vec4f(x8.y), wu, c8u); c9g = fma(vec4f(x9.y), wg, c9g); c9u = fma(vec4f(x9.y), wu, c9u);
      c10g = fma(vec4f(x10.y), wg, c10g); c10u = fma(vec4f(x10.y), wu, c10u); c11g = fma(vec4f(x11.y), wg, c11g); c11u = fma(vec4f(x11.y), wu, c11u);
      c12g = fma(vec4f(x12.y), wg, c12g); c12u = fma(vec4f(x12.y), wu, c12u); c13g = fma(vec4f(x13.y), wg, c13g); c13u = fma(vec4f(x13.y), wu, c13u);
      c14g = fma(vec4f(x14.y), wg, c14g); c14u = fma(vec4f(x14.y), wu, c14u); c15g = fma(vec4f(x15.y), wg, c15g); c15u = fma(vec4f(x15.y), wu, c15u);
    }
    { let wg = gate_w(e, k + 2u, col); let wu = up_w(e, k + 2u, col);
      c0g = fma(vec4f(x0.z), wg, c0g); c0u = fma(vec4f(x0.z), wu, c0u); c1g = fma(vec4f(x1.z), wg, c1g); c1u = fma(vec4f(x1.z), wu, c1u);
      c2g = fma(vec4f(x2.z), wg, c2g); c2u = fma(vec4f(x2.z), wu, c2u); c3g = fma(vec4f(x3.z), wg, c3g); c3u = fma(vec4f(x3.z), wu, c3u);
      c4g = fma(vec4f(x4.z), wg, c4g); c4u = fma(vec4f(x4.z), wu, c4u); c5g = fma(vec4f(x5.z), wg, c5g); c5u = fma(vec4f(x5.z), wu, c5u);
      c6g = fma(vec4f(x6.z), wg, c6g); c6u = fma(vec4f(x6.z), wu, c6u); c7g = fma(vec4f(x7.z), wg, c7g); c7u = fma(vec4f(x7.z), wu, c7u);
      c8g = fma(vec4f(x8.z), wg, c8g); c8u = fma(vec4f(x8.z), wu, c8u); c9g = fma(vec4f(x9.z), wg, c9g); c9u = fma(vec4f(x9.z), wu, c9u);
      c10g = fma(vec4f(x10.z), wg, c10g); c10u = fma(vec4f(x10.z), wu, c10u); c11g = fma(vec4f(x11.z), wg, c11g); c11u = fma(vec4f(x11.z), wu, c11u);
      c12g = fma(vec4f(x12.z), wg, c12g); c12u = fma(vec4f(x12.z), wu, c12u); c13g = fma(vec4f(x13.z), wg, c13g); c13u = fma(vec4f(x13.z), wu, c13u);
      c14g = fma(vec4f(x14.z), wg, c14g); c14u = fma(vec4f(x14.z), wu, c14u); c15g = fma(vec4f(x15.z), wg, c15g); c15u = fma(vec4f(x15.z), wu, c15u);
    }
    { let wg = gate_w(e, k + 3u, col); let wu = up_w(e, k + 3u, col);
      c0g = fma(vec4f(x0.w), wg, c0g); c0u = fma(vec4f(x0.w), wu, c0u); c1g = fma(vec4f(x1.w), wg, c1g); c1u = fma(vec4f(x1.w), wu, c1u);
      c2g = fma(vec4f(x2.w), wg, c2g); c2u = fma(vec4f(x2.w), wu, c2u); c3g = fma(vec4f(x3.w), wg, c3g); c3u = fma(vec4f(x3.w), wu, c3u);
      c4g = fma(vec4f(x4.w), wg, c4g); c4u = fma(vec4f(x4.w), wu, c4u); c5g = fma(vec4f(x5.w), wg, c5g); c5u = fma(vec4f(x5.w), wu, c5u);
      c6g = fma(vec4f(x6.w), wg, c6g); c6u = fma(vec4f(x6.w), wu, c6u); c7g = fma(vec4f(x7.w), wg, c7g); c7u = fma(vec4f(x7.w), wu, c7u);
      c8g = fma(vec4f(x8.w), wg, c8g); c8u = fma(vec4f(x8.w), wu, c8u); c9g = fma(vec4f(x9.w), wg, c9g); c9u = fma(vec4f(x9.w), wu, c9u);
      c10g = fma(vec4f(x10.w), wg, c10g); c10u = fma(vec4f(x10.w), wu, c10u); c11g = fma(vec4f(x11.w), wg, c11g); c11u = fma(vec4f(x11.w), wu, c11u);
      c12g = fma(vec4f(x12.w), wg, c12g); c12u = fma(vec4f(x12.w), wu, c12u); c13g = fma(vec4f(x13.w), wg, c13g); c13u = fma(vec4f(x13.w), wu, c13u);
      c14g = fma(vec4f(x14.w), wg, c14g); c14u = fma(vec4f(x14.w), wu, c14u); c15g = fma(vec4f(x15.w), wg, c15g); c15u = fma(vec4f(x15.w), wu, c15u);
    }
  }
  // Rows at or beyond hi belong to another expert (or to no row at all).
  if (row0 + 0u < hi) { put4(row0 + 0u, col0, c0g, c0u); }
  if (row0 + 1u < hi) { put4(row0 + 1u, col0, c1g, c1u); }
  if (row0 + 2u < hi) { put4(row0 + 2u, col0, c2g, c2u); }
  if (row0 + 3u < hi) { put4(row0 + 3u, col0, c3g, c3u); }
  if (row0 + 4u < hi) { put4(row0 + 4u, col0, c4g, c4u); }
  if (row0 + 5u < hi) { put4(row0 + 5u, col0, c5g, c5u); }
  if (row0 + 6u < hi) { put4(row0 + 6u, col0, c6g, c6u); }
  if (row0 + 7u < hi) { put4(row0 + 7u, col0, c7g, c7u); }
  if (row0 + 8u < hi) { put4(row0 + 8u, col0, c8g, c8u); }
  if (row0 + 9u < hi) { put4(row0 + 9u, col0, c9g, c9u); }
  if (row0 + 10u < hi) { put4(row0 + 10u, col0, c10g, c10u); }
  if (row0 + 11u < hi) { put4(row0 + 11u, col0, c11g, c11u); }
  if (row0 + 12u < hi) { put4(row0 + 12u, col0, c12g, c12u); }
  if (row0 + 13u < hi) { put4(row0 + 13u, col0, c13g, c13u); }
  if (row0 + 14u < hi) { put4(row0 + 14u, col0, c14g, c14u); }
  if (row0 + 15u < hi) { put4(row0 + 15u, col0, c15g, c15u); }
}

@compute @workgroup_size(WG_COLS, WG_ROWS, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  // Blocks of row tiles, then column tiles (row_block_tile in tile.wgsl).
  let w = work_item(wid, nwg, row_block_items(p.row_tiles, p.col_tiles));
  let t = row_block_tile(w, p.col_tiles);
  if (t.x >= p.row_tiles) { return; }
  let col0 = (t.y * WG_COLS + lid.x) * COLS;
  if (col0 >= p.n_dim) { return; }
  let seg = tile_rows(t.x, p.experts, p.rows, TM * WG_ROWS);
  let row0 = seg.y + lid.y * TM;
  let row_end = min(row0 + TM, seg.z);
  if (row0 >= row_end) { return; }
  expert_rows(seg.x, row0, col0, row_end);
}
