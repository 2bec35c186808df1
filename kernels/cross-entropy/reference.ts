/**
 * float64 reference for softmax cross-entropy (ground truth for tests),
 * written from the definitions:
 *   loss_n = log(sum_v exp(l_nv)) - l_nt,  p_nv = exp(l_nv) / sum_v exp(l_nv)
 *   dl_nv = (p_nv - [v = t]) * gradScale / max(valid, 1)
 * with the same stated policies as the kernel: `ignore` rows give 0, other
 * out-of-range targets NaN; logits below the lowest float count as it, and a
 * row entirely at the lowest float is uniform.
 */
const LOWEST = -3.4028234663852886e38;

export function crossEntropyRef(
  logits: ArrayLike<number>, targets: ArrayLike<number>, N: number, V: number, ignore: number, gradScale = 1,
): { loss: Float64Array; mean: number; valid: number; dlogits: Float64Array } {
  const loss = new Float64Array(N);
  const dlogits = new Float64Array(N * V);
  const probs = new Float64Array(N * V);
  let valid = 0;
  for (let n = 0; n < N; n++) {
    const row = Array.from({ length: V }, (_, v) => Math.max(logits[n * V + v], LOWEST));
    // Shifting by the max is exact math here, not just stability: it makes a row of
    // identical lowest-float logits come out uniform, as the stated policy says.
    const m = Math.max(...row);
    const z = row.reduce((a, l) => a + Math.exp(l - m), 0);
    for (let v = 0; v < V; v++) probs[n * V + v] = Math.exp(row[v] - m) / z;
    const t = targets[n];
    if (t === ignore) continue;
    valid++;
    loss[n] = t >= 0 && t < V ? Math.log(z) + (m - row[t]) : NaN; // parenthesised: m + log(z) would lose log(z) when m is huge
  }
  let sum = 0;
  for (let n = 0; n < N; n++) if (targets[n] !== ignore) sum += loss[n];
  for (let n = 0; n < N; n++) {
    const t = targets[n];
    for (let v = 0; v < V; v++) {
      if (t === ignore) dlogits[n * V + v] = 0;
      else if (!(t >= 0 && t < V)) dlogits[n * V + v] = NaN;
      else dlogits[n * V + v] = ((probs[n * V + v] - (v === t ? 1 : 0)) * gradScale) / Math.max(valid, 1);
    }
  }
  return { loss, mean: valid > 0 ? sum / valid : 0, valid, dlogits };
}
