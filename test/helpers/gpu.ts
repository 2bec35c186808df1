/**
 * One GPU device per test file (creating one costs ~0.2 s; pipelines are
 * cached on it). The pool poisons every acquired buffer with NaN, so a
 * kernel that reads memory it did not write fails its test. Texture operands
 * are on whatever the adapter (they are the default only on SwiftShader), so
 * the texture kernels are tested on every machine; tests that want the
 * storage kernels switch `textureOperands` off.
 */
import type { Gpu } from '../../engine/gpu/index.ts';
import { acquireNodeGpu } from '../../engine/gpu/node.ts';

let shared: Promise<Gpu> | null = null;

export function testGpu(): Promise<Gpu> {
  shared ??= acquireNodeGpu({ notice: () => {} }).then((gpu) => {
    gpu.pool.poison = true;
    gpu.textureOperands = true;
    return gpu;
  });
  return shared;
}
