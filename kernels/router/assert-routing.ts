/**
 * Host-side routing invariants, checked on read-back arrays (read them in
 * the once-per-step readback, not per layer). Throws a RoutingInvariantError
 * that names the layer, the token or expert and the values.
 */
export class RoutingInvariantError extends Error {
  override name = 'RoutingInvariantError';
  constructor(readonly layer: string, message: string) {
    super(`routing invariant failed in '${layer}': ${message}`);
  }
}

const WEIGHT_SUM_TOLERANCE = 1e-4;

export function assertRouting(
  idx: ArrayLike<number>, weight: ArrayLike<number>, counts: ArrayLike<number>,
  N: number, K: number, E: number, layerName: string,
): void {
  const fail = (m: string): never => {
    throw new RoutingInvariantError(layerName, m);
  };
  if (idx.length !== N * K || weight.length !== N * K || counts.length !== E) {
    fail(`expected idx and weight of N·K = ${N}·${K} values and counts of E = ${E}, got ${idx.length}, ${weight.length}, ${counts.length}`);
  }
  const seen = new Array<number>(E).fill(0);
  for (let t = 0; t < N; t++) {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const s = t * K + k;
      const e = idx[s];
      if (!Number.isInteger(e) || e < 0 || e >= E) fail(`token ${t}: idx[${t}, ${k}] = ${e} is outside [0, ${E})`);
      for (let j = 0; j < k; j++) if (idx[t * K + j] === e) fail(`token ${t}: expert ${e} chosen twice (k=${j} and k=${k})`);
      seen[e]++;
      const w = weight[s];
      if (!Number.isFinite(w)) fail(`token ${t}: weight[${t}, ${k}] = ${w} is not finite (NaN/Inf in the router logits?)`);
      sum += w;
    }
    if (K > 0 && !(Math.abs(sum - 1) <= WEIGHT_SUM_TOLERANCE)) fail(`token ${t}: combine weights sum to ${sum}, not 1 (tolerance ${WEIGHT_SUM_TOLERANCE})`);
  }
  let total = 0;
  for (let e = 0; e < E; e++) total += counts[e];
  if (total !== N * K) fail(`sum(counts) = ${total}, expected N·K = ${N}·${K} = ${N * K} (token conservation)`);
  for (let e = 0; e < E; e++) {
    if (counts[e] !== seen[e]) fail(`counts[${e}] = ${counts[e]} but ${seen[e]} slots in idx choose expert ${e}`);
  }
}
