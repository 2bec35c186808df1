/**
 * float64 reference for the token embedding (ground truth for tests):
 *   out[n, :] = table[ids[n], :]
 *   dTable[v, :] = sum over n with ids[n] = v of dOut[n, :]   (0 for unused v)
 * Ids outside [0, V) give a zero row and contribute no gradient.
 */
export function embeddingForwardRef(table: ArrayLike<number>, ids: ArrayLike<number>, V: number, H: number): Float64Array {
  const out = new Float64Array(ids.length * H);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (id < 0 || id >= V) continue;
    for (let h = 0; h < H; h++) out[n * H + h] = table[id * H + h];
  }
  return out;
}

export function embeddingBackwardRef(dOut: ArrayLike<number>, ids: ArrayLike<number>, V: number, H: number): Float64Array {
  const dTable = new Float64Array(V * H);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (id < 0 || id >= V) continue;
    for (let h = 0; h < H; h++) dTable[id * H + h] += dOut[n * H + h];
  }
  return dTable;
}
