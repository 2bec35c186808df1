// matmul for the plain layout with B read through a texture
// (engine/gpu/texture-operand.ts): A stored [M, K] and read as vec4 along k
// from storage, B [K, N] copied into an rgba32float texture array (layer =
// batch, texel (x, k) = B[k, 4x .. 4x+3]), K % 4 == 0 and N % 64 == 0. The
// launcher picks this body when the Gpu allows texture operands (by default
// on SwiftShader) and the texture fits the device's limits. C = alpha · A · B
// (+ C), batched as in matmul-params.wgsl.
//
// Each invocation computes a TM x TN = 16 x 8 block of C: 16 contiguous rows,
// 8 contiguous columns (two texels of B per step of k), held in 32 named vec4
// accumulators (c<r>_<j>: row r, columns 4j .. 4j+3). On SwiftShader a texel
// fetch brings four floats for four invocations in one go, where a storage
// load gathers lane by lane with a branch each; the loads of A cost little
// because the four invocations of a SIMD group share their rows (the same
// addresses). With cheaper loads the spilled accumulators set the speed,
// which is why the block is 16 x 8 here and 16 x 16 in matmul-vec4ab.wgsl
// (bench/README.md has the figures). Written out with constant indices, as
// SwiftShader neither unrolls loops nor keeps indexed arrays in registers.
// Out-of-range rows are read clamped (finite, never stored); stores are
// guarded.
const_assert TM == 16u && TN == 8u;

@group(0) @binding(0) var<storage, read_write> C: array<vec4f>;
@group(0) @binding(1) var<storage, read> A: array<vec4f>;
@group(0) @binding(2) var B: texture_2d_array<f32>;

// alpha · v, plus the stored C when accumulating: the value for C[o] (o in vec4s).
fn out4(o: u32, v: vec4f) -> vec4f {
  if (ACCUMULATE) { return p.alpha * v + C[o]; }
  return p.alpha * v;
}

// Stores row `row` of the block, columns col0 .. col0+7, guarded against M (N is a multiple of 8).
fn store_row8(batch: u32, row: u32, col0: u32, v0: vec4f, v1: vec4f) {
  if (row >= p.M) { return; }
  let o = (batch * p.batch_stride_c + row * p.N + col0) / 4u;
  C[o] = out4(o, v0);
  C[o + 1u] = out4(o + 1u, v1);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = (wid.y * WG_Y + lid.y) * TM;
  let col0 = (wid.x * WG_X + lid.x) * TN;
  // A workgroup's last rows or columns may lie beyond M or N (no barriers below).
  if (row0 >= p.M || col0 >= p.N) { return; }
  let batch = wid.z;
  let layer = i32(batch);
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
  // Texel columns of the block (N % 8 == 0, so both exist).
  let g0 = i32(col0 / 4u);
  let g1 = g0 + 1;
  var c0_0 = vec4f(0.0); var c0_1 = vec4f(0.0);
  var c1_0 = vec4f(0.0); var c1_1 = vec4f(0.0);
  var c2_0 = vec4f(0.0); var c2_1 = vec4f(0.0);
  var c3_0 = vec4f(0.0); var c3_1 = vec4f(0.0);
  var c4_0 = vec4f(0.0); var c4_1 = vec4f(0.0);
  var c5_0 = vec4f(0.0); var c5_1 = vec4f(0.0);
  var c6_0 = vec4f(0.0); var c6_1 = vec4f(0.0);
  var c7_0 = vec4f(0.0); var c7_1 = vec4f(0.0);
  var c8_0 = vec4f(0.0); var c8_1 = vec4f(0.0);
  var c9_0 = vec4f(0.0); var c9_1 = vec4f(0.0);
  var c10_0 = vec4f(0.0); var c10_1 = vec4f(0.0);
  var c11_0 = vec4f(0.0); var c11_1 = vec4f(0.0);
  var c12_0 = vec4f(0.0); var c12_1 = vec4f(0.0);
  var c13_0 = vec4f(0.0); var c13_1 = vec4f(0.0);
  var c14_0 = vec4f(0.0); var c14_1 = vec4f(0.0);
  var c15_0 = vec4f(0.0); var c15_1 = vec4f(0.0);
  for (var kq = 0u; kq < p.K / 4u; kq++) {
    // x<r> = A[row0 + r, 4kq .. 4kq + 3]; b<j> = B[k, col0 + 4j .. col0 + 4j + 3] for each k.
    let x0 = A[a0 + kq]; let x1 = A[a1 + kq]; let x2 = A[a2 + kq]; let x3 = A[a3 + kq];
    let x4 = A[a4 + kq]; let x5 = A[a5 + kq]; let x6 = A[a6 + kq]; let x7 = A[a7 + kq];
    let x8 = A[a8 + kq]; let x9 = A[a9 + kq]; let x10 = A[a10 + kq]; let x11 = A[a11 + kq];
    let x12 = A[a12 + kq]; let x13 = A[a13 + kq]; let x14 = A[a14 + kq]; let x15 = A[a15 + kq];
    let k = i32(4u * kq);
    { let b0 = textureLoad(B, vec2i(g0, k), layer, 0); let b1 = textureLoad(B, vec2i(g1, k), layer, 0);
      c0_0 = fma(vec4f(x0.x), b0, c0_0); c0_1 = fma(vec4f(x0.x), b1, c0_1); c1_0 = fma(vec4f(x1.x), b0, c1_0); c1_1 = fma(vec4f(x1.x), b1, c1_1);
      c2_0 = fma(vec4f(x2.x), b0, c2_0); c2_1 = fma(vec4f(x2.x), b1, c2_1); c3_0 = fma(vec4f(x3.x), b0, c3_0); c3_1 = fma(vec4f(x3.x), b1, c3_1);
      c4_0 = fma(vec4f(x4.x), b0, c4_0); c4_1 = fma(vec4f(x4.x), b1, c4_1); c5_0 = fma(vec4f(x5.x), b0, c5_0); c5_1 = fma(vec4f(x5.x), b1, c5_1);
      c6_0 = fma(vec4f(x6.x), b0, c6_0); c6_1 = fma(vec4f(x6.x), b1, c6_1); c7_0 = fma(vec4f(x7.x), b0, c7_0); c7_1 = fma(vec4f(x7.x), b1, c7_1);
      c8_0 = fma(vec4f(x8.x), b0, c8_0); c8_1 = fma(vec4f(x8.x), b1, c8_1); c9_0 = fma(vec4f(x9.x), b0, c9_0); c9_1 = fma(vec4f(x9.x), b1, c9_1);
      c10_0 = fma(vec4f(x10.x), b0, c10_0); c10_1 = fma(vec4f(x10.x), b1, c10_1); c11_0 = fma(vec4f(x11.x), b0, c11_0); c11_1 = fma(vec4f(x11.x), b1, c11_1);
      c12_0 = fma(vec4f(x12.x), b0, c12_0); c12_1 = fma(vec4f(x12.x), b1, c12_1); c13_0 = fma(vec4f(x13.x), b0, c13_0); c13_1 = fma(vec4f(x13.x), b1, c13_1);
      c14_0 = fma(vec4f(x14.x), b0, c14_0); c14_1 = fma(vec4f(x14.x), b1, c14_1); c15_0 = fma(vec4f(x15.x), b0, c15_0); c15_1 = fma(vec4f(x15.x), b1, c15_1);
    }
    { let b0 = textureLoad(B, vec2i(g0, k + 1), layer, 0); let b1 = textureLoad(B, vec2i(g1, k + 1), layer, 0);
      c0_0 = fma(vec4f(x0.y), b0, c0_0); c0_1 = fma(vec4f(x0.y), b1, c0_1); c1_0 = fma(vec4f(x1.y), b0, c1_0); c1_1 = fma(vec4f(x1.y), b1, c1_1);
      c2_0 = fma(vec4f(x2.y), b0, c2_0); c2_1 = fma(vec4f(x2.y), b1, c2_1); c3_0 = fma(vec4f(x3.y), b0, c3_0); c3_1 = fma(vec4f(x3.y), b1, c3_1);
      c4_0 = fma(vec4f(x4.y), b0, c4_0); c4_1 = fma(vec4f(x4.y), b1, c4_1); c5_0 = fma(vec4f(x5.y), b0, c5_0); c5_1 = fma(vec4f(x5.y), b1, c5_1);
      c6_0 = fma(vec4f(x6.y), b0, c6_0); c6_1 = fma(vec4f(x6.y), b1, c6_1); c7_0 = fma(vec4f(x7.y), b0, c7_0); c7_1 = fma(vec4f(x7.y), b1, c7_1);
      c8_0 = fma(vec4f(x8.y), b0, c8_0); c8_1 = fma(vec4f(x8.y), b1, c8_1); c9_0 = fma(vec4f(x9.y), b0, c9_0); c9_1 = fma(vec4f(x9.y), b1, c9_1);
      c10_0 = fma(vec4f(x10.y), b0, c10_0); c10_1 = fma(vec4f(x10.y), b1, c10_1); c11_0 = fma(vec4f(x11.y), b0, c11_0); c11_1 = fma(vec4f(x11.y), b1, c11_1);
      c12_0 = fma(vec4f(x12.y), b0, c12_0); c12_1 = fma(vec4f(x12.y), b1, c12_1); c13_0 = fma(vec4f(x13.y), b0, c13_0); c13_1 = fma(vec4f(x13.y), b1, c13_1);
      c14_0 = fma(vec4f(x14.y), b0, c14_0); c14_1 = fma(vec4f(x14.y), b1, c14_1); c15_0 = fma(vec4f(x15.y), b0, c15_0); c15_1 = fma(vec4f(x15.y), b1, c15_1);
    }
    { let b0 = textureLoad(B, vec2i(g0, k + 2), layer, 0); let b1 = textureLoad(B, vec2i(g1, k + 2), layer, 0);
      c0_0 = fma(vec4f(x0.z), b0, c0_0); c0_1 = fma(vec4f(x0.z), b1, c0_1); c1_0 = fma(vec4f(x1.z), b0, c1_0); c1_1 = fma(vec4f(x1.z), b1, c1_1);
      c2_0 = fma(vec4f(x2.z), b0, c2_0); c2_1 = fma(vec4f(x2.z), b1, c2_1); c3_0 = fma(vec4f(x3.z), b0, c3_0); c3_1 = fma(vec4f(x3.z), b1, c3_1);
      c4_0 = fma(vec4f(x4.z), b0, c4_0); c4_1 = fma(vec4f(x4.z), b1, c4_1); c5_0 = fma(vec4f(x5.z), b0, c5_0); c5_1 = fma(vec4f(x5.z), b1, c5_1);
      c6_0 = fma(vec4f(x6.z), b0, c6_0); c6_1 = fma(vec4f(x6.z), b1, c6_1); c7_0 = fma(vec4f(x7.z), b0, c7_0); c7_1 = fma(vec4f(x7.z), b1, c7_1);
      c8_0 = fma(vec4f(x8.z), b0, c8_0); c8_1 = fma(vec4f(x8.z), b1, c8_1); c9_0 = fma(vec4f(x9.z), b0, c9_0); c9_1 = fma(vec4f(x9.z), b1, c9_1);
      c10_0 = fma(vec4f(x10.z), b0, c10_0); c10_1 = fma(vec4f(x10.z), b1, c10_1); c11_0 = fma(vec4f(x11.z), b0, c11_0); c11_1 = fma(vec4f(x11.z), b1, c11_1);
      c12_0 = fma(vec4f(x12.z), b0, c12_0); c12_1 = fma(vec4f(x12.z), b1, c12_1); c13_0 = fma(vec4f(x13.z), b0, c13_0); c13_1 = fma(vec4f(x13.z), b1, c13_1);
      c14_0 = fma(vec4f(x14.z), b0, c14_0); c14_1 = fma(vec4f(x14.z), b1, c14_1); c15_0 = fma(vec4f(x15.z), b0, c15_0); c15_1 = fma(vec4f(x15.z), b1, c15_1);
    }
    { let b0 = textureLoad(B, vec2i(g0, k + 3), layer, 0); let b1 = textureLoad(B, vec2i(g1, k + 3), layer, 0);
      c0_0 = fma(vec4f(x0.w), b0, c0_0); c0_1 = fma(vec4f(x0.w), b1, c0_1); c1_0 = fma(vec4f(x1.w), b0, c1_0); c1_1 = fma(vec4f(x1.w), b1, c1_1);
      c2_0 = fma(vec4f(x2.w), b0, c2_0); c2_1 = fma(vec4f(x2.w), b1, c2_1); c3_0 = fma(vec4f(x3.w), b0, c3_0); c3_1 = fma(vec4f(x3.w), b1, c3_1);
      c4_0 = fma(vec4f(x4.w), b0, c4_0); c4_1 = fma(vec4f(x4.w), b1, c4_1); c5_0 = fma(vec4f(x5.w), b0, c5_0); c5_1 = fma(vec4f(x5.w), b1, c5_1);
      c6_0 = fma(vec4f(x6.w), b0, c6_0); c6_1 = fma(vec4f(x6.w), b1, c6_1); c7_0 = fma(vec4f(x7.w), b0, c7_0); c7_1 = fma(vec4f(x7.w), b1, c7_1);
      c8_0 = fma(vec4f(x8.w), b0, c8_0); c8_1 = fma(vec4f(x8.w), b1, c8_1); c9_0 = fma(vec4f(x9.w), b0, c9_0); c9_1 = fma(vec4f(x9.w), b1, c9_1);
      c10_0 = fma(vec4f(x10.w), b0, c10_0); c10_1 = fma(vec4f(x10.w), b1, c10_1); c11_0 = fma(vec4f(x11.w), b0, c11_0); c11_1 = fma(vec4f(x11.w), b1, c11_1);
      c12_0 = fma(vec4f(x12.w), b0, c12_0); c12_1 = fma(vec4f(x12.w), b1, c12_1); c13_0 = fma(vec4f(x13.w), b0, c13_0); c13_1 = fma(vec4f(x13.w), b1, c13_1);
      c14_0 = fma(vec4f(x14.w), b0, c14_0); c14_1 = fma(vec4f(x14.w), b1, c14_1); c15_0 = fma(vec4f(x15.w), b0, c15_0); c15_1 = fma(vec4f(x15.w), b1, c15_1);
    }
  }
  store_row8(batch, row0 + 0u, col0, c0_0, c0_1);
  store_row8(batch, row0 + 1u, col0, c1_0, c1_1);
  store_row8(batch, row0 + 2u, col0, c2_0, c2_1);
  store_row8(batch, row0 + 3u, col0, c3_0, c3_1);
  store_row8(batch, row0 + 4u, col0, c4_0, c4_1);
  store_row8(batch, row0 + 5u, col0, c5_0, c5_1);
  store_row8(batch, row0 + 6u, col0, c6_0, c6_1);
  store_row8(batch, row0 + 7u, col0, c7_0, c7_1);
  store_row8(batch, row0 + 8u, col0, c8_0, c8_1);
  store_row8(batch, row0 + 9u, col0, c9_0, c9_1);
  store_row8(batch, row0 + 10u, col0, c10_0, c10_1);
  store_row8(batch, row0 + 11u, col0, c11_0, c11_1);
  store_row8(batch, row0 + 12u, col0, c12_0, c12_1);
  store_row8(batch, row0 + 13u, col0, c13_0, c13_1);
  store_row8(batch, row0 + 14u, col0, c14_0, c14_1);
  store_row8(batch, row0 + 15u, col0, c15_0, c15_1);
}
