/**
 * The one numerics check: |gpu - ref| <= atol + rtol * |ref|, element by
 * element. A failure reports the max difference, the first bad index and a
 * few (gpu, ref) pairs, so a broken kernel says where it broke.
 */
export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
}

/**
 * float32 against a float64 reference. Inputs are O(1) and reductions are
 * at most a few thousand terms long; float32 rounding (2^-24 ≈ 6e-8 per op)
 * accumulates roughly with sqrt(length) in a sum, so 1e-4 relative leaves a
 * wide margin while still catching any indexing or formula error, which
 * shows up as O(1) differences.
 */
export const F32: Tolerance = { atol: 1e-5, rtol: 1e-4 };

export function compareClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance = F32): string | null {
  if (got.length !== want.length) return `${name}: length ${got.length} != reference length ${want.length}`;
  let maxDiff = 0;
  let firstBad = -1;
  let bad = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    const d = Math.abs(g - w);
    const ok = Number.isFinite(g) === Number.isFinite(w) && (Number.isFinite(w) ? d <= tol.atol + tol.rtol * Math.abs(w) : Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)));
    if (Number.isFinite(d) && d > maxDiff) maxDiff = d;
    if (!ok) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
  }
  if (bad === 0) return null;
  const pairs: string[] = [];
  for (let i = firstBad; i < got.length && pairs.length < 5; i++) pairs.push(`[${i}] gpu=${got[i]} ref=${want[i]}`);
  return `${name}: ${bad}/${got.length} values outside atol=${tol.atol} rtol=${tol.rtol}; max |diff|=${maxDiff.toExponential(3)}; first bad index ${firstBad}: ${pairs.join(', ')}`;
}

/** Throws (test failure) with the report when values differ. */
export function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance = F32): void {
  const report = compareClose(name, got, want, tol);
  if (report) throw new Error(report);
}

/** Exact equality for integer outputs (indices, counts), with the same style of report. */
export function expectEqual(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expectClose(name, got, want, { atol: 0, rtol: 0 });
}
