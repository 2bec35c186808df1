/**
 * Benchmarks validate before they time: every implementation's outputs are
 * compared with the float64 reference (bench/reference.ts) — all of them at
 * the small validation shape, and the per-token outputs of a sample of
 * tokens at each benchmark shape (weight gradients need every token, so they
 * are checked at the validation shape only).
 */
import { expertsRef, matmulRef, range, routerRef } from '../reference.ts';
import { OUTPUTS_OF, type Inputs, type OpName, type Outputs } from './ops.ts';

type Expected = Partial<Record<keyof Outputs, ArrayLike<number>>> & { probs_NE?: ArrayLike<number> };

/**
 * float32 against float64 over sums of up to a few thousand terms:
 * |got − ref| ≤ 1e-3·|ref| + 1e-4·max|ref|. Indexing or formula errors give
 * differences of the order of max|ref| and fail by orders of magnitude.
 */
const RTOL = 1e-3;
const ATOL_OF_MAX = 1e-4;
/** Two experts whose reference probabilities differ by less than this may swap places in top-k. */
const TIE = 1e-5;

export function expectedOutputs(op: OpName, inp: Inputs, tokens?: readonly number[]): Expected {
  const s = inp.shape;
  switch (op) {
    case 'matmul':
      return { c_NF: matmulRef(inp.x_NH, inp.w_HF, s, tokens) };
    case 'router_fwd':
    case 'router_fwd_bwd': {
      const r = routerRef(inp.x_NH, inp.wg_HE, s, op === 'router_fwd_bwd' ? inp.dWeight_NK : undefined, tokens);
      return { idx_NK: r.idx_NK, weight_NK: r.weight_NK, probs_NE: r.probs_NE, dx_NH: r.dx_NH, dWg_HE: r.dWg_HE };
    }
    case 'experts_fwd':
    case 'experts_fwd_bwd': {
      const r = expertsRef(inp, s, op === 'experts_fwd_bwd', tokens);
      return { out_NH: r.out_NH, dx_NH: r.dx_NH, dWeight_NK: r.dWeight_NK, dWgate_EHF: r.dWgate_EHF, dWup_EHF: r.dWup_EHF, dWdown_EFH: r.dWdown_EFH };
    }
  }
}

/** Row length of each per-token output (the others are weight gradients). */
function rowLength(name: keyof Outputs, inp: Inputs): number | null {
  const { H, K, F } = inp.shape;
  switch (name) {
    case 'c_NF':
      return F;
    case 'idx_NK':
    case 'weight_NK':
    case 'dWeight_NK':
      return K;
    case 'dx_NH':
    case 'out_NH':
      return H;
    default:
      return null;
  }
}

/** Null when the outputs match, else a report naming the output, the index and the values. */
export function checkOutputs(op: OpName, inp: Inputs, got: Outputs, want: Expected, tokens?: readonly number[]): string | null {
  const rows = tokens ?? range(inp.shape.N);
  for (const name of OUTPUTS_OF[op]) {
    const g = got[name];
    const w = want[name];
    if (!g) return `${name}: not produced`;
    const len = rowLength(name, inp);
    if (!w) {
      if (len === null && tokens) continue; // weight gradients: checked at the validation shape
      return `${name}: no reference`;
    }
    if (g.length !== w.length) return `${name}: ${g.length} values, reference has ${w.length}`;
    const idx = len === null ? range(w.length) : rows.flatMap((t) => range(len).map((j) => t * len + j));
    if (name === 'idx_NK') {
      const { E, K } = inp.shape;
      for (const i of idx) {
        if (g[i] === w[i]) continue;
        const t = Math.floor(i / K);
        const pg = g[i] < E ? want.probs_NE![t * E + g[i]] : NaN;
        const pw = want.probs_NE![t * E + w[i]];
        if (!(Math.abs(pg - pw) <= TIE)) return `idx_NK[${i}] (token ${t}): got expert ${g[i]}, reference ${w[i]} (probabilities ${pg}, ${pw})`;
      }
      continue;
    }
    let max = 0;
    for (const i of idx) max = Math.max(max, Math.abs(w[i]));
    for (const i of idx) {
      const d = Math.abs(g[i] - w[i]);
      if (!(d <= RTOL * Math.abs(w[i]) + ATOL_OF_MAX * max)) {
        return `${name}[${i}]: got ${g[i]}, reference ${w[i]} (|diff| ${d.toExponential(2)}, max|ref| ${max.toExponential(2)})`;
      }
    }
  }
  return null;
}

/** A spread-out sample of token indices: first, last and evenly spaced ones in between. */
export function sampleTokens(N: number, count = 12): number[] {
  const n = Math.min(count, N);
  const step = n > 1 ? (N - 1) / (n - 1) : 0;
  return [...new Set(range(n).map((i) => Math.round(i * step)))];
}
