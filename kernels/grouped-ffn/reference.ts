/**
 * float64 reference of the grouped SwiGLU experts, from the math:
 * for rows r of expert e (offsets[e] <= r < offsets[e+1]):
 *   g = x·Wgate_e, u = x·Wup_e, a = silu(g)·u, y = a·Wdown_e
 * and the gradients for dy. Rows at or beyond offsets[E] are not part of
 * the result (reported as 0 here; tests compare kept rows only).
 */
export interface GroupedFfnRef {
  readonly y: Float64Array;
  readonly dxp: Float64Array;
  readonly dWGate: Float64Array;
  readonly dWUp: Float64Array;
  readonly dWDown: Float64Array;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export function groupedFfnRef(
  xp: ArrayLike<number>, offsets: ArrayLike<number>, wGate: ArrayLike<number>, wUp: ArrayLike<number>, wDown: ArrayLike<number>,
  dy: ArrayLike<number>, d: { R: number; H: number; F: number; E: number },
): GroupedFfnRef {
  const { R, H, F, E } = d;
  const y = new Float64Array(R * H);
  const dxp = new Float64Array(R * H);
  const dWGate = new Float64Array(E * H * F);
  const dWUp = new Float64Array(E * H * F);
  const dWDown = new Float64Array(E * F * H);
  for (let e = 0; e < E; e++) {
    for (let r = offsets[e]; r < offsets[e + 1]; r++) {
      const g = new Float64Array(F);
      const u = new Float64Array(F);
      for (let f = 0; f < F; f++) {
        for (let h = 0; h < H; h++) {
          g[f] += xp[r * H + h] * wGate[(e * H + h) * F + f];
          u[f] += xp[r * H + h] * wUp[(e * H + h) * F + f];
        }
      }
      const a = g.map((gv, f) => gv * sigmoid(gv) * u[f]);
      for (let h = 0; h < H; h++) {
        for (let f = 0; f < F; f++) y[r * H + h] += a[f] * wDown[(e * F + f) * H + h];
      }
      // Backward: da = dy·Wdown^T; dg = da·u·silu'(g); du = da·silu(g).
      const da = new Float64Array(F);
      for (let f = 0; f < F; f++) {
        for (let h = 0; h < H; h++) {
          da[f] += dy[r * H + h] * wDown[(e * F + f) * H + h];
          dWDown[(e * F + f) * H + h] += a[f] * dy[r * H + h];
        }
      }
      for (let f = 0; f < F; f++) {
        const s = sigmoid(g[f]);
        const dg = da[f] * u[f] * s * (1 + g[f] * (1 - s));
        const du = da[f] * g[f] * s;
        for (let h = 0; h < H; h++) {
          dxp[r * H + h] += dg * wGate[(e * H + h) * F + f] + du * wUp[(e * H + h) * F + f];
          dWGate[(e * H + h) * F + f] += xp[r * H + h] * dg;
          dWUp[(e * H + h) * F + f] += xp[r * H + h] * du;
        }
      }
    }
  }
  return { y, dxp, dWGate, dWUp, dWDown };
}
