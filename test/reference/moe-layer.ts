/**
 * An independent float64 reference of one whole MoE layer, written straight
 * from the math in one place (router -> top-k -> capacity -> SwiGLU experts
 * -> combine, with z-loss and the auxiliary loss). It shares no code with
 * the kernels or their per-kernel references, so it can judge their
 * composition, and finite differences of it give the ground-truth gradient.
 *
 * Legend: N tokens, H hidden, E experts, K top-k, F expert FFN dim.
 */
export interface MoeLayerParams {
  readonly wg_HE: Float64Array;
  readonly wGate_EHF: Float64Array;
  readonly wUp_EHF: Float64Array;
  readonly wDown_EFH: Float64Array;
  /** Selection-only bias (bias-based balancing); no gradient. */
  readonly bias_E?: Float64Array;
}

export interface MoeLayerShape {
  readonly N: number;
  readonly H: number;
  readonly E: number;
  readonly K: number;
  readonly F: number;
  readonly capacityFactor: number;
  readonly dropTokens: boolean;
}

export interface MoeLayerOutput {
  readonly out_NH: Float64Array;
  readonly zLoss: number;
  readonly auxLoss: number;
  readonly idx_NK: Int32Array;
  readonly weight_NK: Float64Array;
  readonly counts_E: Int32Array;
  readonly kept_NK: Uint8Array;
}

const silu = (v: number) => v / (1 + Math.exp(-v));

export function moeLayerRef(x_NH: ArrayLike<number>, p: MoeLayerParams, s: MoeLayerShape): MoeLayerOutput {
  const { N, H, E, K, F } = s;
  const probs = new Float64Array(N * E);
  const idx = new Int32Array(N * K);
  const weight = new Float64Array(N * K);
  let zSum = 0;
  for (let t = 0; t < N; t++) {
    const logits = new Float64Array(E);
    for (let e = 0; e < E; e++) {
      let v = 0;
      for (let h = 0; h < H; h++) v += x_NH[t * H + h] * p.wg_HE[h * E + e];
      logits[e] = v;
    }
    const m = Math.max(...logits);
    let z = 0;
    for (let e = 0; e < E; e++) z += Math.exp(logits[e] - m);
    const lse = m + Math.log(z);
    zSum += lse * lse;
    for (let e = 0; e < E; e++) probs[t * E + e] = Math.exp(logits[e] - lse);
    // Selection by logits + bias; descending, exact ties to the lower index.
    const order = [...Array(E).keys()].sort((a, b) => {
      const sa = logits[a] + (p.bias_E?.[a] ?? 0);
      const sb = logits[b] + (p.bias_E?.[b] ?? 0);
      return sb - sa || a - b;
    });
    let sum = 0;
    for (let k = 0; k < K; k++) sum += probs[t * E + order[k]];
    for (let k = 0; k < K; k++) {
      idx[t * K + k] = order[k];
      weight[t * K + k] = probs[t * E + order[k]] / sum;
    }
  }
  const counts = new Int32Array(E);
  const kept = new Uint8Array(N * K);
  // ceil of the exact quotient: 1.1·10 is 11, even though the float product is 11.000000000000002.
  const capacity = s.dropTokens ? Math.ceil((s.capacityFactor * N * K) / E - 1e-9) : Infinity;
  for (let slot = 0; slot < N * K; slot++) {
    const e = idx[slot];
    kept[slot] = counts[e] < capacity ? 1 : 0;
    counts[e]++;
  }
  const out = new Float64Array(N * H);
  for (let t = 0; t < N; t++) {
    for (let k = 0; k < K; k++) {
      const slot = t * K + k;
      if (!kept[slot]) continue;
      const e = idx[slot];
      const a = new Float64Array(F);
      for (let f = 0; f < F; f++) {
        let g = 0;
        let u = 0;
        for (let h = 0; h < H; h++) {
          const xv = x_NH[t * H + h];
          g += xv * p.wGate_EHF[(e * H + h) * F + f];
          u += xv * p.wUp_EHF[(e * H + h) * F + f];
        }
        a[f] = silu(g) * u;
      }
      for (let h = 0; h < H; h++) {
        let y = 0;
        for (let f = 0; f < F; f++) y += a[f] * p.wDown_EFH[(e * F + f) * H + h];
        out[t * H + h] += weight[slot] * y;
      }
    }
  }
  let aux = 0;
  for (let e = 0; e < E; e++) {
    let P = 0;
    for (let t = 0; t < N; t++) P += probs[t * E + e];
    aux += (counts[e] / (N * K)) * (P / N);
  }
  return { out_NH: out, zLoss: zSum / N, auxLoss: E * aux, idx_NK: idx, weight_NK: weight, counts_E: counts, kept_NK: kept };
}

/**
 * Central finite differences of L = sum(out · r) + zw·z + aw·aux with
 * respect to every entry of `target` (x or one parameter), in float64.
 * Valid away from top-k ties and capacity boundaries, where L is smooth.
 */
export function moeLayerFiniteDiff(
  x_NH: Float64Array, p: MoeLayerParams, s: MoeLayerShape, r_NH: ArrayLike<number>,
  zw: number, aw: number, target: Float64Array, eps = 1e-6,
): Float64Array {
  const loss = () => {
    const o = moeLayerRef(x_NH, p, s);
    let l = zw * o.zLoss + aw * o.auxLoss;
    for (let i = 0; i < o.out_NH.length; i++) l += o.out_NH[i] * r_NH[i];
    return l;
  };
  const grad = new Float64Array(target.length);
  for (let i = 0; i < target.length; i++) {
    const v = target[i];
    target[i] = v + eps;
    const lp = loss();
    target[i] = v - eps;
    const lm = loss();
    target[i] = v;
    grad[i] = (lp - lm) / (2 * eps);
  }
  return grad;
}
