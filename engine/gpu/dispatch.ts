/**
 * Dispatch arithmetic, in one place.
 *
 * A 1-D problem of `invocations` items in workgroups of `workgroupSize`
 * needs ceil(invocations / workgroupSize) workgroups. WebGPU caps each
 * dimension at `maxPerDimension` (65,535 by default), so larger counts are
 * folded into 2-D and then 3-D. Shaders recover the linear workgroup index
 * with `linearWorkgroup(wid, nwg)` (see kernels/common/index.wgsl) and must
 * bound-check it, because folding can launch a few more workgroups than
 * needed.
 */
export type Workgroups = readonly [number, number, number];

export function ceilDiv(a: number, b: number): number {
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b <= 0) {
    throw new Error(`ceilDiv: expected integers a >= 0, b > 0, got a=${a}, b=${b}`);
  }
  return Math.floor((a + b - 1) / b);
}

/** Folds `count` workgroups into at most three dimensions of `maxPerDimension` each. */
export function foldWorkgroups(count: number, maxPerDimension = 65535): Workgroups {
  if (!Number.isInteger(count) || count < 0) throw new Error(`foldWorkgroups: count must be a non-negative integer, got ${count}`);
  if (count <= maxPerDimension) return [count, 1, 1];
  const y = ceilDiv(count, maxPerDimension);
  if (y <= maxPerDimension) return [maxPerDimension, y, 1];
  const z = ceilDiv(count, maxPerDimension * maxPerDimension);
  if (z > maxPerDimension) {
    throw new Error(`foldWorkgroups: ${count} workgroups exceed maxComputeWorkgroupsPerDimension^3 (${maxPerDimension}^3); split the work`);
  }
  return [maxPerDimension, maxPerDimension, z];
}

/** Workgroups for a 1-D problem: ceil-div then fold. */
export function dispatch1d(invocations: number, workgroupSize: number, maxPerDimension = 65535): Workgroups {
  return foldWorkgroups(ceilDiv(invocations, workgroupSize), maxPerDimension);
}

/** Workgroups for a 2-D tiled problem (rows x cols tiles); no folding, checks limits. */
export function dispatch2d(rows: number, cols: number, tileRows: number, tileCols: number, maxPerDimension = 65535, depth = 1): Workgroups {
  const x = ceilDiv(cols, tileCols);
  const y = ceilDiv(rows, tileRows);
  for (const [name, v] of [['x', x], ['y', y], ['z', depth]] as const) {
    if (v > maxPerDimension) {
      throw new Error(`dispatch2d: ${v} workgroups along ${name} exceed maxComputeWorkgroupsPerDimension (${maxPerDimension})`);
    }
  }
  return [x, y, depth];
}
