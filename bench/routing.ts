/**
 * Host-side grouping of routed slots by expert, as the CPU path and a
 * per-expert gather loop in an eager library do it (after reading the
 * routing back): a stable counting sort of the N·K slots by expert.
 *
 * Legend: N tokens, K top-k, E experts, R = N·K slots (slot s = t·K + k).
 */
export interface HostGrouping {
  /** [E + 1]: first row of each expert in expert order; offsets[E] = R. */
  readonly offsets: Uint32Array;
  /** [R]: the slot of each row in expert order (ascending within an expert). */
  readonly slotOfRow: Uint32Array;
  /** [R]: the token of each row, slotOfRow / K. */
  readonly tokenOfRow: Uint32Array;
  /** [R]: the row of each slot. */
  readonly rowOfSlot: Uint32Array;
}

export function groupByExpert(idx_NK: ArrayLike<number>, E: number, K: number): HostGrouping {
  const R = idx_NK.length;
  const offsets = new Uint32Array(E + 1);
  for (let s = 0; s < R; s++) offsets[idx_NK[s] + 1]++;
  for (let e = 0; e < E; e++) offsets[e + 1] += offsets[e];
  const next = offsets.slice(0, E);
  const slotOfRow = new Uint32Array(R);
  const tokenOfRow = new Uint32Array(R);
  const rowOfSlot = new Uint32Array(R);
  for (let s = 0; s < R; s++) {
    const row = next[idx_NK[s]]++;
    slotOfRow[row] = s;
    tokenOfRow[row] = Math.floor(s / K);
    rowOfSlot[s] = row;
  }
  return { offsets, slotOfRow, tokenOfRow, rowOfSlot };
}
