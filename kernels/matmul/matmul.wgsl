// C[b] = alpha * op(A[b]) · op(B[b])  (+ C[b] when ACCUMULATE)
// op(A) is [M, K]: A is stored [M, K], or [K, M] when TRANS_A.
// op(B) is [K, N]: B is stored [K, N], or [N, K] when TRANS_B.
// Register-tiled: each invocation computes TM x TN outputs spaced WG_Y / WG_X
// apart (so neighbouring invocations touch neighbouring addresses). The
// constants TM, TN, BK, WG_X, WG_Y come from the TypeScript tuning object
// (kernels/matmul/matmul.ts), prepended as a header.
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;

const BM: u32 = WG_Y * TM;
const BN: u32 = WG_X * TN;
const THREADS: u32 = WG_X * WG_Y;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch_stride_a: u32,
  batch_stride_b: u32,
  batch_stride_c: u32,
  alpha: f32,
}

@group(0) @binding(0) var<storage, read_write> C: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> As: array<f32, BM * BK>; // As[k * BM + m]
var<workgroup> Bs: array<f32, BK * BN>; // Bs[k * BN + n]

fn load_a(b: u32, m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  let base = b * p.batch_stride_a;
  if (TRANS_A) { return A[base + k * p.M + m]; }
  return A[base + m * p.K + k];
}

fn load_b(b: u32, k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  let base = b * p.batch_stride_b;
  if (TRANS_B) { return B[base + n * p.K + k]; }
  return B[base + k * p.N + n];
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let b = wid.z;
  var acc: array<f32, TM * TN>;
  var a_reg: array<f32, TM>;
  var b_reg: array<f32, TN>;
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    for (var e = li; e < BM * BK; e += THREADS) {
      // Untransposed A is row-major [M, K]: let k vary fastest to read contiguously.
      var m: u32; var kk: u32;
      if (TRANS_A) { m = e % BM; kk = e / BM; } else { m = e / BK; kk = e % BK; }
      As[kk * BM + m] = load_a(b, row0 + m, k0 + kk);
    }
    for (var e = li; e < BK * BN; e += THREADS) {
      var n: u32; var kk: u32;
      if (TRANS_B) { n = e / BK; kk = e % BK; } else { n = e % BN; kk = e / BN; }
      Bs[kk * BN + n] = load_b(b, k0 + kk, col0 + n);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      for (var i = 0u; i < TM; i++) { a_reg[i] = As[kk * BM + lid.y + i * WG_Y]; }
      for (var j = 0u; j < TN; j++) { b_reg[j] = Bs[kk * BN + lid.x + j * WG_X]; }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) {
          acc[i * TN + j] = fma(a_reg[i], b_reg[j], acc[i * TN + j]);
        }
      }
    }
    workgroupBarrier();
  }
  let cbase = b * p.batch_stride_c;
  for (var i = 0u; i < TM; i++) {
    let row = row0 + lid.y + i * WG_Y;
    if (row >= p.M) { continue; }
    for (var j = 0u; j < TN; j++) {
      let col = col0 + lid.x + j * WG_X;
      if (col >= p.N) { continue; }
      let idx = cbase + row * p.N + col;
      var v = p.alpha * acc[i * TN + j];
      if (ACCUMULATE) { v += C[idx]; }
      C[idx] = v;
    }
  }
}
