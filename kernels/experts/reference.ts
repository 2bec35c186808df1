/**
 * float64 reference for the grouped SwiGLU experts, written from the math
 * (ground truth for tests). Rows r in [offsets[e], offsets[e+1]) belong to
 * expert e; only the rows in use (r < offsets[E]) have results.
 *
 *   g = x·Wgate_e, u = x·Wup_e, a = silu(g)·u, y = a·Wdown_e
 *   da = dy·Wdown_eᵀ, dg = da·u·silu'(g), du = da·silu(g)
 *   dx = dg·Wgate_eᵀ + du·Wup_eᵀ
 *   dWdown_e = aᵀ·dy, dWgate_e = xᵀ·dg, dWup_e = xᵀ·du   (over expert e's rows)
 *
 * Legend: R rows, H hidden, F expert FFN dim, E experts.
 */
export interface ExpertsProblem {
  readonly H: number;
  readonly F: number;
  readonly E: number;
  /** [R, H] */
  readonly x: ArrayLike<number>;
  /** [E + 1] */
  readonly offsets: ArrayLike<number>;
  /** [E, H, F] */
  readonly wGate: ArrayLike<number>;
  /** [E, H, F] */
  readonly wUp: ArrayLike<number>;
  /** [E, F, H] */
  readonly wDown: ArrayLike<number>;
}

export interface ExpertsForwardRef {
  /** Rows in use: offsets[E]. Each array below holds that many rows. */
  readonly used: number;
  readonly g: Float64Array;
  readonly u: Float64Array;
  readonly a: Float64Array;
  readonly y: Float64Array;
}

export interface ExpertsBackwardRef {
  readonly dx: Float64Array;
  readonly dWGate: Float64Array;
  readonly dWUp: Float64Array;
  readonly dWDown: Float64Array;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function expertOf(p: ExpertsProblem, r: number): number {
  for (let e = 0; e < p.E; e++) if (r >= p.offsets[e] && r < p.offsets[e + 1]) return e;
  throw new Error(`experts reference: row ${r} belongs to no expert (offsets [${Array.from(p.offsets).join(', ')}])`);
}

export function expertsForwardRef(p: ExpertsProblem): ExpertsForwardRef {
  const { H, F } = p;
  const used = p.offsets[p.E];
  const g = new Float64Array(used * F);
  const u = new Float64Array(used * F);
  const a = new Float64Array(used * F);
  const y = new Float64Array(used * H);
  for (let r = 0; r < used; r++) {
    const e = expertOf(p, r);
    for (let f = 0; f < F; f++) {
      let sg = 0;
      let su = 0;
      for (let h = 0; h < H; h++) {
        sg += p.x[r * H + h] * p.wGate[(e * H + h) * F + f];
        su += p.x[r * H + h] * p.wUp[(e * H + h) * F + f];
      }
      g[r * F + f] = sg;
      u[r * F + f] = su;
      a[r * F + f] = sg * sigmoid(sg) * su;
    }
    for (let h = 0; h < H; h++) {
      let s = 0;
      for (let f = 0; f < F; f++) s += a[r * F + f] * p.wDown[(e * F + f) * H + h];
      y[r * H + h] = s;
    }
  }
  return { used, g, u, a, y };
}

/** Gradients for dy [R, H] (rows beyond offsets[E] are ignored). */
export function expertsBackwardRef(p: ExpertsProblem, dy: ArrayLike<number>): ExpertsBackwardRef {
  const { H, F, E } = p;
  const fwd = expertsForwardRef(p);
  const used = fwd.used;
  const dg = new Float64Array(used * F);
  const du = new Float64Array(used * F);
  const dx = new Float64Array(used * H);
  for (let r = 0; r < used; r++) {
    const e = expertOf(p, r);
    for (let f = 0; f < F; f++) {
      let da = 0;
      for (let h = 0; h < H; h++) da += dy[r * H + h] * p.wDown[(e * F + f) * H + h];
      const gv = fwd.g[r * F + f];
      const s = sigmoid(gv);
      dg[r * F + f] = da * fwd.u[r * F + f] * s * (1 + gv * (1 - s));
      du[r * F + f] = da * gv * s;
    }
    for (let h = 0; h < H; h++) {
      let s = 0;
      for (let f = 0; f < F; f++) s += dg[r * F + f] * p.wGate[(e * H + h) * F + f] + du[r * F + f] * p.wUp[(e * H + h) * F + f];
      dx[r * H + h] = s;
    }
  }
  const dWGate = new Float64Array(E * H * F);
  const dWUp = new Float64Array(E * H * F);
  const dWDown = new Float64Array(E * F * H);
  for (let e = 0; e < E; e++) {
    for (let r = p.offsets[e]; r < p.offsets[e + 1]; r++) {
      for (let h = 0; h < H; h++) {
        const xv = p.x[r * H + h];
        for (let f = 0; f < F; f++) {
          dWGate[(e * H + h) * F + f] += xv * dg[r * F + f];
          dWUp[(e * H + h) * F + f] += xv * du[r * F + f];
          dWDown[(e * F + f) * H + h] += fwd.a[r * F + f] * dy[r * H + h];
        }
      }
    }
  }
  return { dx, dWGate, dWUp, dWDown };
}
