/**
 * float64 reference for the router, written from the math (not from the
 * shaders). Ground truth for the router tests.
 *
 * Legend: N tokens, H hidden, E experts, K top-k.
 *   logits = x·Wg                       [N, E]
 *   p      = softmax(logits)            (unbiased)
 *   idx    = top-k of logits + bias     (descending, exact ties to the lower index)
 *   weight = p[idx] / sum p[idx]
 *   z      = mean_t lse_t^2
 *   aux    = E · sum_e f_e · P_e,  f_e = counts_e / (N·K),  P_e = mean_t p[t, e]
 */
export interface RouteRef {
  readonly idx: Uint32Array;
  readonly weight: Float64Array;
  readonly probs: Float64Array;
  readonly lse: Float64Array;
  readonly counts: Uint32Array;
  readonly meanProbs: Float64Array;
  readonly zLoss: number;
  readonly auxLoss: number;
}

/** logits = x·Wg: x [N, H], Wg [H, E]. */
export function routerLogitsRef(x: ArrayLike<number>, wg: ArrayLike<number>, N: number, H: number, E: number): Float64Array {
  const logits = new Float64Array(N * E);
  for (let t = 0; t < N; t++) {
    for (let e = 0; e < E; e++) {
      let s = 0;
      for (let h = 0; h < H; h++) s += x[t * H + h] * wg[h * E + e];
      logits[t * E + e] = s;
    }
  }
  return logits;
}

/** Softmax, top-k, renormalised weights, counts and both losses, from the logits. */
export function routeRef(logits: ArrayLike<number>, N: number, E: number, K: number, bias?: ArrayLike<number>): RouteRef {
  const probs = new Float64Array(N * E);
  const lse = new Float64Array(N);
  const idx = new Uint32Array(N * K);
  const weight = new Float64Array(N * K);
  const counts = new Uint32Array(E);
  for (let t = 0; t < N; t++) {
    const row = Array.from({ length: E }, (_, e) => logits[t * E + e]);
    const m = Math.max(...row);
    let z = 0;
    for (const v of row) z += Math.exp(v - m);
    lse[t] = m + Math.log(z);
    for (let e = 0; e < E; e++) probs[t * E + e] = Math.exp(row[e] - lse[t]);
    const score = (e: number) => row[e] + (bias ? bias[e] : 0);
    const order = [...Array(E).keys()].sort((a, b) => score(b) - score(a) || a - b);
    let chosen = 0;
    for (let k = 0; k < K; k++) chosen += probs[t * E + order[k]];
    for (let k = 0; k < K; k++) {
      idx[t * K + k] = order[k];
      weight[t * K + k] = probs[t * E + order[k]] / chosen;
      counts[order[k]]++;
    }
  }
  const meanProbs = new Float64Array(E);
  let aux = 0;
  for (let e = 0; e < E; e++) {
    for (let t = 0; t < N; t++) meanProbs[e] += probs[t * E + e];
    meanProbs[e] = N > 0 ? meanProbs[e] / N : 0;
    aux += N > 0 ? (counts[e] / (N * K)) * meanProbs[e] : 0;
  }
  let z = 0;
  for (let t = 0; t < N; t++) z += lse[t] * lse[t];
  return { idx, weight, probs, lse, counts, meanProbs, zLoss: N > 0 ? z / N : 0, auxLoss: E * aux };
}

export interface RouterBackwardRefInput {
  readonly route: RouteRef;
  readonly N: number;
  readonly E: number;
  readonly K: number;
  readonly dWeight: ArrayLike<number>;
  readonly zLossWeight: number;
  readonly auxLossWeight: number;
  /** Counts and token count the aux term uses (global ones under data parallelism); default local. */
  readonly auxCounts?: ArrayLike<number>;
  readonly auxTokens?: number;
  /** Token count the z-loss mean divides by; default N. */
  readonly zTokens?: number;
}

/**
 * dL/dlogits for L = sum(dWeight·weight) + zw·z + aw·aux, by the chain rule
 * through the renormalisation (quotient rule) and the full softmax Jacobian;
 * f_e is a constant (counts are piecewise constant in the logits).
 */
export function routerLogitsBackwardRef(a: RouterBackwardRefInput): Float64Array {
  const { route, N, E, K, dWeight } = a;
  const auxCounts = a.auxCounts ?? route.counts;
  const auxTokens = a.auxTokens ?? N;
  const zTokens = a.zTokens ?? N;
  const dLogits = new Float64Array(N * E);
  for (let t = 0; t < N; t++) {
    // g = dL/dp for this token.
    const g = new Float64Array(E);
    let chosen = 0;
    for (let k = 0; k < K; k++) chosen += route.probs[t * E + route.idx[t * K + k]];
    for (let m = 0; m < K; m++) {
      // weight_k = p_{i_k} / S: d weight_k / d p_{i_m} = [k == m] / S - p_{i_k} / S^2.
      let d = 0;
      for (let k = 0; k < K; k++) {
        d += dWeight[t * K + k] * ((k === m ? 1 / chosen : 0) - route.probs[t * E + route.idx[t * K + k]] / (chosen * chosen));
      }
      g[route.idx[t * K + m]] += d;
    }
    for (let e = 0; e < E; e++) g[e] += auxTokens > 0 ? (a.auxLossWeight * E * auxCounts[e]) / (auxTokens * K) / auxTokens : 0;
    // Softmax Jacobian: dl_j = p_j (g_j - sum_e p_e g_e).
    let pg = 0;
    for (let e = 0; e < E; e++) pg += route.probs[t * E + e] * g[e];
    // z: d(lse^2)/dl_j = 2·lse·p_j.
    const dz = zTokens > 0 ? (a.zLossWeight * 2 * route.lse[t]) / zTokens : 0;
    for (let e = 0; e < E; e++) {
      const p = route.probs[t * E + e];
      dLogits[t * E + e] = p * (g[e] - pg) + dz * p;
    }
  }
  return dLogits;
}

/** dx = dLogits·Wg^T [N, H] and dWg = x^T·dLogits [H, E]. */
export function routerInputGradsRef(
  dLogits: ArrayLike<number>, x: ArrayLike<number>, wg: ArrayLike<number>, N: number, H: number, E: number,
): { dx: Float64Array; dWg: Float64Array } {
  const dx = new Float64Array(N * H);
  const dWg = new Float64Array(H * E);
  for (let t = 0; t < N; t++) {
    for (let h = 0; h < H; h++) {
      let s = 0;
      for (let e = 0; e < E; e++) s += dLogits[t * E + e] * wg[h * E + e];
      dx[t * H + h] = s;
    }
  }
  for (let h = 0; h < H; h++) {
    for (let e = 0; e < E; e++) {
      let s = 0;
      for (let t = 0; t < N; t++) s += x[t * H + h] * dLogits[t * E + e];
      dWg[h * E + e] = s;
    }
  }
  return { dx, dWg };
}

/** The scalar the backward differentiates: sum(dWeight·weight) + zw·z + aw·aux. */
export function routerLossRef(route: RouteRef, dWeight: ArrayLike<number>, zLossWeight: number, auxLossWeight: number): number {
  let l = zLossWeight * route.zLoss + auxLossWeight * route.auxLoss;
  for (let i = 0; i < route.weight.length; i++) l += dWeight[i] * route.weight[i];
  return l;
}
