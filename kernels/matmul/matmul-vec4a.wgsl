// matmul for an untransposed A ([M, K], row-major) whose K is a multiple
// of 4: A is read as vec4 along k, one load per row for four steps of k,
// which cuts the loads per FMA from 16 per 64 to 10 per 64 against
// matmul.wgsl (about 1.3x faster on SwiftShader). The block, clamping and stores are those of
// matmul-common.wgsl; the launcher picks this body when it applies.

@group(0) @binding(1) var<storage, read> A: array<vec4f>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * (WG_Y * TM) + lid.y * TM;
  let col0 = wid.x * (WG_X * TN) + lid.x;
  let batch = wid.z;
  let a0 = a_row4(batch, row0 + 0u);
  let a1 = a_row4(batch, row0 + 1u);
  let a2 = a_row4(batch, row0 + 2u);
  let a3 = a_row4(batch, row0 + 3u);
  let a4 = a_row4(batch, row0 + 4u);
  let a5 = a_row4(batch, row0 + 5u);
  let a6 = a_row4(batch, row0 + 6u);
  let a7 = a_row4(batch, row0 + 7u);
  let o0 = b_col(batch, col0 + 0u * WG_X);
  let o1 = b_col(batch, col0 + 1u * WG_X);
  let o2 = b_col(batch, col0 + 2u * WG_X);
  let o3 = b_col(batch, col0 + 3u * WG_X);
  let o4 = b_col(batch, col0 + 4u * WG_X);
  let o5 = b_col(batch, col0 + 5u * WG_X);
  let o6 = b_col(batch, col0 + 6u * WG_X);
  let o7 = b_col(batch, col0 + 7u * WG_X);
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
  var kb = 0u;
  for (var kq = 0u; kq < p.K / 4u; kq++) {
    // x<i> = A[row0 + i, 4kq .. 4kq + 3]
    let x0 = A[a0 + kq]; let x1 = A[a1 + kq]; let x2 = A[a2 + kq]; let x3 = A[a3 + kq];
    let x4 = A[a4 + kq]; let x5 = A[a5 + kq]; let x6 = A[a6 + kq]; let x7 = A[a7 + kq];
    { let bl = vec4f(B[o0 + kb], B[o1 + kb], B[o2 + kb], B[o3 + kb]); let bh = vec4f(B[o4 + kb], B[o5 + kb], B[o6 + kb], B[o7 + kb]);
      c0l = fma(vec4f(x0.x), bl, c0l); c0h = fma(vec4f(x0.x), bh, c0h); c1l = fma(vec4f(x1.x), bl, c1l); c1h = fma(vec4f(x1.x), bh, c1h);
      c2l = fma(vec4f(x2.x), bl, c2l); c2h = fma(vec4f(x2.x), bh, c2h); c3l = fma(vec4f(x3.x), bl, c3l); c3h = fma(vec4f(x3.x), bh, c3h);
      c4l = fma(vec4f(x4.x), bl, c4l); c4h = fma(vec4f(x4.x), bh, c4h); c5l = fma(vec4f(x5.x), bl, c5l); c5h = fma(vec4f(x5.x), bh, c5h);
      c6l = fma(vec4f(x6.x), bl, c6l); c6h = fma(vec4f(x6.x), bh, c6h); c7l = fma(vec4f(x7.x), bl, c7l); c7h = fma(vec4f(x7.x), bh, c7h);
      kb += sb; }
    { let bl = vec4f(B[o0 + kb], B[o1 + kb], B[o2 + kb], B[o3 + kb]); let bh = vec4f(B[o4 + kb], B[o5 + kb], B[o6 + kb], B[o7 + kb]);
      c0l = fma(vec4f(x0.y), bl, c0l); c0h = fma(vec4f(x0.y), bh, c0h); c1l = fma(vec4f(x1.y), bl, c1l); c1h = fma(vec4f(x1.y), bh, c1h);
      c2l = fma(vec4f(x2.y), bl, c2l); c2h = fma(vec4f(x2.y), bh, c2h); c3l = fma(vec4f(x3.y), bl, c3l); c3h = fma(vec4f(x3.y), bh, c3h);
      c4l = fma(vec4f(x4.y), bl, c4l); c4h = fma(vec4f(x4.y), bh, c4h); c5l = fma(vec4f(x5.y), bl, c5l); c5h = fma(vec4f(x5.y), bh, c5h);
      c6l = fma(vec4f(x6.y), bl, c6l); c6h = fma(vec4f(x6.y), bh, c6h); c7l = fma(vec4f(x7.y), bl, c7l); c7h = fma(vec4f(x7.y), bh, c7h);
      kb += sb; }
    { let bl = vec4f(B[o0 + kb], B[o1 + kb], B[o2 + kb], B[o3 + kb]); let bh = vec4f(B[o4 + kb], B[o5 + kb], B[o6 + kb], B[o7 + kb]);
      c0l = fma(vec4f(x0.z), bl, c0l); c0h = fma(vec4f(x0.z), bh, c0h); c1l = fma(vec4f(x1.z), bl, c1l); c1h = fma(vec4f(x1.z), bh, c1h);
      c2l = fma(vec4f(x2.z), bl, c2l); c2h = fma(vec4f(x2.z), bh, c2h); c3l = fma(vec4f(x3.z), bl, c3l); c3h = fma(vec4f(x3.z), bh, c3h);
      c4l = fma(vec4f(x4.z), bl, c4l); c4h = fma(vec4f(x4.z), bh, c4h); c5l = fma(vec4f(x5.z), bl, c5l); c5h = fma(vec4f(x5.z), bh, c5h);
      c6l = fma(vec4f(x6.z), bl, c6l); c6h = fma(vec4f(x6.z), bh, c6h); c7l = fma(vec4f(x7.z), bl, c7l); c7h = fma(vec4f(x7.z), bh, c7h);
      kb += sb; }
    { let bl = vec4f(B[o0 + kb], B[o1 + kb], B[o2 + kb], B[o3 + kb]); let bh = vec4f(B[o4 + kb], B[o5 + kb], B[o6 + kb], B[o7 + kb]);
      c0l = fma(vec4f(x0.w), bl, c0l); c0h = fma(vec4f(x0.w), bh, c0h); c1l = fma(vec4f(x1.w), bl, c1l); c1h = fma(vec4f(x1.w), bh, c1h);
      c2l = fma(vec4f(x2.w), bl, c2l); c2h = fma(vec4f(x2.w), bh, c2h); c3l = fma(vec4f(x3.w), bl, c3l); c3h = fma(vec4f(x3.w), bh, c3h);
      c4l = fma(vec4f(x4.w), bl, c4l); c4h = fma(vec4f(x4.w), bh, c4h); c5l = fma(vec4f(x5.w), bl, c5l); c5h = fma(vec4f(x5.w), bh, c5h);
      c6l = fma(vec4f(x6.w), bl, c6l); c6h = fma(vec4f(x6.w), bh, c6h); c7l = fma(vec4f(x7.w), bl, c7l); c7h = fma(vec4f(x7.w), bh, c7h);
      kb += sb; }
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
