/**
 * Host-side check of the routing invariants (DESIGN.md) on read-back arrays:
 *   sum(counts_E) == N·K                      (token conservation)
 *   offsets[0] == 0, kept_e = offsets[e+1] - offsets[e] == min(counts[e], C)
 *   kept + dropped == N·K
 * and, when the row maps are given, that slotRow/rowSlot are inverse maps
 * of the kept slots, with slots ascending within each expert's rows (stable). Throws an error naming the
 * layer, the broken invariant, the values and a hint. Pure: no GPU.
 */
import { NO_ROW, type RoutingHost } from './route.ts';

export function checkRouting(layer: string, r: RoutingHost): void {
  const { N, K, E } = r;
  const R = N * K;
  const fail = (what: string, hint: string): never => {
    throw new Error(`routing invariant violated in layer '${layer}' (N=${N}, K=${K}, E=${E}, C=${r.capacity ?? 'none'}): ${what}; hint: ${hint}`);
  };
  if (r.counts_E.length !== E || r.offsets_E1.length !== E + 1) {
    fail(`counts_E has ${r.counts_E.length} entries and offsets_E1 ${r.offsets_E1.length}, expected ${E} and ${E + 1}`, 'pass the arrays read from this layer\'s RoutedSlots');
  }
  let total = 0;
  for (const c of r.counts_E) total += c;
  if (total !== R) fail(`sum(counts_E) = ${total} != N·K = ${R}`, 'an expert index outside [0, E) in idx_NK, or a routing kernel bug');
  if (r.offsets_E1[0] !== 0) fail(`offsets_E1[0] = ${r.offsets_E1[0]}, expected 0`, 'routing kernel bug');
  for (let e = 0; e < E; e++) {
    const kept = r.offsets_E1[e + 1] - r.offsets_E1[e];
    const want = r.capacity === null ? r.counts_E[e] : Math.min(r.counts_E[e], r.capacity);
    if (kept !== want) fail(`expert ${e} keeps ${kept} rows (offsets ${r.offsets_E1[e]}..${r.offsets_E1[e + 1]}), expected min(count ${r.counts_E[e]}, C) = ${want}`, 'routing kernel bug');
  }
  const keptRows = r.offsets_E1[E];
  if (keptRows + r.dropped !== R) fail(`kept ${keptRows} + dropped ${r.dropped} = ${keptRows + r.dropped} != N·K = ${R}`, 'routing kernel bug');
  if (r.slotRow_R) checkRows(r, r.slotRow_R, r.rowSlot_R, fail);
}

function checkRows(r: RoutingHost, slotRow: Uint32Array, rowSlot: Uint32Array | undefined, fail: (what: string, hint: string) => never): void {
  const { K, E } = r;
  const keptRows = r.offsets_E1[E];
  if (slotRow.length !== r.N * K) fail(`slotRow_R has ${slotRow.length} entries, expected N·K = ${r.N * K}`, 'pass the arrays read from this layer\'s RoutedSlots');
  let droppedSlots = 0;
  const seen = new Uint8Array(keptRows);
  for (let s = 0; s < slotRow.length; s++) {
    const row = slotRow[s];
    if (row === NO_ROW) {
      droppedSlots++;
      continue;
    }
    if (row >= keptRows) fail(`slot ${s} has row ${row} >= kept rows ${keptRows}`, 'routing kernel bug');
    if (seen[row]) fail(`row ${row} is given to two slots (the second is slot ${s})`, 'routing kernel bug');
    seen[row] = 1;
    if (rowSlot && rowSlot[row] !== s) fail(`rowSlot_R[${row}] = ${rowSlot[row]} but slotRow_R[${s}] = ${row}`, 'routing kernel bug');
  }
  if (droppedSlots !== r.dropped) fail(`${droppedSlots} slots have no row but dropped = ${r.dropped}`, 'routing kernel bug');
  if (!rowSlot) return;
  for (let e = 0; e < E; e++) {
    for (let row = r.offsets_E1[e] + 1; row < r.offsets_E1[e + 1]; row++) {
      if (rowSlot[row] <= rowSlot[row - 1]) fail(`expert ${e}: row ${row} holds slot ${rowSlot[row]} after slot ${rowSlot[row - 1]} (order not stable)`, 'routing kernel bug');
    }
  }
}
