/**
 * A runtime-neutral kernel test case: a plain async function of a `Gpu` that
 * throws (with the numerics report) when the kernel disagrees with its
 * float64 reference. The same cases run under Deno (wgpu), in headless
 * Chromium (Dawn + SwiftShader) and under Node (node.test.ts). So: no vitest, no
 * `node:*`, no Deno or DOM APIs in case files, only kernels, references and
 * the runtime-neutral helpers (test/helpers/numerics.ts, rng.ts).
 */
import type { Gpu } from '../../engine/gpu/index.ts';

export interface SharedCase {
  /** '<kernel>: <what>', unique across all cases (runners filter on it). */
  readonly name: string;
  readonly run: (gpu: Gpu) => Promise<void>;
}
