/**
 * float64 references for the benchmark's operations (bench/kernels/ops.ts),
 * written from the math with the backward derived by hand; they judge every
 * implementation before it is timed. `checkReferenceGradients` compares the
 * hand-derived backward with central finite differences of the forward, so
 * the judge is itself checked on every benchmark run.
 *
 * Legend: N tokens, H hidden, E experts, K top-k, F expert FFN dim.
 * `tokens` (optional) restricts per-token outputs to a sample of rows, for
 * checking large shapes cheaply; weight gradients then are not computed.
 */
import type { Inputs, Shape } from './kernels/ops.ts';

type Num = ArrayLike<number>;

export function matmulRef(x_NH: Num, w_HF: Num, s: Shape, tokens?: readonly number[]): Float64Array {
  const { N, H, F } = s;
  const c = new Float64Array(N * F);
  for (const t of tokens ?? range(N)) {
    for (let f = 0; f < F; f++) {
      let v = 0;
      for (let h = 0; h < H; h++) v += x_NH[t * H + h] * w_HF[h * F + f];
      c[t * F + f] = v;
    }
  }
  return c;
}

export interface RouterRef {
  readonly probs_NE: Float64Array;
  readonly idx_NK: Int32Array;
  readonly weight_NK: Float64Array;
  /** Present when an upstream gradient was given. */
  readonly dx_NH?: Float64Array;
  readonly dWg_HE?: Float64Array;
}

/**
 * probs = softmax(x·Wg); idx = the K largest probabilities, descending, exact
 * ties to the lower expert; weight = probs[idx] / Σ_k probs[idx].
 * Backward for dL/dweight = g: with S = Σ_k p_k and w_k = p_k / S,
 *   dp_i = (g_i − Σ_k g_k w_k) / S for chosen i, 0 otherwise;
 *   dlogit = p ⊙ (dp − Σ_j p_j dp_j);  dx = dlogit·Wgᵀ;  dWg = xᵀ·dlogit.
 */
export function routerRef(x_NH: Num, wg_HE: Num, s: Shape, dWeight_NK?: Num, tokens?: readonly number[]): RouterRef {
  const { N, H, E, K } = s;
  const probs = new Float64Array(N * E);
  const idx = new Int32Array(N * K);
  const weight = new Float64Array(N * K);
  const dlogits = dWeight_NK ? new Float64Array(N * E) : null;
  const rows = tokens ?? range(N);
  for (const t of rows) {
    const logits = new Float64Array(E);
    for (let e = 0; e < E; e++) {
      let v = 0;
      for (let h = 0; h < H; h++) v += x_NH[t * H + h] * wg_HE[h * E + e];
      logits[e] = v;
    }
    const m = Math.max(...logits);
    let z = 0;
    for (let e = 0; e < E; e++) z += Math.exp(logits[e] - m);
    const p = (e: number) => Math.exp(logits[e] - m) / z;
    for (let e = 0; e < E; e++) probs[t * E + e] = p(e);
    const order = range(E).sort((a, b) => probs[t * E + b] - probs[t * E + a] || a - b);
    let S = 0;
    for (let k = 0; k < K; k++) S += probs[t * E + order[k]];
    for (let k = 0; k < K; k++) {
      idx[t * K + k] = order[k];
      weight[t * K + k] = probs[t * E + order[k]] / S;
    }
    if (dlogits && dWeight_NK) {
      let gw = 0;
      for (let k = 0; k < K; k++) gw += dWeight_NK[t * K + k] * weight[t * K + k];
      const dp = new Float64Array(E);
      for (let k = 0; k < K; k++) dp[order[k]] = (dWeight_NK[t * K + k] - gw) / S;
      let pdp = 0;
      for (let e = 0; e < E; e++) pdp += probs[t * E + e] * dp[e];
      for (let e = 0; e < E; e++) dlogits[t * E + e] = probs[t * E + e] * (dp[e] - pdp);
    }
  }
  if (!dlogits) return { probs_NE: probs, idx_NK: idx, weight_NK: weight };
  const dx = new Float64Array(N * H);
  for (const t of rows) {
    for (let h = 0; h < H; h++) {
      let v = 0;
      for (let e = 0; e < E; e++) v += dlogits[t * E + e] * wg_HE[h * E + e];
      dx[t * H + h] = v;
    }
  }
  let dWg: Float64Array | undefined;
  if (!tokens) {
    dWg = new Float64Array(H * E);
    for (let t = 0; t < N; t++) {
      for (let h = 0; h < H; h++) {
        const xv = x_NH[t * H + h];
        for (let e = 0; e < E; e++) dWg[h * E + e] += xv * dlogits[t * E + e];
      }
    }
  }
  return { probs_NE: probs, idx_NK: idx, weight_NK: weight, dx_NH: dx, dWg_HE: dWg };
}

export interface ExpertsRef {
  readonly out_NH: Float64Array;
  readonly dx_NH?: Float64Array;
  readonly dWeight_NK?: Float64Array;
  readonly dWgate_EHF?: Float64Array;
  readonly dWup_EHF?: Float64Array;
  readonly dWdown_EFH?: Float64Array;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * out_t = Σ_k w_tk · y_tk, y = (silu(a) ⊙ b)·Wdown_e, a = x_t·Wgate_e, b = x_t·Wup_e.
 * Backward for dOut: dw_tk = dOut_t·y_tk; dy = w_tk·dOut_t; dWdown_e += h ⊗ dy;
 * dh = Wdown_e·dy; da = dh ⊙ b ⊙ σ(a)(1 + a(1 − σ(a))); db = dh ⊙ silu(a);
 * dWgate_e += x_t ⊗ da; dWup_e += x_t ⊗ db; dx_t += Wgate_e·da + Wup_e·db.
 */
export type ExpertsArgs = Pick<Inputs, 'idx_NK'> & Record<'x_NH' | 'weight_NK' | 'wGate_EHF' | 'wUp_EHF' | 'wDown_EFH' | 'dOut_NH', Num>;

export function expertsRef(inp: ExpertsArgs, s: Shape, withGrad: boolean, tokens?: readonly number[]): ExpertsRef {
  const { N, H, K, F, E } = s;
  const { x_NH: x, idx_NK: idx, weight_NK: wt, wGate_EHF: wg, wUp_EHF: wu, wDown_EFH: wd, dOut_NH: dOut } = inp;
  const out = new Float64Array(N * H);
  const dx = withGrad ? new Float64Array(N * H) : undefined;
  const dWeight = withGrad ? new Float64Array(N * K) : undefined;
  const full = withGrad && !tokens;
  const dWgate = full ? new Float64Array(E * H * F) : undefined;
  const dWup = full ? new Float64Array(E * H * F) : undefined;
  const dWdown = full ? new Float64Array(E * F * H) : undefined;
  const a = new Float64Array(F);
  const b = new Float64Array(F);
  const hid = new Float64Array(F);
  const y = new Float64Array(H);
  const dh = new Float64Array(F);
  const da = new Float64Array(F);
  const db = new Float64Array(F);
  for (const t of tokens ?? range(N)) {
    for (let k = 0; k < K; k++) {
      const e = idx[t * K + k];
      const w = wt[t * K + k];
      const g0 = e * H * F;
      const d0 = e * F * H;
      a.fill(0);
      b.fill(0);
      for (let h = 0; h < H; h++) {
        const xv = x[t * H + h];
        for (let f = 0; f < F; f++) {
          a[f] += xv * wg[g0 + h * F + f];
          b[f] += xv * wu[g0 + h * F + f];
        }
      }
      for (let f = 0; f < F; f++) hid[f] = a[f] * sigmoid(a[f]) * b[f];
      y.fill(0);
      for (let f = 0; f < F; f++) for (let h = 0; h < H; h++) y[h] += hid[f] * wd[d0 + f * H + h];
      for (let h = 0; h < H; h++) out[t * H + h] += w * y[h];
      if (!withGrad || !dx || !dWeight) continue;
      let dw = 0;
      for (let h = 0; h < H; h++) dw += dOut[t * H + h] * y[h];
      dWeight[t * K + k] = dw;
      for (let f = 0; f < F; f++) {
        let v = 0;
        for (let h = 0; h < H; h++) v += wd[d0 + f * H + h] * w * dOut[t * H + h];
        dh[f] = v;
        const sg = sigmoid(a[f]);
        da[f] = dh[f] * b[f] * sg * (1 + a[f] * (1 - sg));
        db[f] = dh[f] * a[f] * sg;
      }
      for (let h = 0; h < H; h++) {
        let v = 0;
        for (let f = 0; f < F; f++) v += wg[g0 + h * F + f] * da[f] + wu[g0 + h * F + f] * db[f];
        dx[t * H + h] += v;
      }
      if (dWgate && dWup && dWdown) {
        for (let h = 0; h < H; h++) {
          const xv = x[t * H + h];
          for (let f = 0; f < F; f++) {
            dWgate[g0 + h * F + f] += xv * da[f];
            dWup[g0 + h * F + f] += xv * db[f];
          }
        }
        for (let f = 0; f < F; f++) for (let h = 0; h < H; h++) dWdown[d0 + f * H + h] += hid[f] * w * dOut[t * H + h];
      }
    }
  }
  return { out_NH: out, dx_NH: dx, dWeight_NK: dWeight, dWgate_EHF: dWgate, dWup_EHF: dWup, dWdown_EFH: dWdown };
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Checks the hand-derived backward passes above against central finite
 * differences of their forward passes at a tiny shape (float64, h = 1e-6).
 * Returns null when every probed derivative agrees within 1e-6 relative, else
 * a description of the first disagreement.
 */
export function checkReferenceGradients(inp: Inputs): string | null {
  const s = inp.shape;
  const h = 1e-6;
  const close = (what: string, got: number, fd: number): string | null =>
    Math.abs(got - fd) <= 1e-6 * Math.max(1, Math.abs(fd)) ? null : `${what}: analytic ${got}, finite difference ${fd}`;
  // Router: L = Σ dWeight ⊙ weight, perturbing x and Wg (top-k choices stay put for small h).
  const routerLoss = (x: Float64Array, wg: Float64Array) => {
    const r = routerRef(x, wg, s);
    let L = 0;
    for (let i = 0; i < r.weight_NK.length; i++) L += inp.dWeight_NK[i] * r.weight_NK[i];
    return L;
  };
  const x = Float64Array.from(inp.x_NH);
  const wg = Float64Array.from(inp.wg_HE);
  const r = routerRef(x, wg, s, inp.dWeight_NK);
  for (const i of [0, 7, x.length - 1]) {
    const fd = central(x, i, h, () => routerLoss(x, wg));
    const bad = close(`router dx[${i}]`, r.dx_NH![i], fd);
    if (bad) return bad;
  }
  for (const i of [0, 5, wg.length - 1]) {
    const fd = central(wg, i, h, () => routerLoss(x, wg));
    const bad = close(`router dWg[${i}]`, r.dWg_HE![i], fd);
    if (bad) return bad;
  }
  // Experts: L = Σ dOut ⊙ out, perturbing x, the weights and each expert matrix.
  const p = {
    x_NH: Float64Array.from(inp.x_NH),
    weight_NK: Float64Array.from(inp.weight_NK),
    wGate_EHF: Float64Array.from(inp.wGate_EHF),
    wUp_EHF: Float64Array.from(inp.wUp_EHF),
    wDown_EFH: Float64Array.from(inp.wDown_EFH),
  };
  const expertsLoss = () => {
    const o = expertsRef({ ...inp, ...p }, s, false).out_NH;
    let L = 0;
    for (let i = 0; i < o.length; i++) L += inp.dOut_NH[i] * o[i];
    return L;
  };
  const g = expertsRef(inp, s, true);
  const probes: Array<[keyof typeof p, Float64Array | undefined]> = [
    ['x_NH', g.dx_NH], ['weight_NK', g.dWeight_NK], ['wGate_EHF', g.dWgate_EHF], ['wUp_EHF', g.dWup_EHF], ['wDown_EFH', g.dWdown_EFH],
  ];
  for (const [name, grad] of probes) {
    const arr = p[name];
    // In expert matrices, probe the expert that slot 0 uses (others may get no tokens).
    const perExpert = name === 'wGate_EHF' || name === 'wUp_EHF' || name === 'wDown_EFH';
    const per = perExpert ? arr.length / s.E : arr.length;
    const base = perExpert ? inp.idx_NK[0] * per : 0;
    for (const i of [base, base + 3, base + per - 1]) {
      const fd = central(arr, i, h, expertsLoss);
      const bad = close(`experts d${name}[${i}]`, grad![i], fd);
      if (bad) return bad;
    }
  }
  return null;
}

function central(arr: Float64Array, i: number, h: number, f: () => number): number {
  const v = arr[i];
  arr[i] = v + h;
  const up = f();
  arr[i] = v - h;
  const down = f();
  arr[i] = v;
  return (up - down) / (2 * h);
}
