// C[b] = alpha * op(A[b]) · op(B[b])  (+ C[b] when ACCUMULATE)
// op(A) is [M, K]: A is stored [M, K], or [K, M] when TRANS_A.
// op(B) is [K, N]: B is stored [K, N], or [N, K] when TRANS_B.
//
// Written for software WebGPU (SwiftShader) as much as for GPUs: its JIT
// neither unrolls loops nor keeps indexed arrays in registers, and every
// storage load is a bounds-checked per-lane gather, so the cost is set by
// loads per FMA. Each invocation therefore computes a TM x TN = 8 x 8 block
// held in sixteen named vec4 accumulators (the unrolling is written out, so
// TM and TN must stay 8; only WG_X and WG_Y are free to tune),
// reading 8 values of A and 8 of B per k for 64 FMAs, straight from storage
// (no workgroup memory, no barriers). Its rows are contiguous; its columns
// are WG_X apart, so neighbouring invocations read and write neighbouring
// addresses. Out-of-range rows and columns are read clamped (finite, never
// stored) so the k loop has no branches; stores are guarded. WG_X, WG_Y, TM
// and TN come from the TypeScript tuning object (matmul.ts) as a header.
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;

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

// Offset of op(A)[m, 0] and the step from k to k + 1.
fn a_base(m: u32) -> u32 { if (TRANS_A) { return m; } return m * p.K; }
fn a_step() -> u32 { if (TRANS_A) { return p.M; } return 1u; }
// Offset of op(B)[0, n] and the step from k to k + 1.
fn b_base(n: u32) -> u32 { if (TRANS_B) { return n * p.K; } return n; }
fn b_step() -> u32 { if (TRANS_B) { return 1u; } return p.N; }

fn store(cbase: u32, row: u32, col0: u32, v: vec4f, w: vec4f) {
  if (row >= p.M) { return; }
  let r = cbase + row * p.N;
  for (var j = 0u; j < TN; j++) {
    let col = col0 + j * WG_X;
    if (col >= p.N) { return; }
    var x: f32;
    if (j < 4u) { x = v[j]; } else { x = w[j - 4u]; }
    var out = p.alpha * x;
    if (ACCUMULATE) { out += C[r + col]; }
    C[r + col] = out;
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * (WG_Y * TM) + lid.y * TM;
  let col0 = wid.x * (WG_X * TN) + lid.x;
  let b = wid.z;
  let lastM = max(p.M, 1u) - 1u;
  let lastN = max(p.N, 1u) - 1u;
  let ab = b * p.batch_stride_a;
  let bb = b * p.batch_stride_b;
  let a0 = ab + a_base(min(row0, lastM));
  let a1 = ab + a_base(min(row0 + 1u, lastM));
  let a2 = ab + a_base(min(row0 + 2u, lastM));
  let a3 = ab + a_base(min(row0 + 3u, lastM));
  let a4 = ab + a_base(min(row0 + 4u, lastM));
  let a5 = ab + a_base(min(row0 + 5u, lastM));
  let a6 = ab + a_base(min(row0 + 6u, lastM));
  let a7 = ab + a_base(min(row0 + 7u, lastM));
  let b0 = bb + b_base(min(col0, lastN));
  let b1 = bb + b_base(min(col0 + WG_X, lastN));
  let b2 = bb + b_base(min(col0 + 2u * WG_X, lastN));
  let b3 = bb + b_base(min(col0 + 3u * WG_X, lastN));
  let b4 = bb + b_base(min(col0 + 4u * WG_X, lastN));
  let b5 = bb + b_base(min(col0 + 5u * WG_X, lastN));
  let b6 = bb + b_base(min(col0 + 6u * WG_X, lastN));
  let b7 = bb + b_base(min(col0 + 7u * WG_X, lastN));
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
    let bl = vec4f(B[b0 + kb], B[b1 + kb], B[b2 + kb], B[b3 + kb]);
    let bh = vec4f(B[b4 + kb], B[b5 + kb], B[b6 + kb], B[b7 + kb]);
    let x0 = vec4f(A[a0 + ka]); c0l = fma(x0, bl, c0l); c0h = fma(x0, bh, c0h);
    let x1 = vec4f(A[a1 + ka]); c1l = fma(x1, bl, c1l); c1h = fma(x1, bh, c1h);
    let x2 = vec4f(A[a2 + ka]); c2l = fma(x2, bl, c2l); c2h = fma(x2, bh, c2h);
    let x3 = vec4f(A[a3 + ka]); c3l = fma(x3, bl, c3l); c3h = fma(x3, bh, c3h);
    let x4 = vec4f(A[a4 + ka]); c4l = fma(x4, bl, c4l); c4h = fma(x4, bh, c4h);
    let x5 = vec4f(A[a5 + ka]); c5l = fma(x5, bl, c5l); c5h = fma(x5, bh, c5h);
    let x6 = vec4f(A[a6 + ka]); c6l = fma(x6, bl, c6l); c6h = fma(x6, bh, c6h);
    let x7 = vec4f(A[a7 + ka]); c7l = fma(x7, bl, c7l); c7h = fma(x7, bh, c7h);
    ka += sa;
    kb += sb;
  }
  let cbase = b * p.batch_stride_c;
  store(cbase, row0, col0, c0l, c0h);
  store(cbase, row0 + 1u, col0, c1l, c1h);
  store(cbase, row0 + 2u, col0, c2l, c2h);
  store(cbase, row0 + 3u, col0, c3l, c3h);
  store(cbase, row0 + 4u, col0, c4l, c4h);
  store(cbase, row0 + 5u, col0, c5l, c5h);
  store(cbase, row0 + 6u, col0, c6l, c6h);
  store(cbase, row0 + 7u, col0, c7l, c7h);
}
