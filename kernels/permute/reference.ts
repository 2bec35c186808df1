/**
 * float64 references for routeSlots, permuteRows and unpermuteGrad, written
 * from the MoE data contract (kernels/README.md), not from the shaders:
 * slots are sorted by expert with a stable sort; within an expert the first
 * C slots (ascending s) are kept. Ground truth for tests.
 */
export const REF_NO_ROW = 0xffffffff;

export interface RouteRef {
  readonly counts: number[];
  readonly offsets: number[];
  readonly slotRow: number[];
  /** Only the first offsets[E] entries: rows beyond are unused. */
  readonly rowSlot: number[];
  readonly dropped: number;
}

/** `capacity` = C, or Infinity when dropping is off. */
export function routeSlotsRef(idx: ArrayLike<number>, E: number, capacity: number): RouteRef {
  const R = idx.length;
  const order = Array.from({ length: R }, (_, s) => s).sort((a, b) => idx[a] - idx[b] || a - b);
  const counts = new Array<number>(E).fill(0);
  for (let s = 0; s < R; s++) counts[idx[s]]++;
  const kept = counts.map((c) => Math.min(c, capacity));
  const offsets = [0];
  for (let e = 0; e < E; e++) offsets.push(offsets[e] + kept[e]);
  const slotRow = new Array<number>(R).fill(REF_NO_ROW);
  const rowSlot: number[] = [];
  let first = 0;
  for (let e = 0; e < E; e++) {
    const group = order.slice(first, first + counts[e]);
    first += counts[e];
    group.slice(0, kept[e]).forEach((s, pos) => {
      slotRow[s] = offsets[e] + pos;
      rowSlot.push(s);
    });
  }
  return { counts, offsets, slotRow, rowSlot, dropped: R - offsets[E] };
}

/** xp [keptRows, H] (only the kept rows): xp[r] = x[rowSlot[r] / K]. */
export function permuteRowsRef(x: ArrayLike<number>, H: number, K: number, rowSlot: readonly number[]): Float64Array {
  const xp = new Float64Array(rowSlot.length * H);
  rowSlot.forEach((s, r) => {
    const t = Math.floor(s / K);
    for (let h = 0; h < H; h++) xp[r * H + h] = x[t * H + h];
  });
  return xp;
}

/** dx [N, H] = Σ_k dxp[slotRow[t·K + k]] over kept slots. */
export function unpermuteGradRef(dxp: ArrayLike<number>, N: number, H: number, K: number, slotRow: readonly number[]): Float64Array {
  const dx = new Float64Array(N * H);
  for (let t = 0; t < N; t++) {
    for (let k = 0; k < K; k++) {
      const row = slotRow[t * K + k];
      if (row === REF_NO_ROW) continue;
      for (let h = 0; h < H; h++) dx[t * H + h] += dxp[row * H + h];
    }
  }
  return dx;
}
