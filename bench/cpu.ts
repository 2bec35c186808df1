/**
 * The plain TypeScript CPU path: the benchmark's operations as float32 loops
 * on one thread, written the way a careful JavaScript author would (row-major
 * Float32Arrays, i-k-j loop order, tokens grouped by expert before the
 * expert matmuls). It is one of the measured implementations, not a
 * reference: bench/reference.ts (float64) judges it like the others.
 *
 * Legend: N tokens, H hidden, E experts, K top-k, F expert FFN dim.
 */
import type { Backend, Inputs, OpName, Outputs, Prepared } from './kernels/ops.ts';
import { groupByExpert } from './routing.ts';

/** C[M, N] (+)= A[M, K]·B[K, N]. */
export function mmNN(c: Float32Array, a: Float32Array, b: Float32Array, M: number, K: number, N: number, accumulate = false): void {
  if (!accumulate) c.fill(0, 0, M * N);
  for (let i = 0; i < M; i++) {
    const ci = i * N;
    for (let k = 0; k < K; k++) {
      const av = a[i * K + k];
      if (av === 0) continue;
      const bk = k * N;
      for (let j = 0; j < N; j++) c[ci + j] += av * b[bk + j];
    }
  }
}

/** C[M, N] (+)= Aᵀ·B with A stored [K, M], B [K, N]. */
export function mmTN(c: Float32Array, a: Float32Array, b: Float32Array, M: number, K: number, N: number, accumulate = false): void {
  if (!accumulate) c.fill(0, 0, M * N);
  for (let k = 0; k < K; k++) {
    const bk = k * N;
    for (let i = 0; i < M; i++) {
      const av = a[k * M + i];
      if (av === 0) continue;
      const ci = i * N;
      for (let j = 0; j < N; j++) c[ci + j] += av * b[bk + j];
    }
  }
}

/** C[M, N] (+)= A·Bᵀ with A stored [M, K], B [N, K]. */
export function mmNT(c: Float32Array, a: Float32Array, b: Float32Array, M: number, K: number, N: number, accumulate = false): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * b[j * K + k];
      c[i * N + j] = accumulate ? c[i * N + j] + s : s;
    }
  }
}

interface RouterForward {
  probs: Float32Array;
  idx: Uint32Array;
  weight: Float32Array;
}

function routerForward(inp: Inputs): RouterForward {
  const { N, H, E, K } = inp.shape;
  const probs = new Float32Array(N * E);
  mmNN(probs, inp.x_NH, inp.wg_HE, N, H, E);
  const idx = new Uint32Array(N * K);
  const weight = new Float32Array(N * K);
  const taken = new Uint8Array(E);
  for (let t = 0; t < N; t++) {
    const row = t * E;
    let m = -Infinity;
    for (let e = 0; e < E; e++) m = Math.max(m, probs[row + e]);
    let z = 0;
    for (let e = 0; e < E; e++) z += probs[row + e] = Math.exp(probs[row + e] - m);
    for (let e = 0; e < E; e++) probs[row + e] /= z;
    // K repeated arg-maxes (K is small); strict > keeps the lower index on ties.
    taken.fill(0);
    let S = 0;
    for (let k = 0; k < K; k++) {
      let best = -1;
      for (let e = 0; e < E; e++) if (!taken[e] && (best < 0 || probs[row + e] > probs[row + best])) best = e;
      taken[best] = 1;
      idx[t * K + k] = best;
      S += weight[t * K + k] = probs[row + best];
    }
    for (let k = 0; k < K; k++) weight[t * K + k] /= S;
  }
  return { probs, idx, weight };
}

function routerBackward(inp: Inputs, f: RouterForward): { dx: Float32Array; dWg: Float32Array } {
  const { N, H, E, K } = inp.shape;
  const dlogits = new Float32Array(N * E);
  const dp = new Float32Array(E);
  for (let t = 0; t < N; t++) {
    let S = 0;
    let gw = 0;
    for (let k = 0; k < K; k++) {
      S += f.probs[t * E + f.idx[t * K + k]];
      gw += inp.dWeight_NK[t * K + k] * f.weight[t * K + k];
    }
    dp.fill(0);
    for (let k = 0; k < K; k++) dp[f.idx[t * K + k]] = (inp.dWeight_NK[t * K + k] - gw) / S;
    let pdp = 0;
    for (let e = 0; e < E; e++) pdp += f.probs[t * E + e] * dp[e];
    for (let e = 0; e < E; e++) dlogits[t * E + e] = f.probs[t * E + e] * (dp[e] - pdp);
  }
  const dx = new Float32Array(N * H);
  mmNT(dx, dlogits, inp.wg_HE, N, E, H);
  const dWg = new Float32Array(H * E);
  mmTN(dWg, inp.x_NH, dlogits, H, N, E);
  return { dx, dWg };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function experts(inp: Inputs, withGrad: boolean): Outputs {
  const { N, H, E, K, F } = inp.shape;
  const { offsets, slotOfRow } = groupByExpert(inp.idx_NK, E, K);
  const out = new Float32Array(N * H);
  const dx = withGrad ? new Float32Array(N * H) : null;
  const dWeight = withGrad ? new Float32Array(N * K) : null;
  const dWgate = withGrad ? new Float32Array(E * H * F) : null;
  const dWup = withGrad ? new Float32Array(E * H * F) : null;
  const dWdown = withGrad ? new Float32Array(E * F * H) : null;
  for (let e = 0; e < E; e++) {
    const c = offsets[e + 1] - offsets[e];
    if (c === 0) continue;
    const mine = slotOfRow.subarray(offsets[e], offsets[e + 1]);
    const xe = new Float32Array(c * H);
    for (let r = 0; r < c; r++) xe.set(inp.x_NH.subarray(((mine[r] / K) | 0) * H, (((mine[r] / K) | 0) + 1) * H), r * H);
    const wg = inp.wGate_EHF.subarray(e * H * F, (e + 1) * H * F);
    const wu = inp.wUp_EHF.subarray(e * H * F, (e + 1) * H * F);
    const wd = inp.wDown_EFH.subarray(e * F * H, (e + 1) * F * H);
    const a = new Float32Array(c * F);
    const b = new Float32Array(c * F);
    mmNN(a, xe, wg, c, H, F);
    mmNN(b, xe, wu, c, H, F);
    const hid = new Float32Array(c * F);
    for (let i = 0; i < c * F; i++) hid[i] = a[i] * sigmoid(a[i]) * b[i];
    const y = new Float32Array(c * H);
    mmNN(y, hid, wd, c, F, H);
    for (let r = 0; r < c; r++) {
      const s = mine[r];
      const t = (s / K) | 0;
      const w = inp.weight_NK[s];
      for (let h = 0; h < H; h++) out[t * H + h] += w * y[r * H + h];
    }
    if (!dx || !dWeight || !dWgate || !dWup || !dWdown) continue;
    const dy = new Float32Array(c * H);
    for (let r = 0; r < c; r++) {
      const s = mine[r];
      const t = (s / K) | 0;
      const w = inp.weight_NK[s];
      let dw = 0;
      for (let h = 0; h < H; h++) {
        const g = inp.dOut_NH[t * H + h];
        dw += g * y[r * H + h];
        dy[r * H + h] = w * g;
      }
      dWeight[s] = dw;
    }
    mmTN(dWdown.subarray(e * F * H, (e + 1) * F * H), hid, dy, F, c, H);
    const dh = new Float32Array(c * F);
    mmNT(dh, dy, wd, c, H, F);
    // da and db overwrite a and b, which are not needed after this.
    for (let i = 0; i < c * F; i++) {
      const ai = a[i];
      const sg = sigmoid(ai);
      a[i] = dh[i] * b[i] * sg * (1 + ai * (1 - sg));
      b[i] = dh[i] * ai * sg;
    }
    mmTN(dWgate.subarray(e * H * F, (e + 1) * H * F), xe, a, H, c, F);
    mmTN(dWup.subarray(e * H * F, (e + 1) * H * F), xe, b, H, c, F);
    const dxe = new Float32Array(c * H);
    mmNT(dxe, a, wg, c, F, H);
    mmNT(dxe, b, wu, c, F, H, true);
    for (let r = 0; r < c; r++) {
      const t = (mine[r] / K) | 0;
      for (let h = 0; h < H; h++) dx[t * H + h] += dxe[r * H + h];
    }
  }
  return dx && dWeight && dWgate && dWup && dWdown
    ? { out_NH: out, dx_NH: dx, dWeight_NK: dWeight, dWgate_EHF: dWgate, dWup_EHF: dWup, dWdown_EFH: dWdown }
    : { out_NH: out };
}

function compute(op: OpName, inp: Inputs): Outputs {
  switch (op) {
    case 'matmul': {
      const { N, H, F } = inp.shape;
      const c = new Float32Array(N * F);
      mmNN(c, inp.x_NH, inp.w_HF, N, H, F);
      return { c_NF: c };
    }
    case 'router_fwd': {
      const f = routerForward(inp);
      return { idx_NK: f.idx, weight_NK: f.weight };
    }
    case 'router_fwd_bwd': {
      const f = routerForward(inp);
      const g = routerBackward(inp, f);
      return { idx_NK: f.idx, weight_NK: f.weight, dx_NH: g.dx, dWg_HE: g.dWg };
    }
    case 'experts_fwd':
      return experts(inp, false);
    case 'experts_fwd_bwd':
      return experts(inp, true);
  }
}

export const cpuBackend: Backend = {
  impl: 'cpu',
  variants: () => ['loops'],
  missing: () => null,
  async prepare(op: OpName, inp: Inputs): Promise<Prepared> {
    return {
      run: async () => void compute(op, inp),
      outputs: async () => compute(op, inp),
      dispose: () => {},
    };
  },
};
