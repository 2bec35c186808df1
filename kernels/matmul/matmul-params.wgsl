// Shared by every matmul body (the launcher prepends it, after the tuning
// header): the parameter block, the flags and the A-row offset common to the bodies.
// C[b] = alpha * op(A[b]) · op(B[b])  (+ C[b] when ACCUMULATE), op(A) [M, K],
// op(B) [K, N], batch b leading with the strides below (in floats).
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

@group(0) @binding(3) var<uniform> p: Params;

// Offset in vec4s of A[m, 0] for the bodies that read untransposed A as vec4
// (K % 4 == 0), clamped to the last row.
fn a_row4(batch: u32, m: u32) -> u32 {
  let r = min(m, max(p.M, 1u) - 1u);
  return (batch * p.batch_stride_a + r * p.K) / 4u;
}
