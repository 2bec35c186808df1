/**
 * float64 reference for the global gradient norm and its clip scale, from
 * the definitions (ground truth for tests):
 *   norm = sqrt(sum over tensors and elements of g^2)
 *   scale = 0 if any g is NaN/Inf or the float32 sum overflows, else
 *           min(1, maxNorm / (norm + 1e-6)) when clipping, else 1
 *   first non-finite = the first tensor (in order) with a NaN/Inf, and its
 *                      smallest such element index
 */
export function gradNormRef(
  grads: readonly ArrayLike<number>[], maxNorm?: number,
): { sumSquares: Float64Array; norm: number; clipScale: number; firstNonFinite: [number, number] | null } {
  const sumSquares = new Float64Array(grads.length);
  let firstNonFinite: [number, number] | null = null;
  grads.forEach((g, t) => {
    for (let i = 0; i < g.length; i++) {
      sumSquares[t] += g[i] * g[i];
      if (!Number.isFinite(g[i]) && !firstNonFinite) firstNonFinite = [t, i];
    }
  });
  const total = sumSquares.reduce((a, b) => a + b, 0);
  const norm = Math.sqrt(total);
  const FLT_MAX = 3.4028234663852886e38;
  const finite = firstNonFinite === null && total <= FLT_MAX;
  const clipScale = !finite ? 0 : maxNorm === undefined ? 1 : Math.min(1, maxNorm / (norm + 1e-6));
  return { sumSquares, norm, clipScale, firstNonFinite };
}
