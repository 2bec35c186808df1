/**
 * Per-expert capacity, the one definition (kernels/README.md, MoE data
 * contract): C = ceil(capacity_factor · N · K / E).
 *
 * The product is formed in float64, where a factor such as 1.1 is really
 * 1.1000000000000000888…, so 1.1 · 10 / 1 evaluates to 11.000000000000002 and
 * a bare Math.ceil would give 12. A quotient within a relative 1e-9 of an
 * integer is taken as that integer: that is the capacity the user wrote.
 */
const SNAP = 1e-9;

export function expertCapacity(N: number, K: number, E: number, capacityFactor: number): number {
  for (const [name, v] of [['N', N], ['K', K], ['E', E]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`expertCapacity: ${name} must be a non-negative integer, got ${v}`);
  }
  if (E === 0) throw new Error('expertCapacity: E (number of experts) must be at least 1, got 0');
  if (!Number.isFinite(capacityFactor) || capacityFactor <= 0) {
    throw new Error(`expertCapacity: capacity_factor must be a finite number > 0, got ${capacityFactor}; hint: turn dropTokens off for no capacity limit`);
  }
  const exact = (capacityFactor * N * K) / E;
  const nearest = Math.round(exact);
  return Math.abs(exact - nearest) <= SNAP * Math.max(1, nearest) ? nearest : Math.ceil(exact);
}
