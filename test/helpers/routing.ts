/**
 * Seeded routing decisions for MoE kernel tests: idx_NK with K distinct
 * experts per token, as a router's top-k produces them, drawn with optional
 * per-expert weights (skew, experts that never win). Runtime-neutral.
 */
import { rng } from './rng.ts';

/** Draws K distinct experts per token; expert e is drawn with probability ∝ weightOf(e) among those left. */
export function sampleTopK(N: number, K: number, E: number, seed: number, weightOf: (e: number) => number = () => 1): Uint32Array {
  const r = rng(seed);
  const idx = new Uint32Array(N * K);
  for (let t = 0; t < N; t++) {
    const left = Array.from({ length: E }, (_, e) => e).filter((e) => weightOf(e) > 0);
    if (left.length < K) throw new Error(`sampleTopK: only ${left.length} experts have weight > 0, K = ${K}`);
    for (let k = 0; k < K; k++) {
      const total = left.reduce((a, e) => a + weightOf(e), 0);
      let u = r() * total;
      let j = 0;
      while (j < left.length - 1 && u >= weightOf(left[j])) u -= weightOf(left[j++]);
      idx[t * K + k] = left[j];
      left.splice(j, 1);
    }
  }
  return idx;
}
