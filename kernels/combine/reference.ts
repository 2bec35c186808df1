/**
 * float64 references for combine and its backward, written from the math:
 *   out[t] = Σ_k w[t,k] · y[row(t,k)],  dy[row(t,k)] = w[t,k] · dOut[t],
 *   dWeight[t,k] = dot(dOut[t], y[row(t,k)]),
 * where a dropped slot (row = 0xffffffff) has no term and gets dWeight = 0.
 * Ground truth for tests.
 */
const NO_ROW = 0xffffffff;

export function combineRef(y: ArrayLike<number>, weight: ArrayLike<number>, slotRow: readonly number[], N: number, K: number, H: number): Float64Array {
  const out = new Float64Array(N * H);
  for (let t = 0; t < N; t++) {
    for (let k = 0; k < K; k++) {
      const row = slotRow[t * K + k];
      if (row === NO_ROW) continue;
      for (let h = 0; h < H; h++) out[t * H + h] += weight[t * K + k] * y[row * H + h];
    }
  }
  return out;
}

/** dy over all R = N·K rows (rows nobody owns stay 0) and dWeight [N, K]. */
export function combineBackwardRef(
  dOut: ArrayLike<number>, y: ArrayLike<number>, weight: ArrayLike<number>, slotRow: readonly number[], N: number, K: number, H: number,
): { dy: Float64Array; dWeight: Float64Array } {
  const dy = new Float64Array(N * K * H);
  const dWeight = new Float64Array(N * K);
  for (let t = 0; t < N; t++) {
    for (let k = 0; k < K; k++) {
      const s = t * K + k;
      const row = slotRow[s];
      if (row === NO_ROW) continue;
      let dot = 0;
      for (let h = 0; h < H; h++) {
        dy[row * H + h] = weight[s] * dOut[t * H + h];
        dot += dOut[t * H + h] * y[row * H + h];
      }
      dWeight[s] = dot;
    }
  }
  return { dy, dWeight };
}
