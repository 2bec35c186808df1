// matmul, any layout: op(A) is [M, K]; A is stored [M, K], or [K, M] when
// TRANS_A. Reads A one scalar per row and k (see matmul-common.wgsl for the
// block and why it is written out); matmul-vec4a.wgsl is the faster body
// for an untransposed A whose K is a multiple of 4.
override TRANS_A: bool = false;

@group(0) @binding(1) var<storage, read> A: array<f32>;

// Offset of op(A)[m, 0] (clamped to the last row) and the step from k to k + 1.
fn a_row(batch: u32, m: u32) -> u32 {
  let r = min(m, max(p.M, 1u) - 1u);
  if (TRANS_A) { return batch * p.batch_stride_a + r; }
  return batch * p.batch_stride_a + r * p.K;
}
fn a_step() -> u32 { if (TRANS_A) { return p.M; } return 1u; }

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * (WG_Y * TM) + lid.y * TM;
  let col0 = wid.x * (WG_X * TN) + lid.x;
  let batch = wid.z;
  let a0 = a_row(batch, row0 + 0u);
  let a1 = a_row(batch, row0 + 1u);
  let a2 = a_row(batch, row0 + 2u);
  let a3 = a_row(batch, row0 + 3u);
  let a4 = a_row(batch, row0 + 4u);
  let a5 = a_row(batch, row0 + 5u);
  let a6 = a_row(batch, row0 + 6u);
  let a7 = a_row(batch, row0 + 7u);
  let o0 = b_col(batch, col0 + 0u * WG_X);
  let o1 = b_col(batch, col0 + 1u * WG_X);
  let o2 = b_col(batch, col0 + 2u * WG_X);
  let o3 = b_col(batch, col0 + 3u * WG_X);
  let o4 = b_col(batch, col0 + 4u * WG_X);
  let o5 = b_col(batch, col0 + 5u * WG_X);
  let o6 = b_col(batch, col0 + 6u * WG_X);
  let o7 = b_col(batch, col0 + 7u * WG_X);
  let sa = a_step();
  let sb = b_step();
  // c<i>l holds row i, columns 0-3 of the block; c<i>h columns 4-7.
  var c0l = vec4f(0.0); var c0h = vec4f(0.0);
  var c1l = vec4f(0.0); var c1h = vec4f(0.0);
  var c2l = vec4f(0.0); var c2h = vec4f(0.0);
  var c3l = vec4f(0.0); var c3h = vec4f(0.0);
  var c4l = vec4f(0.0); var c4h = vec4f(0.0);
  var c5l = vec4f(0.0); var c5h = vec4f(0.0);
  var c6l = vec4f(0.0); var c6h = vec4f(0.0);
  var c7l = vec4f(0.0); var c7h = vec4f(0.0);
  var ka = 0u;
  var kb = 0u;
  for (var k = 0u; k < p.K; k++) {
    let bl = vec4f(B[o0 + kb], B[o1 + kb], B[o2 + kb], B[o3 + kb]);
    let bh = vec4f(B[o4 + kb], B[o5 + kb], B[o6 + kb], B[o7 + kb]);
    c0l = fma(vec4f(A[a0 + ka]), bl, c0l); c0h = fma(vec4f(A[a0 + ka]), bh, c0h); c1l = fma(vec4f(A[a1 + ka]), bl, c1l); c1h = fma(vec4f(A[a1 + ka]), bh, c1h);
    c2l = fma(vec4f(A[a2 + ka]), bl, c2l); c2h = fma(vec4f(A[a2 + ka]), bh, c2h); c3l = fma(vec4f(A[a3 + ka]), bl, c3l); c3h = fma(vec4f(A[a3 + ka]), bh, c3h);
    c4l = fma(vec4f(A[a4 + ka]), bl, c4l); c4h = fma(vec4f(A[a4 + ka]), bh, c4h); c5l = fma(vec4f(A[a5 + ka]), bl, c5l); c5h = fma(vec4f(A[a5 + ka]), bh, c5h);
    c6l = fma(vec4f(A[a6 + ka]), bl, c6l); c6h = fma(vec4f(A[a6 + ka]), bh, c6h); c7l = fma(vec4f(A[a7 + ka]), bl, c7l); c7h = fma(vec4f(A[a7 + ka]), bh, c7h);
    ka += sa;
    kb += sb;
  }
  store_row(batch, row0 + 0u, col0, c0l, c0h);
  store_row(batch, row0 + 1u, col0, c1l, c1h);
  store_row(batch, row0 + 2u, col0, c2l, c2h);
  store_row(batch, row0 + 3u, col0, c3l, c3h);
  store_row(batch, row0 + 4u, col0, c4l, c4h);
  store_row(batch, row0 + 5u, col0, c5l, c5h);
  store_row(batch, row0 + 6u, col0, c6l, c6h);
  store_row(batch, row0 + 7u, col0, c7l, c7h);
}
