/**
 * float64 reference for RMSNorm, written from the math (ground truth for tests):
 *   r_n = 1 / sqrt(mean_h x_nh^2 + eps),  y_nh = x_nh r_n g_h
 *   dx_ni = r_n g_i dy_ni - x_ni r_n^3 / H * sum_j dy_nj g_j x_nj
 *   dg_h  = sum_n dy_nh x_nh r_n
 */
export function rmsnormForwardRef(x: ArrayLike<number>, g: ArrayLike<number>, N: number, H: number, eps: number): { y: Float64Array; rinv: Float64Array } {
  const y = new Float64Array(N * H);
  const rinv = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let h = 0; h < H; h++) ss += x[n * H + h] ** 2;
    const r = 1 / Math.sqrt(ss / H + eps);
    rinv[n] = r;
    for (let h = 0; h < H; h++) y[n * H + h] = x[n * H + h] * r * g[h];
  }
  return { y, rinv };
}

export function rmsnormBackwardRef(
  dy: ArrayLike<number>, x: ArrayLike<number>, g: ArrayLike<number>, N: number, H: number, eps: number,
): { dx: Float64Array; dg: Float64Array } {
  const { rinv } = rmsnormForwardRef(x, g, N, H, eps);
  const dx = new Float64Array(N * H);
  const dg = new Float64Array(H);
  for (let n = 0; n < N; n++) {
    const r = rinv[n];
    let dot = 0;
    for (let j = 0; j < H; j++) dot += dy[n * H + j] * g[j] * x[n * H + j];
    for (let i = 0; i < H; i++) {
      dx[n * H + i] = r * g[i] * dy[n * H + i] - (x[n * H + i] * r ** 3 * dot) / H;
      dg[i] += dy[n * H + i] * x[n * H + i] * r;
    }
  }
  return { dx, dg };
}
