// matmul for the plain layout: A stored [M, K], B stored [K, N], both
// untransposed, K and N multiples of 4 (the launcher picks this body then;
// the 8 x 8 bodies, matmul.wgsl and matmul-vec4a.wgsl, take every other
// case). C = alpha · A · B (+ C), batched as in matmul-params.wgsl.
//
// Each invocation computes a TM x TN = 16 x 16 block of C: 16 contiguous
// rows, 16 contiguous columns, held in 64 named vec4 accumulators (c<r>_<j>:
// row r, columns 4j .. 4j+3). A is read as vec4 along k (one load per row
// for four steps of k) and B as vec4 along n (four loads per step of k), so
// four steps of k cost 32 vec4 loads for 1024 multiply-adds; the 8 x 8
// bodies spend 8 vec4 and 32 scalar loads on 256. On software WebGPU
// (SwiftShader), where a storage load is a bounds-checked per-lane gather
// costing about as much as a dozen multiply-adds, that ratio sets the speed
// (about 1.5x the 8 x 8 vec4a body there; bench/README.md has the figures).
// Everything in the k loop is written out with constant indices because
// SwiftShader neither unrolls loops nor keeps indexed arrays in registers.
// Out-of-range rows and column groups are read clamped (finite, never
// stored), so the loop has no branches; stores are guarded.
const_assert TM == 16u && TN == 16u;

@group(0) @binding(0) var<storage, read_write> C: array<vec4f>;
@group(0) @binding(1) var<storage, read> A: array<vec4f>;
@group(0) @binding(2) var<storage, read> B: array<vec4f>;

// alpha · v, plus the stored C when accumulating: the value for C[o] (o in vec4s).
fn out4(o: u32, v: vec4f) -> vec4f {
  if (ACCUMULATE) { return p.alpha * v + C[o]; }
  return p.alpha * v;
}

// Stores row `row` of the block, columns col0 .. col0+15 four at a time, guarded against M and N.
fn store_row16(batch: u32, row: u32, col0: u32, v0: vec4f, v1: vec4f, v2: vec4f, v3: vec4f) {
  if (row >= p.M) { return; }
  let o = (batch * p.batch_stride_c + row * p.N + col0) / 4u;
  let left = p.N - col0; // > 0: main returns for col0 >= N
  C[o] = out4(o, v0);
  if (left > 4u) { C[o + 1u] = out4(o + 1u, v1); }
  if (left > 8u) { C[o + 2u] = out4(o + 2u, v2); }
  if (left > 12u) { C[o + 3u] = out4(o + 3u, v3); }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = (wid.y * WG_Y + lid.y) * TM;
  let col0 = (wid.x * WG_X + lid.x) * TN;
  // A workgroup's last rows or columns may lie beyond M or N (no barriers below).
  if (row0 >= p.M || col0 >= p.N) { return; }
  let batch = wid.z;
  let a0 = a_row4(batch, row0 + 0u);
  let a1 = a_row4(batch, row0 + 1u);
  let a2 = a_row4(batch, row0 + 2u);
  let a3 = a_row4(batch, row0 + 3u);
  let a4 = a_row4(batch, row0 + 4u);
  let a5 = a_row4(batch, row0 + 5u);
  let a6 = a_row4(batch, row0 + 6u);
  let a7 = a_row4(batch, row0 + 7u);
  let a8 = a_row4(batch, row0 + 8u);
  let a9 = a_row4(batch, row0 + 9u);
  let a10 = a_row4(batch, row0 + 10u);
  let a11 = a_row4(batch, row0 + 11u);
  let a12 = a_row4(batch, row0 + 12u);
  let a13 = a_row4(batch, row0 + 13u);
  let a14 = a_row4(batch, row0 + 14u);
  let a15 = a_row4(batch, row0 + 15u);
  // Column groups (vec4 index within a row of B), clamped to the last group.
  let n4 = p.N / 4u;
  let g0 = min(col0 / 4u, n4 - 1u);
  let g1 = min(col0 / 4u + 1u, n4 - 1u);
  let g2 = min(col0 / 4u + 2u, n4 - 1u);
  let g3 = min(col0 / 4u + 3u, n4 - 1u);
  var c0_0 = vec4f(0.0); var c0_1 = vec4f(0.0); var c0_2 = vec4f(0.0); var c0_3 = vec4f(0.0);
  var c1_0 = vec4f(0.0); var c1_1 = vec4f(0.0); var c1_2 = vec4f(0.0); var c1_3 = vec4f(0.0);
  var c2_0 = vec4f(0.0); var c2_1 = vec4f(0.0); var c2_2 = vec4f(0.0); var c2_3 = vec4f(0.0);
  var c3_0 = vec4f(0.0); var c3_1 = vec4f(0.0); var c3_2 = vec4f(0.0); var c3_3 = vec4f(0.0);
  var c4_0 = vec4f(0.0); var c4_1 = vec4f(0.0); var c4_2 = vec4f(0.0); var c4_3 = vec4f(0.0);
  var c5_0 = vec4f(0.0); var c5_1 = vec4f(0.0); var c5_2 = vec4f(0.0); var c5_3 = vec4f(0.0);
  var c6_0 = vec4f(0.0); var c6_1 = vec4f(0.0); var c6_2 = vec4f(0.0); var c6_3 = vec4f(0.0);
  var c7_0 = vec4f(0.0); var c7_1 = vec4f(0.0); var c7_2 = vec4f(0.0); var c7_3 = vec4f(0.0);
  var c8_0 = vec4f(0.0); var c8_1 = vec4f(0.0); var c8_2 = vec4f(0.0); var c8_3 = vec4f(0.0);
  var c9_0 = vec4f(0.0); var c9_1 = vec4f(0.0); var c9_2 = vec4f(0.0); var c9_3 = vec4f(0.0);
  var c10_0 = vec4f(0.0); var c10_1 = vec4f(0.0); var c10_2 = vec4f(0.0); var c10_3 = vec4f(0.0);
  var c11_0 = vec4f(0.0); var c11_1 = vec4f(0.0); var c11_2 = vec4f(0.0); var c11_3 = vec4f(0.0);
  var c12_0 = vec4f(0.0); var c12_1 = vec4f(0.0); var c12_2 = vec4f(0.0); var c12_3 = vec4f(0.0);
  var c13_0 = vec4f(0.0); var c13_1 = vec4f(0.0); var c13_2 = vec4f(0.0); var c13_3 = vec4f(0.0);
  var c14_0 = vec4f(0.0); var c14_1 = vec4f(0.0); var c14_2 = vec4f(0.0); var c14_3 = vec4f(0.0);
  var c15_0 = vec4f(0.0); var c15_1 = vec4f(0.0); var c15_2 = vec4f(0.0); var c15_3 = vec4f(0.0);
  var kb = batch * p.batch_stride_b / 4u; // vec4 offset of B[k, 0]
  for (var kq = 0u; kq < p.K / 4u; kq++) {
    // x<r> = A[row0 + r, 4kq .. 4kq + 3]; b<j> = B[k, col0 + 4j .. col0 + 4j + 3] for each k.
    let x0 = A[a0 + kq]; let x1 = A[a1 + kq]; let x2 = A[a2 + kq]; let x3 = A[a3 + kq];
    let x4 = A[a4 + kq]; let x5 = A[a5 + kq]; let x6 = A[a6 + kq]; let x7 = A[a7 + kq];
    let x8 = A[a8 + kq]; let x9 = A[a9 + kq]; let x10 = A[a10 + kq]; let x11 = A[a11 + kq];
    let x12 = A[a12 + kq]; let x13 = A[a13 + kq]; let x14 = A[a14 + kq]; let x15 = A[a15 + kq];
    { let b0 = B[kb + g0]; let b1 = B[kb + g1]; let b2 = B[kb + g2]; let b3 = B[kb + g3];
      c0_0 = fma(vec4f(x0.x), b0, c0_0); c0_1 = fma(vec4f(x0.x), b1, c0_1); c0_2 = fma(vec4f(x0.x), b2, c0_2); c0_3 = fma(vec4f(x0.x), b3, c0_3);
      c1_0 = fma(vec4f(x1.x), b0, c1_0); c1_1 = fma(vec4f(x1.x), b1, c1_1); c1_2 = fma(vec4f(x1.x), b2, c1_2); c1_3 = fma(vec4f(x1.x), b3, c1_3);
      c2_0 = fma(vec4f(x2.x), b0, c2_0); c2_1 = fma(vec4f(x2.x), b1, c2_1); c2_2 = fma(vec4f(x2.x), b2, c2_2); c2_3 = fma(vec4f(x2.x), b3, c2_3);
      c3_0 = fma(vec4f(x3.x), b0, c3_0); c3_1 = fma(vec4f(x3.x), b1, c3_1); c3_2 = fma(vec4f(x3.x), b2, c3_2); c3_3 = fma(vec4f(x3.x), b3, c3_3);
      c4_0 = fma(vec4f(x4.x), b0, c4_0); c4_1 = fma(vec4f(x4.x), b1, c4_1); c4_2 = fma(vec4f(x4.x), b2, c4_2); c4_3 = fma(vec4f(x4.x), b3, c4_3);
      c5_0 = fma(vec4f(x5.x), b0, c5_0); c5_1 = fma(vec4f(x5.x), b1, c5_1); c5_2 = fma(vec4f(x5.x), b2, c5_2); c5_3 = fma(vec4f(x5.x), b3, c5_3);
      c6_0 = fma(vec4f(x6.x), b0, c6_0); c6_1 = fma(vec4f(x6.x), b1, c6_1); c6_2 = fma(vec4f(x6.x), b2, c6_2); c6_3 = fma(vec4f(x6.x), b3, c6_3);
      c7_0 = fma(vec4f(x7.x), b0, c7_0); c7_1 = fma(vec4f(x7.x), b1, c7_1); c7_2 = fma(vec4f(x7.x), b2, c7_2); c7_3 = fma(vec4f(x7.x), b3, c7_3);
      c8_0 = fma(vec4f(x8.x), b0, c8_0); c8_1 = fma(vec4f(x8.x), b1, c8_1); c8_2 = fma(vec4f(x8.x), b2, c8_2); c8_3 = fma(vec4f(x8.x), b3, c8_3);
      c9_0 = fma(vec4f(x9.x), b0, c9_0); c9_1 = fma(vec4f(x9.x), b1, c9_1); c9_2 = fma(vec4f(x9.x), b2, c9_2); c9_3 = fma(vec4f(x9.x), b3, c9_3);
      c10_0 = fma(vec4f(x10.x), b0, c10_0); c10_1 = fma(vec4f(x10.x), b1, c10_1); c10_2 = fma(vec4f(x10.x), b2, c10_2); c10_3 = fma(vec4f(x10.x), b3, c10_3);
      c11_0 = fma(vec4f(x11.x), b0, c11_0); c11_1 = fma(vec4f(x11.x), b1, c11_1); c11_2 = fma(vec4f(x11.x), b2, c11_2); c11_3 = fma(vec4f(x11.x), b3, c11_3);
      c12_0 = fma(vec4f(x12.x), b0, c12_0); c12_1 = fma(vec4f(x12.x), b1, c12_1); c12_2 = fma(vec4f(x12.x), b2, c12_2); c12_3 = fma(vec4f(x12.x), b3, c12_3);
      c13_0 = fma(vec4f(x13.x), b0, c13_0); c13_1 = fma(vec4f(x13.x), b1, c13_1); c13_2 = fma(vec4f(x13.x), b2, c13_2); c13_3 = fma(vec4f(x13.x), b3, c13_3);
      c14_0 = fma(vec4f(x14.x), b0, c14_0); c14_1 = fma(vec4f(x14.x), b1, c14_1); c14_2 = fma(vec4f(x14.x), b2, c14_2); c14_3 = fma(vec4f(x14.x), b3, c14_3);
      c15_0 = fma(vec4f(x15.x), b0, c15_0); c15_1 = fma(vec4f(x15.x), b1, c15_1); c15_2 = fma(vec4f(x15.x), b2, c15_2); c15_3 = fma(vec4f(x15.x), b3, c15_3);
      kb += n4; }
    { let b0 = B[kb + g0]; let b1 = B[kb + g1]; let b2 = B[kb + g2]; let b3 = B[kb + g3];
      c0_0 = fma(vec4f(x0.y), b0, c0_0); c0_1 = fma(vec4f(x0.y), b1, c0_1); c0_2 = fma(vec4f(x0.y), b2, c0_2); c0_3 = fma(vec4f(x0.y), b3, c0_3);
      c1_0 = fma(vec4f(x1.y), b0, c1_0); c1_1 = fma(vec4f(x1.y), b1, c1_1); c1_2 = fma(vec4f(x1.y), b2, c1_2); c1_3 = fma(vec4f(x1.y), b3, c1_3);
      c2_0 = fma(vec4f(x2.y), b0, c2_0); c2_1 = fma(vec4f(x2.y), b1, c2_1); c2_2 = fma(vec4f(x2.y), b2, c2_2); c2_3 = fma(vec4f(x2.y), b3, c2_3);
      c3_0 = fma(vec4f(x3.y), b0, c3_0); c3_1 = fma(vec4f(x3.y), b1, c3_1); c3_2 = fma(vec4f(x3.y), b2, c3_2); c3_3 = fma(vec4f(x3.y), b3, c3_3);
      c4_0 = fma(vec4f(x4.y), b0, c4_0); c4_1 = fma(vec4f(x4.y), b1, c4_1); c4_2 = fma(vec4f(x4.y), b2, c4_2); c4_3 = fma(vec4f(x4.y), b3, c4_3);
      c5_0 = fma(vec4f(x5.y), b0, c5_0); c5_1 = fma(vec4f(x5.y), b1, c5_1); c5_2 = fma(vec4f(x5.y), b2, c5_2); c5_3 = fma(vec4f(x5.y), b3, c5_3);
      c6_0 = fma(vec4f(x6.y), b0, c6_0); c6_1 = fma(vec4f(x6.y), b1, c6_1); c6_2 = fma(vec4f(x6.y), b2, c6_2); c6_3 = fma(vec4f(x6.y), b3, c6_3);
      c7_0 = fma(vec4f(x7.y), b0, c7_0); c7_1 = fma(vec4f(x7.y), b1, c7_1); c7_2 = fma(vec4f(x7.y), b2, c7_2); c7_3 = fma(vec4f(x7.y), b3, c7_3);
      c8_0 = fma(vec4f(x8.y), b0, c8_0); c8_1 = fma(vec4f(x8.y), b1, c8_1); c8_2 = fma(vec4f(x8.y), b2, c8_2); c8_3 = fma(vec4f(x8.y), b3, c8_3);
      c9_0 = fma(vec4f(x9.y), b0, c9_0); c9_1 = fma(vec4f(x9.y), b1, c9_1); c9_2 = fma(vec4f(x9.y), b2, c9_2); c9_3 = fma(vec4f(x9.y), b3, c9_3);
      c10_0 = fma(vec4f(x10.y), b0, c10_0); c10_1 = fma(vec4f(x10.y), b1, c10_1); c10_2 = fma(vec4f(x10.y), b2, c10_2); c10_3 = fma(vec4f(x10.y), b3, c10_3);
      c11_0 = fma(vec4f(x11.y), b0, c11_0); c11_1 = fma(vec4f(x11.y), b1, c11_1); c11_2 = fma(vec4f(x11.y), b2, c11_2); c11_3 = fma(vec4f(x11.y), b3, c11_3);
      c12_0 = fma(vec4f(x12.y), b0, c12_0); c12_1 = fma(vec4f(x12.y), b1, c12_1); c12_2 = fma(vec4f(x12.y), b2, c12_2); c12_3 = fma(vec4f(x12.y), b3, c12_3);
      c13_0 = fma(vec4f(x13.y), b0, c13_0); c13_1 = fma(vec4f(x13.y), b1, c13_1); c13_2 = fma(vec4f(x13.y), b2, c13_2); c13_3 = fma(vec4f(x13.y), b3, c13_3);
      c14_0 = fma(vec4f(x14.y), b0, c14_0); c14_1 = fma(vec4f(x14.y), b1, c14_1); c14_2 = fma(vec4f(x14.y), b2, c14_2); c14_3 = fma(vec4f(x14.y), b3, c14_3);
      c15_0 = fma(vec4f(x15.y), b0, c15_0); c15_1 = fma(vec4f(x15.y), b1, c15_1); c15_2 = fma(vec4f(x15.y), b2, c15_2); c15_3 = fma(vec4f(x15.y), b3, c15_3);
      kb += n4; }
    { let b0 = B[kb + g0]; let b1 = B[kb + g1]; let b2 = B[kb + g2]; let b3 = B[kb + g3];
      c0_0 = fma(vec4f(x0.z), b0, c0_0); c0_1 = fma(vec4f(x0.z), b1, c0_1); c0_2 = fma(vec4f(x0.z), b2, c0_2); c0_3 = fma(vec4f(x0.z), b3, c0_3);
      c1_0 = fma(vec4f(x1.z), b0, c1_0); c1_1 = fma(vec4f(x1.z), b1, c1_1); c1_2 = fma(vec4f(x1.z), b2, c1_2); c1_3 = fma(vec4f(x1.z), b3, c1_3);
      c2_0 = fma(vec4f(x2.z), b0, c2_0); c2_1 = fma(vec4f(x2.z), b1, c2_1); c2_2 = fma(vec4f(x2.z), b2, c2_2); c2_3 = fma(vec4f(x2.z), b3, c2_3);
      c3_0 = fma(vec4f(x3.z), b0, c3_0); c3_1 = fma(vec4f(x3.z), b1, c3_1); c3_2 = fma(vec4f(x3.z), b2, c3_2); c3_3 = fma(vec4f(x3.z), b3, c3_3);
      c4_0 = fma(vec4f(x4.z), b0, c4_0); c4_1 = fma(vec4f(x4.z), b1, c4_1); c4_2 = fma(vec4f(x4.z), b2, c4_2); c4_3 = fma(vec4f(x4.z), b3, c4_3);
      c5_0 = fma(vec4f(x5.z), b0, c5_0); c5_1 = fma(vec4f(x5.z), b1, c5_1); c5_2 = fma(vec4f(x5.z), b2, c5_2); c5_3 = fma(vec4f(x5.z), b3, c5_3);
      c6_0 = fma(vec4f(x6.z), b0, c6_0); c6_1 = fma(vec4f(x6.z), b1, c6_1); c6_2 = fma(vec4f(x6.z), b2, c6_2); c6_3 = fma(vec4f(x6.z), b3, c6_3);
      c7_0 = fma(vec4f(x7.z), b0, c7_0); c7_1 = fma(vec4f(x7.z), b1, c7_1); c7_2 = fma(vec4f(x7.z), b2, c7_2); c7_3 = fma(vec4f(x7.z), b3, c7_3);
      c8_0 = fma(vec4f(x8.z), b0, c8_0); c8_1 = fma(vec4f(x8.z), b1, c8_1); c8_2 = fma(vec4f(x8.z), b2, c8_2); c8_3 = fma(vec4f(x8.z), b3, c8_3);
      c9_0 = fma(vec4f(x9.z), b0, c9_0); c9_1 = fma(vec4f(x9.z), b1, c9_1); c9_2 = fma(vec4f(x9.z), b2, c9_2); c9_3 = fma(vec4f(x9.z), b3, c9_3);
      c10_0 = fma(vec4f(x10.z), b0, c10_0); c10_1 = fma(vec4f(x10.z), b1, c10_1); c10_2 = fma(vec4f(x10.z), b2, c10_2); c10_3 = fma(vec4f(x10.z), b3, c10_3);
      c11_0 = fma(vec4f(x11.z), b0, c11_0); c11_1 = fma(vec4f(x11.z), b1, c11_1); c11_2 = fma(vec4f(x11.z), b2, c11_2); c11_3 = fma(vec4f(x11.z), b3, c11_3);
      c12_0 = fma(vec4f(x12.z), b0, c12_0); c12_1 = fma(vec4f(x12.z), b1, c12_1); c12_2 = fma(vec4f(x12.z), b2, c12_2); c12_3 = fma(vec4f(x12.z), b3, c12_3);
      c13_0 = fma(vec4f(x13.z), b0, c13_0); c13_1 = fma(vec4f(x13.z), b1, c13_1); c13_2 = fma(vec4f(x13.z), b2, c13_2); c13_3 = fma(vec4f(x13.z), b3, c13_3);
      c14_0 = fma(vec4f(x14.z), b0, c14_0); c14_1 = fma(vec4f(x14.z), b1, c14_1); c14_2 = fma(vec4f(x14.z), b2, c14_2); c14_3 = fma(vec4f(x14.z), b3, c14_3);
      c15_0 = fma(vec4f(x15.z), b0, c15_0); c15_1 = fma(vec4f(x15.z), b1, c15_1); c15_2 = fma(vec4f(x15.z), b2, c15_2); c15_3 = fma(vec4f(x15.z), b3, c15_3);
      kb += n4; }
    { let b0 = B[kb + g0]; let b1 = B[kb + g1]; let b2 = B[kb + g2]; let b3 = B[kb + g3];
      c0_0 = fma(vec4f(x0.w), b0, c0_0); c0_1 = fma(vec4f(x0.w), b1, c0_1); c0_2 = fma(vec4f(x0.w), b2, c0_2); c0_3 = fma(vec4f(x0.w), b3, c0_3);
      c1_0 = fma(vec4f(x1.w), b0, c1_0); c1_1 = fma(vec4f(x1.w), b1, c1_1); c1_2 = fma(vec4f(x1.w), b2, c1_2); c1_3 = fma(vec4f(x1.w), b3, c1_3);
      c2_0 = fma(vec4f(x2.w), b0, c2_0); c2_1 = fma(vec4f(x2.w), b1, c2_1); c2_2 = fma(vec4f(x2.w), b2, c2_2); c2_3 = fma(vec4f(x2.w), b3, c2_3);
      c3_0 = fma(vec4f(x3.w), b0, c3_0); c3_1 = fma(vec4f(x3.w), b1, c3_1); c3_2 = fma(vec4f(x3.w), b2, c3_2); c3_3 = fma(vec4f(x3.w), b3, c3_3);
      c4_0 = fma(vec4f(x4.w), b0, c4_0); c4_1 = fma(vec4f(x4.w), b1, c4_1); c4_2 = fma(vec4f(x4.w), b2, c4_2); c4_3 = fma(vec4f(x4.w), b3, c4_3);
      c5_0 = fma(vec4f(x5.w), b0, c5_0); c5_1 = fma(vec4f(x5.w), b1, c5_1); c5_2 = fma(vec4f(x5.w), b2, c5_2); c5_3 = fma(vec4f(x5.w), b3, c5_3);
      c6_0 = fma(vec4f(x6.w), b0, c6_0); c6_1 = fma(vec4f(x6.w), b1, c6_1); c6_2 = fma(vec4f(x6.w), b2, c6_2); c6_3 = fma(vec4f(x6.w), b3, c6_3);
      c7_0 = fma(vec4f(x7.w), b0, c7_0); c7_1 = fma(vec4f(x7.w), b1, c7_1); c7_2 = fma(vec4f(x7.w), b2, c7_2); c7_3 = fma(vec4f(x7.w), b3, c7_3);
      c8_0 = fma(vec4f(x8.w), b0, c8_0); c8_1 = fma(vec4f(x8.w), b1, c8_1); c8_2 = fma(vec4f(x8.w), b2, c8_2); c8_3 = fma(vec4f(x8.w), b3, c8_3);
      c9_0 = fma(vec4f(x9.w), b0, c9_0); c9_1 = fma(vec4f(x9.w), b1, c9_1); c9_2 = fma(vec4f(x9.w), b2, c9_2); c9_3 = fma(vec4f(x9.w), b3, c9_3);
      c10_0 = fma(vec4f(x10.w), b0, c10_0); c10_1 = fma(vec4f(x10.w), b1, c10_1); c10_2 = fma(vec4f(x10.w), b2, c10_2); c10_3 = fma(vec4f(x10.w), b3, c10_3);
      c11_0 = fma(vec4f(x11.w), b0, c11_0); c11_1 = fma(vec4f(x11.w), b1, c11_1); c11_2 = fma(vec4f(x11.w), b2, c11_2); c11_3 = fma(vec4f(x11.w), b3, c11_3);
      c12_0 = fma(vec4f(x12.w), b0, c12_0); c12_1 = fma(vec4f(x12.w), b1, c12_1); c12_2 = fma(vec4f(x12.w), b2, c12_2); c12_3 = fma(vec4f(x12.w), b3, c12_3);
      c13_0 = fma(vec4f(x13.w), b0, c13_0); c13_1 = fma(vec4f(x13.w), b1, c13_1); c13_2 = fma(vec4f(x13.w), b2, c13_2); c13_3 = fma(vec4f(x13.w), b3, c13_3);
      c14_0 = fma(vec4f(x14.w), b0, c14_0); c14_1 = fma(vec4f(x14.w), b1, c14_1); c14_2 = fma(vec4f(x14.w), b2, c14_2); c14_3 = fma(vec4f(x14.w), b3, c14_3);
      c15_0 = fma(vec4f(x15.w), b0, c15_0); c15_1 = fma(vec4f(x15.w), b1, c15_1); c15_2 = fma(vec4f(x15.w), b2, c15_2); c15_3 = fma(vec4f(x15.w), b3, c15_3);
      kb += n4; }
  }
  store_row16(batch, row0 + 0u, col0, c0_0, c0_1, c0_2, c0_3);
  store_row16(batch, row0 + 1u, col0, c1_0, c1_1, c1_2, c1_3);
  store_row16(batch, row0 + 2u, col0, c2_0, c2_1, c2_2, c2_3);
  store_row16(batch, row0 + 3u, col0, c3_0, c3_1, c3_2, c3_3);
  store_row16(batch, row0 + 4u, col0, c4_0, c4_1, c4_2, c4_3);
  store_row16(batch, row0 + 5u, col0, c5_0, c5_1, c5_2, c5_3);
  store_row16(batch, row0 + 6u, col0, c6_0, c6_1, c6_2, c6_3);
  store_row16(batch, row0 + 7u, col0, c7_0, c7_1, c7_2, c7_3);
  store_row16(batch, row0 + 8u, col0, c8_0, c8_1, c8_2, c8_3);
  store_row16(batch, row0 + 9u, col0, c9_0, c9_1, c9_2, c9_3);
  store_row16(batch, row0 + 10u, col0, c10_0, c10_1, c10_2, c10_3);
  store_row16(batch, row0 + 11u, col0, c11_0, c11_1, c11_2, c11_3);
  store_row16(batch, row0 + 12u, col0, c12_0, c12_1, c12_2, c12_3);
  store_row16(batch, row0 + 13u, col0, c13_0, c13_1, c13_2, c13_3);
  store_row16(batch, row0 + 14u, col0, c14_0, c14_1, c14_2, c14_3);
  store_row16(batch, row0 + 15u, col0, c15_0, c15_1, c15_2, c15_3);
}
