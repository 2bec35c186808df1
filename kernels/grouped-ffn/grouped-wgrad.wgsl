// Per-expert weight gradient in ONE launch over all experts:
//   dW[e, m, n] = sum over rows r of expert e (ascending) of op_A(r, m) · B[r, n]
// op_A(r, m) = A[r, m], or silu(A[r, m]) * A2[r, m] when SWIGLU_A. A is [R, M],
// B is [R, N], dW is [E, M, N]. Workgroup (x: column tile, y: row tile of M,
// z: expert) owns its block of dW_e and loops over the expert's rows in order:
// deterministic without float atomics, and an expert with no rows writes
// exactly 0. TM x TN = 8 x 8 per invocation (written out), rows m
// contiguous, columns WG_X apart. TM, TN, WG_X, WG_Y: header from grouped-ffn.ts.
override SWIGLU_A: bool = false;
override ACCUMULATE: bool = false;

struct Params {
  M: u32,
  N: u32,
}

@group(0) @binding(0) var<storage, read_write> dW: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> A2: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
@group(0) @binding(4) var<storage, read> offsets: array<u32>;
@group(0) @binding(5) var<uniform> p: Params;

fn silu(x: f32) -> f32 { return x / (1.0 + exp(-x)); }

fn a_at(i: u32) -> f32 {
  if (SWIGLU_A) { return silu(A[i]) * A2[i]; }
  return A[i];
}

fn store(base: u32, m: u32, col0: u32, v: vec4f, w: vec4f) {
  if (m >= p.M) { return; }
  let r = base + m * p.N;
  for (var j = 0u; j < TN; j++) {
    let col = col0 + j * WG_X;
    if (col >= p.N) { return; }
    var x: f32;
    if (j < 4u) { x = v[j]; } else { x = w[j - 4u]; }
    if (ACCUMULATE) { x += dW[r + col]; }
    dW[r + col] = x;
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let e = wid.z;
  let mStart = wid.y * (WG_Y * TM) + lid.y * TM;
  let col0 = wid.x * (WG_X * TN) + lid.x;
  let lastM = max(p.M, 1u) - 1u;
  let lastN = max(p.N, 1u) - 1u;
  let m0 = min(mStart + 0u, lastM);
  let m1 = min(mStart + 1u, lastM);
  let m2 = min(mStart + 2u, lastM);
  let m3 = min(mStart + 3u, lastM);
  let m4 = min(mStart + 4u, lastM);
  let m5 = min(mStart + 5u, lastM);
  let m6 = min(mStart + 6u, lastM);
  let m7 = min(mStart + 7u, lastM);
  let n0 = min(col0 + 0u * WG_X, lastN);
  let n1 = min(col0 + 1u * WG_X, lastN);
  let n2 = min(col0 + 2u * WG_X, lastN);
  let n3 = min(col0 + 3u * WG_X, lastN);
  let n4 = min(col0 + 4u * WG_X, lastN);
  let n5 = min(col0 + 5u * WG_X, lastN);
  let n6 = min(col0 + 6u * WG_X, lastN);
  let n7 = min(col0 + 7u * WG_X, lastN);
  var c0l = vec4f(0.0); var c0h = vec4f(0.0);
  var c1l = vec4f(0.0); var c1h = vec4f(0.0);
  var c2l = vec4f(0.0); var c2h = vec4f(0.0);
  var c3l = vec4f(0.0); var c3h = vec4f(0.0);
  var c4l = vec4f(0.0); var c4h = vec4f(0.0);
  var c5l = vec4f(0.0); var c5h = vec4f(0.0);
  var c6l = vec4f(0.0); var c6h = vec4f(0.0);
  var c7l = vec4f(0.0); var c7h = vec4f(0.0);
  let rowEnd = offsets[e + 1u];
  for (var r = offsets[e]; r < rowEnd; r++) {
    let ra = r * p.M;
    let rb = r * p.N;
    let bl = vec4f(B[rb + n0], B[rb + n1], B[rb + n2], B[rb + n3]);
    let bh = vec4f(B[rb + n4], B[rb + n5], B[rb + n6], B[rb + n7]);
    let x0 = vec4f(a_at(ra + m0)); c0l = fma(x0, bl, c0l); c0h = fma(x0, bh, c0h);
    let x1 = vec4f(a_at(ra + m1)); c1l = fma(x1, bl, c1l); c1h = fma(x1, bh, c1h);
    let x2 = vec4f(a_at(ra + m2)); c2l = fma(x2, bl, c2l); c2h = fma(x2, bh, c2h);
    let x3 = vec4f(a_at(ra + m3)); c3l = fma(x3, bl, c3l); c3h = fma(x3, bh, c3h);
    let x4 = vec4f(a_at(ra + m4)); c4l = fma(x4, bl, c4l); c4h = fma(x4, bh, c4h);
    let x5 = vec4f(a_at(ra + m5)); c5l = fma(x5, bl, c5l); c5h = fma(x5, bh, c5h);
    let x6 = vec4f(a_at(ra + m6)); c6l = fma(x6, bl, c6l); c6h = fma(x6, bh, c6h);
    let x7 = vec4f(a_at(ra + m7)); c7l = fma(x7, bl, c7l); c7h = fma(x7, bh, c7h);
  }
  let base = e * p.M * p.N;
  store(base, mStart + 0u, col0, c0l, c0h);
  store(base, mStart + 1u, col0, c1l, c1h);
  store(base, mStart + 2u, col0, c2l, c2h);
  store(base, mStart + 3u, col0, c3l, c3h);
  store(base, mStart + 4u, col0, c4l, c4h);
  store(base, mStart + 5u, col0, c5l, c5h);
  store(base, mStart + 6u, col0, c6l, c6h);
  store(base, mStart + 7u, col0, c7l, c7h);
}
