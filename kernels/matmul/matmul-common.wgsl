// Shared part of the 8 x 8 matmul bodies (matmul.wgsl, matmul-vec4a.wgsl);
// the launcher prepends the tuning header (WG_X, WG_Y, TM, TN),
// matmul-params.wgsl and this file to either body. op(B) [K, N]: B is
// stored [K, N], or [N, K] when TRANS_B. (matmul-vec4ab.wgsl, the 16 x 16
// body for the plain layout, has its own bindings.)
//
// Written for software WebGPU (SwiftShader) as much as for GPUs: its JIT
// neither unrolls loops nor keeps indexed arrays in registers, and every
// storage load is a bounds-checked per-lane gather, so the cost is set by
// loads per FMA. Each invocation computes a TM x TN = 8 x 8 block held in
// 16 named vec4 accumulators (written out, so TM and TN must stay 8; only
// WG_X and WG_Y are free to tune), straight from storage: no workgroup
// memory, no barriers. Its 8 rows are contiguous; its 8 columns are WG_X
// apart, so neighbouring invocations read and write neighbouring addresses.
// Out-of-range rows and columns are read clamped (finite, never stored) so
// the k loop has no branches; stores are guarded. The k loop is written
// inline: helper functions there (pointer parameters, a struct of offsets)
// cost SwiftShader about 20%.
const_assert TM == 8u && TN == 8u;

override TRANS_B: bool = false;

@group(0) @binding(0) var<storage, read_write> C: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;

// Offset of op(B)[0, n] (clamped to the last column) and the step from k to k + 1.
fn b_col(batch: u32, n: u32) -> u32 {
  let c = min(n, max(p.N, 1u) - 1u);
  if (TRANS_B) { return batch * p.batch_stride_b + c * p.K; }
  return batch * p.batch_stride_b + c;
}
fn b_step() -> u32 { if (TRANS_B) { return 1u; } return p.N; }

// Stores one row of the block (columns col0 + j·WG_X), guarded against M and N.
fn store_row(batch: u32, row: u32, col0: u32, lo: vec4f, hi: vec4f) {
  if (row >= p.M) { return; }
  let r = batch * p.batch_stride_c + row * p.N;
  for (var j = 0u; j < TN; j++) {
    let col = col0 + j * WG_X;
    if (col >= p.N) { return; }
    var x: f32;
    if (j < 4u) { x = lo[j]; } else { x = hi[j - 4u]; }
    var out = p.alpha * x;
    if (ACCUMULATE) { out += C[r + col]; }
    C[r + col] = out;
  }
}
