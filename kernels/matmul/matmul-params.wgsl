// Shared by every matmul body (the launcher prepends it, after the tuning
// header): the parameter block and the flags common to all bodies.
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
