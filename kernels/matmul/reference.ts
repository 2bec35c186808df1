/** float64 reference for matmul: C = alpha·op(A)·op(B) (+ C0), batched. Ground truth for tests. */
export function matmulRef(
  a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number,
  o: { transA?: boolean; transB?: boolean; alpha?: number; batch?: number; c0?: ArrayLike<number> } = {},
): Float64Array {
  const batch = o.batch ?? 1;
  const alpha = o.alpha ?? 1;
  const c = new Float64Array(batch * M * N);
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * M * K, bo = bi * K * N, co = bi * M * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = o.transA ? a[ao + k * M + m] : a[ao + m * K + k];
          const bv = o.transB ? b[bo + n * K + k] : b[bo + k * N + n];
          s += av * bv;
        }
        c[co + m * N + n] = alpha * s + (o.c0 ? o.c0[co + m * N + n] : 0);
      }
    }
  }
  return c;
}
